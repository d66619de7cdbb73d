"""GitLab CI on python-gitlab: webhook verification and parsing, the adapter, its factory."""

from ci_rescue_providers.gitlab.adapter import GitLabProvider
from ci_rescue_providers.gitlab.attempts import AttemptIndex
from ci_rescue_providers.gitlab.factory import build_client, build_provider
from ci_rescue_providers.gitlab.failure_reasons import failure_category
from ci_rescue_providers.gitlab.webhook import delivery_id, parse_event, verify_webhook

__all__ = [
    "AttemptIndex",
    "GitLabProvider",
    "build_client",
    "build_provider",
    "delivery_id",
    "failure_category",
    "parse_event",
    "verify_webhook",
]
