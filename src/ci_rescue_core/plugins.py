"""Building the plugin manager: entry points, direct registration, blocking."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata

import pluggy

from ci_rescue_core import hookspecs
from ci_rescue_core.errors import PluginError

ENTRY_POINT_GROUP = "ci_rescue"

#: Built-in plugin names that cannot be blocked: without them nothing works safely.
ESSENTIAL_PLUGINS: frozenset[str] = frozenset({"ci_rescue_core.fallbacks"})


def make_plugin_manager(
    *,
    entry_points: bool = True,
    blocked: Iterable[str] = (),
    extra: Iterable[object] = (),
) -> pluggy.PluginManager:
    """Create a plugin manager with the ``rescue_*`` specs and the plugins to use.

    :param entry_points: load every plugin of the ``ci_rescue`` entry-point group (built-ins
        register there too).  Tests and embedders may turn it off and pass plugins in *extra*.
    :param blocked: entry-point names not to load (``"retry"``...).
    :param extra: plugin objects (modules or instances) an embedding application registers.
    :raises PluginError: when a blocked name is essential or a plugin fails validation.
    """
    from ci_rescue_core import fallbacks

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(fallbacks, name="ci_rescue_core.fallbacks")
    for name in blocked:
        if name in ESSENTIAL_PLUGINS:
            raise PluginError("is essential and cannot be blocked", plugin=name)
        pm.set_blocked(name)
    if entry_points:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:
            raise _load_failure(exc) from exc
    for plugin in extra:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc), plugin=pm.get_name(exc.plugin)) from exc
    return pm


def _load_failure(error: Exception) -> PluginError:
    """Name the entry point that failed to load (pluggy's error does not say which)."""
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as exc:
            return PluginError(
                f"entry point {entry_point.value!r} cannot be loaded: {exc}; reinstall or "
                f"block it with plugins: {{disable: [{entry_point.name}]}} in rescue.yaml",
                plugin=entry_point.name,
            )
    return PluginError(f"loading entry-point plugins failed: {error}")


def describe_plugins(pm: pluggy.PluginManager) -> list[dict[str, str | list[str]]]:
    """Name, distribution, version and hooks of every loaded plugin (for ``ci-rescue plugins``)."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows: list[dict[str, str | list[str]]] = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        rows.append(
            {
                "name": name,
                "distribution": dist.project_name if dist is not None else "",
                "version": dist.version if dist is not None else "",
                "hooks": hooks,
            }
        )
    return rows
