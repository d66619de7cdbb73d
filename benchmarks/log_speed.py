"""How fast ``analyze_log`` reads a big log, and how much memory it needs.

Builds a synthetic log of ``--size-mb`` megabytes (default 200) in a temporary directory from the
real CI logs of the shared corpus — GitHub Actions logs mostly, some Travis CI logs — with
realistic failure lines (pytest failures, ``##[error]`` reports, network errors) sprinkled
between them, then prints:

* the throughput of ``analyze_log`` end to end, with every built-in extractor loaded through
  ``make_plugin_manager()``, on one core (run in a fresh subprocess);
* the peak resident memory of that subprocess (``resource.getrusage``), and of a subprocess
  that only imports and loads the plugins, for comparison;
* the time ``grep -cE`` takes on the same file with six keywords, and the ratio.

``--sparse`` builds the log from the corpus' passing logs without sprinkled failures (few
candidate lines, so every block is searched).  ``--baseline`` also times a log diff against a
passing log of ``--baseline-mb`` megabytes.  Run: ``python benchmarks/log_speed.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CI_RESCUE_CORPUS", REPO.parent / "shared" / "corpus"))
GREP_PATTERN = "error|fail|fatal|panic|exception|timeout"

#: Failure lines sprinkled into the synthetic log (GitHub Actions form; a timestamp is added).
SPRINKLES = (
    "FAILED tests/test_api.py::test_retry_on_503 - AssertionError: assert 502 == 200",
    "E       AssertionError: expected status 200, got 503",
    "##[error]Process completed with exit code 1.",
    "curl: (6) Could not resolve host: registry.npmjs.org",
    "npm ERR! code ERESOLVE",
    "--- FAIL: TestParseConfig (0.02s)",
    "error[E0308]: mismatched types",
    "Error: connect ECONNRESET 140.82.112.3:443",
    "ERROR: No matching distribution found for torch==2.9.9",
    "panic: runtime error: index out of range [3] with length 3",
)

#: The child process: analyse one log, print figures as JSON.
CHILD = """
import json, resource, sys, time
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.logs import analyze_log
from ci_rescue_core.logs.reader import open_source
from ci_rescue_core.plugins import make_plugin_manager

hooks = Hooks(make_plugin_manager())
log, baseline = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if log == "-":
    print(json.dumps({"rss_kib": ready}))
    sys.exit(0)
start = time.perf_counter()
cpu = time.process_time()
with open_source(log) as chunks:
    if baseline is None:
        analysis = analyze_log(chunks, hooks=hooks)
    else:
        with open_source(baseline) as passing:
            analysis = analyze_log(chunks, hooks=hooks, baseline=passing)
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "cpu": time.process_time() - cpu,
    "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "lines": analysis.total_lines,
    "category": analysis.fingerprint.category.value,
    "error_lines": len(analysis.fingerprint.error_lines),
}))
"""


def corpus_logs(*, passing: bool) -> tuple[list[bytes], list[bytes]]:
    """(GitHub Actions logs, Travis CI logs) of the corpus, holdout excluded."""
    if not (CORPUS / "logs").is_dir():
        sys.exit(f"the shared corpus is not at {CORPUS} (set CI_RESCUE_CORPUS)")
    name = "pass.log" if passing else "fail.log"
    github = [
        path.read_bytes()
        for folder in (CORPUS / "logs" / "bugswarm" / "github_data", CORPUS / "logs" / "cidiff")
        for path in sorted(folder.rglob("*.log"))
        if passing == (path.name == "pass.log")
    ]
    github += [p.read_bytes() for p in sorted((CORPUS / "flaky-eval").rglob(name))]
    travis = (
        []
        if passing
        else [p.read_bytes() for p in sorted((CORPUS / "logs" / "logchunks").rglob("*.log"))]
    )
    return github, travis


def build_log(target: Path, size: int, *, sparse: bool, seed: int = 7) -> None:
    """Write about *size* bytes of log to *target*: corpus logs, repeated, with sprinkles."""
    rng = random.Random(seed)
    github, travis = corpus_logs(passing=sparse)
    written = 0
    with target.open("wb") as out:
        while written < size:
            pool = travis if travis and rng.random() < 0.2 else github
            log = rng.choice(pool)
            if not sparse:
                lines = log.split(b"\n")
                for _ in range(max(1, len(lines) // 400)):
                    where = rng.randrange(len(lines))
                    text = rng.choice(SPRINKLES).encode()
                    lines.insert(where, b"2025-04-07T12:57:33.2943173Z " + text)
                log = b"\n".join(lines)
            if not log.endswith(b"\n"):
                log += b"\n"
            out.write(log)
            written += len(log)


def run_child(*args: str) -> dict[str, float]:
    """Run :data:`CHILD` in a fresh interpreter, return its JSON figures."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO / "plugins")])
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], check=True, capture_output=True, text=True, env=env
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def time_grep(path: Path, *, runs: int = 5) -> tuple[float, float] | None:
    """Best wall time and best CPU time of ``grep -cE`` with the six keywords (None: no grep)."""
    grep = shutil.which("grep")
    if grep is None:
        return None
    best = cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([grep, "-cE", GREP_PATTERN, str(path)], check=False, capture_output=True)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu = min(cpu, used)
    return best, cpu


def main() -> None:
    """Build the log, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--sparse", action="store_true", help="few candidate lines")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs")
    parser.add_argument("--baseline", action="store_true", help="also time a log diff")
    parser.add_argument("--baseline-mb", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ci-rescue-bench-") as tmp:
        log = Path(tmp) / "synthetic.log"
        build_log(log, args.size_mb * 1_000_000, sparse=args.sparse)
        size_mb = log.stat().st_size / 1_000_000
        idle = run_child("-")
        results = [run_child(str(log)) for _ in range(args.runs)]
        best = min(results, key=lambda r: r["seconds"])
        grep = time_grep(log)
        print(
            f"machine        : {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cpus, Python {platform.python_version()}"
        )
        print(
            f"log            : {size_mb:.0f} MB, {int(best['lines']):,} lines "
            f"({'sparse' if args.sparse else 'failures sprinkled'}); "
            f"category {best['category']}, {int(best['error_lines'])} error lines"
        )
        print(
            f"analyze_log    : {best['seconds']:.2f} s = {size_mb / best['seconds']:.0f} MB/s "
            f"(best of {args.runs}: " + ", ".join(f"{r['seconds']:.2f}" for r in results) + ")"
        )
        print(
            f"peak RSS       : {max(r['rss_kib'] for r in results) / 1024:.0f} MB "
            f"(after imports and plugin loading alone: {idle['rss_kib'] / 1024:.0f} MB)"
        )
        cpu = min(r["cpu"] for r in results)
        print(f"analyze_log cpu: {cpu:.2f} s (best process time)")
        if grep is None:
            print("grep -cE       : grep not found")
        else:
            wall, grep_cpu = grep
            print(f"grep -cE       : {wall:.2f} s, cpu {grep_cpu:.2f} s ('{GREP_PATTERN}')")
            print(
                f"ratio          : {best['seconds'] / wall:.1f}x grep (wall), "
                f"{cpu / grep_cpu:.1f}x (cpu)"
            )
        if args.baseline:
            passing = Path(tmp) / "passing.log"
            build_log(passing, args.baseline_mb * 1_000_000, sparse=True, seed=11)
            diffed = run_child(str(log), str(passing))
            print(
                f"with baseline  : {diffed['seconds']:.2f} s ({args.baseline_mb} MB passing log), "
                f"peak RSS {diffed['rss_kib'] / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
