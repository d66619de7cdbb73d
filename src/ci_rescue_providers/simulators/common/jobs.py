"""Checks every simulator makes of the ``SimJob`` values it is given."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Protocol, TypeVar

__all__ = ["check_job_list", "check_outcomes"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


J = TypeVar("J", bound=_Named)


def check_outcomes(
    name: str,
    outcomes: Sequence[str],
    known: Collection[str],
    *,
    status_of: Callable[[str], str] = lambda outcome: outcome,
    hint: str = "",
) -> tuple[str, ...]:
    """A job's ``outcomes`` as a tuple; ``ValueError`` for an empty ``name`` or ``outcomes``, or
    an outcome whose ``status_of`` is not ``known`` (``hint`` ends the message)."""
    if not name:
        raise ValueError("SimJob.name must not be empty")
    checked = tuple(outcomes)
    if not checked:
        raise ValueError(f"SimJob {name!r}: outcomes must not be empty")
    unknown = [o for o in checked if status_of(o) not in known]
    if unknown:
        raise ValueError(
            f"SimJob {name!r}: unknown outcome(s) {unknown}; use {sorted(known)}{hint}"
        )
    return checked


def check_job_list(
    specs: Sequence[object], job_type: type[J], depends_on: Callable[[J], Sequence[str]], verb: str
) -> None:
    """Reject items that are not ``job_type``, duplicate names, and dependencies
    (``depends_on``, named ``verb`` in the message) on unknown or later jobs."""
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, job_type):
            raise TypeError(f"jobs must be SimJob instances, got {type(spec).__name__}")
        if spec.name in seen:
            raise ValueError(f"duplicate job name {spec.name!r}")
        missing = [n for n in depends_on(spec) if n not in seen]
        if missing:
            raise ValueError(f"job {spec.name!r} {verb} {missing}, which must be listed before it")
        seen.add(spec.name)
