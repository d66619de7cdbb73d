"""``ci-rescue demo``: the whole pipeline on the bundled simulator (no network, no tokens)."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from rich.text import Text

from ci_rescue_core.cli.common import console
from ci_rescue_core.errors import RescueError

#: The demo drives the bundled GitHub simulator, which ships with the providers package.
DEMO_MODULE = "ci_rescue_providers.demo"


def add_parser(commands: Any) -> None:
    """Register ``demo``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "demo",
        help="rescue two failing runs on the bundled GitHub simulator",
        description=(
            "Start a GitHub API simulator on 127.0.0.1, seed a repository whose CI fails twice "
            "(a flaky test on a commit that passed before, and a real breakage), send both "
            "workflow_run events through the full pipeline with the real PyGithub client, and "
            "show what ci-rescue decided and did. Needs no network and no token."
        ),
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the store and rescue.log here (default: a temporary directory)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit 1 if the pipeline did not decide as expected."""
    try:
        demo = importlib.import_module(DEMO_MODULE)
    except ImportError as exc:
        raise RescueError(f"the demo needs the ci_rescue_providers package: {exc}") from exc
    out = console()
    report = demo.run_demo(out, workdir=args.workdir)
    if report.ok:
        out.print(
            Text("demo finished: ", style="bold green").append(
                "flaky cell re-run, breakage tracked.", style=""
            )
        )
        return 0
    for problem in report.problems:
        out.print(Text("demo problem: ", style="bold red").append(problem, style=""))
    return 1
