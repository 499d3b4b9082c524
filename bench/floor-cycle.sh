#!/usr/bin/env bash
# floor-cycle.sh FLOOR TIMEIT N PIDFILE: one up + down of the reference floor (shared/bench/floor.c)
# for a chain of N nodes. Run by bench/run.sh under `unshare -m --propagation private`.
#
# floor keeps its files in a fixed /run/limitns, which another floor run on the same host would
# share (and tear down); so this script gives it a private tmpfs there, in a mount namespace of
# its own, and runs up and down in it. It ignores SIGINT, so a Ctrl-C lets the cycle finish
# (floor down included) before bench/run.sh cleans up. The holders' PIDs go to PIDFILE
# as soon as up returns, for run.sh's leftover check.
#
# Prints key=value lines: up_ns down_ns avail_before_kb avail_after_kb rss_kb (sum of holders'
# VmRSS) nodes.
set -uo pipefail
trap '' INT
floor=$1 timeit=$2 n=$3 pidfile=$4
mount -t tmpfs -o size=16m,mode=0755 bench-floor /run/limitns || exit 1
avail() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
before=$(avail)
up=$("$timeit" 1 "$floor" up "$n") || { echo "floor up failed" >&2; "$floor" down "$n"; exit 1; }
after=$(avail)
cat /run/limitns/n*.holder >"$pidfile" 2>/dev/null
rss=0 nodes=0
for f in /run/limitns/n*.holder; do
	read -r p <"$f" || continue
	r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
	rss=$((rss + ${r:-0})) nodes=$((nodes + 1))
done
down=$("$timeit" 1 "$floor" down "$n") || { echo "floor down failed" >&2; exit 1; }
echo "up_ns=$up"
echo "down_ns=$down"
echo "avail_before_kb=$before"
echo "avail_after_kb=$after"
echo "rss_kb=$rss"
echo "nodes=$nodes"
