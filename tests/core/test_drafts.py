"""DraftedWrites: the protocol's write signatures once, keywords gathered into drafts."""

from __future__ import annotations

import inspect
from typing import Any

from ci_rescue_core.drafts import ChangeRequestDraft, DraftedWrites, IssueDraft
from ci_rescue_core.provider import ChangeRequestRef, FileEdit, IssueRef, Provider


class Recorder(DraftedWrites):
    """Keeps what the mixin hands over."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def submit_issue(self, repo: str, draft: IssueDraft) -> IssueRef:
        self.seen.append((repo, draft))
        return IssueRef(url="u", number="1", created=True)

    def submit_change_request(self, repo: str, draft: ChangeRequestDraft) -> ChangeRequestRef:
        self.seen.append((repo, draft))
        return ChangeRequestRef(url="u", number="2", branch=draft.branch)


def test_signatures_are_the_protocols() -> None:
    for method in ("open_issue", "open_change_request"):
        ours = inspect.signature(getattr(DraftedWrites, method))
        theirs = inspect.signature(getattr(Provider, method))
        assert ours == theirs


def test_open_issue_gathers_keywords_with_defaults() -> None:
    recorder = Recorder()
    recorder.open_issue("a/b", title="t", body="b", marker="<!-- m -->")
    assert recorder.seen == [
        ("a/b", IssueDraft(title="t", body="b", labels=(), assignees=(), marker="<!-- m -->"))
    ]


def test_open_change_request_gathers_keywords() -> None:
    recorder = Recorder()
    edits = [FileEdit("x", "1")]
    ref = recorder.open_change_request(
        "a/b", branch="fix", title="t", body="", edits=edits, labels=["ci"], auto_merge=True
    )
    assert ref.branch == "fix"
    repo, draft = recorder.seen[0]
    assert repo == "a/b"
    assert draft == ChangeRequestDraft(
        branch="fix", title="t", body="", edits=edits, labels=["ci"], auto_merge=True
    )


def test_submit_to_hands_the_same_keywords_to_another_provider() -> None:
    other = Recorder()
    issue = IssueDraft(title="t", body="b", labels=["x"], assignees=["@me"])
    change = ChangeRequestDraft(branch="fix", title="t", body="b", edits=[], draft=True)
    issue.submit_to(other, "o/r")  # a partial provider is enough
    change.submit_to(other, "o/r")
    assert other.seen == [("o/r", issue), ("o/r", change)]
