"""``ci-rescue watch``: poll providers for finished runs when webhooks are not set up."""

from __future__ import annotations

import argparse
import re
import signal
import threading
from datetime import timedelta
from typing import Any

from rich.text import Text

from ci_rescue_core.cli.common import add_config_option, add_format_option, console, print_json
from ci_rescue_core.config import load_config
from ci_rescue_core.convert import to_json_dict
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.flake.sweeper import ExpirySweeper
from ci_rescue_core.poll import PollReport, Watcher
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.scheduler import RemedyScheduler

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``24h``, ``7d`` as a timedelta.

    :raises PayloadError: for anything else.
    """
    match = _DURATION.match(text.strip())
    if match is None:
        raise PayloadError(f"invalid duration {text!r}: use a number and s, m, h or d (e.g. 24h)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def add_parser(commands: Any) -> None:
    """Register ``watch``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "watch",
        help="poll a provider for finished runs (when webhooks are not set up)",
        description=(
            "Poll the provider for recently finished runs of the given repositories and run "
            "each new run attempt through the pipeline, at most once per attempt."
        ),
    )
    parser.add_argument("--provider", required=True, help="provider name, e.g. github")
    parser.add_argument(
        "--repo", action="append", required=True, help="repository to watch (repeatable)"
    )
    parser.add_argument("--branch", default=None, help="only runs of this branch")
    parser.add_argument(
        "--interval", type=float, default=60.0, help="seconds between passes (default 60)"
    )
    parser.add_argument(
        "--since", default="24h", help="ignore runs started before this long ago (default 24h)"
    )
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Poll once or until interrupted."""
    since = parse_duration(args.since)
    if args.interval <= 0:
        raise PayloadError("--interval must be a positive number of seconds")
    config = load_config(args.config)
    with Runtime(config) as runtime:
        # one pass applies back-offs at once; a long-running watcher waits them out
        rescuer = runtime.rescuer(args.provider, defer_delayed=not args.once)
        watcher = Watcher(rescuer, args.repo, branch=args.branch, since=since)
        report = _printer(args.format)
        sweeper = ExpirySweeper.for_runtime(runtime)  # quarantines expire without events too
        scheduler = RemedyScheduler.for_runtime(runtime)
        if args.once:
            sweeper.sweep_once()
            scheduler.run_due()  # what a long-running watcher or serve left due
            result = watcher.poll_once()
            report(result)
            return 1 if result.errors and not result.handled else 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        sweeper.start()
        scheduler.start()
        try:
            watcher.run_forever(args.interval, stop, report)
        except KeyboardInterrupt:
            stop.set()
        finally:
            scheduler.stop()
            sweeper.stop()
    return 0


def _printer(format_: str) -> Any:
    out = console()

    def report(result: PollReport) -> None:
        if format_ == "json":
            print_json(
                {
                    "seen": result.seen,
                    "handled": [
                        {
                            "run": to_json_dict(run),
                            "status": handled.status.value,
                            "reason": handled.reason,
                            "incident": handled.incident.id if handled.incident else None,
                        }
                        for run, handled in result.handled
                    ],
                    "errors": [{"repo": repo, "error": error} for repo, error in result.errors],
                }
            )
            return
        for run, handled in result.handled:
            out.print(
                f"{run.repo} run {run.run_id} attempt {run.attempt}: {handled.status.value}"
                f" — {handled.reason}",
                markup=False,
            )
        for repo, error in result.errors:
            out.print(Text(f"{repo}: {error}", style="red"))

    return report
