"""ci-rescue: simulators."""
