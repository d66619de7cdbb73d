"""GitHub Actions logs for integration scenarios (lines taken from real job logs)."""

from __future__ import annotations

from ci_rescue_providers.simulators.github import format_actions_log

PASSING = format_actions_log(
    ["##[group]Run pytest", "pytest", "##[endgroup]", "collected 12 items", "12 passed in 1.20s"]
)


def pytest_failure(test: str, error: str) -> str:
    """A failing pytest step for *test* with assertion *error*."""
    return format_actions_log(
        [
            "##[group]Run pytest",
            "pytest",
            "##[endgroup]",
            "collected 12 items",
            "",
            "=================================== FAILURES ===================================",
            f"___________________________ {test.split('::')[-1]} ___________________________",
            f"E       {error}",
            "=========================== short test summary info ============================",
            f"FAILED {test} - {error}",
            "========================= 1 failed, 11 passed in 1.31s =========================",
            "##[error]Process completed with exit code 1.",
        ]
    )


NETWORK = format_actions_log(
    [
        "##[group]Run actions/checkout@v4",
        "with:",
        "  repository: acme/app",
        "##[endgroup]",
        "Syncing repository: acme/app",
        "[command]/usr/bin/git -c protocol.version=2 fetch --no-tags --prune "
        "--no-recurse-submodules --depth=1 origin +refs/heads/main:refs/remotes/origin/main",
        "fatal: unable to access 'https://github.com/acme/app/': "
        "Could not resolve host: github.com",
        "The process '/usr/bin/git' failed with exit code 128",
        "##[error]The process '/usr/bin/git' failed with exit code 128",
    ]
)

MISSING_SECRET = format_actions_log(
    [
        "##[group]Run aws-actions/configure-aws-credentials@v4",
        "with:",
        "  aws-region: us-east-1",
        "##[endgroup]",
        "##[error]Credentials could not be loaded, please check your action inputs: "
        "Could not load credentials from any providers",
    ]
)
