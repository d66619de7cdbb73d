"""Quarantine strategy (in progress)."""
