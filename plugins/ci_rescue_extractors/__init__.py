"""Built-in log extractor plugins (``rescue_extract_failures``).

* :mod:`ci_rescue_extractors.pytest_extractor` — pytest, unittest and Python tracebacks.
* :mod:`ci_rescue_extractors.infra` — missing secrets, permissions, network, timeouts, OOM and
  the job's exit code.
"""
