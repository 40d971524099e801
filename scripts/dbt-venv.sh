#!/usr/bin/env bash
# Create VENV (default .venv-dbt) with dbt-metricflow and dbt-duckdb, for the test that compares
# onpace's numbers with MetricFlow's (tests/importers, ADR 0019). Kept apart from .venv so that
# dbt's pins never constrain onpace's own dependencies.
# Usage: PYTHON=python3.11 scripts/dbt-venv.sh [VENV]
#
# Idempotent: a stamp file (VENV/.installed-dbt) records the requirements installed; when it
# matches, nothing runs. INSTALLER (environment) as in scripts/python-deps.sh: auto (uv when
# available, else pip), uv or pip.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=dbt-venv

venv=${1:-.venv-dbt}
installer=${INSTALLER:-auto}
# dbt-core 1.12's build downloads from a host this machine cannot reach (docs/dbt.md)
requirements=("dbt-metricflow[dbt-duckdb]" "dbt-core>=1.11,<1.12")
stamp="$venv/.installed-dbt"
wanted="${requirements[*]}"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/mf" ]; then
  log "$venv is up to date ($wanted)"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  python=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
  [ -n "$python" ] || die "no python3.11 or python3 found; set PYTHON=..."
  log "creating $venv with $python ($("$python" --version 2>&1))"
  "$python" -m venv "$venv"
fi

uv_bin() {
  if command -v uv >/dev/null 2>&1; then
    command -v uv
  elif [ -x .venv/bin/uv ]; then
    printf '%s\n' .venv/bin/uv
  elif [ -x "$venv/bin/uv" ]; then
    printf '%s\n' "$venv/bin/uv"
  else
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q uv >&2 || return 1
    printf '%s\n' "$venv/bin/uv"
  fi
}

with_pip() {
  log "pip install $wanted"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input "${requirements[@]}"
}

with_uv() {
  local uv
  uv=$(uv_bin) || return 1
  log "uv pip install $wanted ($("$uv" --version))"
  "$uv" pip install --python "$venv/bin/python" "${requirements[@]}"
}

case "$installer" in
  pip) with_pip ;;
  uv) with_uv ;;
  auto) with_uv || { log "uv did not install: trying pip"; with_pip; } ;;
  *) die "INSTALLER is '$installer': auto, uv or pip" ;;
esac
[ -x "$venv/bin/mf" ] || die "$venv/bin/mf is missing after the install"
printf '%s\n' "$wanted" >"$stamp"
log "$venv ready ($("$venv/bin/dbt" --version 2>&1 | head -n 2 | tr '\n' ' '))"
