"""circleci provider (in progress)."""
