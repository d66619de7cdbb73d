"""JSON shapes of git data: refs, git commits, trees, blobs, REST commits, branches, contents.

Callers hold ``state.lock``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from .git import CommitObject, Entry, GitStore, Person
from .models import RepoRecord
from .payloads import Urls, node_id, ts

__all__ = [
    "LARGE_FILE_BYTES",
    "blob_json",
    "branch_json",
    "content_json",
    "git_commit_json",
    "ref_json",
    "rest_commit_json",
    "tree_json",
]

#: Files above this size come back from the contents API without their content (encoding
#: ``none``); read them through the blob API.
LARGE_FILE_BYTES = 1024 * 1024


def _node(kind: str, sha: str) -> str:
    return node_id(kind, int(sha[:12], 16))


def _person(person: Person) -> dict[str, Any]:
    return {"name": person.name, "email": person.email, "date": ts(person.date)}


def _b64(data: bytes) -> str:
    """Base64 wrapped at 60 characters, as GitHub sends it."""
    text = base64.b64encode(data).decode()
    return "\n".join(text[i : i + 60] for i in range(0, len(text), 60)) + "\n"


def ref_json(repo: RepoRecord, name: str, sha: str, urls: Urls) -> dict[str, Any]:
    """A git reference (``refs/heads/main``)."""
    return {
        "ref": name,
        "node_id": _node("REF", hashlib.sha1(f"{repo.id}:{name}".encode()).hexdigest()),
        "url": urls.repo(repo, f"/git/{quote(name)}"),
        "object": {
            "sha": sha,
            "type": "commit",
            "url": urls.repo(repo, f"/git/commits/{sha}"),
        },
    }


def git_commit_json(repo: RepoRecord, commit: CommitObject, urls: Urls) -> dict[str, Any]:
    """A git commit object (``GET/POST …/git/commits``)."""
    return {
        "sha": commit.sha,
        "node_id": _node("C", commit.sha),
        "url": urls.repo(repo, f"/git/commits/{commit.sha}"),
        "html_url": urls.html(f"/{repo.full_name}/commit/{commit.sha}"),
        "author": _person(commit.author),
        "committer": _person(commit.committer),
        "tree": {"sha": commit.tree, "url": urls.repo(repo, f"/git/trees/{commit.tree}")},
        "message": commit.message,
        "parents": [
            {
                "sha": p,
                "url": urls.repo(repo, f"/git/commits/{p}"),
                "html_url": urls.html(f"/{repo.full_name}/commit/{p}"),
            }
            for p in commit.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def _tree_item(
    repo: RepoRecord, git: GitStore, path: str, entry: Entry, urls: Urls
) -> dict[str, Any]:
    item: dict[str, Any] = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
    if entry.type == "blob":
        item["size"] = len(git.blobs[entry.sha])
        item["url"] = urls.repo(repo, f"/git/blobs/{entry.sha}")
    elif entry.type == "tree":
        item["url"] = urls.repo(repo, f"/git/trees/{entry.sha}")
    return item


def tree_json(repo: RepoRecord, sha: str, urls: Urls, *, recursive: bool) -> dict[str, Any]:
    """A tree, one level or (``recursive``) every entry below it."""
    git = repo.git
    if recursive:
        items = [_tree_item(repo, git, p, e, urls) for p, e in git.walk(sha)]
    else:
        items = [_tree_item(repo, git, n, e, urls) for n, e in sorted(git.trees[sha].items())]
    return {
        "sha": sha,
        "url": urls.repo(repo, f"/git/trees/{sha}"),
        "tree": items,
        "truncated": False,
    }


def blob_json(repo: RepoRecord, sha: str, urls: Urls) -> dict[str, Any]:
    """A blob with its content in base64."""
    data = repo.git.blobs[sha]
    return {
        "sha": sha,
        "node_id": _node("B", sha),
        "size": len(data),
        "url": urls.repo(repo, f"/git/blobs/{sha}"),
        "content": _b64(data),
        "encoding": "base64",
    }


def rest_commit_json(repo: RepoRecord, commit: CommitObject, urls: Urls) -> dict[str, Any]:
    """A commit as ``GET /repos/{o}/{r}/commits/{ref}`` returns it, files included."""
    git = repo.git
    parent_tree = git.commits[commit.parents[0]].tree if commit.parents else None
    files = []
    before = git.flatten(parent_tree) if parent_tree else {}
    after = git.flatten(commit.tree)
    for path in sorted(git.changed_paths(parent_tree, commit.tree)):
        status = "added" if path not in before else "removed" if path not in after else "modified"
        files.append(
            {
                "sha": (after.get(path) or before[path]).sha,
                "filename": path,
                "status": status,
                "additions": 0,
                "deletions": 0,
                "changes": 0,
                "blob_url": urls.html(f"/{repo.full_name}/blob/{commit.sha}/{path}"),
                "raw_url": urls.html(f"/{repo.full_name}/raw/{commit.sha}/{path}"),
                "contents_url": urls.repo(repo, f"/contents/{path}?ref={commit.sha}"),
            }
        )
    git_commit = git_commit_json(repo, commit, urls)
    return {
        "sha": commit.sha,
        "node_id": git_commit["node_id"],
        "commit": {
            "author": git_commit["author"],
            "committer": git_commit["committer"],
            "message": commit.message,
            "tree": git_commit["tree"],
            "url": git_commit["url"],
            "comment_count": 0,
            "verification": git_commit["verification"],
        },
        "url": urls.repo(repo, f"/commits/{commit.sha}"),
        "html_url": git_commit["html_url"],
        "comments_url": urls.repo(repo, f"/commits/{commit.sha}/comments"),
        "author": None,
        "committer": None,
        "parents": git_commit["parents"],
        "stats": {"total": 0, "additions": 0, "deletions": 0},
        "files": files,
    }


def branch_json(repo: RepoRecord, name: str, urls: Urls) -> dict[str, Any]:
    """A branch with its tip commit."""
    sha = repo.git.refs[f"refs/heads/{name}"]
    commit = rest_commit_json(repo, repo.git.commits[sha], urls)
    commit.pop("files")
    commit.pop("stats")
    return {
        "name": name,
        "commit": commit,
        "_links": {
            "self": urls.repo(repo, f"/branches/{quote(name)}"),
            "html": urls.html(f"/{repo.full_name}/tree/{quote(name)}"),
        },
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": {"enforcement_level": "off"}},
        "protection_url": urls.repo(repo, f"/branches/{quote(name)}/protection"),
    }


def content_json(
    repo: RepoRecord,
    path: str,
    entry: Entry,
    ref: str,
    urls: Urls,
    *,
    with_content: bool,
) -> dict[str, Any]:
    """A file or directory entry of the contents API (``with_content``: the file's own GET)."""
    name = path.rsplit("/", 1)[-1]
    is_dir = entry.type == "tree"
    self_url = urls.repo(repo, f"/contents/{quote(path)}?ref={quote(ref)}")
    git_url = urls.repo(repo, f"/git/{'trees' if is_dir else 'blobs'}/{entry.sha}")
    html_url = urls.html(f"/{repo.full_name}/{'tree' if is_dir else 'blob'}/{ref}/{path}")
    size = 0 if is_dir else len(repo.git.blobs.get(entry.sha, b""))
    out: dict[str, Any] = {
        "type": "dir" if is_dir else "symlink" if entry.mode == "120000" else "file",
        "size": size,
        "name": name,
        "path": path,
        "sha": entry.sha,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": None
        if is_dir
        else urls.html(f"/{repo.full_name}/raw/{quote(ref)}/{quote(path)}"),
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }
    if with_content and not is_dir:
        data = repo.git.blobs[entry.sha]
        if len(data) > LARGE_FILE_BYTES:
            out["content"], out["encoding"] = "", "none"
        else:
            out["content"], out["encoding"] = _b64(data), "base64"
    return out
