#!/usr/bin/env bash
# VLANs (802.1Q sub-interfaces; needs 8021q: runs in the VM lane, skips here): a trunk between
# two switches, each bridging VLAN 10 and VLAN 20 to its access ports over sub-interfaces of
# the trunk port; hosts of one VLAN reach each other across the trunk, hosts of the other
# VLAN in the same subnet are not reached (and the frames on the trunk carry the tags); a
# router on a stick routes between the VLANs; an 802.1ad (QinQ) outer tag is made as written.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_kernel 8021q
need tcpdump

LAB=$(lab_name)
F=$T_TMP/vlan.yaml
cat >"$F" <<EOF
name: $LAB
nodes:
  sw1:
    interfaces:
      trunk: {addresses: []}
      trunk.10: {kind: vlan, parent: trunk, id: 10}
      trunk.20: {kind: vlan, parent: trunk, id: 20}
      rtr: {addresses: []}
      rtr.10: {kind: vlan, parent: rtr, id: 10}
      rtr.20: {kind: vlan, parent: rtr, id: 20}
    bridges:
      br10: {ports: [a1, trunk.10, rtr.10]}
      br20: {ports: [a2, trunk.20, rtr.20, g]}
  sw2:
    interfaces:
      trunk: {addresses: []}
      trunk.10: {kind: vlan, parent: trunk, id: 10}
      trunk.20: {kind: vlan, parent: trunk, id: 20}
    bridges:
      br10: {ports: [a1, trunk.10, g]}
      br20: {ports: [a2, trunk.20]}
  h1:
    interfaces: {eth0: {addresses: [10.245.0.1/24]}}
  h2:
    interfaces: {eth0: {addresses: [10.245.0.2/24]}}
  h3:
    interfaces: {eth0: {addresses: [10.245.0.3/24]}}
  h4:
    interfaces: {eth0: {addresses: [10.245.0.4/24]}}
  g10:
    interfaces: {eth0: {addresses: [10.246.10.2/24]}}
    routes: [{to: default, via: 10.246.10.1}]
  g20:
    interfaces: {eth0: {addresses: [10.246.20.2/24]}}
    routes: [{to: default, via: 10.246.20.1}]
  r:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      eth0: {addresses: []}
      eth0.10: {kind: vlan, parent: eth0, id: 10, addresses: [10.246.10.1/24]}
      eth0.20: {kind: vlan, parent: eth0, id: 20, addresses: [10.246.20.1/24]}
      q: {addresses: []}
      q.100: {kind: vlan, parent: q, id: 100, protocol: 802.1ad}
      q.100.5: {kind: vlan, parent: q.100, id: 5, addresses: [10.247.0.1/24]}
  s:
    interfaces:
      q: {addresses: []}
      q.100: {kind: vlan, parent: q, id: 100, protocol: 802.1ad}
      q.100.5: {kind: vlan, parent: q.100, id: 5, addresses: [10.247.0.2/24]}
links:
  - endpoints: [sw1:trunk, sw2:trunk]
  - endpoints: [h1:eth0, sw1:a1]
  - endpoints: [h2:eth0, sw1:a2]
  - endpoints: [h3:eth0, sw2:a1]
  - endpoints: [h4:eth0, sw2:a2]
  - endpoints: [r:eth0, sw1:rtr]
  - endpoints: [g10:eth0, sw2:g]
  - endpoints: [g20:eth0, sw1:g]
  - endpoints: [r:q, s:q]
EOF
assert_ok nsl validate "$F"
lab_up "$LAB" "$F"

assert_jq "$(nip "$LAB.sw1" -j -d link show trunk.10)" '.[0].linkinfo.info_kind == "vlan" and .[0].linkinfo.info_data.id == 10 and .[0].linkinfo.info_data.protocol == "802.1Q" and .[0].link == "trunk"' "sw1:trunk.10"
assert_jq "$(nip "$LAB.r" -j -d link show q.100)" '.[0].linkinfo.info_data.protocol == "802.1ad"' "r:q.100 is 802.1ad"

# VLAN 10 across the trunk; VLAN 20 is another segment, although the subnet is the same
capture_start "$LAB" sw2 trunk 1 vlan 10 and icmp
ping_ok "$LAB" h1 10.245.0.3
capture_wait
# (the filter "vlan 10" matched: the frame carried tag 10)
assert_contains "$captured" "10.245.0.1 > 10.245.0.3: ICMP echo request" "h1's ping crosses the trunk tagged 10"
ping_ok "$LAB" h2 10.245.0.4
ping_fails "$LAB" h1 10.245.0.4
ping_fails "$LAB" h2 10.245.0.3

# router on a stick
ping_ok "$LAB" g10 10.246.20.2
ping_ok "$LAB" g20 10.246.10.2

# QinQ
ping_ok "$LAB" r 10.247.0.2

lab_down "$LAB"
lab_gone "$LAB"
