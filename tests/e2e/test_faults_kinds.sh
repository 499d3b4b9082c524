#!/usr/bin/env bash
# Fault injection for what the topology language adds in the host: the management network's
# bridge and ports, a VXLAN of the host, macvlans born in nodes from a host interface, node
# VXLANs, multipath routes and rules. Every step of up fails in turn: up says so and leaves
# nothing, and the host interface under the macvlans is as it was. Then up is killed between
# the birth of the host bridge and its mark: the bridge is there without the lab's mark, and
# down still finds it (by the MAC up journaled) and removes it.
# root-only: the host's own devices (a macvlan's host interface, the management bridge and a host VXLAN in the host itself); test_rootless_uplink injects faults into a rootless lab with them in its own host
# lane: host (every step of up, a second each under emulation: 10-15 minutes in the VM, where it passed; nothing in it depends on the kernel's version)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
HIF=nslkh$((RANDOM % 10000))
HVX=nslkx$((RANDOM % 10000))
MV=nslkm$((RANDOM % 10000))
ip link add "$MV" type veth peer name "${MV}p" || die "cannot create veth $MV"
defer ip link del "$MV"
ip link set "$MV" up
ip link set "${MV}p" up
dev_state() { ip -j -d link show "$MV" | jq -c '.[0] | {ifname, ifindex, mtu, flags, ifalias, master, address}'; }
dev_before=$(dev_state)
# the veth's own link-local addresses (and their local routes, once DAD is done) come with
# its carrier: in the snapshot, not as residue
lladdr() { ip -6 -j addr show dev "$1" scope link -tentative | jq -e '.[0].addr_info | length > 0' >/dev/null; }
if ! wait_for 10 lladdr "$MV" || ! wait_for 10 lladdr "${MV}p"; then note "no IPv6 link-local on $MV"; fi
SNAP2=$T_TMP/.snapshot.kinds
rsd_snapshot "$SNAP2"

F=$T_TMP/kinds.yaml
cat >"$F" <<EOF
name: $LAB
mgmt: {subnet: 10.238.0.0/24}
pools: {p2p: 10.239.0.0/24, loopback: 10.255.239.0/24}
nodes:
  a:
    interfaces:
      vx0: {kind: vxlan, vni: 5, remote: 10.239.0.2, dev: eth0, addresses: [10.240.0.1/24]}
      eth2: {addresses: [10.241.0.1/24]}
      vx1: {kind: vxlan, vni: 6, remote: 10.241.0.254, dev: eth2, addresses: [10.242.0.1/24]}
      mv0: {kind: macvlan, device: $MV, addresses: [10.243.0.1/24]}
    routes:
      - {to: 10.244.0.0/24, nexthops: [{via: 10.239.0.2}, {via: 10.239.0.6}]}
    rules:
      - {from: 10.240.0.0/24, table: 100, priority: 100}
  b:
    interfaces:
      vx0: {kind: vxlan, vni: 5, remote: 10.239.0.1, dev: eth0, addresses: [10.240.0.2/24]}
      mv0: {kind: macvlan, device: $MV, addresses: [10.243.0.2/24]}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [a:eth1, b:eth1]
  - endpoints: [host:$HIF, a:eth2]
host:
  interfaces:
    $HIF: {addresses: [10.241.0.254/24]}
    $HVX: {kind: vxlan, vni: 6, remote: 10.241.0.1, dev: $HIF, addresses: [10.242.0.254/24]}
EOF
assert_ok nsl validate "$F"

# 1. How many steps.
run timeout 120 env NSLAB_COUNT_STEPS=1 "$NSLAB" up "$F"
[ "$rc" = 0 ] || { _show "$err" stderr; die "up fails without a fault (exit $rc)"; }
lab_record "$LAB"
N=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$N" ] || [ "$N" = 0 ]; then die "NSLAB_COUNT_STEPS printed no step count: $err"; fi
ok "up counts $N steps"
ping_ok "$LAB" a 10.240.0.2
ping_ok "$LAB" a 10.243.0.2
ping_ok "$LAB" a 10.242.0.254
ping_ok "$LAB" a 10.238.0.1
lab_down "$LAB"
lab_gone "$LAB"

# 2. Every step fails in turn.
mark_step=""
for ((k = 1; k <= N; k++)); do
	run timeout 120 env NSLAB_FAIL_STEP=$k "$NSLAB" up "$F"
	bad=$(fault_findings)
	[ "$(dev_state)" = "$dev_before" ] || bad+=" $MV changed: $(dev_state);"
	if ! r=$(rsd_compare "$SNAP2" "$LAB"); then bad+=" residue;"; fi
	[[ $err == *"host bridge "*": mark: injected fault"* ]] && mark_step=$k
	if [ -z "$bad" ]; then
		ok "NSLAB_FAIL_STEP=$k: up fails and leaves nothing ($(head -n1 <<<"$err"))"
	else
		not_ok "NSLAB_FAIL_STEP=$k:$bad"
		_show "$err" stderr
		[ -z "$r" ] || echo "$r"
		timeout 120 "$NSLAB" down "$LAB" >/dev/null 2>&1
	fi
done
[ -n "$mark_step" ] || die "no step marks the host bridge"

# 3. up killed after the host bridge was born, before its mark: down proves it ours by MAC.
assert_ok nsl up --dry-run "$F"
br=$(awk '$2 == "host-dev" && / bridge / { sub(/^host:/, "", $3); print $3 }' <<<"$out")
assert_true "the plan names the host bridge ($br)" [ -n "$br" ]
wait_stopped() { [ "$(awk '{ print $3 }' "/proc/$up_pid/stat" 2>/dev/null)" = T ]; }
env NSLAB_STOP_STEP="$mark_step" "$NSLAB" up "$F" >"$T_TMP/stop.out" 2>&1 &
up_pid=$!
if wait_for 60 wait_stopped; then
	ok "up stopped at step $mark_step (the host bridge's mark)"
else
	not_ok "up did not stop at step $mark_step"
fi
assert_jq "$(ip -j -d link show "$br")" '.[0].linkinfo.info_kind == "bridge" and (.[0].ifalias // "") == ""' "$br is in the host, without the lab's mark"
kill -KILL "$up_pid"
wait "$up_pid" 2>/dev/null
lab_down "$LAB"
lab_gone "$LAB"
assert_fail ip link show "$br"
assert_eq "$dev_before" "$(dev_state)" "$MV after all"
if r=$(rsd_compare "$SNAP2" "$LAB"); then ok "nothing left"; else
	not_ok "residue at the end"
	echo "$r"
fi
