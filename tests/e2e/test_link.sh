#!/usr/bin/env bash
# nslab link NODE:IF down|up: the end set down, the other end without its carrier (as when a
# cable is pulled out), both shown by status; a ping between two loopback addresses fails
# over to the second of two parallel links, both ways, by route metrics alone (the end set
# down loses its routes over the link; the far end skips its own while the link is down) and
# comes back to the first after up, which puts back the routes and IPv6 addresses the down
# took and the far end's setting. Also a bridge port and a host end; refusals.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

lab_host
LAB=$(lab_name)
HIF=nsll$((RANDOM % 10000))
F=$(write_topo link <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": {
      "interfaces": {
        "lo": { "addresses": ["10.61.9.1/32"] },
        "eth0": { "addresses": ["10.61.1.1/24", "fd61:1::1/64"] },
        "eth1": { "addresses": ["10.61.2.1/24"] }
      },
      "routes": [ { "to": "10.61.9.2/32", "via": "10.61.1.2", "metric": 10 },
                  { "to": "10.61.9.2/32", "via": "10.61.2.2", "metric": 20 },
                  { "to": "fd61:9::/64", "via": "fd61:1::2" } ]
    },
    "h2": {
      "interfaces": {
        "lo": { "addresses": ["10.61.9.2/32", "fd61:9::2/128"] },
        "eth0": { "addresses": ["10.61.1.2/24", "fd61:1::2/64"] },
        "eth1": { "addresses": ["10.61.2.2/24"] }
      },
      "routes": [ { "to": "10.61.9.1/32", "via": "10.61.1.1", "metric": 10 },
                  { "to": "10.61.9.1/32", "via": "10.61.2.1", "metric": 20 } ]
    },
    "sw": { "bridges": { "br0": { "ports": ["p1", "p2"] } } },
    "x": { "interfaces": { "eth0": { "addresses": ["10.61.3.1/24"] } } },
    "y": { "interfaces": { "eth0": { "addresses": ["10.61.3.2/24"] } } },
    "q": { "interfaces": { "eth0": { "up": false } } }
  },
  "links": [
    { "endpoints": ["h1:eth0", "h2:eth0"] },
    { "endpoints": ["h1:eth1", "h2:eth1"] },
    { "endpoints": ["x:eth0", "sw:p1"] },
    { "endpoints": ["sw:p2", "y:eth0"] },
    { "endpoints": ["host:$HIF", "x:eth1"] },
    { "endpoints": ["x:eth2", "q:eth0"] }
  ],
  "host": { $LAB_HOST"interfaces": { "$HIF": { "addresses": ["10.61.4.1/24"] } } }
}
EOF
)
lab_up "$LAB" "$F"

# iface_json NODE IF: the interface's entry in status --json
iface_json() {
	nsl status "$LAB" --json | jq -c --arg n "$1" --arg i "$2" \
		'.labs[0].nodes[] | select(.name == $n) | .interfaces[] | select(.name == $i)'
}
# tx NODE IF: packets sent on it so far
tx() {
	nip "$LAB.$1" -j -s link show "$2" | jq '.[0].stats64.tx.packets'
}
# pings_via IF: 20 pings from h1's loopback to h2's all answered, all sent on h1's IF
pings_via() {
	local before after
	before=$(tx h1 "$1")
	run nx "$LAB" h1 ping -n -q -c 20 -i 0.02 -W 1 -I 10.61.9.1 10.61.9.2
	after=$(tx h1 "$1")
	assert_eq 0 "$rc" "20 pings 10.61.9.1 -> 10.61.9.2 answered (${2:-})"
	assert_true "they left through h1:$1 ($((after - before)) packets)" [ $((after - before)) -ge 20 ]
}

pings_via eth0 "both links up: the metric-10 route"

# ---- down: the end set down, its peer loses its carrier ----
assert_ok nsl link -l "$LAB" h1:eth0 down
assert_jq "$(nip "$LAB.h1" -j link show eth0)" '.[0].flags | index("UP") | not' "h1:eth0 is set down"
p=$(nip "$LAB.h2" -j link show eth0)
assert_jq "$p" '.[0].flags | index("UP")' "h2:eth0 stays up"
assert_jq "$p" '.[0].flags | index("NO-CARRIER")' "h2:eth0 lost its carrier"
assert_jq "$p" '.[0].operstate | IN("DOWN", "LOWERLAYERDOWN")' "h2:eth0 operstate DOWN (6.18) or LOWERLAYERDOWN (6.1)"
s=$(iface_json h2 eth0)
assert_jq "$s" '.link == "down" and .carrier == false and (.operstate | IN("down", "lowerlayerdown")) and .state == "up"' \
	"status: h2:eth0 link down, no carrier"
assert_jq "$(iface_json h1 eth0)" '.link == "down" and .state == "down"' "status: h1:eth0 link down, set down"
run nsl status "$LAB"
assert_contains "$out" "no-carrier" "status text"
assert_contains "$out" "(link down)" "status text"
assert_jq "$(nip "$LAB.h2" -j route show 10.61.9.1)" 'any(.[]; (.flags // []) | index("linkdown"))' \
	"h2 marks its route over the dead link linkdown"
skip_of() {
	nx "$LAB" h2 cat "/proc/sys/net/$1/conf/eth0/ignore_routes_with_linkdown"
}
assert_eq 1 "$(skip_of ipv4)" "h2:eth0 skips IPv4 routes over the dead link"
assert_eq 1 "$(skip_of ipv6)" "h2:eth0 skips IPv6 routes over the dead link"
pings_via eth1 "failed over to the metric-20 route"
ping_fails "$LAB" h2 10.61.1.1

# ---- up: both ends running, what the down took is back ----
assert_ok nsl link -l "$LAB" h2:eth0 up
for n in h1 h2; do
	assert_jq "$(nip "$LAB.$n" -j link show eth0)" '.[0].operstate == "UP"' "$n:eth0 running again"
done
assert_jq "$(nip "$LAB.h1" -j route show 10.61.9.2/32)" \
	'any(.[]; .gateway == "10.61.1.2" and .metric == 10)' "h1's metric-10 route is back"
assert_jq "$(nip "$LAB.h1" -j -6 route show fd61:9::/64)" 'any(.[]; .gateway == "fd61:1::2")' \
	"h1's IPv6 route is back"
assert_jq "$(nip "$LAB.h1" -j addr show eth0)" \
	'.[0].addr_info | any(.local == "fd61:1::1") and any(.local == "10.61.1.1")' "h1:eth0 has its addresses again"
assert_jq "$(iface_json h2 eth0)" '(.link // "") != "down" and .carrier == true' "status: link up again"
assert_eq 0 "$(skip_of ipv4)" "h2:eth0's setting as it was (IPv4)"
assert_eq 0 "$(skip_of ipv6)" "h2:eth0's setting as it was (IPv6)"
pings_via eth0 "back on the metric-10 route"
ping_ok "$LAB" h1 fd61:9::2 -I fd61:1::1

# ---- a bridge port ----
ping_ok "$LAB" x 10.61.3.2
assert_ok nsl link -l "$LAB" sw:p2 down
assert_jq "$(nip "$LAB.y" -j link show eth0)" '.[0].flags | index("NO-CARRIER")' "y:eth0 lost its carrier"
ping_fails "$LAB" x 10.61.3.2
assert_ok nsl link -l "$LAB" sw:p2 up
assert_jq "$(nip "$LAB.sw" -j link show p2)" '.[0].master == "br0"' "sw:p2 still a port of br0"
ping_ok "$LAB" x 10.61.3.2

# ---- a host end (LAB.NODE:IF names the lab) ----
assert_ok nsl link "host:$HIF" down -l "$LAB"
assert_jq "$(hip "$LAB" -j link show "$HIF")" '.[0].flags | index("UP") | not' "host end set down"
assert_jq "$(nip "$LAB.x" -j link show eth1)" '.[0].flags | index("NO-CARRIER")' "x:eth1 lost its carrier"
assert_ok nsl link "$LAB.x:eth1" up
assert_jq "$(hip "$LAB" -j link show "$HIF")" '.[0].operstate == "UP"' "host end up again"
assert_jq "$(hip "$LAB" -j addr show "$HIF")" '.[0].addr_info | any(.local == "10.61.4.1")' "host end keeps its address"

# ---- a link whose other end the topology keeps down: up does not wait for it ----
assert_ok nsl link -l "$LAB" x:eth2 down
t0=$EPOCHREALTIME
assert_ok nsl link -l "$LAB" x:eth2 up
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_true "returns at once: q:eth0 is down by the topology ($took ms)" [ "$took" -lt 5000 ]
assert_jq "$(nip "$LAB.x" -j link show eth2)" '.[0].flags | index("UP")' "x:eth2 up again"
assert_jq "$(nip "$LAB.q" -j link show eth0)" '.[0].flags | index("UP") | not' "q:eth0 stays down, as the topology says"

# ---- refusals: clean failures, nothing changed ----
for bad in "h1:lo down" "sw:br0 down" "h1:eth9 down" "nope:eth0 down" "h1:eth0 sideways" "h1 down" "h1:eth0"; do
	# shellcheck disable=SC2086 # the words of each case
	run nsl link -l "$LAB" $bad
	assert_rc_fail "nslab link $bad"
done
assert_contains "$err" "usage" "a missing state is a usage error"
run nsl link -l "$LAB" h1:lo down
assert_contains "$err" "loopback, not an end of a link" "h1:lo"
run nsl link -l nolab_$$ h1:eth0 down
assert_rc_fail "a lab that is not up"
assert_contains "$err" "is not up" "the message"
pings_via eth0 "nothing changed by the refusals"

lab_down "$LAB"
lab_gone "$LAB"
