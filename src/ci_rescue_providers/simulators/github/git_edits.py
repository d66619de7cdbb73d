"""Applying git writes: tree edits on a ``base_tree``, base64 bodies, and the workflow-file
rule (no ``.github/workflows/**`` changes without the ``workflow`` scope or ``workflows: write``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .apps import Identity, workflow_refusal
from .errors import SimError
from .git import FILE_MODES, Entry, GitStore

__all__ = ["check_workflow_writes", "decoded", "tree_edits", "validation"]

_SHA = re.compile(r"^[0-9a-f]{40}$")


def validation(field: str, code: str = "invalid", resource: str = "Git", **extra: Any) -> SimError:
    """GitHub's 422 ``Validation Failed`` naming *field*."""
    error = {"resource": resource, "field": field, "code": code, **extra}
    return SimError(422, "Validation Failed", errors=[error])


def check_workflow_writes(git: GitStore, identity: Identity | None, new_sha: str) -> None:
    """Refuse moving a ref to *new_sha* when it brings workflow-file changes *identity* may not
    make (only the commits no ref reaches yet are inspected)."""
    if identity is None:
        return
    known: set[str] = set()
    for tip in git.refs.values():
        known |= git.ancestors(tip)
    for sha in git.ancestors(new_sha) - known:
        commit = git.commits[sha]
        parent_tree = git.commits[commit.parents[0]].tree if commit.parents else None
        for path in sorted(git.changed_paths(parent_tree, commit.tree)):
            refusal = workflow_refusal(identity, path)
            if refusal is not None:
                raise refusal


def tree_edits(git: GitStore, payload: dict[str, Any]) -> dict[str, Entry]:
    """The flat tree ``POST …/git/trees`` asks for (``base_tree`` plus edits)."""
    items = payload.get("tree")
    if not isinstance(items, list):
        raise validation("tree", "missing_field")
    base = payload.get("base_tree")
    flat: dict[str, Entry] = {}
    if base is not None:
        if not isinstance(base, str) or base not in git.trees:
            raise SimError(422, "Invalid tree info: base_tree is not a tree of this repository")
        flat = git.flatten(base)
    for item in items:
        if not isinstance(item, dict):
            raise validation("tree")
        path, mode = item.get("path"), item.get("mode")
        if not isinstance(path, str) or not path or path.startswith("/") or path.endswith("/"):
            raise SimError(422, f"tree.path contains a malformed path component: {path!r}")
        if any(part in ("", ".", "..", ".git") for part in path.split("/")):
            raise SimError(422, f"tree.path contains a malformed path component: {path!r}")
        if mode not in FILE_MODES or item.get("type", FILE_MODES[mode]) != FILE_MODES[mode]:
            raise SimError(422, f"tree.mode {mode!r} does not match tree.type {item.get('type')!r}")
        prefix = path + "/"
        if "content" in item:
            content = item["content"]
            if not isinstance(content, str) or item.get("sha") is not None:
                raise SimError(422, "tree.content must be a string and exclusive with tree.sha")
            flat = {p: e for p, e in flat.items() if not p.startswith(prefix)}
            flat[path] = Entry(mode, "blob", git.put_blob(content.encode("utf-8")))
            continue
        if "sha" not in item:
            raise SimError(422, "Must supply either tree.sha or tree.content")
        sha = item["sha"]
        flat = {p: e for p, e in flat.items() if p != path and not p.startswith(prefix)}
        if sha is None:  # deletes the path
            continue
        if not isinstance(sha, str) or not _SHA.match(sha):
            raise SimError(422, f"tree.sha {sha!r} is not a valid object id")
        kind = FILE_MODES[mode]
        if kind == "tree":
            if sha not in git.trees:
                raise SimError(422, f"tree.sha {sha} is not a valid tree")
            flat.update({f"{prefix}{p}": e for p, e in git.flatten(sha).items()})
        elif kind == "blob":
            if sha not in git.blobs:
                raise SimError(422, f"tree.sha {sha} is not a valid blob")
            flat[path] = Entry(mode, "blob", sha)
        else:
            flat[path] = Entry(mode, "commit", sha)
    return flat


def decoded(payload: dict[str, Any], key: str) -> bytes:
    """``payload[key]`` decoded from base64 (422 when it is missing or not base64)."""
    value = payload.get(key)
    if not isinstance(value, str):
        raise validation(key, "missing_field", resource="Content")
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise SimError(422, "content is not valid Base64") from None
