"""Errors for credentials that were never configured."""

from __future__ import annotations

from ci_rescue_core.errors import AuthenticationError, SignatureError

__all__ = ["missing_token", "require_secret"]


def missing_token(
    resource: str, *, provider: str, provider_label: str, token_env: str, kind: str = ""
) -> AuthenticationError:
    """The error for an API call made without a token.

    :param provider_label: the provider as users spell it (``GitHub``).
    :param kind: what the variable must hold when it is not just any token
        (``a personal API token``).
    """
    wanted = f" to {kind}" if kind else ""
    return AuthenticationError(
        f"no {provider_label} token to access {resource}: set the environment variable "
        f"{token_env}{wanted}",
        provider=provider,
        resource=resource,
    )


def require_secret(
    secret: str | None, *, provider: str, secret_env: str, untrusted: str = "unsigned"
) -> str:
    """*secret*, or :class:`SignatureError` when no webhook secret is configured.

    :param untrusted: how a delivery that cannot be checked is called (``unsigned``).
    """
    if not secret:
        raise SignatureError(
            f"no webhook secret configured for {provider} (set {secret_env}); "
            f"refusing to trust an {untrusted} delivery"
        )
    return secret
