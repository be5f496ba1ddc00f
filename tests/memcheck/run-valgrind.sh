#!/usr/bin/env bash
# Run the point-to-point and collective tests at 2 ranks under valgrind's
# memcheck.  Exits non-zero on any memcheck error that the suppression files
# do not name, on any failed test, or on a rank that died; prints a summary.
#
#   tests/memcheck/run-valgrind.sh [openmpi|mpich]     (default: openmpi)
#   NP=2  CMPI_VALGRIND_TESTS='tests/mpi/...'  CMPI_VALGRIND_K='pytest -k expr'
#
# cmpi is built (-O2 -g) into .venv/vg-MPI.  Suppressions: valgrind.supp
# (this directory, each entry explained: errors inside the MPI library or
# CPython only), plus the MPI library's and Debian's CPython suppressions.
# An error with cmpi's MPI.cpython*.so in its stack is never suppressed.
# Leaks are not checked here: at exit CPython, NumPy and Open MPI's
# initialization leave hundreds of blocks behind; tests/mpi/test_refleaks.py
# checks that cmpi's calls leak neither references nor memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/memcheck/build-venv.sh

flavor=${1:-openmpi}
np=${NP:-2}
venv=.venv/vg-$flavor
here=tests/memcheck
say() { printf '\033[1m[valgrind]\033[0m %s\n' "$*"; }

if ! command -v valgrind >/dev/null; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  say "installing valgrind"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
mpiexec_cmd "$flavor" "$np"
memcheck_venv "$flavor" vg

supps=(--suppressions="$PWD/$here/valgrind.supp")
for f in /usr/lib/valgrind/python3.supp /usr/share/openmpi/openmpi-valgrind.supp; do
  [ -f "$f" ] && supps+=(--suppressions="$f")
done

# Under valgrind Python runs some 50 times slower (pytest's own work per
# test costs about a second), so this is a selection, ~150 tests, about 5
# minutes on 2 cores: every test of test_p2p_buf, test_p2p_obj,
# test_coll_buf and test_coll_obj on COMM_WORLD, but not the SELF, DUP and
# SPLIT repeats (the same C code on another handle), and test_allreduce_ops
# for int32 only (the other dtypes take the same path with another
# MPI_Datatype).  CMPI_VALGRIND_K='' runs all 344.
tests=${CMPI_VALGRIND_TESTS:-"tests/mpi/test_p2p_buf.py tests/mpi/test_p2p_obj.py tests/mpi/test_coll_buf.py tests/mpi/test_coll_obj.py"}
kexpr=${CMPI_VALGRIND_K-"not DUP and not SPLIT and not SELF and (not test_allreduce_ops or int32)"}

logdir=$(mktemp -d /tmp/cmpi-vg-logs.XXXXXX)
outdir=$(mktemp -d /tmp/cmpi-vg-tests.XXXXXX)
mpi_job_env "$flavor"
# PYTHONMALLOC=malloc: every Python object is a malloc block valgrind tracks.
say "running $tests at $np ranks under valgrind memcheck (logs in $logdir)"
t0=$(date +%s)
set +e
# shellcheck disable=SC2086
timeout -k 10 "${CMPI_VALGRIND_TIMEOUT:-900}" "${mpiexec[@]}" \
  env PYTHONMALLOC=malloc CMPI_TEST_TIMEOUT="${CMPI_TEST_TIMEOUT:-300}" \
  valgrind --tool=memcheck --error-exitcode=0 --num-callers=40 \
  --leak-check=no \
  --track-origins=no --gen-suppressions=all --fullpath-after= "${supps[@]}" \
  --log-file="$logdir/vg.%p" \
  "$venv/bin/python" tests/mpi_pytest.py "$outdir" -q -p no:cacheprovider --durations=5 $tests ${kexpr:+-k "$kexpr"}
code=$?
set -e
say "mpiexec exited $code after $(( $(date +%s) - t0 )) s"
rc=0
"$venv/bin/python" "$here/summarize.py" valgrind "$outdir" "$np" "$logdir" || rc=1
[ "$code" -eq 0 ] || { echo "valgrind: the MPI job exited $code" >&2; rc=1; }
if [ $rc -ne 0 ]; then
  for f in "$outdir"/rank*.log; do
    [ -f "$f" ] && { echo "----- tail of $f"; tail -n 40 "$f"; }
  done
  echo "test reports kept in $outdir, checker logs in $logdir"
else
  rm -rf "$outdir" "$logdir"
fi
exit $rc
