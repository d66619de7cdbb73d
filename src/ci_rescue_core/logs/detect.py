"""Finding the lines that matter in a block of raw log bytes, without a Python loop per line.

Two questions are asked of each block (whole ``\\n``-terminated lines, see
:func:`~ci_rescue_core.logs.reader.iter_blocks`):

* which lines are **candidates** — a failure keyword anywhere in the line, or a failure line
  start (pytest ``E`` lines...) after the CI timestamp prefix and colour codes.  One compiled
  ``bytes`` regex, built from the vocabulary in :mod:`.keywords`, runs over the lower-cased
  block; the Python work is per match, not per line;
* which lines change the **state** of the log reader — step markers (``##[group]Run``,
  ``section_start:``/``section_end:``, ``travis_fold:``, ``travis_time:`` and the line after a
  timer's start, ``gh run view --log`` rows, CircleCI's ``==> `` step headers), the first
  failure report (``##[error]``, ``ERROR: Job failed``, Travis' ``The command "…"``,
  CircleCI's ``Exited with code``) and private-key armour (``PRIVATE KEY``).  These are found
  with a few literal searches, which run at memory speed.

Candidacy is decided on the raw line, before cleaning and redaction, so it depends on nothing
but the line's first ``max_line_bytes`` bytes: the same log cut into blocks differently gives
the same candidates.  Matching is ASCII case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ci_rescue_core.logs.bytes_regex import to_bytes_pattern
from ci_rescue_core.logs.keywords import LINE_START_PATTERN, SUBSTRINGS, WORDS

# What may precede a line's visible text in a raw log (lower-cased): a byte-order mark, a GitHub
# timestamp or GitLab's FF_TIMESTAMPS prefix, then colour codes.
_PREFIX = (
    rb"(?:\xef\xbb\xbf)?"
    rb"(?:\d{4}-\d\d-\d\dt\d\d:\d\d:\d\d(?:\.\d+)?z(?: [0-9a-f]{2}[oe]\+?)? )?"
)
_COLOURS = rb"(?:\x1b\[[0-?]*[ -/]*[@-~])*"
_LINE_START = to_bytes_pattern(LINE_START_PATTERN, between=_COLOURS)


#: Bytes of lower-cased CI logs, most frequent first (measured on the corpus logs); bytes not
#: listed are rarer still.
_COMMON_FIRST = b" eotsrnai-./c01m2pl:gdb3u4\n\rh6f598[7v()\x1bk_=jywz%x],;'\">\t|q+*#\\<${"


def _rarity(byte: int) -> int:
    found = _COMMON_FIRST.find(bytes([byte]))
    return len(_COMMON_FIRST) if found < 0 else found


def _keyword_option(keyword: bytes, *, whole_word: bool) -> tuple[int, bytes]:
    """``(entry byte, pattern after it)``: a keyword is entered at its rarest byte.

    The regex engine skips quickly over bytes that cannot start a match, so each keyword is
    matched from its rarest byte; what follows is matched forwards and the whole keyword is
    checked with a look-behind.
    """
    entry = max(range(len(keyword)), key=lambda i: (_rarity(keyword[i]), -i))
    rest = re.escape(keyword[entry + 1 :])
    behind = rb"(?<=" + re.escape(keyword) + b")" if entry else b""
    if whole_word:
        behind += rb"(?<![0-9a-z_]" + re.escape(keyword) + rb")\b"
    return keyword[entry], rest + behind


def _keyword_pattern(substrings: Iterable[str], words: Iterable[str]) -> bytes:
    groups: dict[int, list[bytes]] = {}
    keywords = [(word, False) for word in substrings] + [(word, True) for word in words]
    for word, whole in keywords:
        entry, pattern = _keyword_option(word.lower().encode("utf-8"), whole_word=whole)
        groups.setdefault(entry, []).append(pattern)
    # Each top-level option starts with a literal byte, which lets the regex engine skip the
    # positions that cannot start a match.
    options = [
        re.escape(bytes([entry])) + b"(?:" + b"|".join(sorted(set(group))) + b")"
        for entry, group in sorted(groups.items())
    ]
    # A failure line start after a newline (the match belongs to the next line) or after a
    # carriage return (GitLab / Travis redraw a line; the text after ``\r`` is what shows).
    options.append(b"\n" + _PREFIX + _COLOURS + _LINE_START)
    options.append(b"\r" + _COLOURS + _LINE_START)
    return b"|".join(options)


_CANDIDATE = re.compile(_keyword_pattern(SUBSTRINGS, WORDS))
_FIRST_LINE_START = re.compile(_PREFIX + _COLOURS + _LINE_START)

# State markers, searched in the original (not lower-cased) bytes with ``bytes.find``, which
# runs at memory speed.
_GROUP_RUN = b"##[group]Run "
_ERROR_MARK = b"##[error]"
_KEY_ARMOUR = b"PRIVATE KEY"
# ``section_start:``, ``section_end:``, ``travis_fold:`` and ``travis_time:start:`` in one search
# for ``_`` (rare).  A timer's start is followed by its command (``$ make``), on the same line or
# on the next one.
_SECTIONS_AND_FOLDS = re.compile(rb"_(?:start:|end:|fold:|time:start:)")
_TIMER_START = b"_time:start:"
_FOLD = b"_fold:"
_JOB_FAILED = b"ERROR: Job failed"
_TRAVIS_EXIT = b'The command "'
# CircleCI (as our adapter writes it): step headers and the failed step's last words.
_STEP_HEADER = b"==> "
_BOM = b"\xef\xbb\xbf"
_CIRCLECI_FAILURES = (b"Exited with code", b"Too long with no output")
_GH_CLI_ROW = re.compile(rb"\t(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def iter_candidates(lowered: bytes, max_line_bytes: int) -> Iterator[tuple[int, int]]:
    """The candidate lines of a block, in order.

    A match counts when it lies in the line's first *max_line_bytes* bytes and in the text
    that stays visible: when a line is redrawn with ``\\r`` (progress bars), only what
    follows the last ``\\r`` is on screen.

    :param lowered: the block (whole lines), lower-cased with :meth:`bytes.lower`.
    :param max_line_bytes: only a line's first *max_line_bytes* bytes count (the rest of an
        over-long line is dropped by the reader).
    :returns: ``(0-based line index, offset of the line's first byte)`` pairs; an iterator, so
        a caller that needs only the first candidate stops early.
    """
    index = 0  # index of the line starting at ``line_start``
    line_start = 0
    pos = 0
    search = _CANDIDATE.search
    find = lowered.find
    match = _FIRST_LINE_START.match(lowered)
    while True:
        if match is None:
            match = search(lowered, pos)
            if match is None:
                return
            start = match.start()
            if lowered[start] == 0x0A:  # a line start: the match belongs to the next line
                begin = start = start + 1
            else:
                begin = lowered.rfind(b"\n", 0, start) + 1
        else:  # the block's first line starts like a failure line
            begin = start = 0
        end = find(b"\n", begin)
        stop = len(lowered) if end < 0 else end
        while stop > begin and lowered[stop - 1] == 0x0D:
            stop -= 1
        redrawn = lowered.rfind(b"\r", start + 1, stop)
        if redrawn >= 0:  # the match was overwritten by a later ``\r`` segment
            pos = redrawn
            match = None
            continue
        if match.end() - begin <= max_line_bytes:
            index += lowered.count(b"\n", line_start, begin)
            line_start = begin
            yield index, begin
        if end < 0:
            return
        pos = end
        match = None


def candidate_lines(lowered: bytes, max_line_bytes: int) -> list[tuple[int, int]]:
    """All candidate lines of a block (see :func:`iter_candidates`)."""
    return list(iter_candidates(lowered, max_line_bytes))


def gh_cli_rows(block: bytes) -> list[tuple[int, int, bytes]]:
    """Rows in ``gh run view --log`` form (``job<TAB>step<TAB>timestamp text``), in order.

    Such rows name their step on every line; the scanner follows them where the step changes.

    :param block: the block's original bytes.
    :returns: ``(0-based line index, offset of the line, step column)`` triples.
    """
    rows: list[tuple[int, int, bytes]] = []
    index = 0
    last = 0
    for match in _GH_CLI_ROW.finditer(block):
        tab = match.start()
        begin = block.rfind(b"\n", 0, tab) + 1
        first = block.find(b"\t", begin, tab)
        if first < 0 or block.find(b"\t", first + 1, tab) >= 0:
            continue  # not exactly two columns before the timestamp
        if rows and rows[-1][1] == begin:
            continue
        index += block.count(b"\n", last, begin)
        last = begin
        rows.append((index, begin, block[first + 1 : tab]))
    return rows


def _timer_alone(block: bytes, position: int, after: int) -> bool:
    """Whether nothing visible follows the Travis timer marker at *position* on its line."""
    redraw = block.find(b"\r", position, after)
    if redraw < 0:
        return True
    if block.startswith(b"\x1b[0K$ ", redraw + 1):  # the usual case: the command follows
        return False
    return not block[redraw + 1 : after].replace(b"\x1b[0K", b"").strip()


def starts_with_step_header(block: bytes) -> bool:
    """Whether a log's first block starts with a ``==> `` step header (CircleCI form).

    :param block: the first block of the log (original bytes).
    """
    return block.startswith(_STEP_HEADER) or block.startswith(_BOM + _STEP_HEADER)


def state_lines(
    block: bytes, *, failure_seen: bool, step_headers: bool = False, first_line: bool = False
) -> list[tuple[int, int]]:
    """Lines that may change the reader's state (a superset), in order.

    :param block: the block's original bytes.
    :param failure_seen: the failure was already reported, so error markers no longer matter
        (step markers and private-key armour always do).
    :param step_headers: the log is in CircleCI form: ``==> `` headers at a line start and
        CircleCI's failure reports count too.
    :param first_line: the block's first line counts whatever it holds (it may name the
        command of a Travis timer started at the end of the previous block).
    :returns: ``(0-based line index, offset of the line's first byte)`` pairs; the cleaner
        decides exactly what each line means.
    """
    lines, _ = split_state_lines(
        block,
        failure_seen=failure_seen,
        step_headers=step_headers,
        first_line=first_line,
        travis=True,
    )
    return lines


def split_state_lines(
    block: bytes,
    *,
    failure_seen: bool,
    step_headers: bool = False,
    first_line: bool = False,
    travis: bool = False,
) -> tuple[list[tuple[int, int]], set[int]]:
    """The state lines (see :func:`state_lines`), and which of them only name a command.

    A Travis timer's start and the line after a lone one name the command about to run; that
    only matters outside a fold (inside one, the fold is the step), which the reader knows and
    this search does not.

    :param travis: the log showed a Travis fold already (its exit reports count; a block with
        a fold is searched for them anyway).
    :returns: the lines, and the indices of those that matter only outside a fold or section.
    """
    found = [match.start() for match in _SECTIONS_AND_FOLDS.finditer(block)]
    needles = [_GROUP_RUN, _KEY_ARMOUR]
    if not failure_seen:
        needles += [_ERROR_MARK, _JOB_FAILED]
        if travis or any(block.startswith(_FOLD, position) for position in found):
            needles.append(_TRAVIS_EXIT)
        if step_headers:
            needles += _CIRCLECI_FAILURES
    find = block.find
    commands: list[int] = []
    starts: list[int] = []
    for position in found:
        if block.startswith(_TIMER_START, position):  # a Travis timer's start...
            commands.append(position)
            after = find(b"\n", position) + 1
            if 0 < after < len(block) and _timer_alone(block, position, after):
                commands.append(after)  # ...alone: its command shows on the next line
        else:
            starts.append(position)
    if first_line:
        starts.append(0)
    if step_headers:
        if starts_with_step_header(block):
            starts.append(0)
        position = find(b"\n" + _STEP_HEADER)
        while position >= 0:
            starts.append(position + 1)
            position = find(b"\n" + _STEP_HEADER, position + 1)
    for needle in needles:
        position = find(needle)
        while position >= 0:
            starts.append(position)
            position = find(needle, position + 1)
    if not starts and not commands:
        return [], set()
    always = {block.rfind(b"\n", 0, start) + 1 for start in starts}
    only = {block.rfind(b"\n", 0, start) + 1 for start in commands} - always
    found_lines: list[tuple[int, int]] = []
    optional: set[int] = set()
    index = 0
    last = 0
    for begin in sorted(always | only):
        index += block.count(b"\n", last, begin)
        last = begin
        found_lines.append((index, begin))
        if begin in only:
            optional.add(index)
    return found_lines, optional
