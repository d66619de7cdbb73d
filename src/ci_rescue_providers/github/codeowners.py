"""CODEOWNERS: parsing the file and finding the owners of a path, the way GitHub does.

- A line is ``pattern owner…``; blank lines and ``#`` comments are skipped, and so is anything
  after a `` #`` on a line.
- Patterns follow ``.gitignore`` rules, minus what GitHub does not support (``!`` negation,
  ``[ ]`` ranges, ``\\#`` escapes — such lines are skipped). A pattern with a ``/`` at its start
  or in its middle is anchored at the repository root; otherwise it matches at any depth.
  ``*`` matches within one path segment, ``**`` across segments, ``?`` one character.
  A pattern that matches a directory owns everything below it; a trailing ``/`` matches
  directories only; a trailing ``/*`` owns only the files directly inside.
- The **last** matching line wins and replaces earlier ones; a line without owners makes the
  path unowned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

__all__ = ["CODEOWNERS_LOCATIONS", "Rule", "owners_of", "parse_codeowners"]

#: Where GitHub looks for the file, in order; the first one found is used.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_OWNER = re.compile(r"^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")


@attrs.frozen
class Rule:
    """One CODEOWNERS line: its pattern (compiled), owners and 1-based line number."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str] = attrs.field(eq=False, repr=False)
    directories_only: bool = False
    files_only: bool = False

    def matches(self, path: str) -> bool:
        """Whether this rule applies to repository-relative *path* (a file)."""
        path = normalise(path)
        if not path:
            return False
        parts = path.split("/")
        if self.files_only:
            return self.regex.fullmatch(path) is not None
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts))]
        if not self.directories_only:
            candidates.append(path)
        return any(self.regex.fullmatch(c) for c in candidates)


def normalise(path: str) -> str:
    """``./a//b/`` → ``a/b``: the repository-relative form patterns are matched against."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _glob(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def compile_pattern(pattern: str) -> tuple[re.Pattern[str], bool, bool] | None:
    """``(regex, directories_only, files_only)`` for *pattern*, or ``None`` when GitHub would
    not accept it."""
    if not pattern or pattern.startswith("!") or "[" in pattern or "]" in pattern:
        return None
    if "\\" in pattern:
        return None
    directories_only = pattern.endswith("/") and pattern != "/"
    body = pattern.rstrip("/") if directories_only else pattern
    anchored = body.startswith("/") or "/" in body.rstrip("/")
    body = body.lstrip("/")
    if not body:
        return None
    files_only = body.endswith("/*") and not body.endswith("/**")
    regex = _glob(body)
    if not anchored:
        regex = "(?:.*/)?" + regex
    return re.compile(regex, re.S), directories_only, files_only


def parse_codeowners(text: str) -> list[Rule]:
    """The rules of a CODEOWNERS file, in file order (lines GitHub would reject are skipped)."""
    rules: list[Rule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = re.split(r"\s#", line, maxsplit=1)[0]
        pattern, *owners = line.split()
        compiled = compile_pattern(pattern)
        if compiled is None:
            continue
        regex, directories_only, files_only = compiled
        rules.append(
            Rule(
                pattern=pattern,
                owners=tuple(o for o in owners if _OWNER.match(o)),
                line=number,
                regex=regex,
                directories_only=directories_only,
                files_only=files_only,
            )
        )
    return rules


def owners_of(rules: Sequence[Rule], paths: Iterable[str]) -> list[str]:
    """Owners of *paths* (the last matching rule of each), deduplicated in first-seen order."""
    found: list[str] = []
    for path in paths:
        rule = next((r for r in reversed(rules) if r.matches(path)), None)
        for owner in rule.owners if rule is not None else ():
            if owner not in found:
                found.append(owner)
    return found
