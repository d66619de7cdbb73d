"""What makes a log line a candidate: the keyword prefilter's vocabulary, as plain data.

The scanner compiles these into one search; extractors decide what a kept line means.  Add a
word here when an extractor needs lines that nothing else keeps.
"""

from __future__ import annotations

# Broad on purpose: the extractors decide what a line means, this only decides what to keep.
# Matched against the lower-cased line (case-insensitive matching is several times slower).
SUBSTRINGS = (
    "error",
    "errno",
    "err!",
    "fail",
    "fatal",
    "panic",
    "exception",
    "traceback",
    "abort",
    "assert",
    "crash",
    "segfault",
    "segmentation",
    "core dumped",
    "sigsegv",
    "sigkill",
    "sigterm",
    "sigint",
    "interrupt",
    "killed",
    "oomkill",
    "oom-kill",
    "out of memory",
    "bad_alloc",
    "exit code",
    "exit status",
    "exited with",
    "returned non-zero",
    "timed out",
    "timeout",
    "time limit",
    "exceeded",
    "cancel",
    "denied",
    "unauthori",
    "forbidden",
    "permission",
    "credential",
    "not supplied",
    "not accessible",
    "authenticat",
    "rate limit",
    "too many requests",
    "toomanyrequests",
    "could not",
    "couldn't",
    "cannot",
    "can't",
    "unable to",
    "not found",
    "no such",
    "no module named",
    "no matching",
    "missing",
    "undefined",
    "unresolved",
    "unsatisfi",
    "incompatible",
    "conflict",
    "mismatch",
    "invalid",
    "violation",
    "reject",
    "refused",
    "reset by peer",
    "econn",
    "etimedout",
    "eai_again",
    "enotfound",
    "resolve host",
    "name resolution",
    "handshake",
    # TLS failures that name no error (``SSL_ERROR_…``, ``CERTIFICATE_VERIFY_FAILED`` and
    # ``SSLError`` already match): curl's ``SSL certificate problem: self signed …`` and Go's
    # ``x509: certificate signed by unknown authority``; and Go's resolver, ``dial tcp: lookup
    # … server misbehaving``.  (Keywords entered at a common byte, like ``ssl:``, would cost
    # the scan its speed.)
    "certificate problem",
    "x509",
    "misbehaving",
    "unreachable",
    "no space left",
    "shutdown signal",
    "lost communication",
    "regression",
    "would reformat",
    "would be reformatted",
    "unexpected",
    "not ok",
    "not available",
)
WORDS = ("oom", "wrong", "401", "403", "404", "429", "500", "502", "503", "504")
# Line starts: pytest ``E`` lines and ``rootdir:`` (names the project), jest / mocha /
# xcpretty failure marks, LaTeX-style ``!`` errors, numbered failure entries (``1) Suite``:
# Mocha, PHPUnit, ExUnit, RSpec, Minitest) and Pester's ``[-]``.
LINE_START_PATTERN = (
    r"E\s|rootdir: |\s*[\u2715\u2717\u2716\u00d7\u25cf\u274c]\s|!\s|\s*\d+\) |\s*\[-\]\s"
)
