"""ci-rescue: ci_rescue_extractors."""
