"""The provider protocol's two richest writes as values, and a mixin that implements them.

:meth:`Provider.open_issue <ci_rescue_core.provider.Provider.open_issue>` and
:meth:`Provider.open_change_request <ci_rescue_core.provider.Provider.open_change_request>` take
many keywords.  An adapter that inherits :class:`DraftedWrites` gets both methods with the
protocol's exact signatures; it implements :meth:`~DraftedWrites.submit_issue` and
:meth:`~DraftedWrites.submit_change_request`, which receive the keywords gathered into an
:class:`IssueDraft` / :class:`ChangeRequestDraft`.  A draft can also be handed on to another
provider unchanged (:meth:`IssueDraft.submit_to`), as the CircleCI adapter does with its VCS
companion.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import attrs

from ci_rescue_core.provider import ChangeRequestRef, FileEdit, IssueRef, Provider

__all__ = ["ChangeRequestDraft", "DraftedWrites", "IssueDraft"]


@attrs.frozen(kw_only=True)
class IssueDraft:
    """The keywords of ``open_issue``: an issue to open, or to comment on when one with
    *marker* is open already."""

    title: str
    body: str
    labels: Sequence[str] = ()
    assignees: Sequence[str] = ()
    marker: str | None = None

    def keywords(self) -> dict[str, Any]:
        """The draft as the keywords of ``open_issue``."""
        return attrs.asdict(self, recurse=False)

    def submit_to(self, provider: Provider, repo: str) -> IssueRef:
        """Open this issue in *repo* through *provider*'s ``open_issue``."""
        return provider.open_issue(repo, **self.keywords())


@attrs.frozen(kw_only=True)
class ChangeRequestDraft:
    """The keywords of ``open_change_request``: *edits* on a new *branch* off *base*."""

    branch: str
    title: str
    body: str
    edits: Sequence[FileEdit]
    base: str | None = None
    labels: Sequence[str] = ()
    draft: bool = False
    auto_merge: bool = False

    def keywords(self) -> dict[str, Any]:
        """The draft as the keywords of ``open_change_request``."""
        return attrs.asdict(self, recurse=False)

    def submit_to(self, provider: Provider, repo: str) -> ChangeRequestRef:
        """Open this change request in *repo* through *provider*'s ``open_change_request``."""
        return provider.open_change_request(repo, **self.keywords())


class DraftedWrites(abc.ABC):
    """Mixin: ``open_issue`` and ``open_change_request`` with the protocol's signatures, each
    gathering its keywords into a draft for the adapter's ``submit_…`` method."""

    def open_issue(
        self,
        repo: str,
        *,
        title: str,
        body: str,
        labels: Sequence[str] = (),
        assignees: Sequence[str] = (),
        marker: str | None = None,
    ) -> IssueRef:
        """Open an issue, or comment on the open issue whose body carries *marker*."""
        draft = IssueDraft(
            title=title, body=body, labels=labels, assignees=assignees, marker=marker
        )
        return self.submit_issue(repo, draft)

    def open_change_request(
        self,
        repo: str,
        *,
        branch: str,
        title: str,
        body: str,
        edits: Sequence[FileEdit],
        base: str | None = None,
        labels: Sequence[str] = (),
        draft: bool = False,
        auto_merge: bool = False,
    ) -> ChangeRequestRef:
        """Open a change request from a **new** branch *branch* off *base* with *edits*
        (see :meth:`Provider.open_change_request
        <ci_rescue_core.provider.Provider.open_change_request>`)."""
        request = ChangeRequestDraft(
            branch=branch,
            title=title,
            body=body,
            edits=edits,
            base=base,
            labels=labels,
            draft=draft,
            auto_merge=auto_merge,
        )
        return self.submit_change_request(repo, request)

    @abc.abstractmethod
    def submit_issue(self, repo: str, draft: IssueDraft) -> IssueRef:
        """Carry out ``open_issue`` for *draft* in *repo*."""

    @abc.abstractmethod
    def submit_change_request(self, repo: str, draft: ChangeRequestDraft) -> ChangeRequestRef:
        """Carry out ``open_change_request`` for *draft* in *repo*."""
