"""ci-rescue: ci_rescue_notifiers."""
