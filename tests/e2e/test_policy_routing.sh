#!/usr/bin/env bash
# Routing beyond one next hop: a multipath route (both next hops in the kernel with their
# weights, and different flows taking different ones), routes in numbered and named tables,
# policy rules (from, iif, fwmark, priority) in both families, blackhole, unreachable and
# prohibit routes, an IPv4 route via an IPv6 next hop; checked with ip -j route/rule, with
# `ip route get` for flows, and with traffic.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$T_TMP/prouting.yaml
cat >"$F" <<EOF
name: $LAB
nodes:
  r1:
    sysctls: {net.ipv4.fib_multipath_hash_policy: 1, net.ipv6.fib_multipath_hash_policy: 1}
    tables: {isp2: 200}
    interfaces:
      lo: {addresses: [10.230.1.1/32, 10.230.1.2/32, "fd42:230:1::1/128"]}
      eth0: {addresses: [10.230.10.1/30, "fd42:230:10::1/64"]}
      eth1: {addresses: [10.230.11.1/30, "fd42:230:11::1/64"]}
    routes:
      - to: 10.230.9.0/24
        nexthops: [{via: 10.230.10.2, weight: 1}, {via: 10.230.11.2, dev: eth1, weight: 3}]
      - to: "fd42:230:9::/64"
        nexthops: [{via: "fd42:230:10::2"}, {via: "fd42:230:11::2"}]
      - {to: default, via: 10.230.11.2, table: 100}
      - {to: "::/0", via: "fd42:230:11::2", table: isp2}
      - {to: 10.230.50.0/24, via: "fd42:230:10::2", dev: eth0}
      - {to: 10.230.60.0/24, type: blackhole}
      - {to: 10.230.61.0/24, type: unreachable}
      - {to: 10.230.62.0/24, type: prohibit, metric: 5}
      - {to: 10.230.70.0/24, via: 10.230.10.2, table: 300}
    rules:
      - {from: 10.230.1.2/32, table: 100, priority: 100}
      - {from: "fd42:230:1::1/128", to: "fd42:230:99::/48", table: isp2, priority: 101}
      - {fwmark: "0x10/0xff", table: 300, priority: 102, family: ipv4}
      - {iif: lo, oif: eth1, table: main, priority: 103}
  r2:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      lo: {addresses: [10.230.9.1/32, 10.230.50.1/32, 10.230.99.1/32, "fd42:230:9::1/128", "fd42:230:99::1/128"]}
      eth0: {addresses: [10.230.10.2/30, "fd42:230:10::2/64"]}
      eth1: {addresses: [10.230.11.2/30, "fd42:230:11::2/64"]}
    routes:
      - {to: 10.230.1.0/24, via: 10.230.10.1}
      - {to: "fd42:230:1::/64", via: "fd42:230:10::1"}
links:
  - endpoints: [r1:eth0, r2:eth0]
  - endpoints: [r1:eth1, r2:eth1]
EOF
assert_ok nsl validate "$F"
lab_up "$LAB" "$F"
NS=$LAB.r1

# ---- multipath: both next hops, their weights ----
mp=$(nip "$NS" -j route show 10.230.9.0/24)
assert_jq "$mp" '.[0].nexthops | length == 2' "IPv4 multipath route has two next hops"
assert_jq "$mp" '[.[0].nexthops[] | "\(.gateway) \(.dev) \(.weight)"] == ["10.230.10.2 eth0 1", "10.230.11.2 eth1 3"]' "next hops with their weights"
assert_jq "$(nip "$NS" -j -6 route show fd42:230:9::/64)" '.[0].nexthops | length == 2' "IPv6 multipath route has two next hops"
# different flows, different next hops (layer 4 hashing)
devs=""
for sport in $(seq 10000 10040); do
	devs+=$(nip "$NS" -j route get 10.230.9.1 ipproto udp sport "$sport" dport 53 | jq -r '.[0].dev')$'\n'
done
assert_contains "$devs" eth0 "flows routed by the multipath route"
assert_contains "$devs" eth1 "flows routed by the multipath route"
ping_ok "$LAB" r1 10.230.9.1
ping_ok "$LAB" r1 fd42:230:9::1

# ---- tables and rules ----
assert_jq "$(nip "$NS" -j route show table 100)" '.[0].dst == "default" and .[0].gateway == "10.230.11.2"' "table 100"
assert_jq "$(nip "$NS" -j -6 route show table 200)" 'any(.[]; .dst == "default" and .gateway == "fd42:230:11::2")' "table isp2 (200)"
rules=$(nip "$NS" -j rule show)
assert_jq "$rules" 'any(.[]; .priority == 100 and .src == "10.230.1.2" and .table == "100")' "rule from 10.230.1.2 lookup 100"
assert_jq "$rules" 'any(.[]; .priority == 102 and .fwmark == "0x10" and .fwmask == "0xff" and .table == "300")' "rule fwmark 0x10/0xff lookup 300"
assert_jq "$rules" '[.[] | select(.priority == 103 and .iif == "lo" and .oif == "eth1" and .table == "main")] | length == 1' "IPv4 rule iif lo oif eth1"
rules6=$(nip "$NS" -j -6 rule show)
assert_jq "$rules6" 'any(.[]; .priority == 101 and .src == "fd42:230:1::1" and .dst == "fd42:230:99::" and .table == "200")' "IPv6 rule to table isp2"
assert_jq "$rules6" 'any(.[]; .priority == 103 and .iif == "lo" and .oif == "eth1")' "the family-less rule in IPv6 too"
assert_jq "$rules6" 'all(.[]; .priority != 102)' "the ipv4 rule not in IPv6"
# the flows: by source, by mark
assert_jq "$(nip "$NS" -j route get 10.230.99.1 from 10.230.1.2)" '.[0].dev == "eth1"' "from 10.230.1.2: table 100 (eth1)"
run nip "$NS" route get 10.230.99.1 from 10.230.1.1
assert_contains "$err" "unreachable" "from 10.230.1.1: main has no route"
assert_jq "$(nip "$NS" -j route get 10.230.70.1 mark 0x110)" '.[0].dev == "eth0" and .[0].gateway == "10.230.10.2"' "mark 0x110 (0x10 under 0xff): table 300"
run nip "$NS" route get 10.230.70.1 mark 0x20
assert_contains "$err" "unreachable" "mark 0x20: main"
ping_ok "$LAB" r1 10.230.99.1 -I 10.230.1.2
ping_ok "$LAB" r1 fd42:230:99::1 -I fd42:230:1::1

# ---- blackhole, unreachable, prohibit ----
assert_jq "$(nip "$NS" -j route show type blackhole)" 'any(.[]; .dst == "10.230.60.0/24")' "blackhole route"
assert_jq "$(nip "$NS" -j route show type unreachable)" 'any(.[]; .dst == "10.230.61.0/24")' "unreachable route"
assert_jq "$(nip "$NS" -j route show type prohibit)" 'any(.[]; .dst == "10.230.62.0/24" and .metric == 5)' "prohibit route, metric 5"
# what the kernel says of each: EINVAL, EHOSTUNREACH, EACCES
run nip "$NS" route get 10.230.60.1
assert_contains "$err" "Invalid argument" "route get into the blackhole"
run nip "$NS" route get 10.230.61.1
assert_contains "$err" "No route to host" "route get into the unreachable route"
run nip "$NS" route get 10.230.62.1
assert_contains "$err" "Permission denied" "route get into the prohibit route"
ping_fails "$LAB" r1 10.230.60.1
run nx "$LAB" r1 ping -n -c1 -W1 10.230.61.1
assert_contains "$err" "No route to host" "ping into the unreachable route"

# ---- IPv4 via IPv6 ----
assert_jq "$(nip "$NS" -j route show 10.230.50.0/24)" '.[0].via.family == "inet6" and .[0].via.host == "fd42:230:10::2" and .[0].dev == "eth0"' "IPv4 route via an IPv6 next hop"
ping_ok "$LAB" r1 10.230.50.1

lab_down "$LAB"
lab_gone "$LAB"
