"""Evidence from the history of the failing job at the same commit.

- The same job passed on the same sha (another run, or an earlier attempt): the code did not
  change, so the failure is not the code's — strong evidence of flakiness.
- The same job failed on the same sha with the same fingerprint in other attempts and never
  passed there: it fails every time — evidence it is broken.

Both are job-wide.  For a failing test judged from its own history (``history_evidence``), core
leaves them out: that judgement already counted the same attempts, the job's passes included
(``ci_rescue_core.flake.verdict.SAME_COMMIT_KINDS``), so each observation counts once.  They
still speak for jobs whose log names no failing test.
"""

from __future__ import annotations

from ci_rescue_core.flake.history import History
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Diagnosis, Evidence, JobRef, Verdict


@hookimpl
def rescue_flake_evidence(job: JobRef, diagnosis: Diagnosis, history: History) -> list[Evidence]:
    """Compare the failed job with its other outcomes on the same sha."""
    run = job.run
    if not run.head_sha:
        return []
    others = [
        outcome
        for outcome in history.job_outcomes(run.repo, sha=run.head_sha, job_name=job.name)
        if (outcome.run_id, outcome.attempt) != (run.run_id, run.attempt)
    ]
    passes = [o for o in others if o.passed]
    if passes:
        where = ", ".join(f"run {o.run_id} attempt {o.attempt}" for o in passes[:3])
        return [
            Evidence(
                kind="same_sha_passed",
                supports=Verdict.FLAKY,
                strength=0.9,
                detail=f"{job.name} passed on the same commit {run.head_sha[:7]} ({where})",
                source="same_sha",
            )
        ]
    repeats = [o for o in others if o.fingerprint == diagnosis.fingerprint.hash]
    if repeats:
        return [
            Evidence(
                kind="same_sha_repeats",
                supports=Verdict.BROKEN,
                strength=min(0.5 + 0.25 * (len(repeats) - 1), 0.95),
                detail=f"{job.name} failed the same way {len(repeats) + 1} times on "
                f"{run.head_sha[:7]} and never passed there",
                source="same_sha",
            )
        ]
    return []
