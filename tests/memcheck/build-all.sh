#!/usr/bin/env bash
# Build the three memory-checking venvs of `make memcheck` before its runs,
# two at a time (CMPI_SETUP_JOBS, as tools/setup.sh): .venv/asan-openmpi,
# .venv/asan-mpich (ASan+UBSan) and .venv/vg-openmpi (valgrind).  Each is
# one compile of csrc/MPI.c on one core (65-90 s on the 2-core machine); one
# after the other they took 3.5 minutes of CI.  The run scripts, given
# CMPI_MEMCHECK_BUILT=1, then use these venvs as they are.
#
#   tests/memcheck/build-all.sh
#
# A failed build prints its log and fails the script.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.."
. tests/memcheck/build-venv.sh
say() { printf '\033[1m[memcheck]\033[0m %s\n' "$*"; }

# One build (called by the xargs below): NAME FLAVOR, its output in a log
# shown only if it fails.
if [ $# -eq 2 ]; then
  log=$(mktemp /tmp/cmpi-memcheck-build.XXXXXX)
  t0=$(date +%s)
  args=$(memcheck_build_args "$1") || exit 2
  # shellcheck disable=SC2086  # no argument or one, without spaces
  if build_venv "$2" "$1" $args >"$log" 2>&1; then
    say "built .venv/$1-$2 in $(( $(date +%s) - t0 )) s"
    rm -f "$log"
  else
    say "building .venv/$1-$2 failed:"
    cat "$log"
    rm -f "$log"
    exit 1
  fi
  exit 0
fi

# Debian's MPI compiler wrappers are set up once, before the builds run
# side by side (build_venv would otherwise run tools/setup.sh in each).
for flavor in openmpi mpich; do
  command -v "mpicc.$flavor" >/dev/null || tools/setup.sh "$flavor"
done
jobs=${CMPI_SETUP_JOBS:-2}
say "building .venv/asan-openmpi, .venv/asan-mpich and .venv/vg-openmpi, $jobs at a time"
printf '%s\n' "asan mpich" "asan openmpi" "vg openmpi" |
  xargs -P "$jobs" -L 1 "$self"
