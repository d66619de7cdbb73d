"""``ci-rescue serve``: the webhook receiver and its worker."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from ci_rescue_core.cli.common import add_config_option
from ci_rescue_core.config import load_config
from ci_rescue_core.runtime import Runtime
from ci_rescue_core.webhook import WebhookServer


def add_parser(commands: Any) -> None:
    """Register ``serve``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="receive webhooks (POST /webhooks/<provider>) and rescue failing runs",
        description=(
            "Serve the webhook receiver: each delivery is verified (signature or token), stored "
            "and acknowledged with 202 at once; a worker runs the pipeline. GET /healthz for "
            "probes. Stop with Ctrl-C or SIGTERM; deliveries not yet handled are kept and "
            "handled at the next start."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (0: any)")
    add_config_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_config(args.config)
    with Runtime(config) as runtime:
        server = WebhookServer(runtime, host=args.host, port=args.port)
        providers = ", ".join(runtime.registry.names())
        logging.info(
            "ci-rescue listening on %s (POST /webhooks/<%s>), mode %s",
            server.url,
            providers,
            config.mode.value,
        )
        stopping = threading.Event()

        def shutdown(*_: object) -> None:
            if not stopping.is_set():
                stopping.set()
                threading.Thread(target=server.stop, daemon=True).start()

        signal.signal(signal.SIGTERM, shutdown)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            shutdown()
    return 0
