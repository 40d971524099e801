# onpace developer tasks. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# Python used to create .venv (only when .venv does not exist yet).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := dev,postgres,mysql,spark
# extra pytest arguments, e.g. make test PYTEST_ARGS="-x -k fiscal"
PYTEST_ARGS ?=
LINT_PATHS = $(wildcard src tests benchmarks)
DEMO_DIR := demo-project
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000

.PHONY: help venv install system-deps services browser test test-unit lint format bench demo clean distclean

help:
	@echo "make install    create $(VENV) and install onpace[$(EXTRAS)] (re-runs when pyproject.toml changes)"
	@echo "make services   start PostgreSQL and MariaDB for the integration tests"
	@echo "make browser    install Debian's Chromium for the browser tests (tests/e2e)"
	@echo "make test       the whole test suite (needs the services, Java for Spark)"
	@echo "make test-unit  the tests that need no database server, Spark or browser"
	@echo "make lint       ruff check, ruff format --check, mypy"
	@echo "make format     apply ruff's fixes and formatting"
	@echo "make bench      run benchmarks/engine.py, refresh.py and web.py"
	@echo "make demo       the demo company: generate its data and KPIs, refresh, and serve the web app on $(DEMO_HOST):$(DEMO_PORT)"
	@echo "make clean      remove caches and generated files; distclean also removes $(VENV)"

venv install: $(STAMP)

# System packages first (mysqlclient compiles against the MariaDB headers),
# then the virtualenv. The stamp is only written when everything succeeded.
$(STAMP): pyproject.toml
	PYTHON="$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))" bash scripts/system-deps.sh
	@if [ ! -x $(BIN)/python ]; then \
		[ -n "$(PYTHON)" ] || { echo "no python3.11 or python3 found; set PYTHON=..." >&2; exit 1; }; \
		"$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
			|| { echo "$(PYTHON) is older than Python 3.11" >&2; exit 1; }; \
		echo "creating $(VENV) with $(PYTHON)"; \
		"$(PYTHON)" -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

system-deps:
	PYTHON="$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))" bash scripts/system-deps.sh

services:
	bash scripts/services.sh

browser:
	bash scripts/browser.sh

# Exit status 5 (no tests collected) fails the target like any other failure.
test: $(STAMP) services browser
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/pytest -m "not postgres and not mysql and not spark and not e2e" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy src

format: $(STAMP)
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/refresh.py
	$(BIN)/python benchmarks/web.py

# the demo company (Fernhill Outdoor Co.): data, KPIs, refresh, notes, a demo login, the web app
demo: $(STAMP)
	$(BIN)/onpace demo $(DEMO_DIR) --host $(DEMO_HOST) --port $(DEMO_PORT)

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage .coverage.* htmlcov
	rm -rf build dist src/*.egg-info spark-warehouse metastore_db derby.log $(DEMO_DIR)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
