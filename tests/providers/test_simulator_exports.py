"""``ci_rescue_providers.simulators`` names each simulator's job model unambiguously, and the
imports that already worked keep working."""

from __future__ import annotations

import ci_rescue_providers.simulators as simulators
from ci_rescue_providers.simulators import (
    CircleCISimJob,
    CircleCISimulator,
    GitHubSimJob,
    GitLabSimJob,
    GitLabSimulator,
    SimJob,
    circleci,
    github,
    gitlab,
)


def test_each_alias_is_its_simulators_own_job_model() -> None:
    assert GitHubSimJob is github.SimJob
    assert GitLabSimJob is gitlab.SimJob
    assert CircleCISimJob is circleci.SimJob
    assert len({GitHubSimJob, GitLabSimJob, CircleCISimJob}) == 3


def test_the_bare_name_stays_githubs() -> None:
    assert SimJob is github.SimJob
    assert simulators.Fault is github.Fault and simulators.RecordedRequest is github.RecordedRequest


def test_every_exported_name_exists_and_is_sorted() -> None:
    assert all(hasattr(simulators, name) for name in simulators.__all__)
    assert list(simulators.__all__) == sorted(simulators.__all__)


def test_the_aliases_drive_their_simulators() -> None:
    with GitLabSimulator(token="t") as gl, CircleCISimulator(token="t") as circle:
        gl.add_project("acme/app")
        pipeline = gl.add_pipeline("acme/app", jobs=[GitLabSimJob("unit", ["failed"])])
        assert [job["status"] for job in gl.get_jobs(pipeline)] == ["failed"]
        circle.add_project("gh/acme/app")
        workflow = circle.add_workflow("gh/acme/app", [CircleCISimJob("unit", ["failed"])])
        assert [job["status"] for job in circle.get_jobs(workflow)] == ["failed"]
