"""``ci-rescue plugins``: what loaded, from where, implementing which hooks."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from ci_rescue_core.cli.common import add_config_option, add_format_option, console, print_json
from ci_rescue_core.config import load_config
from ci_rescue_core.plugins import describe_plugins, make_plugin_manager


def add_parser(commands: Any) -> None:
    """Register ``plugins``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "plugins", help="list loaded plugins and the hooks they implement"
    )
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the loaded plugins."""
    config = load_config(args.config)
    rows = describe_plugins(make_plugin_manager(blocked=config.plugins.disable))
    if args.format == "json":
        print_json(rows)
        return 0
    table = Table("plugin", "distribution", "hooks")
    for row in rows:
        dist = f"{row['distribution']} {row['version']}".strip()
        table.add_row(str(row["name"]), dist, ", ".join(row["hooks"]))
    console().print(table)
    return 0
