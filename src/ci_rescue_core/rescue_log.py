"""``rescue.log``: one JSON line per handled event, the local audit trail of what was done."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from ci_rescue_core.convert import to_json_dict
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Incident


class RescueLogWriter:
    """A notifier plugin (registered by the CLI or an embedder) that appends to ``rescue.log``.

    Each line is ``{"headline", "incident": <incident JSON>}``; lines are written whole, so a
    reader never sees half a record.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @hookimpl
    def rescue_notify(self, incident: Incident, headline: str) -> None:
        """Append one record for *incident*."""
        line = json.dumps({"headline": headline, "incident": to_json_dict(incident)})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
