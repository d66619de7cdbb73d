"""Redaction: built-in token shapes, known values, plugin patterns, multi-line private keys."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ci_rescue_core.logs.reader import iter_lines
from ci_rescue_core.logs.redact import MASK, MAX_KEY_BLOCK_LINES, Redactor
from ci_rescue_core.logs.scan import scan

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64URL = ALNUM + "_-"


def body(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


# One strategy per built-in token shape; each draws a realistic token.
TOKENS: dict[str, st.SearchStrategy[str]] = {
    "github classic": st.tuples(st.sampled_from("pousr"), body(ALNUM, 36)).map(
        lambda t: f"gh{t[0]}_{t[1]}"
    ),
    "github fine-grained": body(ALNUM + "_", 82).map(lambda b: f"github_pat_{b}"),
    "gitlab": body(ALNUM + "_-", 20).map(lambda b: f"glpat-{b}"),
    "slack": st.tuples(st.sampled_from("abprs"), body(ALNUM + "-", 40)).map(
        lambda t: f"xox{t[0]}-{t[1]}"
    ),
    "aws key id": st.tuples(st.sampled_from(["AKIA", "ASIA"]), body(UPPER_DIGITS, 16)).map("".join),
    "google": body(ALNUM + "_-", 35).map(lambda b: f"AIza{b}"),
    "stripe": st.tuples(st.sampled_from(["sk", "rk"]), body(ALNUM, 24)).map(
        lambda t: f"{t[0]}_live_{t[1]}"
    ),
    "jwt": st.tuples(body(B64URL, 20), body(B64URL, 30), body(B64URL, 43)).map(
        lambda t: f"eyJ{t[0]}.eyJ{t[1]}.{t[2]}"
    ),
}

#: (secret, how it appears in a log): the secret must not survive, the context should.
CONTEXTS: dict[str, st.SearchStrategy[tuple[str, str]]] = {
    "bearer header": body(ALNUM + "._-", 24).map(lambda s: (s, f"Authorization: Bearer {s}")),
    "token header": body(ALNUM, 40).map(lambda s: (s, f"authorization: token {s}")),
    "basic header": body(ALNUM + "+/", 24).map(lambda s: (s, f'-H "Authorization: Basic {s}"')),
    "aws secret": body(ALNUM + "/+", 40).map(lambda s: (s, f"aws_secret_access_key = {s}")),
    "aws secret env": body(ALNUM + "/+", 40).map(lambda s: (s, f"AWS_SECRET_ACCESS_KEY={s}")),
    "url credentials": st.tuples(body(ALNUM, 8), body(ALNUM + "._~", 16)).map(
        lambda t: (t[1], f"https://{t[0]}:{t[1]}@github.com/org/repo.git")
    ),
}

ANSI = st.sampled_from(["", "\x1b[31m", "\x1b[0m", "\x1b[1;33m", "\x1b[0K", "\x1b]0;t\x07"])
NOISE = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)


@pytest.mark.parametrize("shape", sorted(TOKENS))
@given(data=st.data())
def test_token_shapes_never_survive(shape: str, data: st.DataObject) -> None:
    token = data.draw(TOKENS[shape])
    before, after = data.draw(NOISE), data.draw(NOISE)
    left, right = data.draw(ANSI), data.draw(ANSI)
    sep_left = data.draw(st.sampled_from(["", " ", "=", ":", '"', "'", "/"]))
    sep_right = data.draw(st.sampled_from(["", " ", '"', "'", ",", "&", "\t"]))
    line = f"{before}{sep_left}{left}{token}{right}{sep_right}{after}"
    redacted = Redactor().redact(line)
    assert token not in redacted
    assert MASK in redacted


@pytest.mark.parametrize("shape", sorted(CONTEXTS))
@given(data=st.data())
def test_secrets_in_context_never_survive(shape: str, data: st.DataObject) -> None:
    secret, text = data.draw(CONTEXTS[shape])
    before, after = data.draw(NOISE), data.draw(NOISE)
    assume(secret not in before and secret not in after)  # only the planted one is a secret
    line = f"{before} {data.draw(ANSI)}{text}{data.draw(ANSI)} {after}"
    assert secret not in Redactor().redact(line)


KNOWN = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x1c\x1d\x1e\x85"
    ),
    min_size=4,
    max_size=40,
)


@given(secret=KNOWN, before=NOISE, after=NOISE, left=ANSI, right=ANSI)
def test_known_secret_values_never_survive(
    secret: str, before: str, after: str, left: str, right: str
) -> None:
    redactor = Redactor(known_secrets=[secret])
    assert secret not in redactor.redact(f"{before}{left}{secret}{right}{after}")


@given(secret=KNOWN, lines=st.lists(NOISE, max_size=5))
def test_known_secret_never_survives_a_log_session(secret: str, lines: list[str]) -> None:
    session = Redactor(known_secrets=[secret]).session()
    for line in [*lines, secret, f"x{secret}x", *lines]:
        assert secret not in session.redact_line(line)


def test_short_known_secrets_are_ignored() -> None:
    redactor = Redactor(known_secrets=["abc", "", "x"])
    assert redactor.redact("abc x y") == "abc x y"


def test_multi_line_known_secret_is_masked_line_by_line() -> None:
    redactor = Redactor(known_secrets=["first-line\nsecond-line\n"])
    assert redactor.redact("a first-line b second-line") == f"a {MASK} b {MASK}"


def test_longest_known_secret_wins() -> None:
    redactor = Redactor(known_secrets=["abcd", "abcdefgh"])
    assert redactor.redact("x abcdefgh y") == f"x {MASK} y"


def test_context_is_kept() -> None:
    redactor = Redactor()
    assert redactor.redact("Authorization: Bearer abc.def") == f"Authorization: Bearer {MASK}"
    assert (
        redactor.redact("git clone https://x-access-token:s3cr3t@github.com/o/r")
        == f"git clone https://{MASK}@github.com/o/r"
    )
    assert redactor.redact("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == (
        f"AWS_SECRET_ACCESS_KEY={MASK}"
    )
    assert redactor.redact("PRIVATE-TOKEN: glpat-abc") == f"PRIVATE-TOKEN: {MASK}"


def test_presigned_url_signature_is_masked() -> None:
    line = 'Get "https://storage.example/x.zip?Expires=1&Signature=Mngt%2FdC%3D": reset'
    assert Redactor().redact(line) == (
        f'Get "https://storage.example/x.zip?Expires=1&Signature={MASK}": reset'
    )


def test_ordinary_lines_are_untouched() -> None:
    redactor = Redactor()
    for line in (
        "FAILED tests/test_x.py::test_token_refresh - AssertionError: assert 1 == 2",
        "ghp is a prefix, gho_ alone is not a token",
        "Run actions/checkout@v4",
        "See https://docs.pytest.org/en/stable/ for details",
        "E   KeyError: '/Fm17'",
    ):
        assert redactor.redact(line) == line


def test_plugin_patterns_are_applied() -> None:
    redactor = Redactor(patterns=[re.compile(r"acme_[0-9a-f]{8}")])
    assert redactor.redact("key acme_deadbeef used") == f"key {MASK} used"


def test_a_plugin_pattern_matching_empty_text_does_not_shred_the_line() -> None:
    redactor = Redactor(patterns=[re.compile(r"x*")])
    assert redactor.redact("abc") == "abc"


PEM = [
    "-----BEGIN RSA PRIVATE KEY-----",
    "MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH",
    "lWu2/a1gB9JW5TBQ+AVpum9Okx7KfqkfBKL9mcHgSL0yWMdjMfNOqNtrQqKlN4kE",
    "-----END RSA PRIVATE KEY-----",
]


def test_private_key_block_is_masked_across_lines() -> None:
    session = Redactor().session()
    out = [session.redact_line(line) for line in ["before", *PEM, "after"]]
    assert out[0] == "before" and out[-1] == "after"
    assert out[1] == "-----BEGIN RSA PRIVATE KEY-----" + MASK
    assert out[2] == MASK and out[3] == MASK
    assert out[4].startswith(MASK) and "END RSA PRIVATE KEY" in out[4]
    assert not session.in_private_key


def test_private_key_in_one_string() -> None:
    text = "\n".join(["key:", *PEM, "done"])
    redacted = Redactor().redact(text)
    assert PEM[1] not in redacted and PEM[2] not in redacted
    assert redacted.endswith("done")


def test_private_key_on_one_line_with_escaped_newlines() -> None:
    line = '{"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n"}'
    redacted = Redactor().redact(line)
    assert "MIIEvQIBADANBg" not in redacted
    assert redacted.endswith('-----END PRIVATE KEY-----\\n"}')


def test_pgp_private_key_block() -> None:
    session = Redactor().session()
    session.redact_line("-----BEGIN PGP PRIVATE KEY BLOCK-----")
    assert session.redact_line("lQdGBF4xyz") == MASK
    session.redact_line("-----END PGP PRIVATE KEY BLOCK-----")
    assert session.redact_line("plain") == "plain"


def test_unterminated_key_block_gives_up_after_the_cap() -> None:
    session = Redactor().session()
    session.redact_line("if line.startswith('-----BEGIN OPENSSH PRIVATE KEY-----'):")
    masked = [session.redact_line(f"line {n}") for n in range(MAX_KEY_BLOCK_LINES + 2)]
    assert masked[:MAX_KEY_BLOCK_LINES] == [MASK] * MAX_KEY_BLOCK_LINES
    assert masked[-1] == f"line {MAX_KEY_BLOCK_LINES + 1}"


def test_scan_redacts_before_keeping_anything() -> None:
    token = "ghp_" + "a1B2" * 9
    log = "\n".join(
        [
            f"##[group]Run curl -H 'Authorization: token {token}' https://api.github.com",
            f"context {token}",
            f"error: request with {token} failed",
            *PEM,
            "Error: Process completed with exit code 1.",
        ]
    ).encode()
    excerpt = scan(iter_lines([log]), Redactor(), tail=100)
    kept = [line.text for line in (*excerpt.lines, *excerpt.tail)]
    assert kept
    assert all(token not in text for text in kept)
    assert all(token not in step for step in excerpt.steps)
    assert all(PEM[1] not in text for text in kept)
