"""JSON shapes of the simulator: users, repositories, workflows, issues, labels, comments.

Every absolute URL is built on the simulator's ``base_url`` (API objects under ``/repos/...``,
web pages and avatars on the same host), so PyGithub accepts and follows them. Callers hold
``state.lock`` while rendering.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from .models import CommentRecord, IssueRecord, LabelRecord, RepoRecord, WorkflowRecord
from .state import SimState

__all__ = [
    "Urls",
    "comment_json",
    "issue_json",
    "label_json",
    "node_id",
    "organization_json",
    "rate_limit_json",
    "repo_json",
    "ts",
    "ts_ms",
    "user_json",
    "workflow_json",
]


class Urls:
    """Absolute URLs on the simulator: ``api("/repos/a/b")`` and ``html("/a/b")``.

    With a GitHub Enterprise layout (*base_url* ending in ``/api/v3``) web pages are at the
    host root, as on GHES.
    """

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.web = self.base.removesuffix("/api/v3")

    def api(self, path: str) -> str:
        """An API URL for ``path`` (which starts with ``/``)."""
        return self.base + path

    def html(self, path: str) -> str:
        """A web-page URL for ``path`` (same host; pages themselves are not served)."""
        return self.web + path

    def repo(self, repo: RepoRecord, suffix: str = "") -> str:
        """``/repos/{owner}/{name}{suffix}`` as an API URL."""
        return self.api(f"/repos/{repo.full_name}{suffix}")


def ts(moment: datetime | None) -> str | None:
    """GitHub's timestamp format: ``2025-04-07T12:57:33Z`` (UTC, whole seconds)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_ms(moment: datetime | None) -> str | None:
    """Step timestamps carry milliseconds in webhook payloads: ``…:26.000Z``."""
    text = ts(moment)
    return None if text is None else text[:-1] + ".000Z"


def node_id(kind: str, number: int) -> str:
    """An opaque GraphQL-style node id, stable for ``(kind, number)``."""
    raw = base64.b64encode(f"0:{kind}{number}".encode()).decode().rstrip("=")
    return f"{kind}_kw{raw}"


def user_json(
    state: SimState, login: str, urls: Urls, *, kind: str | None = None
) -> dict[str, Any]:
    """A user (or organization/bot) as embedded in other objects."""
    uid = state.user_id(login)
    user_type = kind or ("Bot" if login.endswith("[bot]") else "User")
    base = urls.api(f"/users/{quote(login)}")
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("U" if user_type != "Organization" else "O", uid),
        "avatar_url": urls.html(f"/_avatars/u/{uid}?v=4"),
        "gravatar_id": "",
        "url": base,
        "html_url": urls.html(f"/{quote(login)}"),
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": user_type,
        "user_view_type": "public",
        "site_admin": False,
    }


def organization_json(state: SimState, repo: RepoRecord, urls: Urls) -> dict[str, Any]:
    """The ``organization`` object of webhook payloads."""
    base = urls.api(f"/orgs/{repo.owner}")
    return {
        "login": repo.owner,
        "id": repo.owner_id,
        "node_id": node_id("O", repo.owner_id),
        "url": base,
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events",
        "hooks_url": f"{base}/hooks",
        "issues_url": f"{base}/issues",
        "members_url": f"{base}/members{{/member}}",
        "public_members_url": f"{base}/public_members{{/member}}",
        "avatar_url": urls.html(f"/_avatars/u/{repo.owner_id}?v=4"),
        "description": "",
    }


_REPO_LINKS = (
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
)


def repo_json(
    state: SimState, repo: RepoRecord, urls: Urls, *, full: bool = False, api: bool = False
) -> dict[str, Any]:
    """A repository: the short form embedded in runs, ``full`` for webhook ``repository`` and
    ``api`` (implies full) for ``GET /repos/{o}/{r}`` (adds ``permissions`` and counts)."""
    out: dict[str, Any] = {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user_json(state, repo.owner, urls, kind=repo.owner_type),
        "html_url": urls.html(f"/{repo.full_name}"),
        "description": repo.description,
        "fork": False,
        "url": urls.repo(repo),
    }
    for key, suffix in _REPO_LINKS:
        out[key] = urls.repo(repo, suffix)
    if not (full or api):
        return out
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    updated = max([repo.created_at, *(i.updated_at for i in repo.issues.values())])
    out.update(
        {
            "created_at": ts(repo.created_at),
            "updated_at": ts(updated),
            "pushed_at": ts(updated),
            "git_url": f"git://{urls.host}/{repo.full_name}.git",
            "ssh_url": f"git@{urls.host.split(':')[0]}:{repo.full_name}.git",
            "clone_url": urls.html(f"/{repo.full_name}.git"),
            "svn_url": urls.html(f"/{repo.full_name}"),
            "homepage": None,
            "size": 1024,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_issues,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
            "default_branch": repo.default_branch,
        }
    )
    if api:
        out["permissions"] = {
            "admin": False,
            "maintain": False,
            "push": True,
            "triage": True,
            "pull": True,
        }
        out["network_count"] = 0
        out["subscribers_count"] = 0
    return out


def workflow_json(repo: RepoRecord, workflow: WorkflowRecord, urls: Urls) -> dict[str, Any]:
    """A workflow (``GET …/actions/workflows/{id}`` and webhook ``workflow``)."""
    return {
        "id": workflow.id,
        "node_id": node_id("W", workflow.id),
        "name": workflow.name,
        "path": workflow.path,
        "state": "active",
        "created_at": ts(workflow.created_at),
        "updated_at": ts(workflow.created_at),
        "url": urls.repo(repo, f"/actions/workflows/{workflow.id}"),
        "html_url": urls.html(f"/{repo.full_name}/blob/{repo.default_branch}/{workflow.path}"),
        "badge_url": urls.html(f"/{repo.full_name}/workflows/{quote(workflow.name)}/badge.svg"),
    }


def label_json(repo: RepoRecord, label: LabelRecord, urls: Urls) -> dict[str, Any]:
    """A label."""
    return {
        "id": label.id,
        "node_id": node_id("LA", label.id),
        "url": urls.repo(repo, f"/labels/{quote(label.name, safe='')}"),
        "name": label.name,
        "color": label.color,
        "default": label.default,
        "description": label.description,
    }


def issue_json(state: SimState, repo: RepoRecord, issue: IssueRecord, urls: Urls) -> dict[str, Any]:
    """An issue."""
    url = urls.repo(repo, f"/issues/{issue.number}")
    labels = [
        label_json(repo, repo.labels[n.lower()], urls)
        for n in issue.labels
        if n.lower() in repo.labels
    ]
    assignees = [user_json(state, a, urls) for a in issue.assignees]
    out: dict[str, Any] = {
        "url": url,
        "repository_url": urls.repo(repo),
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": urls.html(f"/{repo.full_name}/issues/{issue.number}"),
        "id": issue.id,
        "node_id": node_id("I", issue.id),
        "number": issue.number,
        "title": issue.title,
        "user": user_json(state, issue.user, urls),
        "labels": labels,
        "state": issue.state,
        "locked": issue.locked,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": None,
        "comments": len(issue.comments),
        "created_at": ts(issue.created_at),
        "updated_at": ts(issue.updated_at),
        "closed_at": ts(issue.closed_at),
        "author_association": "NONE",
        "active_lock_reason": None,
        "body": issue.body,
        "closed_by": user_json(state, issue.closed_by, urls) if issue.closed_by else None,
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": issue.state_reason,
    }
    if issue.pull is not None:
        html = urls.html(f"/{repo.full_name}/pull/{issue.number}")
        out["pull_request"] = {
            "url": urls.repo(repo, f"/pulls/{issue.number}"),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": ts(issue.pull.merged_at),
        }
    return out


def comment_json(
    state: SimState, repo: RepoRecord, comment: CommentRecord, urls: Urls
) -> dict[str, Any]:
    """An issue comment."""
    issue_html = urls.html(f"/{repo.full_name}/issues/{comment.issue_number}")
    return {
        "url": urls.repo(repo, f"/issues/comments/{comment.id}"),
        "html_url": f"{issue_html}#issuecomment-{comment.id}",
        "issue_url": urls.repo(repo, f"/issues/{comment.issue_number}"),
        "id": comment.id,
        "node_id": node_id("IC", comment.id),
        "user": user_json(state, comment.user, urls),
        "created_at": ts(comment.created_at),
        "updated_at": ts(comment.updated_at),
        "author_association": "NONE",
        "body": comment.body,
        "performed_via_github_app": None,
    }


def rate_limit_json(limit: int, used: int, reset: int) -> dict[str, Any]:
    """``GET /rate_limit``."""
    core = {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}
    other = {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset}
    return {
        "resources": {
            "core": core,
            "search": {**other, "limit": 30, "remaining": 30},
            "graphql": dict(other),
            "integration_manifest": dict(other),
        },
        "rate": dict(core),
    }
