#!/bin/bash
# Stop the three-node SLURM of slurm-netns-up.sh (by PID file) and delete its
# namespaces (netns-down.sh with the same prefix).  munged is slurm-down.sh's.
# Usage: slurm-netns-down.sh [--purge]
HERE=$(cd "$(dirname "$0")" && pwd)
D=${CMPI_SLURM_DIR:-/var/tmp/cmpi-slurm}
MN=$D/mn
export NETNS_PREFIX=${CMPI_SLURM_NETNS_PREFIX:-slh} NETNS_SUBNET=${CMPI_SLURM_NETNS_SUBNET:-10.78.0}
stop() {
  local f=$1 pid t
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for t in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "slurm-netns-down: SIGKILLed $f ($pid)"; fi
    echo "slurm-netns-down: stopped $(basename "$f" .pid) (pid $pid)"
  fi
  rm -f "$f"
}
if [ -s "$MN/slurmctld.pid" ] && kill -0 "$(cat "$MN/slurmctld.pid")" 2>/dev/null; then
  timeout 10 "$HERE/slurm-netns-run.sh" "scancel -u root" >/dev/null 2>&1 || true
fi
for f in "$MN"/slurmd-*.pid "$MN/slurmctld.pid"; do [ -e "$f" ] && stop "$f" & done
wait
timeout 60 "$HERE/netns-down.sh"
[ "${1:-}" = --purge ] && rm -rf "$MN" && echo "slurm-netns-down: removed $MN"
exit 0
