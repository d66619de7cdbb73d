"""Extractor plugin for compilers and build tools other than the JVM's, Go's and Rust's.

GCC / Clang / Swift / GHC (``file:12:3: error: msg``), linkers (``undefined reference to``,
``ld returned 1 exit status``), MSVC and the C# compiler (``file(12): error C2143:``), tsc
(``file.ts(3,5): error TS2304:`` or ``file.ts:3:5 - error TS2304:``), xcodebuild / xcpretty
(``❌``, ``** BUILD FAILED **``), Erlang (``file.erl:12: msg``), Elixir (``** (CompileError)``),
Sass, PHP and Ruby syntax errors, ``configure: error:``, CMake, and ``-Werror``.  Make and Ninja's
own ``Error 2`` lines are wrappers.
"""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import WRAPPER, Findings, Rule, rule

_C = Category.COMPILE_ERROR

ERROR_LINE = 0.9
CONFIDENCE = 0.85

#: (rule, tool) pairs, most specific first.
_RULES: tuple[tuple[Rule, str | None], ...] = (
    (
        rule(
            r"^(?:##\[error\])?(?!\S+\.pyi?:)\S+?:\d+:\d+: (?:fatal )?error: \S",
            ERROR_LINE,
            _C,
            confidence=CONFIDENCE,
            needle="error: ",
        ),
        "gcc",
    ),
    (
        rule(
            r"^(?:##\[error\])?(?!\S+\.pyi?:)\S+?:\d+:(?:\d+:)? (?:fatal error|error): \S",
            ERROR_LINE - 0.05,
            _C,
            confidence=0.8,
            needle="error",
        ),
        "gcc",
    ),
    (
        rule(
            r"^(?:##\[error\])?\S+\.tsx?(?:\(\d+,\d+\): error|:\d+:\d+ - error) TS\d+: ",
            ERROR_LINE,
            _C,
            confidence=CONFIDENCE,
        ),
        "tsc",
    ),
    (
        rule(
            r"\(\d+(?:,\d+)*\): (?:fatal )?error [A-Z]{1,3}\d{3,5}: ",
            ERROR_LINE,
            _C,
            confidence=CONFIDENCE,
        ),
        "msvc",
    ),
    (
        rule(
            r"\berror LNK\d{4}: |undefined reference to [`']|Undefined symbols for architecture"
            r"|ld: symbol\(s\) not found|ld: cannot find -l",
            0.85,
            _C,
            confidence=0.8,
        ),
        "ld",
    ),
    (
        rule(
            r"collect2: error: ld returned|linker command failed with exit code",
            0.4,
            _C,
            confidence=0.7,
        ),
        "ld",
    ),
    (rule(r"❌\s+\S", 0.85, _C, confidence=0.8, needle="❌"), "xcodebuild"),
    (
        rule(
            r"\*\* (?:BUILD|ARCHIVE) FAILED \*\*|The following build commands failed:",
            0.3,
            _C,
            confidence=0.6,
        ),
        "xcodebuild",
    ),
    (
        rule(
            r"^\*\* \((?:CompileError|SyntaxError|TokenMissingError|MismatchedDelimiterError)\) ",
            ERROR_LINE,
            _C,
            confidence=CONFIDENCE,
        ),
        "elixir",
    ),
    (rule(r"== Compilation error in file ", 0.7, _C, confidence=0.8), "elixir"),
    (rule(r"^\S+\.[eh]rl:\d+(?::\d+)?: (?!Warning:)\S", 0.85, _C, confidence=0.75), "erlc"),
    (
        rule(
            r"^Error: (?:Invalid CSS after|Undefined (?:variable|mixin)|File to import not found"
            r"|expected \S)",
            0.85,
            _C,
            confidence=0.75,
        ),
        "sass",
    ),
    (
        rule(
            r"(?:PHP )?Parse error:\s+syntax error|\.rb:\d+: syntax error",
            ERROR_LINE,
            _C,
            confidence=0.8,
        ),
        None,
    ),
    (rule(r"^configure: error: ", 0.85, _C, confidence=0.7), "configure"),
    (rule(r"^CMake Error at \S+:\d+", 0.8, _C, confidence=0.7), "cmake"),
    (rule(r"warnings? (?:being )?treated as errors", 0.6, _C, confidence=0.6), None),
    (rule(r"^In file included from ", 0.3), "gcc"),
    (
        rule(
            r"^(?:g?make(?:\[\d+\])?: \*\*\* |ninja: build stopped|error: command '\S+' failed)",
            WRAPPER / 2,
        ),
        None,
    ),
    (
        rule(
            r"^FAILED: (?:\[code=\d+\] )?\S+\.(?:o|obj|a|so|lib|dll|exe)\b", 0.3, _C, confidence=0.6
        ),
        "ninja",
    ),
)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find compiler and build-tool errors in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no compiler error is reported.
    """
    findings = Findings()
    tool: str | None = None
    tool_score = 0.0  # the tool is the one that printed the most telling line
    for line in excerpt.bounded_lines():
        for candidate, name in _RULES:
            if candidate.search(line.text) is not None:
                findings.apply(candidate, line)
                if candidate.category is not None and candidate.score > tool_score:
                    tool, tool_score = name, candidate.score
                break
    if not findings.scored:
        return None
    return findings.extraction(tool)
