#!/usr/bin/env bash
# Create the virtualenv VENV with PYTHON (3.11 or later) when it does not exist yet.
# Usage: PYTHON=python3.11 scripts/venv.sh .venv
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=venv

venv=${1:?usage: scripts/venv.sh VENV}
if [ -x "$venv/bin/python" ]; then
  log "$venv exists ($("$venv/bin/python" --version 2>&1))"
  exit 0
fi
[ -n "${PYTHON:-}" ] || die "no python3.11 or python3 found; set PYTHON=..."
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$PYTHON is older than Python 3.11"
log "creating $venv with $PYTHON ($("$PYTHON" --version 2>&1))"
"$PYTHON" -m venv "$venv"
