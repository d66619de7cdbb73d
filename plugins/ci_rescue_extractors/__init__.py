"""Built-in log extractor plugins (``rescue_extract_failures``), one per ecosystem.

Registered by entry point (see ``pyproject.toml``):

* :mod:`~ci_rescue_extractors.pytest_extractor` — pytest, unittest and Python tracebacks
  (its state and conclusions in :mod:`~ci_rescue_extractors.python_report`);
* :mod:`~ci_rescue_extractors.go_extractor` — ``go test``, panics, Go build errors;
* :mod:`~ci_rescue_extractors.js_extractor` — Jest, Vitest, Mocha, TAP, Karma;
* :mod:`~ci_rescue_extractors.jvm_extractor` — Surefire, Gradle, Ant, javac / kotlinc / scalac;
* :mod:`~ci_rescue_extractors.rust_extractor` — rustc, cargo, ``cargo test``;
* :mod:`~ci_rescue_extractors.compiler_extractor` — GCC / Clang, MSVC, tsc, xcodebuild...;
* :mod:`~ci_rescue_extractors.lint_extractor` — linters, formatters, static checkers;
* :mod:`~ci_rescue_extractors.deps_extractor` — dependency resolution of every package manager;
* :mod:`~ci_rescue_extractors.junit_extractor` — JUnit XML reports and the xUnit family's
  console output (:mod:`~ci_rescue_extractors.xunit_text`);
* :mod:`~ci_rescue_extractors.infra` — missing secrets, permissions, network, timeouts, OOM and
  the job's exit code (rules in :mod:`~ci_rescue_extractors.infra_rules`).

:mod:`~ci_rescue_extractors.linerules` holds what the rule-based extractors share.
"""
