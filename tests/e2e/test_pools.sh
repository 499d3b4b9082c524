#!/usr/bin/env bash
# Address pools (YAML): links, a LAN and loopbacks without addresses are numbered from
# "pools", the same way every time, skipping a block an address of the file is in; what
# validate --show says is what the kernel gets and what status shows; traffic flows over the
# numbered links (IPv4 and IPv6) and the LAN. A pool that is too small, or that overlaps
# another, is refused with its place.
# quick
# lane: host (address pools: numbering done before the kernel is touched; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$T_TMP/pools.yaml
cat >"$F" <<EOF
name: $LAB
pools:
  p2p: 10.221.0.0/24
  p2p6: "fd42:221::/56"
  lan: {subnet: 10.222.0.0/16, prefix: 24}
  loopback: 10.255.221.0/24
  loopback6: "fd42:221:ff::/64"
nodes:
  r1:
    sysctls: {net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1}
    routes:
      - {to: 10.255.221.2/32, via: 10.221.0.2}
      - {to: 10.222.0.0/24, via: 10.221.0.2}
  r2:
    sysctls: {net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1}
    interfaces:
      eth1: {addresses: [10.221.0.5/30]}
    routes: [{to: 10.255.221.1/32, via: 10.221.0.1}]
  r3:
    interfaces:
      eth0: {addresses: [10.221.0.6/30]}
      eth1: {addresses: []}
  sw:
    bridges: {br0: {ports: [p1, p2, p3]}}
  h1:
    routes: [{to: default, via: 10.222.0.4}]
  h2: {}
links:
  - endpoints: [r1:eth0, r2:eth0]
  - endpoints: [r2:eth1, r3:eth0]
  - endpoints: [r1:eth1, r3:eth1]
  - endpoints: [r2:eth2, r3:eth2]
  - endpoints: [h1:eth0, sw:p1]
  - endpoints: [h2:eth0, sw:p2]
  - endpoints: [r2:lan, sw:p3]
EOF

# ---- validate --show: the numbering, deterministic ----
assert_ok nsl validate --show "$F"
show=$out
assert_ok nsl validate --show "$F"
assert_eq "$show" "$out" "validate --show, run twice"
addr_of() { # NODE IFACE: the addresses --show gives it, "a (pool x)" one per line
	awk -v n="node $1" -v i="  interface $2 " '
		$0 == n { in_node = 1; next } /^node / { in_node = 0 }
		in_node && index($0, i) == 1 { in_if = 1; next }
		in_node && /^  [a-z]/ { in_if = 0 }
		in_node && in_if && /^    address / { sub(/^    address /, ""); print }' <<<"$show"
}
assert_eq $'10.221.0.1/30 (pool p2p)\nfd42:221::1/64 (pool p2p6)' "$(addr_of r1 eth0)" "r1:eth0 (endpoints[0] of links[0])"
assert_eq $'10.221.0.2/30 (pool p2p)\nfd42:221::2/64 (pool p2p6)' "$(addr_of r2 eth0)" "r2:eth0 (endpoints[1] of links[0])"
assert_eq "10.221.0.5/30" "$(addr_of r2 eth1)" "r2:eth1 (written)"
assert_eq "" "$(addr_of r1 eth1)" "r1:eth1 (its link's other end writes []: not numbered)"
# links[3]: the block 10.221.0.4/30 holds written addresses, so the next one
assert_eq $'10.221.0.9/30 (pool p2p)\nfd42:221:0:1::1/64 (pool p2p6)' "$(addr_of r2 eth2)" "r2:eth2 (links[3], after a skipped block)"
assert_eq $'10.221.0.10/30 (pool p2p)\nfd42:221:0:1::2/64 (pool p2p6)' "$(addr_of r3 eth2)" "r3:eth2"
assert_eq "10.222.0.1/24 (pool lan)" "$(addr_of sw br0)" "the LAN's bridge"
assert_eq "10.222.0.2/24 (pool lan)" "$(addr_of h1 eth0)" "h1 on the LAN (port p1)"
assert_eq "10.222.0.3/24 (pool lan)" "$(addr_of h2 eth0)" "h2 on the LAN (port p2)"
assert_eq "10.222.0.4/24 (pool lan)" "$(addr_of r2 lan)" "r2 on the LAN (port p3)"
assert_eq "" "$(addr_of sw p1)" "a bridge port gets none"
assert_eq $'10.255.221.1/32 (pool loopback)\nfd42:221:ff::1/128 (pool loopback6)' "$(addr_of r1 lo)" "r1's loopback"
assert_eq $'10.255.221.6/32 (pool loopback)\nfd42:221:ff::6/128 (pool loopback6)' "$(addr_of h2 lo)" "h2's loopback (the sixth node)"
assert_contains "$show" "pool p2p 10.221.0.0/24 blocks /30"
assert_contains "$show" "pool lan 10.222.0.0/16 blocks /24"

# ---- up: the kernel has them, status shows them, traffic flows ----
lab_up "$LAB" "$F"
assert_jq "$(ip -n "$LAB.r1" -j addr show eth0)" \
	'[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] == ["10.221.0.1/30", "fd42:221::1/64"]' "r1:eth0 in the kernel"
assert_jq "$(ip -n "$LAB.h2" -j addr show lo)" \
	'[.[0].addr_info[] | "\(.local)/\(.prefixlen)"] | index("10.255.221.6/32") != null' "h2:lo in the kernel"
run nsl status "$LAB" --json
assert_jq "$out" '.labs[0].nodes[] | select(.name == "h1") | .interfaces[] | select(.name == "eth0") | .addresses | index("10.222.0.2/24") != null' "status shows h1's pool address"
ping_ok "$LAB" r1 10.221.0.2
ping_ok "$LAB" r1 fd42:221::2
ping_ok "$LAB" r2 10.221.0.10
ping_ok "$LAB" h1 10.222.0.3
ping_ok "$LAB" h1 10.221.0.1 # through r2, on its LAN address
ping_ok "$LAB" r1 10.255.221.2 -I 10.255.221.1
lab_down "$LAB"
lab_gone "$LAB"

# ---- refusals ----
G=$T_TMP/small.yaml
cat >"$G" <<EOF
name: $LAB
pools: {p2p: 10.221.0.0/29, lan: 10.221.0.0/16}
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:e0, b:e0]
  - endpoints: [a:e1, b:e1]
  - endpoints: [a:e2, b:e2]
EOF
assert_status 1 nsl validate "$G"
assert_contains "$err" "small.yaml:2:14: pools.p2p: pool p2p (10.221.0.0/29) has no /30 left for links[2]"
assert_contains "$err" "small.yaml:2:34: pools.lan: 10.221.0.0/16 overlaps pool p2p (10.221.0.0/29)"
assert_status 1 nsl up "$G"
assert_contains "$err" "pools.p2p: pool p2p (10.221.0.0/29) has no /30 left for links[2]"
lab_gone "$LAB"
