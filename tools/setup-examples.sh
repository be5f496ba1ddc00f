#!/usr/bin/env bash
# Install the use cases' requirements (examples/requirements.txt) into the
# venvs that tools/setup.sh made.  Safe to run again: it checks first.
#
#   tools/setup-examples.sh [openmpi] [mpich]     (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
flavors=("$@")
[ ${#flavors[@]} -gt 0 ] || flavors=(openmpi mpich)
for f in "${flavors[@]}"; do
  py=.venv/$f/bin/python
  [ -x "$py" ] || tools/setup.sh "$f"
  if ! "$py" -c "import rapidfuzz, xgboost, sklearn, pandas" 2>/dev/null; then
    printf '\033[1m[setup]\033[0m installing examples/requirements.txt into .venv/%s\n' "$f"
    "$py" -m pip install -q --disable-pip-version-check -r examples/requirements.txt
  fi
done
