"""Issues, labels and issue comments of the simulator's model (GitHub semantics)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .models import CommentRecord, IssueRecord, LabelRecord, NotFoundError, RepoRecord, SimError
from .records import PullRecord
from .state import SimState

__all__ = [
    "add_comment",
    "add_issue_labels",
    "create_issue",
    "create_label",
    "ensure_label",
    "find_comment",
    "get_issue",
    "get_label",
    "list_issues",
    "new_issue",
    "remove_issue_label",
    "update_comment",
    "update_issue",
]

_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")
_DEFAULT_COLOR = "ededed"


def _validation(field: str, code: str, resource: str = "Issue", **extra: Any) -> SimError:
    error = {"resource": resource, "code": code, "field": field, **extra}
    return SimError(422, "Validation Failed", errors=[error])


def _text(payload: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = payload.get(key)
    if value is None:
        if required:
            raise _validation(key, "missing_field")
        return None
    if not isinstance(value, str):
        raise _validation(key, "invalid", value=value)
    return value


def _names(payload: dict[str, Any], key: str) -> list[str] | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _validation(key, "invalid", value=value)
    out: list[str] = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise _validation(key, "invalid", value=item)
        if name.lower() not in {n.lower() for n in out}:
            out.append(name)
    return out


def get_label(state: SimState, repo: RepoRecord, name: str) -> LabelRecord:
    """A label by (case-insensitive) name or ``NotFoundError``."""
    with state.lock:
        label = repo.labels.get(name.lower())
        if label is None:
            raise NotFoundError()
        return label


def create_label(state: SimState, repo: RepoRecord, payload: dict[str, Any]) -> LabelRecord:
    """``POST /repos/{o}/{r}/labels``: 422 when the name exists or the colour is malformed."""
    name = _text(payload, "name", required=True) or ""
    if not name.strip():
        raise _validation("name", "missing_field", resource="Label")
    color = _text(payload, "color") or _DEFAULT_COLOR
    color = color.removeprefix("#")
    if not _COLOR.match(color):
        raise _validation("color", "invalid", resource="Label", value=color)
    description = _text(payload, "description")
    with state.lock:
        if name.lower() in repo.labels:
            raise _validation("name", "already_exists", resource="Label")
        label = LabelRecord(next(state.label_ids), name, color.lower(), description)
        repo.labels[name.lower()] = label
        return label


def ensure_label(state: SimState, repo: RepoRecord, name: str) -> LabelRecord:
    """The label ``name``, created with GitHub's default grey when missing."""
    with state.lock:
        label = repo.labels.get(name.lower())
        if label is None:
            label = LabelRecord(next(state.label_ids), name, _DEFAULT_COLOR, None)
            repo.labels[name.lower()] = label
        return label


def _label_names(state: SimState, repo: RepoRecord, names: Sequence[str]) -> list[str]:
    return [ensure_label(state, repo, name).name for name in names]


def create_issue(
    state: SimState, repo: RepoRecord, payload: dict[str, Any], user: str
) -> IssueRecord:
    """``POST /repos/{o}/{r}/issues``: unknown labels are created, like GitHub does; without
    push access, labels and assignees are silently dropped, like GitHub does too."""
    title = _text(payload, "title", required=True) or ""
    if not title.strip():
        raise _validation("title", "missing_field")
    body = _text(payload, "body")
    labels = _names(payload, "labels") or []
    assignees = _names(payload, "assignees") or []
    assignee = _text(payload, "assignee")
    if assignee and assignee.lower() not in {a.lower() for a in assignees}:
        assignees.insert(0, assignee)
    if not state.push_access:
        labels, assignees = [], []
    with state.lock:
        return new_issue(
            state,
            repo,
            title=title,
            body=body,
            user=user,
            labels=_label_names(state, repo, labels),
            assignees=assignees,
        )


def new_issue(
    state: SimState,
    repo: RepoRecord,
    *,
    title: str,
    body: str | None,
    user: str,
    labels: Sequence[str] = (),
    assignees: Sequence[str] = (),
    pull: PullRecord | None = None,
) -> IssueRecord:
    """Store a new open issue (a pull request when ``pull`` is given) under the repository's
    next number, known users for ``user`` and ``assignees``; the caller holds ``state.lock``."""
    now = state.clock()
    number = repo.next_number
    repo.next_number += 1
    issue = IssueRecord(
        id=next(state.issue_ids),
        number=number,
        title=title,
        body=body,
        user=user,
        created_at=now,
        updated_at=now,
        labels=list(labels),
        assignees=list(assignees),
        pull=pull,
    )
    for login in [user, *assignees]:
        state.user_id(login)
    repo.issues[number] = issue
    return issue


def get_issue(state: SimState, repo: RepoRecord, number: int) -> IssueRecord:
    """Issue ``number`` or ``NotFoundError``."""
    with state.lock:
        issue = repo.issues.get(number)
        if issue is None:
            raise NotFoundError()
        return issue


def update_issue(
    state: SimState, repo: RepoRecord, number: int, payload: dict[str, Any], user: str
) -> IssueRecord:
    """``PATCH …/issues/{n}``: title, body, state, state_reason, labels and assignees."""
    title = _text(payload, "title")
    body_given = "body" in payload
    body = _text(payload, "body")
    new_state = _text(payload, "state")
    if new_state is not None and new_state not in ("open", "closed"):
        raise _validation("state", "invalid", value=new_state)
    reason = _text(payload, "state_reason")
    labels = _names(payload, "labels")
    assignees = _names(payload, "assignees")
    with state.lock:
        issue = get_issue(state, repo, number)
        now = state.clock()
        if title is not None:
            issue.title = title
        if body_given:
            issue.body = body
        if labels is not None:
            issue.labels = _label_names(state, repo, labels)
        if assignees is not None:
            issue.assignees = assignees
        if new_state == "closed" and issue.state != "closed":
            issue.state, issue.closed_at, issue.closed_by = "closed", now, user
            issue.state_reason = reason or "completed"
        elif new_state == "open" and issue.state != "open":
            issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.state_reason = reason or "reopened"
        elif reason is not None:
            issue.state_reason = reason
        issue.updated_at = now
        return issue


def add_issue_labels(
    state: SimState, repo: RepoRecord, number: int, names: Sequence[str], *, replace: bool
) -> IssueRecord:
    """``POST`` (add) or ``PUT`` (replace) ``…/issues/{n}/labels``."""
    with state.lock:
        issue = get_issue(state, repo, number)
        current = [] if replace else list(issue.labels)
        for name in _label_names(state, repo, names):
            if name.lower() not in {n.lower() for n in current}:
                current.append(name)
        issue.labels = current
        issue.updated_at = state.clock()
        return issue


def remove_issue_label(state: SimState, repo: RepoRecord, number: int, name: str) -> IssueRecord:
    """``DELETE …/issues/{n}/labels/{name}``: 404 when the issue lacks the label."""
    with state.lock:
        issue = get_issue(state, repo, number)
        kept = [n for n in issue.labels if n.lower() != name.lower()]
        if len(kept) == len(issue.labels):
            raise NotFoundError("Label does not exist")
        issue.labels = kept
        issue.updated_at = state.clock()
        return issue


def list_issues(state: SimState, repo: RepoRecord, query: dict[str, str]) -> list[IssueRecord]:
    """``GET /repos/{o}/{r}/issues`` filtering: state, labels (all must match), creator,
    assignee (``*``/``none``/login), sort (created, updated, comments) and direction."""
    wanted_state = query.get("state", "open")
    if wanted_state not in ("open", "closed", "all"):
        raise _validation("state", "invalid", value=wanted_state)
    labels = {n.strip().lower() for n in query.get("labels", "").split(",") if n.strip()}
    creator = query.get("creator", "").lower()
    assignee = query.get("assignee", "")
    with state.lock:
        out: list[IssueRecord] = []
        for issue in repo.issues.values():
            if wanted_state != "all" and issue.state != wanted_state:
                continue
            if not labels <= {n.lower() for n in issue.labels}:
                continue
            if creator and issue.user.lower() != creator:
                continue
            if assignee == "none" and issue.assignees:
                continue
            if assignee == "*" and not issue.assignees:
                continue
            if assignee not in ("", "*", "none") and assignee.lower() not in {
                a.lower() for a in issue.assignees
            }:
                continue
            out.append(issue)
    sort = query.get("sort", "created")
    descending = query.get("direction", "desc") != "asc"
    if sort == "updated":
        out.sort(key=lambda i: (i.updated_at, i.number), reverse=descending)
    elif sort == "comments":
        out.sort(key=lambda i: (len(i.comments), i.number), reverse=descending)
    else:
        out.sort(key=lambda i: (i.created_at, i.number), reverse=descending)
    return out


def add_comment(
    state: SimState, repo: RepoRecord, number: int, payload: dict[str, Any], user: str
) -> CommentRecord:
    """``POST …/issues/{n}/comments``."""
    body = _text(payload, "body", required=True) or ""
    if not body:
        raise _validation("body", "missing_field", resource="IssueComment")
    with state.lock:
        issue = get_issue(state, repo, number)
        now = state.clock()
        comment = CommentRecord(next(state.comment_ids), number, body, user, now, now)
        issue.comments.append(comment)
        issue.updated_at = now
        state.user_id(user)
        return comment


def find_comment(state: SimState, repo: RepoRecord, comment_id: int) -> CommentRecord:
    """Comment ``comment_id`` of any issue of ``repo`` or ``NotFoundError``."""
    with state.lock:
        for issue in repo.issues.values():
            for comment in issue.comments:
                if comment.id == comment_id:
                    return comment
        raise NotFoundError()


def update_comment(
    state: SimState, repo: RepoRecord, comment_id: int, payload: dict[str, Any]
) -> CommentRecord:
    """``PATCH /repos/{o}/{r}/issues/comments/{id}``."""
    body = _text(payload, "body", required=True) or ""
    with state.lock:
        comment = find_comment(state, repo, comment_id)
        comment.body = body
        comment.updated_at = state.clock()
        return comment
