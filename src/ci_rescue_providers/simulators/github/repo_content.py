"""The simulator's public API for repository content: files, branches, pull requests, check
runs, statuses, app tokens and check webhooks (mixed into ``GitHubSimulator``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .apps import AppRegistry
from .apps_api import app_json
from .checks import annotation_json, check_run_json, status_json
from .git import Person, valid_branch_name
from .issues import new_issue
from .models import RepoRecord
from .payloads import Urls
from .pulls import changed_files, get_pull, pull_json
from .pulls_api import merge_pull
from .records import PullRecord
from .state import SimState

__all__ = ["RepoContentMixin"]


class RepoContentMixin:
    """Seeding and reading git data, pull requests, checks and statuses of the simulator."""

    _state: SimState
    _apps: AppRegistry
    installation_id: int | None

    def _urls(self) -> Urls:  # pragma: no cover - provided by GitHubSimulator
        raise NotImplementedError

    def _repo_record(self, repo: str) -> RepoRecord:
        return self._state.repo(repo)

    # -- files and branches --------------------------------------------------------------------

    def add_file(
        self,
        repo: str,
        path: str,
        content: str | bytes,
        *,
        branch: str | None = None,
        message: str | None = None,
        executable: bool = False,
    ) -> str:
        """Commit *content* at *path* on *branch* (default: the default branch), as a push
        would (mode ``100755`` when *executable*); returns the new commit's sha.
        ``ValueError`` when the branch does not exist."""
        return self.commit_files(
            repo,
            {path: content},
            branch=branch,
            message=message,
            executable=(path,) if executable else (),
        )

    def commit_files(
        self,
        repo: str,
        files: Mapping[str, str | bytes | None],
        *,
        branch: str | None = None,
        message: str | None = None,
        executable: Sequence[str] = (),
    ) -> str:
        """Commit several files at once on *branch* (``None`` content deletes a file; paths in
        *executable* get mode ``100755``); returns the commit sha."""
        with self._state.lock:
            record = self._repo_record(repo)
            name = branch or record.default_branch
            tip = record.git.branch(name)
            if tip is None:
                raise ValueError(f"branch {name!r} does not exist in {repo}")
            data = {p: (c.encode("utf-8") if isinstance(c, str) else c) for p, c in files.items()}
            person = Person("octocat", "octocat@users.noreply.github.com", self._state.clock())
            commit = record.git.commit_files(
                tip,
                data,
                message or f"Update {', '.join(sorted(files))}",
                person,
                modes=dict.fromkeys(executable, "100755"),
            )
            record.git.refs[f"refs/heads/{name}"] = commit.sha
            return commit.sha

    def add_branch(self, repo: str, name: str, *, from_ref: str | None = None) -> str:
        """Create branch *name* at *from_ref* (default: the default branch); returns its sha."""
        if not valid_branch_name(name):
            raise ValueError(f"{name!r} is not a valid branch name")
        with self._state.lock:
            record = self._repo_record(repo)
            sha = record.git.resolve(from_ref or record.default_branch)
            if sha is None:
                raise ValueError(f"{from_ref!r} names no commit of {repo}")
            if record.git.branch(name) is not None:
                raise ValueError(f"branch {name!r} already exists in {repo}")
            record.git.refs[f"refs/heads/{name}"] = sha
            return sha

    def get_branch_sha(self, repo: str, branch: str) -> str | None:
        """The tip of *branch*, or ``None`` when it does not exist."""
        with self._state.lock:
            return self._repo_record(repo).git.branch(branch)

    def get_file(self, repo: str, path: str, ref: str | None = None) -> str | None:
        """The text of *path* at *ref* (default: the default branch); ``None`` when absent."""
        with self._state.lock:
            record = self._repo_record(repo)
            sha = record.git.resolve(ref or record.default_branch)
            if sha is None:
                return None
            data = record.git.read(sha, path)
            return None if data is None else data.decode("utf-8")

    # -- pull requests -------------------------------------------------------------------------

    def add_pull_request(
        self,
        repo: str,
        *,
        head_branch: str,
        title: str = "A change",
        head_sha: str | None = None,
        base: str | None = None,
        fork_owner: str | None = None,
        user: str = "octocat",
    ) -> int:
        """Open a pull request as someone else would; returns its number.

        With *fork_owner*, the head lives in ``{fork_owner}/{name}`` (created if missing) at
        *head_sha*, as for pull requests from forks (whose runs have empty ``pull_requests``);
        otherwise *head_branch* must exist in *repo*.
        """
        with self._state.lock:
            record = self._repo_record(repo)
            base_name = base or record.default_branch
            base_sha = record.git.branch(base_name)
            if base_sha is None:
                raise ValueError(f"base branch {base_name!r} does not exist in {repo}")
            if fork_owner is None:
                if record.git.branch(head_branch) is None:
                    raise ValueError(f"branch {head_branch!r} does not exist in {repo}")
                head_repo, fixed = record.full_name, None
            else:
                head_repo = f"{fork_owner}/{record.name}"
                if head_repo.lower() not in self._state.repos:
                    self._state.add_repo(head_repo, owner_type="User")
                fixed = (head_sha or "f" * 40).lower()
            pull = PullRecord(
                id=next(self._state.pull_ids),
                head_ref=head_branch,
                base_ref=base_name,
                base_sha=base_sha,
                head_repo=head_repo,
                head_sha=fixed,
            )
            issue = new_issue(self._state, record, title=title, body=None, user=user, pull=pull)
            return issue.number

    def merge_pull_request(self, repo: str, number: int, *, user: str = "octocat") -> str:
        """Merge pull *number* with a merge commit (as the merge button would); returns its sha."""
        return merge_pull(self._state, self._repo_record(repo), number, user)

    def get_pulls(self, repo: str) -> list[dict[str, Any]]:
        """Every pull request of *repo* (open and closed) as the API returns it, oldest first,
        each with an extra ``files`` key: path → content on the head (``None``: deleted)."""
        with self._state.lock:
            record = self._repo_record(repo)
            urls = self._urls()
            out = []
            for issue in sorted(record.issues.values(), key=lambda i: i.number):
                if issue.pull is None:
                    continue
                data = pull_json(self._state, record, issue, urls)
                data["files"] = {
                    path: None if content is None else content.decode("utf-8", "replace")
                    for path, content in changed_files(record, issue.pull).items()
                }
                out.append(data)
            return out

    def get_pull(self, repo: str, number: int) -> dict[str, Any]:
        """Pull request *number* as the API returns it."""
        with self._state.lock:
            record = self._repo_record(repo)
            return pull_json(
                self._state, record, get_pull(self._state, record, number), self._urls()
            )

    # -- checks and statuses -------------------------------------------------------------------

    def get_check_runs(self, repo: str, head_sha: str | None = None) -> list[dict[str, Any]]:
        """Check runs apps created in *repo* (not Actions jobs), oldest first, each with an
        extra ``annotations`` key listing every annotation."""
        with self._state.lock:
            record = self._repo_record(repo)
            urls = self._urls()
            app = app_json(self._state, self._apps, urls)
            out = []
            for check in sorted(record.check_runs.values(), key=lambda c: c.id):
                if head_sha is not None and check.head_sha != head_sha:
                    continue
                data = check_run_json(self._state, record, check, urls, app)
                data["annotations"] = [
                    annotation_json(record, check, note, urls) for note in check.annotations
                ]
                out.append(data)
            return out

    def get_statuses(self, repo: str, sha: str) -> list[dict[str, Any]]:
        """Commit statuses of *sha*, newest first."""
        with self._state.lock:
            record = self._repo_record(repo)
            urls = self._urls()
            return [
                status_json(self._state, record, s, urls)
                for s in reversed(record.statuses)
                if s.sha == sha
            ]

    # -- the app -------------------------------------------------------------------------------

    @property
    def app_jwts(self) -> list[dict[str, Any]]:
        """Claims of every app JWT presented so far (signatures are not verified)."""
        return [dict(claims) for claims in self._apps.jwts]

    @property
    def issued_tokens(self) -> list[str]:
        """Installation tokens issued so far."""
        return list(self._apps.tokens)
