"""Remedies the policy picks and what became of them."""

from __future__ import annotations

from typing import Any

import attrs

from ci_rescue_core.models.enums import OutcomeStatus


@attrs.frozen(kw_only=True)
class Remedy:
    """One thing ci-rescue could do about an incident.

    :ivar kind: ``retry``, ``retry_cells``, ``quarantine``, ``pin``, ``revert``, ``issue``,
        or a plugin's own kind.
    :ivar reason: one sentence saying why this remedy fits.
    :ivar job_ids: the jobs (matrix cells) it concerns, for retries.
    :ivar params: kind-specific parameters (JSON-safe values only).
    :ivar reversible: the change undoes itself or is trivially undone (retry, label, TTL).
    :ivar needs_review: it edits code and must go through a reviewed change request.
    :ivar writes: it calls a provider write endpoint when applied.
    :ivar escalates: applying it hands the incident to people (a tracking issue, a page); its
        outcome's link becomes the incident's ``tracking_issue``.
    :ivar requires: provider capabilities it needs (values of ``Capability``); the policy
        engine refuses it when the provider lacks one.
    :ivar source: the plugin that proposed it.
    :ivar delay_seconds: apply it no sooner than this many seconds after it was decided (a
        retry's back-off).  The long-running commands (``serve``, ``watch``) schedule it and
        apply it when due, unless the run moved on meanwhile; one-shot commands (``handle``,
        ``watch --once``) apply it at once and say so.
    """

    kind: str = attrs.field(validator=attrs.validators.min_len(1))
    reason: str
    job_ids: tuple[str, ...] = ()
    params: dict[str, Any] = attrs.field(factory=dict, hash=False)
    reversible: bool = True
    needs_review: bool = False
    writes: bool = True
    escalates: bool = False
    requires: tuple[str, ...] = ()
    source: str = ""
    delay_seconds: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))


@attrs.frozen(kw_only=True)
class Outcome:
    """What happened when a remedy was applied (or why it was not).

    :ivar link: URL of what was created (rerun, issue, pull request), when any.
    :ivar error: the error message when ``status`` is ``failed``.
    :ivar reference: the provider's number of the issue or change request created, when any
        (what ``change_request_state`` and ``comment`` take).
    """

    remedy: Remedy
    status: OutcomeStatus
    link: str | None = None
    error: str | None = None
    detail: str = ""
    reference: str | None = None
