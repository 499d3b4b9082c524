#!/usr/bin/env bash
# A host:IFACE link: the host end gets its addresses and MTU and the alias nslab:LAB; host and
# node ping each other (only the lab's own addresses); after down the host end is gone.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
HIF=nslh$((RANDOM % 10000))
F=$(write_topo hostlink <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.9.0.2/24", "fd42:9::2/64"] } } }
  },
  "links": [ { "endpoints": ["host:$HIF", "h1:eth0"] } ],
  "host": { "interfaces": { "$HIF": { "addresses": ["10.9.0.1/24", "fd42:9::1/64"], "mtu": 1400 } } }
}
EOF
)
lab_up "$LAB" "$F"

assert_ok ip -j addr show dev "$HIF"
l=$out
assert_jq "$l" ".[0].ifname == \"$HIF\"" "host end exists"
assert_jq "$(ip -j link show dev "$HIF")" ".[0].ifalias == \"nslab:$LAB\"" "host end alias"
assert_jq "$l" '.[0].mtu == 1400' "host end mtu"
assert_jq "$l" '.[0].flags | index("LOWER_UP")' "host end up"
assert_jq "$l" '.[0].addr_info | any(.local == "10.9.0.1" and .prefixlen == 24) and any(.local == "fd42:9::1" and .prefixlen == 64)' \
	"host end addresses"
assert_jq "$l" '[.[0].addr_info[] | select(.tentative == true)] | length == 0' "host end: no tentative address"
assert_jq "$(ip -n "$LAB.h1" -j link show eth0)" '.[0].mtu == 1500' "node end keeps the default mtu"

assert_ok ping -n -c1 -W1 -I "$HIF" 10.9.0.2
assert_ok ping -n -c1 -W1 -I "$HIF" fd42:9::2
ping_ok "$LAB" h1 10.9.0.1
ping_ok "$LAB" h1 fd42:9::1

lab_down "$LAB"
lab_gone "$LAB"
run ip link show dev "$HIF"
assert_rc_fail "ip link show dev $HIF (the host end is gone after down)"
