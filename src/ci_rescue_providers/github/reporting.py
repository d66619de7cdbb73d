"""Reporting on GitHub: a check run with annotations, or a commit status and a PR comment.

Check runs need a GitHub App token (``checks: write``); GitHub refuses personal tokens with a
403. Then the report becomes a commit status on the head sha plus a comment on the run's pull
request, if it has one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import github
from github.GithubObject import NotSet
from github.Repository import Repository

from ci_rescue_core.errors import PayloadError
from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import Annotation

__all__ = [
    "ANNOTATIONS_PER_REQUEST",
    "CHECK_NAME",
    "annotate",
    "annotation_payload",
    "report_markdown",
]

CHECK_NAME = "ci-rescue"
#: GitHub takes at most this many annotations per check-run create or update request.
ANNOTATIONS_PER_REQUEST = 50
_MAX_TEXT = 65_535
_MAX_MESSAGE_BYTES = 64 * 1024
_MAX_COMMENT = 65_000
_MAX_STATUS_DESCRIPTION = 140


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def annotation_payload(annotation: Annotation) -> dict[str, Any]:
    """One annotation as the Checks API takes it (lengths cut to GitHub's limits)."""
    message = annotation.message.encode("utf-8")[: _MAX_MESSAGE_BYTES - 4].decode("utf-8", "ignore")
    out: dict[str, Any] = {
        "path": annotation.path,
        "start_line": annotation.start_line,
        "end_line": max(annotation.end_line, annotation.start_line),
        "annotation_level": annotation.level,
        "message": message or "(no message)",
    }
    if annotation.title:
        out["title"] = _cut(annotation.title, 255)
    return out


def report_markdown(title: str, summary: str, annotations: Sequence[Annotation]) -> str:
    """The report as a Markdown comment (used when no check run can be written)."""
    lines = [f"### {CHECK_NAME}: {title}", "", summary.strip(), ""]
    for index, note in enumerate(annotations):
        first = note.message.strip().splitlines()[0] if note.message.strip() else ""
        label = f"{note.title}: " if note.title else ""
        line = f"- **{note.level}** `{note.path}:{note.start_line}` — {label}{_cut(first, 300)}"
        if sum(len(x) + 1 for x in lines) + len(line) > _MAX_COMMENT:
            lines.append(f"- …and {len(annotations) - index} more")
            break
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def _batches(annotations: Sequence[Annotation]) -> list[list[dict[str, Any]]]:
    payloads = [annotation_payload(a) for a in annotations]
    step = ANNOTATIONS_PER_REQUEST
    return [payloads[i : i + step] for i in range(0, len(payloads), step)] or [[]]


def _refused(exc: github.GithubException) -> bool:
    """A 403 that is a missing permission (not a rate limit)."""
    return exc.status == 403 and not isinstance(exc, github.RateLimitExceededException)


def annotate(
    repo: Repository,
    run: RunRef,
    *,
    title: str,
    summary: str,
    annotations: Sequence[Annotation],
    open_pulls: Callable[[], Sequence[int]],
) -> str:
    """Report on *run*'s head commit; returns the URL of the check run, or of the fallback's
    comment (the commit's page when there is no pull request).

    :param open_pulls: the run's pull-request numbers, looked up only for the fallback.
    """
    if not run.head_sha:
        raise PayloadError(f"run {run.run_id} of {run.repo} has no head sha to annotate")
    batches = _batches(annotations)
    text = _cut(summary, _MAX_TEXT)
    heading = _cut(title, 255)
    try:
        check = repo.create_check_run(
            name=CHECK_NAME,
            head_sha=run.head_sha,
            status="completed",
            conclusion="neutral",
            details_url=run.url or NotSet,
            external_id=run.key,
            output={"title": heading, "summary": text, "annotations": batches[0]},
        )
    except github.GithubException as exc:
        if not _refused(exc):
            raise
        return _status_and_comment(repo, run, title, summary, annotations, open_pulls)
    for batch in batches[1:]:
        check.edit(output={"title": heading, "summary": text, "annotations": batch})
    return check.html_url


def _status_and_comment(
    repo: Repository,
    run: RunRef,
    title: str,
    summary: str,
    annotations: Sequence[Annotation],
    open_pulls: Callable[[], Sequence[int]],
) -> str:
    commit = repo.get_commit(run.head_sha)
    commit.create_status(
        state="failure" if run.failed else "success",
        target_url=run.url or NotSet,
        description=_cut(title, _MAX_STATUS_DESCRIPTION),
        context=CHECK_NAME,
    )
    numbers = list(open_pulls())
    if not numbers:
        return f"{repo.html_url}/commit/{run.head_sha}"
    issue = repo.get_issue(numbers[0])
    return issue.create_comment(report_markdown(title, summary, annotations)).html_url
