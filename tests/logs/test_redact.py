"""Redaction: built-in token shapes, known values, plugin patterns, multi-line private keys."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

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
    # ``xox?-``: bot, user, app, refresh, client, cookie... any letter.
    "slack": st.tuples(st.sampled_from(string.ascii_letters), body(ALNUM + "-", 40)).map(
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

HEX = "0123456789abcdef"


def _header_value(scheme: str | None, secret: str) -> str:
    """An ``Authorization`` value of *scheme* carrying *secret* (``None``: no scheme at all)."""
    if scheme is None:
        return secret
    if scheme == "Digest":
        return f'Digest username="ci", realm="api", nonce="{secret[::-1]}", response="{secret}"'
    if scheme == "AWS4-HMAC-SHA256":
        return (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250407/us-east-1/s3/aws4_request,"
            f" SignedHeaders=host;x-amz-date, Signature={secret}"
        )
    return f"{scheme} {secret}"


#: How a header appears in a log: bare (``curl -v``), quoted in a command, in JSON, in escaped
#: JSON (a JSON string holding JSON), in a Python dict, in an environment variable.
HEADER_FORMS: dict[str, Callable[[str, str], str]] = {
    "bare": lambda key, value: f"> {key}: {value}",
    "curl double quotes": lambda key, value: (
        f'-H "{key}: {value.replace(chr(34), chr(92) + chr(34))}"'
    ),
    "curl single quotes": lambda key, value: f"-H '{key}: {value}'",
    "json": lambda key, value: f'{{"{key}": "{value.replace(chr(34), chr(92) + chr(34))}"}}',
    "escaped json": lambda key, value: (
        f'"{{\\"{key}\\": \\"{value.replace(chr(34), chr(92) * 3 + chr(34))}\\"}}"'
    ),
    "python dict": lambda key, value: f"{{'{key}': '{value}', 'Accept': 'application/json'}}",
    "environment": lambda key, value: f"HTTP_{key.upper().replace('-', '_')}={value}",
}

AUTHORIZATION = st.builds(
    lambda key, scheme, form, secret: (
        secret,
        HEADER_FORMS[form](key, _header_value(scheme, secret)),
    ),
    key=st.sampled_from(["Authorization", "authorization", "AUTHORIZATION", "Proxy-Authorization"]),
    scheme=st.sampled_from(
        [None, "Bearer", "bearer", "token", "Basic", "Bot", "Digest", "AWS4-HMAC-SHA256", "NTLM"]
    ),
    form=st.sampled_from(sorted(HEADER_FORMS)),
    secret=body(ALNUM + "._-+/", 24) | body(HEX, 64),
)

AWS_SECRET = st.builds(
    lambda key, form, secret: (secret, form.format(key=key, value=secret)),
    key=st.sampled_from(
        [
            "aws_secret_access_key",
            "AWS_SECRET_ACCESS_KEY",
            "aws-secret-access-key",
            "SecretAccessKey",
            "secretAccessKey",
        ]
    ),
    form=st.sampled_from(
        [
            "{key} = {value}",
            "{key}={value}",
            "export {key}={value}",
            "{key}: {value}",
            "aws configure set {key} {value}",
            "{key}\t{value}",
            '"{key}": "{value}"',
            '\\"{key}\\": \\"{value}\\"',
        ]
    ),
    secret=body(ALNUM + "/+", 40),
)

#: (secret, how it appears in a log): the secret must not survive, the context should.
CONTEXTS: dict[str, st.SearchStrategy[tuple[str, str]]] = {
    "authorization header": AUTHORIZATION,
    "aws secret": AWS_SECRET,
    "gitlab token header": st.builds(
        lambda form, secret: (secret, form.format(secret)),
        form=st.sampled_from(
            ["PRIVATE-TOKEN: {}", '"Job-Token": "{}"', '\\"PRIVATE-TOKEN\\": \\"{}\\"']
        ),
        secret=body(ALNUM + "_-", 20),
    ),
}

#: Passwords in URLs: unreserved and sub-delimiter characters, ``:`` and ``@`` too (an ``@``
#: that should have been percent-encoded must not cut the masking short).
PASSWORD = st.text(alphabet=ALNUM + "._~!$&()*+,;=:@%-", min_size=6, max_size=20)

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


@given(
    scheme=st.sampled_from(["https", "http", "git+https", "ssh", "redis", "postgresql"]),
    user=body(ALNUM, 8),
    password=PASSWORD,
    before=NOISE,
    after=st.sampled_from(["", " failed", "' not found", '"']),
)
def test_url_credentials_never_survive(
    scheme: str, user: str, password: str, before: str, after: str
) -> None:
    assume(password not in before)
    url = f"{scheme}://{user}:{password}@github.com/org/repo.git"
    redacted = Redactor().redact(f"{before} {url}{after}")
    assert password not in redacted
    # Nothing of the credentials is left: not even what follows an ``@`` inside the password.
    assert f"{scheme}://{MASK}@github.com/org/repo.git" in redacted


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


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("slack xoxc-1234567890-abcdefghij ok", f"slack {MASK} ok"),
        ("cookie d=xoxd-AbCdEfGhIjKlMn%2F; x", f"cookie d={MASK}%2F; x"),
        ("refresh xoxe-1-My0xLTEyMzQ1Njc4OTA", f"refresh {MASK}"),
        ("> Authorization: c2VjcmV0LXZhbHVl", f"> Authorization: {MASK}"),
        (
            '> Authorization: Digest username="ci", nonce="dcd98b", response="6629fae4939"',
            f"> Authorization: Digest {MASK}",
        ),
        (
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250407/us-east-1"
            "/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a",
            f"Authorization: AWS4-HMAC-SHA256 {MASK}",
        ),
        (
            'body "{\\"Authorization\\": \\"Bearer s3cr3tT0ken\\", \\"Accept\\": 1}"',
            f'body "{{\\"Authorization\\": \\"Bearer {MASK}\\", \\"Accept\\": 1}}"',
        ),
        (
            "+ aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            f"+ aws configure set aws_secret_access_key {MASK}",
        ),
        (
            "fatal: https://user:p@ssw0rdSECRET@host.example/repo.git not found",
            f"fatal: https://{MASK}@host.example/repo.git not found",
        ),
    ],
)
def test_shapes_the_audit_found(line: str, expected: str) -> None:
    assert Redactor().redact(line) == expected


def test_authorization_mentioned_in_prose_is_left_alone() -> None:
    line = "Authorization failed for user ci; see the authorization_code flow"
    assert Redactor().redact(line) == line


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
