#!/usr/bin/env bash
# A host device moved into a node: a stand-in NIC (one end of a veth pair made here) goes into
# r1 as wan0 with the topology's addresses; after down it is back in the host under its own
# name with its MTU, addresses and admin state. A second stand-in, down, comes back down. A
# missing device fails `up` naming the JSON path and leaves nothing.
# feature: device
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

n=$((RANDOM % 100000))
DEV=nslt$n
PEER=nslp$n
DEV2=nslu$n
PEER2=nslq$n
defer ip link del "$DEV"
defer ip link del "$DEV2"
ip link add name "$DEV" type veth peer name "$PEER" || die "cannot make the stand-in $DEV"
ip link set "$DEV" mtu 1400
ip addr add 10.77.0.1/24 dev "$DEV"
ip link set "$DEV" up
ip link add name "$DEV2" type veth peer name "$PEER2" || die "cannot make the stand-in $DEV2"
ip link set "$DEV2" mtu 1300
ip addr add 10.77.1.1/24 dev "$DEV2"

LAB=$(lab_name)
F=$(write_topo device <<EOF
{
  "name": "$LAB",
  "nodes": {
    "r1": {
      "interfaces": {
        "wan0": { "device": "$DEV", "addresses": ["10.78.0.1/24", "fd42:78::1/64"] },
        "wan1": { "device": "$DEV2" },
        "eth0": { "addresses": ["10.78.1.1/24"] }
      }
    },
    "h1": { "interfaces": { "eth0": { "addresses": ["10.78.1.2/24"] } } }
  },
  "links": [ { "endpoints": ["r1:eth0", "h1:eth0"] } ]
}
EOF
)
lab_up "$LAB" "$F"

run ip link show dev "$DEV"
assert_rc_fail "ip link show dev $DEV ($DEV is gone from the host while the lab is up)"
assert_ok ip -n "$LAB.r1" -j addr show dev wan0
assert_jq "$out" '.[0].addr_info | any(.local == "10.78.0.1" and .prefixlen == 24) and any(.local == "fd42:78::1" and .prefixlen == 64)' \
	"wan0 in r1 has the topology's addresses"
assert_jq "$out" '.[0].addr_info | any(.local == "10.77.0.1") | not' "wan0 in r1 does not keep the host's address"
assert_jq "$out" '.[0].flags | index("UP")' "wan0 is up"
assert_ok ip -n "$LAB.r1" -j link show dev wan1
assert_ok ip -n "$LAB.r1" -6 -j addr show
assert_jq "$out" '[.[].addr_info[] | select(.tentative == true)] | length == 0' "r1: no tentative IPv6 address"
ping_ok "$LAB" h1 10.78.1.1

lab_down "$LAB"
lab_gone "$LAB"
assert_ok ip -j addr show dev "$DEV"
assert_jq "$out" '.[0].mtu == 1400' "$DEV mtu after down"
assert_jq "$out" '.[0].flags | index("UP")' "$DEV admin state after down (up)"
assert_jq "$out" '.[0].addr_info | any(.local == "10.77.0.1" and .prefixlen == 24)' "$DEV address after down"
assert_jq "$out" '.[0].addr_info | any(.local == "10.78.0.1") | not' "$DEV does not keep the lab's address"
assert_ok ip -j addr show dev "$DEV2"
assert_jq "$out" '.[0].mtu == 1300' "$DEV2 mtu after down"
assert_jq "$out" '.[0].flags | index("UP") | not' "$DEV2 admin state after down (down)"
assert_jq "$out" '.[0].addr_info | any(.local == "10.77.1.1" and .prefixlen == 24)' "$DEV2 address after down"

# A device that does not exist.
F2=$(write_topo nodevice <<EOF
{ "name": "$LAB", "nodes": { "r1": { "interfaces": { "wan0": { "device": "nslx$n" } } }, "h1": {} } }
EOF
)
run nsl up "$F2"
assert_rc_fail "up with a missing device"
assert_contains "$err" "nodes.r1.interfaces.wan0.device" "up with a missing device: stderr"
lab_gone "$LAB"
