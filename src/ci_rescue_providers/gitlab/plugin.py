"""Registers the gitlab provider (entry point ``gitlab`` in group ``ci_rescue``); filled in by issue 5."""
