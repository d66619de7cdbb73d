"""Plain data of the simulator's pull requests, check runs, commit statuses and app tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "AnnotationRecord",
    "CheckRunRecord",
    "InstallationToken",
    "PullRecord",
    "StatusRecord",
]


@dataclass
class PullRecord:
    """The pull-request half of an issue (GitHub numbers issues and pulls together).

    ``head_sha`` is fixed only for pulls from forks (their commits are not in this repository);
    a pull from a branch of the repository follows that branch.
    """

    id: int
    head_ref: str
    base_ref: str
    base_sha: str
    head_repo: str
    head_sha: str | None = None
    draft: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    auto_merge: dict[str, Any] | None = None


@dataclass
class AnnotationRecord:
    """One check-run annotation."""

    path: str
    start_line: int
    end_line: int
    annotation_level: str
    message: str
    title: str | None = None
    raw_details: str | None = None
    start_column: int | None = None
    end_column: int | None = None


@dataclass
class CheckRunRecord:
    """A check run created through the Checks API by an app (not an Actions job)."""

    id: int
    name: str
    head_sha: str
    app_slug: str
    check_suite_id: int
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None
    details_url: str | None = None
    external_id: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[AnnotationRecord] = field(default_factory=list)


@dataclass
class StatusRecord:
    """A commit status (``POST /repos/{o}/{r}/statuses/{sha}``)."""

    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token the simulator issued (``ghs_…``)."""

    token: str
    installation_id: int
    permissions: Mapping[str, str]
    expires_at: datetime
