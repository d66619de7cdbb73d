"""Short-lived, credential-free download URLs (like S3 pre-signed URLs or GitHub's log links)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode

__all__ = ["BlobSigner"]


class BlobSigner:
    """Signs a path for ``ttl`` seconds with a secret of its own; the query parameters that
    carry the expiry and the signature are ``EXPIRES_PARAM`` and ``SIGNATURE_PARAM``."""

    EXPIRES_PARAM: ClassVar[str] = "expires"
    SIGNATURE_PARAM: ClassVar[str] = "sig"

    def __init__(self, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self._clock = clock
        self._secret = secrets.token_bytes(32)

    def _mac(self, path: str, expires: str) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str) -> str:
        """``path`` plus ``?<expires>=…&<signature>=…``."""
        expires = str(int(self._clock() + self.ttl))
        query = {self.EXPIRES_PARAM: expires, self.SIGNATURE_PARAM: self._mac(path, expires)}
        return f"{path}?{urlencode(query)}"

    def verify(self, path: str, raw_query: str) -> bool:
        """Whether the signature of ``path`` is valid and not expired."""
        query = dict(parse_qsl(raw_query))
        expires = query.get(self.EXPIRES_PARAM, "")
        signature = query.get(self.SIGNATURE_PARAM, "")
        if not expires.isdigit() or int(expires) < self._clock():
            return False
        return hmac.compare_digest(signature, self._mac(path, expires))
