"""``ci-rescue flake-score``: a test-outcome history in, one verdict per test out."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ci_rescue_core.cli.common import add_config_option, add_format_option, console
from ci_rescue_core.config import load_config, load_policy
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.flake.assess import TestAssessment
from ci_rescue_core.flake.batch import score_history
from ci_rescue_core.flake.jsonl import parse_lines
from ci_rescue_core.flake.mass import MassRule
from ci_rescue_core.flake.params import ModelParams, Thresholds


def add_parser(commands: Any) -> None:
    """Register ``flake-score``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "flake-score",
        help="score every test of a JSON-lines outcome history: flaky, broken or ok",
        description=(
            'Read JSON lines {"test", "sha", "outcome": "pass"|"fail", "attempt", "run", '
            '"time"} (optional "branch", "job", "fingerprint", "message") and print one '
            "verdict per test, sorted by test id: its flake score, flaky / broken / ok, and the "
            "evidence behind it. See docs/flakes.md for the model."
        ),
    )
    parser.add_argument("history", metavar="HISTORY_JSONL", help="history file, or - for stdin")
    parser.add_argument(
        "--repo",
        default=None,
        help="owner/name whose policy override (rules.overrides_dir) applies; defaults otherwise",
    )
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


@contextmanager
def _open_text(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
        return
    try:
        with Path(path).open(encoding="utf-8", errors="strict") as handle:
            yield handle
    except OSError as exc:
        raise PayloadError(f"cannot read {path}: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace) -> int:
    """Score the history and print one verdict per test."""
    config = load_config(args.config)
    overrides = config.rules.overrides_dir
    policy = load_policy(args.repo, overrides_dir=config.resolve(overrides) if overrides else None)
    source = "<stdin>" if args.history == "-" else args.history
    with _open_text(args.history) as handle:
        try:
            observations = list(parse_lines(handle, source=source))
        except UnicodeDecodeError as exc:
            raise PayloadError(f"{source} is not UTF-8 text ({exc.reason})") from exc
    assessments = score_history(
        observations,
        params=ModelParams.from_policy(policy),
        thresholds=Thresholds.from_policy(policy),
        mass=MassRule.from_policy(policy),
    )
    if args.format == "json":
        for assessment in assessments:
            sys.stdout.write(json.dumps(assessment_json(assessment), ensure_ascii=False) + "\n")
    else:
        _render(assessments)
    return 0


def assessment_json(assessment: TestAssessment) -> dict[str, Any]:
    """The contract: ``{"test", "score", "verdict", "evidence": [...]}`` (plus ``observations``)."""
    return {
        "test": assessment.test,
        "score": assessment.score,
        "verdict": assessment.verdict.value,
        "evidence": [
            {
                "kind": item.kind,
                "supports": item.supports.value,
                "strength": item.strength,
                "bayes_factor": None
                if item.bayes_factor is None
                else float(f"{item.bayes_factor:.6g}"),
                "count": item.count,
                "detail": item.detail,
            }
            for item in assessment.evidence
        ],
        "observations": assessment.observations,
    }


def _render(assessments: list[TestAssessment]) -> None:
    out = console()
    for assessment in assessments:
        out.print(
            f"{assessment.verdict.value:<6} {assessment.score:.2f} "
            f"{assessment.observations:>5} runs  {assessment.test}",
            markup=False,
            soft_wrap=True,
        )
        for item in assessment.evidence[:3]:
            out.print(f"    - {item.detail}", markup=False, soft_wrap=True)
