#!/bin/bash
# Run a SLURM client command on host 1 of the three-node cluster of
# slurm-netns-up.sh (the controller's namespace), e.g.
#   tests/cluster/slurm-netns-run.sh 'srun -N 3 --ntasks-per-node=2 hostname'
HERE=$(cd "$(dirname "$0")" && pwd)
D=${CMPI_SLURM_DIR:-/var/tmp/cmpi-slurm}
export SLURM_CONF=$D/mn/slurm.conf
export NETNS_PREFIX=${CMPI_SLURM_NETNS_PREFIX:-slh} NETNS_SUBNET=${CMPI_SLURM_NETNS_SUBNET:-10.78.0}
exec "$HERE/netns-rsh" "${NETNS_PREFIX}1" "cd $(printf %q "$PWD") && $*"
