"""The provider protocol: the only way core talks to a CI system.

An adapter wraps a ready-made client (PyGithub ``Github``, ``gitlab.Gitlab``, ``httpx.Client``)
built by its :class:`ProviderFactory` from :class:`ProviderSettings`.  Adapters translate their
client's exceptions into :mod:`ci_rescue_core.errors` types and return models, never client
objects.

A provider declares what it can do in ``capabilities``.  A method behind a capability the
provider lacks raises :class:`~ci_rescue_core.errors.ProviderError` ("not supported"); the
policy engine never picks a remedy that needs it.
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
    """Re-run every failed job of a run (and what depends on them), nothing else."""
    RERUN_JOBS = "rerun_jobs"
    """Re-run any chosen set of jobs (matrix cells) of a run in one go."""
    RERUN_ONE_JOB = "rerun_one_job"
    """Re-run one chosen job of a run (GitHub: a second single-job re-run is refused while the
    first runs, so several chosen cells cannot be re-run together)."""
    CANCEL = "cancel"
    """Cancel a run that is still going."""
    ISSUES = "issues"
    """Open, find and comment on issues."""
    CHANGE_REQUESTS = "change_requests"
    """Open a pull / merge request from a new branch with file edits."""
    AUTO_MERGE = "auto_merge"
    """Ask the provider to merge a change request once its checks pass."""
    COMMENTS = "comments"
    """Comment on a change request."""
    ANNOTATIONS = "annotations"
    """Attach a summary and line annotations to a run's commit (check run, status, note)."""
    OWNERS = "owners"
    """Resolve the owners of paths (CODEOWNERS)."""
    RUN_HISTORY = "run_history"
    """List earlier runs of a branch or commit."""
    TEST_REPORTS = "test_reports"
    """Per-test results of a job from the provider's own test report."""
    READ_FILES = "read_files"
    """Read a file of the repository at a ref."""
    CHANGE_REQUEST_STATE = "change_request_state"
    """Tell whether a change request is open, merged, or closed without merging."""


class ChangeRequestState(str, enum.Enum):
    """Where a change request is: ``open``, ``merged``, or ``closed`` without merging."""

    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class IssueRef:
    """An issue at the provider.

    :ivar created: False when an existing open issue with the same marker was updated instead.
    """

    url: str
    number: str
    created: bool


@attrs.frozen
class FileEdit:
    """One file of a change request: its new content, or ``None`` to delete it."""

    path: str
    content: str | None


@attrs.frozen(kw_only=True)
class ChangeRequestRef:
    """A pull request (GitHub) or merge request (GitLab).

    :ivar created: False when an open change request from the same branch was reused.
    :ivar auto_merge: True when the provider accepted to merge it once its checks pass.
    """

    url: str
    number: str
    branch: str
    created: bool = True
    auto_merge: bool = False


@attrs.frozen(kw_only=True)
class Annotation:
    """A note on one place of the code, shown next to the run (GitHub check annotation).

    :ivar level: ``notice``, ``warning`` or ``failure``.
    """

    path: str
    start_line: int = attrs.field(validator=attrs.validators.ge(1))
    end_line: int
    level: str = attrs.field(
        default="failure", validator=attrs.validators.in_(("notice", "warning", "failure"))
    )
    message: str
    title: str = ""


@attrs.frozen(kw_only=True)
class TestResult:
    """One test case from the provider's own test report.

    :ivar outcome: ``pass``, ``fail``, ``error`` or ``skip``.
    """

    __test__ = False  # not a pytest test class

    test_id: str
    outcome: str
    message: str = ""
    file: str | None = None
    duration: float | None = None


@attrs.frozen(kw_only=True)
class ProviderSettings:
    """What a factory needs to build a provider; resolved from ``rescue.yaml`` and the environment.

    :ivar base_url: API root; ``None`` means the provider's public default.
    :ivar token: the API token read from ``token_env`` (``None`` when unset).
    :ivar token_env: the environment variable the token comes from (named in auth errors).
    :ivar webhook_secret: shared secret for webhook verification, when configured.
    :ivar options: provider-specific extras (timeouts, retry counts...).
    :ivar companions: other providers this one delegates to, by name (CircleCI opens issues and
        change requests through the VCS provider the project lives on).
    """

    name: str
    base_url: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    token_env: str = ""
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    options: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    companions: Mapping[str, Provider] = attrs.field(factory=dict, hash=False, repr=False)


@runtime_checkable
class Provider(Protocol):
    """A CI provider adapter (GitHub Actions, GitLab CI, CircleCI, or a third party's)."""

    name: str
    capabilities: frozenset[Capability]

    # -- webhooks ------------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check a webhook delivery's signature or token over the raw *body*.

        :raises SignatureError: when the signature is missing or wrong.
        """

    def delivery_id(self, headers: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
        """The id that stays the same when the provider redelivers this webhook, if any."""

    def parse_event(
        self, event_type: str, payload: Mapping[str, Any], *, delivery_id: str | None = None
    ) -> CIEvent | None:
        """Turn a (verified) webhook payload into a :class:`CIEvent`.

        :returns: ``None`` for event types this provider does not act on.
        :raises PayloadError: naming the field when the payload is malformed.
        """

    # -- reading runs --------------------------------------------------------------------------

    def get_run(self, repo: str, run_id: str) -> RunRef:
        """Fetch the latest attempt of a run."""

    def list_jobs(self, run: RunRef) -> list[JobRef]:
        """List every job of the attempt *run* names (``run.attempt``), one per job name."""

    def open_log(self, job: JobRef) -> AbstractContextManager[Iterator[bytes]]:
        """Open a job's log as a stream of byte chunks (never the whole log in memory).

        A download that breaks off half-way raises a ``ProviderError`` from the iteration
        (or ends the stream with a marker line), never a client library's exception.
        """

    def list_runs(
        self,
        repo: str,
        *,
        sha: str | None = None,
        branch: str | None = None,
        status: str | None = None,
        limit: int = 30,
    ) -> list[RunRef]:
        """List recent runs of *repo*, newest first, filtered by head sha, branch and status.

        *status* is a provider-neutral filter: ``failed`` (any failure spelling) or
        ``completed``; ``None`` for every run.
        """

    def test_results(self, job: JobRef) -> list[TestResult]:
        """Per-test results of *job* from the provider's test report (``TEST_REPORTS``)."""

    def read_file(self, repo: str, path: str, *, ref: str | None = None) -> str | None:
        """A repository file's text at *ref* (default branch when ``None``); ``None`` if absent."""

    def resolve_owners(
        self, repo: str, paths: Sequence[str], *, ref: str | None = None
    ) -> list[str]:
        """Owners of *paths* from CODEOWNERS (``@user``, ``@org/team``, e-mails), deduplicated."""

    # -- writing -------------------------------------------------------------------------------

    def rerun_failed_jobs(self, run: RunRef) -> str:
        """Re-run every failed job of *run* (never the whole matrix); return a URL to follow."""

    def rerun_jobs(self, run: RunRef, job_ids: Sequence[str]) -> str:
        """Re-run only the jobs (matrix cells) *job_ids* of *run*; return a URL to follow."""

    def cancel_run(self, run: RunRef) -> None:
        """Cancel *run* if it is still going (``CANCEL``)."""

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

    def open_change_request(
        self,
        repo: str,
        *,
        branch: str,
        title: str,
        body: str,
        edits: Sequence[FileEdit],
        base: str | None = None,
        labels: Sequence[str] = (),
        draft: bool = False,
        auto_merge: bool = False,
    ) -> ChangeRequestRef:
        """Open a change request from a **new** branch *branch* off *base* with *edits*.

        Never writes to *base* (default: the repository's default branch) or any existing
        branch.  When an open change request from *branch* exists, it is returned unchanged
        (``created=False``).  *auto_merge* asks the provider to merge once checks pass and is
        ignored when the provider lacks ``AUTO_MERGE``.
        """

    def change_request_state(self, repo: str, number: str) -> ChangeRequestState:
        """Whether change request *number* of *repo* is open, merged or closed unmerged
        (``CHANGE_REQUEST_STATE``; a provider without it may raise ``NotImplementedError``)."""

    def comment(self, repo: str, number: str, body: str) -> str:
        """Comment on change request (or issue) *number*; return the comment's URL."""

    def annotate(
        self, run: RunRef, *, title: str, summary: str, annotations: Sequence[Annotation] = ()
    ) -> str:
        """Attach *summary* and *annotations* to the run's commit; return a URL to them.

        GitHub takes annotations 50 per request; adapters batch as their API requires.
        """


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
WRITE_METHODS: frozenset[str] = frozenset(
    {
        "rerun_failed_jobs",
        "rerun_jobs",
        "cancel_run",
        "open_issue",
        "open_change_request",
        "comment",
        "annotate",
    }
)
