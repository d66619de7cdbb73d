"""The dependency-resolution extractor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_core.models import Category
from ci_rescue_extractors.deps_extractor import rescue_extract_failures as deps

from .snippets import best, excerpt, run, snippet


def test_maven_unresolved_dependency() -> None:
    result = run(deps, snippet("maven_unresolved_dependency.log"))
    assert result.ecosystem == "maven"
    assert result.category is Category.DEPENDENCY_RESOLUTION
    assert "Could not resolve dependencies for project" in best(result).line.text


def test_docker_manifest_unknown() -> None:
    result = run(deps, snippet("docker_manifest_unknown.log"))
    assert result.ecosystem == "docker"
    assert "manifest unknown" in best(result).line.text


def test_node_missing_package() -> None:
    result = run(deps, snippet("node_missing_module.log"))
    assert result.ecosystem == "node"
    assert "Cannot find module '@hapi/wreck'" in best(result).line.text


@pytest.mark.parametrize(
    ("line", "tool"),
    [
        ("ERROR: No matching distribution found for torch==9.9", "pip"),
        (
            "ERROR: Could not find a version that satisfies the requirement foo>=2 "
            "(from versions: 1.0)",
            "pip",
        ),
        ("ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/", "pip"),
        ("  \u00d7 No solution found when resolving dependencies:", "python"),
        ("SolverProblemError", "python"),
        ("npm ERR! code ERESOLVE", "npm"),
        ("npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found", "npm"),
        ('error Couldn\'t find any versions for "lodash" that matches "^9.0.0"', "yarn"),
        ("main.go:4:2: no required module provides package github.com/x/y; to add it:", "go"),
        ("go: github.com/x/y@v1.2.3: missing go.sum entry", "go"),
        ('error: failed to select a version for the requirement `serde = "^9"`', "cargo"),
        ("error: no matching package named `serdee` found", "cargo"),
        ("> Could not resolve all files for configuration ':compileClasspath'.", "maven"),
        (
            "Could not find artifact com.acme:lib:jar:1.0 in central (https://repo1.maven.org/)",
            "maven",
        ),
        ("Your requirements could not be resolved to an installable set of packages.", "composer"),
        ("Could not find gem 'rails (~> 9.0)' in any of the gem sources.", "bundler"),
        ('[!] CocoaPods could not find compatible versions for pod "Alamofire":', "cocoapods"),
        ("Package required but not available: \u2018lubridate\u2019", "r"),
        ("error NU1101: Unable to find package Foo.Bar.", "nuget"),
    ],
)
def test_resolution_failures(line: str, tool: str) -> None:
    result = run(deps, line + "\n")
    assert result.category is Category.DEPENDENCY_RESOLUTION
    assert result.ecosystem == tool


@pytest.mark.parametrize(
    "line",
    [
        "Error: Cannot find module './local-helper'",  # the project's own file
        "Collecting requests==2.31.0",
        "Downloading https://files.pythonhosted.org/packages/x.whl (63 kB)",
    ],
)
def test_not_resolution_failures(line: str) -> None:
    assert deps(excerpt(line + "\n")) is None


@given(st.from_regex(r"@?[a-z][a-z0-9\-]{0,12}(?:/[a-z][a-z0-9\-]{0,12})?", fullmatch=True))
def test_any_missing_package_name(package: str) -> None:
    result = run(deps, f"Error: Cannot find module '{package}'\n")
    assert result.category is Category.DEPENDENCY_RESOLUTION


def test_git_revision_errors_are_not_go_modules() -> None:
    line = "fatal: ambiguous argument 'src': unknown revision or path not in the working tree."
    assert deps(excerpt(line + "\n")) is None
    go = "go: github.com/acme/lib@v1.2.3: unknown revision v1.2.3\n"
    assert run(deps, go).category is Category.DEPENDENCY_RESOLUTION
