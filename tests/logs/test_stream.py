"""The block scanner against a line-by-line oracle, whatever the chunking and skimming."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from ci_rescue_core.logs.clean import LogCleaner
from ci_rescue_core.logs.detect import iter_candidates
from ci_rescue_core.logs.excerpt import LogExcerpt, LogLine
from ci_rescue_core.logs.reader import iter_lines
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan_chunks
from ci_rescue_core.logs.stream import Scanner

TS = "2025-04-07T12:57:33.2943173Z "

#: Line shapes of every format the scanner follows; each is a candidate, a state line or noise.
LINES = st.sampled_from(
    [
        b"ordinary output",
        b"Collecting requests",
        f"{TS}ordinary".encode(),
        f"{TS}##[group]Run pytest -q".encode(),
        f"{TS}##[group]Run make build".encode(),
        f"{TS}##[endgroup]".encode(),
        f"{TS}##[error]Process completed with exit code 1.".encode(),
        f"{TS}E       AssertionError: boom".encode(),
        b"\x1b[31mFAILED\x1b[0m tests/x.py::t",
        b"    \x1b[31m\xe2\x9c\x97\x1b[0m should work",
        b"section_start:1700000000:step_script\r\x1b[0KRunning",
        b"section_end:1700000001:step_script\r\x1b[0K",
        b"travis_fold:start:install\r\x1b[0Kinstall",
        b"travis_fold:end:install\r\x1b[0K",
        b"travis_time:start:1a2b\r\x1b[0K$ pytest -q",
        b"\x1b[0Ktravis_time:start:3c4d",
        b"\x1b[0K$ make lint",
        b"$ echo not a command unless a timer started",
        b"travis_time:end:1a2b:start=1,finish=2,duration=1\r\x1b[0K"
        b'\x1b[31;1mThe command "pytest -q" exited with 1.\x1b[0m',
        b'The command "make lint" exited with 0.',
        b"==> Run tests (node 1)",
        b"Exited with code exit status 1",
        b"Too long with no output (exceeded 10m0s): context deadline exceeded",
        b"Downloading error 10%\rDownloading 100%",
        b"ERROR: Job failed: exit code 1",
        b"build\tRun tests\t2021-12-01T13:01:04.3807878Z FAIL x",
        b"build\tLint\t2021-12-01T13:01:04.3807878Z all good",
        b"-----BEGIN RSA PRIVATE KEY-----",
        b"MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH",
        b"-----END RSA PRIVATE KEY-----",
        b"token ghp_" + b"A1b2" * 9 + b" used",
        b"HTTP 503 from registry",
        b"bad \xff\xfe bytes timeout",
        b"nul\x00 in line",
        b"crlf error\r",
        b"x" * 40 + b" error after the cap",
        b"",
    ]
)

LOGS = st.lists(LINES, max_size=80).map(lambda lines: b"\n".join(lines))
#: Logs in CircleCI form, as our adapter writes them: a ``==> `` step header comes first.
CIRCLECI_LOGS = st.lists(LINES, max_size=80).map(
    lambda lines: b"\n".join([b"==> Spin up environment", *lines])
)
CUTS = st.lists(st.integers(min_value=0, max_value=8000), max_size=10)

MAX_LINE = 32  # small, so that over-long lines occur


def split_at(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    start = 0
    for point in points:
        yield data[start:point]
        start = point
    yield data[start:]


def oracle(
    data: bytes, *, context: int, max_candidates: int, tail: int, max_line: int = MAX_LINE
) -> LogExcerpt:
    """The excerpt, computed one line at a time with the simplest possible bookkeeping."""
    raws = data.replace(b"\x00", b"").split(b"\n")
    redactor = Redactor()
    session = redactor.session()
    cleaner = LogCleaner(redact=session.redact_line, redact_fragment=redactor.redact)
    items = []
    flags = []
    lines = iter_lines([data], max_line_bytes=max_line)
    for (number, text), raw in zip(lines, raws, strict=False):  # raws may end with b""
        clean = cleaner.feed(text)
        items.append((number, clean.text, clean.step))
        flags.append(next(iter_candidates(raw.lower(), max_line), None) is not None)
    kept_numbers = sorted(
        {
            n
            for index, flag in enumerate(flags)
            if flag
            for n in range(max(0, index - context), min(len(items), index + context + 1))
        }
    )
    kept = [items[n] for n in kept_numbers]
    head_cap = max(1, max_candidates // 2)
    latest = deque(kept[head_cap:], maxlen=max(0, max_candidates - head_cap))
    return LogExcerpt(
        lines=tuple(LogLine(*item) for item in (*kept[:head_cap], *latest)),
        tail=tuple(LogLine(*item) for item in items[max(0, len(items) - tail) :]) if tail else (),
        total_lines=len(items),
        steps=cleaner.steps,
        failed_step=cleaner.failed_step,
        truncated=len(kept) > max_candidates,
    )


def scanned(
    chunks: Iterator[bytes] | list[bytes],
    *,
    context: int,
    max_candidates: int,
    tail: int,
    ring_bytes: int,
    lazy: bool = True,
    max_line_bytes: int = MAX_LINE,
    skimmed: list[int] | None = None,
) -> LogExcerpt:
    head_cap = max(1, max_candidates // 2)
    scanner = Scanner(
        Redactor(),
        context=context,
        head_cap=head_cap,
        latest_cap=max(0, max_candidates - head_cap),
        tail=tail,
        lazy=lazy,
        max_line_bytes=max_line_bytes,
        ring_bytes=ring_bytes,
    )
    scanner.run(chunks)
    if skimmed is not None:
        skimmed.append(scanner.skimmed)
    return LogExcerpt(
        lines=tuple(LogLine(*item) for item in (*scanner.head, *scanner.latest)),
        tail=tuple(LogLine(*item) for item in scanner.tail),
        total_lines=scanner.total,
        steps=scanner.cleaner.steps,
        failed_step=scanner.cleaner.failed_step,
        truncated=scanner.truncated,
    )


@settings(max_examples=300, deadline=None)
@given(
    data=LOGS | CIRCLECI_LOGS,
    cuts=CUTS,
    context=st.integers(0, 3),
    max_candidates=st.integers(1, 12),
    tail=st.integers(0, 5),
    ring_bytes=st.sampled_from([0, 40, 200, 1 << 20]),
)
def test_scanner_matches_the_line_by_line_oracle(
    data: bytes, cuts: list[int], context: int, max_candidates: int, tail: int, ring_bytes: int
) -> None:
    expected = oracle(data, context=context, max_candidates=max_candidates, tail=tail)
    got = scanned(
        split_at(data, cuts),
        context=context,
        max_candidates=max_candidates,
        tail=tail,
        ring_bytes=ring_bytes,
    )
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(data=LOGS | CIRCLECI_LOGS, cuts=CUTS, other=CUTS)
def test_same_excerpt_whatever_the_chunk_boundaries(
    data: bytes, cuts: list[int], other: list[int]
) -> None:
    first = scan_chunks(split_at(data, cuts), Redactor(), context=2, max_candidates=8, tail=4)
    second = scan_chunks(split_at(data, other), Redactor(), context=2, max_candidates=8, tail=4)
    assert first == second


def test_skimming_a_long_log_changes_nothing() -> None:
    lines = []
    for n in range(6000):
        if n % 997 == 0:
            lines.append(f"{TS}##[group]Run step {n}")
        lines.append(f"{TS}error number {n}" if n % 7 == 0 else f"{TS}output {n}")
    data = "\n".join(lines).encode()
    chunks = [data[i : i + 3000] for i in range(0, len(data), 3000)]
    options = {"context": 2, "max_candidates": 40, "tail": 5, "max_line_bytes": 1000}
    skimmed: list[int] = []
    lazy = scanned(chunks, ring_bytes=20_000, skimmed=skimmed, **options)
    eager = scanned(chunks, ring_bytes=20_000, lazy=False, **options)
    assert lazy == eager
    assert skimmed[0] > 50  # most of the log was only skimmed
    assert lazy == oracle(data, context=2, max_candidates=40, tail=5, max_line=1000)
    assert lazy.truncated
    assert lazy.lines[-1].text == "error number 5999"
    assert lazy.lines[-1].step == "step 5982"
    assert len(lazy.steps) == 7


def test_context_spans_block_boundaries() -> None:
    data = b"a\nb\nc\nerror here\nd\ne\nf\n"
    for size in range(1, len(data) + 1):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        excerpt = scan_chunks(chunks, Redactor(), context=2, tail=0)
        assert [line.number for line in excerpt.lines] == [2, 3, 4, 5, 6], size
