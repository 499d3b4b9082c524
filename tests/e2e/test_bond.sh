#!/usr/bin/env bash
# Bonds, dummies and ipvlans (need bonding, dummy and ipvlan: run in the VM lane, skip here):
# an 802.3ad bond of two veths between two nodes negotiates LACP and carries traffic; an
# active-backup bond keeps traffic when its active port goes down; a dummy carries a
# loopback-like address reached through a static route; an ipvlan on an interface of the node
# (and an l3 one with IPv6: no neighbour discovery, nothing to wait for)
# and one on a host interface (a veth this test makes) both reach their segment (as a user,
# a rootless lab has no host interface to sit on: that one is left out).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_kernel bonding dummy ipvlan

LAB=$(lab_name)
IV=nslbi$((RANDOM % 10000))
OUT=nslbo$$
IV0=""
if ! rootless; then
	ip link add "$IV" type veth peer name "${IV}p" || die "cannot create veth $IV"
	defer ip link del "$IV"
	ip netns add "$OUT" || die "cannot create netns $OUT"
	defer ip netns del "$OUT"
	ip link set "${IV}p" netns "$OUT" || die "cannot move ${IV}p"
	ip -n "$OUT" addr add 10.253.0.1/24 dev "${IV}p"
	ip -n "$OUT" link set "${IV}p" up
	ip link set "$IV" up
	IV0="iv0: {kind: ipvlan, device: $IV, addresses: [10.253.0.2/24]}"
fi

F=$T_TMP/bond.yaml
cat >"$F" <<EOF
name: $LAB
nodes:
  a:
    interfaces:
      bond0: {kind: bond, mode: 802.3ad, lacp_rate: fast, xmit_hash_policy: layer3+4, ports: [p1, p2], addresses: [10.251.0.1/24]}
      ab: {kind: bond, mode: active-backup, miimon: 50, ports: [q1, q2], addresses: [10.251.1.1/24]}
      d0: {kind: dummy, addresses: [10.255.251.1/32]}
      $IV0
  b:
    interfaces:
      bond0: {kind: bond, mode: 802.3ad, lacp_rate: fast, ports: [p1, p2], addresses: [10.251.0.2/24]}
      ab: {kind: bond, mode: active-backup, miimon: 50, ports: [q1, q2], addresses: [10.251.1.2/24]}
      eth0: {addresses: [10.252.0.1/24]}
      iv1: {kind: ipvlan, parent: eth0, mode: l2, addresses: [10.252.0.3/24]}
      eth1: {}
      iv2: {kind: ipvlan, parent: eth1, mode: l3, addresses: [10.252.1.3/24, "fd52:1::3/64"]}
    routes: [{to: 10.255.251.1/32, via: 10.251.0.1}]
  c:
    interfaces:
      eth0: {addresses: [10.252.0.2/24]}
links:
  - endpoints: [a:p1, b:p1]
  - endpoints: [a:p2, b:p2]
  - endpoints: [a:q1, b:q1]
  - endpoints: [a:q2, b:q2]
  - endpoints: [b:eth0, c:eth0]
  - endpoints: [b:eth1, c:eth1]
EOF
assert_ok nsl validate "$F"
lab_up "$LAB" "$F"

bd=$(nip "$LAB.a" -j -d link show bond0)
assert_jq "$bd" '.[0].linkinfo.info_kind == "bond" and .[0].linkinfo.info_data.mode == "802.3ad" and .[0].linkinfo.info_data.ad_lacp_rate == "fast" and .[0].linkinfo.info_data.xmit_hash_policy == "layer3+4"' "a:bond0 as written"
assert_jq "$(nip "$LAB.a" -j link show p1)" '.[0].master == "bond0" and (.[0].flags | index("UP") != null)' "a:p1 is an up port of bond0"
lacp() { # the partner a's bond0 sees: b's bond0
	[ "$(nip "$LAB.a" -j -d link show bond0 | jq -r '.[0].linkinfo.info_data.ad_info.partner_mac')" = \
		"$(nip "$LAB.b" -j link show bond0 | jq -r '.[0].address')" ]
}
if wait_for 10 lacp; then ok "LACP: a:bond0 has b:bond0 for partner"; else not_ok "LACP did not negotiate"; fi
ping_ok "$LAB" a 10.251.0.2
ping_ok "$LAB" b 10.255.251.1 -I 10.251.0.2

# active-backup: the active port goes down, traffic goes on over the other
active=$(nip "$LAB.a" -j -d link show ab | jq -r '.[0].linkinfo.info_data.active_slave')
assert_match "$active" '^q[12]$' "a:ab's active port"
ping_ok "$LAB" a 10.251.1.2
nip "$LAB.a" link set "$active" down
moved() { [ "$(nip "$LAB.a" -j -d link show ab | jq -r '.[0].linkinfo.info_data.active_slave')" != "$active" ]; }
if wait_for 5 moved; then ok "a:ab moved off $active"; else not_ok "a:ab still on $active"; fi
ping_ok "$LAB" a 10.251.1.2 -W3

# dummy
assert_jq "$(nip "$LAB.a" -j -d link show d0)" '.[0].linkinfo.info_kind == "dummy"' "a:d0 is a dummy"

# ipvlans: on the node's eth0, and on the host's veth
assert_jq "$(nip "$LAB.b" -j -d link show iv1)" '.[0].linkinfo.info_kind == "ipvlan" and .[0].link == "eth0"' "b:iv1 on eth0"
ping_ok "$LAB" c 10.252.0.3
# an l3 ipvlan has no neighbour discovery (NOARP): up did not wait for a solicited-node group
# the kernel never joins there
assert_jq "$(nip "$LAB.b" -j addr show iv2)" '(.[0].flags | index("NOARP") != null) and ([.[0].addr_info[].local] | index("fd52:1::3") != null)' "b:iv2 (l3, NOARP) has its IPv6 address"
if ! rootless; then
	ping_ok "$LAB" a 10.253.0.1
	assert_ok ip netns exec "$OUT" ping -n -c1 -W2 10.253.0.2
fi

lab_down "$LAB"
lab_gone "$LAB"
rootless || assert_jq "$(ip -j link show "$IV")" '.[0].flags | index("UP") != null' "$IV is still up after down"
