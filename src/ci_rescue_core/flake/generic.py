"""Error lines that say nothing about *why* something failed.

``Process completed with exit code 1`` or ``The operation was canceled.`` close almost every
failing job, flaky or not, so they are never evidence of flakiness, and a failure fingerprinted
only by such a line cannot be told apart from any other.

Two kinds of line are generic:

- the **wrappers** of CI systems and build tools (GitHub's ``Process completed with exit
  code 1``, GitLab's ``ERROR: Job failed: exit code 1``, CircleCI's ``Exited with code exit
  status 1``, Travis' ``The command "pytest" exited with 1.``, Jenkins' ``marked build as
  failure``, ``make: *** … Error 2``, ``npm ERR! code ELIFECYCLE``, yarn's ``error Command
  failed with exit code 1.``, Gradle and Maven build failures): the log ranking's own list,
  :func:`ci_rescue_core.logs.rank.is_wrapper`, so that both agree on one list;
- **verdicts without a cause** that the ranking keeps as summaries: test-count summaries
  (``2 failed, 10 passed in 3.2s``, unittest's ``FAILED (failures=1)``), bare ``FAILED`` /
  ``Error``, cancellations, and exit-code sentences in other words (``script exited with
  code 1``, pnpm's ``ELIFECYCLE Command failed with exit code 1.``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ci_rescue_core.logs.rank import is_wrapper

_PREFIX = re.compile(
    r"^(?:\#\#\[(?:error|warning)\]|\[(?:error|warning|info)\]|error:|fatal:|e\s)\s*", re.I
)

_GENERIC = re.compile(
    r"""^(?:
        (?:\S+\ )?(?:command|script|step|job|build|task|process)\ (?:"[^"]*"\ )?
        (?:failed|exited)(?::|\ with|\ and\ exited\ with)?
        \ (?:exit\ )?(?:code|status)?\ ?-?\d+\.?(?::\ .*)?
      | exit(?:ed)?\ (?:with\ )?(?:code\ )?(?:exit\ )?(?:status|code)\ -?\d+\.?
      | elifecycle\ .{0,80}
      | npm\ err(?:or|!)\ (?:code\ elifecycle|errno\ \d+|exit\ status\ \d+)
      | the\ operation\ was\ cancell?ed\.?
      | the\ (?:job|run|workflow)\ was\ cancell?ed.*
      | build\ fail(?:ed|ure)\.?
      | tests?\ failed\.?
      | failed\.?
      | error\.?
      | failed\ \((?:(?:failures|errors|skipped|expected\ failures|unexpected\ successes)
        =\d+(?:,\ )?)+\)
      | \d+\ (?:tests?\ )?failed(?:,\ \d+\ (?:passed|skipped|errors?|warnings?|xfailed|xpassed))*
        (?:\ in\ .*)?
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_DECORATION = re.compile(r"^[\s=*>|:-]+|[\s=*#|-]+$")


def is_generic(text: str) -> bool:
    """True when *text* is a generic failure line (exit codes, cancellations, "tests failed").

    Surrounding decoration (``===``, ``>``) and a leading ``##[error]``, ``Error:`` or
    ``ERROR:`` are ignored; an empty line counts as generic.
    """
    if is_wrapper(text.strip()):
        return True
    stripped = _DECORATION.sub("", text.strip())
    while True:
        shorter = _PREFIX.sub("", stripped)
        if shorter == stripped:
            break
        stripped = shorter
    return not stripped or is_wrapper(stripped) or _GENERIC.match(stripped) is not None


def all_generic(lines: Iterable[str]) -> bool:
    """True when every line is generic (also for no lines at all)."""
    return all(is_generic(line) for line in lines)
