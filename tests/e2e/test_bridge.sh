#!/usr/bin/env bash
# A switch node: bridge br0 with four ports to four hosts, STP off by default; every pair of
# hosts pings (both families), the bridge's own address answers; a second bridge with stp on.
# feature: bridges
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo bridge <<EOF
{
  "name": "$LAB",
  "nodes": {
    "sw": {
      "bridges": {
        "br0": { "ports": ["p1", "p2", "p3", "p4"], "addresses": ["10.70.0.254/24", "fd42:70::fe/64"] },
        "br1": { "ports": ["q1"], "stp": true }
      }
    },
    "h1": { "interfaces": { "eth0": { "addresses": ["10.70.0.1/24", "fd42:70::1/64"] } } },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.70.0.2/24", "fd42:70::2/64"] } } },
    "h3": { "interfaces": { "eth0": { "addresses": ["10.70.0.3/24", "fd42:70::3/64"] } } },
    "h4": { "interfaces": { "eth0": { "addresses": ["10.70.0.4/24", "fd42:70::4/64"] } } },
    "h5": { "interfaces": { "eth0": { "addresses": ["10.70.1.5/24"] } } }
  },
  "links": [
    { "endpoints": ["h1:eth0", "sw:p1"] },
    { "endpoints": ["h2:eth0", "sw:p2"] },
    { "endpoints": ["h3:eth0", "sw:p3"] },
    { "endpoints": ["h4:eth0", "sw:p4"] },
    { "endpoints": ["h5:eth0", "sw:q1"] }
  ]
}
EOF
)
lab_up "$LAB" "$F"

links=$(nip "$LAB.sw" -j -d link show)
assert_jq "$links" 'any(.[]; .ifname == "br0" and .linkinfo.info_kind == "bridge")' "sw has bridge br0"
assert_jq "$links" '.[] | select(.ifname == "br0") | .linkinfo.info_data.stp_state == 0' "br0 stp off"
assert_jq "$links" '.[] | select(.ifname == "br1") | .linkinfo.info_data.stp_state != 0' "br1 stp on"
for p in p1 p2 p3 p4; do
	assert_jq "$links" ".[] | select(.ifname == \"$p\") | .master == \"br0\" and (.flags | index(\"LOWER_UP\"))" "$p is an up port of br0"
done
assert_jq "$links" '.[] | select(.ifname == "q1") | .master == "br1"' "q1 is a port of br1"
assert_jq "$links" '.[] | select(.ifname == "br0") | .flags | index("UP")' "br0 is up"
assert_jq "$(nip "$LAB.sw" -6 -j addr show)" '[.[].addr_info[] | select(.tentative == true)] | length == 0' \
	"sw: no tentative IPv6 address"

for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" = "$j" ] && continue
		ping_ok "$LAB" "h$i" "10.70.0.$j"
		ping_ok "$LAB" "h$i" "fd42:70::$j"
	done
	ping_ok "$LAB" "h$i" 10.70.0.254
	ping_ok "$LAB" "h$i" fd42:70::fe
done
ping_fails "$LAB" h5 10.70.0.1
