"""Reading ``flake-score`` input: one JSON object per line.

``{"test": id, "sha": s, "outcome": "pass"|"fail", "attempt": n, "run": id, "time": iso8601}``
plus optional ``branch``, ``job``, ``fingerprint`` and ``message`` (a message is fingerprinted
when no fingerprint is given); other keys are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from ci_rescue_core.errors import PayloadError
from ci_rescue_core.flake.fingerprint import message_fingerprint
from ci_rescue_core.flake.observations import Observation

OUTCOMES = {"pass": False, "fail": True}


def parse_time(value: Any) -> datetime:
    """An ISO 8601 timestamp (``Z`` accepted); naive times are UTC.

    :raises ValueError: when *value* is not an ISO 8601 string.
    """
    if not isinstance(value, str) or not value:
        raise ValueError("must be an ISO 8601 timestamp string")
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _text(record: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        what = "a non-empty string" if required else "a string or null"
        raise ValueError(f"{key!r} must be {what}, got {json.dumps(value)}")
    return str(value)


def parse_record(record: Any) -> Observation:
    """One decoded JSON line as an :class:`Observation`.

    :raises ValueError: naming the field that is missing or wrong.
    """
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got a JSON {type(record).__name__}")
    missing = [k for k in ("test", "sha", "outcome", "attempt", "run", "time") if k not in record]
    if missing:
        raise ValueError(f"missing {', '.join(repr(k) for k in missing)}")
    outcome = record["outcome"]
    if outcome not in OUTCOMES:
        raise ValueError(f'\'outcome\' must be "pass" or "fail", got {json.dumps(outcome)}')
    attempt = record["attempt"]
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"'attempt' must be an integer >= 1, got {json.dumps(attempt)}")
    try:
        time = parse_time(record["time"])
    except ValueError as exc:
        raise ValueError(f"'time' {json.dumps(record['time'])}: {exc}") from None
    fingerprint = _text(record, "fingerprint", required=False)
    message = record.get("message")
    if fingerprint is None and isinstance(message, str) and OUTCOMES[outcome]:
        fingerprint = message_fingerprint(message)
    return Observation(
        test=str(_text(record, "test")),
        sha=str(_text(record, "sha")),
        failed=OUTCOMES[outcome],
        run=str(_text(record, "run")),
        attempt=attempt,
        time=time,
        job=_text(record, "job", required=False) or "",
        branch=_text(record, "branch", required=False),
        fingerprint=fingerprint if OUTCOMES[outcome] else None,
    )


def parse_lines(lines: Iterable[str], *, source: str = "<input>") -> Iterator[Observation]:
    """Parse JSON lines (blank lines skipped).

    :raises PayloadError: naming ``source:line`` and what is wrong with that line.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"{source}, line {number}: not valid JSON: {exc.msg}") from None
        try:
            yield parse_record(record)
        except ValueError as exc:
            raise PayloadError(f"{source}, line {number}: {exc}") from None
