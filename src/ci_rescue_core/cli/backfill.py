"""``ci-rescue backfill``: record a provider's recent run history, so flake scores work at once."""

from __future__ import annotations

import argparse
from typing import Any

import attrs

from ci_rescue_core.cli.common import add_config_option, add_format_option, console, print_json
from ci_rescue_core.config import load_config
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.flake.backfill import backfill
from ci_rescue_core.runtime import Runtime


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_parser(commands: Any) -> None:
    """Register ``backfill``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "backfill",
        help="record the last N runs of a branch from the provider (flake history on day one)",
        description=(
            "List the last N finished runs of a branch through the provider, and record every "
            "attempt: job outcomes, and the failing tests the failed jobs' logs name (plus the "
            "provider's test reports where it has them). Running it again records the same "
            "rows: it is safe to repeat."
        ),
    )
    parser.add_argument("--provider", required=True, help="provider name, e.g. github")
    parser.add_argument("--repo", required=True, help="owner/name")
    parser.add_argument("--branch", default=None, help="branch (default: every branch)")
    parser.add_argument("--runs", type=_positive, default=50, help="how many runs (default 50)")
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Back-fill and print what was recorded."""
    if args.repo.count("/") < 1 or args.repo.startswith("/") or args.repo.endswith("/"):
        raise PayloadError(f"--repo must be owner/name, got {args.repo!r}")
    config = load_config(args.config)
    with Runtime(config) as runtime:
        runtime.registry.factory(args.provider)  # an unknown name fails before anything else
        report = backfill(
            provider=runtime.provider(args.provider),
            hooks=runtime.hooks,
            store=runtime.store,
            policy=runtime.policy_for(args.repo),
            repo=args.repo,
            branch=args.branch,
            runs=args.runs,
            known_secrets=config.known_secrets(runtime.environ),
        )
    if args.format == "json":
        print_json({"repo": args.repo, "branch": args.branch, **attrs.asdict(report)})
    else:
        console().print(
            f"{args.repo}{'@' + args.branch if args.branch else ''}: recorded {report.runs} runs "
            f"({report.attempts} attempts, {report.jobs} jobs, {report.failed_jobs} failed), "
            f"{report.tests} test outcomes"
            + (f", {report.mass_failures} mass failures" if report.mass_failures else "")
        )
    return 0
