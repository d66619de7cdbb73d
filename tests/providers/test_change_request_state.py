"""``change_request_state``: open, merged, or closed without merging — GitHub (PyGithub) and
GitLab (python-gitlab) against their simulators, changed the way a reviewer changes them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ci_rescue_core.errors import NotFoundError
from ci_rescue_core.provider import ChangeRequestState, FileEdit, Provider, ProviderSettings
from ci_rescue_providers.gitlab import build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator
from ci_rescue_providers.simulators.gitlab import GitLabSimulator
from tests.support import TOKEN, RuntimeFactory

REPO = "acme/app"
EDIT = [FileEdit(".ci-rescue/quarantine.yaml", "tests: []\n")]


def open_request(provider: Provider, branch: str) -> str:
    change = provider.open_change_request(
        REPO, branch=branch, title="Quarantine a flaky test", body="why", edits=EDIT
    )
    return change.number


def test_github_pull_requests(sim: GitHubSimulator, make_runtime: RuntimeFactory) -> None:
    provider = make_runtime().provider("github")
    merged, closed, still_open = (open_request(provider, f"ci-rescue/q{i}") for i in range(3))
    api = f"{sim.base_url}/repos/{REPO}/pulls"
    with httpx.Client(headers={"Authorization": f"token {TOKEN}"}) as reviewer:
        reviewer.put(f"{api}/{merged}/merge", json={}).raise_for_status()
        reviewer.patch(f"{api}/{closed}", json={"state": "closed"}).raise_for_status()

    assert provider.change_request_state(REPO, merged) is ChangeRequestState.MERGED
    assert provider.change_request_state(REPO, closed) is ChangeRequestState.CLOSED
    assert provider.change_request_state(REPO, still_open) is ChangeRequestState.OPEN
    with pytest.raises(NotFoundError, match="pull request #999"):
        provider.change_request_state(REPO, "999")


@pytest.fixture
def gitlab() -> Iterator[tuple[GitLabSimulator, Provider]]:
    with GitLabSimulator(token="t") as sim:
        sim.add_project(REPO)
        provider = build_provider(ProviderSettings(name="gitlab", base_url=sim.base_url, token="t"))
        yield sim, provider
        provider.close()  # type: ignore[attr-defined]
        assert sim.errors == []


def test_gitlab_merge_requests(gitlab: tuple[GitLabSimulator, Provider]) -> None:
    sim, provider = gitlab
    merged, closed, reopened = (open_request(provider, f"ci-rescue/q{i}") for i in range(3))
    sim.merge_merge_request(REPO, int(merged))
    api = f"{sim.base_url}/api/v4/projects/acme%2Fapp/merge_requests"
    with httpx.Client(headers={"PRIVATE-TOKEN": "t"}) as reviewer:
        reviewer.put(f"{api}/{closed}", json={"state_event": "close"}).raise_for_status()
        reviewer.put(f"{api}/{reopened}", json={"state_event": "close"}).raise_for_status()
        reviewer.put(f"{api}/{reopened}", json={"state_event": "reopen"}).raise_for_status()
        refused = reviewer.put(f"{api}/{merged}", json={"state_event": "close"})
    assert refused.status_code == 405  # a merged request cannot be closed

    assert provider.change_request_state(REPO, merged) is ChangeRequestState.MERGED
    assert provider.change_request_state(REPO, f"!{closed}") is ChangeRequestState.CLOSED
    assert provider.change_request_state(REPO, reopened) is ChangeRequestState.OPEN
    assert sim.get_file(REPO, ".ci-rescue/quarantine.yaml") == "tests: []\n"  # merged in
    with pytest.raises(NotFoundError):
        provider.change_request_state(REPO, "999")
