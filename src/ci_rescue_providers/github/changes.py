"""Change requests on GitHub: one atomic commit on a new branch, then a pull request.

The git data API makes a multi-file change one commit: base branch tip → its commit → a tree
built on ``base_tree`` → a commit → ``refs/heads/<branch>`` → the pull request (labels, draft),
and auto-merge through GraphQL's ``enablePullRequestAutoMerge`` when asked. Nothing is ever
written to an existing branch; checks that can fail run before the first write, and a branch
whose pull request could not be opened is deleted again.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Sequence

import github
import requests
from github.GitRef import GitRef
from github.GitTreeElement import GitTreeElement
from github.InputGitTreeElement import InputGitTreeElement
from github.PullRequest import PullRequest
from github.Repository import Repository

from ci_rescue_core.drafts import ChangeRequestDraft
from ci_rescue_core.errors import PayloadError, PermissionDeniedError, WriteRefusedError
from ci_rescue_core.provider import ChangeRequestRef, FileEdit
from ci_rescue_providers.github.errors import may_have_happened

__all__ = ["WORKFLOWS_DIR", "open_change_request", "validate_request"]

WORKFLOWS_DIR = ".github/workflows/"
_BAD_REF = re.compile(r"(\.\.|[\x00-\x20~^:?*\[\\]|@\{|//|/\.|\.lock$|\.lock/|^/|/$|^\.|\.$)")


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def validate_request(branch: str, edits: Sequence[FileEdit]) -> None:
    """Refuse a bad branch name or bad edits before anything is sent.

    :raises PayloadError: naming the branch or the path.
    """
    if not branch or branch.startswith("-") or _BAD_REF.search(branch):
        raise PayloadError(f"{branch!r} is not a valid git branch name", field="branch")
    if not edits:
        raise PayloadError("a change request needs at least one file edit", field="edits")
    seen: set[str] = set()
    for edit in edits:
        parts = edit.path.split("/")
        if not edit.path or edit.path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise PayloadError(
                f"{edit.path!r} is not a repository-relative file path", field="edits.path"
            )
        if edit.path in seen:
            raise PayloadError(f"{edit.path!r} is edited twice", field="edits.path")
        seen.add(edit.path)


def _existing_pull(repo: Repository, owner: str, branch: str) -> PullRequest | None:
    for pull in repo.get_pulls(state="open", head=f"{owner}:{branch}"):
        head_repo = pull.head.repo
        if head_repo is None or head_repo.full_name.lower() == repo.full_name.lower():
            return pull
    return None


def _branch_exists(repo: Repository, branch: str) -> bool:
    try:
        repo.get_git_ref(f"heads/{branch}").object  # noqa: B018 - fetches the lazy ref
    except github.UnknownObjectException:
        return False
    return True


def _tree_elements(
    repo: Repository, tree_sha: str, edits: Sequence[FileEdit], base: str
) -> list[InputGitTreeElement]:
    """Tree entries for the edits that change something; keeps each file's mode."""
    tree = repo.get_git_tree(tree_sha, recursive=True)
    existing: dict[str, GitTreeElement] = {e.path: e for e in tree.tree if e.type == "blob"}
    complete = not tree.raw_data.get("truncated", False)
    elements: list[InputGitTreeElement] = []
    for edit in edits:
        current = existing.get(edit.path)
        if edit.content is None:
            if current is None and complete:
                continue  # deleting what is not there changes nothing
            elements.append(InputGitTreeElement(edit.path, "100644", "blob", sha=None))
            continue
        data = edit.content.encode("utf-8")
        if current is not None and current.sha == _git_blob_sha(data):
            continue
        mode = current.mode if current is not None else "100644"
        elements.append(InputGitTreeElement(edit.path, mode, "blob", content=edit.content))
    if not elements:
        raise PayloadError(
            f"the edits leave {base} of {repo.full_name} unchanged: nothing to propose",
            field="edits",
        )
    return elements


def _create_branch(repo: Repository, branch: str, sha: str) -> GitRef:
    """``refs/heads/<branch>`` at *sha*; when GitHub fails to answer, checks whether it exists."""
    try:
        return repo.create_git_ref(f"refs/heads/{branch}", sha)
    except (github.GithubException, requests.exceptions.RequestException) as exc:
        if not may_have_happened(exc):
            raise
        try:
            ref = repo.get_git_ref(f"heads/{branch}")
            created = ref.object.sha == sha
        except github.GithubException:
            created = False
        if not created:
            raise
        return ref


def _auto_merge(pull: PullRequest) -> bool:
    """Ask GitHub to merge *pull* once its checks pass; False when it refuses."""
    try:
        pull.enable_automerge(merge_method="SQUASH")
    except github.GithubException:
        return False
    return True


def open_change_request(
    repo: Repository,
    request: ChangeRequestDraft,
    *,
    may_write_workflows: Callable[[], bool | None],
    credentials: str,
) -> ChangeRequestRef:
    """Open a pull request from new branch ``request.branch`` off ``request.base`` with
    ``request.edits`` (see module doc).

    :raises WriteRefusedError: when *branch* exists without an open pull request from it, or is
        the base itself.
    :raises PermissionDeniedError: when a workflow file is edited and the credentials may not.
    """
    branch, edits, title = request.branch, request.edits, request.title
    validate_request(branch, edits)
    owner = repo.full_name.split("/")[0]
    pull = _existing_pull(repo, owner, branch)
    if pull is not None:
        return ChangeRequestRef(
            url=pull.html_url,
            number=str(pull.number),
            branch=branch,
            created=False,
            auto_merge=pull.auto_merge is not None,
        )
    base_name = request.base or repo.default_branch
    if branch == base_name:
        raise WriteRefusedError(
            f"refusing to write to {base_name} of {repo.full_name}: a change request needs a "
            "new branch"
        )
    if _branch_exists(repo, branch):
        raise WriteRefusedError(
            f"branch {branch} already exists in {repo.full_name} and no open pull request comes "
            "from it; ci-rescue never writes to an existing branch — delete it or use another name"
        )
    base_sha = repo.get_git_ref(f"heads/{base_name}").object.sha
    workflow_paths = [e.path for e in edits if e.path.startswith(WORKFLOWS_DIR)]
    if workflow_paths and may_write_workflows() is False:
        raise PermissionDeniedError(
            f"{credentials} may not change {', '.join(workflow_paths)} in {repo.full_name}: "
            "a classic token needs the 'workflow' scope, a GitHub App 'workflows: write'",
            provider="github",
            status=403,
            resource=f"{', '.join(workflow_paths)} of {repo.full_name}",
        )
    base_commit = repo.get_git_commit(base_sha)
    elements = _tree_elements(repo, base_commit.tree.sha, edits, base_name)
    tree = repo.create_git_tree(elements, base_tree=base_commit.tree)
    commit = repo.create_git_commit(title, tree, [base_commit])
    ref = _create_branch(repo, branch, commit.sha)
    try:
        pull = repo.create_pull(
            base=base_name, head=branch, title=title, body=request.body, draft=request.draft
        )
    except BaseException as exc:
        found = _existing_pull(repo, owner, branch) if may_have_happened(exc) else None
        if found is None:
            with contextlib.suppress(github.GithubException, OSError):
                ref.delete()
            raise
        pull = found  # GitHub failed to answer but opened it
    if request.labels:
        pull.add_to_labels(*request.labels)
    merged = _auto_merge(pull) if request.auto_merge else False
    return ChangeRequestRef(
        url=pull.html_url, number=str(pull.number), branch=branch, created=True, auto_merge=merged
    )
