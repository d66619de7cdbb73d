"""Registers the GitLab provider (entry point ``gitlab`` in group ``ci_rescue``).

Besides the provider factory, contributes flake evidence from GitLab's ``failure_reason``
(``runner_system_failure`` points to the machinery, ``secrets_provider_not_found`` to a real
breakage) — evidence that needs no log extractor.  It only speaks for jobs that carry a
``failure_reason``, which only the GitLab adapter sets.
"""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Evidence, JobRef
from ci_rescue_core.provider import Provider, ProviderFactory, ProviderSettings


def _build(settings: ProviderSettings) -> Provider:
    from ci_rescue_providers.gitlab.factory import build_provider

    return build_provider(settings)


@hookimpl
def rescue_register_providers() -> list[ProviderFactory]:
    """The ``gitlab`` provider, on python-gitlab."""
    return [ProviderFactory(name="gitlab", build=_build, install_hint="pip install ci-rescue")]


@hookimpl
def rescue_flake_evidence(job: JobRef) -> list[Evidence]:
    """Evidence from the provider's own failure reason (GitLab ``failure_reason``)."""
    if job.failure_reason is None:
        return []
    from ci_rescue_providers.gitlab.failure_reasons import failure_evidence

    return failure_evidence(job.name, job.failure_reason)
