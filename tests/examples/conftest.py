"""Fixtures for the examples: a live GitHub simulator; the example plugin's source on the path."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci_rescue_providers.simulators.github import GitHubSimulator
from tests.examples.runs import REPO, TOKEN

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# The remedy plugin is its own distribution; the main suite imports it from its source tree.
PLUGIN_SRC = str(EXAMPLES / "remedy_plugin" / "src")
if PLUGIN_SRC not in sys.path:
    sys.path.insert(0, PLUGIN_SRC)


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    """A GitHub simulator with one repository, ``acme/app`` (default branch ``main``)."""
    with GitHubSimulator(token=TOKEN) as simulator:
        simulator.add_repo(REPO)
        yield simulator
