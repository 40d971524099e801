#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/e2e), installed with apt-get when missing.
# Playwright drives it through executable_path; it never downloads a browser of its own.
# Also poppler-utils (pdftoppm, pdftotext, pdfimages, pdfinfo): the report tests read the PDFs with them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=browser
wanted=()

if [ -n "${ONPACE_CHROMIUM:-}" ] && [ -x "${ONPACE_CHROMIUM}" ]; then
  log "Chromium at $ONPACE_CHROMIUM"
elif command -v chromium >/dev/null 2>&1; then
  log "Chromium found: $(chromium --version 2>/dev/null | head -n1)"
else
  wanted=(chromium)
fi
mapfile -t missing < <(missing_packages poppler-utils)
apt_install ${wanted[@]+"${wanted[@]}"} ${missing[@]+"${missing[@]}"}
