"""CircleCI's pipelines, workflows and jobs as :class:`RunRef` and :class:`JobRef`.

How runs are modelled: a CircleCI re-run creates a **new workflow** (new id) in the same
pipeline.  ci-rescue's run is the *chain* of executions of one workflow name in one pipeline:

- ``run_id`` is the id of the chain's **first** workflow (stable across re-runs, like GitHub's
  run id), and ``attempt`` is the 1-based position of an execution in the chain (1 + the
  number of re-runs before it), ordered by creation time;
- ``run.key`` (``circleci:slug:first-id:attempt``) is therefore unique per execution, and the
  orchestrator's rules hold as they do for GitHub: an event for an execution older than the
  chain's newest is stale, and ``attempt - 1`` counts the re-runs spent against ``retry_max``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ci_rescue_core.models import Category, JobRef, RunRef
from ci_rescue_core.provider import TestResult

__all__ = [
    "PROVIDER",
    "TERMINAL_JOB_STATUSES",
    "TERMINAL_WORKFLOW_STATUSES",
    "canonical_slug",
    "case_id",
    "commit_of",
    "failure_reason",
    "job_from_api",
    "normalised",
    "parse_time",
    "repo_path",
    "run_from_api",
    "runner_of",
    "sort_chain",
    "test_result_from_api",
    "web_url",
]

PROVIDER = "circleci"
#: Workflow statuses after which nothing more happens.
TERMINAL_WORKFLOW_STATUSES = frozenset(
    {"success", "failed", "error", "canceled", "unauthorized", "not_run"}
)
#: Job statuses after which nothing more happens.
TERMINAL_JOB_STATUSES = frozenset(
    {
        "success",
        "failed",
        "error",
        "retried",
        "infrastructure_fail",
        "timedout",
        "canceled",
        "unauthorized",
        "not_run",
        "terminated-unknown",
    }
)
_ALIASES = {"github": "gh", "bitbucket": "bb"}
_LONG = {"gh": "github", "bb": "bitbucket"}
_SCP_URL = re.compile(r"^[\w.-]+@(?P<host>[^:/]+):(?P<path>.+)$")


def canonical_slug(slug: str) -> str:
    """The API's spelling of a project slug: ``github/org/repo`` → ``gh/org/repo``.

    Webhooks use the long spelling, the API the short one; ci-rescue keys everything on this.
    """
    head, sep, rest = slug.strip().strip("/").partition("/")
    return f"{_ALIASES.get(head.lower(), head)}{sep}{rest}"


def repo_path(url: str | None) -> str | None:
    """``org/repo`` (GitLab: ``group/sub/project``) from a repository URL, ``None`` if unclear.

    Accepts ``https://github.com/org/repo``, ``git@gitlab.com:group/project.git`` and the like.
    """
    if not url:
        return None
    text = url.strip()
    match = _SCP_URL.match(text)
    if match:
        path = match.group("path")
    elif "://" in text:
        path = text.split("://", 1)[1].partition("/")[2]
    else:
        return None
    path = path.split("?", 1)[0].split("#", 1)[0].strip("/")
    path = path.removesuffix(".git")
    return path if path.count("/") >= 1 else None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``…Z``) or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def normalised(raw: Any, terminal: frozenset[str]) -> tuple[str, str | None]:
    """``(status, conclusion)``: finished states become ``("completed", <raw status>)``, others
    keep their own status and no conclusion.  Unknown strings are carried, never rejected."""
    text = "" if raw is None else str(raw)
    if text in terminal:
        return "completed", text
    return text, None


def commit_of(pipeline: Mapping[str, Any]) -> tuple[str, str | None, str | None, tuple[int, ...]]:
    """``(sha, branch, repository URL, PR numbers)`` of a pipeline (API or webhook shape).

    ``vcs`` (OAuth projects) wins; ``trigger_parameters.git`` serves ``circleci/`` projects.
    """
    vcs = pipeline.get("vcs")
    if isinstance(vcs, Mapping) and vcs.get("revision"):
        review = str(vcs.get("review_id") or "")
        prs = (int(review),) if review.isdigit() else ()
        url = vcs.get("target_repository_url") or vcs.get("origin_repository_url")
        return (
            str(vcs["revision"]),
            str(vcs["branch"]) if vcs.get("branch") else None,
            str(url) if url else None,
            prs,
        )
    parameters = pipeline.get("trigger_parameters")
    if isinstance(parameters, Mapping):
        git = parameters.get("git")
        git = git if isinstance(git, Mapping) else {}
        url = git.get("checkout_url")
        for vendor in ("gitlab", "github_app"):
            block = parameters.get(vendor)
            if not url and isinstance(block, Mapping):
                url = block.get("web_url") or block.get("repo_url")
        return (
            str(git.get("checkout_sha") or ""),
            str(git["branch"]) if git.get("branch") else None,
            str(url) if url else None,
            (),
        )
    return "", None, None, ()


#: Job statuses that say why a job failed (CircleCI's own words, kept as ``failure_reason``).
REASON_STATUSES = frozenset({"infrastructure_fail", "timedout"})


def failure_reason(conclusion: str | None) -> str | None:
    """``infrastructure_fail`` / ``timedout`` as the job's failure reason; ``None`` otherwise."""
    return conclusion if conclusion in REASON_STATUSES else None


#: What CircleCI's own failure statuses say, on the category vocabulary.
REASON_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {"infrastructure_fail": Category.INFRA_NETWORK, "timedout": Category.TIMEOUT}
)


def failure_category(conclusion: str | None) -> Category | None:
    """The category CircleCI's status already tells (``None`` when only the log can)."""
    return REASON_CATEGORIES.get(conclusion or "")


def runner_of(details: Mapping[str, Any]) -> str | None:
    """``docker medium`` from a job's details (``executor.type`` and ``resource_class``)."""
    executor = details.get("executor")
    if not isinstance(executor, Mapping):
        return None
    parts = [str(executor[key]) for key in ("type", "resource_class") if executor.get(key)]
    return " ".join(parts) or None


def web_url(app_url: str, slug: str, pipeline_number: Any, workflow_id: str) -> str:
    """The web app's page of a workflow."""
    head, _, rest = slug.partition("/")
    long_slug = f"{_LONG.get(head, head)}/{rest}"
    return f"{app_url}/pipelines/{long_slug}/{pipeline_number}/workflows/{workflow_id}"


def sort_chain(workflows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Executions of one workflow, oldest first (creation time; the API lists newest first)."""
    oldest_first = list(reversed(workflows))
    return sorted(oldest_first, key=lambda w: str(w.get("created_at") or ""))


def run_from_api(
    *,
    slug: str,
    run_id: str,
    attempt: int,
    workflow: Mapping[str, Any],
    pipeline: Mapping[str, Any],
    app_url: str,
) -> RunRef:
    """A :class:`RunRef` of execution *attempt* (*workflow*) of the chain starting at *run_id*."""
    sha, branch, _, prs = commit_of(pipeline)
    status, conclusion = normalised(workflow.get("status"), TERMINAL_WORKFLOW_STATUSES)
    trigger = pipeline.get("trigger")
    return RunRef(
        provider=PROVIDER,
        repo=slug,
        run_id=run_id,
        attempt=attempt,
        workflow=str(workflow.get("name") or ""),
        head_sha=sha,
        head_branch=branch,
        event=str(trigger.get("type") or "") if isinstance(trigger, Mapping) else "",
        status=status,
        conclusion=conclusion,
        pr_numbers=prs,
        url=web_url(app_url, slug, pipeline.get("number"), str(workflow.get("id"))),
        created_at=parse_time(workflow.get("created_at")),
    )


def job_from_api(item: Mapping[str, Any], run: RunRef) -> JobRef:
    """A :class:`JobRef` from an item of ``GET /workflow/{id}/job``; ``job_id`` is the UUID."""
    status, conclusion = normalised(item.get("status"), TERMINAL_JOB_STATUSES)
    number = item.get("job_number")
    url = f"{run.url}/jobs/{number}" if number is not None and run.url else run.url
    return JobRef(
        failure_reason=failure_reason(conclusion),
        failure_category=failure_category(conclusion),
        run=run,
        job_id=str(item.get("id") or ""),
        name=str(item.get("name") or ""),
        status=status,
        conclusion=conclusion,
        started_at=parse_time(item.get("started_at")),
        completed_at=parse_time(item.get("stopped_at")),
        url=url,
    )


_OUTCOMES = {"success": "pass", "failure": "fail", "failed": "fail", "skipped": "skip"}


def case_id(item: Mapping[str, Any]) -> str:
    """A test id from a tests-endpoint item: ``file::Class::name`` when the file is known."""
    name = str(item.get("name") or "")
    file = str(item.get("file") or "")
    classname = str(item.get("classname") or "")
    if file:
        last = classname.rsplit(".", 1)[-1]
        parts = [file, last] if last[:1].isupper() else [file]
        return "::".join([*parts, name])
    return f"{classname}::{name}" if classname else name


def test_result_from_api(item: Mapping[str, Any]) -> TestResult:
    """A :class:`TestResult` from an item of ``GET /project/{slug}/{number}/tests``."""
    result = str(item.get("result") or "")
    run_time = item.get("run_time")
    return TestResult(
        test_id=case_id(item),
        outcome=_OUTCOMES.get(result, result),
        message=str(item.get("message") or ""),
        file=str(item["file"]) if item.get("file") else None,
        duration=float(run_time) if isinstance(run_time, (int, float)) else None,
    )
