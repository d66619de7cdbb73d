"""ci-rescue: ci_rescue_strategies."""
