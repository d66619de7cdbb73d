"""The infrastructure extractor's rules: what a line must say to mean a secret, permission,
timeout, memory or network problem, and how much that line is worth.

Read by :mod:`.infra`, which adjusts each score for the line's form and step.
"""

from __future__ import annotations

import re

import attrs

from ci_rescue_core.models import Category


@attrs.frozen
class InfraRule:
    """One infrastructure signal: a pattern, its category and base score."""

    pattern: re.Pattern[str]
    category: Category
    score: float
    auth_sensitive: bool = False
    requires: re.Pattern[str] | None = None
    needles: tuple[str, ...] = ()

    def matches(self, text: str, lowered: str) -> bool:
        """Whether *text* (and its lower-cased form *lowered*) shows this signal."""
        if self.needles and not any(needle in lowered for needle in self.needles):
            return False  # cheap prefilter: every match contains one of the needles
        if self.pattern.search(text) is None:
            return False
        return self.requires is None or self.requires.search(text) is not None


def _rule(
    pattern: str,
    category: Category,
    score: float,
    *,
    auth: bool = False,
    case: bool = False,
    requires: str | None = None,
    needles: tuple[str, ...] = (),
) -> InfraRule:
    """A rule: *pattern* on a line means *category*, with base *score*.

    :param auth: the line counts more inside an authentication / publishing step.
    :param case: match case-sensitively.
    :param requires: a second pattern the line must also contain.
    :param needles: lower-case substrings, one of which every match contains (a cheap
        prefilter: most lines contain none, and then the pattern is not run).
    """
    flags = 0 if case else re.IGNORECASE
    extra = None if requires is None else re.compile(requires, re.IGNORECASE)
    return InfraRule(re.compile(pattern, flags), category, score, auth, extra, needles)


_S, _O, _T, _N = (
    Category.MISSING_SECRET,
    Category.OOM,
    Category.TIMEOUT,
    Category.INFRA_NETWORK,
)

RULES: tuple[InfraRule, ...] = (
    # Missing secrets and credentials.
    _rule(r"Input required and not supplied", _S, 0.95, needles=("input required",)),
    _rule(
        r"Could not load credentials|Credentials could not be loaded",
        _S,
        0.85,
        needles=("credentials",),
    ),
    _rule(
        r"^(?:[\w.]+\.)?NoCredentialsError\b", _S, 0.85, case=True, needles=("nocredentialserror",)
    ),
    _rule(
        r"NoCredentialsError|Unable to locate credentials",
        _S,
        0.35,
        auth=True,
        needles=("nocredentialserror", "locate credentials"),
    ),
    _rule(
        r"\b(?:secrets?|token|api[_ -]?key|password|credentials?)\b.{0,80}?"
        r"\b(?:is not set|not set|not provided|not supplied|is empty|is missing|missing)\b",
        _S,
        0.7,
        requires=r"\b(?:error|fatal|fail(?:ed|ure)?|required)\b",
        needles=("secret", "token", "api", "password", "credential"),
    ),
    _rule(r"secrets_provider_not_found", _S, 0.8, needles=("secrets_provider",)),
    _rule(r"Bad credentials", _S, 0.55, auth=True, needles=("bad credentials",)),
    _rule(
        r"\b401\b.{0,40}unauthori[sz]ed|unauthori[sz]ed.{0,20}\b401\b|HTTP(?:/[\d.]+)? 401\b"
        r"|status(?: code)?:? 401\b|returned error: 401",
        _S,
        0.45,
        auth=True,
        needles=("401",),
    ),
    _rule(
        r"Authentication failed|authentication required|ENEEDAUTH|\bE401\b"
        r"|invalid username or password",
        _S,
        0.6,
        auth=True,
        needles=("authentication", "eneedauth", "e401", "invalid username"),
    ),
    # Permissions (never worth a retry either).
    _rule(r"Resource not accessible by integration", _S, 0.85, needles=("not accessible",)),
    _rule(r"Permission denied \(publickey", _S, 0.85, needles=("permission denied",)),
    _rule(r"Permission to \S+ denied to", _S, 0.8, needles=("permission to",)),
    _rule(
        r"unable to access '[^']*': The requested URL returned error: 403",
        _S,
        0.6,
        needles=("403",),
    ),
    _rule(r"requested access to the resource is denied", _S, 0.7, needles=("requested access",)),
    _rule(
        r"403 Forbidden|HTTP(?:/[\d.]+)? 403\b|returned error: 403|status(?: code)?:? 403\b"
        r"|\b403\b.{0,30}forbidden|\bE403\b",
        _S,
        0.3,
        auth=True,
        needles=("403",),
    ),
    _rule(
        r"AccessDenied|Access Denied", _S, 0.3, auth=True, needles=("accessdenied", "access denied")
    ),
    # Timeouts.
    _rule(r"has exceeded the maximum execution time", _T, 0.95, needles=("maximum execution",)),
    _rule(r"has timed out after \d+", _T, 0.95, needles=("timed out after",)),
    _rule(r"exceeded the maximum time limit for jobs", _T, 0.95, needles=("maximum time limit",)),
    _rule(
        r"job_execution_timeout|execution took longer than|stuck_or_timeout_failure",
        _T,
        0.9,
        needles=("job_execution_timeout", "took longer than", "stuck_or_timeout"),
    ),
    _rule(
        r"No output has been received in the last|Too long with no output",
        _T,
        0.9,
        needles=("no output has been", "too long with no output"),
    ),
    _rule(r"The operation was canceled\.", _T, 0.7, needles=("operation was canceled",)),
    _rule(
        r"\btimed out\b|\btimeout (?:of \S+ )?exceeded\b", _T, 0.3, needles=("timed out", "timeout")
    ),
    _rule(
        r"\btook (?:>|more than |longer than )\s?\d+\s?(?:min|minutes|m|s|sec|seconds|h|hours)\b",
        _T,
        0.75,
        needles=("took ",),
    ),
    _rule(
        r"Disconnected,? because no message in \d+ ?ms|(?:browser|Browser) .{0,60}"
        r"(?:DISCONNECTED|timed out|failed to (?:capture|connect))",
        _T,
        0.85,
        needles=("disconnected", "browser"),
    ),
    # Out of memory.
    _rule(
        r"out of memory|OutOfMemoryError|OOMKilled|oom[- ]kill|\bOOM[- ]killed\b",
        _O,
        0.85,
        needles=("out of memory", "outofmemoryerror", "oom"),
    ),
    _rule(r"\bMemoryError\b", _O, 0.8, case=True, needles=("memoryerror",)),
    _rule(r"(?<![\w-])Killed(?![\w-])", _O, 0.75, case=True, needles=("killed",)),
    _rule(
        r"Cannot allocate memory|std::bad_alloc|memory allocation failed",
        _O,
        0.7,
        needles=("cannot allocate memory", "bad_alloc", "memory allocation failed"),
    ),
    _rule(
        r"exit code 137\b|exited with code 137\b|\bsignal 9\b|\bSIGKILL\b",
        _O,
        0.55,
        needles=("137", "signal 9", "sigkill"),
    ),
    # Network and runner infrastructure.
    _rule(
        r"Could not resolve host|Temporary failure in name resolution|Name or service not known"
        r"|\bEAI_AGAIN\b|getaddrinfo ENOTFOUND|nodename nor servname|\bno such host\b"
        r"|\bdns error\b|UnknownHostException|\bserver misbehaving\b",
        _N,
        0.8,
        needles=(
            "resolve host",
            "name resolution",
            "service not known",
            "eai_again",
            "enotfound",
            "servname",
            "no such host",
            "dns error",
            "unknownhostexception",
            "misbehaving",
        ),
    ),
    # TLS: the certificate was not trusted (a proxy, an expired or self-signed certificate)...
    # (not ``openssl s_client``'s chatter: ``verify error:num=20:unable to get local issuer…``)
    _rule(
        r"SSL certificate problem|CERTIFICATE_VERIFY_FAILED|certificate verify failed"
        r"|x509: certificate|self[- ]signed certificate in certificate chain"
        r"|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT"
        r"|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED|certificate has expired"
        r"|SSLCertVerificationError|PKIX path building failed",
        _N,
        0.8,
        needles=("certificate", "x509", "cert_", "_cert", "pkix", "sslcert"),
    ),
    # ... pip's verdict on it, which outranks the resolution failure it causes ...
    _rule(
        r"There was a problem confirming the ssl certificate",
        _N,
        0.9,
        needles=("confirming the ssl",),
    ),
    # ... or the TLS connection itself failed (curl 35, OpenSSL alerts, Python's SSLError).
    _rule(
        r"curl: \(35\)|\bSSL_connect\b|\bSSL_ERROR_[A-Z_]+|\bSSLError\b|SSL routines"
        r"|\b(?:sslv3|tlsv1(?:\.\d)?) alert|\[SSL: \w+\]|SSLHandshakeException|SSLException",
        _N,
        0.75,
        needles=("curl: (35)", "ssl"),
    ),
    _rule(
        r"The runner has received a shutdown signal|lost communication with the server",
        _N,
        0.85,
        needles=("shutdown signal", "lost communication"),
    ),
    _rule(
        r"Job failed \(system failure\)|runner_system_failure|\bapi_failure\b",
        _N,
        0.85,
        needles=("system failure", "system_failure", "api_failure"),
    ),
    _rule(
        r"pod failed to come online|is unhealthy with phase|ImagePullBackOff|ErrImagePull"
        r"|CrashLoopBackOff|FailedScheduling|\bUnschedulable\b|pod .{0,60}\bevicted\b",
        _N,
        0.85,
        needles=(
            "pod ",
            "unhealthy with phase",
            "imagepullbackoff",
            "errimagepull",
            "crashloopbackoff",
            "failedscheduling",
            "unschedulable",
        ),
    ),
    _rule(r"No space left on device|\bENOSPC\b", _N, 0.8, needles=("no space left", "enospc")),
    _rule(
        r"Connection reset by peer|\bECONNRESET\b",
        _N,
        0.75,
        needles=("reset by peer", "econnreset"),
    ),
    _rule(
        r"Network is unreachable|No route to host|\bENETUNREACH\b|\bEHOSTUNREACH\b",
        _N,
        0.75,
        needles=("network is unreachable", "no route to host", "enetunreach", "ehostunreach"),
    ),
    _rule(
        r"\bETIMEDOUT\b|Connection timed out|connect(?:ion)? timed out|Read timed out"
        r"|i/o timeout|TLS handshake timeout",
        _N,
        0.7,
        needles=("etimedout", "timed out", "i/o timeout", "handshake timeout"),
    ),
    _rule(
        r"(?:API|secondary) rate limit|rate[- ]limit (?:exceeded|reached|hit)"
        r"|(?:you|we|request|requests|been|are|was|were) (?:being )?rate[- ]limited\b"
        r"|toomanyrequests|Too Many Requests",
        _N,
        0.7,
        needles=("rate limit", "rate-limit", "toomanyrequests", "too many requests"),
    ),
    # A 403 on a plain download (wget, curl) is the server's or proxy's doing.
    _rule(
        r"awaiting response\.\.\. 403|ERROR 403: Forbidden|curl: \(22\).*error: 403",
        _N,
        0.5,
        needles=("403",),
    ),
    _rule(
        r"Bad Gateway|Service Unavailable|Gateway Time-?out|returned error: 50[234]\b"
        r"|status(?: code)?:? 50[234]\b|HTTP(?:/[\d.]+)? 50[234]\b|\b50[234] Server Error",
        _N,
        0.65,
        needles=("bad gateway", "service unavailable", "gateway time", "50"),
    ),
    _rule(
        r"TLS handshake|SSL handshake|handshake failed|unexpected eof while reading",
        _N,
        0.65,
        needles=("handshake", "unexpected eof"),
    ),
    _rule(
        r"Empty reply from server|Received fatal alert: \w+|Error cloning remote repo",
        _N,
        0.65,
        needles=("empty reply", "fatal alert", "error cloning"),
    ),
    _rule(
        r"fatal: unable to access '|RPC failed|early EOF|remote end hung up unexpectedly"
        r"|Remote end closed connection|RemoteDisconnected|IncompleteRead|ConnectTimeout"
        r"|NewConnectionError|Connection aborted|Failed to connect to|Could not connect to"
        r"|Could not create connection to|\bconnect(?:ion)? timeout\b",
        _N,
        0.6,
        needles=(
            "unable to access",
            "rpc failed",
            "early eof",
            "hung up",
            "closed connection",
            "remotedisconnected",
            "incompleteread",
            "connecttimeout",
            "newconnectionerror",
            "connection aborted",
            "failed to connect",
            "could not connect",
            "could not create connection",
            "connect timeout",
            "connection timeout",
        ),
    ),
    _rule(
        r"Connection refused|\bECONNREFUSED\b",
        _N,
        0.45,
        needles=("connection refused", "econnrefused"),
    ),
)
