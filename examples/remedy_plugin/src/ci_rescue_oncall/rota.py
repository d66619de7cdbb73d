"""The on-call rota: people take turns of a fixed number of days, from a start date.

A rota file is three keys of YAML::

    start: 2025-01-06          # the first person's first day on call
    shift_days: 7              # optional, default 7
    people: [alice, bob, carol]
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ci_rescue_core.errors import ConfigError

#: Environment variable naming the rota file of the entry-point plugin.
ROTA_ENV = "CI_RESCUE_ONCALL_ROTA"


@attrs.frozen(kw_only=True)
class Rota:
    """*people* (GitHub logins) take turns of *shift_days* days each, starting on *start*."""

    people: tuple[str, ...] = attrs.field(validator=attrs.validators.min_len(1))
    start: date
    shift_days: int = attrs.field(default=7, validator=attrs.validators.ge(1))

    def on_call(self, day: date) -> str:
        """Who is on call on *day* (the rota repeats before and after *start*)."""
        shift = (day - self.start).days // self.shift_days
        return self.people[shift % len(self.people)]


def load_rota(path: str | Path) -> Rota:
    """Read a rota file.

    :raises ConfigError: naming the file (and the key) when it is missing or wrong.
    """
    file = str(path)
    try:
        data: Any = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise ConfigError(f"cannot read the on-call rota: {exc}", path=file) from exc
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with start and people", path=file)
    unknown = sorted(set(data) - {"start", "shift_days", "people"})
    if unknown:
        raise ConfigError("unknown key", path=file, key=str(unknown[0]))
    people, start, shift_days = data.get("people"), data.get("start"), data.get("shift_days", 7)
    if not isinstance(people, list) or not people or not all(isinstance(p, str) for p in people):
        raise ConfigError("expected a non-empty list of GitHub logins", path=file, key="people")
    if not isinstance(start, date) or isinstance(start, datetime):
        raise ConfigError("expected a date such as 2025-01-06", path=file, key="start")
    if isinstance(shift_days, bool) or not isinstance(shift_days, int) or shift_days < 1:
        raise ConfigError("expected a whole number of days >= 1", path=file, key="shift_days")
    return Rota(people=tuple(people), start=start, shift_days=shift_days)


def rota_from_env() -> Rota | None:
    """The rota named by ``$CI_RESCUE_ONCALL_ROTA``, or ``None`` when it is unset."""
    path = os.environ.get(ROTA_ENV)
    return load_rota(path) if path else None
