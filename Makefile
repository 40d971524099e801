# onpace developer tasks. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# Python used to create .venv (only when .venv does not exist yet).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Two installs, each with its stamp, written only when it succeeded (docs/install.md):
# the demo's (onpace and its own dependencies) and the rest (the extras and the development tools).
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_ALL := $(VENV)/.installed-all
STAMP := $(STAMP_ALL)
EXTRAS := dev,postgres,mysql,spark,dbt
# the installer: auto (uv, else pip), uv or pip (ADR 0017); VERBOSE=1 shows the install's output
INSTALLER ?= auto
export INSTALLER
INSTALL_LOG := build/install.log
STEP = bash scripts/step.sh $(INSTALL_LOG)
STEP_PYTHON = PYTHON="$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))"
# steps shown as [n/STEPS]: `make demo` has 4 (three install steps, then the demo), the full install 5
STEPS = 5
# extra pytest arguments, e.g. make test PYTEST_ARGS="-x -k fiscal"
PYTEST_ARGS ?=
LINT_PATHS = $(wildcard src tests benchmarks)
DEMO_DIR := demo-project
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000

.PHONY: help venv install system-deps services browser dbt-venv test test-unit lint format bench demo clean distclean

help:
	@echo "make install    create $(VENV) and install onpace[$(EXTRAS)] (re-runs when pyproject.toml changes)"
	@echo "                 the output of each step is in $(INSTALL_LOG); VERBOSE=1 shows it, INSTALLER=pip avoids uv"
	@echo "make services   start PostgreSQL and MariaDB for the integration tests"
	@echo "make browser    install Debian's Chromium for the browser tests (tests/e2e)"
	@echo "make dbt-venv   create .venv-dbt with dbt-metricflow and dbt-duckdb for the dbt import tests"
	@echo "make test       the whole test suite (needs the services, Java for Spark)"
	@echo "make test-unit  the tests that need no database server, Spark or browser"
	@echo "make lint       ruff check, ruff format --check, mypy"
	@echo "make format     apply ruff's fixes and formatting"
	@echo "make bench      every benchmark (benchmarks/all.py); exits non-zero when a target is missed"
	@echo "make demo       install onpace without the extras, then the demo company: its data and KPIs, a refresh,"
	@echo "                 and the web app on $(DEMO_HOST):$(DEMO_PORT)"
	@echo "make clean      remove caches and generated files; distclean also removes $(VENV)"

venv install: $(STAMP_ALL)

# What the demo needs only: Pango and a font (the reports' PDF), the virtualenv, onpace without extras.
$(STAMP_DEMO): pyproject.toml
	@$(STEP) "[1/$(STEPS)] system packages for the demo" env $(STEP_PYTHON) bash scripts/system-deps.sh demo
	@$(STEP) "[2/$(STEPS)] Python environment ($(VENV))" env PYTHON="$(PYTHON)" bash scripts/venv.sh $(VENV)
	@$(STEP) "[3/$(STEPS)] onpace and its dependencies" bash scripts/python-deps.sh $(VENV)
	@touch $@

# The rest on top: the MariaDB headers and Java, then the extras and the development tools.
$(STAMP_ALL): $(STAMP_DEMO) pyproject.toml
	@$(STEP) "[4/$(STEPS)] system packages for the extras" env $(STEP_PYTHON) bash scripts/system-deps.sh mysql spark
	@$(STEP) "[5/$(STEPS)] the extras ($(EXTRAS))" bash scripts/python-deps.sh $(VENV) $(EXTRAS)
	@touch $@

system-deps:
	$(STEP_PYTHON) bash scripts/system-deps.sh

services:
	bash scripts/services.sh

browser:
	bash scripts/browser.sh

# dbt-metricflow in its own virtualenv, for the test comparing imported dbt metrics with MetricFlow's (ADR 0019)
DBT_VENV := .venv-dbt
dbt-venv:
	@$(STEP) "dbt-metricflow for the dbt import tests ($(DBT_VENV))" env $(STEP_PYTHON) bash scripts/dbt-venv.sh $(DBT_VENV)

# Exit status 5 (no tests collected) fails the target like any other failure.
test: $(STAMP_ALL) services browser dbt-venv
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP_ALL)
	$(BIN)/pytest -m "not postgres and not mysql and not spark and not e2e" $(PYTEST_ARGS)

lint: $(STAMP_ALL)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy src

format: $(STAMP_ALL)
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

# every benchmark, with the load average during each; non-zero exit when a target is missed
# (docs/performance.md), e.g. make bench BENCH_ARGS="--only refresh-warm". make itself exits 2
# on any failure: the runner's last line names its own code and what it means.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/all.py $(BENCH_ARGS)

# the demo company (Fernhill Outdoor Co.): data, KPIs, refresh, notes, a demo login, the web app
demo: STEPS = 4
demo: $(STAMP_DEMO)
	@echo "[4/4] the demo company: data, KPIs, refresh, then the web app (onpace demo $(DEMO_DIR))"
	@$(BIN)/onpace demo $(DEMO_DIR) --host $(DEMO_HOST) --port $(DEMO_PORT)

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage .coverage.* htmlcov
	rm -rf build dist src/*.egg-info spark-warehouse metastore_db derby.log $(DEMO_DIR)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(DBT_VENV)
