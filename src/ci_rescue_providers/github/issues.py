"""Issues on GitHub: find the open incident issue by its marker, open one, or comment on it.

The incident's issue is found by the marker in its body. The labelled search is tried first
(few issues to read), but GitHub silently drops the labels of an issue opened by a token without
push access, so when it finds nothing the newest :data:`MARKER_SCAN_LIMIT` open issues are read
too — otherwise each failure of the run would open a new issue.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import github
import requests
from github.Repository import Repository

from ci_rescue_core.drafts import IssueDraft
from ci_rescue_core.provider import IssueRef
from ci_rescue_providers.github.errors import may_have_happened
from ci_rescue_providers.github.listing import listed

__all__ = ["MARKER_SCAN_LIMIT", "find_marked_issue", "open_issue"]

#: Newest open issues read for an incident marker when the labelled search finds nothing.
MARKER_SCAN_LIMIT = 300
#: Newest open issues read for an issue whose creation GitHub failed to confirm.
RECENT_SCAN_LIMIT = 20


def _open_issues(
    repository: Repository, limit: int, labels: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """The newest *limit* open issues (pull requests left out), as the list pages give them;
    a page is read only when the one before it has been gone through."""
    params = {"state": "open", "sort": "created", "direction": "desc"}
    if labels:
        params["labels"] = ",".join(labels)
    url = f"{repository.url}/issues"
    for data in listed(repository.requester, url, params=params, limit=limit):
        if not data.get("pull_request"):
            yield data


def find_marked_issue(
    repository: Repository, marker: str, labels: Sequence[str] = ()
) -> dict[str, Any] | None:
    """The open issue whose body carries *marker*: among those with *labels* first, then among
    the newest :data:`MARKER_SCAN_LIMIT` open issues, labelled or not."""
    searches = [tuple(labels), ()] if labels else [()]
    for wanted in searches:
        for data in _open_issues(repository, MARKER_SCAN_LIMIT, wanted):
            if marker in str(data.get("body") or ""):
                return data
    return None


def _created_issue(
    repository: Repository, *, title: str, body: str, marker: str | None
) -> dict[str, Any] | None:
    try:
        if marker:
            return find_marked_issue(repository, marker)
        for data in _open_issues(repository, RECENT_SCAN_LIMIT):
            if data.get("title") == title and (data.get("body") or "") == body:
                return data
    except (github.GithubException, requests.exceptions.RequestException):
        return None  # the first error is the one to report
    return None


def open_issue(repository: Repository, draft: IssueDraft) -> IssueRef:
    """Comment on the open issue carrying ``draft.marker``, or open a new one.

    When GitHub fails to confirm the new issue (5xx, lost answer), it is looked for before the
    error is raised: found, it is the one created.
    """
    title, body, marker = draft.title, draft.body, draft.marker
    if marker:
        data = find_marked_issue(repository, marker, draft.labels)
        if data is not None:
            number = int(data["number"])
            repository.get_issue(number).create_comment(body)
            return IssueRef(url=str(data.get("html_url") or ""), number=str(number), created=False)
    try:
        issue = repository.create_issue(
            title=title, body=body, labels=list(draft.labels), assignees=list(draft.assignees)
        )
    except (github.GithubException, requests.exceptions.RequestException) as exc:
        found = (
            _created_issue(repository, title=title, body=body, marker=marker)
            if may_have_happened(exc)
            else None
        )
        if found is None:
            raise
        return IssueRef(
            url=str(found.get("html_url") or ""), number=str(found["number"]), created=True
        )
    return IssueRef(url=issue.html_url, number=str(issue.number), created=True)
