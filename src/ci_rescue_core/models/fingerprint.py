"""What LogWhisperer finds in a job log."""

from __future__ import annotations

import attrs

from ci_rescue_core.models.enums import Category
from ci_rescue_core.models.refs import JobRef


@attrs.frozen
class ErrorLine:
    """One line of a log that explains the failure.

    :ivar line: 1-based line number in the log as downloaded.
    :ivar text: the line, redacted and stripped of timestamps and colour codes.
    :ivar step: the step / section the line came from, when the log says.
    """

    line: int = attrs.field(validator=attrs.validators.ge(1))
    text: str
    step: str | None = None


@attrs.frozen(kw_only=True)
class TestFailure:
    """One failing test as the runner reported it.

    :ivar test_id: the id as the runner printed it (``tests/test_x.py::test_y``).
    :ivar message: the assertion / exception message, redacted.
    :ivar frames: the most relevant traceback frames, innermost last.
    """

    __test__ = False  # not a pytest test class

    test_id: str
    message: str = ""
    frames: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Fingerprint:
    """A stable description of one failure.

    Two runs that failed the same way have the same ``hash``; a different failing test or a
    different error gives a different ``hash``.

    :ivar category: the failure category (fixed vocabulary).
    :ivar ecosystem: the tool that reported it (``pytest``, ``go``...), when known.
    :ivar failing_tests: test ids, sorted.
    :ivar error_lines: the lines that explain the failure, most relevant first.
    :ivar exit_code: the failing process's exit code, when the log says.
    :ivar message: the normalised top error the hash is built from.
    :ivar hash: hex digest of category, failing tests and normalised message.
    """

    category: Category
    ecosystem: str | None = None
    failing_tests: tuple[str, ...] = ()
    error_lines: tuple[ErrorLine, ...] = ()
    exit_code: int | None = None
    message: str = ""
    hash: str


@attrs.frozen(kw_only=True)
class Diagnosis:
    """Everything LogWhisperer concluded about one failed job.

    :ivar notes: how the diagnosis was reached, for the timeline ("compared with the passing
        log of run 41", "infra_network as the provider reports (runner_system_failure)").
    """

    job: JobRef
    fingerprint: Fingerprint
    failures: tuple[TestFailure, ...] = ()
    notes: tuple[str, ...] = ()
