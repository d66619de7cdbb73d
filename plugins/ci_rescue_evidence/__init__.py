"""ci-rescue: ci_rescue_evidence."""
