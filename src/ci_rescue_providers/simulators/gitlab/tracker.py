"""Issues, merge requests, labels and notes of the simulated projects."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .models import (
    IssueRecord,
    LabelRecord,
    MergeRequestRecord,
    NoteRecord,
    NotFoundError,
    ProjectRecord,
    SimError,
)
from .state import SimState

__all__ = ["DEFAULT_LABEL_COLOR", "Tracker", "split_labels"]

#: The colour GitLab gives a label created implicitly by naming it on an issue or MR.
DEFAULT_LABEL_COLOR = "#6699cc"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_NAMED_COLORS = frozenset({"red", "green", "blue", "orange", "purple", "gray", "grey", "black"})


def split_labels(value: object) -> list[str]:
    """Labels from a request: a comma-separated string or a list of names."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise SimError(400, "labels is invalid")
    return [str(item).strip() for item in items if str(item).strip()]


class Tracker:
    """Issue, merge request, label and note operations on a :class:`SimState`."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    # -- labels --------------------------------------------------------------------------------

    def create_label(
        self, project: ProjectRecord, name: str, color: str, description: str | None = None
    ) -> LabelRecord:
        """A new label (409 when it exists; 400 when the colour is not ``#RRGGBB``)."""
        if not name.strip():
            raise SimError(400, {"name": ["can't be blank"]})
        if not (_COLOR.match(color) or color.lower() in _NAMED_COLORS):
            raise SimError(
                400,
                {"color": ["must be a valid color code"]},
            )
        if name.lower() in {n.lower() for n in project.labels}:
            raise SimError(409, "Label already exists")
        label = LabelRecord(self.state.next_id("label"), name, color, description)
        project.labels[name] = label
        return label

    def ensure_labels(self, project: ProjectRecord, names: Sequence[str]) -> list[str]:
        """Create labels named on an issue or MR that do not exist yet (default colour)."""
        known = {n.lower(): n for n in project.labels}
        out = []
        for name in names:
            if name.lower() not in known:
                self.create_label(project, name, DEFAULT_LABEL_COLOR)
                known[name.lower()] = name
            out.append(known[name.lower()])
        return list(dict.fromkeys(out))

    # -- issues --------------------------------------------------------------------------------

    def create_issue(
        self,
        project: ProjectRecord,
        *,
        title: str,
        description: str,
        labels: Sequence[str],
        assignee_ids: Sequence[int],
    ) -> IssueRecord:
        """A new open issue authored by the bot."""
        if not title.strip():
            raise SimError(400, "title is missing")
        for user_id in assignee_ids:
            if user_id not in self.state.users:
                raise SimError(404, "404 User Not Found")
        issue = IssueRecord(
            id=self.state.next_id("issue", start=9001),
            iid=project.next_issue_iid,
            title=title,
            description=description,
            labels=self.ensure_labels(project, labels),
            assignee_ids=list(assignee_ids),
            author=self.state.bot,
            created_at=self.state.now(),
        )
        project.next_issue_iid += 1
        project.issues[issue.iid] = issue
        return issue

    def issue(self, project: ProjectRecord, iid: int) -> IssueRecord:
        """An issue by iid or 404."""
        found = project.issues.get(iid)
        if found is None:
            raise NotFoundError()
        return found

    # -- merge requests ------------------------------------------------------------------------

    def create_merge_request(
        self,
        project: ProjectRecord,
        *,
        source_branch: str,
        target_branch: str,
        title: str,
        description: str,
        labels: Sequence[str],
        remove_source_branch: bool,
        assignee_ids: Sequence[int] = (),
        reviewer_ids: Sequence[int] = (),
    ) -> MergeRequestRecord:
        """A new merge request (409 when one is already open for the same branches)."""
        if not title.strip():
            raise SimError(400, "title is missing")
        for branch in (source_branch, target_branch):
            if branch not in project.branches:
                raise SimError(404, f"404 Branch {branch} Not Found")
        if source_branch == target_branch:
            raise SimError(
                400, {"base": ["You can't use same project/branch for source and target"]}
            )
        for mr in project.merge_requests.values():
            if (
                mr.state == "opened"
                and mr.source_branch == source_branch
                and mr.target_branch == target_branch
            ):
                raise SimError(
                    409,
                    [
                        "Another open merge request already exists for this source branch: "
                        f"!{mr.iid}"
                    ],
                )
        mr = MergeRequestRecord(
            id=self.state.next_id("merge_request", start=7001),
            iid=project.next_mr_iid,
            title=title,
            description=description,
            source_branch=source_branch,
            target_branch=target_branch,
            labels=self.ensure_labels(project, labels),
            author=self.state.bot,
            created_at=self.state.now(),
            remove_source_branch=remove_source_branch,
            assignee_ids=list(assignee_ids),
            reviewer_ids=list(reviewer_ids),
        )
        project.next_mr_iid += 1
        project.merge_requests[mr.iid] = mr
        return mr

    def merge_request(self, project: ProjectRecord, iid: int) -> MergeRequestRecord:
        """A merge request by iid or 404."""
        found = project.merge_requests.get(iid)
        if found is None:
            raise NotFoundError()
        return found

    def auto_merge(self, mr: MergeRequestRecord) -> MergeRequestRecord:
        """Set "merge when the pipeline succeeds" (the simulator never merges by itself)."""
        if mr.state != "opened":
            raise SimError(405, "405 Method Not Allowed")
        if mr.draft:
            raise SimError(406, "406 Branch cannot be merged")
        mr.merge_when_pipeline_succeeds = True
        return mr

    def set_state(self, mr: MergeRequestRecord, event: str) -> MergeRequestRecord:
        """``state_event`` of an update: ``close`` an open merge request, ``reopen`` a closed
        one (a merged one stays merged: 405)."""
        if mr.state == "merged" or event not in ("close", "reopen"):
            raise SimError(
                405 if mr.state == "merged" else 400, f"cannot {event} this merge request"
            )
        mr.state = "closed" if event == "close" else "opened"
        return mr

    def merge(self, project: ProjectRecord, mr: MergeRequestRecord) -> MergeRequestRecord:
        """Merge an open merge request as a reviewer would: its target branch moves to the
        source branch's commit (a fast-forward)."""
        if mr.state != "opened":
            raise SimError(405, "405 Method Not Allowed")
        source = project.branches.get(mr.source_branch)
        target = project.branches.get(mr.target_branch)
        if source is None or target is None:
            raise SimError(406, "406 Branch cannot be merged")
        target.sha = source.sha
        mr.state = "merged"
        return mr

    # -- notes ---------------------------------------------------------------------------------

    def add_note(self, target: IssueRecord | MergeRequestRecord, body: str) -> NoteRecord:
        """A comment by the bot on an issue or merge request."""
        if not body.strip():
            raise SimError(400, "body is missing")
        note = NoteRecord(
            id=self.state.next_id("note", start=30001),
            body=body,
            author=self.state.bot,
            created_at=self.state.now(),
            noteable_type="Issue" if isinstance(target, IssueRecord) else "MergeRequest",
            noteable_id=target.id,
            noteable_iid=target.iid,
        )
        target.notes.append(note)
        return note
