"""Embedding ci-rescue in a platform team's own tooling.

Builds the deployment configuration in code (or loads a ``rescue.yaml``), registers a plugin
object of our own next to the built-ins, and handles one webhook payload file::

    export CI_RESCUE_GITHUB_TOKEN=...
    python examples/embed.py event.json --api-url https://github.example.com/api/v3
    python examples/embed.py event.json --config rescue.yaml --mode act

Exit status: 0 when the event was handled (whatever was decided), 1 with one error line when
it could not be (bad payload, bad configuration, API error).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import attrs

from ci_rescue_core.config import ProviderConfig, RescueConfig, StoreConfig, load_config
from ci_rescue_core.config.deployment import OutputConfig
from ci_rescue_core.errors import RescueError
from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.models import Incident, Mode
from ci_rescue_core.orchestrator import HandleResult, parse_json_body
from ci_rescue_core.runtime import Runtime

TOKEN_ENV = "CI_RESCUE_GITHUB_TOKEN"


class PlatformNotifier:
    """Our own plugin: every headline and every incident update, for the team's dashboard.

    A real one would post to an internal endpoint here; this one keeps them in memory and
    prints headlines to *stream*.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.headlines: list[str] = []
        self.updates: list[tuple[str, str, str]] = []  # (incident id, step, status)
        self._stream = stream

    @hookimpl
    def rescue_notify(self, incident: Incident, headline: str) -> None:
        """Called once per handled event, with the final incident."""
        self.headlines.append(headline)
        if self._stream is not None:
            print(f"[platform] {headline} (incident {incident.id})", file=self._stream)

    @hookimpl
    def rescue_incident_updated(self, incident: Incident, step: str) -> None:
        """Called after every stored change; must not raise."""
        self.updates.append((incident.id, step, incident.status.value))


def build_config(
    *, api_url: str | None, state_dir: Path, mode: Mode = Mode.PROPOSE, throttle: bool = True
) -> RescueConfig:
    """The deployment configuration, in code instead of a ``rescue.yaml``.

    :param api_url: the GitHub API root (``None``: api.github.com).
    :param state_dir: where the store and ``rescue.log`` go.
    :param throttle: space out API calls as GitHub asks; turn off only for a local simulator.
    """
    github = ProviderConfig(base_url=api_url, token_env=TOKEN_ENV)
    if not throttle:
        github = attrs.evolve(
            github, min_request_interval=0.0, min_write_interval=0.0, backoff_factor=0.0
        )
    return RescueConfig(
        mode=mode,
        store=StoreConfig(path=str(state_dir / "rescue.db")),
        providers={"github": github},
        output=OutputConfig(rescue_log=str(state_dir / "rescue.log")),
        base_dir=str(state_dir),
    )


def handle_file(
    payload_path: str | Path,
    *,
    config: RescueConfig,
    plugins: Iterable[object] = (),
    provider: str = "github",
    event_type: str = "workflow_run",
    delivery_id: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> HandleResult:
    """Run one webhook payload file through the pipeline, with *plugins* registered too.

    :param environ: where the token is read from (default ``os.environ``).
    :raises RescueError: for a bad payload, bad configuration or an API error.
    :raises OSError: when the payload file cannot be read.
    """
    payload = parse_json_body(Path(payload_path).read_bytes())
    with Runtime(config, environ=environ, plugins=plugins) as runtime:
        rescuer = runtime.rescuer(provider)
        return rescuer.handle_payload(event_type, payload, delivery_id=delivery_id)


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="embed.py", description="Run one webhook payload through ci-rescue."
    )
    parser.add_argument("payload", help="webhook payload file (JSON)")
    parser.add_argument("--config", help="a rescue.yaml; without it the config is built in code")
    parser.add_argument("--api-url", default=None, help="GitHub API root (default: github.com)")
    parser.add_argument("--state-dir", type=Path, default=Path(".ci-rescue"))
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=None)
    parser.add_argument("--event-type", default="workflow_run")
    parser.add_argument("--delivery-id", default=None)
    parser.add_argument(
        "--no-throttle", action="store_true", help="do not space out API calls (simulators only)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Handle one payload; print our plugin's headline and the result."""
    args = build_parser().parse_args(argv)
    notifier = PlatformNotifier(stream=sys.stdout)
    try:
        if args.config:
            config = load_config(args.config)
            if args.mode:
                config = attrs.evolve(config, mode=Mode(args.mode))
        else:
            config = build_config(
                api_url=args.api_url,
                state_dir=args.state_dir.resolve(),
                mode=Mode(args.mode or Mode.PROPOSE),
                throttle=not args.no_throttle,
            )
        result = handle_file(
            args.payload,
            config=config,
            plugins=[notifier],
            event_type=args.event_type,
            delivery_id=args.delivery_id,
        )
    except (RescueError, OSError) as exc:
        print(f"embed.py: error: {exc}", file=sys.stderr)
        return 1
    print(f"{result.status.value}: {result.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
