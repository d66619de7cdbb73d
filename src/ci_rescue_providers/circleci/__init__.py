"""CircleCI on httpx: webhook verification and parsing, the adapter, its factory."""

from ci_rescue_providers.circleci.adapter import CircleCIProvider
from ci_rescue_providers.circleci.factory import build_clients, build_provider
from ci_rescue_providers.circleci.transport import RetryTransport
from ci_rescue_providers.circleci.webhook import parse_payload, verify_signature

__all__ = [
    "CircleCIProvider",
    "RetryTransport",
    "build_clients",
    "build_provider",
    "parse_payload",
    "verify_signature",
]
