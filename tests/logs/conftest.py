"""Fixtures shared by the log-analysis tests: the plugin facade and the real fixture logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_extractors import infra, pytest_extractor

FIXTURE_LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


def load_labels() -> list[dict[str, Any]]:
    """The label rows of the fixture logs (see ``tests/fixtures/logs/SOURCES.md``)."""
    with (FIXTURE_LOGS / "LABELS.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture
def hooks() -> Hooks:
    """A plugin facade with the two built-in extractors and nothing else."""
    return Hooks(make_plugin_manager(entry_points=False, extra=[pytest_extractor, infra]))
