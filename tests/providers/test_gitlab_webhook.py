"""GitLab webhooks: token and Standard-Webhooks signature checks, delivery ids, parsing of real
payloads (GitLab's documented examples and go-gitlab's captured deliveries)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.errors import PayloadError, SignatureError
from ci_rescue_providers.gitlab.mapping import matrix_values, parse_time
from ci_rescue_providers.gitlab.webhook import (
    delivery_id,
    event_kind,
    parse_event,
    verify_webhook,
)
from ci_rescue_providers.simulators.gitlab import standard_signature, webhook_delivery

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "gitlab"
NOW = 1_760_000_000.0
SECRET = "hook-secret"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def signed(body: bytes, secret: str | bytes = SECRET, *, stamp: int = int(NOW)) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": standard_signature(secret, "msg_1", str(stamp), body),
    }


# -- verification ----------------------------------------------------------------------------


def test_the_token_must_match_the_secret() -> None:
    verify_webhook({"X-Gitlab-Token": SECRET}, b"{}", SECRET, now=NOW)
    verify_webhook({"x-gitlab-token": SECRET}, b"{}", SECRET, now=NOW)  # any header case
    with pytest.raises(SignatureError, match="does not match the configured webhook secret"):
        verify_webhook({"X-Gitlab-Token": SECRET + "x"}, b"{}", SECRET, now=NOW)
    with pytest.raises(SignatureError, match="missing X-Gitlab-Token"):
        verify_webhook({}, b"{}", SECRET, now=NOW)


def test_no_configured_secret_names_the_variable() -> None:
    with pytest.raises(SignatureError, match="MY_HOOK_SECRET"):
        verify_webhook({"X-Gitlab-Token": "t"}, b"{}", None, now=NOW, secret_env="MY_HOOK_SECRET")


def test_a_standard_webhooks_signature_covers_the_raw_body() -> None:
    body = (FIXTURES / "docs.pipeline_event.json").read_bytes()
    verify_webhook(signed(body), body, SECRET, now=NOW)
    verify_webhook({**signed(body), "X-Gitlab-Token": SECRET}, body, SECRET, now=NOW)
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    with pytest.raises(SignatureError, match="does not match the body"):
        verify_webhook(signed(body), reserialised, SECRET, now=NOW)
    with pytest.raises(SignatureError, match="does not match the body"):
        verify_webhook(signed(body, "other"), body, SECRET, now=NOW)


def test_a_whsec_secret_is_decoded_as_the_standard_says() -> None:
    key = b"\x01\x02binary-key\xff"
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"object_kind":"pipeline"}'
    verify_webhook(signed(body, key), body, secret, now=NOW)
    with pytest.raises(SignatureError):
        verify_webhook(signed(body, secret.encode()), body, secret, now=NOW)


def test_one_matching_signature_among_several_is_enough() -> None:
    body = b"{}"
    headers = signed(body)
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"] + " v2,zzz"
    verify_webhook(headers, body, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook-timestamp": str(int(NOW) - 3600)}, "stale or replayed"),
        ({"webhook-timestamp": "yesterday"}, "not Unix seconds"),
        ({"webhook-id": ""}, "without webhook-id"),
        ({"webhook-signature": "v0,abc"}, "no 'v1,<base64>' entry"),
    ],
)
def test_bad_signatures_are_named(change: dict[str, str], message: str) -> None:
    body = b"{}"
    headers = {**signed(body), **change}
    with pytest.raises(SignatureError, match=message):
        verify_webhook(headers, body, SECRET, now=NOW)


def test_a_right_signature_does_not_excuse_a_wrong_token() -> None:
    body = b"{}"
    with pytest.raises(SignatureError, match="X-Gitlab-Token"):
        verify_webhook({**signed(body), "X-Gitlab-Token": "wrong"}, body, SECRET, now=NOW)


def test_the_simulators_deliveries_verify() -> None:
    payload = load("go-gitlab.pipeline.json")
    headers, body = webhook_delivery(
        "pipeline", payload, token=SECRET, signing_secret=SECRET, timestamp=int(NOW)
    )
    verify_webhook(headers, body, SECRET, now=NOW + 10)
    assert headers["X-Gitlab-Event"] == "Pipeline Hook"
    assert headers["webhook-id"] == headers["Idempotency-Key"]


# -- delivery ids ----------------------------------------------------------------------------


def test_delivery_id_prefers_the_idempotency_key() -> None:
    payload = {"object_kind": "pipeline"}
    both = {"Idempotency-Key": "idem", "X-Gitlab-Event-UUID": "event"}
    assert delivery_id(both, payload) == "idem"
    assert delivery_id({"X-Gitlab-Event-UUID": "event"}, payload) == "event"
    assert delivery_id({"webhook-id": "msg"}, payload) == "msg"


def test_without_headers_the_payload_itself_is_the_id() -> None:
    first = load("docs.pipeline_event.json")
    again = json.loads(json.dumps(first, indent=4))
    other = load("go-gitlab.pipeline.json")
    assert delivery_id({}, first) == delivery_id({}, again)
    assert delivery_id({}, first) != delivery_id({}, other)
    assert str(delivery_id({}, first)).startswith("sha256:")


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("pipeline", "pipeline"),
        ("Pipeline Hook", "pipeline"),
        ("job", "job"),
        ("Job Hook", "job"),
        ("build", "job"),
        ("Push Hook", None),
        ("merge_request", None),
    ],
)
def test_event_types_for_the_cli_and_the_headers(event_type: str, kind: str | None) -> None:
    assert event_kind(event_type) == kind


def test_the_documented_pipeline_event() -> None:
    calls: list[tuple[str, str, Sequence[str]]] = []

    def resolve(repo: str, pipeline_id: str, job_ids: Sequence[str]) -> int:
        calls.append((repo, pipeline_id, list(job_ids)))
        return 3

    event = parse_event("Pipeline Hook", load("docs.pipeline_event.json"), resolve_attempt=resolve)
    assert event is not None and event.kind == "pipeline"
    run = event.run
    assert (run.provider, run.repo, run.run_id) == ("gitlab", "gitlab-org/gitlab-test", "31")
    assert run.head_sha == "bcbb5ec396a2c0f828686f14fac9b80b780504f2"
    assert run.status == "completed" and run.conclusion == "success"
    assert run.workflow == "Pipeline for branch: master"
    assert run.pr_numbers == (1,)  # the payload's merge_request
    assert run.event == "merge_request_event"
    assert run.url == "http://example.com/gitlab-org/gitlab-test/-/pipelines/31"
    assert run.created_at is not None and run.created_at.year == 2016
    assert run.attempt == 3
    assert calls == [("gitlab-org/gitlab-test", "31", ["380", "377", "378", "376", "379"])]
    assert event.is_completed and not event.is_failure


def test_a_running_pipeline_is_not_resolved_against_the_api() -> None:
    payload = load("go-gitlab.pipeline.json")
    payload["object_attributes"]["status"] = "running"

    def resolve(repo: str, pipeline_id: str, job_ids: Sequence[str]) -> int:
        raise AssertionError("no API call for an unfinished pipeline")

    event = parse_event("pipeline", payload, resolve_attempt=resolve)
    assert event is not None
    assert event.run.status == "running" and event.run.attempt == 1
    assert not event.is_completed


def test_a_failed_pipeline_is_a_failure_and_the_url_is_rebuilt_when_absent() -> None:
    payload = load("go-gitlab.pipeline.json")  # has no object_attributes.url
    payload["object_attributes"]["status"] = "failed"
    event = parse_event("pipeline", payload, delivery_id="d-1")
    assert event is not None and event.is_failure and event.delivery_id == "d-1"
    assert event.run.url == "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31"


def test_the_documented_job_event() -> None:
    event = parse_event("Job Hook", load("docs.job_event.json"))
    assert event is not None and event.kind == "job" and event.job is not None
    job = event.job
    assert (job.job_id, job.name, job.run.run_id) == ("1977", "test", "2366")
    assert job.status == "created" and job.conclusion is None
    assert job.failure_reason is None  # the reason of an unfinished job means nothing
    assert event.run.repo == "gitlab-org/gitlab-test"
    assert job.url == "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977"
    assert not event.is_completed


def test_a_captured_job_event_without_project_falls_back_to_the_project_id() -> None:
    event = parse_event("job", load("go-gitlab.job.json"))
    assert event is not None and event.job is not None
    assert event.run.repo == "31537070"
    assert event.job.conclusion == "success" and not event.is_failure
    # GitLab says unknown_failure for a job that passed: that is not a failure reason
    assert event.job.failure_reason is None
    assert event.job.runner == "4-blue.shared.runners-manager.gitlab.com/default"
    assert event.run.status == "running"  # commit.status is the pipeline's
    assert event.job.url == "https://gitlab.com/jsmithy2/release-tools-fake/-/jobs/3580121225"


def test_a_failed_job_keeps_its_failure_reason_and_allowed_failures_are_not_failures() -> None:
    payload = load("docs.job_event.json")
    payload.update(build_status="failed", build_failure_reason="runner_system_failure")
    event = parse_event("job", payload)
    assert event is not None and event.job is not None and event.is_failure
    assert event.job.failure_reason == "runner_system_failure"
    payload["build_allow_failure"] = True
    allowed = parse_event("job", payload)
    assert allowed is not None and allowed.job is not None
    assert allowed.job.conclusion == "allowed_failure" and not allowed.is_failure


def test_other_events_are_not_acted_on() -> None:
    assert parse_event("Push Hook", {"object_kind": "push"}) is None


@pytest.mark.parametrize(
    ("event_type", "payload", "field"),
    [
        ("pipeline", {"object_kind": "build"}, "object_kind"),
        ("pipeline", {"object_kind": "pipeline"}, "object_attributes"),
        ("pipeline", {"object_attributes": {"id": 1}}, "project"),
        (
            "pipeline",
            {"object_attributes": {"id": 1}, "project": {"path_with_namespace": "flat"}},
            "project.path_with_namespace",
        ),
        (
            "pipeline",
            {"object_attributes": {}, "project": {"path_with_namespace": "a/b"}},
            "object_attributes.id",
        ),
        (
            "pipeline",
            {
                "object_attributes": {"id": 1},
                "project": {"path_with_namespace": "a/b"},
                "builds": 3,
            },
            "builds",
        ),
        ("job", {"object_kind": "build", "pipeline_id": 1}, "build.build_id"),
        ("job", {"build_id": 1, "pipeline_id": 2}, "build.project_id"),
    ],
)
def test_malformed_payloads_name_the_field(
    event_type: str, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_event(event_type, payload)
    assert caught.value.field == field
    assert field.split(".")[-1] in str(caught.value)


_TEXT = st.text(min_size=1, max_size=30)


@given(status=_TEXT, reason=st.one_of(st.none(), _TEXT), allow=st.booleans())
def test_any_status_or_failure_reason_parses(status: str, reason: str | None, allow: bool) -> None:
    payload = load("docs.job_event.json")
    payload.update(build_status=status, build_failure_reason=reason, build_allow_failure=allow)
    event = parse_event("job", payload)
    assert event is not None and event.job is not None
    assert event.job.failure_reason == (reason if status == "failed" and reason else None)
    assert event.is_failure == (status == "failed" and not allow)


@given(values=st.lists(st.from_regex(r"[a-z0-9.]{1,6}", fullmatch=True), min_size=1, max_size=4))
def test_matrix_values_round_trip_gitlabs_matrix_names(values: list[str]) -> None:
    assert matrix_values(f"test: [{', '.join(values)}]") == tuple(values)


def test_parallel_and_plain_job_names() -> None:
    assert matrix_values("rspec 2/4") == ("2/4",)
    assert matrix_values("build") == ()


@pytest.mark.parametrize(
    "text",
    ["2016-08-12 15:23:28 UTC", "2016-08-12T15:23:28Z", "2016-08-12T15:23:28.000Z",
     "2016-08-12T17:23:28+02:00"],
)  # fmt: skip
def test_both_timestamp_styles_parse_to_the_same_instant(text: str) -> None:
    parsed = parse_time(text)
    assert parsed is not None
    assert parsed.timestamp() == parse_time("2016-08-12T15:23:28+00:00").timestamp()  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [None, "", "yesterday", 12])
def test_unreadable_timestamps_are_none(value: object) -> None:
    assert parse_time(value) is None
