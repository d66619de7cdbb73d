"""The CircleCI simulator driven by a real httpx client (nothing mocked)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ci_rescue_providers.simulators import CircleCISimulator as Exported
from ci_rescue_providers.simulators.circleci import (
    CircleCISimulator,
    SimJob,
    SimTest,
    sign_body,
)

SLUG = "gh/acme/app"
TOKEN = "sim-token"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "circleci"


@pytest.fixture
def sim() -> Iterator[CircleCISimulator]:
    with CircleCISimulator(token=TOKEN, page_size=2) as simulator:
        simulator.add_project(SLUG)
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def api(sim: CircleCISimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.api_url, headers={"Circle-Token": TOKEN}) as client:
        yield client


def three_jobs(sim: CircleCISimulator, **kwargs: Any) -> str:
    return sim.add_workflow(
        SLUG,
        [
            SimJob("build", log="compiled\n"),
            SimJob("test", ["failed", "success"], log="E   assert 1 == 2\n", requires=["build"]),
            SimJob("deploy", requires=["test"]),
            SimJob("lint", ["failed"]),
        ],
        **kwargs,
    )


def key_paths(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        out = set()
        for key, item in value.items():
            out.add(f"{prefix}{key}")
            out |= key_paths(item, f"{prefix}{key}.")
        return out
    return set()


def test_it_is_exported_with_the_other_simulators() -> None:
    assert Exported is CircleCISimulator


def test_tokens_header_basic_and_query(sim: CircleCISimulator) -> None:
    url = f"{sim.api_url}/me"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Circle-Token": "wrong"}).json() == {
        "message": "You must log in first."
    }
    assert httpx.get(url, headers={"Circle-Token": TOKEN}).status_code == 200
    basic = base64.b64encode(f"{TOKEN}:".encode()).decode()
    assert httpx.get(url, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert httpx.get(url, params={"circle-token": TOKEN}).status_code == 200


def test_a_workflow_with_dependencies(sim: CircleCISimulator, api: httpx.Client) -> None:
    workflow_id = three_jobs(sim)
    workflow = api.get(f"/workflow/{workflow_id}").json()
    assert workflow["status"] == "failed" and workflow["project_slug"] == SLUG
    jobs: list[dict[str, Any]] = []
    page = api.get(f"/workflow/{workflow_id}/job").json()
    jobs += page["items"]
    assert len(page["items"]) == 2 and page["next_page_token"]
    page = api.get(f"/workflow/{workflow_id}/job", params={"page-token": page["next_page_token"]})
    jobs += page.json()["items"]
    status = {job["name"]: job["status"] for job in jobs}
    assert status == {"build": "success", "test": "failed", "deploy": "not_run", "lint": "failed"}
    by_name = {job["name"]: job for job in jobs}
    assert by_name["deploy"]["dependencies"] == [by_name["test"]["id"]]
    assert by_name["deploy"]["job_number"] is None
    assert [by_name[n]["job_number"] for n in ("build", "test", "lint")] == [1, 2, 3]


def test_rerun_from_failed_makes_a_new_workflow(sim: CircleCISimulator, api: httpx.Client) -> None:
    first = three_jobs(sim)
    answer = api.post(f"/workflow/{first}/rerun", json={"from_failed": True})
    assert answer.status_code == 202
    second = answer.json()["workflow_id"]
    assert second != first
    assert sim.rerun_chain(first) == sim.rerun_chain(second) == [first, second]
    old = {j["name"]: j for j in sim.get_jobs(first)}
    new = {j["name"]: j for j in sim.get_jobs(second)}
    assert new["build"]["id"] == old["build"]["id"]  # carried over, not re-run
    assert new["test"]["id"] != old["test"]["id"] and new["test"]["status"] == "success"
    assert new["deploy"]["status"] == "success"  # re-run with what it requires
    assert new["lint"]["status"] == "failed"
    assert sim.jobs_rerun(first) == {"test", "deploy", "lint"}
    assert sim.rerun_requests(first) == [{"from_failed": True}]
    pipeline = sim.get_workflow(second)["pipeline_id"]
    listed = api.get(f"/pipeline/{pipeline}/workflow").json()["items"]
    assert [w["id"] for w in listed] == [second, first]  # newest first


def test_rerun_of_chosen_jobs(sim: CircleCISimulator, api: httpx.Client) -> None:
    first = three_jobs(sim)
    lint = next(j for j in sim.get_jobs(first) if j["name"] == "lint")
    second = api.post(f"/workflow/{first}/rerun", json={"jobs": [lint["id"]]}).json()
    assert sim.jobs_rerun(first) == {"lint"}
    assert sim.get_workflow(second["workflow_id"])["status"] == "failed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"from_failed": True, "jobs": ["x"]}, "cannot be used together"),
        ({"jobs": ["nope"]}, "Jobs not found"),
        ({"from_failed": "yes"}, "boolean"),
        ({"enable_ssh": True}, "need jobs"),
    ],
)
def test_bad_reruns_are_refused(
    sim: CircleCISimulator, api: httpx.Client, body: dict[str, Any], message: str
) -> None:
    workflow_id = three_jobs(sim)
    answer = api.post(f"/workflow/{workflow_id}/rerun", json=body)
    assert answer.status_code == 400 and message in answer.json()["message"]
    assert sim.rerun_chain(workflow_id) == [workflow_id]


def test_an_empty_body_reruns_everything(sim: CircleCISimulator, api: httpx.Client) -> None:
    first = three_jobs(sim)
    api.post(f"/workflow/{first}/rerun")
    assert sim.jobs_rerun(first) == {"build", "test", "deploy", "lint"}


def test_cancel_a_running_workflow(sim: CircleCISimulator, api: httpx.Client) -> None:
    workflow_id = sim.add_workflow(
        SLUG, [SimJob("slow", ["running"]), SimJob("after", requires=["slow"])]
    )
    assert sim.get_workflow(workflow_id)["status"] == "running"
    assert api.post(f"/workflow/{workflow_id}/rerun").status_code == 400
    assert api.post(f"/workflow/{workflow_id}/cancel").status_code == 202
    assert sim.get_workflow(workflow_id)["status"] == "canceled"
    assert {j["status"] for j in sim.get_jobs(workflow_id)} == {"canceled"}
    assert sim.cancel_requests(workflow_id) == 1


def test_pipelines_by_branch_newest_first_with_page_tokens(
    sim: CircleCISimulator, api: httpx.Client
) -> None:
    ids = [sim.add_pipeline(SLUG, branch="main") for _ in range(3)]
    sim.add_pipeline(SLUG, branch="feature")
    seen, token = [], None
    while True:
        params = {"branch": "main", **({"page-token": token} if token else {})}
        page = api.get("/project/github/acme/app/pipeline", params=params).json()
        seen += [p["id"] for p in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ids[::-1]
    assert api.get("/project/gh%2Facme%2Fapp/pipeline").json()["items"][0]["vcs"]["branch"] == (
        "feature"
    )
    assert api.get(f"/project/{SLUG}/pipeline", params={"page-token": "%%%"}).status_code == 400


def test_job_details_and_tests(sim: CircleCISimulator, api: httpx.Client) -> None:
    tests = [
        SimTest("test_a", classname="tests.test_x", file="tests/test_x.py"),
        SimTest("test_b", "failure", message="assert 1 == 2", file="tests/test_x.py"),
        SimTest("test_c", "skipped"),
    ]
    workflow_id = sim.add_workflow(
        SLUG, [SimJob("test", ["failed"], parallelism=3, failing_nodes=[2], tests=tests)]
    )
    [job] = sim.get_jobs(workflow_id)
    details = api.get(f"/project/{SLUG}/job/{job['job_number']}").json()
    assert details["parallelism"] == 3
    assert [r["status"] for r in details["parallel_runs"]] == ["success", "success", "failed"]
    assert details["latest_workflow"]["id"] == workflow_id
    first = api.get(f"/project/{SLUG}/{job['job_number']}/tests").json()
    second = api.get(
        f"/project/{SLUG}/{job['job_number']}/tests",
        params={"page-token": first["next_page_token"]},
    ).json()
    items = first["items"] + second["items"]
    assert [(t["name"], t["result"]) for t in items] == [
        ("test_a", "success"),
        ("test_b", "failure"),
        ("test_c", "skipped"),
    ]
    assert set(items[0]) == {"message", "source", "run_time", "file", "result", "name", "classname"}


def test_step_output_behind_presigned_urls(sim: CircleCISimulator) -> None:
    workflow_id = sim.add_workflow(
        SLUG,
        [
            SimJob(
                "test",
                ["failed"],
                parallelism=2,
                failing_nodes=[1],
                log=lambda execution, node: f"node {node} of run {execution}\n",
            )
        ],
    )
    [job] = sim.get_jobs(workflow_id)
    build = httpx.get(
        f"{sim.base_url}/api/v1.1/project/{SLUG}/{job['job_number']}",
        headers={"Circle-Token": TOKEN},
    ).json()
    assert build["status"] == "failed" and build["build_num"] == job["job_number"]
    main = build["steps"][-1]
    assert main["name"] == "Run tests"
    assert [(a["index"], a["status"], a["exit_code"]) for a in main["actions"]] == [
        (0, "success", 0),
        (1, "failed", 1),
    ]
    url = main["actions"][1]["output_url"]
    messages = httpx.get(url).json()
    text = "".join(m["message"] for m in messages)
    assert "node 1 of run 1\r\n" in text and "Exited with code exit status 1" in text
    assert {m["type"] for m in messages} == {"out"}
    # the token must never travel to a pre-signed URL
    assert httpx.get(url, headers={"Circle-Token": TOKEN}).status_code == 400
    assert sim.credential_leaks == 1
    assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
    raw = httpx.get(
        f"{sim.base_url}/api/private/output/raw/{SLUG}/{job['job_number']}/output/1/3",
        headers={"Circle-Token": TOKEN},
    )
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.text == text
    assert sim.job_output(job["id"]).count("==>") == 0 and "node 0 of run 1" in sim.job_output(
        job["id"]
    )


def test_presigned_urls_expire() -> None:
    with CircleCISimulator(token=TOKEN, blob_url_ttl=0.0) as sim:
        sim.add_project(SLUG)
        [job] = sim.get_jobs(sim.add_workflow(SLUG, [SimJob("a", ["failed"])]))
        build = httpx.get(
            f"{sim.base_url}/api/v1.1/project/{SLUG}/{job['job_number']}",
            headers={"Circle-Token": TOKEN},
        ).json()
        time.sleep(1.1)
        assert httpx.get(build["steps"][-1]["actions"][0]["output_url"]).status_code == 403


def test_webhook_payloads_have_the_keys_of_real_deliveries(sim: CircleCISimulator) -> None:
    sim.add_project(
        "circleci/89xcrx7UvWQfzcUPAEmu5Q/63AY3yf3XeUQojmQcGZTtB",
        vcs_url="https://gitlab.com/zulip-testing/circleci-webhook-test",
    )
    for prefix, slug in (
        ("github", SLUG),
        ("gitlab", "circleci/89xcrx7UvWQfzcUPAEmu5Q/63AY3yf3XeUQojmQcGZTtB"),
    ):
        workflow_id = sim.add_workflow(slug, [SimJob("build-and-test")], name="sample")
        [job] = sim.get_jobs(workflow_id)
        real_workflow = json.loads((FIXTURES / f"{prefix}_workflow_completed.json").read_bytes())
        real_job = json.loads((FIXTURES / f"{prefix}_job_completed.json").read_bytes())
        assert key_paths(sim.workflow_completed_event(workflow_id)) == key_paths(real_workflow)
        assert key_paths(sim.job_completed_event(job["id"])) == key_paths(real_job)
    payload = sim.workflow_completed_event(workflow_id)
    assert payload["project"]["slug"].startswith("circleci/")
    assert payload["pipeline"]["trigger"]["type"] == "gitlab"


def test_event_ids_are_stable_across_redeliveries(sim: CircleCISimulator) -> None:
    workflow_id = three_jobs(sim)
    first = sim.workflow_completed_event(workflow_id)
    assert first == sim.workflow_completed_event(workflow_id)
    assert first["project"]["slug"] == "github/acme/app"
    assert first["workflow"]["url"].endswith(
        f"/pipelines/github/acme/app/1/workflows/{workflow_id}"
    )
    jobs = sim.get_jobs(workflow_id)
    ids = {sim.job_completed_event(j["id"])["id"] for j in jobs}
    assert len(ids) == len(jobs) and first["id"] not in ids


def test_signed_deliveries(sim: CircleCISimulator) -> None:
    payload = sim.workflow_completed_event(three_jobs(sim))
    headers, body = sim.webhook_delivery("workflow-completed", payload, secret="s3cret")
    assert headers["circleci-event-type"] == "workflow-completed"
    assert headers["User-Agent"] == "CircleCI-Webhook/1.0"
    assert headers["circleci-signature"] == sign_body(body, "s3cret")
    assert json.loads(body) == payload
    unsigned, _ = sim.webhook_delivery("workflow-completed", payload)
    assert "circleci-signature" not in unsigned


def test_faults_and_recorded_requests(sim: CircleCISimulator, api: httpx.Client) -> None:
    workflow_id = three_jobs(sim)
    sim.clear_requests()
    limited = sim.inject_fault("GET", r"/workflow/[^/]+$", status=429, headers={"Retry-After": "2"})
    answer = api.get(f"/workflow/{workflow_id}")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "2"
    assert limited.exhausted
    assert api.get(f"/workflow/{workflow_id}").status_code == 200
    sim.inject_fault("POST", r"/rerun$", status=500, body={"message": "boom"})
    assert api.post(f"/workflow/{workflow_id}/rerun").json() == {"message": "boom"}
    assert sim.rerun_chain(workflow_id) == [workflow_id]
    sim.inject_fault("GET", r"/job$", status=None, delay=0.3)
    started = time.monotonic()
    assert api.get(f"/workflow/{workflow_id}/job").status_code == 200
    assert time.monotonic() - started >= 0.3
    sim.inject_fault("GET", r"/job$", status=None, truncate=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(f"/workflow/{workflow_id}/job")
    recorded = [(r.method, r.status, r.faulted) for r in sim.requests]
    assert recorded == [
        ("GET", 429, True),
        ("GET", 200, False),
        ("POST", 500, True),
        ("GET", 200, True),
        ("GET", 200, True),
    ]
    assert [r.path for r in sim.write_requests()] == [f"/api/v2/workflow/{workflow_id}/rerun"]


def test_unknown_things_are_404(sim: CircleCISimulator, api: httpx.Client) -> None:
    assert api.get("/workflow/nope").status_code == 404
    assert api.get("/project/gh/acme/other/pipeline").json() == {"message": "Project not found"}
    assert api.get(f"/project/{SLUG}/job/999").status_code == 404
    assert api.get("/no/such/route").status_code == 404


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcomes": ["bogus"]}, "unknown outcome"),
        ({"outcomes": []}, "must not be empty"),
        ({"parallelism": 0}, "parallelism"),
        ({"failing_nodes": [3]}, "failing_nodes"),
    ],
)
def test_bad_jobs_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimJob("x", **kwargs)


def test_bad_setups_are_refused(sim: CircleCISimulator) -> None:
    with pytest.raises(ValueError, match="already exists"):
        sim.add_project("github/acme/app")
    with pytest.raises(ValueError, match="must look like"):
        sim.add_project("acme/app")
    with pytest.raises(ValueError, match="vcs_url"):
        sim.add_project("circleci/a/b")
    with pytest.raises(ValueError, match="requires"):
        sim.add_workflow(SLUG, [SimJob("b", requires=["a"]), SimJob("a")])
    with pytest.raises(ValueError, match="40-character"):
        sim.add_pipeline(SLUG, revision="abc")
    with pytest.raises(ValueError, match="token"):
        CircleCISimulator(token="")
