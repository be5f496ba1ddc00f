#!/bin/bash
# Installs what `make docs` needs, and nothing when it is already there:
# Sphinx and the furo theme (PyPI) into the venv whose cmpi the docs
# document (autodoc imports cmpi.MPI: its callables carry the text
# signatures), and Debian's chromium for the screenshots the docs test
# checks (apt-get, as root or with sudo; skipped with a note otherwise).
#
#   tools/setup-docs.sh [CONFIG]     CONFIG defaults to openmpi
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-openmpi}"
venv=".venv/$config"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import cmpi.MPI' 2>/dev/null; then
  tools/setup.sh "$config"
fi
# Pinned: the build runs with -W, so a new release's new warning must not
# fail it unannounced.  Raise the pins on purpose.
SPHINX=9.0.4
FURO=2025.12.19
MYST=5.2.0
if ! "$venv/bin/python" -c "import sphinx, furo, myst_parser, sys; sys.exit(sphinx.__version__ != '$SPHINX' or furo.__version__ != '$FURO' or myst_parser.__version__ != '$MYST')" 2>/dev/null; then
  echo "[setup-docs] installing sphinx $SPHINX, furo $FURO and myst-parser $MYST into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "sphinx==$SPHINX" "furo==$FURO" "myst-parser==$MYST"
fi

if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else sudo=none; fi
  fi
  if [ "$sudo" = none ]; then
    echo "[setup-docs] no chromium and no way to install it: the screenshots are skipped" >&2
  else
    echo "[setup-docs] installing chromium (Debian)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
fi
