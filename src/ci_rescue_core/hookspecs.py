"""Hook specifications: the reference for every ``rescue_*`` hook.

Plugins implement these with :data:`ci_rescue_core.hookimpl`.  Every hook is called with
keyword arguments only (through :class:`ci_rescue_core.hooks.Hooks`), so an implementation may
accept fewer arguments than the spec lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ci_rescue_core.flake.history import History
    from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
    from ci_rescue_core.models import (
        Diagnosis,
        Evidence,
        FlakeVerdict,
        Incident,
        JobRef,
        Outcome,
        Remedy,
        RunRef,
    )
    from ci_rescue_core.policy.rules import Policy
    from ci_rescue_core.provider import Capability, Provider, ProviderFactory

PROJECT_NAME = "ci_rescue"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def rescue_register_providers() -> list[ProviderFactory]:
    """Contribute provider factories (GitHub, GitLab, CircleCI, or your own CI system).

    Called once, when the provider registry is first needed.  Two plugins registering the same
    name is an error (:class:`~ci_rescue_core.errors.PluginError`).

    :returns: the factories this plugin provides; an empty list for none.

    .. versionadded:: 0.1
    """


@hookspec
def rescue_secret_patterns() -> list[str]:
    """Contribute regular expressions for secrets the redactor must mask.

    Called once per log analysis setup.  Each pattern is compiled with :mod:`re`; a pattern that
    does not compile is a :class:`~ci_rescue_core.errors.PluginError`.  Whatever a pattern
    matches is replaced with ``***`` before any extractor sees the line.

    :returns: pattern strings; an empty list for none.

    .. versionadded:: 0.1
    """


@hookspec
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find failing tests, error lines, exit codes and a category in one log.

    Called once per analysed log, for every extractor (one per ecosystem: pytest, go, jest...,
    plus the infrastructure signals).  The results of all extractors are merged: failures and
    error lines are pooled and ranked, and the category of the most confident extraction wins.

    :param excerpt: the redacted candidate lines of the log, with context and the log's tail.
    :returns: what this extractor found, or ``None`` when the log is not its ecosystem's.

    .. versionadded:: 0.1
    """


@hookspec
def rescue_flake_evidence(
    job: JobRef, diagnosis: Diagnosis, history: History, policy: Policy
) -> list[Evidence]:
    """Contribute evidence that a failed job is flaky, or that it is really broken.

    Called once per failed job, after its log has been analysed and after the run and its
    test outcomes have been recorded.  Core judges each failing test the log names with the
    evidence about it (``Evidence.subject`` = the test id) plus the job-wide evidence (empty
    ``subject``), and the job from its tests; see :func:`ci_rescue_core.flake.verdict.judge_job`.
    An item with an exact ``bayes_factor`` counts with that likelihood ratio, one without
    with a ratio derived from its ``strength``.

    :param job: the failed job (matrix cell) of the latest run attempt.
    :param diagnosis: what the log analysis found for it.
    :param history: recorded outcomes: jobs (:class:`~ci_rescue_core.flake.history.History`)
        and, from the built-in store, tests (:class:`~ci_rescue_core.flake.history.PerTestHistory`).
    :param policy: the repository's effective policy (decay half-life, history window,
        default branches...).
    :returns: evidence items; an empty list when this plugin has nothing to say.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 ``policy`` was added; implementations that do not take it still work.
    """


@hookspec
def rescue_propose_remedies(
    incident: Incident,
    run: RunRef,
    diagnoses: tuple[Diagnosis, ...],
    verdicts: tuple[FlakeVerdict, ...],
    policy: Policy,
    capabilities: frozenset[Capability],
) -> list[Remedy]:
    """Propose remedies for an incident (strategies propose, core's policy engine decides).

    Called once per handled failure.  Core drops any proposal that breaks the non-negotiable
    rules (retry budget, never-retry categories, capabilities the provider lacks, mode) before
    ordering the rest, so a strategy need not check them itself.

    :param incident: the incident as it stands (its ``remedies`` hold earlier attempts).
    :param run: the failed run attempt being handled.
    :param diagnoses: one per failed job, in job order.
    :param verdicts: one per failed job, in the same order.
    :param policy: the repository's effective policy.
    :param capabilities: what the provider can do.
    :returns: proposals; an empty list for none.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def rescue_apply_remedy(
    remedy: Remedy, incident: Incident, run: RunRef, provider: Provider, policy: Policy
) -> Outcome | None:
    """Carry out *remedy* if this plugin owns ``remedy.kind``; otherwise return ``None``.

    firstresult: called once per approved remedy and stops at the first non-``None`` result.
    The built-in fallback (``trylast``) returns an ``Outcome`` with status ``unsupported``, so
    the caller always gets an outcome.  Provider errors should be raised, not swallowed: core
    records them as a ``failed`` outcome.

    .. versionadded:: 0.1
    """


@hookspec
def rescue_notify(incident: Incident, headline: str) -> None:
    """Tell humans about an incident (Slack, Teams, e-mail, ``rescue.log``...).

    Called once per handled event, after remedies were applied, with the final incident.
    A notifier that fails raises; core records the failure on the timeline and carries on.

    :param headline: one line, e.g. ``"acme/app@1a2b3c4 failed — retry_cells applied"``.

    .. versionadded:: 0.1
    """


@hookspec
def rescue_incident_updated(incident: Incident, step: str) -> None:
    """Observe every persisted change to an incident (metrics, audit logs, dashboards).

    Called after each pipeline step that changed the incident, once it is stored.
    Must not raise: an exception is recorded and ignored.

    :param step: the pipeline step that produced this version (``sentinel``, ``apply``...).

    .. versionadded:: 0.1
    """
