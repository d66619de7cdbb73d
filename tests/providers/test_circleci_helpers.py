"""Builders shared by the CircleCI tests (this module holds no tests).

The CircleCI adapter is built the way the runtime builds it: by its factory, from settings,
with the GitHub adapter (on the GitHub simulator) as its VCS companion.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import httpx

from ci_rescue_core.models import RunRef
from ci_rescue_core.provider import Provider, ProviderSettings
from ci_rescue_core.testing import SignedDelivery
from ci_rescue_providers.circleci import CircleCIProvider, build_provider
from ci_rescue_providers.github import build_provider as build_github_provider
from ci_rescue_providers.simulators.circleci import CircleCISimulator
from ci_rescue_providers.simulators.github import GitHubSimulator

CIRCLE_TOKEN = "circle-sim-token"
CIRCLE_TOKEN_ENV = "TEST_CI_RESCUE_CIRCLECI_TOKEN"
GITHUB_TOKEN = "github-sim-token"
SECRET = "circle-webhook-secret"


def build_github(sim: GitHubSimulator, token: str = GITHUB_TOKEN) -> Provider:
    """The GitHub adapter on *sim*, unthrottled."""
    return build_github_provider(
        ProviderSettings(
            name="github",
            base_url=sim.base_url,
            token=token,
            token_env="TEST_CI_RESCUE_GITHUB_TOKEN",
            options={
                "seconds_between_requests": 0,
                "seconds_between_writes": 0,
                "max_retries": 1,
                "backoff_factor": 0,
            },
        )
    )


def build_circleci(
    sim: CircleCISimulator,
    *,
    github: Provider | None,
    token: str | None = CIRCLE_TOKEN,
    secret: str | None = SECRET,
    **options: Any,
) -> CircleCIProvider:
    """The CircleCI adapter on *sim* through its factory; *github* as VCS companion."""
    settings: dict[str, Any] = {
        "max_retries": 2,
        "backoff_factor": 0.0,
        "max_wait": 5.0,
        "timeout": 10.0,
        **options,
    }
    if github is not None:
        settings.setdefault("vcs", "github")
    return build_provider(
        ProviderSettings(
            name="circleci",
            base_url=sim.api_url,
            token=token,
            token_env=CIRCLE_TOKEN_ENV,
            webhook_secret=secret,
            options=settings,
            companions={"github": github} if github is not None else {},
        )
    )


def delivery(
    sim: CircleCISimulator, event_type: str, payload: Mapping[str, Any], secret: str = SECRET
) -> SignedDelivery:
    """A signed delivery of *payload*."""
    headers, body = sim.webhook_delivery(event_type, payload, secret=secret)
    return SignedDelivery(event_type=event_type, headers=headers, body=body)


def execution_id(sim: CircleCISimulator, run: RunRef) -> str:
    """The workflow id of the execution ``run.attempt`` names."""
    return sim.rerun_chain(run.run_id)[run.attempt - 1]


class GitHubRepo:
    """Reads a repository of the GitHub simulator back through its REST API."""

    def __init__(self, sim: GitHubSimulator, repo: str, token: str = GITHUB_TOKEN) -> None:
        self.sim = sim
        self.repo = repo
        self._headers = {"Authorization": f"token {token}", "User-Agent": "ci-rescue-tests"}

    def _get(self, path: str, **params: str) -> Any:
        with httpx.Client(base_url=self.sim.base_url, headers=self._headers) as client:
            response = client.get(path, params=params)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def issues(self) -> list[dict[str, Any]]:
        """Issues with ``title``, ``body``, ``labels`` and ``comments``."""
        return [
            {
                "title": issue["title"],
                "body": issue["body"],
                "labels": [label["name"] for label in issue["labels"]],
                "comments": [
                    c["body"] for c in self.sim.get_issue_comments(self.repo, issue["number"])
                ],
            }
            for issue in self.sim.get_issues(self.repo)
        ]

    def head_sha(self, branch: str = "main") -> str:
        """The commit *branch* points at (CircleCI pipelines build commits that exist)."""
        return str(self._get(f"/repos/{self.repo}/branches/{branch}")["commit"]["sha"])

    def file(self, path: str, ref: str | None = None) -> str | None:
        """A file's text at *ref* (default branch when ``None``)."""
        params = {"ref": ref} if ref else {}
        data = self._get(f"/repos/{self.repo}/contents/{path}", **params)
        if not isinstance(data, dict) or "content" not in data:
            return None
        return base64.b64decode(data["content"]).decode()

    def change_requests(self) -> list[dict[str, Any]]:
        """Pull requests with ``title``, branches, ``labels`` and ``files`` (path → content)."""
        out = []
        for pull in self._get(f"/repos/{self.repo}/pulls", state="all") or []:
            branch = pull["head"]["ref"]
            files = self._get(f"/repos/{self.repo}/pulls/{pull['number']}/files") or []
            names = [f["filename"] for f in files]
            out.append(
                {
                    "title": pull["title"],
                    "source_branch": branch,
                    "target_branch": pull["base"]["ref"],
                    "labels": [label["name"] for label in pull.get("labels") or []],
                    "files": {name: self.file(name, branch) for name in names},
                }
            )
        return out
