"""``ci-rescue``: argument parsing, dispatch, and one clear error line instead of a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from rich.console import Console

from ci_rescue_core.cli import (
    analyze,
    backfill,
    demo,
    flake_score,
    handle,
    plugin_list,
    quarantine,
    serve,
    watch,
)
from ci_rescue_core.errors import RescueError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _version() -> str:
    try:
        return metadata.version("ci-rescue")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="ci-rescue",
        description="Detect, diagnose and safely rescue failing CI runs.",
    )
    parser.add_argument("--version", action="version", version=f"ci-rescue {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (
        demo,
        handle,
        analyze,
        flake_score,
        backfill,
        quarantine,
        serve,
        watch,
        plugin_list,
    ):
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        status: int = args.run(args)
    except RescueError as exc:
        stderr.print(f"ci-rescue: error: {exc}", markup=False)
        return EXIT_ERROR
    except KeyboardInterrupt:
        stderr.print("ci-rescue: interrupted", markup=False)
        return EXIT_INTERRUPTED
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
