"""Test helpers for adapter and plugin authors (needs pytest).

- :class:`ProviderContract`: the behaviour every provider adapter must have; subclass it.
"""

from ci_rescue_core.testing.provider_contract import (
    BROKEN_JOB,
    BROKEN_LOG_LINE,
    FLAKY_JOB,
    PASSING_JOB,
    ProviderContract,
    ProviderHarness,
    SignedDelivery,
)

__all__ = [
    "BROKEN_JOB",
    "BROKEN_LOG_LINE",
    "FLAKY_JOB",
    "PASSING_JOB",
    "ProviderContract",
    "ProviderHarness",
    "SignedDelivery",
]
