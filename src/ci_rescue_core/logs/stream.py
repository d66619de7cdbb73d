"""The block-at-a-time engine behind :func:`~ci_rescue_core.logs.scan.scan_chunks`.

A log arrives as blocks of whole lines (:func:`~ci_rescue_core.logs.reader.iter_blocks`).  For
each block the engine asks :mod:`.detect` for its candidate lines and its state lines, works
out which lines to keep (candidates with their context, the last lines of the log), and only
then decodes, cleans and redacts those lines — in line order, state lines included, so that
steps and multi-line private keys are followed exactly.  Lines nobody keeps are never decoded.

The excerpt keeps the first half of its cap (``head``) and the latest half (``latest``).  Once
the head is full, a block in the middle of a long log can only matter if fewer than ``latest``
kept lines follow it.  Blocks therefore wait in a bounded ring; when the oldest must leave and
the newer blocks are known to hold enough kept lines, it is only **skimmed**: its lines are
counted and its state lines followed, but nobody searches it for candidates.  The result is the
same as reading every line; only the work differs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ci_rescue_core.logs.block import Block
from ci_rescue_core.logs.clean import LogCleaner
from ci_rescue_core.logs.detect import (
    gh_cli_rows,
    iter_candidates,
    split_state_lines,
    starts_with_step_header,
)
from ci_rescue_core.logs.reader import MAX_LINE_BYTES, decode_line, iter_blocks
from ci_rescue_core.logs.redact import Redactor

#: ``(line number, cleaned redacted text, step)``.
Item = tuple[int, str, str | None]

#: A line remembered as context but not read yet: ``(line number, raw bytes)``.
Pending = tuple[int, bytes]

#: Bytes of not-yet-read blocks held back, so that a block may be skimmed later.
RING_BYTES = 32 * 1024 * 1024


def _line_end(data: bytes, offset: int) -> int:
    end = data.find(b"\n", offset)
    return len(data) if end < 0 else end


class Scanner:
    """Reads one log block by block and keeps its candidate lines, context and tail.

    :param redactor: masks secrets; every kept line is redacted before it is stored.
    :param context: lines kept before and after each candidate line.
    :param head_cap: how many of the first kept lines to keep.
    :param latest_cap: how many of the last kept lines to keep.
    :param tail: how many of the log's last lines to keep.
    :param lazy: skim blocks that cannot reach the excerpt (see the module docstring).
    :param max_line_bytes: bytes read of a line.
    :param ring_bytes: bytes of blocks held back before the oldest is read or skimmed.
    """

    def __init__(
        self,
        redactor: Redactor,
        *,
        context: int,
        head_cap: int,
        latest_cap: int,
        tail: int,
        lazy: bool = True,
        max_line_bytes: int = MAX_LINE_BYTES,
        ring_bytes: int = RING_BYTES,
    ) -> None:
        self._session = redactor.session()
        self.cleaner = LogCleaner(redact=self._session.redact_line, redact_fragment=redactor.redact)
        self._context = context
        self._head_cap = head_cap
        self._tail_cap = tail
        self._lazy = lazy
        self._max_line_bytes = max_line_bytes
        self._ring_bytes = ring_bytes
        self.head: list[Item] = []
        self.latest: deque[Item] = deque(maxlen=latest_cap)
        self.tail: deque[Item] = deque(maxlen=tail)
        self.truncated = False
        self.total = 0
        self.stopped = False
        """Set by a subclass to stop reading early."""
        self.skimmed = 0
        """How many blocks were only skimmed (not searched for candidates)."""
        self._fed = 0  # number of the last line fed to the cleaner
        self._last_kept = 0
        self._after = 0  # lines still to keep after the last candidate seen
        # The last lines before the next block, read or (after a skimmed block) pending.
        self._carry: list[Item | Pending] = []
        self._cover: int | None = None  # lines from here on hold ``latest_cap`` kept lines
        self._step_headers = False  # CircleCI form: the log starts with a ``==> `` header
        self._cli_step: bytes | None = None  # step column of the last ``gh run view`` row
        self._cli_stale = False  # a marker line may have changed the step since that row

    # -- what is kept ------------------------------------------------------------------------

    @property
    def head_full(self) -> bool:
        """Whether the head is full (later kept lines go to ``latest``)."""
        return len(self.head) >= self._head_cap

    def keep(self, item: Item) -> None:
        """Keep one line (in line order; a line already kept is ignored)."""
        if item[0] <= self._last_kept:
            return
        self._last_kept = item[0]
        if len(self.head) < self._head_cap:
            self.head.append(item)
            return
        if self.latest.maxlen is None or len(self.latest) >= self.latest.maxlen:
            self.truncated = True
        if self.latest.maxlen:
            self.latest.append(item)

    # -- the stream --------------------------------------------------------------------------

    def run(self, chunks: Iterable[bytes]) -> None:
        """Read the whole stream (or until :attr:`stopped`)."""
        ring: deque[Block] = deque()
        ring_bytes = 0
        ring_lines = 0
        for data in iter_blocks(chunks, max_line_bytes=self._max_line_bytes):
            block = Block(data, self.total + 1)
            if block.first == 1:
                self._step_headers = starts_with_step_header(data)
            self.total = block.last
            ring.append(block)
            ring_bytes += len(data)
            ring_lines += block.count
            while (
                len(ring) > 1
                and ring_bytes > self._ring_bytes
                and ring_lines - ring[0].count >= self._tail_cap
            ):
                oldest = ring.popleft()
                ring_bytes -= len(oldest.data)
                ring_lines -= oldest.count
                self._retire(oldest, ring)
                if self.stopped:
                    return
        self._finish(ring)

    def _retire(self, block: Block, newer: deque[Block]) -> None:
        """Read a block leaving the ring: skim it when the newer blocks cover the excerpt."""
        if self._lazy and self.head_full:
            if self._cover is None or block.last >= self._cover:
                self._cover = self._find_cover(newer, lines_needed=0)
            if self._cover is not None and block.last < self._cover:
                self._skim(block)
                return
        self._read(block, tail_from=None)

    def _finish(self, ring: deque[Block]) -> None:
        tail_from = self.total - self._tail_cap + 1
        cover = None
        if self._lazy and self.head_full:
            cover = self._find_cover(ring, lines_needed=self._tail_cap)
        for block in ring:
            if self.stopped:
                return
            if cover is not None and block.last < cover:
                self._skim(block)
            else:
                self._read(block, tail_from=tail_from)

    def _find_cover(self, blocks: deque[Block], *, lines_needed: int) -> int | None:
        """The first line of the shortest run of newest blocks holding enough kept lines."""
        needed = self.latest.maxlen or 0
        kept = 0
        lines = 0
        for block in reversed(blocks):
            kept += block.kept_within(self._context, self._max_line_bytes)
            lines += block.count
            if kept >= needed and lines >= lines_needed:
                return block.first
        return None

    # -- one block ---------------------------------------------------------------------------

    def _skim(self, block: Block) -> None:
        """Follow a block's state and remember its last lines, keeping none of it."""
        self.skimmed += 1
        if not self.truncated and (self._after > 0 or block.has_candidate(self._max_line_bytes)):
            self.truncated = True  # what it would keep falls between head and latest
        if block.count < self._context:
            self._settle_carry()  # older context lines may stay: read them in order now
        data = block.data
        state, optional = self._state_lines(block)
        lines = dict(state)
        last = self._last_lines(data, block.count, self._context)
        after = max(0, self._after - block.count)
        if last:
            start = min(offset for _, offset in last)
            first_index = min(index for index, _ in last)
            for index, _ in iter_candidates(data[start:].lower(), self._max_line_bytes):
                after = max(after, first_index + index + self._context - (block.count - 1))
        self._after = after
        carry_from = block.count - self._context
        eager = any(index >= carry_from for index in lines)
        if eager:  # a state line among the last lines: read them all, in order
            lines.update(last)
        read: dict[int, Item] = {}
        for index in sorted(lines):
            if index in optional and index < carry_from and self.cleaner.in_section:
                continue  # names a command, but inside a fold the fold is the step
            read[index] = self._feed(block, index, lines[index])
        carry: list[Item | Pending] = []
        for index, offset in sorted(last):
            if eager:
                carry.append(read[index])
            else:  # read later, only if the next block needs them as context
                end = min(_line_end(data, offset), offset + self._max_line_bytes)
                carry.append((block.first + index, data[offset:end]))
        self._remember(block, carry)

    def _read(self, block: Block, *, tail_from: int | None) -> None:
        """Read a block: keep its candidates with context, follow its state."""
        data = block.data
        count = block.count
        context = self._context
        lines: dict[int, int] = {}
        kept: set[int] = set()
        # Lines still owed as context after the previous block's last candidate.
        offset = 0
        for index in range(min(self._after, count)):
            lines[index] = offset
            kept.add(index)
            offset = _line_end(data, offset) + 1
        earliest_before = None  # number of the first earlier line needed as context
        candidates = block.candidates(self._max_line_bytes)
        for index, offset in candidates:
            lines[index] = offset
            kept.add(index)
            before = offset
            for back in range(1, context + 1):
                if index - back < 0:
                    if earliest_before is None:
                        earliest_before = block.first + index - context
                    break
                before = data.rfind(b"\n", 0, before - 1) + 1
                lines.setdefault(index - back, before)
                kept.add(index - back)
            after = offset
            for ahead in range(1, context + 1):
                if index + ahead >= count:
                    break
                after = _line_end(data, after) + 1
                lines.setdefault(index + ahead, after)
                kept.add(index + ahead)
        if candidates:
            self._after = max(0, self._after - count, candidates[-1][0] + context - (count - 1))
        else:
            self._after = max(0, self._after - count)
        state, optional = self._state_lines(block)
        lines.update(state)
        lines.update(self._last_lines(data, count, context))
        if tail_from is not None and block.last >= tail_from:
            lines.update(self._last_lines(data, count, block.last - tail_from + 1))
        previous = self._settle_carry()
        if earliest_before is not None:
            for item in previous:
                if item[0] >= earliest_before:
                    self.keep(item)
        carry: list[Item | Pending] = []
        carry_from = count - context
        for index in sorted(lines):
            if (
                index in optional
                and index not in kept
                and index < carry_from
                and (tail_from is None or block.first + index < tail_from)
                and self.cleaner.in_section
            ):
                continue  # names a command, but inside a fold the fold is the step
            item = self._feed(block, index, lines[index])
            if index in kept:
                self.keep(item)
            if index >= carry_from:
                carry.append(item)
            if tail_from is not None and item[0] >= tail_from:
                self.tail.append(item)
        self._remember(block, carry)

    def _settle_carry(self) -> list[Item]:
        """Read the pending context lines (they follow every line read so far)."""
        settled: list[Item] = []
        for entry in self._carry:
            if len(entry) == 2:
                settled.append(self._feed_line(entry[0], entry[1]))
            else:
                settled.append(entry)
        self._carry = list(settled)
        return settled

    def _remember(self, block: Block, carry: list[Item | Pending]) -> None:
        """Keep the last ``context`` lines read so far (a short block keeps older ones too)."""
        oldest = block.last + 1 - self._context
        self._carry = [item for item in (*self._carry, *carry) if item[0] >= oldest]

    def _state_lines(self, block: Block) -> tuple[list[tuple[int, int]], set[int]]:
        """Lines to feed the cleaner so that its state is right wherever a line is kept, and
        those of them that only matter outside a fold (see
        :func:`~ci_rescue_core.logs.detect.split_state_lines`)."""
        data = block.data
        found, optional = split_state_lines(
            data,
            failure_seen=self.cleaner.failure_seen,
            step_headers=self._step_headers,
            first_line=self.cleaner.expects_command,
            travis=self.cleaner.travis,
        )
        rows = gh_cli_rows(data) if b"\t" in data else []
        if not rows:
            if found:
                self._cli_stale = True
            return found, optional
        # ``gh run view --log`` rows: feed those where the step column changes, and the first
        # row after any other state line (a ``##[group]Run`` line switches the step too).
        markers = [index for index, _ in found]
        position = 0
        step = self._cli_step
        stale = self._cli_stale
        selected = list(found)
        for index, offset, column in rows:
            while position < len(markers) and markers[position] < index:
                stale = True
                position += 1
            if column != step or stale:
                selected.append((index, offset))
                stale = False
            step = column
        self._cli_step = step
        self._cli_stale = stale or position < len(markers)
        return selected, optional - {index for index, _, _ in rows}

    @staticmethod
    def _last_lines(data: bytes, count: int, wanted: int) -> list[tuple[int, int]]:
        """``(index, offset)`` of the block's last *wanted* lines."""
        found: list[tuple[int, int]] = []
        end = len(data) - 1 if data.endswith(b"\n") else len(data)
        for index in range(count - 1, max(count - wanted, 0) - 1, -1):
            start = data.rfind(b"\n", 0, end) + 1
            found.append((index, start))
            end = start - 1
        return found

    def _feed(self, block: Block, index: int, offset: int) -> Item:
        """Decode, clean and redact one line (lines are fed in log order)."""
        data = block.data
        end = min(_line_end(data, offset), offset + self._max_line_bytes)
        return self._feed_line(block.first + index, data[offset:end])

    def _feed_line(self, number: int, raw: bytes) -> Item:
        self._session.skip(number - self._fed - 1)
        self._fed = number
        text, step, _ = self.cleaner.feed(decode_line(raw), number)
        return (number, text, step)
