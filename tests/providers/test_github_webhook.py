"""GitHub webhooks: signatures over raw bytes, and parsing of real deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.errors import PayloadError, SignatureError
from ci_rescue_providers.github.webhook import matrix_values, parse_event, verify_signature

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks" / "github"
COGNI_SECRET = "402786017574bd28f9d8f7a18648939751c47fe09077d56e10f0444f14fbb73b"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_githubs_documented_test_vector() -> None:
    vector = load("signature_test_vector.json")
    headers = {"X-Hub-Signature-256": vector["x_hub_signature_256"]}
    verify_signature(headers, vector["payload"].encode(), vector["secret"])
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(headers, b"Hello, World?", vector["secret"])


def test_a_real_captured_delivery_verifies_over_its_raw_bytes() -> None:
    delivery = load("signed.workflow_run.in_progress.json")
    body = base64.b64decode(delivery["body_raw_base64"])
    verify_signature(delivery["headers"], body, COGNI_SECRET)
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    with pytest.raises(SignatureError):
        verify_signature(delivery["headers"], reserialised, COGNI_SECRET)


@pytest.mark.parametrize(
    ("headers", "secret", "message"),
    [
        ({}, "s", "missing X-Hub-Signature-256"),
        ({"X-Hub-Signature": "sha1=abc"}, "s", "SHA-1 signatures are not accepted"),
        ({"X-Hub-Signature-256": "md5=abc"}, "s", "must look like"),
        ({"X-Hub-Signature-256": "sha256=00"}, None, "no webhook secret configured"),
    ],
)
def test_bad_signatures_are_named(
    headers: dict[str, str], secret: str | None, message: str
) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_signature(headers, b"{}", secret)


@given(
    body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20), flip=st.integers(0, 63)
)
def test_only_the_right_digest_passes(body: bytes, secret: str, flip: int) -> None:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    verify_signature({"x-hub-signature-256": f"sha256={digest}"}, body, secret)
    wrong = digest[:flip] + ("0" if digest[flip] != "0" else "1") + digest[flip + 1 :]
    with pytest.raises(SignatureError):
        verify_signature({"x-hub-signature-256": f"sha256={wrong}"}, body, secret)


def test_parses_a_real_failing_workflow_run() -> None:
    event = parse_event(
        "workflow_run", load("workflow_run.completed.failure.json"), delivery_id="d1"
    )
    assert event is not None
    run = event.run
    assert (run.repo, run.run_id, run.attempt) == ("daeuniverse/daed-1", "5575671183", 1)
    assert run.workflow == "Synchronize Upstream"
    assert run.head_sha == "e937d038fd87208fa402fae76f0694840b22d7cc"
    assert run.head_branch == "main" and run.event == "workflow_dispatch"
    assert event.is_failure and event.delivery_id == "d1"
    assert run.url == "https://github.com/daeuniverse/daed-1/actions/runs/5575671183"


def test_success_and_requested_runs_are_not_failures() -> None:
    success = parse_event("workflow_run", load("workflow_run.completed.success.json"))
    requested = parse_event("workflow_run", load("workflow_run.requested.json"))
    assert success is not None and success.is_completed and not success.is_failure
    assert requested is not None and not requested.is_completed


def test_parses_a_failed_workflow_job() -> None:
    event = parse_event("workflow_job", load("workflow_job.completed.failure.json"))
    assert event is not None and event.job is not None
    assert event.job.failed and event.is_failure
    assert event.job.run is event.run
    assert event.run.run_id == str(
        load("workflow_job.completed.failure.json")["workflow_job"]["run_id"]
    )


def test_other_events_are_not_acted_on() -> None:
    assert parse_event("push", {"ref": "refs/heads/main"}) is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.pop("workflow_run"), "workflow_run"),
        (lambda p: p["workflow_run"].pop("id"), "workflow_run.id"),
        (lambda p: p["repository"].pop("full_name"), "repository.full_name"),
        (lambda p: p["workflow_run"].update(run_attempt="two"), "workflow_run.run_attempt"),
        (lambda p: p["workflow_run"].update(pull_requests="none"), "workflow_run.pull_requests"),
    ],
)
def test_malformed_payloads_name_the_field(mutate: Any, field: str) -> None:
    payload = load("workflow_run.completed.failure.json")
    mutate(payload)
    with pytest.raises(PayloadError) as caught:
        parse_event("workflow_run", payload)
    assert caught.value.field == field
    assert field.split(".")[-1] in str(caught.value)


def test_unknown_enum_values_are_carried_not_fatal() -> None:
    payload = load("workflow_run.completed.failure.json")
    payload["workflow_run"]["conclusion"] = "some_future_conclusion"
    event = parse_event("workflow_run", payload)
    assert event is not None and event.run.conclusion == "some_future_conclusion"
    assert not event.is_failure


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("test (3.11, ubuntu-latest)", ("3.11", "ubuntu-latest")),
        ("build", ()),
        ("e2e (chrome)", ("chrome",)),
        ("weird (a) (b)", ("b",)),
    ],
)
def test_matrix_values_come_from_the_job_name(name: str, values: tuple[str, ...]) -> None:
    assert matrix_values(name) == values
