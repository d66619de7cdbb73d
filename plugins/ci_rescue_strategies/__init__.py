"""Built-in remedy strategies: retry failed matrix cells, open a tracking issue."""
