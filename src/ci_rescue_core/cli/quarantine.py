"""``ci-rescue quarantine list|expire``: the quarantines ci-rescue keeps, and ending them."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from ci_rescue_core.cli.common import add_config_option, add_format_option, console, print_json
from ci_rescue_core.config import load_config
from ci_rescue_core.flake.keeper import QuarantineKeeper
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.store import utc_now
from ci_rescue_core.store.quarantine import ACTIVE, Quarantine, QuarantineStore


def add_parser(commands: Any) -> None:
    """Register ``quarantine``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "quarantine",
        help="list quarantined tests, or end the quarantines that expired or were earned",
        description=(
            "list: the active quarantines (--all: every one, ended ones too). "
            "expire: end every quarantine whose TTL ran out, and every one whose test passed "
            "quarantine_release_passes times in a row; each is written on its incident's "
            "timeline and sent to the notifiers (rescue.log). The pipeline does the same on "
            "every run it handles; run this from cron when events are rare."
        ),
    )
    parser.add_argument("action", choices=("list", "expire"))
    parser.add_argument("--repo", default=None, help="only this repository (owner/name)")
    parser.add_argument(
        "--all", action="store_true", help="list: ended quarantines too, not only active ones"
    )
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def quarantine_json(quarantine: Quarantine) -> dict[str, Any]:
    """One quarantine as JSON."""
    return {
        "id": quarantine.id,
        "repo": quarantine.repo,
        "test": quarantine.test_id,
        "status": quarantine.status,
        "reason": quarantine.reason,
        "score": quarantine.score,
        "evidence": list(quarantine.evidence),
        "incident": quarantine.incident_id,
        "link": quarantine.link,
        "since": quarantine.created_at.isoformat(),
        "expires": quarantine.expires_at.isoformat(),
        "ended": quarantine.ended_at.isoformat() if quarantine.ended_at else None,
        "end_reason": quarantine.end_reason,
    }


def run(args: argparse.Namespace) -> int:
    """List or expire quarantines."""
    config = load_config(args.config)
    with Runtime(config) as runtime:
        if args.action == "list":
            found = QuarantineStore(runtime.store).find(
                args.repo, status=None if args.all else ACTIVE
            )
        else:
            keeper = QuarantineKeeper(store=runtime.store, hooks=runtime.hooks, clock=utc_now)
            found = keeper.lift(runtime.policy_for, repo=args.repo)
    if args.format == "json":
        print_json([quarantine_json(q) for q in found])
        return 0
    out = console()
    if not found:
        what = "quarantines" if args.action == "list" else "quarantines were due"
        out.print(f"no {what}" + (f" in {args.repo}" if args.repo else ""))
        return 0
    table = Table("repo", "test", "status", "score", "expires", "why", box=None)
    for quarantine in found:
        table.add_row(
            quarantine.repo,
            quarantine.test_id,
            quarantine.status,
            f"{quarantine.score:.2f}",
            f"{quarantine.expires_at:%Y-%m-%d %H:%M}",
            quarantine.end_reason or quarantine.reason,
        )
    out.print(table)
    return 0
