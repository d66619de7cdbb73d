"""Masking secrets in log text before anything is kept, printed or posted.

:class:`Redactor` holds the configuration (built-in token shapes, plugin patterns, known secret
values) and redacts any text.  Private keys span several lines, so a log is redacted line by
line through a :class:`RedactionSession` (``Redactor.session()``), which remembers whether it is
inside a ``-----BEGIN … PRIVATE KEY-----`` block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MASK = "***"

#: Known secret values shorter than this are ignored: masking them would shred the log.
MIN_SECRET_LENGTH = 4

#: Lines redacted after a private-key header that has no END line, before giving up on it.
MAX_KEY_BLOCK_LINES = 200

# Built-in token shapes.  Each replacement keeps the non-secret context (header names, URL
# scheme) and masks the value.  Distinctive prefixes are matched without word boundaries so a
# token glued to other text is still masked.
_TOKEN_SHAPES = (
    # GitHub: personal, OAuth, server-to-server, user-to-server, refresh; fine-grained PATs.
    r"gh[pousr]_[A-Za-z0-9]{16,}",
    r"github_pat_[A-Za-z0-9_]{20,}",
    # GitLab personal / deploy / runner / pipeline-trigger / feed tokens.
    r"gl(?:pat|dt|rt|ptt|cbt|ft|oas|soat|imt)-[A-Za-z0-9_\-]{16,}",
    # Slack tokens: bot, user, app-level, refresh, client and cookie (``xox?-``, any letter).
    r"xox[A-Za-z]-[A-Za-z0-9\-]{8,}",
    r"xapp-[A-Za-z0-9\-]{8,}",
    # AWS access key ids.
    r"AKIA[A-Z0-9]{16,}",
    r"ASIA[A-Z0-9]{16,}",
    # Google API keys.
    r"AIza[0-9A-Za-z_\-]{35,}",
    # Stripe secret and restricted keys.
    r"sk_(?:live|test)_[0-9A-Za-z]{10,}",
    r"rk_(?:live|test)_[0-9A-Za-z]{10,}",
    # npm and PyPI tokens.
    r"npm_[A-Za-z0-9]{36}",
    r"pypi-[A-Za-z0-9_\-]{32,}",
    # JSON Web Tokens (header and payload are base64url JSON objects).
    r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
)

# A quote, possibly escaped once (a header inside a JSON string inside JSON).
_QUOTE = r"\\?[\"']"

# (pattern, replacement, gates): the value is masked, the context kept.  A rule can only match
# a line whose lower-cased text holds one of its gates; the gates let ordinary lines skip it.
_CONTEXT_SHAPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # The token headers of GitLab / CircleCI / API gateways (``Authorization``: see below).
    (
        r"(?i:((?:private-token|job-token|circle-token|x-gitlab-token|x-api-key|api-key)"
        rf"(?:{_QUOTE})?\s*:\s*(?:{_QUOTE})?))[^\s\"',;\\]+",
        r"\1" + MASK,
        ("token", "api-key"),
    ),
    # AWS secret access keys assigned in config files, env vars or JSON, or given as an
    # argument (``aws configure set aws_secret_access_key wJalr…``).
    (
        r"(?i:(aws[_-]?secret[_-]?access[_-]?key|secretaccesskey)"
        rf"((?:{_QUOTE})?\s*[:=]\s*(?:{_QUOTE})?|\s+))"
        r"[A-Za-z0-9/+=]{16,}",
        r"\1\2" + MASK,
        ("secret",),
    ),
    # Credentials in URLs: scheme://user:password@host -> scheme://***@host.  The password may
    # hold ``@`` itself: the credentials end at the last ``@`` before the host.
    (r"([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#\"'<>]+@", r"\1" + MASK + "@", ("@",)),
    # Signatures in pre-signed URLs (S3, GCS, Azure SAS).
    (
        r"(?i:([?&](?:x-amz-signature|x-amz-security-token|x-goog-signature|signature|sig)=))"
        r"[^\s&\"'<>]+",
        r"\1" + MASK,
        ("sig", "token"),
    ),
)

#: Lower-cased fragments one of which every built-in token shape contains.
_TOKEN_FRAGMENTS = (
    "gh",
    "github_pat_",
    "gl",
    "xox",
    "xapp-",
    "akia",
    "asia",
    "aiza",
    "k_live_",
    "k_test_",
    "npm_",
    "pypi-",
    "eyj",
)
_TOKEN_GATE = re.compile("|".join(re.escape(fragment) for fragment in _TOKEN_FRAGMENTS))

#: Every gate of every built-in rule, in one search: most lines hold none and skip them all.
_ANY_GATE = re.compile(
    "|".join(
        re.escape(fragment)
        for fragment in (
            *_TOKEN_FRAGMENTS,
            *(gate for _, _, gates in _CONTEXT_SHAPES for gate in gates),
            "authorization",
            "-----begin",
        )
    )
)

# ``Authorization`` / ``Proxy-Authorization`` headers, whatever their scheme (``Bearer``,
# ``Digest``, ``AWS4-HMAC-SHA256``...) or none: the whole value is masked, up to the quote that
# closes it (a quoted header, a JSON or Python string, escaped JSON) or the end of the line.
# A well-known scheme name is kept for the reader.
_AUTHORIZATION = re.compile(
    rf"(?i)(?P<open>{_QUOTE})?(?:proxy-)?authorization(?P<close>{_QUOTE})?\s*[:=]\s*"
    rf"(?P<quote>{_QUOTE})?\s*"
)
_SCHEME = re.compile(
    r"(?i)(?:bearer|token|basic|bot|digest|aws4-hmac-sha256|negotiate|ntlm|oauth|apikey|key"
    r"|sso-key|jwt|pat|otp|hoba|mutual|vapid|dpop|gnap|privatetoken|scram-sha-1|scram-sha-256"
    r"|sharedkey|sharedkeylite)\s+"
)


def _value_end(text: str, start: int, quote: str | None) -> int:
    """Where a header value starting at *start* ends: its closing *quote*, or the line's end.

    A quote preceded by a backslash is part of the value (``\\"`` inside a JSON string,
    ``\\\\\\"`` inside escaped JSON).
    """
    if quote is None:
        return len(text)
    found = text.find(quote, start)
    while found > 0 and text[found - 1] == "\\":
        found = text.find(quote, found + 1)
    return len(text) if found < 0 else found


def _mask_authorization(text: str) -> str:
    """Mask the value of every ``Authorization`` header in one line."""
    out: list[str] = []
    position = 0
    while True:
        match = _AUTHORIZATION.search(text, position)
        if match is None:
            out.append(text[position:])
            return "".join(out)
        start = match.end()
        scheme = _SCHEME.match(text, start)
        if scheme is not None:
            start = scheme.end()
        quote = match.group("quote")
        if quote is None and match.group("close") is None:
            quote = match.group("open")  # the whole header is quoted: ``"Authorization: …"``
        end = _value_end(text, start, quote)
        out.append(text[position:start])
        if end > start:
            out.append(MASK)
        position = end


_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


def _mask_nonempty(match: re.Match[str]) -> str:
    """Mask a match; an empty match (a careless plugin pattern) is left alone."""
    return MASK if match.group(0) else ""


class Redactor:
    """Masks secrets in text with ``***``.

    Built in: GitHub, GitLab, Slack, AWS, Google, Stripe, npm and PyPI token shapes, JWTs,
    ``Authorization`` headers, credentials in URLs, pre-signed URL signatures, AWS secret keys
    and PEM private keys.

    :param patterns: extra patterns (from ``rescue_secret_patterns``); whatever they match is
        masked.
    :param known_secrets: secret values to mask wherever they appear.  Values shorter than
        :data:`MIN_SECRET_LENGTH` are ignored; multi-line values are masked line by line.
    """

    def __init__(
        self,
        patterns: Sequence[re.Pattern[str]] = (),
        known_secrets: Sequence[str] = (),
    ) -> None:
        self._patterns = tuple(patterns)
        values: set[str] = set()
        for secret in known_secrets:
            for part in secret.splitlines() or [secret]:
                if len(part) >= MIN_SECRET_LENGTH:
                    values.add(part)
        ordered = sorted(values, key=lambda value: (-len(value), value))
        self._known: re.Pattern[str] | None = (
            re.compile("|".join(re.escape(value) for value in ordered)) if ordered else None
        )
        self._tokens = re.compile("|".join(_TOKEN_SHAPES))
        self._context = tuple(
            (re.compile(pattern), replacement, re.compile("|".join(map(re.escape, gates))))
            for pattern, replacement, gates in _CONTEXT_SHAPES
        )

    def session(self) -> RedactionSession:
        """A line-by-line redactor for one log (it follows multi-line private keys)."""
        return RedactionSession(self)

    def redact(self, text: str) -> str:
        """Mask every secret in *text* (which may span several lines).

        :param text: any text.
        :returns: the text with each secret replaced by ``***``.
        """
        if "\n" not in text and "\r" not in text:
            return self.redact_one_line(text)
        session = self.session()
        return "\n".join(session.redact_line(line) for line in text.split("\n"))

    def redact_one_line(self, text: str) -> str:
        """Mask the secrets of one line (no multi-line state; see :meth:`session`).

        A private key is masked from its BEGIN marker to its END marker or the line's end.

        :param text: one line, without newline.
        :returns: the redacted line.
        """
        if self._known is not None:
            text = self._known.sub(MASK, text)
        for pattern in self._patterns:
            text = pattern.sub(_mask_nonempty, text)
        # The gates are tested on the lower-cased line; on non-ASCII text, where case-insensitive
        # matching has Unicode subtleties, every rule runs.
        view = text.lower() if text.isascii() else None
        if view is not None and _ANY_GATE.search(view) is None:
            return text  # no built-in rule can match
        if view is None or _TOKEN_GATE.search(view) is not None:
            text = self._tokens.sub(MASK, text)
        if view is None or "authorization" in view:
            text = _mask_authorization(text)
        for pattern, replacement, gate in self._context:
            if view is None or gate.search(view) is not None:
                text = pattern.sub(replacement, text)
        begin = _KEY_BEGIN.search(text) if "-----BEGIN " in text else None
        if begin is not None:
            end = _KEY_END.search(text, begin.end())
            tail = text[end.start() :] if end is not None else ""
            text = text[: begin.end()] + MASK + tail
        return text


class RedactionSession:
    """Redacts one log line by line, masking whole private-key blocks.

    After a line with a ``-----BEGIN … PRIVATE KEY-----`` header and no matching END, every
    following line is masked until an END line, or until :data:`MAX_KEY_BLOCK_LINES` lines
    passed (a header mentioned in passing must not blank the rest of the log).
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._key_lines_left = 0

    @property
    def in_private_key(self) -> bool:
        """Whether the next line is taken to be inside a private-key block."""
        return self._key_lines_left > 0

    def skip(self, lines: int) -> None:
        """Account for *lines* lines of the log that are not redacted because nothing keeps them.

        The streaming scanner only redacts the lines it keeps, but feeds every line with
        private-key armour (``-----BEGIN``/``-----END``), so the lines skipped over carry no
        state: they only count towards :data:`MAX_KEY_BLOCK_LINES`.

        :param lines: how many lines were passed over (0 or more).
        """
        if lines > 0 and self._key_lines_left > 0:
            self._key_lines_left = max(0, self._key_lines_left - lines)

    def redact_line(self, line: str) -> str:
        """Mask the secrets of the next line of the log.

        :param line: one line, without its newline.
        :returns: the redacted line; a line inside a private-key block becomes ``***`` (its
            END marker, when present, is kept).
        """
        if self._key_lines_left > 0:
            self._key_lines_left -= 1
            end = _KEY_END.search(line)
            if end is None:
                return MASK
            self._key_lines_left = 0
            return MASK + self._redactor.redact(line[end.start() :])
        begin = _KEY_BEGIN.search(line) if "-----BEGIN " in line else None
        if begin is not None and _KEY_END.search(line, begin.end()) is None:
            self._key_lines_left = MAX_KEY_BLOCK_LINES
            return (
                self._redactor.redact(line[: begin.start()])
                + line[begin.start() : begin.end()]
                + MASK
            )
        return self._redactor.redact_one_line(line)
