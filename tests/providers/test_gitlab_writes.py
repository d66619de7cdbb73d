"""The GitLab adapter's writes with the real python-gitlab against the simulator: retries,
cancel, merge requests with commits, issues with labels, notes, commit comments."""

from __future__ import annotations

import re
from collections.abc import Iterator

import gitlab
import pytest

from ci_rescue_core.errors import (
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    WriteRefusedError,
)
from ci_rescue_core.provider import Annotation, FileEdit, ProviderSettings
from ci_rescue_providers.gitlab import GitLabProvider, build_provider
from ci_rescue_providers.gitlab.writes import MARKER_SCAN_LIMIT
from ci_rescue_providers.simulators.gitlab import GitLabSimulator, SimJob

REPO = "acme/app"
FILES = {"constraints.txt": "requests==2.32.0\n", "old.cfg": "x=1\n", "src/app.py": "ok\n"}


@pytest.fixture
def sim() -> Iterator[GitLabSimulator]:
    with GitLabSimulator(token="t") as simulator:
        simulator.add_project(REPO, files=FILES)
        yield simulator
        assert simulator.errors == []


@pytest.fixture
def provider(sim: GitLabSimulator) -> Iterator[GitLabProvider]:
    adapter = build_provider(ProviderSettings(name="gitlab", base_url=sim.base_url, token="t"))
    yield adapter
    adapter.close()


def writes(sim: GitLabSimulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in sim.write_requests()]


# -- retries and cancel ----------------------------------------------------------------------


def test_retrying_failed_jobs_is_one_pipeline_retry(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("a", ["failed"]), SimJob("b")])
    run = provider.get_run(REPO, str(pipeline_id))
    assert provider.rerun_failed_jobs(run) == run.url
    assert writes(sim) == [f"POST /api/v4/projects/acme%2Fapp/pipelines/{pipeline_id}/retry"]
    names = [job["name"] for job in sim.get_jobs(pipeline_id, include_retried=True)]
    assert sorted(names) == ["a", "a", "b"]


def test_retrying_chosen_jobs_goes_through_the_projects_jobs(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("x 1/2", ["failed"]), SimJob("x 2/2", ["failed"])]
    )
    run = provider.get_run(REPO, str(pipeline_id))
    first = provider.list_jobs(run)[0]
    provider.rerun_jobs(run, [first.job_id, first.job_id])
    assert writes(sim) == [f"POST /api/v4/projects/acme%2Fapp/jobs/{first.job_id}/retry"]


def test_jobs_of_another_pipeline_are_refused(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    mine = sim.add_pipeline(REPO, jobs=[SimJob("a", ["failed"])])
    other = sim.add_pipeline(REPO, jobs=[SimJob("a", ["failed"])])
    stranger = sim.get_jobs(other)[0]["id"]
    run = provider.get_run(REPO, str(mine))
    with pytest.raises(NotFoundError, match=f"jobs {stranger} are not jobs of pipeline {mine}"):
        provider.rerun_jobs(run, [str(stranger)])
    with pytest.raises(PayloadError, match="at least one job"):
        provider.rerun_jobs(run, [])
    assert sim.write_requests() == []


def test_a_refused_retry_is_a_permission_error(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("a", ["success"])])
    with pytest.raises(PermissionDeniedError, match="Pipeline cannot be retried"):
        provider.rerun_failed_jobs(provider.get_run(REPO, str(pipeline_id)))


def test_cancel_stops_a_running_pipeline(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    pipeline_id = sim.add_pipeline(
        REPO, jobs=[SimJob("slow", ["running"]), SimJob("deploy", stage="deploy")]
    )
    run = provider.get_run(REPO, str(pipeline_id))
    assert run.status == "running" and run.conclusion is None
    provider.cancel_run(run)
    after = provider.get_run(REPO, str(pipeline_id))
    assert after.conclusion == "canceled"
    assert {j.name: j.conclusion for j in provider.list_jobs(after)} == {
        "slow": "canceled",
        "deploy": "canceled",
    }
    assert sim.cancel_count(pipeline_id) == 1


# -- merge requests --------------------------------------------------------------------------


def test_a_change_request_is_one_commit_on_a_new_branch_and_a_merge_request(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    change = provider.open_change_request(
        REPO,
        branch="ci-rescue/pin-requests",
        title="Pin requests to 2.31.0",
        body="The 2.32.0 release broke the build.",
        edits=[
            FileEdit("constraints.txt", "requests==2.31.0\n"),
            FileEdit("new/notes.md", "why\n"),
            FileEdit("old.cfg", None),
            FileEdit("never-existed.txt", None),
        ],
        labels=["ci:dep-pin"],
    )
    assert change.created and change.number == "1" and not change.auto_merge
    assert change.url == f"{sim.base_url}/{REPO}/-/merge_requests/1"
    files = sim.get_files(REPO, "ci-rescue/pin-requests")
    assert files["constraints.txt"] == "requests==2.31.0\n"
    assert files["new/notes.md"] == "why\n" and "old.cfg" not in files
    assert sim.get_files(REPO) == FILES  # the default branch is untouched
    [mr] = sim.get_merge_requests(REPO)
    assert (mr["source_branch"], mr["target_branch"]) == ("ci-rescue/pin-requests", "main")
    assert mr["labels"] == ["ci:dep-pin"] and mr["force_remove_source_branch"]
    [label] = sim.get_labels(REPO)
    assert re.fullmatch(r"#[0-9A-F]{6}", label["color"])
    commit = next(r for r in sim.write_requests() if r.path.endswith("/repository/commits"))
    assert commit.json()["start_branch"] == "main"
    assert [a["action"] for a in commit.json()["actions"]] == ["update", "create", "delete"]


def test_the_same_branch_again_reuses_the_open_merge_request(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    edits = [FileEdit("constraints.txt", "requests==2.31.0\n")]
    first = provider.open_change_request(REPO, branch="fix", title="t", body="b", edits=edits)
    before = len(sim.write_requests())
    again = provider.open_change_request(REPO, branch="fix", title="t", body="b", edits=edits)
    assert not again.created and again.number == first.number
    assert len(sim.write_requests()) == before


def test_never_an_existing_branch_nor_the_base(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    edits = [FileEdit("constraints.txt", "x\n")]
    # someone else's branch, with no merge request
    client = gitlab.Gitlab(sim.base_url, private_token="t", keep_base_url=True)
    client.projects.get(REPO, lazy=True).branches.create({"branch": "taken", "ref": "main"})
    client.session.close()
    with pytest.raises(WriteRefusedError, match="already exists"):
        provider.open_change_request(REPO, branch="taken", title="t", body="", edits=edits)
    for branch in ("main", ""):
        with pytest.raises(WriteRefusedError, match="never to"):
            provider.open_change_request(REPO, branch=branch, title="t", body="", edits=edits)
    assert sim.get_files(REPO) == FILES == sim.get_files(REPO, "taken")


def test_a_change_without_edits_is_refused(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    with pytest.raises(PayloadError, match="changes no file"):
        provider.open_change_request(
            REPO, branch="empty", title="t", body="", edits=[FileEdit("ghost.txt", None)]
        )
    with pytest.raises(PayloadError, match="invalid file path"):
        provider.open_change_request(
            REPO, branch="evil", title="t", body="", edits=[FileEdit("../etc/passwd", "x")]
        )
    assert sim.get_branches(REPO) == ["main"]


def test_a_failed_merge_request_leaves_no_branch_behind(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("POST", r"/merge_requests$", status=403)
    with pytest.raises(PermissionDeniedError, match="Developer role"):
        provider.open_change_request(
            REPO, branch="doomed", title="t", body="", edits=[FileEdit("a.txt", "a\n")]
        )
    assert sim.get_branches(REPO) == ["main"]
    assert sim.get_merge_requests(REPO) == []


def test_drafts_and_auto_merge(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    draft = provider.open_change_request(
        REPO, branch="d", title="Quarantine", body="", edits=[FileEdit("q", "1")], draft=True,
        auto_merge=True,
    )  # fmt: skip
    merging = provider.open_change_request(
        REPO, branch="m", title="Retry label", body="", edits=[FileEdit("r", "1")],
        auto_merge=True,
    )  # fmt: skip
    mrs = {mr["source_branch"]: mr for mr in sim.get_merge_requests(REPO)}
    assert mrs["d"]["draft"] and mrs["d"]["title"] == "Draft: Quarantine"
    assert not draft.auto_merge and not mrs["d"]["merge_when_pipeline_succeeds"]
    assert merging.auto_merge and mrs["m"]["merge_when_pipeline_succeeds"]
    again = provider.open_change_request(
        REPO, branch="m", title="Retry label", body="", edits=[FileEdit("r", "1")]
    )
    assert again.auto_merge and not again.created


def test_auto_merge_declined_is_reported_not_raised(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    sim.inject_fault("PUT", r"/merge$", status=405)
    change = provider.open_change_request(
        REPO, branch="m", title="t", body="", edits=[FileEdit("r", "1")], auto_merge=True
    )
    assert change.created and not change.auto_merge


# -- issues, notes, commit comments ----------------------------------------------------------


def test_issue_with_labels_and_assignees_then_a_note(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    alice = sim.add_user("alice")
    marker = "<!-- ci-rescue:incident:k1 -->"
    first = provider.open_issue(
        REPO, title="CI failure", body=f"first\n{marker}", labels=["ci:auto-rescue", "ci:flake"],
        assignees=["@alice", "nobody-here", "@org/team", "dev@example.com"], marker=marker,
    )  # fmt: skip
    second = provider.open_issue(
        REPO, title="CI failure", body=f"again\n{marker}", labels=["ci:auto-rescue"], marker=marker
    )
    assert first.created and not second.created and first.number == second.number == "1"
    [issue] = sim.get_issues(REPO)
    assert issue["labels"] == ["ci:auto-rescue", "ci:flake"]
    assert [a["id"] for a in issue["assignees"]] == [alice]
    assert [n["body"] for n in sim.get_issue_notes(REPO, 1)] == [f"again\n{marker}"]
    colours = {label["name"]: label["color"] for label in sim.get_labels(REPO)}
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colours.values())
    third = provider.open_issue(REPO, title="Other", body="no marker", labels=["ci:auto-rescue"])
    assert third.created and third.number == "2"
    assert len(sim.get_labels(REPO)) == 2  # labels are created once


def test_existing_labels_are_left_alone(sim: GitLabSimulator, provider: GitLabProvider) -> None:
    provider.open_issue(REPO, title="a", body="", labels=["bug"])
    sim.clear_requests()
    provider.open_issue(REPO, title="b", body="", labels=["bug"])
    assert not any(r.path.endswith("/labels") for r in sim.write_requests())


@pytest.mark.parametrize(("number", "kind"), [("!1", "mr"), ("1", "mr"), ("#1", "issue")])
def test_comments_go_to_merge_requests_or_issues(
    sim: GitLabSimulator, provider: GitLabProvider, number: str, kind: str
) -> None:
    provider.open_change_request(REPO, branch="c", title="t", body="", edits=[FileEdit("c", "1")])
    provider.open_issue(REPO, title="i", body="")
    url = provider.comment(REPO, number, "looks flaky")
    if kind == "mr":
        [note] = sim.get_merge_request_notes(REPO, 1)
        assert url == f"{sim.base_url}/{REPO}/-/merge_requests/1#note_{note['id']}"
        assert sim.get_issue_notes(REPO, 1) == []
    else:
        [note] = sim.get_issue_notes(REPO, 1)
        assert url == f"{sim.base_url}/{REPO}/-/issues/1#note_{note['id']}"
    assert note["body"] == "looks flaky"


def test_a_bare_number_without_a_merge_request_is_an_issue(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    provider.open_issue(REPO, title="i", body="")
    provider.comment(REPO, "1", "hello")
    assert [n["body"] for n in sim.get_issue_notes(REPO, 1)] == ["hello"]
    with pytest.raises(NotFoundError):
        provider.comment(REPO, "!7", "nobody")
    with pytest.raises(PayloadError, match="merge request or issue number"):
        provider.comment(REPO, "seven", "nobody")


def test_annotations_become_one_commit_comment(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    pipeline_id = sim.add_pipeline(REPO, jobs=[SimJob("test", ["failed"])])
    run = provider.get_run(REPO, str(pipeline_id))
    notes = [
        Annotation(path="src/app.py", start_line=i, end_line=i + (i == 3), message=f"m|{i}")
        for i in range(1, 61)
    ]
    url = provider.annotate(run, title="ci-rescue", summary="2 flaky tests", annotations=notes)
    assert url == f"{sim.base_url}/{REPO}/-/commit/{run.head_sha}"
    [comment] = sim.get_commit_comments(REPO, run.head_sha)
    body = comment["note"]
    assert body.startswith("### ci-rescue\n\n2 flaky tests")
    assert "`src/app.py:3-4`" in body and "m\\|3" in body
    assert "`src/app.py:50`" in body and "`src/app.py:51`" not in body
    assert "and 10 more" in body
    assert len(sim.write_requests()) == 1


def test_the_incident_issue_is_found_when_its_labels_are_missing(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    marker = "<!-- ci-rescue:incident:nolabels -->"
    # a token below the Reporter role opens issues whose labels GitLab drops: no labels here
    first = provider.open_issue(REPO, title="CI failure", body=f"first\n{marker}")
    assert sim.get_issues(REPO)[0]["labels"] == []
    again = provider.open_issue(
        REPO, title="CI failure", body=f"again\n{marker}", labels=["ci:auto-rescue"], marker=marker
    )
    assert not again.created and again.number == first.number
    assert len(sim.get_issues(REPO)) == 1
    assert [n["body"] for n in sim.get_issue_notes(REPO, 1)] == [f"again\n{marker}"]


def test_the_unlabelled_marker_scan_is_bounded(
    sim: GitLabSimulator, provider: GitLabProvider
) -> None:
    for i in range(MARKER_SCAN_LIMIT + 10):
        provider.open_issue(REPO, title=f"other {i}", body="no marker")
    sim.clear_requests()
    marker = "<!-- ci-rescue:incident:new -->"
    ref = provider.open_issue(REPO, title="new", body=marker, labels=["ci"], marker=marker)
    assert ref.created
    pages = [r for r in sim.requests if r.method == "GET" and r.path.endswith("/issues")]
    assert [r.query.get("labels") for r in pages] == ["ci", None, None, None]
