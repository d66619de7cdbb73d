"""The public API is a table of contents: everything promised is importable, sorted, typed."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import ci_rescue_core


def test_all_names_resolve_and_are_sorted() -> None:
    names = ci_rescue_core.__all__
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(ci_rescue_core, name) is not None, name


def test_version_comes_from_the_installed_distribution() -> None:
    assert ci_rescue_core.__version__ == metadata.version("ci-rescue")


def test_the_packages_are_typed() -> None:
    for package in ("ci_rescue_core", "ci_rescue_providers"):
        module = __import__(package)
        assert (Path(module.__file__).parent / "py.typed").is_file()


def test_core_imports_no_provider_or_strategy_by_name() -> None:
    root = Path(ci_rescue_core.__file__).parent
    offenders = []
    for source in root.rglob("*.py"):
        if source.parent.name == "cli" and source.name == "demo.py":
            continue  # the demo command loads the bundled simulator lazily, by design
        text = source.read_text(encoding="utf-8")
        for banned in (
            "ci_rescue_providers",
            "ci_rescue_strategies",
            "ci_rescue_evidence",
            "ci_rescue_extractors",
        ):
            if f"import {banned}" in text or f"from {banned}" in text:
                offenders.append(f"{source.relative_to(root)} imports {banned}")
    assert offenders == []
