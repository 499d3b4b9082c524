#!/usr/bin/env bash
# Link and interface properties: link mtu on both ends (and a 9000-byte ping through),
# interfaces.X.mtu over the link's, mac, up: false, the kernel default MTU, lo up everywhere
# with its own addresses.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo props <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": {
      "interfaces": {
        "lo": { "addresses": ["10.255.0.1/32", "fd42:ff::1/128"] },
        "eth0": { "addresses": ["10.2.0.1/24"], "mac": "02:42:ac:11:00:02" },
        "eth1": { "mtu": 4000 },
        "eth2": { "up": false, "addresses": ["10.2.2.1/24"] }
      }
    },
    "b": {
      "interfaces": {
        "eth0": { "addresses": ["10.2.0.2/24"] },
        "eth2": { "addresses": ["10.2.2.2/24"] }
      }
    },
    "c": {}
  },
  "links": [
    { "endpoints": ["a:eth0", "b:eth0"], "mtu": 9000 },
    { "endpoints": ["a:eth1", "b:eth1"], "mtu": 9000 },
    { "endpoints": ["a:eth2", "b:eth2"] }
  ]
}
EOF
)

lab_up "$LAB" "$F"

link() { ip -n "$LAB.$1" -j link show "$2"; }

assert_jq "$(link a eth0)" '.[0].mtu == 9000' "a eth0 mtu (link mtu)"
assert_jq "$(link b eth0)" '.[0].mtu == 9000' "b eth0 mtu (link mtu)"
assert_jq "$(link a eth1)" '.[0].mtu == 4000' "a eth1 mtu (interface mtu over link mtu)"
assert_jq "$(link b eth1)" '.[0].mtu == 9000' "b eth1 mtu (link mtu)"
assert_jq "$(link b eth2)" '.[0].mtu == 1500' "b eth2 mtu (kernel default)"
assert_jq "$(link a eth0)" '.[0].address == "02:42:ac:11:00:02"' "a eth0 mac"

# A full 9000-byte frame crosses, unfragmented.
ping_ok "$LAB" a 10.2.0.2 -M "do" -s 8972
ping_ok "$LAB" b 10.2.0.1 -M "do" -s 8972

# up: false: a's end is administratively down, b's end is up without a carrier.
assert_jq "$(link a eth2)" '.[0].flags | index("UP") | not' "a eth2 is down"
assert_jq "$(link b eth2)" '.[0].flags | index("UP")' "b eth2 is up"
assert_jq "$(link b eth2)" '.[0].flags | index("LOWER_UP") | not' "b eth2 has no carrier"
assert_jq "$(ip -n "$LAB.a" -j addr show eth2)" '.[0].addr_info | any(.local == "10.2.2.1")' "a eth2 still has its address"
ping_fails "$LAB" b 10.2.2.1
# Every other interface is up.
for n in a b; do
	assert_jq "$(link "$n" eth0)" '.[0].flags | index("LOWER_UP")' "$n eth0 up with carrier"
	assert_jq "$(link "$n" eth1)" '.[0].flags | index("LOWER_UP")' "$n eth1 up with carrier"
done

# lo: up in every node, even one with no interfaces; a's lo carries its own addresses too.
for n in a b c; do
	assert_jq "$(link "$n" lo)" '.[0].flags | index("UP")' "$n lo is up"
	assert_ok ip netns exec "$LAB.$n" ping -n -c1 -W1 127.0.0.1
done
lo=$(ip -n "$LAB.a" -j addr show lo)
assert_jq "$lo" '.[0].addr_info | any(.local == "10.255.0.1" and .prefixlen == 32)' "a lo 10.255.0.1/32"
assert_jq "$lo" '.[0].addr_info | any(.local == "fd42:ff::1" and .prefixlen == 128)' "a lo fd42:ff::1/128"
assert_jq "$lo" '.[0].addr_info | any(.local == "127.0.0.1")' "a lo keeps 127.0.0.1"
assert_eq "$(born_with)" "$(ip -n "$LAB.c" -j link show | jq -r '.[].ifname' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"c has only what a new namespace is born with"
