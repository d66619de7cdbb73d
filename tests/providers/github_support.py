"""The GitHub adapter on a live simulator, as the provider tests build it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ci_rescue_core.provider import ProviderSettings
from ci_rescue_providers.github import GitHubProvider, build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator

REPO = "acme/app"
TOKEN = "t"


@contextmanager
def running_simulator(*, push_access: bool = True) -> Iterator[GitHubSimulator]:
    """A simulator holding :data:`REPO`; on exit, asserts it met no errors."""
    with GitHubSimulator(token=TOKEN, push_access=push_access) as simulator:
        simulator.add_repo(REPO)
        yield simulator
    assert simulator.errors == []


def unthrottled_provider(
    sim: GitHubSimulator, *, webhook_secret: str | None = None
) -> GitHubProvider:
    """The adapter the ``github`` factory builds for *sim*, with PyGithub's pauses off."""
    return build_provider(
        ProviderSettings(
            name="github",
            base_url=sim.base_url,
            token=TOKEN,
            webhook_secret=webhook_secret,
            options={"seconds_between_requests": 0, "seconds_between_writes": 0},
        )
    )
