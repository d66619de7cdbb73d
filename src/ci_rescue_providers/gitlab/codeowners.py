"""GitLab's CODEOWNERS: locations, sections, patterns and owner resolution.

GitLab reads the first of ``CODEOWNERS``, ``docs/CODEOWNERS``, ``.gitlab/CODEOWNERS`` that
exists.  The file is split into sections (``[Name]``, ``^[Optional]``, ``[Name][2]``, with
optional default owners after the header); rules before the first header form the default
section, and sections with the same name (ignoring case) are one section.  Within a section the
**last** matching rule wins; a path's owners are the union over sections.  ``!pattern``
(GitLab 17.10+) makes a matching path unowned in that section.

Patterns follow GitLab's rules: one not starting with ``/`` matches at any depth, one ending
with ``/`` matches everything below that directory, ``*`` stays within a path segment, ``**``
crosses segments, ``?``, ``[...]`` and ``{a,b}`` are globs, ``\\#`` and ``\\ `` escape.  A path
without a trailing slash matches that exact path only, as in GitLab.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

#: Where GitLab looks, in order; the first file found is the only one used.
CODEOWNERS_PATHS: tuple[str, ...] = ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")

_SECTION = re.compile(r"^\^?\[(?P<name>[^\]]+)\](?:\[\d+\])?(?P<owners>(?:\s.*)?)$")
_TOKEN = re.compile(r"(?:\\.|\S)+")


@attrs.frozen
class Rule:
    """One CODEOWNERS line: a pattern and its owners (or an exclusion)."""

    pattern: str
    owners: tuple[str, ...]
    exclude: bool
    regex: re.Pattern[str] = attrs.field(eq=False, repr=False)

    def matches(self, path: str) -> bool:
        """Whether *path* (relative to the repository root) matches this rule."""
        return self.regex.fullmatch("/" + path.lstrip("/")) is not None


@attrs.frozen
class Section:
    """A named section (``""`` for the rules before any header)."""

    name: str
    rules: tuple[Rule, ...]


def _is_owner(token: str) -> bool:
    return token.startswith("@") or ("@" in token and "." in token.split("@")[-1])


def _unescape(pattern: str) -> str:
    if pattern.startswith("\\#"):
        pattern = pattern[1:]
    return re.sub(r"\\(\s)", r"\1", pattern)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression GitLab's matching of *pattern* amounts to (on ``/``-rooted
    paths)."""
    if pattern == "*":
        pattern = "/**/*"
    elif not pattern.startswith("/"):
        pattern = "/**/" + pattern
    if pattern.endswith("/"):
        pattern += "**/*"
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                index = end
        elif char == "{":
            end = pattern.find("}", index)
            if end == -1:
                out.append(re.escape(char))
            else:
                choices = pattern[index + 1 : end].split(",")
                out.append("(?:" + "|".join(re.escape(c) for c in choices) + ")")
                index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def parse_codeowners(text: str) -> list[Section]:
    """The sections of a CODEOWNERS file, same-named sections merged, in first-seen order."""
    order: list[str] = []
    rules: dict[str, list[Rule]] = {"": []}
    names: dict[str, str] = {"": ""}
    defaults: dict[str, tuple[str, ...]] = {"": ()}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _SECTION.match(line)
        if header is not None:
            key = header.group("name").strip().lower()
            current = key
            if key not in rules:
                rules[key] = []
                names[key] = header.group("name").strip()
                order.append(key)
            owners = tuple(t for t in header.group("owners").split() if _is_owner(t))
            if owners:
                defaults[key] = owners
            continue
        tokens = _TOKEN.findall(line)
        pattern, rest = tokens[0], tokens[1:]
        owners = tuple(t for t in rest if _is_owner(t)) or defaults.get(current, ())
        exclude = pattern.startswith("!")
        if exclude:
            pattern = pattern[1:]
        if not pattern:
            continue
        pattern = _unescape(pattern)
        rules[current].append(Rule(pattern, owners, exclude, glob_regex(pattern)))
    keys = ["", *order]
    return [Section(names[k], tuple(rules[k])) for k in keys if rules[k]]


def owners_of(sections: Iterable[Section], path: str) -> list[str]:
    """The owners of *path*: per section the last matching rule, united over sections."""
    found: list[str] = []
    for section in sections:
        match = next((r for r in reversed(section.rules) if r.matches(path)), None)
        if match is not None and not match.exclude:
            found.extend(match.owners)
    return list(dict.fromkeys(found))


def resolve_owners(text: str, paths: Sequence[str]) -> list[str]:
    """The owners of every path in *paths*, deduplicated, in order of first appearance."""
    sections = parse_codeowners(text)
    found: list[str] = []
    for path in paths:
        found.extend(owners_of(sections, path))
    return list(dict.fromkeys(found))
