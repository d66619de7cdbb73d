"""Extractor plugin for dependency resolution: a package, module, plugin or image is not to be had.

Each package manager says it its own way; the rules below are the messages each prints when
resolution fails (not when a download is merely slow): pip / uv / poetry, npm / yarn / pnpm
and Node's ``Cannot find module``, ``go mod``, cargo, Maven / Gradle / Leiningen / sbt,
Composer, Bundler, CocoaPods, R, NuGet / dotnet, Docker image manifests.

A resolution failure caused by a network error (``Could not transfer artifact ...: 503``)
still reads as ``dependency_resolution`` here; the infrastructure extractor scores the network
error itself, and the most confident of the two wins.
"""

from __future__ import annotations

from ci_rescue_core.hookspecs import hookimpl
from ci_rescue_core.logs.excerpt import Extraction, LogExcerpt
from ci_rescue_core.models import Category
from ci_rescue_extractors.linerules import Findings, Rule, rule

_D = Category.DEPENDENCY_RESOLUTION

#: (rule, ecosystem) pairs, most specific first.
_RULES: tuple[tuple[Rule, str | None], ...] = (
    # Python.
    (rule(r"No matching distribution found for \S", 0.9, _D, needle="No matching"), "pip"),
    (
        rule(
            r"Could not find a version that satisfies the requirement",
            0.85,
            _D,
            needle="satisfies the requirement",
        ),
        "pip",
    ),
    (
        rule(
            r"ResolutionImpossible|conflicting dependencies|Cannot install .* because these "
            r"package versions",
            0.85,
            _D,
        ),
        "pip",
    ),
    (
        rule(
            r"Failed (?:building wheel|to build) (?:for )?\S",
            0.7,
            _D,
            confidence=0.65,
            needle="Failed",
        ),
        "pip",
    ),
    (
        rule(
            r"No solution found when resolving dependencies|version solving failed"
            r"|SolverProblemError|Unable to find installation candidates",
            0.9,
            _D,
        ),
        "python",
    ),
    (
        rule(
            r"Because .{1,200} depends on .{1,200}(?:we can conclude|requirements are unsatisfiable"
            r"|version solving failed)",
            0.8,
            _D,
            needle="depends on",
        ),
        "python",
    ),
    # JavaScript.
    (
        rule(r"ERESOLVE|unable to resolve dependency tree|Could not resolve dependency:", 0.9, _D),
        "npm",
    ),
    (
        rule(
            r"npm ERR! (?:code )?E?404\b|npm ERR! 404 |ETARGET|No matching version found for"
            r"|notarget",
            0.85,
            _D,
        ),
        "npm",
    ),
    (
        rule(
            r"Couldn't find any versions for \"|Couldn't find package \"|error An unexpected "
            r"error occurred: \"https?://registry\.\S+: Not found",
            0.85,
            _D,
        ),
        "yarn",
    ),
    (
        rule(
            r"(?:Error: )?Cannot find module '(?![./])[^']+'",
            0.8,
            _D,
            confidence=0.7,
            needle="Cannot find module",
        ),
        "node",
    ),
    (
        rule(
            r"Module not found: Error: Can't resolve '(?![./])",
            0.8,
            _D,
            confidence=0.7,
            needle="Can't resolve",
        ),
        "node",
    ),
    (rule(r"ERR_PNPM_(?:NO_MATCHING_VERSION|FETCH_404|PEER_DEP)", 0.85, _D), "pnpm"),
    # Go modules.
    (
        rule(
            r"missing go\.sum entry|no required module provides package|cannot find module "
            r"providing package|@[\w.\-+]+: (?:unknown revision|invalid version)"
            r"|go: inconsistent vendoring|module .* found, but does not contain package"
            r"|go: updates to go\.mod needed",
            0.85,
            _D,
        ),
        "go",
    ),
    (
        rule(
            r"\S+@v[\w.\-+]+: (?:reading|Get|verifying|unrecognized import path)",
            0.6,
            _D,
            confidence=0.55,
            needle="@v",
        ),
        "go",
    ),
    # Rust.
    (
        rule(
            r"failed to select a version for|no matching package named|failed to get `\S+` as a "
            r"dependency|failed to load source for dependency|could not find `\S+` in registry",
            0.9,
            _D,
        ),
        "cargo",
    ),
    # JVM.
    (
        rule(
            r"Could not resolve dependencies for project|could not be resolved: |Could not find "
            r"artifact \S|Failure to find \S+ in \S+ was cached|Non-resolvable (?:parent|import) "
            r"POM|Could not resolve all (?:files|dependencies|artifacts) for configuration"
            r"|Could not resolve [\w.\-]+:[\w.\-]+(?::[\w.\-]+)?\.?$|Could not find [\w.\-]+:"
            r"[\w.\-]+:[\w.\-]+\.|ArtifactResolutionException|DependencyResolutionException"
            r"|PluginResolutionException|unresolved dependenc",
            0.85,
            _D,
        ),
        "maven",
    ),
    (rule(r"Could not transfer artifact \S+ from/to", 0.7, _D, confidence=0.6), "maven"),
    # PHP, Ruby, Cocoa, R, .NET.
    (
        rule(
            r"Your requirements could not be resolved to an installable set of packages",
            0.6,
            _D,
            confidence=0.9,
        ),
        "composer",
    ),
    (
        rule(
            r"^\s*- (?:The requested package \S+|Root composer\.json requires \S+)"
            r"|^\s*- \S+ requires \S+ .*-> (?:no matching package|satisfiable by)",
            0.85,
            _D,
        ),
        "composer",
    ),
    (
        rule(
            r"Could not find gem '|Bundler could not find compatible versions|Could not find "
            r"[\w.\-]+-[\d.]+ in any of the sources|Gem::MissingSpecError",
            0.85,
            _D,
        ),
        "bundler",
    ),
    (
        rule(
            r"could not find compatible versions for pod|Unable to find a specification for"
            r"|None of your spec sources contain a spec satisfying",
            0.85,
            _D,
        ),
        "cocoapods",
    ),
    (
        rule(
            r"Package required but not available|there is no package called|ERROR: dependenc"
            r"(?:y|ies) .* (?:is|are) not available|package .* is not available",
            0.85,
            _D,
        ),
        "r",
    ),
    (rule(r"error NU1[0-9]{3}|Unable to find package \S|Unable to resolve '", 0.85, _D), "nuget"),
    (
        rule(
            r"An? error occu?rr?ed while (?:installing|restoring|downloading|resolving)",
            0.75,
            _D,
            confidence=0.7,
        ),
        None,
    ),
    # Container images.
    (
        rule(
            r"manifest unknown|manifest for \S+ not found|pull access denied for \S+, repository "
            r"does not exist|repository \S+ not found",
            0.9,
            _D,
        ),
        "docker",
    ),
    # A package server saying "not found".
    (rule(r"\b404 Not Found\b|\bFailure 404\b", 0.65, _D, confidence=0.5), None),
)


@hookimpl
def rescue_extract_failures(excerpt: LogExcerpt) -> Extraction | None:
    """Find dependency-resolution failures in a log excerpt.

    :param excerpt: the redacted candidate lines of the log.
    :returns: the findings, or ``None`` when no resolution failure is reported.
    """
    findings = Findings()
    ecosystem: str | None = None
    for line in excerpt.bounded_lines():
        text = line.text
        for candidate, tool in _RULES:
            if candidate.search(text) is not None:
                findings.apply(candidate, line)
                ecosystem = ecosystem or tool
                break
    if not findings.scored:
        return None
    return findings.extraction(ecosystem)
