"""Who is calling: personal tokens, GitHub App JWTs and installation tokens, and permissions.

The simulator accepts any well-formed app JWT (the RS256 signature is not checked) and records
its claims; ``POST /app/installations/{id}/access_tokens`` then issues ``ghs_…`` installation
tokens carrying the installation's permissions. Checks writes need such a token, as on GitHub.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .errors import NotFoundError, SimError
from .records import InstallationToken

__all__ = [
    "DEFAULT_INSTALLATION_PERMISSIONS",
    "AppRegistry",
    "Identity",
    "decode_jwt",
    "require",
]

#: What the simulated app's installation may do unless told otherwise (no ``workflows``).
DEFAULT_INSTALLATION_PERMISSIONS: Mapping[str, str] = {
    "actions": "write",
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}
_LEVELS = {"read": 1, "write": 2, "admin": 3}
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Identity:
    """The caller of one request.

    :ivar kind: ``token`` (personal access token), ``installation`` or ``app`` (a JWT).
    :ivar scopes: a classic token's OAuth scopes (sent back as ``X-OAuth-Scopes``), ``None``
        for other callers.
    :ivar permissions: an installation token's permissions, ``None`` for other callers.
    """

    kind: str
    login: str
    scopes: tuple[str, ...] | None = None
    permissions: Mapping[str, str] | None = None
    installation_id: int | None = None


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_jwt(token: str) -> dict[str, Any] | None:
    """The claims of a well-formed JWT (``header.payload.signature``), or ``None`` when *token*
    is not one. The signature is not verified."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.match(p) for p in parts):
        return None
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(claims, dict):
        return None
    return claims


def require(identity: Identity | None, permission: str, level: str = "write") -> None:
    """Refuse the request (403) unless *identity* has *permission* at *level*.

    Personal tokens may do everything but write checks (GitHub wants an app for that).
    """
    if identity is None:
        return
    if identity.kind == "token":
        if permission == "checks" and level != "read":
            raise SimError(403, "You must authenticate via a GitHub App.")
        return
    granted = (identity.permissions or {}).get(permission)
    if identity.kind != "installation" or _LEVELS.get(granted or "", 0) < _LEVELS[level]:
        raise SimError(403, "Resource not accessible by integration")


def workflow_refusal(identity: Identity | None, path: str) -> SimError | None:
    """The error GitHub gives when *identity* may not create or update workflow file *path*."""
    if identity is None or not path.startswith(".github/workflows/"):
        return None
    if (
        identity.kind == "token"
        and identity.scopes is not None
        and "workflow" not in identity.scopes
    ):
        return SimError(
            403,
            f"refusing to allow a Personal Access Token to create or update workflow `{path}` "
            "without `workflow` scope",
        )
    if identity.kind == "installation" and (identity.permissions or {}).get("workflows") != "write":
        return SimError(
            403,
            f"refusing to allow a GitHub App to create or update workflow `{path}` "
            "without `workflows` permission",
        )
    return None


@dataclass
class AppRegistry:
    """The one simulated GitHub App, its installation (on every repository) and its tokens."""

    clock: Callable[[], datetime]
    app_id: int = 424242
    slug: str = "ci-rescue"
    installation_id: int | None = 1001
    permissions: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_INSTALLATION_PERMISSIONS)
    )
    tokens: dict[str, InstallationToken] = field(default_factory=dict)
    jwts: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def bot_login(self) -> str:
        """The login the app's installation tokens act as."""
        return f"{self.slug}[bot]"

    def app_identity(self, claims: dict[str, Any]) -> Identity:
        """Record a JWT's claims; 401 when they are not an app's (``iss``, ``iat``, ``exp``)."""
        now = self.clock().timestamp()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
            raise SimError(401, "A JSON web token could not be decoded")
        if exp < now:
            raise SimError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the future "
                "time at which the assertion expires",
            )
        if exp - iat > 600 + 60:
            raise SimError(401, "'Expiration time' claim ('exp') is too far in the future")
        if str(claims.get("iss", "")) == "":
            raise SimError(401, "'Issuer' claim ('iss') must be an Integer")
        with self._lock:
            self.jwts.append(dict(claims))
        return Identity(kind="app", login=self.slug)

    def installation_identity(self, token: str) -> Identity | None:
        """The installation a ``ghs_`` token acts for, if the simulator issued it and it is
        still valid."""
        with self._lock:
            issued = self.tokens.get(token)
        if issued is None or issued.expires_at <= self.clock():
            return None
        return Identity(
            kind="installation",
            login=self.bot_login,
            permissions=issued.permissions,
            installation_id=issued.installation_id,
        )

    def installation(self, installation_id: int) -> None:
        """404 unless *installation_id* is the app's installation."""
        if self.installation_id is None or installation_id != self.installation_id:
            raise NotFoundError()

    def issue_token(
        self, installation_id: int, wanted: Mapping[str, str] | None
    ) -> InstallationToken:
        """A new installation token, narrowed to *wanted* permissions (422 beyond the grant)."""
        self.installation(installation_id)
        permissions = dict(self.permissions)
        if wanted:
            for name, level in wanted.items():
                granted = self.permissions.get(name)
                if level not in _LEVELS or _LEVELS.get(granted or "", 0) < _LEVELS[level]:
                    raise SimError(
                        422,
                        f"The permissions requested are not granted to this installation. "
                        f"({name}: {level})",
                    )
            permissions = dict(wanted)
        token = InstallationToken(
            token="ghs_" + secrets.token_hex(18),
            installation_id=installation_id,
            permissions=permissions,
            expires_at=self.clock().replace(microsecond=0) + timedelta(hours=1),
        )
        with self._lock:
            self.tokens[token.token] = token
        return token
