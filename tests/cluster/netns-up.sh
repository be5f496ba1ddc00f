#!/bin/bash
# Create N fake "hosts" as network namespaces on one private L2 segment, for
# multi-node MPI tests on one machine (needs root and iproute2).
#   hosts  : netns ${NETNS_PREFIX}1..N, each with lo and eth0 = ${NETNS_SUBNET}.<i>/24
#   switch : netns ${NETNS_PREFIX}sw holding bridge br0, one veth port p-<host> per host
# Nothing is added to the root namespace: the subnet is reachable only from inside
# the hosts, so several sets (different NETNS_PREFIX) can coexist.
# Each host gets its own /etc/hosts (/etc/netns/<host>/hosts, used by netns-rsh).
# Usage: [NETNS_PREFIX=mpih] [NETNS_SUBNET=10.77.0] netns-up.sh [N=3]
# Undo:  netns-down.sh (same NETNS_PREFIX)
set -euo pipefail
N=${1:-3}
PFX=${NETNS_PREFIX:-mpih}
SUB=${NETNS_SUBNET:-10.77.0}
SW=${PFX}sw
# veth names are limited to 15 characters: "p-" + prefix + index
[ $((${#PFX} + ${#N} + 2)) -le 15 ] || { echo "netns-up: NETNS_PREFIX too long" >&2; exit 2; }

if ip netns list | grep -qE "^$SW( |$)"; then
  echo "netns-up: $SW exists already (run netns-down.sh first)" >&2; exit 1
fi
ip netns add "$SW"
ip -n "$SW" link set lo up
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up

hosts="127.0.0.1 localhost"
for i in $(seq 1 "$N"); do hosts+=$'\n'"$SUB.$i $PFX$i"; done

for i in $(seq 1 "$N"); do
  h=$PFX$i
  ip netns add "$h"
  ip -n "$SW" link add "p-$h" type veth peer name eth0 netns "$h"
  ip -n "$SW" link set "p-$h" master br0 up
  ip -n "$h" link set lo up
  ip -n "$h" addr add "$SUB.$i/24" dev eth0
  ip -n "$h" link set eth0 up
  mkdir -p "/etc/netns/$h" "/var/tmp/netns-tmp/$h"
  chmod 1777 "/var/tmp/netns-tmp/$h"
  printf '%s\n' "$hosts" >"/etc/netns/$h/hosts"
done

# Reachability: every host reaches every other one.  A TCP-free check that needs
# no ping binary: bash's /dev/tcp to a closed port fails fast with "connection
# refused" when the peer answers, and times out when it does not.
for i in $(seq 1 "$N"); do for j in $(seq 1 "$N"); do
  [ "$i" = "$j" ] && continue
  out=$(nsenter --net="/run/netns/$PFX$i" -- timeout 3 bash -c "exec 3<>/dev/tcp/$SUB.$j/9" 2>&1 || true)
  case $out in *refused*) ;; *) echo "netns-up: $PFX$i cannot reach $SUB.$j: $out" >&2; exit 1 ;; esac
done; done
echo "netns up: $SW $(seq -f "$PFX%g" 1 "$N" | tr '\n' ' ')($SUB.0/24)"
