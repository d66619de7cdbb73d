"""The incident issue on GitHub: found by its marker even when GitHub dropped its labels, and
never opened twice when GitHub fails to confirm it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_rescue_core.errors import ProviderUnavailableError
from ci_rescue_providers.github.issues import MARKER_SCAN_LIMIT
from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.providers.github_support import REPO, running_simulator, unthrottled_provider

MARKER = "<!-- ci-rescue:incident:abc -->"
LABELS = ["ci-rescue", "flaky"]


@pytest.fixture
def triage_less() -> Iterator[GitHubSimulator]:
    """A token without push access: GitHub drops the labels of the issues it opens."""
    with running_simulator(push_access=False) as simulator:
        yield simulator


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with running_simulator() as simulator:
        yield simulator


def test_an_issue_whose_labels_were_dropped_is_still_found(triage_less: GitHubSimulator) -> None:
    provider = unthrottled_provider(triage_less)
    try:
        first = provider.open_issue(
            REPO, title="CI failure", body=f"one\n{MARKER}", labels=LABELS, marker=MARKER
        )
        [issue] = triage_less.get_issues(REPO)
        assert issue["labels"] == []  # GitHub dropped them without a word
        second = provider.open_issue(
            REPO, title="CI failure", body=f"two\n{MARKER}", labels=LABELS, marker=MARKER
        )
    finally:
        provider.close()
    assert first.created and not second.created and second.number == first.number
    assert len(triage_less.get_issues(REPO)) == 1
    comments = triage_less.get_issue_comments(REPO, int(first.number))
    assert [c["body"] for c in comments] == [f"two\n{MARKER}"]


def test_the_labelled_search_comes_first(sim: GitHubSimulator) -> None:
    provider = unthrottled_provider(sim)
    try:
        provider.open_issue(REPO, title="x", body=f"b\n{MARKER}", labels=LABELS, marker=MARKER)
        sim.clear_requests()
        provider.open_issue(REPO, title="x", body=f"c\n{MARKER}", labels=LABELS, marker=MARKER)
    finally:
        provider.close()
    [lookup] = [r for r in sim.requests if r.method == "GET"]
    assert lookup.query["labels"] == "ci-rescue,flaky"


def test_the_unlabelled_scan_is_bounded(sim: GitHubSimulator) -> None:
    provider = unthrottled_provider(sim)
    try:
        for i in range(MARKER_SCAN_LIMIT + 10):
            provider.open_issue(REPO, title=f"other {i}", body="no marker here")
        sim.clear_requests()
        ref = provider.open_issue(REPO, title="new", body=MARKER, labels=LABELS, marker=MARKER)
    finally:
        provider.close()
    assert ref.created
    pages = [r for r in sim.requests if r.method == "GET" and r.path.endswith("/issues")]
    assert [r.query.get("labels") for r in pages] == ["ci-rescue,flaky", None, None, None]


def test_an_issue_opened_despite_a_502_is_not_opened_twice(sim: GitHubSimulator) -> None:
    provider = unthrottled_provider(sim)
    try:
        sim.inject_fault("POST", r"/issues$", status=502, apply_first=True)
        ref = provider.open_issue(REPO, title="CI", body=MARKER, labels=LABELS, marker=MARKER)
    finally:
        provider.close()
    assert ref.created and ref.number == "1"
    assert [r.status for r in sim.write_requests()] == [502]
    assert len(sim.get_issues(REPO)) == 1


def test_an_issue_that_was_not_opened_is_reported(sim: GitHubSimulator) -> None:
    provider = unthrottled_provider(sim)
    try:
        sim.inject_fault("POST", r"/issues$", status=502)
        with pytest.raises(ProviderUnavailableError, match="issues of acme/app"):
            provider.open_issue(REPO, title="CI", body="body")
    finally:
        provider.close()
    assert [r.status for r in sim.write_requests()] == [502]
    assert sim.get_issues(REPO) == []


def test_the_search_stops_at_the_page_with_the_marker(sim: GitHubSimulator) -> None:
    provider = unthrottled_provider(sim)
    try:
        for i in range(150):
            provider.open_issue(REPO, title=f"older {i}", body="no marker", labels=LABELS)
        provider.open_issue(REPO, title="CI", body=MARKER, labels=LABELS, marker=MARKER)
        sim.clear_requests()
        again = provider.open_issue(REPO, title="CI", body=MARKER, labels=LABELS, marker=MARKER)
    finally:
        provider.close()
    assert not again.created and again.number == "151"
    assert [r.method for r in sim.requests] == ["GET", "POST"]  # one page, then the comment
