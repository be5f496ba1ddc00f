# Sourced by slurm-up.sh and slurm-netns-up.sh.
#
# install_slurm: Debian's slurmctld, slurmd, slurm-client, munge and
# libpmix-dev, when missing.  This image's policy-rc.d keeps their postinst
# from starting any daemon; elsewhere we stop nothing we did not start, and a
# distribution slurmctld on the default ports is left alone (ours use others).
install_slurm() {
  local need=() cmd
  export DEBIAN_FRONTEND=noninteractive
  for cmd in slurmctld slurmd srun munged; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
  if [ ${#need[@]} -gt 0 ]; then
    echo "[slurm] installing slurmctld slurmd slurm-client munge (missing: ${need[*]})"
    timeout 300 apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null \
      || { timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq --no-install-recommends \
             slurmctld slurmd slurm-client munge >/dev/null; }
  fi
  # srun --mpi=pmix: Slurm's PMIx plugin dlopen()s this exact file, which only
  # libpmix-dev ships; without it "can not load PMIx library"
  if [ ! -e /usr/lib/x86_64-linux-gnu/pmix2/lib/libpmix.so ]; then
    echo "[slurm] installing libpmix-dev"
    timeout 300 apt-get install -y -qq --no-install-recommends libpmix-dev >/dev/null
  fi
}

# start_munged DIR starts a
# munged of our own (key, socket, PID file, log under DIR/munge) unless it
# runs already, and sets MUNGE_SOCKET.  munged refuses to run as root, and
# wants its directories to belong to the munge user.
start_munged() {
  local M=$1/munge
  install -d -m 0755 "$1"
  install -d -o munge -g munge -m 0755 "$M"
  if [ ! -s "$M/munge.key" ]; then
    if [ -s /etc/munge/munge.key ]; then cp /etc/munge/munge.key "$M/munge.key"
    else mungekey --create --keyfile="$M/munge.key"; fi
    chown munge:munge "$M/munge.key"
    chmod 0400 "$M/munge.key"
  fi
  if ! { [ -s "$M/munged.pid" ] && kill -0 "$(cat "$M/munged.pid")" 2>/dev/null; }; then
    runuser -u munge -- /usr/sbin/munged --socket="$M/socket" --key-file="$M/munge.key" \
      --pid-file="$M/munged.pid" --log-file="$M/munged.log" --seed-file="$M/munged.seed"
  fi
  MUNGE_SOCKET=$M/socket
  timeout 10 munge -S "$MUNGE_SOCKET" -n | timeout 10 unmunge -S "$MUNGE_SOCKET" >/dev/null
}
