"""The infrastructure-signal extractor plugin: secrets, permissions, network, timeout, OOM."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt, LogLine
from ci_rescue_core.logs.reader import iter_lines, open_source
from ci_rescue_core.logs.redact import Redactor
from ci_rescue_core.logs.scan import scan
from ci_rescue_core.models import Category
from ci_rescue_core.plugins import make_plugin_manager
from ci_rescue_extractors import infra, pytest_extractor
from ci_rescue_extractors.infra import WRAPPER_LINE, rescue_extract_failures

FIXTURE_LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


def excerpt(text: str) -> LogExcerpt:
    return scan(iter_lines([text.encode()]), Redactor())


def extract(text: str) -> Extraction:
    result = rescue_extract_failures(excerpt(text))
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("##[error]Input required and not supplied: token", Category.MISSING_SECRET),
        (
            "Error: Credentials could not be loaded, please check your action inputs",
            Category.MISSING_SECRET,
        ),
        (
            "botocore.exceptions.NoCredentialsError: Unable to locate credentials",
            Category.MISSING_SECRET,
        ),
        ("Error: secret NPM_TOKEN is not set", Category.MISSING_SECRET),
        ("##[error]Resource not accessible by integration", Category.MISSING_SECRET),
        ("git@github.com: Permission denied (publickey).", Category.MISSING_SECRET),
        (
            "remote: Permission to acme/app.git denied to github-actions[bot].",
            Category.MISSING_SECRET,
        ),
        (
            "fatal: Authentication failed for 'https://github.com/acme/app.git/'",
            Category.MISSING_SECRET,
        ),
        ("curl: (6) Could not resolve host: github.com", Category.INFRA_NETWORK),
        ("ssh: Temporary failure in name resolution", Category.INFRA_NETWORK),
        (
            "read tcp 10.1.1.16:59014->142.250.68.80:443: read: connection reset by peer",
            Category.INFRA_NETWORK,
        ),
        ("npm ERR! code ECONNRESET", Category.INFRA_NETWORK),
        ("Error: connect ETIMEDOUT 104.16.0.35:443", Category.INFRA_NETWORK),
        ("net/http: TLS handshake timeout", Category.INFRA_NETWORK),
        ("error: RPC failed; HTTP 502 Bad Gateway", Category.INFRA_NETWORK),
        ("received 503 Service Unavailable from registry", Category.INFRA_NETWORK),
        ("toomanyrequests: You have reached your pull rate limit.", Category.INFRA_NETWORK),
        ("##[error]API rate limit exceeded for installation ID 42.", Category.INFRA_NETWORK),
        ("##[error]The runner has received a shutdown signal.", Category.INFRA_NETWORK),
        ("OSError: [Errno 28] No space left on device", Category.INFRA_NETWORK),
        ("ERROR: Job failed (system failure): pod is not running", Category.INFRA_NETWORK),
        (
            "##[error]The job running on runner GitHub Actions 2 has exceeded the maximum "
            "execution time of 360 minutes.",
            Category.TIMEOUT,
        ),
        ("##[error]The action 'Test' has timed out after 360 minutes.", Category.TIMEOUT),
        ("ERROR: Job failed: execution took longer than 1h0m0s seconds", Category.TIMEOUT),
        ("##[error]The operation was canceled.", Category.TIMEOUT),
        ("Killed", Category.OOM),
        ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.39 GiB.", Category.OOM),
        ("MemoryError", Category.OOM),
        (
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            Category.OOM,
        ),
        ("##[error]Process completed with exit code 137.", Category.OOM),
        (
            "##[error]Error: pod failed to come online with error: Error: Pod runner-x is "
            "unhealthy with phase status Pending: backoff timeout",
            Category.INFRA_NETWORK,
        ),
        (
            "fatal: unable to access 'https://github.com/vim/vim/': Empty reply from server",
            (Category.INFRA_NETWORK),
        ),
        ("  Caused by: dns error", Category.INFRA_NETWORK),
        ("ERROR: Error cloning remote repo 'origin'", Category.INFRA_NETWORK),
        (
            "Chrome Mobile 74 (Android 8.0.0) ERROR\n"
            "  Disconnected, because no message in 30000 ms.",
            Category.TIMEOUT,
        ),
        ("Command took >30min, returning 124", Category.TIMEOUT),
        # TLS: the connection failed, or the certificate was not trusted.
        (
            "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to "
            "files.pythonhosted.org:443",
            Category.INFRA_NETWORK,
        ),
        (
            "curl: (60) SSL certificate problem: unable to get local issuer certificate",
            Category.INFRA_NETWORK,
        ),
        (
            "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, "
            "status=None)) after connection broken by 'SSLError(SSLCertVerificationError(1, "
            "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
            "issuer certificate (_ssl.c:1006)'))': /simple/requests/",
            Category.INFRA_NETWORK,
        ),
        (
            'go: github.com/stretchr/testify@v1.8.4: Get "https://proxy.golang.org/github.com/'
            'stretchr/testify/@v/v1.8.4.mod": x509: certificate signed by unknown authority',
            Category.INFRA_NETWORK,
        ),
        (
            "npm ERR! request to https://registry.npmjs.org/left-pad failed, reason: self "
            "signed certificate in certificate chain",
            Category.INFRA_NETWORK,
        ),
        (
            "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
            Category.INFRA_NETWORK,
        ),
        (
            'go: github.com/foo/bar@v1.2.3: Get "https://proxy.golang.org/github.com/foo/bar/'
            '@v/v1.2.3.mod": dial tcp: lookup proxy.golang.org on 127.0.0.53:53: server '
            "misbehaving",
            Category.INFRA_NETWORK,
        ),
    ],
)
def test_signals(line: str, category: Category) -> None:
    result = extract(f"some output\n{line}\nmore output\n")
    assert result.category is category
    assert result.confidence > 0.3
    assert result.ecosystem is None


@pytest.mark.parametrize(
    ("log", "code"),
    [
        ("##[error]Process completed with exit code 2.\n", 2),
        ("ERROR: Job failed: exit code 1\n", 1),
        ('The command "npm test" exited with 0.\nThe command "make lint" exited with 3.\n', 3),
        ("Got exit code 0\nexit status 4\nexit status 5\n", 4),
    ],
)
def test_exit_codes(log: str, code: int | None) -> None:
    result = rescue_extract_failures(excerpt(log))
    assert result is not None
    assert result.exit_code == code


def test_exit_code_zero_is_not_an_error_line() -> None:
    assert (
        rescue_extract_failures(excerpt('Got exit code 0\nThe command "ls" exited with 0.\n'))
        is None
    )


def test_exit_code_lines_are_low_scored_wrappers() -> None:
    result = extract("exit status 1\n##[error]Process completed with exit code 1.\n")
    assert result.category is None  # an exit code alone is no opinion
    assert {s.score for s in result.error_lines} == {WRAPPER_LINE}


def test_warnings_and_debug_lines_count_for_little() -> None:
    plain = extract("error: Could not resolve host: mirror.example\n")
    warned = extract("WARNING: Could not resolve host: mirror.example, using the cache\n")
    debug = extract("12:00 DEBUG dial: Could not resolve host: mirror.example\n")
    assert warned.confidence < plain.confidence / 2
    assert debug.confidence < plain.confidence / 2


def test_flagged_error_lines_count_for_more() -> None:
    plain = extract("Credentials could not be loaded\n")
    flagged = extract("##[error]Credentials could not be loaded\n")
    assert flagged.confidence > plain.confidence


def test_unauthorized_counts_more_in_an_auth_step() -> None:
    elsewhere = "##[group]Run pytest\n##[endgroup]\nGET /api 401 Unauthorized\n"
    in_login = "##[group]Run docker/login-action@v3\n##[endgroup]\nGET /api 401 Unauthorized\n"
    assert extract(in_login).confidence > extract(elsewhere).confidence


def test_secret_names_in_informational_lines_are_not_signals() -> None:
    assert rescue_extract_failures(excerpt("SCRIBE_GRAPHQL_ACCESS_TOKEN is NOT set\n")) is None


def test_words_in_prose_are_not_signals() -> None:
    log = (
        "\t'hammer' 'A rate-limiter with pluggable storage backends'\nOOM restarts => 0\n"
        "\t'ratekeeper' 'Rate limiter and rate-limited actions scheduler'\n"
    )
    assert rescue_extract_failures(excerpt(log)) is None


def test_a_timeout_statement_loses_to_a_test_the_runner_reported() -> None:
    log = (
        "FAILED [310.0s] test_a.py::TestA::test_gather - RuntimeError: Process 0 timed out\n"
        "Command took >15min, returning 124\n"
    )
    hooks = Hooks(make_plugin_manager(entry_points=False, extra=[pytest_extractor, infra]))
    analysis = analyze_log([log.encode()], hooks=hooks)
    assert analysis.fingerprint.category is Category.TEST_FAILURE


def test_download_forbidden_is_network_but_git_push_forbidden_is_permission() -> None:
    wget = (
        "HTTP request sent, awaiting response... 403 Forbidden\n2016-11-18 ERROR 403: Forbidden.\n"
    )
    push = (
        "remote: Write access to repository not granted.\n"
        "fatal: unable to access 'https://github.com/acme/app/': "
        "The requested URL returned error: 403\n"
    )
    assert extract(wget).category is Category.INFRA_NETWORK
    assert extract(push).category is Category.MISSING_SECRET


def test_nothing_to_say() -> None:
    assert rescue_extract_failures(excerpt("all good\nerror handling tests passed\n")) is None
    assert rescue_extract_failures(LogExcerpt()) is None


def test_decoy_credentials_next_to_a_real_test_failure() -> None:
    path = FIXTURE_LOGS / "pytorch_test_file_failed_wrapper.log"
    with open_source(path) as chunks:
        found = rescue_extract_failures(scan(iter_lines(chunks), Redactor()))
    assert found is not None
    assert found.category is Category.MISSING_SECRET  # it does see the decoys...
    with open_source(path) as chunks:
        theirs = pytest_extractor.rescue_extract_failures(scan(iter_lines(chunks), Redactor()))
    assert theirs is not None
    assert found.confidence < theirs.confidence  # ...but the test failure is surer
    hooks = Hooks(make_plugin_manager(entry_points=False, extra=[pytest_extractor, infra]))
    with open_source(path) as chunks:
        analysis = analyze_log(chunks, hooks=hooks)
    assert analysis.fingerprint.category is Category.TEST_FAILURE


def test_network_fixture() -> None:
    with open_source(FIXTURE_LOGS / "cidiff_terraform_run407_fail.log") as chunks:
        found = rescue_extract_failures(scan(iter_lines(chunks), Redactor()))
    assert found is not None
    assert found.category is Category.INFRA_NETWORK
    assert found.exit_code == 1
    best = max(found.error_lines, key=lambda s: (s.score, -s.line.number))
    assert best.line.number == 749
    assert "Signature=***" in best.line.text  # the pre-signed URL was redacted first


def test_source_lines_quoted_by_a_compiler_are_not_events() -> None:
    """rustc and gcc quote the offending code; a quoted ``panic!("Out of memory")`` is no OOM."""
    lines = [
        "error[E0407]: method `oom` is not a member of trait `Alloc`",
        "   --> src/lib.rs:139:5",
        "    |",
        "139 | /     fn oom(&mut self, _: AllocErr) -> ! {",
        '140 | |         panic!("Out of memory");',
        "141 | |     }",
    ]
    excerpt = LogExcerpt(lines=tuple(LogLine(n, text) for n, text in enumerate(lines, 1)))
    result = infra.rescue_extract_failures(excerpt)
    assert result is None or result.category is not Category.OOM


def test_pip_behind_an_untrusted_proxy_is_a_network_failure_not_a_resolution_one() -> None:
    log = (
        "Collecting requests\n"
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None))"
        " after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: "
        "CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer "
        "certificate (_ssl.c:1006)'))': /simple/requests/\n"
        "Could not fetch URL https://pypi.org/simple/requests/: There was a problem confirming "
        "the ssl certificate: HTTPSConnectionPool(host='pypi.org', port=443): Max retries "
        "exceeded with url: /simple/requests/ (Caused by SSLError(SSLCertVerificationError(1, "
        "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)'))) - "
        "skipping\n"
        "ERROR: Could not find a version that satisfies the requirement requests (from "
        "versions: none)\n"
        "ERROR: No matching distribution found for requests\n"
    )
    fingerprint = analyze_log([log.encode()], hooks=Hooks(make_plugin_manager())).fingerprint
    assert fingerprint.category is Category.INFRA_NETWORK
    assert fingerprint.error_lines[0].line == 3


def test_openssl_chatter_inside_a_test_is_not_a_network_failure() -> None:
    # ``openssl s_client`` run by a test prints its verification steps; the test failed.
    log = (
        "________________________ test_web5_dhparam_is_used ________________________\n"
        "E       AssertionError: assert 'DH' in ''\n"
        "----------------------------- Captured stderr call -----------------------------\n"
        "verify error:num=20:unable to get local issuer certificate\n"
        "verify error:num=21:unable to verify the first certificate\n"
        "=========================== short test summary info ============================\n"
        "FAILED test/test_ssl/test_dhparam.py::test_web5_dhparam_is_used - AssertionError\n"
    )
    fingerprint = analyze_log([log.encode()], hooks=Hooks(make_plugin_manager())).fingerprint
    assert fingerprint.category is Category.TEST_FAILURE
