#!/usr/bin/env bash
# Install onpace (editable) with the given extras into the virtualenv VENV.
# Usage: scripts/python-deps.sh VENV [EXTRAS]      e.g. scripts/python-deps.sh .venv dev,postgres
#
# INSTALLER (environment) chooses the installer (ADR 0017):
#   auto (default)  uv, installed with pip into VENV; pip when uv cannot be installed or fails;
#   uv              uv only;
#   pip             pip only (e.g. where pip is configured for a private index that uv does not read).
# Both reuse their download cache; pip's PIP_NO_CACHE_DIR=1 and uv's UV_NO_CACHE=1 turn it off.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=python-deps

venv=${1:?usage: scripts/python-deps.sh VENV [EXTRAS]}
extras=${2:-}
installer=${INSTALLER:-auto}
spec="."
[ -z "$extras" ] || spec=".[$extras]"
python="$venv/bin/python"
# uv's own version, kept to one minor release line so that a new uv cannot change how the install runs
UV_SPEC=${UV_SPEC:-"uv>=0.13,<0.14"}
[ -x "$python" ] || die "no virtualenv at $venv (scripts/venv.sh creates it)"

with_pip() {
  log "pip install -e $spec"
  "$python" -m pip install --disable-pip-version-check --no-input -e "$spec"
}

with_uv() {
  if [ ! -x "$venv/bin/uv" ]; then
    log "pip install $UV_SPEC"
    "$python" -m pip install --disable-pip-version-check --no-input "$UV_SPEC" || return 1
  fi
  log "uv pip install -e $spec ($("$venv/bin/uv" --version))"
  "$venv/bin/uv" pip install --python "$python" -e "$spec"
}

case "$installer" in
  pip) with_pip ;;
  uv) with_uv ;;
  auto) with_uv || { log "uv did not install $spec: trying pip"; with_pip; } ;;
  *) die "INSTALLER is '$installer': auto, uv or pip" ;;
esac
