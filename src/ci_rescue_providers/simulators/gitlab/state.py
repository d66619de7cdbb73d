"""The simulator's state: projects, users, id counters, the clock and the git repositories."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from .models import (
    BranchRecord,
    CommitRecord,
    JobRecord,
    NotFoundError,
    PipelineRecord,
    ProjectRecord,
    SimError,
    UserRecord,
)

__all__ = ["FileMap", "SimState", "utcnow"]

#: Files of a repository snapshot: path -> text or bytes.
FileMap = Mapping[str, str | bytes]


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


def _fake_sha(*parts: str) -> str:
    return hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()


class SimState:
    """Everything the simulated instance knows, guarded by one re-entrant ``lock``."""

    def __init__(self, *, clock: Callable[[], datetime], login: str) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._offset = timedelta()
        self.projects: dict[int, ProjectRecord] = {}
        self.users: dict[int, UserRecord] = {}
        self.pipelines: dict[int, PipelineRecord] = {}
        self.jobs: dict[int, JobRecord] = {}
        self._ids: dict[str, int] = {}
        self.bot = self.add_user(login, "CI Rescue Bot")

    # -- time and ids ----------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulated time: the clock plus whatever ``advance`` added."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulated time forward."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += timedelta(seconds=seconds)

    def advance_to(self, moment: datetime | None) -> None:
        """Move the simulated time forward to *moment* (never backwards)."""
        if moment is not None:
            behind = moment - self.now()
            if behind > timedelta():
                self._offset += behind

    def next_id(self, kind: str, start: int = 1) -> int:
        """The next id of ``kind`` (ids are instance-wide, like GitLab's)."""
        value = self._ids.get(kind, start)
        self._ids[kind] = value + 1
        return value

    def reserve_id(self, kind: str, value: int) -> None:
        """Make sure later ids of ``kind`` are above ``value``."""
        self._ids[kind] = max(self._ids.get(kind, 1), value + 1)

    # -- users and projects ------------------------------------------------------------------

    def add_user(self, username: str, name: str | None = None) -> UserRecord:
        """Create a user (``ValueError`` if the username is taken)."""
        if any(user.username == username for user in self.users.values()):
            raise ValueError(f"user {username!r} already exists")
        user = UserRecord(id=self.next_id("user"), username=username, name=name or username)
        self.users[user.id] = user
        return user

    def user_named(self, username: str) -> UserRecord | None:
        """The user with ``username``, if any."""
        return next((u for u in self.users.values() if u.username == username), None)

    def add_project(
        self,
        path: str,
        *,
        default_branch: str,
        files: FileMap,
        description: str | None,
        visibility: str,
        project_id: int | None,
    ) -> ProjectRecord:
        """Create a project with one commit holding ``files`` on a protected default branch."""
        if "/" not in path or path.startswith("/") or path.endswith("/"):
            raise ValueError(f"project path must look like 'group/name', got {path!r}")
        if self.find_project(path) is not None:
            raise ValueError(f"project {path!r} already exists")
        if project_id is None:
            project_id = self.next_id("project")
        elif project_id in self.projects:
            raise ValueError(f"project id {project_id} is taken")
        else:
            self.reserve_id("project", project_id)
        project = ProjectRecord(
            id=project_id,
            path_with_namespace=path,
            default_branch=default_branch,
            description=description,
            visibility=visibility,
            created_at=self.now(),
        )
        commit = self._new_commit(project, "Initial commit", [], _encode(files))
        project.branches[default_branch] = BranchRecord(default_branch, commit.sha, protected=True)
        self.projects[project.id] = project
        return project

    def find_project(self, ident: str) -> ProjectRecord | None:
        """A project by numeric id or ``group/name`` path (case-insensitive)."""
        if ident.isdigit():
            return self.projects.get(int(ident))
        wanted = ident.lower()
        return next(
            (p for p in self.projects.values() if p.path_with_namespace.lower() == wanted), None
        )

    def project(self, ident: str) -> ProjectRecord:
        """A project by id or path, or ``404 Project Not Found``."""
        found = self.find_project(ident)
        if found is None:
            raise NotFoundError("Project")
        return found

    def pipeline(self, project: ProjectRecord, pipeline_id: int) -> PipelineRecord:
        """A pipeline of ``project`` or 404."""
        found = self.pipelines.get(pipeline_id)
        if found is None or found.project_id != project.id:
            raise NotFoundError()
        return found

    def job(self, project: ProjectRecord, job_id: int) -> JobRecord:
        """A job of ``project`` or 404."""
        found = self.jobs.get(job_id)
        if found is None or found.project_id != project.id:
            raise NotFoundError()
        return found

    # -- git ---------------------------------------------------------------------------------

    def _new_commit(
        self, project: ProjectRecord, message: str, parents: list[str], tree: dict[str, bytes]
    ) -> CommitRecord:
        sha = _fake_sha(project.path_with_namespace, message, *parents, str(len(project.commits)))
        commit = CommitRecord(
            sha=sha,
            message=message,
            parent_ids=parents,
            tree=tree,
            author=self.bot,
            created_at=self.now(),
        )
        project.commits[sha] = commit
        return commit

    def resolve_ref(self, project: ProjectRecord, ref: str | None) -> CommitRecord:
        """The commit a branch name or sha (default: the default branch) points at, or 404."""
        name = ref or project.default_branch
        if name in project.branches:
            return project.commits[project.branches[name].sha]
        if name in project.commits:
            return project.commits[name]
        matches = [
            c for sha, c in project.commits.items() if len(name) >= 7 and sha.startswith(name)
        ]
        if len(matches) == 1:
            return matches[0]
        raise NotFoundError("Commit")

    def create_branch(self, project: ProjectRecord, name: str, ref: str) -> BranchRecord:
        """A new branch at ``ref`` (400 when it exists, 404 when ``ref`` does not)."""
        if not name or name.startswith("-") or ".." in name or " " in name:
            raise SimError(400, "Branch name is invalid")
        if name in project.branches:
            raise SimError(400, "Branch already exists")
        commit = self.resolve_ref(project, ref)
        branch = BranchRecord(name, commit.sha)
        project.branches[name] = branch
        return branch

    def commit_actions(
        self,
        project: ProjectRecord,
        *,
        branch: str,
        start_branch: str | None,
        message: str,
        actions: list[dict[str, object]],
    ) -> CommitRecord:
        """Apply ``actions`` (create/update/delete/move/chmod) as one commit on ``branch``.

        Like GitLab, ``start_branch`` creates ``branch`` from it, and refuses when ``branch``
        already exists and differs from ``start_branch``.
        """
        if not message:
            raise SimError(400, "commit_message is missing")
        if not actions:
            raise SimError(400, "actions is missing")
        if start_branch is not None and start_branch != branch:
            if branch in project.branches:
                raise SimError(
                    400,
                    f"A branch called '{branch}' already exists. "
                    "Switch to that branch in order to make changes",
                )
            parent = self.resolve_ref(project, start_branch)
        elif branch in project.branches:
            parent = project.commits[project.branches[branch].sha]
        else:
            raise SimError(400, "You can only create or edit files when you are on a branch")
        tree = dict(parent.tree)
        for action in actions:
            _apply_action(tree, action)
        commit = self._new_commit(project, message, [parent.sha], tree)
        if branch in project.branches:
            project.branches[branch].sha = commit.sha
        else:
            project.branches[branch] = BranchRecord(branch, commit.sha)
        return commit

    def head_sha(self, project: ProjectRecord, ref: str | None = None) -> str:
        """The sha ``ref`` (default branch) points at."""
        return self.resolve_ref(project, ref).sha


def _encode(files: FileMap) -> dict[str, bytes]:
    return {
        path.lstrip("/"): value.encode("utf-8") if isinstance(value, str) else bytes(value)
        for path, value in files.items()
    }


def _apply_action(tree: dict[str, bytes], action: Mapping[str, object]) -> None:
    kind = action.get("action")
    path = str(action.get("file_path") or "")
    if not path:
        raise SimError(400, "actions[file_path] is missing")
    content = action.get("content")
    data = _content_bytes(content, str(action.get("encoding") or "text"))
    if kind == "create":
        if path in tree:
            raise SimError(400, f"A file with this name already exists: {path}")
        tree[path] = data
    elif kind == "update":
        if path not in tree:
            raise SimError(400, f"A file with this name doesn't exist: {path}")
        tree[path] = data
    elif kind == "delete":
        if path not in tree:
            raise SimError(400, f"A file with this name doesn't exist: {path}")
        del tree[path]
    elif kind == "move":
        previous = str(action.get("previous_path") or "")
        if previous not in tree:
            raise SimError(400, f"A file with this name doesn't exist: {previous}")
        moved = tree.pop(previous)
        tree[path] = data if content is not None else moved
    elif kind == "chmod":
        if path not in tree:
            raise SimError(400, f"A file with this name doesn't exist: {path}")
    else:
        raise SimError(400, "actions[action] does not have a valid value")


def _content_bytes(content: object, encoding: str) -> bytes:
    if content is None:
        return b""
    if not isinstance(content, str):
        raise SimError(400, "actions[content] is invalid")
    if encoding == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise SimError(400, "actions[content] is not valid base64") from None
    return content.encode("utf-8")
