"""ci-rescue-oncall: when the default branch is blocked, open an issue for whoever is on call.

Installed, it registers :data:`plugin` through the ``ci_rescue`` entry-point group; that plugin
reads its rota from the file named by ``$CI_RESCUE_ONCALL_ROTA`` and proposes nothing while the
variable is unset.  Embedders register their own :class:`OnCallStrategy` instead::

    Runtime(config, plugins=[OnCallStrategy(load_rota("oncall.yaml"))])
"""

from ci_rescue_oncall.rota import ROTA_ENV, Rota, load_rota, rota_from_env
from ci_rescue_oncall.strategy import ONCALL_ISSUE, ONCALL_LABEL, OnCallStrategy

#: The entry-point plugin (``oncall = "ci_rescue_oncall:plugin"``).
plugin = OnCallStrategy(rota_from_env)

__all__ = [
    "ONCALL_ISSUE",
    "ONCALL_LABEL",
    "ROTA_ENV",
    "OnCallStrategy",
    "Rota",
    "load_rota",
    "plugin",
    "rota_from_env",
]
