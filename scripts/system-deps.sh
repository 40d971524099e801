#!/usr/bin/env bash
# System packages the Python install needs, installed with apt-get only when missing:
#   - libmariadb-dev, pkg-config and a C compiler: mysqlclient (the "mysql" extra) builds from source;
#   - Java 17 or later for Spark (the "spark" extra); an existing Java is kept;
#   - Pango and a font: WeasyPrint renders the reports' PDF with them (ADR 0016);
#   - for Debian's own python3: its venv module and headers.
# Usage: PYTHON=python3.11 scripts/system-deps.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=system-deps

PYTHON="${PYTHON:-python3}"
wanted=()

# mysqlclient: compiled against the MariaDB client headers, found with pkg-config.
mapfile -t missing < <(missing_packages libmariadb-dev pkg-config)
wanted+=("${missing[@]}")
if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  wanted+=(gcc libc6-dev)
fi

# The reports' PDF: WeasyPrint lays text out with Pango (loaded at run time) and needs a font.
mapfile -t missing < <(missing_packages libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core)
wanted+=("${missing[@]}")

# Spark 4 needs Java 17+.
java_major() {
  local java=$1 version
  version="$("$java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  version="${version#1.}"        # "1.8.0_392" -> "8.0_392"
  printf '%s\n' "${version%%[.+_-]*}"
}
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/java}"
java_bin="${java_bin:-$(command -v java || true)}"
if [ -n "$java_bin" ] && [ -x "$java_bin" ]; then
  major="$(java_major "$java_bin")"
  if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 17 ]; then
    log "Java $major found at $java_bin"
  else
    log "Java at $java_bin is version '${major:-unknown}', Spark needs 17 or later"
    wanted+=(default-jre-headless)
  fi
else
  wanted+=(default-jre-headless)
fi

# Debian's python3 ships venv/ensurepip and the C headers as separate packages.
py_path="$(command -v "$PYTHON" || true)"
[ -n "$py_path" ] || die "no '$PYTHON' found; install Python 3.11 or set PYTHON=..."
case "$(readlink -f "$py_path")" in
  /usr/bin/*)
    "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || wanted+=(python3-venv)
    "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
      || wanted+=(python3-dev)
    ;;
esac

if [ "${#wanted[@]}" -eq 0 ]; then
  log "system packages are present"
else
  apt_install "${wanted[@]}"
fi
