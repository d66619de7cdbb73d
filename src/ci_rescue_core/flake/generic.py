"""Error lines that say nothing about *why* something failed.

``Process completed with exit code 1`` or ``The operation was canceled.`` close almost every
failing job, flaky or not, so they are never evidence of flakiness, and a failure fingerprinted
only by such a line cannot be told apart from any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^(?:\#\#\[(?:error|warning)\]|\[(?:error|warning)\]|error:|fatal:|e\s)\s*", re.I
)

_GENERIC = re.compile(
    r"""^(?:
        process\ completed\ with\ exit\ code\ -?\d+\.?
      | the\ process\ .{0,200}\ failed\ with\ exit\ code\ -?\d+\.?
      | (?:command|script|step|job|build|task)\ (?:failed|exited)(?::|\ with)
        \ (?:exit\ )?(?:code|status)\ -?\d+\.?
      | exit(?:ed)?\ (?:with\ )?(?:status|code)\ -?\d+\.?
      | the\ operation\ was\ cancell?ed\.?
      | the\ (?:job|run|workflow)\ was\ cancell?ed.*
      | make(?:\[\d+\])?:\ \*\*\*\ .{0,200}error\ \d+\.?
      | npm\ err!\ (?:code\ elifecycle|errno\ \d+|exit\ status\ \d+)
      | build\ failed\.?
      | tests?\ failed\.?
      | failed\.?
      | error\.?
      | \d+\ (?:tests?\ )?failed(?:,\ \d+\ (?:passed|skipped|errors?))*(?:\ in\ .*)?
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_DECORATION = re.compile(r"^[\s=*>|:-]+|[\s=*#|-]+$")


def is_generic(text: str) -> bool:
    """True when *text* is a generic failure line (exit codes, cancellations, "tests failed").

    Surrounding decoration (``===``, ``>``) and a leading ``##[error]``, ``Error:`` or
    ``ERROR:`` are ignored; an empty line counts as generic.
    """
    stripped = _DECORATION.sub("", text.strip())
    while True:
        shorter = _PREFIX.sub("", stripped)
        if shorter == stripped:
            break
        stripped = shorter
    return not stripped or _GENERIC.match(stripped) is not None


def all_generic(lines: Iterable[str]) -> bool:
    """True when every line is generic (also for no lines at all)."""
    return all(is_generic(line) for line in lines)
