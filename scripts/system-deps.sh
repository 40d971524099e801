#!/usr/bin/env bash
# System packages the Python install needs, installed with apt-get only when missing, by group:
#   demo   what `make demo` needs: for Debian's own python3 its venv module; Pango, HarfBuzz's subsetter and a font,
#          with which WeasyPrint renders the reports' PDF (ADR 0016);
#   mysql  the "mysql" extra: mysqlclient builds from source against the MariaDB client headers
#          (libmariadb-dev, pkg-config), with a C compiler and, for Debian's python3, its headers;
#   spark  the "spark" extra: Java 17 or later (an existing one is kept).
# Usage: PYTHON=python3.11 scripts/system-deps.sh [--dry-run] [demo] [mysql] [spark]
#   no group: all of them. --dry-run prints the missing packages, one a line, and installs nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=system-deps

PYTHON="${PYTHON:-python3}"
dry_run=0
groups=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    demo | mysql | spark) groups+=("$arg") ;;
    *) die "unknown group '$arg' (demo, mysql, spark)" ;;
  esac
done
[ "${#groups[@]}" -gt 0 ] || groups=(demo mysql spark)
wanted=()

# Debian's python3 path (not pyenv's, not a venv's)? Its venv module and C headers are packages of their own.
debian_python() {
  local py_path
  py_path="$(command -v "$PYTHON" || true)"
  [ -n "$py_path" ] || die "no '$PYTHON' found; install Python 3.11 or set PYTHON=..."
  case "$(readlink -f "$py_path")" in
    /usr/bin/*) return 0 ;;
    *) return 1 ;;
  esac
}

want_demo() {
  if debian_python; then
    "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || wanted+=(python3-venv)
  fi
  # The reports' PDF: WeasyPrint lays text out with Pango (loaded at run time) and needs a font;
  # it subsets the fonts it embeds with HarfBuzz's subsetter (70 warns without it, a test failure).
  mapfile -t missing < <(missing_packages libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core)
  wanted+=(${missing[@]+"${missing[@]}"})
}

want_mysql() {
  # mysqlclient: compiled against the MariaDB client headers, found with pkg-config.
  mapfile -t missing < <(missing_packages libmariadb-dev pkg-config)
  wanted+=(${missing[@]+"${missing[@]}"})
  if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    wanted+=(gcc libc6-dev)
  fi
  if debian_python; then
    "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
      || wanted+=(python3-dev)
  fi
}

# Spark 4 needs Java 17+.
java_major() {
  local java=$1 version
  version="$("$java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  version="${version#1.}" # "1.8.0_392" -> "8.0_392"
  printf '%s\n' "${version%%[.+_-]*}"
}

want_spark() {
  local java_bin major
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/java}"
  java_bin="${java_bin:-$(command -v java || true)}"
  if [ -n "$java_bin" ] && [ -x "$java_bin" ]; then
    major="$(java_major "$java_bin")"
    if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 17 ]; then
      log "Java $major found at $java_bin"
      return 0
    fi
    log "Java at $java_bin is version '${major:-unknown}', Spark needs 17 or later"
  fi
  wanted+=(default-jre-headless)
}

for group in "${groups[@]}"; do
  "want_$group"
done

if [ "$dry_run" -eq 1 ]; then
  [ "${#wanted[@]}" -eq 0 ] || printf '%s\n' "${wanted[@]}"
elif [ "${#wanted[@]}" -eq 0 ]; then
  log "system packages for ${groups[*]} are present"
else
  apt_install "${wanted[@]}"
fi
