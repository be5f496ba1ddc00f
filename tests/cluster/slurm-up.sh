#!/bin/bash
# A real single-node SLURM on loopback, for tests: slurmctld + slurmd + munged,
# no systemd needed.  Installs Debian's packages when missing.  Everything
# this starts is private to it, so it can run beside another SLURM:
#   config, state, logs, PID files   $CMPI_SLURM_DIR (default /var/tmp/cmpi-slurm)
#   munged                          its own, on $CMPI_SLURM_DIR/munge/socket
#   ports                           $CMPI_SLURM_PORT (slurmctld) and +1 (slurmd)
#   job ids                         from 710000 (Slurm's PMIx plugin names
#                                   /tmp directories after the job id)
# Clients need SLURM_CONF=$CMPI_SLURM_DIR/slurm.conf (printed at the end).
#
#   CMPI_SLURM_CPUS   CPUs the node declares (default 8, more than the machine
#                     has: SlurmdParameters=config_overrides lets it register)
# Stop with slurm-down.sh.  Exit 0 once the node is idle.
set -euo pipefail
D=${CMPI_SLURM_DIR:-/var/tmp/cmpi-slurm}
CPUS=${CMPI_SLURM_CPUS:-8}
PORT=${CMPI_SLURM_PORT:-6917}
HOST=$(hostname -s)
T0=$EPOCHREALTIME
say() { printf '[slurm-up %5.2fs] %s\n' "$(awk "BEGIN{print $EPOCHREALTIME - $T0}")" "$*"; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# 1. Packages (see slurm-lib.sh)
. "$(dirname "$0")/slurm-lib.sh"
install_slurm

# 2. Our own munged (own key, socket, PID file)
start_munged "$D"
say "munged up (pid $(cat "$D/munge/munged.pid"), socket $MUNGE_SOCKET)"

# 3. slurm.conf
mkdir -p "$D/state" "$D/log" "$D/spool"
cat >"$D/slurm.conf" <<EOF
# written by tests/cluster/slurm-up.sh
ClusterName=cmpi
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd-%n.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd-%n.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# the default batch_sched_delay=3 adds about 3 s to every batch job
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
FirstJobId=710000
ReturnToService=2
# the node declares more CPUs than the machine has; without this slurmd's
# registration makes it INVALID ("Low socket*core*thread count, Low CPUs")
SlurmdParameters=config_overrides
KillOnBadExit=1
KillWait=5
InactiveLimit=0
# finished jobs stay visible to scontrol this long (the tests read their state)
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$D/slurm.conf

# 4. Daemons (both fork and write their PID files a moment later)
alive "$D/slurmctld.pid" || /usr/sbin/slurmctld -c -f "$SLURM_CONF"
alive "$D/slurmd-$HOST.pid" || /usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 50); do [ -s "$D/slurmctld.pid" ] && [ -s "$D/slurmd-$HOST.pid" ] && break; sleep 0.1; done
say "slurmctld pid $(cat "$D/slurmctld.pid" 2>/dev/null), slurmd pid $(cat "$D/slurmd-$HOST.pid" 2>/dev/null)"

# 5. Wait until the node is idle
st=
for _ in $(seq 150); do
  st=$(timeout 5 sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$st" = idle ] && break
  sleep 0.2
done
if [ "$st" != idle ]; then
  echo "slurm-up: node not idle (state '$st')" >&2
  timeout 5 sinfo -N -l >&2 || true
  tail -5 "$D/log/slurmctld.log" "$D/log/slurmd-$HOST.log" >&2 || true
  exit 1
fi
say "node idle: $(timeout 5 sinfo -h -N -o '%N %T cpus=%c')"
echo "SLURM_CONF=$SLURM_CONF"
