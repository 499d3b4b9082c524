#!/usr/bin/env bash
# Issue 10, item 3: a failed `up` (and a `down`) never deletes a host link that nslab did not
# create, even when it has the very name of one of the topology's host ends and no alias.
#  a. The race: someone makes a veth named like a host end after `up` checked the host and
#     before `up` makes that end. `up` fails (the name is taken) and rolls back: the foreign
#     veth and its peer stay, with their index, MTU, alias and state. To stage the race, the
#     test holds the lock of /run/nslab (which `up` takes to create its state directory,
#     after its checks of the host): `up` waits there while the foreign veth appears.
#  b. The journal: `up` is killed once everything is built; its journal names the host end.
#     The end is then deleted, and someone makes a veth of that name (no alias). `down`
#     must delete nothing of theirs, and still take the lab down.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need flock

LAB=$(lab_name)
HIF=nslfl$((RANDOM % 10000))
MARK=$((400000 + $$ % 100000))
topo() { # topo STEM [EXEC]
	local ex=""
	[ -z "${2:-}" ] || ex=", \"exec\": [ $2 ]"
	write_topo "$1" <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.239.0.2/24"] } } $ex },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.239.1.2/24"] } } }
  },
  "links": [ { "endpoints": ["host:$HIF", "h1:eth0"] }, { "endpoints": ["h2:eth0", "h1:eth1"] } ],
  "host": { "interfaces": { "$HIF": { "addresses": ["10.239.0.1/24"] } } }
}
EOF
}

# foreign_link: someone else's veth named $HIF (peer ${HIF}x), no alias; its state in $fl_before.
link_state() { # NAME: what must not change
	ip -j -d link show dev "$1" 2>/dev/null | jq -c '.[0] | {ifname, ifindex, kind: .linkinfo.info_kind,
		mtu, alias: (.ifalias // ""), up: (.flags | index("UP") != null), address}'
}
foreign_link() {
	ip link add "$HIF" mtu 1234 type veth peer name "${HIF}x" || die "cannot create the foreign veth $HIF"
	ip link set "$HIF" up
	fl_before=$(link_state "$HIF")
	fp_before=$(link_state "${HIF}x")
}
defer_link_del() { # cleanup
	if ip link show dev "$HIF" >/dev/null 2>&1; then ip link del "$HIF"; fi
}
defer defer_link_del
foreign_intact() { # WHAT
	assert_eq "$fl_before" "$(link_state "$HIF")" "$1: the foreign $HIF"
	assert_eq "$fp_before" "$(link_state "${HIF}x")" "$1: its peer ${HIF}x"
}

# ---- a. the race, in up's own rollback ----

F=$(topo race)
lock_holder() { # holds /run/nslab's lock until $T_TMP/unlock exists
	flock -x /run/nslab sh -c 'touch "$1/locked"; while [ ! -e "$1/unlock" ]; do sleep 0.02; done' sh "$T_TMP"
}
[ -d /run/nslab ] || mkdir -m 0700 /run/nslab # as nslab makes it, if no lab ever ran here
lock_holder </dev/null >/dev/null 2>&1 &
lk=$!
defer touch "$T_TMP/unlock"
wait_for 10 test -e "$T_TMP/locked" || die "could not take the lock of /run/nslab"
"$NSLAB" up "$F" </dev/null >"$T_TMP/up.out" 2>"$T_TMP/up.err" &
up_pid=$!
sleep 0.5
if kill -0 "$up_pid" 2>/dev/null && [ ! -e "/run/nslab/$LAB" ] && [ ! -e "/run/netns/$LAB.h1" ] &&
	! ip link show dev "$HIF" >/dev/null 2>&1; then
	ok "up waits, nothing built yet: the race is staged"
else
	not_ok "could not stage the race: up did not wait for the lock of /run/nslab before building (adapt this test)"
fi
foreign_link
touch "$T_TMP/unlock"
wait "$lk"
wait "$up_pid"
rc=$?
out=$(cat "$T_TMP/up.out") err=$(cat "$T_TMP/up.err")
assert_rc_fail "up of $LAB while someone took the name $HIF"
assert_contains "$err" "$HIF" "up stderr"
assert_not_contains "$err" "rollback incomplete" "up stderr"
foreign_intact "failed up"
lab_gone "$LAB"
defer_link_del

# ---- b. the journal names the host end; the name is someone else's by the time of down ----

F2=$(topo killed "[\"sleep\", \"$MARK\"]")
"$NSLAB" up "$F2" </dev/null >"$T_TMP/up.out" 2>&1 &
up_pid=$!
exec_runs() { pgrep -f -x "sleep $MARK" >/dev/null; }
if wait_for 30 exec_runs; then
	ok "up reached its exec (the host end exists)"
else
	not_ok "up never ran its exec"
	_show "$(cat "$T_TMP/up.out")" "up output"
fi
assert_jq "$(ip -j link show dev "$HIF")" ".[0].ifalias == \"nslab:$LAB\"" "nslab's host end $HIF while up runs"
kill -KILL "$up_pid" 2>/dev/null
{ wait "$up_pid"; } 2>/dev/null
assert_true "the journal of $LAB names $HIF" grep -q "$HIF" "/run/nslab/$LAB/journal"
assert_ok ip link del "$HIF" # nslab's end goes (someone deleted it, or its node died) ...
foreign_link                 # ... and someone else takes the name
lab_down "$LAB"
foreign_intact "down after up was killed"
lab_gone "$LAB"
