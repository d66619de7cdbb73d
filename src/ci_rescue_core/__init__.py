"""ci-rescue core: models, hooks, orchestrator, store, policy and log analysis."""
