#!/usr/bin/env bash
# One install step on one line: "[1/4] system packages … done (12 s)".
# The command's own output goes to the log file; when it fails, its last lines are shown.
# Usage: scripts/step.sh LOG "[1/4] label" command [args...]
# Environment: VERBOSE=1 shows the command's output as it runs (and still logs it).
set -euo pipefail

log_file=$1
label=$2
shift 2
mkdir -p "$(dirname "$log_file")"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

printf '%s … ' "$label"
[ "${VERBOSE:-0}" != 1 ] || printf '\n'
start=$SECONDS
status=0
if [ "${VERBOSE:-0}" = 1 ]; then
  "$@" 2>&1 | tee "$out" || status=$?
else
  "$@" >"$out" 2>&1 || status=$?
fi
elapsed=$((SECONDS - start))
{
  printf '==== %s %s (exit %s, %s s)\n' "$(date '+%F %T')" "$label" "$status" "$elapsed"
  cat "$out"
} >>"$log_file"

if [ "$status" -eq 0 ]; then
  printf 'done (%s s)\n' "$elapsed"
  exit 0
fi
printf 'failed (%s s)\n' "$elapsed"
if [ "${VERBOSE:-0}" != 1 ]; then
  printf -- '---- the last lines of its output (all of it is in %s):\n' "$log_file" >&2
  tail -n 40 "$out" >&2
  printf -- '----\n' >&2
fi
exit "$status"
