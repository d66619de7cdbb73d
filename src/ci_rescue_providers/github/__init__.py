"""GitHub Actions on PyGithub: webhook verification and parsing, the adapter, its factory."""

from ci_rescue_providers.github.adapter import GitHubProvider
from ci_rescue_providers.github.factory import build_client, build_provider
from ci_rescue_providers.github.webhook import parse_event, verify_signature

__all__ = ["GitHubProvider", "build_client", "build_provider", "parse_event", "verify_signature"]
