#!/usr/bin/env bash
# floor-cycle.sh FLOOR TIMEIT N PIDFILE DIR: one up + down of the reference floor (shared/bench/floor.c)
# for a chain of N nodes. Run by bench/run.sh under `unshare -m --propagation private`.
#
# floor keeps its files in a fixed /run/limitns, which another floor run on the same host would
# share (and tear down); so this script binds DIR (an empty directory of our own) there, or a
# tmpfs when nslab's /run/netns is one, so that floor pays the same file-creation cost as nslab, in a mount namespace of its own, and runs up and down in it. It ignores SIGINT and SIGTERM, and so does floor (timeit
# leaves ignored signals ignored): the cycle always finishes, floor down included. The holders' PIDs go to PIDFILE
# as soon as up returns, as "PID STARTTIME" lines, for run.sh's leftover check.
#
# Prints key=value lines: up_ns down_ns avail_before_kb avail_after_kb rss_kb (sum of holders'
# VmRSS) nodes.
set -uo pipefail
trap '' INT TERM
floor=$1 timeit=$2 n=$3 pidfile=$4 dir=$5
# Same file system type as nslab's /run/netns: nslab puts a tmpfs there when /run is not one.
if [ "$(stat -f -c %T /run/netns 2>/dev/null)" = tmpfs ]; then
	mount -t tmpfs -o mode=0755 nsb-floor /run/limitns || exit 1
else
	mount --bind "$dir" /run/limitns || exit 1
fi
avail() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
before=$(avail)
up=$("$timeit" 1 "$floor" up "$n") || { echo "floor up failed" >&2; "$floor" down "$n"; exit 1; }
after=$(avail)
rss=0 nodes=0
: >"$pidfile"
for f in /run/limitns/n*.holder; do
	read -r p <"$f" || continue
	r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
	rss=$((rss + ${r:-0})) nodes=$((nodes + 1))
	echo "$p $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $20 }')" >>"$pidfile"
done
down=$("$timeit" 1 "$floor" down "$n") || { echo "floor down failed" >&2; exit 1; }
echo "up_ns=$up"
echo "down_ns=$down"
echo "avail_before_kb=$before"
echo "avail_after_kb=$after"
echo "rss_kb=$rss"
echo "nodes=$nodes"
