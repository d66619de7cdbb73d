"""Options and helpers shared by subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from ci_rescue_core.errors import PayloadError


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """``--config rescue.yaml`` (optional: built-in defaults without it)."""
    parser.add_argument(
        "--config",
        metavar="RESCUE_YAML",
        default=None,
        help="deployment configuration (providers, store, mode); defaults apply without it",
    )


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """``--format text|json``."""
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for scripts",
    )


def console() -> Console:
    """A console on stdout for human output.

    Markup is off: log lines, test ids and provider messages are full of ``[brackets]`` that
    rich would otherwise read as markup (and fail on).  Style with :class:`rich.text.Text`.
    """
    return Console(highlight=False, soft_wrap=False, markup=False)


def print_json(data: Any) -> None:
    """Write *data* as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_input_bytes(path: str) -> bytes:
    """The bytes of *path* (``-`` for stdin).

    :raises PayloadError: when the file cannot be read.
    """
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise PayloadError(f"cannot read {path}: {exc.strerror or exc}") from exc
