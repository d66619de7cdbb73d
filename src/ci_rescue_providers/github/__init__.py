"""GitHub Actions on PyGithub: webhook verification and parsing, the adapter, its factory."""

from ci_rescue_providers.github.adapter import GitHubProvider
from ci_rescue_providers.github.clients import AppClients, ClientSource, TokenClient
from ci_rescue_providers.github.codeowners import owners_of, parse_codeowners
from ci_rescue_providers.github.factory import build_client, build_clients, build_provider
from ci_rescue_providers.github.webhook import parse_event, verify_signature

__all__ = [
    "AppClients",
    "ClientSource",
    "GitHubProvider",
    "TokenClient",
    "build_client",
    "build_clients",
    "build_provider",
    "owners_of",
    "parse_codeowners",
    "parse_event",
    "verify_signature",
]
