"""GitLab CODEOWNERS: sections, default owners, last match wins per section, GitLab globs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_providers.gitlab.codeowners import (
    glob_regex,
    owners_of,
    parse_codeowners,
    resolve_owners,
)

CODEOWNERS = r"""
# rules before any section
*           @everyone
*.py        @python
/docs/      @docs-team
\#notes.md  @hash-owner
my\ file.txt @spaced
!generated/**

[Backend] @backend-lead
app/models/
/config/*.yml @ops dev@example.com
^[Optional docs][2] @@maintainer
README.md
[BACKEND]
app/models/secret.py @security
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("src/tool.py", ["@python"]),  # last match in the default section wins over *
        ("docs/guide/intro.md", ["@docs-team"]),
        ("lib/docs/x.md", ["@everyone"]),  # /docs/ is anchored at the root
        ("app/models/user.rb", ["@everyone", "@backend-lead"]),  # section default owners
        ("app/models/secret.py", ["@python", "@security"]),  # [BACKEND] is [Backend]
        ("config/app.yml", ["@everyone", "@ops", "dev@example.com"]),
        ("config/nested/app.yml", ["@everyone"]),  # * does not cross /
        ("README.md", ["@everyone", "@@maintainer"]),
        ("sub/README.md", ["@everyone", "@@maintainer"]),  # unanchored: any depth
        ("#notes.md", ["@hash-owner"]),
        ("my file.txt", ["@spaced"]),
        ("generated/api/client.py", []),  # excluded in the default section
        (".hidden/.env", ["@everyone"]),  # dotfiles match too
    ],
)
def test_owners_of_a_path(path: str, owners: list[str]) -> None:
    assert owners_of(parse_codeowners(CODEOWNERS), path) == owners


def test_sections_merge_by_name_and_keep_their_order() -> None:
    sections = parse_codeowners(CODEOWNERS)
    assert [s.name for s in sections] == ["", "Backend", "Optional docs"]
    assert [r.pattern for r in sections[1].rules] == [
        "app/models/",
        "/config/*.yml",
        "app/models/secret.py",
    ]


def test_resolving_several_paths_deduplicates_in_order() -> None:
    owners = resolve_owners(CODEOWNERS, ["app/models/user.rb", "src/a.py", "app/models/x.rb"])
    assert owners == ["@everyone", "@backend-lead", "@python"]


def test_directories_need_their_trailing_slash_as_in_gitlab() -> None:
    assert owners_of(parse_codeowners("/src @a\n"), "src/app.py") == []
    assert owners_of(parse_codeowners("/src/ @a\n"), "src/app.py") == ["@a"]
    assert owners_of(parse_codeowners("/src @a\n"), "src") == ["@a"]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/test_*.py", "tests/unit/test_a.py", True),
        ("/a/**/z.txt", "a/z.txt", True),
        ("/a/**/z.txt", "a/b/c/z.txt", True),
        ("*.{yml,yaml}", "ci/x.yaml", True),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file10.txt", False),
        ("[abc].md", "b.md", True),
        ("[!abc].md", "b.md", False),
        ("/lib/*", "lib/sub/x", False),
    ],
)
def test_glob_patterns(pattern: str, path: str, matches: bool) -> None:
    assert (glob_regex(pattern).fullmatch("/" + path) is not None) is matches


def test_an_empty_or_comment_only_file_owns_nothing() -> None:
    assert resolve_owners("# nothing here\n\n", ["a.py"]) == []


_SEGMENT = st.from_regex(r"[a-z0-9_.-]{1,8}", fullmatch=True).filter(lambda s: s not in (".", ".."))


@given(st.lists(_SEGMENT, min_size=1, max_size=5))
def test_a_literal_anchored_path_matches_exactly_itself(segments: list[str]) -> None:
    path = "/".join(segments)
    sections = parse_codeowners(f"/{path} @owner\n")
    assert owners_of(sections, path) == ["@owner"]
    assert owners_of(sections, path + "x") == []


@given(st.lists(_SEGMENT, min_size=2, max_size=5))
def test_a_directory_rule_owns_everything_below_it(segments: list[str]) -> None:
    sections = parse_codeowners(f"/{segments[0]}/ @dir-owner\n")
    assert owners_of(sections, "/".join(segments)) == ["@dir-owner"]
