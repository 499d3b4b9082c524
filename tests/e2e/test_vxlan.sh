#!/usr/bin/env bash
# VXLAN: an overlay between two nodes over an underlay link (unicast remote, and a multicast
# group among three nodes on a bridge), a VXLAN bridged with a LAN port (an L2 overlay),
# routes over the overlay (added once the VXLANs are up), a VXLAN from the host towards a
# node over a host link: the host's end is marked as the lab's and gone after down; a node's
# VXLAN whose underlay is the host's (its socket in the host, the device in the node: nothing
# of it left in the host). Traffic is checked to cross the tunnel (UDP 4789 on the underlay,
# counters of the VXLAN devices).
# As a user, "the host" is the lab's own (an uplink): the host's VXLAN and the node's whose
# underlay is the host's live there.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need tcpdump
lab_host

LAB=$(lab_name)
HIF=nslvh$((RANDOM % 10000))
HVX=nslvx$((RANDOM % 10000))
F=$T_TMP/vxlan.yaml
cat >"$F" <<EOF
name: $LAB
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.231.0.1/30]}
      eth1: {addresses: [10.231.1.1/24]}
      vx0: {kind: vxlan, vni: 4242, remote: 10.231.0.2, local: 10.231.0.1, dev: eth0, addresses: [10.232.0.1/24, "fd42:232::1/64"]}
      vx1: {kind: vxlan, vni: 43, remote: 10.231.1.254, dev: eth1, port: 4790, addresses: [10.233.0.1/24]}
      vx2: {kind: vxlan, vni: 44, remote: 10.231.1.254, dev: eth1, addresses: [10.233.5.1/24]}
      lo: {addresses: [10.236.1.1/32, "fd42:236:1::1/128"]}
    routes:
      - {to: 10.236.0.0/24, via: 10.232.0.2}
      - {to: "fd42:236::/64", via: "fd42:232::2"}
  u:
    interfaces:
      vxu: {kind: vxlan, vni: 44, remote: 10.231.1.1, underlay: host, dev: $HIF, addresses: [10.233.5.2/24]}
  b:
    interfaces:
      eth0: {addresses: [10.231.0.2/30]}
      vx0: {kind: vxlan, vni: 4242, remote: 10.231.0.1, dev: eth0}
      lan: {addresses: []}
      lo: {addresses: [10.236.0.1/32, "fd42:236::1/128"]}
    bridges:
      br0: {ports: [vx0, lan], addresses: [10.232.0.2/24, "fd42:232::2/64"]}
    routes:
      - {to: 10.236.1.0/24, via: 10.232.0.1}
      - {to: "fd42:236:1::/64", via: "fd42:232::1"}
  h:
    interfaces:
      eth0: {addresses: [10.232.0.3/24]}
  m1:
    interfaces:
      eth0: {addresses: [10.234.0.1/24]}
      vxm: {kind: vxlan, vni: 77, group: 239.1.1.77, dev: eth0, addresses: [10.235.0.1/24]}
  m2:
    interfaces:
      eth0: {addresses: [10.234.0.2/24]}
      vxm: {kind: vxlan, vni: 77, group: 239.1.1.77, dev: eth0, addresses: [10.235.0.2/24]}
  m3:
    interfaces:
      eth0: {addresses: [10.234.0.3/24]}
      vxm: {kind: vxlan, vni: 77, group: 239.1.1.77, dev: eth0, addresses: [10.235.0.3/24]}
  sw:
    bridges: {br0: {ports: [p1, p2, p3]}}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [h:eth0, b:lan]
  - endpoints: [host:$HIF, a:eth1]
  - endpoints: [m1:eth0, sw:p1]
  - endpoints: [m2:eth0, sw:p2]
  - endpoints: [m3:eth0, sw:p3]
host:
$(rootless && echo "  uplink: slirp4netns")
  interfaces:
    $HIF: {addresses: [10.231.1.254/24]}
    $HVX: {kind: vxlan, vni: 43, remote: 10.231.1.1, local: 10.231.1.254, dev: $HIF, port: 4790, addresses: [10.233.0.254/24]}
EOF
assert_ok nsl validate "$F"
assert_ok nsl up --dry-run "$F"
# the VXLANs come up after a first wait, once what carries them runs
assert_match "$out" "wait +a .*"$'\n'".*link +a:vx0 +up" "VXLANs come up after the underlay's wait"
# routes through a VXLAN (a gateway on its subnet, or on a bridge over it) come after it is up
assert_match "$out" "link +a:vx0 +up"$'\n'".*route +a +10.236.0.0/24 via 10.232.0.2" "a's route over vx0 after vx0 is up"
assert_match "$out" "link +b:vx0 +up"$'\n'".*route +b +10.236.1.0/24 via 10.232.0.1" "b's route over br0 (on vx0) after vx0 is up"
lab_up "$LAB" "$F"

vx=$(nip "$LAB.a" -j -d link show vx0)
assert_jq "$vx" '.[0].linkinfo.info_kind == "vxlan" and .[0].linkinfo.info_data.id == 4242 and .[0].linkinfo.info_data.remote == "10.231.0.2" and .[0].linkinfo.info_data.local == "10.231.0.1" and .[0].linkinfo.info_data.port == 4789 and .[0].linkinfo.info_data.link == "eth0"' "a:vx0 as written"

# ---- a to b's bridge over the tunnel, and to h behind it (L2 overlay) ----
capture_start "$LAB" b eth0 2 udp port 4789
ping_ok "$LAB" a 10.232.0.2
capture_wait
assert_match "$captured" "10.231.0.1.[0-9]+ > 10.231.0.2.4789: VXLAN.*vni 4242" "a's ping crossed the tunnel (UDP 4789, VNI 4242)"
ping_ok "$LAB" a fd42:232::2
ping_ok "$LAB" a 10.232.0.3
ping_ok "$LAB" h 10.232.0.1
# routed over the overlay, both ways: a's route via b on vx0's subnet, b's via a on br0's
ping_ok "$LAB" a 10.236.0.1
ping_ok "$LAB" b 10.236.1.1
ping_ok "$LAB" a fd42:236::1
ping_ok "$LAB" b fd42:236:1::1
assert_match "$(nip "$LAB.a" route show 10.236.0.0/24)" "via 10.232.0.2 dev vx0" "a's route goes through vx0"
tx=$(nip "$LAB.a" -j -s link show vx0 | jq '.[0].stats64.tx.packets')
assert_true "a:vx0 sent packets ($tx)" [ "${tx:-0}" -gt 0 ]

# ---- a multicast group among three nodes ----
ping_ok "$LAB" m1 10.235.0.2
ping_ok "$LAB" m1 10.235.0.3
ping_ok "$LAB" m3 10.235.0.2
assert_jq "$(nip "$LAB.m2" -j -d link show vxm)" '.[0].linkinfo.info_data.group == "239.1.1.77"' "m2:vxm joined group 239.1.1.77"

# ---- from the host ----
hv=$(hip "$LAB" -j -d link show "$HVX")
assert_jq "$hv" ".[0].ifalias == \"nslab:$LAB\" and .[0].linkinfo.info_kind == \"vxlan\" and .[0].linkinfo.info_data.id == 43 and .[0].linkinfo.info_data.port == 4790" "the host's VXLAN, marked as the lab's"
assert_ok hns "$LAB" ping -n -c1 -W2 -I "$HVX" 10.233.0.1
ping_ok "$LAB" a 10.233.0.254

# ---- a node's VXLAN over the host's network ----
assert_jq "$(nip "$LAB.u" -j -d link show vxu)" '.[0].linkinfo.info_kind == "vxlan" and .[0].linkinfo.info_data.id == 44' "u:vxu is in u"
assert_jq "$(hip "$LAB" -j link show)" 'all(.[]; .ifname != "vxu")' "nothing of u:vxu in the (lab's) host"
ping_ok "$LAB" u 10.233.5.1
ping_ok "$LAB" a 10.233.5.2

lab_down "$LAB"
lab_gone "$LAB"
assert_fail ip link show "$HVX"
