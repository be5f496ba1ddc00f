#!/usr/bin/env bash
# Install what cmpi needs on a Debian/Ubuntu machine and build cmpi into one
# virtual environment per MPI library.  Safe to run again: every step checks
# first and does only what is missing.
#
#   tools/setup.sh [openmpi] [mpich]     (default: both)
#
# Result: .venv/openmpi/bin/python and .venv/mpich/bin/python, each with
# cmpi built against that MPI (through mpicc.openmpi / mpicc.mpich), numpy,
# pytest and hypothesis.
set -euo pipefail
cd "$(dirname "$0")/.."

flavors=("$@")
[ ${#flavors[@]} -gt 0 ] || flavors=(openmpi mpich)
PYTHON=${PYTHON:-python3}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. System packages: the two MPI libraries and their compiler wrappers.
pkgs=(build-essential pkg-config)
for f in "${flavors[@]}"; do
  case $f in
    openmpi) pkgs+=(openmpi-bin libopenmpi-dev) ;;
    mpich) pkgs+=(mpich libmpich-dev) ;;
    *) echo "unknown MPI flavour: $f (expected openmpi or mpich)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. One virtual environment per MPI, with cmpi built against it.
for f in "${flavors[@]}"; do
  venv=.venv/$f
  if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    "$PYTHON" -m venv --system-site-packages "$venv"
  fi
  if ! "$venv/bin/python" -c "import mesonpy, numpy, pytest, hypothesis" 2>/dev/null; then
    say "installing build and test requirements into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      "meson-python>=0.17" "meson>=1.1" ninja numpy pytest hypothesis
  fi
  say "building cmpi against $f (MPICC=mpicc.$f)"
  MPICC=mpicc.$f "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    --no-build-isolation --no-deps --force-reinstall \
    -Csetup-args=-Dwerror=true -Cbuild-dir="build/$f" .
  so=$("$venv/bin/python" -c "import cmpi, glob, os; print(glob.glob(os.path.join(os.path.dirname(cmpi.__file__), 'MPI.*.so'))[0])")
  case $f in openmpi) lib=libmpi.so ;; mpich) lib=libmpich.so ;; esac
  libs=$(ldd "$so")
  if [[ $libs != *"$lib"* ]]; then
    echo "[setup] $so is not linked against $lib:" >&2; echo "$libs" >&2; exit 1
  fi
  say "cmpi built against $f ($lib)"
done
