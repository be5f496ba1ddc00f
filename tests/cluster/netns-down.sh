#!/bin/bash
# Delete the namespaces made by netns-up.sh with the same NETNS_PREFIX, after
# killing (by PID) every process still running inside them: a process left in
# a namespace keeps its network stack alive after `ip netns del`.
# Usage: [NETNS_PREFIX=mpih] netns-down.sh
PFX=${NETNS_PREFIX:-mpih}
spaces=$(ip netns list | awk '{print $1}' | grep -E "^$PFX([0-9]+|sw)$")
for ns in $spaces; do
  pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
  if [ -n "$pids" ]; then
    echo "netns-down: killing processes left in $ns: $pids"
    kill -KILL $pids 2>/dev/null
  fi
done
for ns in $spaces; do
  ip netns del "$ns"
  case $ns in "${PFX}sw") ;; *) rm -rf "/etc/netns/$ns" "/var/tmp/netns-tmp/$ns" ;; esac
done
rmdir /etc/netns /var/tmp/netns-tmp 2>/dev/null || true
[ -n "$spaces" ] && echo "netns down:" $spaces
exit 0
