"""The simulator's git object store: blobs, trees, commits and refs, hashed the way git does.

Trees are real nested git trees; ``flatten`` and ``build_tree`` convert between them and a flat
``{path: Entry}`` mapping, which is how the tree API's ``base_tree`` edits are applied. Callers
hold the simulator's state lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .errors import SimError

__all__ = [
    "FILE_MODES",
    "CommitObject",
    "Entry",
    "GitStore",
    "Person",
    "blob_sha",
    "valid_branch_name",
]

#: Tree entry modes the tree API accepts, with the object type each one names.
FILE_MODES = {
    "100644": "blob",
    "100755": "blob",
    "120000": "blob",
    "040000": "tree",
    "160000": "commit",
}
_SHA = re.compile(r"^[0-9a-f]{40}$")
_BAD_REF = re.compile(r"(\.\.|[\x00-\x20~^:?*\[\\]|@\{|//|/\.|\.lock$|\.lock/|^/|/$|^\.|\.$)")


def blob_sha(data: bytes) -> str:
    """The git object id of a blob holding *data* (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def valid_branch_name(name: str) -> bool:
    """Whether *name* is a branch name git accepts (``git check-ref-format --branch``)."""
    return bool(name) and not name.startswith("-") and _BAD_REF.search(name) is None


@dataclass(frozen=True)
class Entry:
    """One tree entry: ``mode`` (``100644``...), object ``type`` and ``sha``."""

    mode: str
    type: str
    sha: str


@dataclass(frozen=True)
class Person:
    """An author or committer line."""

    name: str
    email: str
    date: datetime


@dataclass(frozen=True)
class CommitObject:
    """A commit: its tree, parents and message."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person


def _signature(person: Person) -> str:
    return f"{person.name} <{person.email}> {int(person.date.timestamp())} +0000"


@dataclass
class GitStore:
    """Objects and refs of one repository (refs are full names: ``refs/heads/main``)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, Entry]] = field(default_factory=dict)  # sha -> name -> entry
    commits: dict[str, CommitObject] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)

    # -- objects -------------------------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        """Store *data*; returns its sha."""
        sha = blob_sha(data)
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: Mapping[str, Entry]) -> str:
        """Store one tree level (*entries* by name); returns its sha."""

        def order(name: str) -> bytes:
            return (name + ("/" if entries[name].type == "tree" else "")).encode()

        body = b"".join(
            f"{entries[n].mode.lstrip('0')} {n}".encode() + b"\x00" + bytes.fromhex(entries[n].sha)
            for n in sorted(entries, key=order)
        )
        sha = hashlib.sha1(b"tree %d\x00" % len(body) + body).hexdigest()
        self.trees[sha] = dict(entries)
        return sha

    def put_commit(
        self, tree: str, parents: tuple[str, ...], message: str, author: Person, committer: Person
    ) -> CommitObject:
        """Store a commit of *tree* on *parents*."""
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        lines += [f"author {_signature(author)}", f"committer {_signature(committer)}", ""]
        body = ("\n".join(lines) + "\n" + message).encode()
        sha = hashlib.sha1(b"commit %d\x00" % len(body) + body).hexdigest()
        commit = CommitObject(sha, tree, parents, message, author, committer)
        self.commits[sha] = commit
        return commit

    def commit(self, sha: str) -> CommitObject:
        """Commit *sha* or a 404."""
        commit = self.commits.get(sha.lower())
        if commit is None:
            raise SimError(404, "Not Found")
        return commit

    def has_object(self, sha: str) -> bool:
        """Whether *sha* names a blob, tree or commit of this store."""
        return sha in self.blobs or sha in self.trees or sha in self.commits

    # -- trees as flat path maps ---------------------------------------------------------------

    def flatten(self, tree: str, prefix: str = "") -> dict[str, Entry]:
        """Every blob and submodule under *tree*, by full path."""
        out: dict[str, Entry] = {}
        for name, entry in self.trees[tree].items():
            path = f"{prefix}{name}"
            if entry.type == "tree":
                out.update(self.flatten(entry.sha, f"{path}/"))
            else:
                out[path] = entry
        return out

    def build_tree(self, flat: Mapping[str, Entry]) -> str:
        """Store the nested trees holding *flat* (path → entry); returns the root tree's sha."""
        children: dict[str, dict[str, Entry]] = {}
        here: dict[str, Entry] = {}
        for path, entry in flat.items():
            head, sep, rest = path.partition("/")
            if sep:
                children.setdefault(head, {})[rest] = entry
            else:
                here[head] = entry
        for name, sub in children.items():
            here[name] = Entry("040000", "tree", self.build_tree(sub))
        return self.put_tree(here)

    def walk(self, tree: str, prefix: str = "") -> Iterator[tuple[str, Entry]]:
        """Every entry under *tree*, directories included, parents before children."""
        for name, entry in sorted(self.trees[tree].items()):
            path = f"{prefix}{name}"
            yield path, entry
            if entry.type == "tree":
                yield from self.walk(entry.sha, f"{path}/")

    def lookup(self, tree: str, path: str) -> Entry | None:
        """The entry at *path* under *tree* (``""`` is the tree itself), or ``None``."""
        entry = Entry("040000", "tree", tree)
        for part in [p for p in path.strip("/").split("/") if p]:
            if entry.type != "tree":
                return None
            found = self.trees[entry.sha].get(part)
            if found is None:
                return None
            entry = found
        return entry

    # -- refs and history ----------------------------------------------------------------------

    def resolve(self, ref: str) -> str | None:
        """The commit sha *ref* names: a full sha, ``refs/...``, ``heads/x``, ``tags/x`` or a
        branch name; ``None`` when it names nothing."""
        if _SHA.match(ref.lower()) and ref.lower() in self.commits:
            return ref.lower()
        for candidate in (ref, f"refs/{ref}", f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in self.refs:
                return self.refs[candidate]
        return None

    def branch(self, name: str) -> str | None:
        """The tip of branch *name*, or ``None``."""
        return self.refs.get(f"refs/heads/{name}")

    def ancestors(self, sha: str) -> set[str]:
        """*sha* and every commit reachable from it."""
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            stack.extend(self.commits[current].parents)
        return seen

    def read(self, commit: str, path: str) -> bytes | None:
        """The content of the blob at *path* in *commit*, or ``None``."""
        entry = self.lookup(self.commit(commit).tree, path)
        if entry is None or entry.type != "blob":
            return None
        return self.blobs[entry.sha]

    def commit_files(
        self,
        parent: str | None,
        files: Mapping[str, bytes | None],
        message: str,
        person: Person,
        modes: Mapping[str, str] | None = None,
    ) -> CommitObject:
        """A new commit on *parent* (``None``: a root commit) writing or deleting (``None``)
        *files*. Keeps an existing file's mode unless *modes* gives one."""
        flat = self.flatten(self.commit(parent).tree) if parent else {}
        for path, data in files.items():
            if data is None:
                flat.pop(path, None)
            else:
                mode = flat[path].mode if path in flat else "100644"
                mode = (modes or {}).get(path, mode)
                flat[path] = Entry(mode, "blob", self.put_blob(data))
        tree = self.build_tree(flat)
        return self.put_commit(tree, (parent,) if parent else (), message, person, person)

    def changed_paths(self, old_tree: str | None, new_tree: str) -> set[str]:
        """Paths whose blob differs between two trees (added, changed or deleted)."""
        old = self.flatten(old_tree) if old_tree else {}
        new = self.flatten(new_tree)
        return {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
