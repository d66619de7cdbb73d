"""CircleCI webhooks: ``circleci-signature`` over the raw body, and parsing real payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.errors import PayloadError, SignatureError
from ci_rescue_core.orchestrator import parse_json_body
from ci_rescue_providers.circleci.runs import canonical_slug, commit_of, repo_path
from ci_rescue_providers.circleci.webhook import parse_payload, signature_values, verify_signature
from ci_rescue_providers.simulators.circleci import sign_body

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "circleci"
# Test vectors of PROVIDER_API_NOTES.md §3 (body, secret, hex digest).
VECTORS = [
    (b"hello world", "secret", "734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a"),
    (b"foo", "secret", "773ba44693c7553d6ee20f61ea5d2757a9a4f4a44d2841ae4e95b52e4cd62db4"),
]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_bytes())
    return data


# -- signatures --------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "secret", "digest"), VECTORS)
def test_published_vectors_verify(body: bytes, secret: str, digest: str) -> None:
    assert hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() == digest
    verify_signature({"circleci-signature": f"v1={digest}"}, body, secret)
    verify_signature({"CircleCI-Signature": f"v1={digest.upper()}"}, body, secret)


@pytest.mark.parametrize(("body", "secret", "digest"), VECTORS)
def test_only_v1_is_checked_among_several_schemes(body: bytes, secret: str, digest: str) -> None:
    verify_signature({"circleci-signature": f"v2=ignored, v1={digest}"}, body, secret)
    verify_signature({"circleci-signature": f"v1={digest},v2=ignored"}, body, secret)
    with pytest.raises(SignatureError, match="v1="):
        verify_signature({"circleci-signature": f"v2={digest}"}, body, secret)


@pytest.mark.parametrize(
    ("headers", "secret", "match"),
    [
        ({}, "secret", "missing circleci-signature"),
        ({"circleci-signature": "sha256=abc"}, "secret", "v1="),
        ({"circleci-signature": "v1="}, "secret", "v1="),
        ({"circleci-signature": "v1=" + "0" * 64}, "secret", "does not match"),
        ({"circleci-signature": "v1=" + VECTORS[0][2]}, None, "no webhook secret"),
        ({"circleci-signature": "v1=" + VECTORS[0][2]}, "wrong", "does not match"),
    ],
)
def test_bad_signatures_are_refused(
    headers: dict[str, str], secret: str | None, match: str
) -> None:
    with pytest.raises(SignatureError, match=match):
        verify_signature(headers, b"hello world", secret)


def test_a_changed_byte_is_refused() -> None:
    body, secret, digest = VECTORS[0]
    with pytest.raises(SignatureError):
        verify_signature({"circleci-signature": f"v1={digest}"}, body + b" ", secret)


def test_header_values_split_on_comma_then_equals() -> None:
    assert signature_values("v1=ab, v2=cd,v1=ef,junk,=x") == {"v1": ["ab", "ef"], "v2": ["cd"]}


@given(body=st.binary(max_size=512), secret=st.text(min_size=1, max_size=40))
def test_simulator_signatures_always_verify(body: bytes, secret: str) -> None:
    verify_signature({"circleci-signature": sign_body(body, secret)}, body, secret)


# -- parsing real payloads ---------------------------------------------------------------------


def test_github_workflow_completed() -> None:
    payload = load("github_workflow_completed.json")
    parsed = parse_payload("workflow-completed", payload, delivery_id=payload["id"])
    assert parsed is not None
    run = parsed.event.run
    assert run.repo == "gh/zulip-testing/circleci-webhook-test"
    assert run.run_id == "7381218b-d04c-4aa3-b8b8-8c00a9319d1f"
    assert run.workflow == "sample"
    assert run.head_sha == "a5e30a908224e46626a796d058289475f6d387b5"
    assert run.head_branch == "main"
    assert (run.status, run.conclusion) == ("completed", "success")
    assert run.url.startswith("https://app.circleci.com/pipelines/github/")
    assert parsed.pipeline_id == "877c620f-900a-455b-ad51-1a772b5a3eab"
    assert parsed.repository_url == "https://github.com/zulip-testing/circleci-webhook-test"
    assert parsed.event.delivery_id == "630a6132-5bf1-3600-b26d-a020d41358f9"
    assert parsed.event.is_completed and not parsed.event.is_failure


def test_gitlab_payloads_take_commit_data_from_trigger_parameters() -> None:
    parsed = parse_payload("job-completed", load("gitlab_job_completed.json"))
    assert parsed is not None
    run, job = parsed.event.run, parsed.event.job
    assert run.repo == "circleci/89xcrx7UvWQfzcUPAEmu5Q/63AY3yf3XeUQojmQcGZTtB"
    assert run.head_sha == "c31f86994c54672f97b5bd5e544315b7bd40e4c1"
    assert run.head_branch == "main"
    assert run.event == "gitlab"
    assert repo_path(parsed.repository_url) == "zulip-testing/circleci-webhook-test"
    assert job is not None
    assert (job.job_id, job.name, job.status, job.conclusion) == (
        "fa6d0b0f-473d-40ea-b1ed-da1e89298f47",
        "build-and-test",
        "completed",
        "success",
    )
    assert job.url.endswith("/jobs/2")


def test_a_failed_workflow_is_a_failure() -> None:
    parsed = parse_payload("workflow-completed", load("workflow_completed_gitlab_failed.json"))
    assert parsed is not None
    assert parsed.event.is_failure
    assert parsed.event.run.conclusion == "failed"


@pytest.mark.parametrize("status", ["failed", "error", "infrastructure_fail", "timedout"])
def test_every_failure_spelling_is_a_failure(status: str) -> None:
    payload = load("github_job_completed.json")
    payload["job"]["status"] = status
    parsed = parse_payload("job-completed", payload)
    assert parsed is not None and parsed.event.is_failure
    assert parsed.event.job is not None
    reason = parsed.event.job.failure_reason
    assert reason == (status if status in ("infrastructure_fail", "timedout") else None)


@given(status=st.text(max_size=30))
def test_unknown_statuses_never_crash(status: str) -> None:
    payload = load("github_workflow_completed.json")
    payload["workflow"]["status"] = status or "x"
    parsed = parse_payload("workflow-completed", payload)
    assert parsed is not None
    assert parsed.event.run.status in ("completed", status or "x")


def test_the_header_decides_the_event_type() -> None:
    # the docs' GitLab job sample says "type": "workflow-completed"; the header is trusted
    payload = load("gitlab_job_completed.json")
    payload["type"] = "workflow-completed"
    parsed = parse_payload("job-completed", payload)
    assert parsed is not None and parsed.event.job is not None
    assert parse_payload("ping", payload) is None
    assert parse_payload("workflow_run", payload) is None


def test_the_real_malformed_sample_is_a_clear_payload_error() -> None:
    raw = (FIXTURES / "docs_job_completed_gitlab.invalid.json").read_bytes()
    with pytest.raises(PayloadError, match="not valid JSON"):
        parse_json_body(raw)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.pop("workflow"), "workflow"),
        (lambda p: p["workflow"].pop("id"), "workflow.id"),
        (lambda p: p["workflow"].pop("status"), "workflow.status"),
        (lambda p: p["project"].pop("slug"), "project.slug"),
        (lambda p: p["project"].update(slug="github"), "project.slug"),
        (lambda p: p["pipeline"].pop("id"), "pipeline.id"),
        (lambda p: p["workflow"].update(name=["x"]), "workflow.name"),
    ],
)
def test_malformed_payloads_name_the_field(mutate: Any, field: str) -> None:
    payload = load("github_workflow_completed.json")
    mutate(payload)
    with pytest.raises(PayloadError) as caught:
        parse_payload("workflow-completed", payload)
    assert caught.value.field == field
    assert field.split(".")[-1] in str(caught.value)


def test_a_job_event_without_its_job_is_refused() -> None:
    payload = load("github_workflow_completed.json")
    with pytest.raises(PayloadError, match="'job'"):
        parse_payload("job-completed", payload)


def test_slugs_and_repository_urls() -> None:
    assert canonical_slug("github/acme/app") == "gh/acme/app"
    assert canonical_slug("bitbucket/acme/app") == "bb/acme/app"
    assert canonical_slug("circleci/a/b") == "circleci/a/b"
    assert repo_path("https://github.com/acme/app") == "acme/app"
    assert repo_path("git@gitlab.com:group/sub/project.git") == "group/sub/project"
    assert repo_path("https://gitlab.example.com/group/project/") == "group/project"
    assert repo_path("not a url") is None
    assert repo_path("https://github.com/") is None
    assert commit_of({}) == ("", None, None, ())
    sha, branch, url, prs = commit_of(
        {"vcs": {"revision": "a" * 40, "review_id": "12", "target_repository_url": "u"}}
    )
    assert (sha, branch, url, prs) == ("a" * 40, None, "u", (12,))
