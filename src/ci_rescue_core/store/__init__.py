"""Persistence: the SQLite store (the default; PostgreSQL can implement the same methods)."""

from ci_rescue_core.store.sqlite import SQLiteStore, utc_now

__all__ = ["SQLiteStore", "utc_now"]
