"""The provider protocol: the only way core talks to a CI system.

An adapter wraps a ready-made client (PyGithub ``Github``, ``gitlab.Gitlab``, ``httpx.Client``)
built by its :class:`ProviderFactory` from :class:`ProviderSettings`.  Adapters translate their
client's exceptions into :mod:`ci_rescue_core.errors` types and return models, never client
objects.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import attrs

from ci_rescue_core.models import CIEvent, JobRef, RunRef


class Capability(str, enum.Enum):
    """Things a provider may or may not be able to do; policy never picks a missing one."""

    RERUN_FAILED_JOBS = "rerun_failed_jobs"
    RERUN_JOBS = "rerun_jobs"
    ISSUES = "issues"
    RUN_HISTORY = "run_history"


@attrs.frozen(kw_only=True)
class IssueRef:
    """An issue at the provider.

    :ivar created: False when an existing open issue with the same marker was updated instead.
    """

    url: str
    number: str
    created: bool


@attrs.frozen(kw_only=True)
class ProviderSettings:
    """What a factory needs to build a provider; resolved from ``rescue.yaml`` and the environment.

    :ivar base_url: API root; ``None`` means the provider's public default.
    :ivar token: the API token read from ``token_env`` (``None`` when unset).
    :ivar token_env: the environment variable the token comes from (named in auth errors).
    :ivar webhook_secret: shared secret for webhook verification, when configured.
    :ivar options: provider-specific extras (timeouts, retry counts...).
    """

    name: str
    base_url: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    token_env: str = ""
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    options: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@runtime_checkable
class Provider(Protocol):
    """A CI provider adapter (GitHub Actions, GitLab CI, CircleCI, or a third party's)."""

    name: str
    capabilities: frozenset[Capability]

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check a webhook delivery's signature over the raw *body*.

        :raises SignatureError: when the signature is missing or wrong.
        """

    def parse_event(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> CIEvent | None:
        """Turn a (verified) webhook payload into a :class:`CIEvent`.

        :returns: ``None`` for event types this provider does not act on.
        :raises PayloadError: naming the field when the payload is malformed.
        """

    def get_run(self, repo: str, run_id: str) -> RunRef:
        """Fetch the latest attempt of a run."""

    def list_jobs(self, run: RunRef) -> list[JobRef]:
        """List every job of the attempt *run* names (``run.attempt``), one per job name."""

    def open_log(self, job: JobRef) -> AbstractContextManager[Iterator[bytes]]:
        """Open a job's log as a stream of byte chunks (never the whole log in memory)."""

    def list_runs(
        self, repo: str, *, sha: str | None = None, branch: str | None = None, limit: int = 30
    ) -> list[RunRef]:
        """List recent runs of *repo*, newest first, filtered by head sha and/or branch."""

    def rerun_failed_jobs(self, run: RunRef) -> str:
        """Re-run every failed job of *run* (never the whole matrix); return a URL to follow."""

    def rerun_jobs(self, run: RunRef, job_ids: Sequence[str]) -> str:
        """Re-run only the jobs (matrix cells) *job_ids* of *run*; return a URL to follow."""

    def open_issue(
        self,
        repo: str,
        *,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        marker: str | None = None,
    ) -> IssueRef:
        """Open an issue, or comment on the open issue whose body carries *marker*."""


ProviderBuilder = Callable[[ProviderSettings], Provider]


@attrs.frozen(kw_only=True)
class ProviderFactory:
    """A named way to build a provider, contributed by ``rescue_register_providers``.

    :ivar build: called with the resolved settings; imports its client library lazily.
    :ivar install_hint: what to install when the client library is missing.
    """

    name: str
    build: ProviderBuilder
    install_hint: str | None = None


#: Provider methods that write to the CI system.  In ``observe`` mode none is ever called.
WRITE_METHODS: frozenset[str] = frozenset({"rerun_failed_jobs", "rerun_jobs", "open_issue"})
