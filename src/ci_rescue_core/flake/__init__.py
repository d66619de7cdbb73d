"""FlakeHunter: tell a flaky failure from a real breakage, and quarantine with expiry.

- :mod:`.observations`, :mod:`.cells` — a test's outcomes, grouped by job and commit;
- :mod:`.params`, :mod:`.model`, :mod:`.factors`, :mod:`.assess` — the model (docs/flakes.md);
- :mod:`.verdict` — core's combination of every plugin's evidence into verdicts;
- :mod:`.mass`, :mod:`.generic`, :mod:`.fingerprint` — mass failures, generic error lines,
  per-test failure fingerprints;
- :mod:`.history`, :mod:`.recording`, :mod:`.hunter`, :mod:`.backfill` — what is recorded and
  how the pipeline uses it;
- :mod:`.quarantine_file`, :mod:`.keeper`, :mod:`.release`, :mod:`.sweeper` — the quarantine
  list, the quarantines' lifecycle, the change requests that release them, the periodic sweep;
- :mod:`.jsonl`, :mod:`.batch` — ``ci-rescue flake-score``.
"""
