"""The CODEOWNERS matcher: GitHub's documented examples, then properties (hypothesis)."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_providers.github.codeowners import owners_of, parse_codeowners

# The examples of GitHub's "About code owners" page, as one file (our own wording).
EXAMPLE = """\
# Default owners for everything
*       @global-owner1 @global-owner2

*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
!not/supported @nobody
[ab].py @nobody
"""


def owners(text: str, path: str) -> list[str]:
    return owners_of(parse_codeowners(text), [path])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", ["@global-owner1", "@global-owner2"]),
        ("src/app.js", ["@js-owner"]),
        ("cmd/main.go", ["docs@example.com"]),
        ("notes/todo.txt", ["@octo-org/octocats"]),
        ("build/logs/out.log", ["@octocat"]),  # **/logs comes later and wins
        ("docs/getting-started.md", ["@doctocat"]),  # /docs/ comes after docs/*
        ("docs/build-app/troubleshooting.md", ["@doctocat"]),
        ("scripts/deploy.sh", ["@doctocat", "@octocat"]),
        ("deeply/nested/logs/x.txt", ["@octocat"]),
        ("apps/web/index.html", ["@octocat"]),
        ("apps/github/client.py", []),  # a line without owners makes the path unowned
        ("not/supported", ["@global-owner1", "@global-owner2"]),  # `!` lines are skipped
        ("a.py", ["@global-owner1", "@global-owner2"]),  # `[ ]` lines are skipped
    ],
)
def test_githubs_documented_examples(path: str, expected: list[str]) -> None:
    assert owners(EXAMPLE, path) == expected


def test_trailing_slash_star_owns_only_direct_children() -> None:
    text = "docs/* @docs\n"
    assert owners(text, "docs/a.md") == ["@docs"]
    assert owners(text, "docs/sub/a.md") == []


def test_unanchored_directory_matches_at_any_depth_but_not_files_named_so() -> None:
    text = "apps/ @apps\n"
    assert owners(text, "apps/x.py") == ["@apps"]
    assert owners(text, "src/apps/x.py") == ["@apps"]
    assert owners(text, "src/apps") == []  # a file called apps is not a directory


def test_anchored_patterns_start_at_the_root() -> None:
    text = "/build/ @root-build\nsrc/*.py @py\n"
    assert owners(text, "build/x") == ["@root-build"]
    assert owners(text, "lib/build/x") == []
    assert owners(text, "src/a.py") == ["@py"]
    assert owners(text, "lib/src/a.py") == []


def test_owners_are_deduplicated_across_paths_in_first_seen_order() -> None:
    rules = parse_codeowners("*.py @py @shared\n*.md @docs @shared\n")
    assert owners_of(rules, ["a.md", "b.py", "c.md"]) == ["@docs", "@shared", "@py"]


def test_junk_owner_tokens_are_dropped() -> None:
    assert owners("* @ok not-an-owner @team/x a@b.io\n", "f") == ["@ok", "@team/x", "a@b.io"]


# -- properties ----------------------------------------------------------------------------------

segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
paths = st.lists(segment, min_size=1, max_size=5).map("/".join)
extensions = st.sampled_from(["py", "js", "md", "txt", "go"])


@given(prefix=st.lists(segment, max_size=4), name=segment, ext=extensions)
def test_extension_patterns_match_at_any_depth(prefix: list[str], name: str, ext: str) -> None:
    path = "/".join([*prefix, f"{name}.{ext}"])
    assert owners(f"*.{ext} @owner\n", path) == ["@owner"]


@given(path=paths, pattern=st.sampled_from(["*.py", "a*", "*b", "?x*", "*_*", "*"]))
def test_unanchored_globs_agree_with_fnmatch_on_some_segment(path: str, pattern: str) -> None:
    expected = any(fnmatch.fnmatchcase(part, pattern) for part in path.split("/"))
    assert (owners(f"{pattern} @o\n", path) == ["@o"]) is expected


@given(directory=paths, below=paths, elsewhere=paths)
def test_an_anchored_directory_owns_exactly_what_is_below_it(
    directory: str, below: str, elsewhere: str
) -> None:
    text = f"/{directory}/ @dir\n"
    assert owners(text, f"{directory}/{below}") == ["@dir"]
    inside = elsewhere == directory or elsewhere.startswith(directory + "/")
    assert (owners(text, elsewhere) == ["@dir"]) is (inside and elsewhere != directory)


@given(
    rules=st.lists(st.tuples(st.sampled_from(["*", "*.py", "src/", "**/x"]), segment)), path=paths
)
def test_the_last_matching_line_wins(rules: list[tuple[str, str]], path: str) -> None:
    text = "".join(f"{pattern} @{owner}\n" for pattern, owner in rules) + "* @last\n"
    assert owners(text, path) == ["@last"]


@given(path=paths)
def test_redundant_slashes_and_dots_do_not_change_the_answer(path: str) -> None:
    text = "/src/ @src\n*.py @py\n"
    messy = "./" + path.replace("/", "//")
    assert owners(text, messy) == owners(text, path)


@given(text=st.text())
def test_any_text_parses_without_crashing(text: str) -> None:
    rules = parse_codeowners(text)
    assert all(rule.line >= 1 for rule in rules)
    owners_of(rules, ["a/b.py"])
