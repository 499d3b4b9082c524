#!/usr/bin/env bash
# Kernel features the VM lane (tests/vm/run.sh, Debian's own kernel) exists for, checked with
# plain ip, tc and ping in throwaway namespaces of this test's own (no nslab): netem delays,
# 802.1Q VLANs separate, a VRF has its own table, a dummy carries an address, GRE and SIT
# tunnels carry traffic, and a new namespace is born with the tunnel modules' fallback devices,
# which take interface indexes. This guards the lane itself; on a kernel without these
# modules (the CI host's) it skips, naming what is missing.
# feature: kernel
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need tc ping unshare

have=() missing=() why=""
for f in netem 8021q vrf dummy gre sit; do
	if have_kernel "$f"; then
		have+=("$f")
	else
		missing+=("$f")
		why=${why:-$E2E_KERNEL_WHY}
		note "no $f: $E2E_KERNEL_WHY"
	fi
done
[ ${#have[@]} -gt 0 ] || skip_kernel "kernel $(uname -r) has none of: ${missing[*]} (e.g. $why)"
has() { [[ " ${have[*]} " == *" $1 "* ]]; }

A=kfa$$ B=kfb$$
defer ip netns del "$A"
defer ip netns del "$B"
ip netns add "$A" || die "ip netns add $A"
ip netns add "$B" || die "ip netns add $B"
a() { ip netns exec "$A" "$@"; }
b() { ip netns exec "$B" "$@"; }

# ---- fallback devices: a new namespace is not empty once a tunnel module is loaded ----

fb=()
[ -d /sys/module/sit ] && fb+=(sit0)
[ -d /sys/module/ip_gre ] && fb+=(gre0 gretap0 erspan0)
[ -d /sys/module/ip6_tunnel ] && fb+=(ip6tnl0)
if [ ${#fb[@]} = 0 ]; then
	note "no tunnel module loaded: a new namespace has only lo"
elif [ "$(cat /proc/sys/net/core/fb_tunnels_only_for_init_net)" != 0 ]; then
	note "net.core.fb_tunnels_only_for_init_net is set: new namespaces get no fallback devices"
else
	links=$(unshare -n ip -j link show)
	for d in "${fb[@]}"; do
		assert_jq "$links" "any(.[]; .ifname == \"$d\")" "a new namespace has $d"
	done
	assert_jq "$links" 'any(.[]; .ifname == "lo" and .ifindex == 1)' "lo is ifindex 1"
	idx=$(jq -r '[.[] | select(.ifname != "lo") | .ifindex] | min' <<<"$links")
	note "fallback devices in a new namespace: $(jq -r '[.[] | "\(.ifname)=\(.ifindex)"] | join(" ")' <<<"$links")"
	# The trap nslab fell into: an index that a fallback device holds cannot be requested.
	run unshare -n ip link add kf0 index "$idx" type veth peer name kf1
	assert_true "a veth at index $idx (a fallback device's) is refused" [ "$rc" != 0 ]
	assert_contains "$err" "File exists" "ip link add ... index $idx"
fi

# ---- the wire between A and B: v0 (for VLANs, netem, tunnels) and v1 (for the VRF) ----

ip link add v0 netns "$A" type veth peer name v0 netns "$B" || die "veth v0"
ip link add v1 netns "$A" type veth peer name v1 netns "$B" || die "veth v1"
for n in "$A" "$B"; do
	ip -n "$n" link set lo up
	ip -n "$n" link set v0 up
	ip -n "$n" link set v1 up
done
ip -n "$A" addr add 10.251.0.1/24 dev v0
ip -n "$B" addr add 10.251.0.2/24 dev v0
assert_ok a ping -n -c1 -W5 10.251.0.2

if has netem; then
	assert_ok a tc qdisc add dev v0 root netem delay 50ms
	q=$(a tc -j qdisc show dev v0)
	assert_jq "$q" 'any(.[]; .kind == "netem")' "v0 has a netem qdisc"
	run a ping -n -c3 -i0.2 -W5 10.251.0.2
	min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$out")
	assert_true "A -> B over netem delay 50ms: min RTT ${min:-?} ms >= 50" \
		awk -v m="${min:-0}" 'BEGIN { exit !(m >= 50) }'
	assert_ok a tc qdisc del dev v0 root
fi

if has 8021q; then
	ip -n "$A" link add link v0 name v0.100 type vlan id 100
	ip -n "$B" link add link v0 name v0.100 type vlan id 100
	ip -n "$A" link add link v0 name v0.300 type vlan id 300
	ip -n "$B" link add link v0 name v0.200 type vlan id 200
	ip -n "$A" addr add 10.251.100.1/24 dev v0.100
	ip -n "$B" addr add 10.251.100.2/24 dev v0.100
	ip -n "$A" addr add 10.251.200.1/24 dev v0.300
	ip -n "$B" addr add 10.251.200.2/24 dev v0.200
	for n in "$A" "$B"; do
		for d in $(ip -n "$n" -o link show type vlan | awk -F'[:@ ]+' '{ print $2 }'); do
			ip -n "$n" link set "$d" up
		done
	done
	l=$(ip -n "$A" -j -d link show v0.100)
	assert_jq "$l" '.[0].linkinfo.info_kind == "vlan" and .[0].linkinfo.info_data.id == 100 and .[0].linkinfo.info_data.protocol == "802.1Q"' "v0.100 is an 802.1Q VLAN, id 100"
	assert_ok a ping -n -c1 -W5 10.251.100.2
	run a ping -n -c1 -W2 10.251.200.2
	assert_true "VLAN 300 does not reach VLAN 200 (exit $rc)" [ "$rc" != 0 ]
fi

if has vrf; then
	ip -n "$A" link add kfvrf type vrf table 251
	ip -n "$A" link set kfvrf up
	ip -n "$A" link set v1 master kfvrf
	ip -n "$A" addr add 10.251.1.1/24 dev v1
	ip -n "$B" addr add 10.251.1.2/24 dev v1
	r=$(ip -n "$A" -j route show table 251)
	assert_jq "$r" 'any(.[]; .dst == "10.251.1.0/24" and .dev == "v1")' "VRF table 251 has 10.251.1.0/24"
	r=$(ip -n "$A" -j route show table main)
	assert_jq "$r" 'all(.[]; .dst != "10.251.1.0/24")' "the main table does not"
	assert_ok a ping -n -c1 -W5 -I kfvrf 10.251.1.2
	run a ping -n -c1 -W2 10.251.1.2
	assert_true "outside the VRF, 10.251.1.2 is not reached (exit $rc)" [ "$rc" != 0 ]
fi

if has dummy; then
	ip -n "$A" link add kfd0 type dummy
	ip -n "$A" addr add 10.251.9.1/32 dev kfd0
	ip -n "$A" link set kfd0 up
	l=$(ip -n "$A" -j -d link show kfd0)
	assert_jq "$l" '.[0].linkinfo.info_kind == "dummy"' "kfd0 is a dummy"
	ip -n "$B" route add 10.251.9.1/32 via 10.251.0.1
	assert_ok b ping -n -c1 -W5 10.251.9.1
fi

if has gre; then
	ip -n "$A" link add kfgre type gre local 10.251.0.1 remote 10.251.0.2
	ip -n "$B" link add kfgre type gre local 10.251.0.2 remote 10.251.0.1
	ip -n "$A" addr add 10.251.50.1/30 dev kfgre
	ip -n "$B" addr add 10.251.50.2/30 dev kfgre
	ip -n "$A" link set kfgre up
	ip -n "$B" link set kfgre up
	l=$(ip -n "$A" -j -d link show kfgre)
	assert_jq "$l" '.[0].linkinfo.info_kind == "gre"' "kfgre is a GRE tunnel"
	assert_ok a ping -n -c1 -W5 10.251.50.2
fi

if has sit; then
	ip -n "$A" link add kfsit type sit local 10.251.0.1 remote 10.251.0.2
	ip -n "$B" link add kfsit type sit local 10.251.0.2 remote 10.251.0.1
	ip -n "$A" addr add 2001:db8:251:5::1/64 dev kfsit nodad
	ip -n "$B" addr add 2001:db8:251:5::2/64 dev kfsit nodad
	ip -n "$A" link set kfsit up
	ip -n "$B" link set kfsit up
	assert_ok a ping -n -c1 -W5 2001:db8:251:5::2
fi

[ ${#missing[@]} = 0 ] || skip_kernel "kernel $(uname -r) lacks ${missing[*]} (checked: ${have[*]})"
