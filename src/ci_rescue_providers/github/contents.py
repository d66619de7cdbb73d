"""Reading repository files through the contents API (and the blob API for large ones)."""

from __future__ import annotations

import base64

import github
from github.GithubObject import NotSet
from github.Repository import Repository

from ci_rescue_core.errors import PayloadError

__all__ = ["read_text"]


def read_text(repo: Repository, path: str, *, ref: str | None = None) -> str | None:
    """The UTF-8 text of *path* at *ref* (default branch when ``None``); ``None`` when there is
    no file there (a directory is not a file).

    Files over 1 MB come from the contents API without their content; they are read through
    the blob API.

    :raises PayloadError: when the file is not UTF-8 text.
    """
    try:
        found = repo.get_contents(path, ref=ref or NotSet)
    except github.UnknownObjectException:
        return None
    if isinstance(found, list) or found.type != "file":
        return None
    if found.encoding == "base64":
        data = found.decoded_content
    else:
        data = base64.b64decode(repo.get_git_blob(found.sha).content)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(f"{path} of {repo.full_name} is not UTF-8 text", field="path") from None
