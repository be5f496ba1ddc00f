#!/usr/bin/env bash
# Build cmpi into its own venv for a memory-checking run (sourced by
# run-asan.sh and run-valgrind.sh).
#
#   build_venv FLAVOR NAME [meson setup args...]
#
# Creates .venv/NAME-FLAVOR (system site packages, plus the build and test
# requirements if missing) and installs cmpi built in build/NAME-FLAVOR with
# -Dwerror=true, buildtype debugoptimized (-O2 -g: reports name file and
# line) and the extra meson arguments.  Incremental and safe to rerun.
build_venv() {
  local flavor=$1 name=$2; shift 2
  local venv=.venv/$name-$flavor args=()
  command -v "mpicc.$flavor" >/dev/null || tools/setup.sh "$flavor"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv --system-site-packages "$venv"
  fi
  # pip checks versions too (pyproject.toml's license-files needs
  # meson-python 0.17), and installs only what is missing.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "meson-python>=0.17" "meson>=1.1" ninja numpy pytest hypothesis
  for a in -Dwerror=true -Dbuildtype=debugoptimized "$@"; do args+=("-Csetup-args=$a"); done
  PATH="$PWD/$venv/bin:$PATH" MPICC=mpicc.$flavor "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    --no-build-isolation --no-deps --force-reinstall "${args[@]}" -Cbuild-dir="build/$name-$flavor" .
}

# The extra meson arguments of memory-checking build NAME (asan, vg).
memcheck_build_args() {
  case $1 in
    asan) echo -Dsanitize_address=true ;;
    vg) ;;
    *) echo "unknown memory-checking build: $1" >&2; return 2 ;;
  esac
}

# Make sure .venv/NAME-FLAVOR holds build NAME: as tests/memcheck/build-all.sh
# has just made it (CMPI_MEMCHECK_BUILT=1), else built now.  The caller
# defines `say`.
memcheck_venv() {
  local flavor=$1 name=$2 venv=.venv/$2-$1 args
  if [ -n "${CMPI_MEMCHECK_BUILT:-}" ] && [ -x "$venv/bin/python" ]; then
    say "using $venv as built by tests/memcheck/build-all.sh"
    return
  fi
  args=$(memcheck_build_args "$name")
  say "building cmpi ($name${args:+ $args}) against $flavor into $venv"
  # shellcheck disable=SC2086  # no argument or one, without spaces
  build_venv "$flavor" "$name" $args
}

# The environment every test job here runs in (as tests/launcher.py sets it).
mpi_job_env() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1 \
    OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp CMPI_MPI=$1
}

# mpiexec command for FLAVOR and NP ranks, into the array `mpiexec`.
mpiexec_cmd() {
  case $1 in
    openmpi) mpiexec=(mpiexec.openmpi --oversubscribe -n "$2") ;;
    mpich) mpiexec=(mpiexec.mpich -n "$2") ;;
    *) echo "unknown MPI flavour: $1 (expected openmpi or mpich)" >&2; exit 2 ;;
  esac
}
