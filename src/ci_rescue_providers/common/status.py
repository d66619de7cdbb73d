"""From an HTTP status to the ci-rescue error that stands for it, in each provider's words."""

from __future__ import annotations

import attrs

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)

__all__ = ["StatusWording", "error_for_status"]


@attrs.frozen(kw_only=True)
class StatusWording:
    """How a provider words a refused or failed call, one ``str.format`` template per kind.

    The templates may use ``{resource}``, ``{status}``, ``{message}`` and whatever extras the
    provider hands to :func:`error_for_status`.

    :ivar unauthorized: 401, an :class:`AuthenticationError`.
    :ivar forbidden: 403, a :class:`PermissionDeniedError`.
    :ivar not_found: 404, a :class:`NotFoundError`.
    :ivar rate_limited: 429, a :class:`RateLimitedError`.
    :ivar unavailable: 5xx, a :class:`ProviderUnavailableError`.
    :ivar other: any other status (or none), a plain :class:`ProviderError`.
    """

    unauthorized: str
    forbidden: str
    not_found: str
    rate_limited: str
    unavailable: str
    other: str

    def pick(self, status: int | None) -> tuple[type[ProviderError], str]:
        """The error type and template for *status*."""
        if status == 401:
            return AuthenticationError, self.unauthorized
        if status == 403:
            return PermissionDeniedError, self.forbidden
        if status == 404:
            return NotFoundError, self.not_found
        if status == 429:
            return RateLimitedError, self.rate_limited
        if status is not None and status >= 500:
            return ProviderUnavailableError, self.unavailable
        return ProviderError, self.other


def error_for_status(
    status: int | None,
    wording: StatusWording,
    *,
    provider: str,
    resource: str,
    message: str,
    retry_after: float | None = None,
    **extras: object,
) -> ProviderError:
    """The most specific error for an answer with *status* about *resource*.

    :param message: what the provider's answer said.
    :param retry_after: seconds the provider asked to wait, kept on a 429's error.
    :param extras: further values *wording*'s templates use.
    """
    kind, template = wording.pick(status)
    text = template.format(resource=resource, status=status, message=message, **extras)
    if kind is RateLimitedError:
        return RateLimitedError(
            text, provider=provider, status=status, resource=resource, retry_after=retry_after
        )
    return kind(text, provider=provider, status=status, resource=resource)
