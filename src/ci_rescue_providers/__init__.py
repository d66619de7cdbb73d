"""ci-rescue: ci_rescue_providers."""
