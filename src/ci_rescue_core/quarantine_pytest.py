"""A pytest plugin that honours ``.ci-rescue/quarantine.yaml``.

Enable it in the repository whose tests ci-rescue quarantines (ci-rescue must be installed in
the test environment)::

    pytest -p ci_rescue_core.quarantine_pytest
    # or once, in pytest.ini / pyproject.toml:  addopts = "-p ci_rescue_core.quarantine_pytest"

Every test listed in the file (by node id, ``tests/test_x.py::TestY::test_z[param]``; an id
without ``[...]`` covers all its parametrisations) still runs, but is marked ``xfail`` (not
strict): its failure no longer fails the build, and a pass shows as XPASS.  Entries past their
``expires`` are ignored, so a quarantine ends on time by itself.  At the end the plugin prints
one line per quarantined test it ran::

    ci-rescue quarantine: pass tests/test_net.py::test_webhook_roundtrip

which ci-rescue reads from the job log to count consecutive passes and lift the quarantine
early.  Options: ``--ci-rescue-quarantine PATH`` or the ini key ``ci_rescue_quarantine``
(default ``.ci-rescue/quarantine.yaml`` under the rootdir, which may be absent; a path given
by the option or the ini key must exist).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from ci_rescue_core.errors import ConfigError
from ci_rescue_core.flake.quarantine_file import PATH, QuarantineEntry, read_quarantine

PLUGIN_NAME = "ci-rescue-quarantine"


class QuarantinePlugin:
    """The per-session state: the active entries, and what each quarantined test did."""

    def __init__(self, path: Path, entries: tuple[QuarantineEntry, ...], now: datetime) -> None:
        self.path = path
        self.active = {entry.id: entry for entry in entries if not entry.expired(now)}
        self.expired = [entry for entry in entries if entry.expired(now)]
        self.results: dict[str, str] = {}

    def entry_for(self, nodeid: str) -> QuarantineEntry | None:
        """The entry that quarantines *nodeid*: its own, or its function's (no ``[...]``)."""
        return self.active.get(nodeid) or self.active.get(nodeid.split("[", 1)[0])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Mark every quarantined test ``xfail(strict=False)``."""
        for item in items:
            entry = self.entry_for(item.nodeid)
            if entry is not None:
                reason = f"quarantined by ci-rescue until {entry.expires:%Y-%m-%d %H:%M} UTC"
                if entry.reason:
                    reason += f": {entry.reason}"
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Remember whether each quarantined test passed or failed."""
        if self.entry_for(report.nodeid) is None:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            xfailed = hasattr(report, "wasxfail")
            if report.failed or (report.skipped and xfailed):
                self.results[report.nodeid] = "fail"
            elif report.passed:
                self.results[report.nodeid] = "pass"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print one ``ci-rescue quarantine:`` line per quarantined test that ran."""
        if not self.results and not self.expired:
            return
        terminalreporter.write_sep("-", "ci-rescue quarantine")
        for nodeid, outcome in sorted(self.results.items()):
            terminalreporter.write_line(f"ci-rescue quarantine: {outcome} {nodeid}")
        for entry in self.expired:
            terminalreporter.write_line(
                f"ci-rescue quarantine: expired {entry.id} (at {entry.expires:%Y-%m-%d %H:%M} "
                f"UTC): it runs normally again"
            )


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--ci-rescue-quarantine PATH`` and the ``ci_rescue_quarantine`` ini key."""
    group = parser.getgroup("ci-rescue")
    group.addoption(
        "--ci-rescue-quarantine",
        dest="ci_rescue_quarantine",
        default=None,
        metavar="PATH",
        help=f"the quarantine list (default: {PATH} under the rootdir)",
    )
    parser.addini("ci_rescue_quarantine", help="path of the ci-rescue quarantine list")


def pytest_configure(config: pytest.Config) -> None:
    """Read the quarantine list; a broken file stops the run with a clear error."""
    configured = config.getoption("ci_rescue_quarantine") or config.getini("ci_rescue_quarantine")
    path = Path(str(configured)) if configured else Path(PATH)
    if not path.is_absolute():
        path = config.rootpath / path
    if configured and not path.is_file():
        # the default file may be absent (nothing quarantined); a file someone named must exist
        raise pytest.UsageError(
            f"ci-rescue quarantine list: {path} does not exist (set by --ci-rescue-quarantine "
            f"or the ci_rescue_quarantine ini key)"
        )
    try:
        entries = read_quarantine(path).tests
    except ConfigError as exc:
        raise pytest.UsageError(f"ci-rescue quarantine list: {exc}") from exc
    plugin = QuarantinePlugin(path, entries, datetime.now(timezone.utc))
    config.pluginmanager.register(plugin, PLUGIN_NAME)
