"""History-based flake evidence (in progress)."""
