#!/usr/bin/env bash
# Issue 10, item 5: two labs set the same host sysctl; their two `down`s run at the same
# time: the host's original value comes back, every time. The key is harmless: the IPv6 hop
# limit of a veth made here (set to a value of its own first, so that a kernel default does
# not pass for it). Many rounds, both orders of up, the downs started in both orders.
# lane: host (the host sysctls journal; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -d /proc/sys/net/ipv6 ] || skip "no IPv6 in this kernel: no per-interface IPv6 sysctl to race on"
V=nslsr$((RANDOM % 10000))
ip link add "$V" type veth peer name "${V}p" || die "cannot create veth $V"
defer ip link del "$V"
KEY=net.ipv6.conf.$V.hop_limit
ORIG=77
sysctl -qw "$KEY=$ORIG" || die "cannot set $KEY"
ROUNDS=${SYSCTL_RACE_ROUNDS:-30}

A=$(lab_name)
B=$(lab_name)
topo() { # LAB VALUE
	write_topo "$1" <<EOF
{ "name": "$1", "nodes": { "n": {} }, "host": { "sysctls": { "$KEY": $2 } } }
EOF
}
FA=$(topo "$A" 100)
FB=$(topo "$B" 101)

bad=0
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then first=$FA second=$FB want=101; else first=$FB second=$FA want=100; fi
	E2E_CMD_TIMEOUT=60 run nsl up "$first"
	[ "$rc" = 0 ] || { _show "$err" stderr; die "round $r: up of $first: $(rc_what "$rc")"; }
	E2E_CMD_TIMEOUT=60 run nsl up "$second"
	[ "$rc" = 0 ] || { _show "$err" stderr; die "round $r: up of $second: $(rc_what "$rc")"; }
	got=$(sysctl -n "$KEY")
	[ "$got" = "$want" ] || { not_ok "round $r: $KEY is $got while both labs are up, expected $want (the later lab's)"; bad=1; }
	# Both downs at once, started in either order, a few ms apart at most.
	if (((r / 2) % 2)); then d1=$A d2=$B; else d1=$B d2=$A; fi
	timeout 60 "$NSLAB" down "$d1" >"$T_TMP/d1.out" 2>&1 &
	p1=$!
	[ $((r % 3)) = 0 ] && sleep "0.00$((RANDOM % 10))"
	timeout 60 "$NSLAB" down "$d2" >"$T_TMP/d2.out" 2>&1 &
	p2=$!
	wait "$p1"
	r1=$?
	wait "$p2"
	r2=$?
	if [ "$r1" != 0 ] || [ "$r2" != 0 ]; then
		not_ok "round $r: concurrent downs of $d1 and $d2: $(rc_what "$r1") and $(rc_what "$r2")"
		_show "$(cat "$T_TMP/d1.out" "$T_TMP/d2.out")" "down output"
		bad=1
	fi
	got=$(sysctl -n "$KEY")
	if [ "$got" != "$ORIG" ]; then
		not_ok "round $r: $KEY is $got after both downs (downs of $d1 and $d2 at once), expected the host's $ORIG"
		sysctl -qw "$KEY=$ORIG"
		bad=1
	fi
	if ! rsd_poll rsd_lab_traces "$E2E_SNAP" "$A" "$B" >"$T_TMP/traces"; then
		not_ok "round $r: the labs are not gone"
		cat "$T_TMP/traces"
		timeout 60 "$NSLAB" down "$A" >/dev/null 2>&1
		timeout 60 "$NSLAB" down "$B" >/dev/null 2>&1
	fi
done
[ "$bad" = 1 ] || ok "$ROUNDS rounds: $KEY back to $ORIG after every pair of concurrent downs"

# And one lab alone, as a control: down gives the value back.
lab_up "$A" "$FA"
assert_eq 100 "$(sysctl -n "$KEY")" "$KEY while $A is up"
lab_down "$A"
assert_eq "$ORIG" "$(sysctl -n "$KEY")" "$KEY after down of $A alone"
