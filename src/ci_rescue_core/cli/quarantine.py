"""``ci-rescue quarantine list|expire``: the quarantines ci-rescue keeps, and ending them."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from rich.table import Table

from ci_rescue_core.cli.common import add_config_option, add_format_option, console, print_json
from ci_rescue_core.config import load_config
from ci_rescue_core.flake.keeper import QuarantineKeeper
from ci_rescue_core.flake.sweeper import providers_of
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.store import utc_now
from ci_rescue_core.store.quarantine import DECLINED, OPEN, Quarantine, QuarantineStore


def add_parser(commands: Any) -> None:
    """Register ``quarantine``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "quarantine",
        help="list quarantined tests, or end the quarantines that expired or were earned",
        description=(
            "list: the quarantines not ended yet — pending (change request not seen merged), "
            "active, or 'expired (pending lift)' when their TTL ran out but nothing has ended "
            "them yet (--all: ended ones too - expired, lifted, or declined when their change "
            "request was closed unmerged - with what became of their file entry). "
            "expire: end every quarantine whose TTL ran out, and every one whose test passed "
            "quarantine_release_passes times in a row; open the change request that removes "
            "their entries from .ci-rescue/quarantine.yaml; report each on its incident's "
            "timeline and to the notifiers (rescue.log). The pipeline does the same on every "
            "run it handles, and serve and watch every 10 minutes."
        ),
    )
    parser.add_argument("action", choices=("list", "expire"))
    parser.add_argument("--repo", default=None, help="only this repository (owner/name)")
    parser.add_argument(
        "--all", action="store_true", help="list: ended quarantines too, not only open ones"
    )
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def quarantine_json(quarantine: Quarantine, now: datetime) -> dict[str, Any]:
    """One quarantine as JSON: ``status`` as stored, ``state`` as ``list`` shows it."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": quarantine.id,
        "repo": quarantine.repo,
        "test": quarantine.test_id,
        "status": quarantine.status,
        "state": quarantine.state(now),
        "overdue": quarantine.is_due(now),
        "reason": quarantine.reason,
        "score": quarantine.score,
        "evidence": list(quarantine.evidence),
        "incident": quarantine.incident_id,
        "link": quarantine.link,
        "change_request": quarantine.change_request,
        "since": quarantine.created_at.isoformat(),
        "seen": when(quarantine.seen_at),
        "expires": quarantine.expires_at.isoformat(),
        "ended": when(quarantine.ended_at),
        "end_reason": quarantine.end_reason,
        "release": quarantine.release,
        "release_link": quarantine.release_link,
        "release_note": quarantine.release_note,
        "released": when(quarantine.released_at),
    }


def _why(quarantine: Quarantine) -> str:
    if quarantine.is_open:
        where = f" ({quarantine.link})" if quarantine.link else ""
        return quarantine.reason + where
    if quarantine.status == DECLINED:
        return f"{quarantine.end_reason}; never in the file"
    release = {
        "opened": f"file entry removed by {quarantine.release_link}",
        "done": "file entry gone",
    }.get(quarantine.release or "", quarantine.release_note or "file entry not removed yet")
    return f"{quarantine.end_reason}; {release}"


def run(args: argparse.Namespace) -> int:
    """List or expire quarantines."""
    config = load_config(args.config)
    now = utc_now()
    with Runtime(config) as runtime:
        if args.action == "list":
            found = QuarantineStore(runtime.store).find(
                args.repo, status=None if args.all else OPEN
            )
        else:
            keeper = QuarantineKeeper(store=runtime.store, hooks=runtime.hooks, clock=utc_now)
            found = keeper.lift(
                runtime.policy_for,
                repo=args.repo,
                providers=providers_of(runtime),
                check_files=True,
            )
    if args.format == "json":
        print_json([quarantine_json(q, now) for q in found])
        return 0
    out = console()
    if not found:
        what = "quarantines" if args.action == "list" else "quarantines were due"
        out.print(f"no {what}" + (f" in {args.repo}" if args.repo else ""))
        return 0
    table = Table(box=None)
    for column in ("repo", "test", "state", "score", "expires", "why"):
        table.add_column(column, no_wrap=column in ("state", "score", "expires"))
    for quarantine in found:
        table.add_row(
            quarantine.repo,
            quarantine.test_id,
            quarantine.state(now),
            f"{quarantine.score:.2f}",
            f"{quarantine.expires_at:%Y-%m-%d %H:%M}",
            _why(quarantine),
        )
    out.print(table)
    return 0
