"""Configuration: ``rescue.yaml`` for the deployment, ``rules/`` for policy."""

from ci_rescue_core.config.deployment import (
    OutputConfig,
    PluginsConfig,
    ProviderConfig,
    RescueConfig,
    RulesConfig,
    StoreConfig,
    load_config,
)
from ci_rescue_core.config.rules import load_policy

__all__ = [
    "OutputConfig",
    "PluginsConfig",
    "ProviderConfig",
    "RescueConfig",
    "RulesConfig",
    "StoreConfig",
    "load_config",
    "load_policy",
]
