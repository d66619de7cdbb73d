"""The webhook receiver: a WSGI application that verifies, records and acknowledges deliveries.

``POST /webhooks/<provider>`` checks the signature over the raw body, checks that it is a JSON
object with an event-type header, stores the delivery in the inbox and answers ``202`` at once.
Nothing that may call the provider's API happens before the answer (parsing a GitLab or
CircleCI payload does), so the answer stays well inside the providers' 10-second timeouts; the
worker (:mod:`ci_rescue_core.webhook.worker`) parses and runs the pipeline, and records a payload
it cannot parse as a failed delivery with the reason.  A replayed delivery id answers ``200`` and
is not queued again.  ``GET /healthz`` answers ``200``.

Every bad request gets a JSON error naming the problem and the server keeps serving:
``404`` unknown provider or path, ``405`` wrong method, ``411``/``413`` missing or oversized
body, ``400`` not a JSON object or no event-type header, ``401`` wrong or missing signature
(nothing is stored).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ci_rescue_core.errors import PayloadError, SignatureError, UnknownProviderError
from ci_rescue_core.orchestrator import parse_json_body
from ci_rescue_core.provider import Provider
from ci_rescue_core.webhook.inbox import Inbox

#: GitHub does not deliver payloads above 25 MB; nothing legitimate is bigger.
MAX_BODY_BYTES = 25 * 1024 * 1024

#: Headers that carry the event type, by provider convention.
EVENT_HEADERS: tuple[str, ...] = ("x-github-event", "x-gitlab-event", "circleci-event-type")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
ProviderLookup = Callable[[str], Provider]


class WebhookApp:
    """The WSGI callable.

    :param providers: returns the provider registered under a name, or raises
        :class:`UnknownProviderError`.
    :param inbox: where accepted deliveries wait for the worker.
    :param wake: called after a delivery is queued (wakes the worker).
    """

    def __init__(
        self,
        providers: ProviderLookup,
        inbox: Inbox,
        *,
        wake: Callable[[], None] = lambda: None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._providers = providers
        self._inbox = inbox
        self._wake = wake
        self._max_body = max_body_bytes

    def __call__(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        status, body = self._route(environ)
        payload = json.dumps(body).encode()
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _route(self, environ: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if path == "/healthz":
            return "200 OK", {"status": "ok", "queued": self._inbox.pending_count()}
        parts = [part for part in path.split("/") if part]
        if len(parts) != 2 or parts[0] != "webhooks":
            return "404 Not Found", {
                "error": f"no such path {path!r}; POST to /webhooks/<provider>"
            }
        if method != "POST":
            return "405 Method Not Allowed", {"error": "webhooks are delivered with POST"}
        try:
            return self._receive(parts[1], environ)
        except UnknownProviderError as exc:
            return "404 Not Found", {"error": str(exc)}
        except SignatureError as exc:
            return "401 Unauthorized", {"error": str(exc)}
        except PayloadError as exc:
            return "400 Bad Request", {"error": str(exc)}

    def _receive(
        self, provider_name: str, environ: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        provider = self._providers(provider_name)
        length_text = environ.get("CONTENT_LENGTH") or ""
        if not str(length_text).isdigit():
            return "411 Length Required", {"error": "a Content-Length header is required"}
        length = int(length_text)
        if length > self._max_body:
            return "413 Payload Too Large", {
                "error": f"body of {length} bytes exceeds the {self._max_body}-byte limit"
            }
        body = environ["wsgi.input"].read(length)
        if len(body) != length:
            raise PayloadError(f"body truncated: {len(body)} of {length} bytes arrived")
        headers = _headers(environ)
        if "form" in headers.get("content-type", "") and "json" not in headers.get(
            "content-type", ""
        ):
            raise PayloadError("form-encoded webhooks are not supported: set content type to JSON")
        provider.verify_webhook(headers, body)
        payload = parse_json_body(body)
        event_type = next((headers[h] for h in EVENT_HEADERS if headers.get(h)), "")
        if not event_type:
            raise PayloadError(f"no event type header (one of: {', '.join(EVENT_HEADERS)})")
        delivery = provider.delivery_id(headers, payload)
        if not self._inbox.put(provider_name, event_type, delivery, headers, body):
            return "200 OK", {"status": "duplicate", "delivery": delivery}
        self._wake()
        return "202 Accepted", {"status": "queued", "delivery": delivery}


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers
