"""nox sessions: tests on every installed Python from 3.10 to 3.13, lint, types, examples.

``make test`` is the quick path (one Python, in .venv); ``nox`` is the thorough one.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

nox.options.sessions = ["tests", "lint", "types", "examples"]
nox.options.reuse_existing_virtualenvs = True

SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


def _interpreter(version: str) -> str | None:
    """A working interpreter for *version*: on PATH, or installed by pyenv but not activated."""
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    return None


INSTALLED = [path for path in map(_interpreter, SUPPORTED) if path]


@nox.session(python=INSTALLED or SUPPORTED[-1:])
def tests(session: nox.Session) -> None:
    """The test suite on one Python version."""
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python=INSTALLED[:1] or None)
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff")
    paths = ["src", "plugins", "tests", "examples", "benchmarks", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session(python=INSTALLED[:1] or None)
def types(session: nox.Session) -> None:
    """mypy --strict, for the oldest supported Python."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=INSTALLED[:1] or None)
def examples(session: nox.Session) -> None:
    """The example plugin distribution installs, registers by entry point and is used."""
    session.install("-e", ".[test]", "-e", "examples/remedy_plugin")
    session.run("pytest", "-q", "examples")
