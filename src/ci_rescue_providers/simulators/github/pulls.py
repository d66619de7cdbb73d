"""Pull requests of the simulator's model: creation rules, filters and their JSON.

A pull request is an issue with a ``pull`` record, as on GitHub: it shares the issue numbers,
labels and comments. Callers hold ``state.lock`` while rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import NotFoundError, SimError
from .issues import new_issue
from .models import IssueRecord, RepoRecord
from .payloads import Urls, issue_json, node_id, repo_json, ts, user_json
from .records import PullRecord
from .state import SimState

__all__ = [
    "changed_files",
    "create_pull",
    "get_pull",
    "head_sha",
    "list_pulls",
    "pull_json",
    "pulls_of_commit",
]


def _validation(field: str, code: str = "invalid", **extra: Any) -> SimError:
    error = {"resource": "PullRequest", "field": field, "code": code, **extra}
    return SimError(422, "Validation Failed", errors=[error])


def head_sha(repo: RepoRecord, pull: PullRecord) -> str:
    """The pull's head commit: its branch's tip (a fork's pull keeps its recorded sha)."""
    if pull.head_repo.lower() == repo.full_name.lower():
        tip = repo.git.branch(pull.head_ref)
        if tip is not None:
            return tip
    return pull.head_sha or pull.base_sha


def get_pull(state: SimState, repo: RepoRecord, number: int) -> IssueRecord:
    """The issue record of pull request *number*, or 404."""
    with state.lock:
        issue = repo.issues.get(number)
        if issue is None or issue.pull is None:
            raise NotFoundError()
        return issue


def create_pull(
    state: SimState, repo: RepoRecord, payload: Mapping[str, Any], user: str
) -> IssueRecord:
    """``POST /repos/{o}/{r}/pulls``: head and base must exist, differ, and have no open pull."""
    title, head, base = payload.get("title"), payload.get("head"), payload.get("base")
    if not isinstance(title, str) or not title.strip():
        raise _validation("title", "missing_field")
    if not isinstance(head, str) or not head:
        raise _validation("head", "missing_field")
    if not isinstance(base, str) or not base:
        raise _validation("base", "missing_field")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise _validation("body")
    owner, sep, head_ref = head.partition(":")
    if not sep:
        owner, head_ref = repo.owner, head
    if owner.lower() != repo.owner.lower():
        raise _validation("head", message=f"head repository {owner!r} is not simulated")
    with state.lock:
        git = repo.git
        base_sha = git.branch(base)
        if base_sha is None:
            raise _validation("base")
        tip = git.branch(head_ref)
        if tip is None:
            raise _validation("head")
        for other in repo.issues.values():
            pull = other.pull
            if (
                pull is not None
                and other.state == "open"
                and pull.head_ref == head_ref
                and pull.base_ref == base
                and pull.head_repo.lower() == repo.full_name.lower()
            ):
                message = f"A pull request already exists for {repo.owner}:{head_ref}."
                raise SimError(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "PullRequest", "code": "custom", "message": message}],
                )
        if tip in git.ancestors(base_sha):
            raise SimError(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"No commits between {base} and {head_ref}",
                    }
                ],
            )
        pull = PullRecord(
            id=next(state.pull_ids),
            head_ref=head_ref,
            base_ref=base,
            base_sha=base_sha,
            head_repo=repo.full_name,
            draft=bool(payload.get("draft", False)),
        )
        return new_issue(state, repo, title=title, body=body, user=user, pull=pull)


def list_pulls(state: SimState, repo: RepoRecord, query: Mapping[str, str]) -> list[IssueRecord]:
    """``GET …/pulls`` filtering: state, head (``owner:branch``), base; newest first."""
    wanted = query.get("state", "open")
    if wanted not in ("open", "closed", "all"):
        raise _validation("state", value=wanted)
    head, base = query.get("head", ""), query.get("base", "")
    with state.lock:
        out = []
        for issue in repo.issues.values():
            pull = issue.pull
            if pull is None or (wanted != "all" and issue.state != wanted):
                continue
            if base and pull.base_ref != base:
                continue
            if head:
                owner, _, ref = head.partition(":")
                head_owner = pull.head_repo.split("/")[0]
                if not ref or owner.lower() != head_owner.lower() or ref != pull.head_ref:
                    continue
            out.append(issue)
    descending = query.get("direction", "desc") != "asc"
    out.sort(key=lambda i: (i.created_at, i.number), reverse=descending)
    return out


def pulls_of_commit(state: SimState, repo: RepoRecord, sha: str) -> list[IssueRecord]:
    """``GET …/commits/{sha}/pulls``: open pulls whose commits include *sha* (fork pulls by
    their head), and merged pulls whose merge commit it is."""
    sha = sha.lower()
    with state.lock:
        found = []
        for issue in sorted(repo.issues.values(), key=lambda i: i.number):
            pull = issue.pull
            if pull is None:
                continue
            if pull.merged and pull.merge_commit_sha == sha:
                found.append(issue)
                continue
            if issue.state != "open":
                continue
            head = head_sha(repo, pull)
            own = pull.head_repo.lower() == repo.full_name.lower()
            commits = (
                repo.git.ancestors(head) - repo.git.ancestors(pull.base_sha) if own else {head}
            )
            if sha in commits:
                found.append(issue)
        return found


def changed_files(repo: RepoRecord, pull: PullRecord) -> dict[str, bytes | None]:
    """Files the pull changes against its base: new content, or ``None`` when deleted."""
    git = repo.git
    head = head_sha(repo, pull)
    if head not in git.commits:
        return {}
    base_tree = git.commits[pull.base_sha].tree
    head_tree = git.commits[head].tree
    return {p: git.read(head, p) for p in sorted(git.changed_paths(base_tree, head_tree))}


def _side(
    state: SimState, repo: RepoRecord, full_name: str, ref: str, sha: str, urls: Urls
) -> dict[str, Any]:
    side_repo = state.repos.get(full_name.lower(), repo)
    return {
        "label": f"{side_repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_json(state, side_repo.owner, urls, kind=side_repo.owner_type),
        "repo": repo_json(state, side_repo, urls, full=True),
    }


def pull_json(state: SimState, repo: RepoRecord, issue: IssueRecord, urls: Urls) -> dict[str, Any]:
    """A pull request as ``GET /repos/{o}/{r}/pulls/{n}`` returns it."""
    pull = issue.pull
    assert pull is not None
    base = issue_json(state, repo, issue, urls)
    url = urls.repo(repo, f"/pulls/{issue.number}")
    html = urls.html(f"/{repo.full_name}/pull/{issue.number}")
    head = head_sha(repo, pull)
    auto_merge = None
    if pull.auto_merge is not None:
        auto_merge = dict(pull.auto_merge)
        auto_merge["enabled_by"] = user_json(state, auto_merge["enabled_by"], urls)
    return {
        "url": url,
        "id": pull.id,
        "node_id": node_id("PR", pull.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": urls.repo(repo, f"/issues/{issue.number}"),
        "number": issue.number,
        "state": issue.state,
        "locked": issue.locked,
        "title": issue.title,
        "user": base["user"],
        "body": issue.body,
        "labels": base["labels"],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": ts(issue.created_at),
        "updated_at": ts(issue.updated_at),
        "closed_at": ts(issue.closed_at),
        "merged_at": ts(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": base["assignee"],
        "assignees": base["assignees"],
        "requested_reviewers": [],
        "requested_teams": [],
        "draft": pull.draft,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": urls.repo(repo, "/pulls/comments{/number}"),
        "comments_url": urls.repo(repo, f"/issues/{issue.number}/comments"),
        "statuses_url": urls.repo(repo, f"/statuses/{head}"),
        "head": _side(state, repo, pull.head_repo, pull.head_ref, head, urls),
        "base": _side(state, repo, repo.full_name, pull.base_ref, pull.base_sha, urls),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "issue": {"href": urls.repo(repo, f"/issues/{issue.number}")},
            "comments": {"href": urls.repo(repo, f"/issues/{issue.number}/comments")},
            "statuses": {"href": urls.repo(repo, f"/statuses/{head}")},
        },
        "author_association": "NONE",
        "auto_merge": auto_merge,
        "merged": pull.merged,
        "mergeable": None if pull.merged else True,
        "rebaseable": None if pull.merged else True,
        "mergeable_state": "unknown" if pull.merged else "clean",
        "merged_by": user_json(state, pull.merged_by, urls) if pull.merged_by else None,
        "comments": len(issue.comments),
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": len(changed_files(repo, pull)),
    }
