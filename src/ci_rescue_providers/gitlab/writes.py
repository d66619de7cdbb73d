"""GitLab writes: merge requests with commits, issues with labels, notes, commit comments.

Each function takes python-gitlab objects and returns ci-rescue models; the adapter calls them
inside its exception translation.  Safety rules (DESIGN "Safety") enforced here: a change goes
to a **new** branch created by the commit itself (``start_branch``), never to the base or any
existing branch; an open merge request from the same branch is reused, not duplicated; a
branch whose merge request could not be opened is deleted again, so nothing is left
half-written.

Writes are never sent twice (see :mod:`ci_rescue_providers.gitlab.factory`).  When GitLab fails
to confirm one (a 5xx, a lost answer), the step that creates something — the commit's branch,
the merge request, the issue — looks for it before failing: found, it is used as created.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import gitlab
import gitlab.exceptions as glexc
import requests
from gitlab.v4.objects import Project, ProjectIssue, ProjectMergeRequest

from ci_rescue_core.drafts import ChangeRequestDraft, IssueDraft
from ci_rescue_core.errors import PayloadError, WriteRefusedError
from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import Annotation, ChangeRequestRef, FileEdit, IssueRef
from ci_rescue_providers.gitlab.errors import may_have_happened

#: Colours for labels ci-rescue creates (GitLab wants ``#RRGGBB``).
LABEL_PALETTE = ("#D9534F", "#F0AD4E", "#5CB85C", "#5BC0DE", "#428BCA", "#8E44AD", "#34495E")
#: Annotations listed in one commit comment; the rest are counted.
MAX_LISTED_ANNOTATIONS = 50
#: Newest open issues searched for an incident marker when the labelled search finds nothing.
MARKER_SCAN_LIMIT = 300
#: Newest open issues searched for an issue whose creation GitLab failed to confirm.
RECENT_SCAN_LIMIT = 20

_T = TypeVar("_T")


def _look_up(find: Callable[[], _T]) -> _T | None:
    """*find*'s answer, or ``None`` when the look-up itself fails (the first error matters)."""
    try:
        return find()
    except (glexc.GitlabError, requests.exceptions.RequestException):
        return None


def label_color(name: str) -> str:
    """A stable ``#RRGGBB`` colour for label *name*."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return LABEL_PALETTE[digest[0] % len(LABEL_PALETTE)]


def ensure_labels(project: Project, labels: Sequence[str]) -> None:
    """Create the project labels in *labels* that do not exist yet, with a ``#RRGGBB`` colour."""
    if not labels:
        return
    existing = {str(label.name).lower() for label in project.labels.list(get_all=True)}
    for name in dict.fromkeys(labels):
        if name.lower() in existing:
            continue
        try:
            project.labels.create({"name": name, "color": label_color(name)})
        except glexc.GitlabCreateError as exc:
            if exc.response_code != 409:  # created meanwhile by someone else: fine
                raise


def user_ids(gl: gitlab.Gitlab, usernames: Sequence[str]) -> list[int]:
    """GitLab user ids of *usernames* (``@name`` or ``name``); unknown names are skipped."""
    found: list[int] = []
    for raw in usernames:
        username = raw.lstrip("@").strip()
        if not username or "@" in username or "/" in username:
            continue  # e-mails and groups cannot be assignees
        for user in gl.users.list(username=username, get_all=True):
            found.append(int(user.id))
    return list(dict.fromkeys(found))


def open_issue(gl: gitlab.Gitlab, project: Project, draft: IssueDraft) -> IssueRef:
    """Open an issue, or add a note to the open issue whose description carries
    ``draft.marker``.

    When GitLab fails to confirm the new issue, it is looked for (by *marker*, else by title
    and description among the newest open issues) before the error is raised.
    """
    title, body, marker, labels = draft.title, draft.body, draft.marker, draft.labels
    if marker:
        existing = find_marked_issue(project, marker, labels)
        if existing is not None:
            existing.notes.create({"body": body})
            return IssueRef(url=str(existing.web_url), number=str(existing.iid), created=False)
    ensure_labels(project, labels)
    data: dict[str, Any] = {"title": title, "description": body, "labels": list(labels)}
    ids = user_ids(gl, draft.assignees)
    if ids:
        data["assignee_ids"] = ids
    try:
        created = project.issues.create(data)
    except Exception as exc:
        if not may_have_happened(exc):
            raise
        found = _look_up(lambda: _created_issue(project, title=title, body=body, marker=marker))
        if found is None:
            raise
        created = found
    return IssueRef(url=str(created.web_url), number=str(created.iid), created=True)


def _newest_open_issues(project: Project, limit: int, **filters: Any) -> Iterator[ProjectIssue]:
    """The newest *limit* open issues, a page read only when the one before is gone through."""
    issues = project.issues.list(
        iterator=True, state="opened", order_by="created_at", sort="desc", **filters
    )
    return itertools.islice(issues, limit)


def find_marked_issue(
    project: Project, marker: str, labels: Sequence[str] = ()
) -> ProjectIssue | None:
    """The open issue whose description carries *marker*.

    Issues with *labels* are searched first; when none carries the marker, the newest
    :data:`MARKER_SCAN_LIMIT` open issues are, since GitLab silently drops the labels of an
    issue opened by a token that may not set them (below the Reporter role).
    """
    searches: list[dict[str, Any]] = [{"labels": list(labels)}] if labels else []
    searches.append({})
    for filters in searches:
        for issue in _newest_open_issues(project, MARKER_SCAN_LIMIT, **filters):
            if marker in str(issue.description or ""):
                return issue
    return None


def _created_issue(
    project: Project, *, title: str, body: str, marker: str | None
) -> ProjectIssue | None:
    if marker:
        return find_marked_issue(project, marker)
    for issue in _newest_open_issues(project, RECENT_SCAN_LIMIT):
        if str(issue.title) == title and str(issue.description or "") == body:
            return issue
    return None


def _branch_exists(project: Project, branch: str) -> bool:
    try:
        project.branches.get(branch)
    except glexc.GitlabGetError as exc:
        if exc.response_code == 404:
            return False
        raise
    return True


def _file_exists(project: Project, path: str, ref: str) -> bool:
    try:
        project.files.head(path, ref=ref)
    except glexc.GitlabHeadError as exc:
        if exc.response_code == 404:
            return False
        raise
    return True


def _actions(project: Project, edits: Sequence[FileEdit], base: str) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    for edit in edits:
        path = edit.path.strip().lstrip("/")
        if not path or ".." in path.split("/"):
            raise PayloadError(f"invalid file path in a change request: {edit.path!r}")
        exists = _file_exists(project, path, base)
        if edit.content is None:
            if exists:
                actions.append({"action": "delete", "file_path": path})
            continue
        actions.append(
            {
                "action": "update" if exists else "create",
                "file_path": path,
                "content": edit.content,
                "encoding": "text",
            }
        )
    return actions


def open_change_request(project: Project, request: ChangeRequestDraft) -> ChangeRequestRef:
    """Commit ``request.edits`` to a new ``request.branch`` off ``request.base`` and open a
    merge request from it."""
    branch, title, body, draft = request.branch, request.title, request.body, request.draft
    target = request.base or str(project.default_branch)
    if not branch or branch in (target, str(project.default_branch)):
        raise WriteRefusedError(
            f"refusing to write to {branch!r}: changes go to a new branch, never to "
            f"{target!r} or the default branch"
        )
    existing = _open_merge_request(project, branch)
    if existing is not None:
        return _change_ref(existing, branch, created=False)
    if _branch_exists(project, branch):
        raise WriteRefusedError(
            f"branch {branch!r} already exists in {project.path_with_namespace} without an "
            "open merge request; ci-rescue never writes to an existing branch"
        )
    actions = _actions(project, request.edits, target)
    if not actions:
        raise PayloadError(f"the change request {title!r} changes no file")
    _commit_to_new_branch(
        project,
        {
            "branch": branch,
            "start_branch": target,
            "commit_message": title if not body else f"{title}\n\n{body}",
            "actions": actions,
        },
    )
    try:
        ensure_labels(project, request.labels)
        mr = project.mergerequests.create(
            {
                "source_branch": branch,
                "target_branch": target,
                "title": f"Draft: {title}" if draft else title,
                "description": body,
                "labels": list(request.labels),
                "remove_source_branch": True,
            }
        )
    except BaseException as exc:
        found = None
        if isinstance(exc, Exception) and may_have_happened(exc):
            found = _look_up(lambda: _open_merge_request(project, branch))
        if found is None:
            _delete_branch(project, branch)
            raise
        mr = found  # GitLab failed to answer but opened it
    merging = False
    if request.auto_merge and not draft:
        merging = _ask_auto_merge(project, mr)
    return _change_ref(mr, branch, created=True, auto_merge=merging)


def _commit_to_new_branch(project: Project, data: dict[str, Any]) -> None:
    """The commit that creates the branch; when GitLab fails to confirm it, the branch (absent
    a moment ago) is looked for and, there, taken as made by it."""
    try:
        project.commits.create(data)
    except Exception as exc:
        if not may_have_happened(exc):
            raise
        if not _look_up(lambda: _branch_exists(project, str(data["branch"]))):
            raise


def _open_merge_request(project: Project, branch: str) -> ProjectMergeRequest | None:
    for mr in project.mergerequests.list(state="opened", source_branch=branch, get_all=True):
        return mr
    return None


def _delete_branch(project: Project, branch: str) -> None:
    with contextlib.suppress(glexc.GitlabError):  # the original error matters more
        project.branches.delete(branch)


def _ask_auto_merge(project: Project, mr: ProjectMergeRequest) -> bool:
    """Ask GitLab to merge when the pipeline succeeds; False when it declines.  When GitLab
    fails to confirm, the merge request says whether it took the request."""
    try:
        mr.merge(merge_when_pipeline_succeeds=True)
    except (glexc.GitlabMRClosedError, glexc.GitlabMROnBuildSuccessError) as exc:
        if exc.response_code in (405, 406, 409, 422):
            return False
        if may_have_happened(exc):
            fresh = _look_up(lambda: project.mergerequests.get(mr.iid))
            return fresh is not None and bool(fresh.attributes.get("merge_when_pipeline_succeeds"))
        raise
    return True


def _change_ref(
    mr: ProjectMergeRequest, branch: str, *, created: bool, auto_merge: bool | None = None
) -> ChangeRequestRef:
    merging = bool(mr.attributes.get("merge_when_pipeline_succeeds"))
    return ChangeRequestRef(
        url=str(mr.web_url),
        number=str(mr.iid),
        branch=branch,
        created=created,
        auto_merge=merging if auto_merge is None else auto_merge,
    )


def _note_target(project: Project, number: str) -> ProjectMergeRequest | ProjectIssue:
    text = number.strip()
    kind = text[:1] if text[:1] in ("!", "#") else ""
    iid = text[1:] if kind else text
    if not iid.isdigit():
        raise PayloadError(
            f"GitLab comment target must be a merge request or issue number "
            f"('!12', '#12' or '12'), got {number!r}"
        )
    if kind == "#":
        return project.issues.get(int(iid))
    try:
        return project.mergerequests.get(int(iid))
    except glexc.GitlabGetError as exc:
        if kind == "!" or exc.response_code != 404:
            raise
    return project.issues.get(int(iid))


def comment(project: Project, number: str, body: str) -> str:
    """Note on merge request (``!N`` or ``N``) or issue (``#N``, or ``N`` with no such MR)."""
    target = _note_target(project, number)
    note = target.notes.create({"body": body})
    return f"{target.web_url}#note_{note.id}"


def annotate(
    project: Project, run: RunRef, *, title: str, summary: str, annotations: Sequence[Annotation]
) -> str:
    """One comment on the run's commit: the summary, then the annotations as a list."""
    lines = [f"### {title}", "", summary.strip()]
    if annotations:
        lines += ["", "| level | where | message |", "|---|---|---|"]
        for item in annotations[:MAX_LISTED_ANNOTATIONS]:
            where = f"`{item.path}:{item.start_line}`"
            if item.end_line > item.start_line:
                where = f"`{item.path}:{item.start_line}-{item.end_line}`"
            message = " ".join(f"{item.title}: {item.message}".strip(": ").split())
            escaped = message.replace("|", "\\|")
            lines.append(f"| {item.level} | {where} | {escaped} |")
        hidden = len(annotations) - MAX_LISTED_ANNOTATIONS
        if hidden > 0:
            lines.append(f"\n…and {hidden} more.")
    commit = project.commits.get(run.head_sha, lazy=True)
    commit.comments.create({"note": "\n".join(lines)})
    return f"{project.web_url}/-/commit/{run.head_sha}"
