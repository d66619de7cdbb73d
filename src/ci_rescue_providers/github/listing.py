"""List endpoints read as the JSON GitHub sent, one request per page and none per item.

PyGithub turns each item of a list page into a *partial* object: reading its ``raw_data``, or
an attribute the page did not carry, sends a ``GET`` of that one item. An idle poll over 40 runs
would then cost 41 requests instead of one. Here the pages still go through PyGithub's own
``PaginatedList`` (its requester does the auth, pagination, retries and throttling), but each
item is kept as the JSON object the page held and is never completed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from github.GithubObject import NonCompletableGithubObject
from github.PaginatedList import PaginatedList
from github.Requester import Requester

__all__ = ["ListedItem", "listed"]


class ListedItem(NonCompletableGithubObject):
    """One item of a list page: its JSON, as ``raw_data``; nothing is ever fetched for it."""

    def _initAttributes(self) -> None:
        """Nothing to prepare: the item is its JSON."""

    def _useAttributes(self, attributes: Any) -> None:
        """Nothing to parse: readers use ``raw_data``."""


def listed(
    requester: Requester,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    list_item: str = "items",
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The items of the list at *url*, page by page (``per_page`` is the client's), as dicts.

    :param requester: the PyGithub requester of the client (``repository.requester``).
    :param url: the list's absolute API URL (``f"{repository.url}/actions/runs"``).
    :param params: query parameters of the first page.
    :param list_item: the key holding the items when a page is an object
        (``workflow_runs``, ``jobs``); pages that are arrays need none.
    :param limit: at most this many items (``None``: every page).
    """
    pages = PaginatedList(ListedItem, requester, url, dict(params or {}), list_item=list_item)
    items: Iterator[ListedItem] = iter(pages)
    if limit is not None:
        items = itertools.islice(items, max(0, limit))
    for item in items:
        data = item.raw_data
        if isinstance(data, dict):
            yield data
