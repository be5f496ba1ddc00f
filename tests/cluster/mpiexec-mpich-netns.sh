#!/bin/bash
# MPICH (hydra) mpiexec across the fake hosts made by netns-up.sh:
#   mpiexec-mpich-netns.sh [mpiexec options] PROGRAM ARGS...
#   e.g. mpiexec-mpich-netns.sh -hosts mpih1:2,mpih2:1,mpih3:1 -n 4 python3 x.py
# mpiexec runs "on" the first host; its proxies are started through netns-rsh.
HERE=$(cd "$(dirname "$0")" && pwd)
export NETNS_PREFIX=${NETNS_PREFIX:-mpih} NETNS_SUBNET=${NETNS_SUBNET:-10.77.0}
exec "$HERE/netns-rsh" "${NETNS_HEAD:-${NETNS_PREFIX}1}" \
  "$(printf '%q ' "${MPIEXEC:-mpiexec.mpich}" -launcher ssh -launcher-exec "$HERE/netns-rsh" "$@")"
