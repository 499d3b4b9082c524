#!/bin/sh
# bench/routed-ip.sh PREFIX: the job of `nslab run topologies/routed.json --test`, written by
# hand with `ip netns` (issue 16): the same four nodes, links, addresses, routes and sysctls,
# the same five checks, then teardown. Namespaces are PREFIX-h1, PREFIX-r1, PREFIX-r2,
# PREFIX-h2. Exit status: 0 if every check passed.
set -eu
p=$1
fail=0
for n in h1 r1 r2 h2; do
	ip netns add "$p-$n"
	ip -n "$p-$n" link set lo up
	# no DAD wait on the configured IPv6 addresses (nslab sets nodad as well)
	ip netns exec "$p-$n" sysctl -qw net.ipv6.conf.default.accept_dad=0
done
for r in r1 r2; do
	ip netns exec "$p-$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
ip link add eth0 netns "$p-h1" type veth peer name eth0 netns "$p-r1"
ip link add eth1 netns "$p-r1" type veth peer name eth0 netns "$p-r2"
ip link add eth1 netns "$p-r2" type veth peer name eth0 netns "$p-h2"
addr() { ip -n "$p-$1" addr add "$3" dev "$2" nodad 2>/dev/null || ip -n "$p-$1" addr add "$3" dev "$2"; }
addr h1 eth0 10.43.1.10/24
addr h1 eth0 fd42:43:1::10/64
addr r1 eth0 10.43.1.1/24
addr r1 eth0 fd42:43:1::1/64
addr r1 eth1 10.43.12.1/30
addr r1 eth1 fd42:43:12::1/64
addr r2 eth0 10.43.12.2/30
addr r2 eth0 fd42:43:12::2/64
addr r2 eth1 10.43.2.1/24
addr r2 eth1 fd42:43:2::1/64
addr h2 eth0 10.43.2.10/24
addr h2 eth0 fd42:43:2::10/64
ip -n "$p-h1" link set eth0 up
ip -n "$p-r1" link set eth0 up
ip -n "$p-r1" link set eth1 up
ip -n "$p-r2" link set eth0 up
ip -n "$p-r2" link set eth1 up
ip -n "$p-h2" link set eth0 up
ip -n "$p-h1" route add default via 10.43.1.1
ip -n "$p-h1" -6 route add default via fd42:43:1::1
ip -n "$p-r1" route add 10.43.2.0/24 via 10.43.12.2
ip -n "$p-r1" -6 route add fd42:43:2::/64 via fd42:43:12::2
ip -n "$p-r2" route add 10.43.1.0/24 via 10.43.12.1
ip -n "$p-r2" -6 route add fd42:43:1::/64 via fd42:43:12::1
ip -n "$p-h2" route add default via 10.43.2.1
ip -n "$p-h2" -6 route add default via fd42:43:2::1
# the checks: as a script writes them, a ping retried (every 0.2 s) for up to 5 s
ping_ok() { ip netns exec "$p-$1" ping -c 1 -w 5 -i 0.2 "$2" >/dev/null 2>&1; }
ping_ok h1 10.43.2.10 || fail=1
ping_ok h2 fd42:43:1::10 || fail=1
ip -n "$p-r1" route show 10.43.2.0/24 | grep -q 'via 10.43.12.2 dev eth1' || fail=1
ip -n "$p-r2" -6 route show fd42:43:1::/64 | grep -q 'via fd42:43:12::1' || fail=1
ip -n "$p-h1" route show default | grep -q 'via 10.43.1.1' || fail=1
for n in h1 r1 r2 h2; do ip netns del "$p-$n"; done
exit "$fail"
