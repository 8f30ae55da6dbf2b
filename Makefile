# DeltaStream: `make run` starts everything on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
BSTAMP := $(VENV)/.installed-bench

.PHONY: help install run test bench fuzz lint typecheck browser vendor promtool clean

help:
	@echo "make run    - set up .venv and start every role on DELTASTREAM_HOST:DELTASTREAM_PORT (default http://127.0.0.1:8000; SQLite, in-process bus)"
	@echo "make test   - set up .venv with test extras, run the gates (lint, typecheck), then the suite"
	@echo "make bench  - run the benchmarks in bench/ and print ratios against peers"
	@echo "make fuzz   - deeper schemathesis run against the OpenAPI schema"
	@echo "make lint   - ruff check and the import contracts (lint-imports, see .importlinter)"
	@echo "make typecheck - mypy on all of deltastream/"
	@echo "make vendor - refresh the dashboard's vendored front-end files from frontend/package-lock.json (npm ci)"
	@echo "make clean  - remove the venv, caches and local data"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(TSTAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test]'
	@touch $(STAMP) $@

$(BSTAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test,bench]'
	@touch $(STAMP) $(TSTAMP) $@

install: $(STAMP)

run: $(STAMP)
	$(PY) -m deltastream run

# The gates run first: a broken import contract or a type error fails `make test` (and CI).
test: lint typecheck browser promtool
	$(PY) -m pytest

bench: $(BSTAMP)
	$(PY) -m bench

fuzz: $(TSTAMP)
	DELTASTREAM_FUZZ_EXAMPLES=500 $(PY) -m pytest tests/test_fuzz.py -p no:randomly

lint: $(TSTAMP)
	$(VENV)/bin/ruff check deltastream tests migrations bench
	$(VENV)/bin/lint-imports --no-cache

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@scripts/ensure-chromium

# The dashboard's front-end packages (committed under deltastream/dashboard/static/vendor/).
vendor:
	scripts/vendor-frontend

# Debian's promtool, unpacked into a cache dir (no service starts); without it the promtool tests skip.
promtool:
	@scripts/ensure-promtool >/dev/null

typecheck: $(TSTAMP)
	$(VENV)/bin/mypy deltastream

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis data build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
