"""Webhook deliveries as GitHub sends them: headers, raw body and HMAC signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["sign_body", "webhook_delivery"]


def sign_body(body: bytes, secret: str | bytes) -> str:
    """``X-Hub-Signature-256`` for ``body``: ``sha256=<hex HMAC-SHA256(secret, body)>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def webhook_delivery(
    event: str, payload: Mapping[str, Any], secret: str | bytes | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a delivery of ``payload`` as GitHub would POST it, signed
    with ``X-Hub-Signature-256`` when ``secret`` is given."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/ci-rescue-sim",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "1",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign_body(body, secret)
    return headers, body
