#!/usr/bin/env bash
# Limits through cgroup v2 ("limits": memory, pids, cpu): the lab's cgroup nslab-LAB at the
# root of the hierarchy, one per node under it carrying its limits, the holder and every
# command of the node (nslab exec) born in it; a node that allocates past its memory is
# OOM-killed in that node only (the other node's process lives on), pids.max stops a fork
# bomb, cpu.max is written; status --json shows the limits and the cgroup; down removes the
# cgroups (by their marks when the state is lost), and never one it cannot prove is the lab's
# (an unmarked nslab-LAB is left alone).
# Needs cgroup v2 with memory, pids and cpu handed down from its root: the VM lane
# (tests/vm/guest-init.sh mounts it and enables them); a hybrid cgroup v1 host skips.
# feature: isolation
# root-only: cgroups of the host's tree (a rootless lab's limits are refused: test_isolation)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need jq

# nslab's rule (kernel/cgroup.c): /sys/fs/cgroup when it is cgroup2, else the first cgroup2.
CG=
for m in $(rsd_cgroup2_mounts); do
	[ -z "$CG" ] || [ "$m" = /sys/fs/cgroup ] && CG=$m
done
[ -n "$CG" ] || skip_kernel "no cgroup2 file system mounted (a cgroup v1 host)"
sub=$(cat "$CG/cgroup.subtree_control" 2>/dev/null)
for c in memory pids cpu; do
	[[ " $sub " == *" $c "* ]] ||
		skip_kernel "cgroup2 at $CG does not hand down the $c controller (cgroup.subtree_control: '${sub:-empty}'; controllers: '$(cat "$CG/cgroup.controllers")')"
done

LAB=$(lab_name)
F=$(write_topo lim <<EOF
{
  "name": "$LAB",
  "nodes": {
    "m": { "limits": { "memory": "48M", "pids": 32, "cpu": 0.5 },
           "interfaces": { "eth0": { "addresses": ["10.74.0.1/24"] } } },
    "o": { "limits": { "memory": "48M" },
           "interfaces": { "eth0": { "addresses": ["10.74.0.2/24"] } },
           "exec": [["sh", "-c", "sleep 600 >/dev/null 2>&1 &"]] }
  },
  "links": [ { "endpoints": ["m:eth0", "o:eth0"] } ]
}
EOF
)
lab_up "$LAB" "$F"
L=$CG/nslab-$LAB
assert_eq 50331648 "$(cat "$L/m/memory.max")" "m's memory.max"
assert_eq 32 "$(cat "$L/m/pids.max")" "m's pids.max"
assert_eq "50000 100000" "$(cat "$L/m/cpu.max")" "m's cpu.max (half a CPU)"
assert_eq max "$(cat "$L/o/pids.max")" "o has no pids limit"
assert_eq "0::/nslab-$LAB/m" "$(nsl exec -l "$LAB" m cat /proc/self/cgroup)" \
	"nslab exec runs in the node's cgroup"
holder=$(lab_pids "$LAB" | awk '$1 == "m" { print $2 }')
assert_eq "0::/nslab-$LAB/m" "$(cat "/proc/$holder/cgroup")" "the holder is in it"
assert_jq "$(nsl status "$LAB" --json)" \
	".labs[0].nodes[] | select(.name == \"m\") | .limits == {\"memory\": 50331648, \"pids\": 32, \"cpu\": 0.5} and .cgroup == \"$L/m\"" \
	"status --json shows m's limits and cgroup"
assert_ok nsl exec -l "$LAB" m ping -c1 -W2 10.74.0.2

# Past its memory: tail keeps a last line without a newline whole (all 200 MB of it); the OOM
# killer takes it, in m.
sleeper=$(nsl exec -l "$LAB" o sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && echo ${p#/proc/}; done')
assert_true "o runs its sleep ($sleeper)" [ -n "$sleeper" ]
run nsl exec -l "$LAB" m sh -c 'head -c 200000000 /dev/zero | tail -n 1 >/dev/null'
assert_true "allocating past 48M fails in m (exit $rc)" [ "$rc" != 0 ]
assert_true "m's memory.events counts an OOM kill" \
	awk '$1 == "oom_kill" && $2 >= 1 { f = 1 } END { exit !f }' "$L/m/memory.events"
assert_true "o's does not" awk '$1 == "oom_kill" && $2 == 0 { f = 1 } END { exit !f }' "$L/o/memory.events"
assert_eq "$sleeper" "$(nsl exec -l "$LAB" o sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && echo ${p#/proc/}; done')" \
	"o's process lives on"
assert_ok nsl exec -l "$LAB" m true

# A fork bomb stops at pids.max.
run nsl exec -l "$LAB" m sh -c 'i=0; while [ $i -lt 64 ]; do sleep 30 & i=$((i + 1)); done; echo started $i'
assert_true "64 processes do not fit in pids.max 32 (exit $rc: $err)" [ "$rc" != 0 ]
assert_true "m's pids.events counts it" awk '$1 == "max" && $2 >= 1 { f = 1 } END { exit !f }' "$L/m/pids.events"
lab_down "$LAB"
assert_true "the lab's cgroups are gone" [ ! -e "$L" ]
lab_gone "$LAB"

# A cgroup of that name the lab cannot prove is its own: up refuses, nothing removes it.
LAB2=$(lab_name)
mkdir "$CG/nslab-$LAB2" || die "cannot make $CG/nslab-$LAB2"
defer rmdir "$CG/nslab-$LAB2"
F2=$(write_topo lim2 <<EOF
{ "name": "$LAB2", "nodes": { "n": { "limits": { "pids": 16 } } } }
EOF
)
assert_fail nsl up "$F2"
assert_contains "$err" "cgroup $CG/nslab-$LAB2 exists already"
assert_true "the unmarked cgroup is left alone" [ -d "$CG/nslab-$LAB2" ]
assert_true "nothing of $LAB2 is left in /run/nslab" [ ! -e "/run/nslab/$LAB2" ]

# The state lost: down finds the lab's cgroups by their marks alone.
LAB3=$(lab_name)
F3=$(write_topo lim3 <<EOF2
{ "name": "$LAB3", "nodes": { "n": { "limits": { "pids": 16 }, "exec": [["sh", "-c", "sleep 600 >/dev/null 2>&1 &"]] } } }
EOF2
)
lab_up "$LAB3" "$F3"
assert_true "n's cgroup is there" [ -d "$CG/nslab-$LAB3/n" ]
# apply: a node with limits added to the lab that is up gets its own cgroup beside n's.
F3b=$(write_topo lim3b <<EOF2
{ "name": "$LAB3", "nodes": { "n": { "limits": { "pids": 16 }, "exec": [["sh", "-c", "sleep 600 >/dev/null 2>&1 &"]] },
                              "k": { "limits": { "memory": "32M" } } } }
EOF2
)
assert_ok nsl apply "$F3b"
assert_eq 33554432 "$(cat "$CG/nslab-$LAB3/k/memory.max")" "apply: k's memory.max"
assert_eq "0::/nslab-$LAB3/k" "$(nsl exec -l "$LAB3" k cat /proc/self/cgroup)" "apply: k's commands run in it"
assert_jq "$(nsl status "$LAB3" --json)" \
	".labs[0].nodes[] | select(.name == \"k\") | .cgroup == \"$CG/nslab-$LAB3/k\"" "apply: status shows k's cgroup"
assert_ok rm -rf "/run/nslab/$LAB3"
lab_down "$LAB3"
assert_true "without its state, down removes the lab's cgroups by their marks" [ ! -e "$CG/nslab-$LAB3" ]
lab_gone "$LAB3"
