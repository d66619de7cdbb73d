"""Removing CI-format noise from log lines and following which step a line belongs to.

Handles the three raw formats we meet:

* GitHub Actions: ``2025-04-07T12:57:33.2943173Z `` prefix (BOM before the first line),
  ``##[group]Run X`` step headers, ``##[error]`` lines; also the ``gh run view --log`` form
  ``job<TAB>step<TAB>timestamp text``.
* GitLab: ``section_start:<epoch>:<name>[options]\\r\\e[0K`` / ``section_end:…`` markers and
  the optional ``FF_TIMESTAMPS`` prefix ``<RFC3339>Z <2 hex><O|E>[+] ``.
* Travis CI: ``travis_fold:start:<name>`` / ``travis_fold:end:<name>`` and ``travis_time:…``
  markers, ``\\r``-separated progress output.  A command timed outside any fold
  (``travis_time:start:<id>`` then ``$ <command>``, on the same line or the next) is a step
  named by the command, until its exit report or the next fold; ``The command "…" exited
  with N.`` (N ≠ 0) reports its failure, in a log that showed a Travis fold.
* CircleCI, as our adapter writes it (:mod:`ci_rescue_providers.circleci.output`): a
  ``==> <step name>`` header line before each step's output; ``Exited with code …`` and
  ``Too long with no output …`` report the failure.  A log is read in this form only when its
  first line is such a header (elsewhere ``==>`` is Homebrew's progress mark).

ANSI escape sequences and stray control characters are removed everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

_TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"

#: GitHub timestamp, or GitLab FF_TIMESTAMPS prefix (timestamp, stream id, O/E, continuation).
_PREFIX = re.compile(rf"\ufeff?{_TIMESTAMP}(?: [0-9a-f]{{2}}[OE]\+?)?(?: |$)")

#: ``gh run view --log`` rows: job, step and a GitHub timestamped line, tab-separated.
_GH_CLI_PREFIX = re.compile(rf"([^\t]*)\t([^\t]*)\t\ufeff?{_TIMESTAMP}(?: |$)")

_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase line
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|[()][0-9A-Za-z]"  # character set selection
    r"|[@-Z\\-_])"  # other two-byte sequences
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")

_SECTION = re.compile(r"section_(start|end):\d*:([^\s\[\r]*)(?:\[[^\]\r]*\])?")
_FOLD = re.compile(r"travis_fold:(start|end):([^\s\r]*)")
_MARKER_PREFIXES = ("section_start:", "section_end:", "travis_fold:", "travis_time:")

#: GitLab housekeeping sections that run after the script failed.
_AFTER_FAILURE_SECTIONS = frozenset(
    {"upload_artifacts_on_failure", "cleanup_file_variables", "after_script", "cleanup"}
)

_MAX_STEPS = 1000
_MAX_STEP_LENGTH = 200

#: The header our CircleCI adapter writes before each step's output.
STEP_HEADER = "==> "

#: The lines that report a CircleCI step's failure (the end of the failed step's output).
_CIRCLECI_FAILURE = re.compile(r"Exited with code (?!(?:exit status )?0\b)|Too long with no output")

#: Travis' report of a command's exit, and of a failure (``travis_retry``'s "failed.
#: Retrying" is not final).
_TRAVIS_EXIT = re.compile(r'The command ".*" (?:exited with \d+\.|failed and exited with \d+)')
_TRAVIS_FAILURE = re.compile(
    r'The command ".*" (?:exited with (?!0\.)\d+\.|failed and exited with \d+)'
)


class CleanLine(NamedTuple):
    """One log line with its noise removed.

    :ivar text: the visible, redacted text.
    :ivar step: the step / section the line belongs to, when the format says.
    :ivar is_error: the CI system flagged the line as an error (``##[error]``, GitLab's
        ``ERROR: Job failed``).
    """

    text: str
    step: str | None
    is_error: bool


def strip_noise(text: str) -> str:
    """Remove the timestamp prefix, BOM, ANSI escapes and control characters from one line.

    Section and fold markers and ``\\r`` are left in place (see :class:`LogCleaner`).

    :param text: one raw line (without its ``\\n``).
    :returns: the line as it would be read on screen, markers aside.
    """
    match = _PREFIX.match(text) if text[:1] == "\ufeff" or text[:1].isdigit() else None
    if match is None and "\t" in text:
        match = _GH_CLI_PREFIX.match(text)
    if match is not None:
        text = text[match.end() :]
    elif text[:1] == "\ufeff":
        text = text.lstrip("\ufeff")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if not text.isprintable() and _CONTROL.search(text) is not None:
        text = _CONTROL.sub("", text)
    return text


def _identity(text: str) -> str:
    return text


class LogCleaner:
    """Cleans the lines of one log in order, following its steps.

    Create one per log: it remembers the current step and whether the failure was reported.

    :param redact: applied to each line after the noise is stripped and before markers and
        step names are read, so that nothing unredacted is ever kept (step names included).
        It may keep state across lines (multi-line secrets).
    :param redact_fragment: a stateless redaction for text outside the line itself (the step
        column of ``gh run view --log`` rows); defaults to *redact*.
    """

    def __init__(
        self,
        redact: Callable[[str], str] = _identity,
        redact_fragment: Callable[[str], str] | None = None,
    ) -> None:
        self._redact = redact
        self._redact_fragment = redact if redact_fragment is None else redact_fragment
        self._stack: list[str] = []
        self._github_step: str | None = None  # also CircleCI's step (a flat sequence)
        self._command: str | None = None  # the Travis command being run outside any fold
        self._command_next = False  # a Travis timer started; its command may be the next line
        self._last_step: str | None = None
        self._steps: dict[str, None] = {}
        self._fed = 0  # number of the last line fed
        self._headers = False  # CircleCI form: ``==> name`` headers start the steps
        self._travis = False  # a Travis fold was seen: ``The command "…"`` reports exits
        self.failed_step: str | None = None
        """The step that reported the failure (first ``##[error]``...), when known."""
        self._failure_seen = False

    @property
    def steps(self) -> tuple[str, ...]:
        """Step / section names in order of first appearance (capped)."""
        return tuple(self._steps)

    @property
    def failure_seen(self) -> bool:
        """Whether a line flagged as the failure report (``##[error]``...) was fed already."""
        return self._failure_seen

    @property
    def step_headers(self) -> bool:
        """Whether the log is in CircleCI form (its first line is a ``==> name`` header)."""
        return self._headers

    @property
    def travis(self) -> bool:
        """Whether a Travis fold was seen (Travis' exit reports count from then on)."""
        return self._travis

    @property
    def in_section(self) -> bool:
        """Whether the next line is inside a GitLab section or a Travis fold."""
        return bool(self._stack)

    @property
    def expects_command(self) -> bool:
        """Whether the next line may name the command of a Travis timer (a state line)."""
        return self._command_next

    @property
    def step(self) -> str | None:
        """The step the next line belongs to, when known."""
        if self._stack:
            return self._stack[-1]
        if self._command is not None:
            return self._command
        return self._github_step

    def feed(self, raw: str, number: int | None = None) -> CleanLine:
        """Clean one raw line (the next in the log) and update the step tracking.

        :param raw: the line as read (see :func:`ci_rescue_core.logs.reader.iter_lines`).
        :param number: its 1-based line number, when lines are skipped; ``None`` means the line
            after the last one fed.  Line 1 decides whether the log is in CircleCI form, so a
            caller that skips lines must feed line 1 when it is a ``==> `` header.
        :returns: the cleaned, redacted line with its step.
        """
        previous = self._fed
        self._fed = previous + 1 if number is None else number
        command_next = self._command_next and self._fed == previous + 1
        self._command_next = False
        cli_step: str | None = None
        if "\t" in raw:
            cli = _GH_CLI_PREFIX.match(raw)
            if cli is not None:
                cli_step = self._redact_fragment(cli.group(2).strip()) or None
        text = self._redact(strip_noise(raw))
        if "\r" in text or text.startswith(_MARKER_PREFIXES):
            text = self._read_markers(text)
        elif text.startswith("##["):
            self._read_github_command(text)
        elif text.startswith(STEP_HEADER):
            if self._fed == 1:
                self._headers = True
            if self._headers:
                self._enter_github_step(text[len(STEP_HEADER) :].strip())
        elif command_next and text.startswith("$ "):
            self._enter_command(text)
        if cli_step is not None:
            self._enter_github_step(cli_step)
        step = self.step
        travis_exit = (
            self._travis
            and text.startswith("The command ")
            and _TRAVIS_EXIT.match(text) is not None
        )
        if travis_exit:
            self._command = None  # the command's exit report is the last line of its step
        is_error = (
            text.startswith("##[error]")
            or text.startswith("ERROR: Job failed")
            or (self._headers and _CIRCLECI_FAILURE.match(text) is not None)
            or (travis_exit and _TRAVIS_FAILURE.match(text) is not None)
        )
        if is_error and not self._failure_seen:
            self._failure_seen = True
            usable = step is not None and step not in _AFTER_FAILURE_SECTIONS
            if usable or not travis_exit:  # a Travis command outside any step: no guess
                self.failed_step = step if usable else self._last_step
        return CleanLine(text, step, is_error)

    def _read_github_command(self, text: str) -> None:
        if text.startswith("##[group]Run "):
            self._enter_github_step(text[len("##[group]Run ") :].strip())

    def _enter_github_step(self, name: str) -> None:
        name = name[:_MAX_STEP_LENGTH]
        self._github_step = name
        self._note_step(name)

    def _note_step(self, name: str) -> None:
        if name and len(self._steps) < _MAX_STEPS:
            self._steps.setdefault(name, None)
        if name not in _AFTER_FAILURE_SECTIONS:
            self._last_step = name

    def _enter_command(self, text: str) -> None:
        """A Travis command (``$ make test``) outside any fold starts a step of its own."""
        if not self._stack:
            name = text[2:].strip()[:_MAX_STEP_LENGTH]
            if name:
                self._command = name
                self._note_step(name)

    def _read_markers(self, text: str) -> str:
        """Apply GitLab / Travis markers; keep the text after the last ``\\r``."""
        visible = ""
        timed = False  # a Travis timer started on this line and nothing shown after it yet
        for segment in text.split("\r"):
            rest = segment
            while rest.startswith(_MARKER_PREFIXES):
                if rest.startswith("travis_time:start:"):
                    timed = True
                elif rest.startswith(("travis_fold:", "section_")):
                    timed = False
                rest = self._apply_marker(rest)
            if rest:
                visible = rest
                if timed and rest.startswith("$ "):
                    self._enter_command(rest)
                timed = False
        self._command_next = timed
        return visible

    def _apply_marker(self, segment: str) -> str:
        """Apply the marker *segment* starts with; return what follows it."""
        section = _SECTION.match(segment)
        if section is not None:
            self._open_or_close(section.group(1) == "start", section.group(2))
            return segment[section.end() :]
        fold = _FOLD.match(segment)
        if fold is not None:
            self._travis = True
            self._open_or_close(fold.group(1) == "start", fold.group(2))
            return segment[fold.end() :]
        # travis_time:start:<id> / travis_time:end:<id>:start=…,finish=…,duration=…
        end = segment.find(" ")
        return "" if end < 0 else segment[end + 1 :]

    def _open_or_close(self, start: bool, name: str) -> None:
        name = name[:_MAX_STEP_LENGTH]
        if start:
            self._command = None  # a fold or section ends the command that ran before it
            if len(self._stack) < _MAX_STEPS:
                self._stack.append(name)
            self._note_step(name)
        elif name in self._stack:
            while self._stack and self._stack.pop() != name:
                pass
