"""gitlab provider (in progress)."""
