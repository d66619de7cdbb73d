"""ci-rescue: github."""
