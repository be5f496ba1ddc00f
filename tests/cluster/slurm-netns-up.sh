#!/bin/bash
# A three-node SLURM made of network namespaces: fake hosts slh1..slh3
# (netns-up.sh with NETNS_PREFIX=slh, NETNS_SUBNET=10.78.0, so they never
# meet the default mpih* hosts of other tests), slurmctld in slh1, one slurmd
# per host.  The munged of slurm-up.sh serves all of them: its socket is a
# file under $CMPI_SLURM_DIR, which every namespace sees.
#   config   $CMPI_SLURM_DIR/mn/slurm.conf (clients need SLURM_CONF=that)
#   clients  run inside a host:  tests/cluster/slurm-netns-run.sh 'srun -N3 hostname'
#   job ids  from 720000
# Every host has its own /tmp, so programs, job scripts and their output
# must live elsewhere (the repository, $CMPI_SLURM_DIR).
# Usage: slurm-netns-up.sh [N=3]; stop with slurm-netns-down.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-3}
D=${CMPI_SLURM_DIR:-/var/tmp/cmpi-slurm}
MN=$D/mn
CPUS=${CMPI_SLURM_MN_CPUS:-4}
export NETNS_PREFIX=${CMPI_SLURM_NETNS_PREFIX:-slh} NETNS_SUBNET=${CMPI_SLURM_NETNS_SUBNET:-10.78.0}
P=$NETNS_PREFIX
T0=$EPOCHREALTIME
say() { printf '[slurm-netns-up %5.2fs] %s\n' "$(awk "BEGIN{print $EPOCHREALTIME - $T0}")" "$*"; }

. "$HERE/slurm-lib.sh"
install_slurm
start_munged "$D"
ip netns list | grep -qE "^${P}sw( |$)" || timeout 60 "$HERE/netns-up.sh" "$N"

mkdir -p "$MN/state" "$MN/log" "$MN/out"
for i in $(seq "$N"); do mkdir -p "$MN/spool/$P$i"; done
export SLURM_CONF=$MN/slurm.conf
cat >"$SLURM_CONF" <<EOF
# written by tests/cluster/slurm-netns-up.sh
ClusterName=cmpimn
SlurmctldHost=${P}1($NETNS_SUBNET.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$MN/state
SlurmdSpoolDir=$MN/spool/%n
SlurmctldPidFile=$MN/slurmctld.pid
SlurmdPidFile=$MN/slurmd-%n.pid
SlurmctldLogFile=$MN/log/slurmctld.log
SlurmdLogFile=$MN/log/slurmd-%n.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
FirstJobId=720000
ReturnToService=2
SlurmdParameters=config_overrides
KillOnBadExit=1
KillWait=5
InactiveLimit=0
# finished jobs stay visible to scontrol this long (the tests read their state)
MinJobAge=600
NodeName=$P[1-$N] NodeAddr=$NETNS_SUBNET.[1-$N] CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# `ip netns exec` would hide /sys/fs/cgroup from slurmd; netns-rsh does not
alive "$MN/slurmctld.pid" || "$HERE/netns-rsh" "${P}1" "/usr/sbin/slurmctld -c -f $SLURM_CONF"
for i in $(seq "$N"); do
  alive "$MN/slurmd-$P$i.pid" || "$HERE/netns-rsh" "$P$i" "/usr/sbin/slurmd -f $SLURM_CONF -N $P$i"
done
idle=0
for _ in $(seq 150); do
  idle=$("$HERE/netns-rsh" "${P}1" "timeout 5 sinfo -h -N -t idle -o %N" 2>/dev/null | sort -u | wc -l)
  [ "$idle" -eq "$N" ] && break
  sleep 0.2
done
if [ "$idle" -ne "$N" ]; then
  echo "slurm-netns-up: only $idle of $N nodes idle" >&2
  "$HERE/netns-rsh" "${P}1" "timeout 5 sinfo -N -l" >&2 || true
  tail -5 "$MN"/log/*.log >&2 || true
  exit 1
fi
say "$N nodes idle: $("$HERE/netns-rsh" "${P}1" "timeout 5 sinfo -h -N -o '%N/%T/%c'" | tr '\n' ' ')"
