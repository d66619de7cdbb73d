"""Registers the circleci provider (entry point ``circleci`` in group ``ci_rescue``); filled in by issue 5."""
