#!/usr/bin/env bash
# h1 - r1 - r2 - h2, IPv4 and IPv6 on every link, static routes both ways.
# Asserts: no tentative IPv6 address (link-local included) right after `up` returns; routes in
# the kernel as written (via, dev, metric, src, on-link); forwarding on the routers only;
# pings both ways in both families, and that they cross both routers (TTL).
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo routed <<EOF
{
  "name": "$LAB",
  "description": "two routers in a row",
  "nodes": {
    "h1": {
      "interfaces": { "eth0": { "addresses": ["10.1.1.2/24", "fd42:1:1::2/64"] } },
      "routes": [ { "to": "default", "via": "10.1.1.1" }, { "to": "default", "via": "fd42:1:1::1" } ]
    },
    "r1": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "eth0": { "addresses": ["10.1.1.1/24", "fd42:1:1::1/64"] },
        "eth1": { "addresses": ["10.1.12.1/24", "fd42:1:12::1/64"] }
      },
      "routes": [
        { "to": "10.1.2.0/24", "via": "10.1.12.2", "dev": "eth1", "metric": 50 },
        { "to": "fd42:1:2::/64", "via": "fd42:1:12::2", "dev": "eth1", "metric": 50 },
        { "to": "10.1.99.0/24", "dev": "eth1" },
        { "to": "10.1.98.0/24", "via": "10.1.12.2", "src": "10.1.1.1" }
      ]
    },
    "r2": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "eth0": { "addresses": ["10.1.12.2/24", "fd42:1:12::2/64"] },
        "eth1": { "addresses": ["10.1.2.1/24", "fd42:1:2::1/64"] }
      },
      "routes": [
        { "to": "10.1.1.0/24", "via": "10.1.12.1", "metric": 60 },
        { "to": "fd42:1:1::/64", "via": "fd42:1:12::1", "metric": 60 }
      ]
    },
    "h2": {
      "interfaces": { "eth0": { "addresses": ["10.1.2.2/24", "fd42:1:2::2/64"] } },
      "routes": [ { "to": "default", "via": "10.1.2.1" }, { "to": "default", "via": "fd42:1:2::1" } ]
    }
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"] },
    { "endpoints": ["r1:eth1", "r2:eth0"] },
    { "endpoints": ["r2:eth1", "h2:eth0"] }
  ]
}
EOF
)

lab_up "$LAB" "$F"

# First, before anything had time to settle: no address still doing DAD.
for n in h1 r1 r2 h2; do
	assert_jq "$(nip "$LAB.$n" -j link show)" '[.[] | select(.ifname | startswith("eth")) | .operstate] | all(. == "UP")' \
		"$n: every ethN is operationally up"
	a=$(nip "$LAB.$n" -6 -j addr show)
	assert_jq "$a" '[.[].addr_info[] | select(.tentative == true or .dadfailed == true)] | length == 0' \
		"$n: IPv6 addresses not tentative"
	assert_jq "$a" '[.[] | select(.ifname | startswith("eth")) | .addr_info | any(.local | startswith("fe80:"))] | all and length > 0' \
		"$n: every ethN has its link-local address"
done

# Addresses as written.
assert_jq "$(nip "$LAB.r1" -j addr show eth1)" \
	'.[0].addr_info | (any(.local == "10.1.12.1" and .prefixlen == 24) and any(.local == "fd42:1:12::1" and .prefixlen == 64))' \
	"r1 eth1 addresses"

# Routes as written.
r4=$(nip "$LAB.r1" -4 -j route show)
r6=$(nip "$LAB.r1" -6 -j route show)
assert_jq "$r4" 'any(.[]; .dst == "10.1.2.0/24" and .gateway == "10.1.12.2" and .dev == "eth1" and .metric == 50)' \
	"r1: 10.1.2.0/24 via 10.1.12.2 dev eth1 metric 50"
assert_jq "$r6" 'any(.[]; .dst == "fd42:1:2::/64" and .gateway == "fd42:1:12::2" and .dev == "eth1" and .metric == 50)' \
	"r1: fd42:1:2::/64 via fd42:1:12::2 dev eth1 metric 50"
assert_jq "$r4" 'any(.[]; .dst == "10.1.99.0/24" and .dev == "eth1" and (has("gateway") | not) and .scope == "link")' \
	"r1: 10.1.99.0/24 on-link dev eth1"
assert_jq "$r4" 'any(.[]; .dst == "10.1.98.0/24" and .gateway == "10.1.12.2" and .dev == "eth1" and .prefsrc == "10.1.1.1")' \
	"r1: 10.1.98.0/24 via 10.1.12.2 src 10.1.1.1"
assert_jq "$(nip "$LAB.r2" -4 -j route show)" 'any(.[]; .dst == "10.1.1.0/24" and .gateway == "10.1.12.1" and .dev == "eth0" and .metric == 60)' \
	"r2: 10.1.1.0/24 via 10.1.12.1 metric 60"
assert_jq "$(nip "$LAB.h1" -4 -j route show)" 'any(.[]; .dst == "default" and .gateway == "10.1.1.1" and .dev == "eth0")' \
	"h1: default via 10.1.1.1"
assert_jq "$(nip "$LAB.h1" -6 -j route show)" 'any(.[]; .dst == "default" and .gateway == "fd42:1:1::1" and .dev == "eth0")' \
	"h1: default via fd42:1:1::1"

# Forwarding where asked, the kernel's default (off, IPv6 on) elsewhere.
for n in r1 r2; do
	assert_eq 1 "$(nns "$LAB.$n" sysctl -n net.ipv4.ip_forward)" "$n net.ipv4.ip_forward"
	assert_eq 1 "$(nns "$LAB.$n" sysctl -n net.ipv6.conf.all.forwarding)" "$n net.ipv6.conf.all.forwarding"
done
for n in h1 h2; do
	assert_eq 0 "$(nns "$LAB.$n" sysctl -n net.ipv4.ip_forward)" "$n net.ipv4.ip_forward"
	assert_eq 0 "$(nns "$LAB.$n" sysctl -n net.ipv6.conf.all.disable_ipv6)" "$n net.ipv6.conf.all.disable_ipv6"
done

# End to end, both ways, both families.
ping_ok "$LAB" h1 10.1.2.2
ping_ok "$LAB" h1 fd42:1:2::2
ping_ok "$LAB" h2 10.1.1.2
ping_ok "$LAB" h2 fd42:1:1::2
ping_ok "$LAB" h1 10.1.12.2
# Three hops: TTL 2 dies at r2, TTL 3 arrives.
ping_fails "$LAB" h1 10.1.2.2 -t 2
ping_ok "$LAB" h1 10.1.2.2 -t 3
