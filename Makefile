# Two commands on a fresh machine with Python 3.10+ and git:
#   make demo   - the whole pipeline against the bundled GitHub simulator (no network, no tokens)
#   make test   - the test suite
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint types check bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "ci-rescue needs Python 3.10 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ci-rescue demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src plugins tests examples benchmarks noxfile.py
	$(BIN)/ruff format --check src plugins tests examples benchmarks noxfile.py

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

# The benchmarks at a size that runs in well under a minute (figures printed, never asserted):
# a 20 MB log, the log-analysis quality floors, FlakeHunter's precision / recall, and scoring
# with 200,000 recorded outcomes (`python -m benchmarks.flake_scale` alone for 1,000,000).
bench: $(STAMP)
	$(BIN)/python benchmarks/log_speed.py --size-mb 20 --runs 1
	$(BIN)/python benchmarks/quality.py --no-misses
	$(BIN)/python -m benchmarks.flake_eval
	$(BIN)/python -m benchmarks.flake_scale --outcomes 200000 --repeat 5

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .nox
