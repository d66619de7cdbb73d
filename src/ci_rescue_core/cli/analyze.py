"""``ci-rescue analyze``: one log in, one fingerprint out (the DESIGN.md JSON contract).

The input may also be a JUnit XML test report: it is recognised by its content (the first
element is ``<testsuites>`` or ``<testsuite>``), whatever the file is called.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from rich.table import Table
from rich.text import Text

from ci_rescue_core.cli.common import add_config_option, add_format_option, console, print_json
from ci_rescue_core.config import load_config
from ci_rescue_core.errors import PayloadError
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import LogAnalysis, analyze_log
from ci_rescue_core.logs.analyze import analyze_junit
from ci_rescue_core.logs.junit import SNIFF_BYTES, looks_like_junit
from ci_rescue_core.logs.reader import open_source
from ci_rescue_core.plugins import make_plugin_manager


def add_parser(commands: Any) -> None:
    """Register ``analyze``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "analyze",
        help="read one CI log and print its failure fingerprint",
        description=(
            "Stream one CI job log (GitHub Actions, GitLab, CircleCI, Travis or plain text; "
            "gzip too) and print its category, failing tests, most relevant error lines, "
            "exit code and fingerprint. Secrets are redacted first."
        ),
    )
    parser.add_argument(
        "log", metavar="LOGFILE", help="log file or JUnit XML report, or - for stdin"
    )
    parser.add_argument(
        "--baseline",
        metavar="PASSING_LOG",
        default=None,
        help="log of the last passing run of the same job: lines new in LOGFILE rank higher",
    )
    add_config_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Analyse the log and print the result."""
    config = load_config(args.config)
    hooks = Hooks(make_plugin_manager(blocked=config.plugins.disable))
    with contextlib.ExitStack() as stack:
        head, chunks = peek(stack.enter_context(open_source(args.log)), SNIFF_BYTES)
        if looks_like_junit(head):
            if args.baseline:
                raise PayloadError(
                    f"{args.log} is a JUnit XML report: --baseline compares logs, "
                    "give a passing log only with a log"
                )
            analysis = analyze_junit(
                chunks, hooks=hooks, known_secrets=config.known_secrets(), name=args.log
            )
        else:
            baseline = stack.enter_context(open_source(args.baseline)) if args.baseline else None
            analysis = analyze_log(
                chunks, hooks=hooks, known_secrets=config.known_secrets(), baseline=baseline
            )
    if args.format == "json":
        print_json(analysis_json(analysis))
    else:
        _render(analysis)
    return 0


def peek(chunks: Iterable[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first *size* bytes of a stream, and the whole stream (those bytes included).

    :param chunks: the stream, in pieces of any size.
    :param size: how many bytes to look at (fewer when the stream is shorter).
    :returns: ``(head, chunks)`` where *chunks* yields every byte of the stream once.
    """
    stream = iter(chunks)
    seen: list[bytes] = []
    length = 0
    for chunk in stream:
        seen.append(chunk)
        length += len(chunk)
        if length >= size:
            break
    return b"".join(seen)[:size], itertools.chain(seen, stream)


def analysis_json(analysis: LogAnalysis) -> dict[str, Any]:
    """The contract: category, ecosystem, failing_tests, error_lines, exit_code, fingerprint."""
    fingerprint = analysis.fingerprint
    return {
        "category": fingerprint.category.value,
        "ecosystem": fingerprint.ecosystem,
        "failing_tests": list(fingerprint.failing_tests),
        "error_lines": [{"line": e.line, "text": e.text} for e in fingerprint.error_lines],
        "exit_code": fingerprint.exit_code,
        "fingerprint": fingerprint.hash,
    }


def _render(analysis: LogAnalysis) -> None:
    fingerprint = analysis.fingerprint
    out = console()
    headline = Text(fingerprint.category.value, style="bold")
    headline.append(
        (f" ({fingerprint.ecosystem})" if fingerprint.ecosystem else "")
        + (f", exit code {fingerprint.exit_code}" if fingerprint.exit_code is not None else "")
        + f" — fingerprint {fingerprint.hash[:16]}"
    )
    out.print(headline)
    for test in fingerprint.failing_tests:
        out.print(f"  failing: {test}")
    table = Table("line", "error", box=None, pad_edge=False)
    for error in fingerprint.error_lines:
        table.add_row(str(error.line), error.text)
    out.print(table)
