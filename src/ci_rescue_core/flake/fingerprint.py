"""The fingerprint of one test's failure (a job's fingerprint covers all its failing tests)."""

from __future__ import annotations

import hashlib

from ci_rescue_core.flake.generic import is_generic
from ci_rescue_core.logs.fingerprint import normalise
from ci_rescue_core.models import TestFailure


def message_fingerprint(message: str) -> str | None:
    """A short stable hash of a failure message, or ``None`` when it tells nothing apart.

    The message is normalised first (timestamps, ids, addresses, ports, durations...), and only
    its first line counts, so the same assertion fingerprints the same in every run.  Empty and
    generic messages (``exit code 1``) give ``None``.
    """
    first = next((line for line in message.strip().splitlines() if line.strip()), "")
    text = normalise(first)
    if is_generic(text):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def failure_fingerprint(failure: TestFailure) -> str | None:
    """The fingerprint of one failing test: its normalised message (see
    :func:`message_fingerprint`)."""
    return message_fingerprint(failure.message)
