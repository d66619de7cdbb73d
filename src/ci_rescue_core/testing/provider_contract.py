"""Provider contract tests, shipped for every adapter — ours and third parties'.

Subclass :class:`ProviderContract` in your test suite and give it one fixture, ``harness``,
returning a :class:`ProviderHarness`: your adapter wired to a stateful fake of your CI system
(a simulator on loopback, like ours), plus a few calls to seed it and read its state back::

    from ci_rescue_core.testing import ProviderContract

    class TestMyProvider(ProviderContract):
        @pytest.fixture
        def harness(self): ...

Every test goes through the :class:`~ci_rescue_core.provider.Provider` protocol only, so an
adapter that passes behaves the way the orchestrator relies on.  Tests of capabilities the
provider does not declare are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import attrs
import pytest

from ci_rescue_core.errors import ProviderError, SignatureError
from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import Capability, ChangeRequestState, FileEdit, Provider

FLAKY_JOB = "flaky"
BROKEN_JOB = "broken"
PASSING_JOB = "passing"
BROKEN_LOG_LINE = "AssertionError: contract-test-marker 3402 != 3780"


@attrs.frozen(kw_only=True)
class SignedDelivery:
    """One webhook delivery as the provider would send it."""

    event_type: str
    headers: Mapping[str, str]
    body: bytes


class ProviderHarness(Protocol):
    """What a contract test needs from the fake CI system behind an adapter."""

    provider: Provider
    repo: str

    def seed_failing_run(self) -> RunRef:
        """A finished, failed run with three jobs: ``flaky`` fails now and passes when re-run,
        ``broken`` fails every time with a log containing :data:`BROKEN_LOG_LINE`, and
        ``passing`` passes."""

    def failure_delivery(self, run: RunRef) -> SignedDelivery:
        """The signed webhook the provider sends when *run* finished failing."""

    def rerun_count(self, run: RunRef) -> int:
        """How many times the fake saw *run* (or its jobs) re-run."""

    def jobs_rerun(self, run: RunRef) -> set[str]:
        """Names of the jobs of *run* that were re-run at least once."""

    def issues(self) -> list[Mapping[str, Any]]:
        """Issues of the repository: dicts with ``title``, ``body``, ``labels`` (names) and
        ``comments`` (bodies)."""

    def change_requests(self) -> list[Mapping[str, Any]]:
        """Change requests: dicts with ``title``, ``source_branch``, ``target_branch``,
        ``labels`` and ``files`` (path → content on the source branch)."""

    def default_branch_file(self, path: str) -> str | None:
        """A file's content on the default branch (to check it was never written)."""

    # Optional: ``break_log_stream(job)`` makes the next download of *job*'s log stop half-way
    # (a truncated answer); harnesses without it skip that test.


class ProviderContract:
    """The behaviour every adapter must have.  Subclass and provide a ``harness`` fixture."""

    @pytest.fixture
    def harness(self) -> ProviderHarness:  # pragma: no cover - supplied by subclasses
        raise NotImplementedError("subclass ProviderContract and provide a harness fixture")

    @staticmethod
    def _needs(harness: ProviderHarness, *capabilities: Capability) -> None:
        missing = [c.value for c in capabilities if c not in harness.provider.capabilities]
        if missing:
            pytest.skip(f"{harness.provider.name} does not declare {', '.join(missing)}")

    # -- webhooks ------------------------------------------------------------------------------

    def test_signed_failure_delivery_verifies_and_parses(self, harness: ProviderHarness) -> None:
        run = harness.seed_failing_run()
        delivery = harness.failure_delivery(run)
        provider = harness.provider
        provider.verify_webhook(delivery.headers, delivery.body)
        payload = json.loads(delivery.body)
        event = provider.parse_event(
            delivery.event_type,
            payload,
            delivery_id=provider.delivery_id(delivery.headers, payload),
        )
        assert event is not None, "a failure delivery must parse into an event"
        assert event.is_failure
        assert event.run.repo == harness.repo
        assert event.run.run_id == run.run_id

    def test_tampered_delivery_is_rejected(self, harness: ProviderHarness) -> None:
        delivery = harness.failure_delivery(harness.seed_failing_run())
        with pytest.raises(SignatureError):
            harness.provider.verify_webhook(delivery.headers, delivery.body + b" ")
        with pytest.raises(SignatureError):
            harness.provider.verify_webhook({}, delivery.body)

    def test_redelivery_keeps_its_id(self, harness: ProviderHarness) -> None:
        run = harness.seed_failing_run()
        first = harness.failure_delivery(run)
        payload = json.loads(first.body)
        assert harness.provider.delivery_id(first.headers, payload) == harness.provider.delivery_id(
            dict(first.headers), dict(payload)
        )

    # -- reading -------------------------------------------------------------------------------

    def test_run_and_failed_jobs_of_the_latest_attempt(self, harness: ProviderHarness) -> None:
        seeded = harness.seed_failing_run()
        run = harness.provider.get_run(seeded.repo, seeded.run_id)
        assert run.failed and run.run_id == seeded.run_id
        jobs = {job.name: job for job in harness.provider.list_jobs(run)}
        assert {FLAKY_JOB, BROKEN_JOB, PASSING_JOB} <= set(jobs)
        assert jobs[FLAKY_JOB].failed and jobs[BROKEN_JOB].failed
        assert not jobs[PASSING_JOB].failed

    def test_job_log_streams_in_chunks(self, harness: ProviderHarness) -> None:
        run = harness.seed_failing_run()
        broken = next(j for j in harness.provider.list_jobs(run) if j.name == BROKEN_JOB)
        with harness.provider.open_log(broken) as chunks:
            data = b"".join(chunks)
        assert BROKEN_LOG_LINE.encode() in data

    def test_a_log_that_breaks_off_raises_a_provider_error_while_reading(
        self, harness: ProviderHarness
    ) -> None:
        run = harness.seed_failing_run()
        broken = next(j for j in harness.provider.list_jobs(run) if j.name == BROKEN_JOB)
        breaker = getattr(harness, "break_log_stream", None)
        if breaker is None:
            pytest.skip("the harness cannot break a log download half-way")
        breaker(broken)
        with harness.provider.open_log(broken) as chunks:
            try:
                data = b"".join(chunks)
            except ProviderError:
                return
        # no error: the adapter either marked the cut or recovered the log another way
        assert b"[ci-rescue]" in data or BROKEN_LOG_LINE.encode() in data

    def test_run_history_finds_the_run_by_sha(self, harness: ProviderHarness) -> None:
        self._needs(harness, Capability.RUN_HISTORY)
        run = harness.seed_failing_run()
        found = harness.provider.list_runs(harness.repo, sha=run.head_sha)
        assert run.run_id in {r.run_id for r in found}
        failed = harness.provider.list_runs(harness.repo, status="failed")
        assert all(r.failed for r in failed) and run.run_id in {r.run_id for r in failed}

    # -- writing -------------------------------------------------------------------------------

    def test_rerun_failed_jobs_reruns_only_failed_jobs(self, harness: ProviderHarness) -> None:
        self._needs(harness, Capability.RERUN_FAILED_JOBS)
        run = harness.seed_failing_run()
        harness.provider.rerun_failed_jobs(run)
        assert harness.rerun_count(run) >= 1
        assert harness.jobs_rerun(run) == {FLAKY_JOB, BROKEN_JOB}

    def test_rerun_one_chosen_job_reruns_only_it(self, harness: ProviderHarness) -> None:
        if not {Capability.RERUN_JOBS, Capability.RERUN_ONE_JOB} & harness.provider.capabilities:
            pytest.skip(f"{harness.provider.name} cannot re-run chosen jobs")
        run = harness.seed_failing_run()
        flaky = next(j for j in harness.provider.list_jobs(run) if j.name == FLAKY_JOB)
        harness.provider.rerun_jobs(run, [flaky.job_id])
        assert harness.jobs_rerun(run) == {FLAKY_JOB}

    def test_rerun_a_chosen_set_of_jobs(self, harness: ProviderHarness) -> None:
        self._needs(harness, Capability.RERUN_JOBS)
        run = harness.seed_failing_run()
        chosen = [j for j in harness.provider.list_jobs(run) if j.name in (FLAKY_JOB, BROKEN_JOB)]
        harness.provider.rerun_jobs(run, [job.job_id for job in chosen])
        assert harness.jobs_rerun(run) == {FLAKY_JOB, BROKEN_JOB}

    def test_issue_is_opened_once_then_commented(self, harness: ProviderHarness) -> None:
        self._needs(harness, Capability.ISSUES)
        marker = "<!-- ci-rescue:incident:contract -->"
        first = harness.provider.open_issue(
            harness.repo, title="CI failure", body=f"first\n{marker}", labels=["ci:auto-rescue"],
            marker=marker,
        )  # fmt: skip
        second = harness.provider.open_issue(
            harness.repo, title="CI failure", body=f"again\n{marker}", labels=["ci:auto-rescue"],
            marker=marker,
        )  # fmt: skip
        assert first.created and not second.created
        assert first.number == second.number
        [issue] = [i for i in harness.issues() if marker in i["body"]]
        assert "ci:auto-rescue" in issue["labels"]
        assert any("again" in comment for comment in issue["comments"])

    def test_change_request_with_a_file_edit_never_touches_the_base(
        self, harness: ProviderHarness
    ) -> None:
        self._needs(harness, Capability.CHANGE_REQUESTS)
        before = harness.default_branch_file("constraints.txt")
        change = harness.provider.open_change_request(
            harness.repo,
            branch="ci-rescue/pin-requests",
            title="Pin requests to 2.31.0",
            body="The 2.32.0 release broke the build.",
            edits=[FileEdit("constraints.txt", "requests==2.31.0\n")],
            labels=["ci:dep-pin"],
        )
        assert change.created and change.branch == "ci-rescue/pin-requests"
        [opened] = [c for c in harness.change_requests() if c["source_branch"] == change.branch]
        assert opened["files"]["constraints.txt"] == "requests==2.31.0\n"
        assert opened["target_branch"] != change.branch
        assert "ci:dep-pin" in opened["labels"]
        assert harness.default_branch_file("constraints.txt") == before
        again = harness.provider.open_change_request(
            harness.repo,
            branch="ci-rescue/pin-requests",
            title="Pin requests to 2.31.0",
            body="again",
            edits=[FileEdit("constraints.txt", "requests==2.31.0\n")],
        )
        assert not again.created and again.number == change.number

    def test_an_opened_change_request_is_open(self, harness: ProviderHarness) -> None:
        self._needs(harness, Capability.CHANGE_REQUESTS)
        self._needs(harness, Capability.CHANGE_REQUEST_STATE)
        change = harness.provider.open_change_request(
            harness.repo,
            branch="ci-rescue/quarantine-contract",
            title="Quarantine a flaky test",
            body="Contract test.",
            edits=[FileEdit(".ci-rescue/quarantine.yaml", "tests: []\n")],
        )
        state = harness.provider.change_request_state(harness.repo, change.number)
        assert state is ChangeRequestState.OPEN

    def test_missing_capabilities_are_refused_not_faked(self, harness: ProviderHarness) -> None:
        absent = set(Capability) - set(harness.provider.capabilities)
        calls: dict[Capability, Any] = {
            Capability.CANCEL: lambda run: harness.provider.cancel_run(run),
            Capability.TEST_REPORTS: lambda run: harness.provider.test_results(
                harness.provider.list_jobs(run)[0]
            ),
        }
        run = harness.seed_failing_run()
        for capability in sorted(absent & set(calls), key=lambda c: c.value):
            with pytest.raises(ProviderError):
                calls[capability](run)
