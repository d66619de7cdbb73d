"""Redaction on the streaming path: a planted secret never leaves, wherever the chunks are cut."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from ci_rescue_core.logs.excerpt import LogExcerpt
from ci_rescue_core.logs.redact import MASK, MAX_KEY_BLOCK_LINES, Redactor
from ci_rescue_core.logs.scan import scan_chunks

from .test_redact import KNOWN, PEM, TOKENS

TS = "2025-04-07T12:57:33.2943173Z "
COLOURS = ["\x1b[31m", "\x1b[0m", "\x1b[1;33m", "\x1b[0K", "\x1b]0;t\x07"]
FILLER = [
    "ordinary output",
    f"{TS}##[group]Run make test",
    f"{TS}error: something broke",
    "E       AssertionError: no",
    "section_start:1700000000:step_script\r\x1b[0KRunning",
    "",
]


def everything(excerpt: LogExcerpt) -> str:
    """All text the excerpt hands on (lines, tail, step names), one per line."""
    texts = [line.text for line in (*excerpt.lines, *excerpt.tail)]
    texts += [line.step or "" for line in (*excerpt.lines, *excerpt.tail)]
    texts += [*excerpt.steps, excerpt.failed_step or ""]
    return "\n".join(texts)


def cut(data: bytes, points: list[int]) -> Iterator[bytes]:
    start = 0
    for point in sorted({min(max(p, 0), len(data)) for p in points}):
        yield data[start:point]
        start = point
    yield data[start:]


def split_by_colours(secret: str, data: st.DataObject) -> str:
    """The secret with colour codes inserted at a few places (the cleaned line has it whole)."""
    places = sorted(data.draw(st.lists(st.integers(1, len(secret) - 1), max_size=3)))
    pieces = []
    start = 0
    for place in places:
        pieces.append(secret[start:place])
        pieces.append(data.draw(st.sampled_from(COLOURS)))
        start = place
    pieces.append(secret[start:])
    return "".join(pieces)


def planted_log(secret_text: str, data: st.DataObject) -> tuple[bytes, int]:
    """A log with *secret_text* on one line somewhere; returns the bytes and its offset."""
    before = data.draw(st.lists(st.sampled_from(FILLER), max_size=12))
    after = data.draw(st.lists(st.sampled_from(FILLER), max_size=12))
    prefix = data.draw(st.sampled_from(["", TS, "build\tRun tests\t" + TS]))
    context = data.draw(st.sampled_from(["error with ", "", "key=", "FAILED ", "##[group]Run "]))
    line = f"{prefix}{context}{secret_text} end"
    head = "\n".join(before) + ("\n" if before else "")
    text = head + line + "\n" + "\n".join(after)
    return text.encode("utf-8", "surrogatepass"), len(head.encode())


@settings(max_examples=150, deadline=None)
@given(shape=st.sampled_from(sorted(TOKENS)), data=st.data())
def test_token_never_survives_the_scan(shape: str, data: st.DataObject) -> None:
    token = data.draw(TOKENS[shape])
    raw, offset = planted_log(split_by_colours(token, data), data)
    # Cut near the secret, and anywhere else.
    points = data.draw(st.lists(st.integers(offset - 8, offset + 120), max_size=4))
    points += data.draw(st.lists(st.integers(0, len(raw)), max_size=3))
    excerpt = scan_chunks(
        cut(raw, points), Redactor(), context=3, tail=data.draw(st.sampled_from([0, 5]))
    )
    assert token not in everything(excerpt)


@settings(max_examples=150, deadline=None)
@given(secret=KNOWN, data=st.data())
def test_known_secret_never_survives_the_scan(secret: str, data: st.DataObject) -> None:
    raw, offset = planted_log(secret, data)
    points = data.draw(st.lists(st.integers(offset - 8, offset + 60), max_size=4))
    excerpt = scan_chunks(cut(raw, points), Redactor(known_secrets=[secret]), context=3, tail=5)
    assert secret not in everything(excerpt)


@settings(max_examples=60, deadline=None)
@given(
    body_before=st.integers(0, MAX_KEY_BLOCK_LINES - 35),  # the whole block is within the cap
    body_after=st.integers(0, 30),
    cuts=st.lists(st.integers(0, 30_000), max_size=6),
)
def test_private_key_lines_never_survive_even_when_lines_are_skipped(
    body_before: int, body_after: int, cuts: list[int]
) -> None:
    # The body lines nobody keeps are skipped, not redacted; the kept ones must still be masked.
    secret_line = PEM[1]
    lines = [f"{TS}##[group]Run deploy", PEM[0]]
    lines += [f"{secret_line[:20]}{n:04d}{secret_line[24:]}" for n in range(body_before)]
    lines.append(f"{secret_line} error")  # a candidate inside the key block
    lines += [f"{secret_line[:20]}{n:04d}{secret_line[24:]}" for n in range(body_after)]
    lines += [PEM[3], "error: after the key", "done"]
    raw = "\n".join(lines).encode()
    excerpt = scan_chunks(cut(raw, cuts), Redactor(), context=3, tail=10)
    text = everything(excerpt)
    assert secret_line[24:40] not in text
    assert "error: after the key" in text  # the END line ends the masking
    kept = {line.number: line.text for line in excerpt.all_lines()}
    assert kept[body_before + 3] == MASK


def test_a_key_header_mentioned_in_passing_stops_masking_after_the_cap() -> None:
    lines = ["if x.startswith('-----BEGIN OPENSSH PRIVATE KEY-----'):"]
    lines += [f"line {n}" for n in range(MAX_KEY_BLOCK_LINES + 50)]
    lines.append("error: visible again")
    excerpt = scan_chunks(["\n".join(lines).encode()], Redactor(), context=0, tail=0)
    assert [line.text for line in excerpt.lines][-1] == "error: visible again"
