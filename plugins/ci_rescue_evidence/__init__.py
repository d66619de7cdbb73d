"""Built-in flake evidence: same-sha history, and what the failure category says."""
