"""``ci-rescue handle``: one webhook body through the whole pipeline."""

from __future__ import annotations

import argparse
from typing import Any

from ci_rescue_core.cli.common import (
    add_config_option,
    add_format_option,
    console,
    print_json,
    read_input_bytes,
)
from ci_rescue_core.cli.render import render_result
from ci_rescue_core.config import load_config
from ci_rescue_core.convert import to_json_dict
from ci_rescue_core.orchestrator import HandleResult, HandleStatus, parse_json_body
from ci_rescue_core.runtime import Runtime


def add_parser(commands: Any) -> None:
    """Register ``handle``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "handle",
        help="run one webhook payload through the pipeline",
        description=(
            "Handle one webhook payload (as the provider delivered it) end to end: find the "
            "failed jobs, read their logs, judge flakiness, pick and apply remedies per policy "
            "and mode. The payload is trusted local input: signatures are checked by "
            "'ci-rescue serve', not here."
        ),
    )
    parser.add_argument("payload", metavar="PAYLOAD_JSON", help="payload file, or - for stdin")
    parser.add_argument("--provider", required=True, help="provider name, e.g. github")
    parser.add_argument(
        "--event-type", required=True, help="the provider's event type, e.g. workflow_run"
    )
    parser.add_argument(
        "--delivery-id",
        default=None,
        help="the delivery id (X-GitHub-Delivery); a repeated id is recognised and skipped",
    )
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Handle the payload; print the incident (or why nothing was done)."""
    payload = parse_json_body(read_input_bytes(args.payload))
    config = load_config(args.config)
    with Runtime(config) as runtime:
        rescuer = runtime.rescuer(args.provider)
        result = rescuer.handle_payload(args.event_type, payload, delivery_id=args.delivery_id)
    if args.format == "json":
        print_json(result_json(result))
    else:
        render_result(console(), result)
    return 0


def result_json(result: HandleResult) -> Any:
    """The incident for a handled failure; otherwise what happened and why."""
    if result.status is HandleStatus.HANDLED and result.incident is not None:
        return to_json_dict(result.incident)
    return {
        "status": result.status.value,
        "reason": result.reason,
        "resolved": [to_json_dict(incident) for incident in result.resolved],
    }
