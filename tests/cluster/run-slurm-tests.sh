#!/bin/bash
# cmpi under a real SLURM: brings up a single-node cluster (slurm-up.sh) and a
# three-node one on network namespaces (slurm-netns-up.sh), and for each MPI
# library (Open MPI with srun --mpi=pmix, MPICH with --mpi=pmi2):
#   - asserts the world size under srun and under mpiexec inside a batch job
#     (and that a wrong plugin is caught: MPICH under --mpi=none);
#   - submits every batch script of examples/slurm (the use cases with
#     --quick) and checks its job state and output file;
#   - runs the balanced string matching as one job over the three nodes.
# Tears everything down on exit.  Prints PASS/FAIL lines and ends with
# "N passed, N failed"; exit status 0 only when nothing failed.
#
#   tests/cluster/run-slurm-tests.sh [openmpi] [mpich]    (default: both)
#   CMPI_SLURM_KEEP=1   leave the clusters running afterwards
#   CMPI_SLURM_NO_NETNS=1   skip the three-node part
set -u
if [ "$(id -u)" -ne 0 ]; then
  echo "run-slurm-tests: needs root (it starts SLURM daemons and network namespaces); skipped"
  exit 0
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
export CMPI_SLURM_DIR=${CMPI_SLURM_DIR:-/var/tmp/cmpi-slurm}
D=$CMPI_SLURM_DIR
OUT=$D/out                      # outside /tmp: the fake hosts have their own
flavors=("$@")
[ ${#flavors[@]} -gt 0 ] || flavors=(openmpi mpich)
JOB_LIMIT=${CMPI_SLURM_JOB_LIMIT:-300}    # seconds for any one wait
T0=$EPOCHREALTIME
pass=0 fail=0
failed=()

say() { printf '[slurm-tests %6.1fs] %s\n' "$(awk "BEGIN{print $EPOCHREALTIME - $T0}")" "$*"; }
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() {
  echo "FAIL $1"; fail=$((fail + 1)); failed+=("$1")
  [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/    | /' "$2" | tail -25
}

cleanup() {
  [ -n "${CMPI_SLURM_KEEP:-}" ] && return
  say "tearing down"
  timeout 120 "$HERE/slurm-netns-down.sh" >/dev/null 2>&1
  timeout 120 "$HERE/slurm-down.sh" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- setup -----------------------------------------------------------------
for f in "${flavors[@]}"; do
  [ -x ".venv/$f/bin/python" ] || timeout 900 tools/setup.sh "$f" || { bad "setup $f"; }
done
timeout 900 tools/setup-examples.sh "${flavors[@]}" || bad "example requirements"
rm -rf "$OUT"; mkdir -p "$OUT"
if ! timeout 400 "$HERE/slurm-up.sh"; then
  bad "single-node SLURM comes up"
  echo "$pass passed, $fail failed"; exit 1
fi
export SLURM_CONF=$D/slurm.conf
ok "single-node SLURM comes up"

# The string matching count: 677 on the trainings' data, when present (the
# programs look in ../shared/data or $STRMATCH_DATA), else the 60 pairs the
# generator plants.
if [ -n "${STRMATCH_DATA:-}" ] && [ -f "$STRMATCH_DATA/left_data.tsv" ] \
   || [ -f "$ROOT/../shared/data/left_data.tsv" ]; then MATCHES=677; else MATCHES=60; fi

plugin() { case $1 in openmpi) echo pmix ;; mpich) echo pmi2 ;; esac; }
launcher() { case $1 in openmpi) echo "mpiexec.openmpi --oversubscribe" ;; mpich) echo mpiexec.mpich ;; esac; }

# count_ok FILE N: N distinct ranks reported the expected size
world_ok() {
  local n
  n=$(grep -o "world rank [0-9]* size $2 expected $2 host [^ ]* ok=True" "$1" | sort -u | wc -l)
  [ "$n" -eq "$2" ]
}

# --- batch jobs ------------------------------------------------------------
declare -A JOB_NAME JOB_CHECK JOB_OUT
# submit LABEL OUTFILE CHECK SBATCH-ARGS...: CHECK is a grep -F pattern list
# (separated by |) that the output must contain, each line once at least
submit() {
  local label=$1 out=$2 check=$3 jid
  shift 3
  if jid=$(timeout 30 sbatch --parsable --output="$out" "$@" 2>"$out.sbatch"); then
    JOB_NAME[$jid]=$label JOB_CHECK[$jid]=$check JOB_OUT[$jid]=$out
  else
    bad "$label (sbatch refused)" "$out.sbatch"
  fi
}
# wait_jobs: poll squeue (sbatch --wait polls only every 2, 8, 32 s) until
# every submitted job is gone, then check each one's state and output
wait_jobs() {
  local deadline=$((SECONDS + JOB_LIMIT)) jid left
  while :; do
    left=$(timeout 10 squeue -h -o %i 2>/dev/null | grep -cxF -f <(printf '%s\n' "${!JOB_NAME[@]}"))
    [ "$left" -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      say "jobs still queued or running after ${JOB_LIMIT}s: cancelling"
      timeout 10 squeue || true
      timeout 10 scancel "${!JOB_NAME[@]}" 2>/dev/null
      sleep 2
      break
    fi
    sleep 0.3
  done
  for jid in "${!JOB_NAME[@]}"; do
    local label=${JOB_NAME[$jid]} out=${JOB_OUT[$jid]} state pat good=1
    state=$(timeout 10 scontrol show job "$jid" 2>/dev/null | grep -o 'JobState=[A-Z_]* \|ExitCode=[0-9:]*' | tr -d ' ' | tr '\n' ' ')
    [[ $state == *"JobState=COMPLETED"*"ExitCode=0:0"* ]] || good=0
    IFS='|' read -ra pats <<<"${JOB_CHECK[$jid]}"
    for pat in "${pats[@]}"; do grep -qF -- "$pat" "$out" 2>/dev/null || { good=0; state+=" missing '$pat'"; }; done
    if [ $good -eq 1 ]; then ok "$label"; else bad "$label ($state)" "$out"; fi
  done
  JOB_NAME=() JOB_CHECK=() JOB_OUT=()
}

SEEDS=(
  "0_mpi_simple|Rank 0 received result: 84"
  "1_mpi_simple|Rank 0 received result: 90 from rank 3"
  "2_mpi_sum|Total sum is: 4950"
  "3_mpi_np|results match: True"
  "collective_comm1|rank 3 has {"
  "collective_comm2|rank 3 has 16"
  "collective_comm3|rank 0 has [1, 4, 9, 16]"
  "hello|Hello from rank 3 out of 4"
  "point_point|rank 1 receives {'a': 7, 'b': 3.14}"
  "point_point2|rank 3 receives {'a': 7, 'b': 3.14}"
  "slices_sum|Final aggregated result:"
)

for f in "${flavors[@]}"; do
  py=$ROOT/.venv/$f/bin/python
  pl=$(plugin "$f")
  export CMPI_VENV=.venv/$f CMPI_MPI=$f
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
  say "== $f: srun --mpi=$pl"

  # world size under srun
  for n in 2 4; do
    o=$OUT/srun-$f-$n.txt
    timeout 120 srun -n "$n" --mpi="$pl" "$py" -m cmpi tests/cluster/world_size.py "$n" >"$o" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && world_ok "$o" "$n"; then ok "$f: srun -n $n --mpi=$pl: world size $n"
    else bad "$f: srun -n $n --mpi=$pl: world size $n (rc=$rc)" "$o"; fi
  done
  # a wrong plugin must be caught, not pass silently
  o=$OUT/srun-$f-wrong.txt
  wrong=none; [ "$f" = openmpi ] && wrong=pmi2
  timeout 120 srun -n 2 --mpi=$wrong "$py" -m cmpi tests/cluster/world_size.py 2 >"$o" 2>&1
  rc=$?
  if [ $rc -ne 0 ] && ! world_ok "$o" 2; then ok "$f: srun --mpi=$wrong is caught (rc=$rc)"
  else bad "$f: srun --mpi=$wrong was not caught" "$o"; fi

  # world size under the MPI's own mpiexec inside a batch job
  cat >"$OUT/mpiexec-$f.sh" <<EOF
#!/bin/bash
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=1
#SBATCH --time=0-0:05:00
$(launcher "$f") -n 4 $py -m cmpi $ROOT/tests/cluster/world_size.py 4
EOF
  submit "$f: sbatch + mpiexec -n 4: world size 4" "$OUT/mpiexec-$f.txt" \
    "size 4 expected 4" "$OUT/mpiexec-$f.sh"

  # every batch script of examples/slurm
  for entry in "${SEEDS[@]}"; do
    name=${entry%%|*}
    submit "$f: examples/slurm/$name.sh" "$OUT/$name-$f.txt" "${entry#*|}" "examples/slurm/$name.sh"
  done
  for name in 5_leven_serial 6_leven_static 6_leven_balanced; do
    submit "$f: examples/slurm/$name.sh" "$OUT/$name-$f.txt" \
      "pairs with ratio > 0.8: $MATCHES|time: " "examples/slurm/$name.sh"
  done
  for s in static dynamic; do
    export EXTRA_ARGS="--quick --out $OUT/grid-$s-$f.csv"
    submit "$f: examples/slurm/4_hyper_$s.sh --quick" \
      "$OUT/4_hyper_$s-$f.txt" "results: $OUT/grid-$s-$f.csv (8 rows)|best: combination=" \
      "examples/slurm/4_hyper_$s.sh"
    unset EXTRA_ARGS
  done
  wait_jobs
done

# --- three nodes -----------------------------------------------------------
if [ -z "${CMPI_SLURM_NO_NETNS:-}" ]; then
  say "== three nodes (network namespaces slh1-3)"
  if timeout 120 "$HERE/slurm-netns-up.sh" 3; then
    ok "three-node SLURM comes up"
    MNOUT=$D/mn/out
    for f in "${flavors[@]}"; do
      py=$ROOT/.venv/$f/bin/python
      pl=$(plugin "$f")
      o=$MNOUT/srun-$f.txt
      timeout 120 "$HERE/slurm-netns-run.sh" \
        "srun -N 3 --ntasks-per-node=2 --mpi=$pl $py -m cmpi tests/cluster/world_size.py 6" >"$o" 2>&1
      rc=$?
      hosts=$(grep -o 'host [^ ]* ok=True' "$o" | sort -u | wc -l)
      if [ $rc -eq 0 ] && world_ok "$o" 6 && [ "$hosts" -eq 3 ]; then
        ok "$f: srun -N 3 --ntasks-per-node=2 --mpi=$pl: world size 6 on 3 hosts"
      else bad "$f: srun -N 3 across hosts (rc=$rc, hosts $hosts)" "$o"; fi

      # the balanced string matching as one batch job over the three nodes
      o=$MNOUT/leven-$f.txt
      jid=$(CMPI_VENV=.venv/$f timeout 30 "$HERE/slurm-netns-run.sh" \
        "sbatch --parsable --nodes=3 --ntasks-per-node=2 --cpus-per-task=1 --output=$o examples/slurm/6_leven_balanced.sh")
      deadline=$((SECONDS + JOB_LIMIT))
      while [ -n "$jid" ] && [ -n "$(timeout 10 "$HERE/slurm-netns-run.sh" "squeue -h -j $jid -o %T" 2>/dev/null)" ]; do
        [ $SECONDS -ge $deadline ] && { timeout 10 "$HERE/slurm-netns-run.sh" "scancel $jid"; break; }
        sleep 0.3
      done
      state=$(timeout 10 "$HERE/slurm-netns-run.sh" "scontrol show job $jid" 2>/dev/null | grep -o 'JobState=[A-Z_]* \|ExitCode=[0-9:]*' | tr -d ' ' | tr '\n' ' ')
      if [[ $state == *"JobState=COMPLETED"*"ExitCode=0:0"* ]] && grep -qF "pairs with ratio > 0.8: $MATCHES" "$o" \
         && grep -qF "6 rank(s)" "$o"; then
        ok "$f: examples/slurm/6_leven_balanced.sh on 3 nodes x 2 tasks"
      else bad "$f: 6_leven_balanced.sh on 3 nodes ($state)" "$o"; fi
    done
  else
    bad "three-node SLURM comes up"
  fi
fi

say "done"
[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
