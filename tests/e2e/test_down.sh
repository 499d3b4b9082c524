#!/usr/bin/env bash
# down: idempotent (second down exits 0 with a note), by name, by file, --all; up of a lab
# that is up fails and changes nothing; a name is reusable at once after down.
# quick
# lane: host (down's own rules (idempotent, by name, by file, --all); left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
topo() { # topo NAME FILE-STEM: a two-node lab
	write_topo "$2" <<EOF
{
  "name": "$1",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.6.0.1/24", "fd42:6::1/64"] } } },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.6.0.2/24", "fd42:6::2/64"] } } }
  },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ]
}
EOF
}
F=$(topo "$LAB" down1)

lab_up "$LAB" "$F"
ping_ok "$LAB" h1 10.6.0.2

# A node whose bind is gone, its empty file left (an up cut short between the two): down
# removes the file too, the journal naming the node. (Root's binds: a user's lab keeps its
# own in its keeper's mount namespace.)
if rootless; then
	note "the unbound-file section is root's: a user's lab keeps its binds in its keeper's mount namespace"
else
	lab_down "$LAB"
	lab_up "$LAB" "$F"
	umount "/run/netns/$LAB.h2" || die "cannot unmount /run/netns/$LAB.h2"
	assert_true "the file of $LAB.h2 is there, unbound" [ -f "/run/netns/$LAB.h2" ]
	lab_down "$LAB"
	assert_true "down removed the unbound /run/netns/$LAB.h2" [ ! -e "/run/netns/$LAB.h2" ]
	lab_up "$LAB" "$F"
fi

# up again: refused, and the running lab is untouched.
pids=$(lab_pids "$LAB")
ino=$(ns_ino "$LAB.h1")
run nsl up "$F"
assert_rc_fail "up of a lab that is up"
assert_true "and says why on stderr" [ -n "$err" ]
_show "$err" stderr
assert_eq "$pids" "$(lab_pids "$LAB")" "holders after the refused up"
assert_eq "$ino" "$(ns_ino "$LAB.h1")" "netns of h1 after the refused up"
ping_ok "$LAB" h1 10.6.0.2
ping_ok "$LAB" h2 fd42:6::1
assert_ok nsl exec -l "$LAB" h1 -- true

# down by name, twice.
lab_down "$LAB"
lab_gone "$LAB"
assert_status 0 nsl down "$LAB"
assert_true "second down notes on stderr that $LAB is not up" [ -n "$err" ]
_show "$err" stderr
assert_status 125 nsl exec -l "$LAB" h1 -- true

# The same name again, at once.
lab_up "$LAB" "$F"
ping_ok "$LAB" h1 10.6.0.2
ping_ok "$LAB" h1 fd42:6::2
# down by file.
lab_down "$F"
lab_gone "$LAB"
assert_status 0 nsl down "$F"
# up/down cycles leave nothing between them.
for _ in 1 2 3; do
	lab_up "$LAB" "$F"
	lab_down "$LAB"
done
lab_gone "$LAB"

# down --all takes every lab down; only run it when every lab up on this host is ours.
L1=$(lab_name)
L2=$(lab_name)
lab_up "$L1" "$(topo "$L1" all1)"
lab_up "$L2" "$(topo "$L2" all2)"
others=$(other_labs "$L1" "$L2")
if [ -z "$others" ]; then
	lab_down --all
	lab_gone "$L1"
	lab_gone "$L2"
	assert_ok nsl status --json
	assert_jq "$out" '.labs | length == 0' "status after down --all"
	assert_status 0 nsl down --all
else
	note "labs of someone else are up ($others): down --all not run"
fi
