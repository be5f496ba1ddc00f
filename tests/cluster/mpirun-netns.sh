#!/bin/bash
# Open MPI mpirun across the fake hosts made by netns-up.sh:
#   mpirun-netns.sh [mpirun options] PROGRAM ARGS...
#   e.g. mpirun-netns.sh --host mpih1:2,mpih2:1,mpih3:1 -n 4 python3 x.py
# mpirun runs "on" the first host (${NETNS_PREFIX}1, or NETNS_HEAD): its orteds
# connect back to its address, which the root namespace does not have.  Remote
# orteds are started through netns-rsh instead of ssh.  TCP BTL only.
# OOB keepalives (5 s idle, 2 s interval, 3 probes; Open MPI's defaults are
# 300/20/9) turn a silently cut link into a job exit in about 11 s instead of a
# hang; set the OMPI_MCA_oob_tcp_keepalive_* variables to override.
HERE=$(cd "$(dirname "$0")" && pwd)
PFX=${NETNS_PREFIX:-mpih}
SUB=${NETNS_SUBNET:-10.77.0}
export NETNS_PREFIX=$PFX NETNS_SUBNET=$SUB # netns-rsh, run by mpirun, needs them
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_plm_rsh_agent=$HERE/netns-rsh
export OMPI_MCA_plm_rsh_no_tree_spawn=1 # mpirun starts every orted itself
export OMPI_MCA_btl=${OMPI_MCA_btl:-tcp,self}
export OMPI_MCA_btl_tcp_if_include=$SUB.0/24
export OMPI_MCA_oob_tcp_if_include=$SUB.0/24
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} # no UCX: TCP over the fake links
export OMPI_MCA_hwloc_base_binding_policy=none # all hosts share the same cores
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
export OMPI_MCA_oob_tcp_keepalive_time=${OMPI_MCA_oob_tcp_keepalive_time:-5}
export OMPI_MCA_oob_tcp_keepalive_intvl=${OMPI_MCA_oob_tcp_keepalive_intvl:-2}
export OMPI_MCA_oob_tcp_keepalive_probes=${OMPI_MCA_oob_tcp_keepalive_probes:-3}
exec "$HERE/netns-rsh" "${NETNS_HEAD:-${PFX}1}" "$(printf '%q ' "${MPIRUN:-mpirun.openmpi}" "$@")"
