"""``.ci-rescue/quarantine.yaml``: the quarantine list a repository carries.

ci-rescue proposes changes to this file in a change request; the pytest plugin
(``-p ci_rescue_core.quarantine_pytest``) reads it.  Each entry carries its own expiry, so a
quarantine ends on time even when ci-rescue is not running::

    version: 1
    tests:
      - id: tests/test_net.py::test_webhook_roundtrip
        reason: "flaky (score 0.97): passed when re-run 1a2b3c4 (run 812 attempt 2)"
        score: 0.97
        since: "2024-05-01T10:00:00+00:00"
        expires: "2024-05-08T10:00:00+00:00"
        incident: inc-0123456789ab
        link: https://github.com/acme/app/issues/12
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ci_rescue_core.config.yamlfile import structure_yaml
from ci_rescue_core.errors import ConfigError

PATH = ".ci-rescue/quarantine.yaml"
"""Where the quarantine list lives in a repository."""

HEADER = """\
# Quarantined tests (managed by ci-rescue; see docs/flakes.md).
# They still run, but a failure does not fail the build (pytest: a non-strict xfail), so that
# each one earns its release with passes.  Every entry expires on its own at `expires`.
# Enable in pytest with:  pytest -p ci_rescue_core.quarantine_pytest
"""


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


@attrs.frozen(kw_only=True)
class QuarantineEntry:
    """One quarantined test.

    :ivar id: the test id as pytest prints it (``path::Class::test[param]``).
    :ivar expires: when the quarantine ends on its own.
    :ivar incident: the ci-rescue incident that proposed it.
    """

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    reason: str = ""
    score: float | None = None
    since: datetime | None = attrs.field(default=None, converter=attrs.converters.optional(_time))
    expires: datetime = attrs.field(converter=_time)
    incident: str | None = None
    link: str | None = None

    def expired(self, now: datetime) -> bool:
        """True when the entry's expiry is at or before *now*."""
        return self.expires <= now


@attrs.frozen(kw_only=True)
class QuarantineFile:
    """The whole file."""

    version: int = attrs.field(default=1, validator=attrs.validators.in_((1,)))
    tests: tuple[QuarantineEntry, ...] = ()


def parse_quarantine(text: str, *, source: str = PATH) -> QuarantineFile:
    """Parse the file's text.

    :raises ConfigError: naming *source*, the line and the key of the first problem.
    """
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}", path=source, line=line
        ) from exc
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=source) from exc
    if data is None:
        return QuarantineFile()
    for entry in (data.get("tests") or []) if isinstance(data, CommentedMap) else []:
        for key in ("since", "expires"):
            if isinstance(entry, CommentedMap) and isinstance(entry.get(key), datetime):
                entry[key] = entry[key].isoformat()
    return structure_yaml(data, QuarantineFile, path=Path(source))


def read_quarantine(path: Path) -> QuarantineFile:
    """Read the file at *path*; a missing file is an empty list.

    :raises ConfigError: when it cannot be read or parsed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return QuarantineFile()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", path=str(path)) from exc
    return parse_quarantine(text, source=str(path))


def render_quarantine(entries: Iterable[QuarantineEntry]) -> str:
    """The file's text for *entries*, sorted by test id (stable, reviewable diffs)."""
    tests = []
    for entry in sorted(entries, key=lambda e: e.id):
        item: dict[str, Any] = {"id": entry.id, "reason": entry.reason}
        if entry.score is not None:
            item["score"] = round(entry.score, 4)
        if entry.since is not None:
            item["since"] = entry.since.isoformat()
        item["expires"] = entry.expires.isoformat()
        for key in ("incident", "link"):
            value = getattr(entry, key)
            if value:
                item[key] = value
        tests.append(item)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.representer.sort_base_mapping_type_on_output = False
    buffer = StringIO()
    yaml.dump({"version": 1, "tests": tests}, buffer)
    return HEADER + buffer.getvalue()


def merge_entries(
    current: Iterable[QuarantineEntry], added: Iterable[QuarantineEntry], *, now: datetime
) -> list[QuarantineEntry]:
    """*current* without expired entries, with *added* replacing entries of the same test."""
    merged = {entry.id: entry for entry in current if not entry.expired(now)}
    for entry in added:
        merged[entry.id] = entry
    return sorted(merged.values(), key=lambda e: e.id)
