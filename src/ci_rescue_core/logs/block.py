"""A block of whole log lines, and what candidate detection found in it (searched once).

The streaming scanner (:mod:`.stream`) holds blocks in a ring before it reads or skims them;
each remembers its candidate lines so that no block is searched twice.
"""

from __future__ import annotations

from ci_rescue_core.logs.detect import candidate_lines, iter_candidates


class Block:
    """One block of whole lines and what detection found in it.

    :ivar data: the raw bytes (every line ends with ``\\n`` but possibly the log's last).
    :ivar first: the number of its first line (1-based).
    :ivar count: how many lines it holds.
    """

    __slots__ = ("_candidates", "_kept", "count", "data", "first")

    def __init__(self, data: bytes, first: int) -> None:
        self.data = data
        self.first = first
        self.count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        self._candidates: list[tuple[int, int]] | None = None
        self._kept: int | None = None

    @property
    def last(self) -> int:
        """The number of its last line."""
        return self.first + self.count - 1

    def candidates(self, max_line_bytes: int) -> list[tuple[int, int]]:
        """Its candidate lines (``(index, offset)``), searched once and remembered."""
        if self._candidates is None:
            self._candidates = candidate_lines(self.data.lower(), max_line_bytes)
        return self._candidates

    def kept_within(self, context: int, max_line_bytes: int) -> int:
        """How many of its lines its own candidates keep (with context, inside the block)."""
        if self._kept is None:
            kept = 0
            reach = -1  # last index already counted
            for index, _ in self.candidates(max_line_bytes):
                low = max(index - context, reach + 1)
                high = min(index + context, self.count - 1)
                if high >= low:
                    kept += high - low + 1
                    reach = high
            self._kept = kept
        return self._kept

    def has_candidate(self, max_line_bytes: int) -> bool:
        """Whether any line is a candidate (stops at the first one when not yet searched)."""
        if self._candidates is not None:
            return bool(self._candidates)
        return next(iter_candidates(self.data.lower(), max_line_bytes), None) is not None
