"""A job's log, step by step: v1.1 lists the steps, each action's output is streamed from its
pre-signed URL (no credentials) or, failing that, from the private plain-text endpoint.

What cannot be read is said in the log itself (``[ci-rescue] …`` lines) rather than lost: a
partial log still tells a lot about a failure.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import Any

import httpx

from ci_rescue_core.errors import ProviderError
from ci_rescue_providers.circleci.client import CircleCIClient, slug_path
from ci_rescue_providers.circleci.logs import (
    MAX_MESSAGE_BYTES,
    MalformedOutput,
    MessageTooLarge,
    texts,
)
from ci_rescue_providers.common.reads import LOG_CHUNK_BYTES

__all__ = ["job_log"]

#: Answers of a pre-signed URL that mean "expired or gone": use the private endpoint instead.
_EXPIRED = frozenset({400, 401, 403, 404, 410})


def _actions(build: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    steps = build.get("steps")
    steps = steps if isinstance(steps, list) else []
    parallel = any(
        isinstance(step, Mapping) and len(step.get("actions") or ()) > 1 for step in steps
    )
    for step in steps:
        if not isinstance(step, Mapping):
            continue
        actions: Sequence[Any] = step.get("actions") or ()
        ordered = sorted(
            (a for a in actions if isinstance(a, Mapping)), key=lambda a: int(a.get("index") or 0)
        )
        for action in ordered:
            yield str(step.get("name") or action.get("name") or "step"), action, parallel


def job_log(
    client: CircleCIClient,
    blobs: httpx.Client,
    *,
    slug: str,
    number: int,
    build: Mapping[str, Any],
    max_message: int = MAX_MESSAGE_BYTES,
) -> Generator[bytes, None, None]:
    """Every step's output of job *number*, in order, one header line per action.

    :param blobs: a client **without** credentials for the pre-signed output URLs.
    :param build: the v1.1 job (``GET /api/v1.1/project/{slug}/{number}``).
    """
    for name, action, parallel in _actions(build):
        index = int(action.get("index") or 0)
        node = f" (node {index})" if parallel else ""
        yield f"==> {name}{node}\n".encode()
        if action.get("has_output") is False and not action.get("output_url"):
            continue
        yield from _action_output(client, blobs, slug, number, action, max_message)
        if action.get("truncated"):
            yield b"[ci-rescue] CircleCI truncated the output of this step\n"


def _action_output(
    client: CircleCIClient,
    blobs: httpx.Client,
    slug: str,
    number: int,
    action: Mapping[str, Any],
    max_message: int,
) -> Iterator[bytes]:
    url = action.get("output_url")
    reason = "no output URL"
    if isinstance(url, str) and url:
        sent = False
        try:
            with blobs.stream("GET", url) as response:
                if response.is_success:
                    for text in texts(response.iter_bytes(), max_message):
                        sent = True
                        yield text
                    return
                reason = f"output URL answered {response.status_code}"
                if response.status_code not in _EXPIRED and response.status_code < 500:
                    yield f"[ci-rescue] step output unavailable ({reason})\n".encode()
                    return
        except MessageTooLarge as exc:
            reason = str(exc)
            if sent:
                yield f"\n[ci-rescue] {reason}: reading the plain-text output instead\n".encode()
        except (MalformedOutput, httpx.HTTPError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if sent:
                yield f"\n[ci-rescue] step output truncated ({reason})\n".encode()
                return
    yield from _plain_output(client, slug, number, action, reason)


def _plain_output(
    client: CircleCIClient, slug: str, number: int, action: Mapping[str, Any], reason: str
) -> Iterator[bytes]:
    index, step = action.get("index", 0), action.get("step", 0)
    base = f"output/raw/{slug_path(slug)}/{number}"
    for stream in ("output", "error"):
        url = client.private_url(f"{base}/{stream}/{index}/{step}")
        try:
            with client.stream(url, resource=f"{stream} of step {step} of job {number}") as answer:
                yield from answer.iter_bytes(LOG_CHUNK_BYTES)
        except ProviderError as exc:
            if stream == "output":
                yield (f"[ci-rescue] step output unavailable ({reason}; then {exc})\n").encode()
                return
