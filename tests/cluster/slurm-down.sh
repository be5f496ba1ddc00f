#!/bin/bash
# Stop what slurm-up.sh started (slurmd, slurmctld, then munged), by PID file
# only: SIGTERM, SIGKILL after 15 s.  Jobs still queued are cancelled first.
# Usage: slurm-down.sh [--purge]     (--purge also deletes $CMPI_SLURM_DIR)
D=${CMPI_SLURM_DIR:-/var/tmp/cmpi-slurm}
stop() {   # stop PIDFILE NAME
  local f=$1 pid t
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for t in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "slurm-down: SIGKILLed $2 ($pid)"; fi
    echo "slurm-down: stopped $2 (pid $pid)"
  fi
  rm -f "$f"
}
if [ -f "$D/slurm.conf" ] && [ -s "$D/slurmctld.pid" ] && kill -0 "$(cat "$D/slurmctld.pid")" 2>/dev/null; then
  SLURM_CONF=$D/slurm.conf timeout 10 scancel -u root >/dev/null 2>&1 || true
fi
# each daemon takes 1-2 s to exit on SIGTERM: stop them in parallel
for f in "$D"/slurmd-*.pid; do [ -e "$f" ] && stop "$f" slurmd & done
stop "$D/slurmctld.pid" slurmctld &
wait
stop "$D/munge/munged.pid" munged
[ "${1:-}" = --purge ] && rm -rf "$D" && echo "slurm-down: removed $D"
exit 0
