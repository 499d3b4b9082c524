#!/usr/bin/env bash
# Issue 10, item 2: a moved device that had an alias of its own gets that alias back (and
# everything else the host saw: name, index, MTU, MAC, addresses, admin and operational
# state, qdisc) after `down`; one without an alias comes back without one. Both after a
# normal down and after `up` was killed with SIGKILL (its journal intact). With the state
# directory lost too, the device must come home; whether its alias does is only noted.
# The devices are veths made here (a stand-in NIC each, its peer staying in the host).
# lane: host (the alias a moved device gets back: nslab's own records; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

n=$((RANDOM % 10000))
DEV=nslda$n   # has an alias of its own
DEV2=nsldb$n  # has none
ALIAS="mine: uplink to the lab bench (set by test_device_alias)"
MARK=$((300000 + $$ % 100000))
for d in "$DEV" "$DEV2"; do
	ip link add "$d" type veth peer name "${d}p" || die "cannot create veth $d"
	defer ip link del "${d}p"
	ip link set "${d}p" up
done
ip link set "$DEV" mtu 1420 alias "$ALIAS" up
ip addr add 10.237.0.1/24 dev "$DEV"
ip link set "$DEV2" mtu 1380 up
ip addr add 10.237.1.1/24 dev "$DEV2"
wait_for 5 test "$(cat "/sys/class/net/$DEV/operstate")" = up || note "$DEV is not operationally up"
# IPv6 settled (link-local addresses past DAD, their local routes in place) before the snapshot.
settled() {
	[ -z "$(ip -6 -j addr show | jq -r --arg a "$DEV" --arg b "$DEV2" '.[] | select(.ifname | startswith($a) or startswith($b))
		| .addr_info[] | select(.tentative == true) | .local')" ]
}
wait_for 10 settled || note "IPv6 addresses of the stand-ins still tentative"

# The host as it is with the stand-ins, before any lab: what every down must give back.
SNAP2=$T_TMP/.snapshot.devices
rsd_snapshot "$SNAP2"
alias_of() { ip -j link show dev "$1" 2>/dev/null | jq -r '.[0].ifalias // ""'; }
home_as_before() { # WHAT: both devices home, host as in SNAP2
	local what=$1 r
	assert_eq "$ALIAS" "$(alias_of "$DEV")" "$what: alias of $DEV"
	assert_eq "" "$(alias_of "$DEV2")" "$what: alias of $DEV2 (it had none)"
	# A device back home does IPv6 DAD again (about 2 s) before its link-local routes return.
	if r=$(RESIDUE_WAIT=8 rsd_compare "$SNAP2" "$LAB"); then
		ok "$what: the host is as it was before up"
	else
		not_ok "$what: the host is not as it was before up"
		echo "$r"
	fi
	# The next case starts from the devices as they were, whatever this one left.
	[ "$(alias_of "$DEV")" = "$ALIAS" ] || ip link set "$DEV" alias "$ALIAS"
	[ -z "$(alias_of "$DEV2")" ] || ip link set "$DEV2" alias ""
}

LAB=$(lab_name)
topo() { # topo STEM [EXEC]
	local ex=""
	[ -z "${2:-}" ] || ex=", \"exec\": [ $2 ]"
	write_topo "$1" <<EOF
{
  "name": "$LAB",
  "nodes": {
    "r1": {
      "interfaces": {
        "wan0": { "device": "$DEV", "addresses": ["10.238.0.1/24"] },
        "wan1": { "device": "$DEV2", "mtu": 1300 },
        "eth0": { "addresses": ["10.238.1.1/24"] }
      }
      $ex
    },
    "h1": { "interfaces": { "eth0": { "addresses": ["10.238.1.2/24"] } } }
  },
  "links": [ { "endpoints": ["r1:eth0", "h1:eth0"] } ]
}
EOF
}
F=$(topo alias)

# 1. up, then down.
lab_up "$LAB" "$F"
run ip link show dev "$DEV"
assert_rc_fail "ip link show dev $DEV (moved into r1)"
assert_ok ip -n "$LAB.r1" -j link show dev wan0
assert_jq "$out" '.[0].ifalias | startswith("nslab:")' "wan0 in r1 carries nslab's mark"
ping_ok "$LAB" h1 10.238.1.1
lab_down "$LAB"
lab_gone "$LAB"
home_as_before "down"

# 2. up killed with SIGKILL once everything is built (its exec runs), journal intact.
F2=$(topo killed "[\"sleep\", \"$MARK\"]")
"$NSLAB" up "$F2" </dev/null >"$T_TMP/up.out" 2>&1 &
up_pid=$!
exec_runs() { pgrep -f -x "sleep $MARK" >/dev/null; }
if wait_for 30 exec_runs; then
	ok "up reached its exec (the devices are in r1)"
else
	not_ok "up never ran its exec"
	_show "$(cat "$T_TMP/up.out")" "up output"
fi
kill -KILL "$up_pid" 2>/dev/null
{ wait "$up_pid"; } 2>/dev/null
assert_true "the journal of $LAB is there" [ -e "/run/nslab/$LAB" ]
lab_down "$LAB"
lab_gone "$LAB"
home_as_before "down after up was killed"

# 3. The same, and the state directory removed by hand: down from the marks.
"$NSLAB" up "$F2" </dev/null >"$T_TMP/up.out" 2>&1 &
up_pid=$!
wait_for 30 exec_runs || not_ok "up never ran its exec (state lost case)"
kill -KILL "$up_pid" 2>/dev/null
{ wait "$up_pid"; } 2>/dev/null
assert_ok rm -rf "/run/nslab/$LAB"
lab_down "$LAB"
lab_gone "$LAB"
assert_ok ip -j link show dev "$DEV"
assert_jq "$out" '.[0].ifalias // "" | startswith("nslab") | not' "$DEV carries no nslab mark after down from the marks"
assert_ok ip -j link show dev "$DEV2"
assert_jq "$out" '.[0].ifalias // "" | startswith("nslab") | not' "$DEV2 carries no nslab mark after down from the marks"
if [ "$(alias_of "$DEV")" = "$ALIAS" ]; then
	note "state lost: $DEV got its own alias back"
else
	note "state lost: $DEV came home with alias '$(alias_of "$DEV")', not its own (not required: the state is gone)"
	ip link set "$DEV" alias "$ALIAS" # for the final residue check
fi
