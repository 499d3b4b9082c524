#!/usr/bin/env bash
# Labs over several hosts: each "machine" is simulated on this one by a network namespace of
# its own (its underlay a veth into a switch namespace), a mount namespace of its own with a
# tmpfs on /run (so nslab there has its own /run/nslab and /run/netns) and sysfs remounted,
# and a UTS namespace (its hostname). nslab runs in each through nsenter, as it would over ssh.
# Two hosts (IPv4 underlay): pings across the links between hosts in both families, an L2
# segment stretched over both (a bridge on each side), the refusals (no --host, a host whose
# underlay this machine lacks, --host of another part at down), status naming the hosts, one
# side down and up again while the other stays. Three hosts (IPv6 underlay), each host found
# another way (--host, NSLAB_HOST, the hostname): a triangle of routers. The residue check
# runs on every simulated host and on the real one.
# lane: host (namespaces and VXLAN as on any kernel; about 20 s here, many times that under emulation)
# root-only: simulates machines with namespaces of the host's (ip netns, nsenter), and a lab over several hosts needs root (its VXLANs' sockets are in the host)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need unshare nsenter
need_kernel vxlan

P=nmh$((RANDOM % 100000))
SW=$P-sw
D=$T_TMP/hosts # the simulated hosts' namespace files (a private mount)

mkdir -p "$D" || die "mkdir $D"
{ mount --bind "$D" "$D" && mount --make-private "$D"; } || die "cannot make $D a private mount"
defer umount "$D"
ip netns add "$SW" || die "ip netns add $SW"
defer ip netns del "$SW"
{ ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up; } || die "switch bridge"

# host_add NAME ADDR/LEN [HOSTNAME]: a simulated machine NAME on the switch (its hostname
# HOSTNAME, default "machine-NAME").
host_add() {
	local h=$1 addr=$2 ns=$P-$1 hn=${3:-machine-$1}
	ip netns add "$ns" || die "ip netns add $ns"
	defer ip netns del "$ns"
	ip -n "$ns" link set lo up
	ip link add "${P}$h" netns "$ns" type veth peer name "u$h" netns "$SW" || die "underlay veth"
	ip -n "$SW" link set "u$h" master br0 up
	# no link-local address of its own: none appears after the snapshot
	ip -n "$ns" link set "${P}$h" addrgenmode none
	case $addr in
	*:*) ip -n "$ns" addr add "$addr" dev "${P}$h" nodad ;;
	*) ip -n "$ns" addr add "$addr" dev "${P}$h" ;;
	esac
	ip -n "$ns" link set "${P}$h" up
	wait_for 5 sh -c "ip -n $ns -$( [[ $addr == *:* ]] && echo 6 || echo 4) route show table local |
		grep -qF ' ${addr%/*} '" ||
		die "host $h: no local route to ${addr%/*}"
	touch "$D/$h.mnt" "$D/$h.uts"
	defer rm -f "$D/$h.mnt" "$D/$h.uts"
	nsenter --net="/run/netns/$ns" unshare --mount="$D/$h.mnt" --uts="$D/$h.uts" \
		--propagation private sh -c "hostname $hn && mount -t tmpfs -o mode=0755 $P /run &&
			umount -l /sys && mount -t sysfs sysfs /sys" || die "host $h: its namespaces"
	defer umount "$D/$h.mnt" "$D/$h.uts"
	on "$h" "$E2E_ROOT/scripts/residue.sh" snapshot "$T_TMP/snap.$h" || die "host $h: snapshot"
}

# on HOST CMD...: CMD on the simulated machine HOST (its network, mounts and hostname).
on() {
	local h=$1
	shift
	nsenter --mount="$D/$h.mnt" --uts="$D/$h.uts" --net="/run/netns/$P-$h" --wd="$PWD" -- "$@"
}

# onx HOST NODE CMD...: CMD in a node of the lab on HOST.
onx() {
	local h=$1 node=$2
	shift 2
	on "$h" timeout 20 "$NSLAB" exec -l "$LAB" "$node" -- "$@"
}

pings() { # HOST NODE ADDR: the node reaches ADDR (a few tries: the far side may just be up)
	local i
	for i in 1 2 3; do
		if onx "$1" "$2" ping -n -c1 -W1 "$3" >/dev/null 2>&1; then
			ok "host $1: $2 pings $3"
			return 0
		fi
	done
	not_ok "host $1: $2 cannot ping $3"
}

no_ping() { # HOST NODE ADDR
	run onx "$1" "$2" ping -n -c1 -W1 "$3"
	case $rc in 1 | 2) ok "host $1: $2 does not reach $3 (ping exit $rc)" ;;
	*) not_ok "host $1: $2 ping $3: exit $rc, expected 1 or 2" ;; esac
}

# host_up HOST FILE [ARG...]: nslab up on HOST.
host_up() {
	local h=$1
	shift
	run on "$h" timeout 60 "$NSLAB" up "$@"
	[ "$rc" = 0 ] || { _show "$err" stderr; die "host $h: nslab up $*: exit $rc"; }
	ok "host $h: nslab up $* ($out)"
	on "$h" "$E2E_ROOT/scripts/residue.sh" record "$T_TMP/snap.$h" "$LAB"
}

# host_down HOST [ARG...]: nslab down on HOST; its part is gone (holders, namespaces, state,
# interfaces), whatever the other hosts still run.
host_down() {
	local h=$1 pids pid left=""
	shift
	pids=$(on "$h" "$NSLAB" status "$LAB" --json | jq -r '.labs[0].nodes[].pid')
	assert_ok on "$h" timeout 60 "$NSLAB" down "$LAB" "$@"
	for pid in $pids; do
		wait_for 5 test ! -e "/proc/$pid" || left+=" $pid"
	done
	assert_eq "" "$left" "host $h: holders left"
	run on "$h" sh -c "ls -A /run/netns /run/nslab | grep -v -e '^/run' -e '^\$'; ip -o link show | grep -v -e ': lo:' -e ': ${P}$h@'"
	assert_eq "" "$out" "host $h: namespaces, state and interfaces left"
}

# host_clean HOST: the whole residue check on HOST (once every host's part is down: the holders
# of the others would count, they are this test's processes too).
host_clean() {
	run on "$1" env RSD_MARK="$RSD_MARK" "$E2E_ROOT/scripts/residue.sh" compare "$T_TMP/snap.$1" "$LAB"
	if [ "$rc" = 0 ]; then
		ok "host $1: no residue"
	else
		not_ok "host $1: residue"
		_show "$out" residue
	fi
}

# ---- two hosts, IPv4 underlay ----

LAB=$(lab_name)
host_add a 198.18.77.1/24
host_add b 198.18.77.2/24
defer on b "$NSLAB" down "$LAB"
defer on a "$NSLAB" down "$LAB"
F=$(write_topo two <<EOF
{
  "name": "$LAB",
  "hosts": { "a": { "underlay": "198.18.77.1" }, "b": { "underlay": "198.18.77.2" } },
  "nodes": {
    "r1": { "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": { "eth0": { "addresses": ["10.77.1.1/24", "fd77:1::1/64"] },
                      "wan": { "addresses": ["10.77.0.1/30", "fd77::1/64"] } },
      "routes": [ { "to": "10.77.2.0/24", "via": "10.77.0.2" }, { "to": "fd77:2::/64", "via": "fd77::2" } ] },
    "h1": { "interfaces": { "eth0": { "addresses": ["10.77.1.2/24", "fd77:1::2/64"] } },
      "routes": [ { "to": "default", "via": "10.77.1.1" }, { "to": "default", "via": "fd77:1::1" } ] },
    "sw1": { "bridges": { "br0": { "ports": ["p1", "x"] } } },
    "s1": { "interfaces": { "eth0": { "addresses": ["10.77.9.1/24", "fd77:9::1/64"] } } },
    "r2": { "host": "b", "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": { "eth0": { "addresses": ["10.77.2.1/24", "fd77:2::1/64"] },
                      "wan": { "addresses": ["10.77.0.2/30", "fd77::2/64"] } },
      "routes": [ { "to": "10.77.1.0/24", "via": "10.77.0.1" }, { "to": "fd77:1::/64", "via": "fd77::1" } ] },
    "h2": { "host": "b", "interfaces": { "eth0": { "addresses": ["10.77.2.2/24", "fd77:2::2/64"] } },
      "routes": [ { "to": "default", "via": "10.77.2.1" }, { "to": "default", "via": "fd77:2::1" } ] },
    "sw2": { "host": "b", "bridges": { "br0": { "ports": ["p1", "x"] } } },
    "s2": { "host": "b", "interfaces": { "eth0": { "addresses": ["10.77.9.2/24", "fd77:9::2/64"] } } }
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"] },
    { "endpoints": ["r1:wan", "r2:wan"] },
    { "endpoints": ["h2:eth0", "r2:eth0"] },
    { "endpoints": ["sw1:x", "sw2:x"], "vni": 4177 },
    { "endpoints": ["s1:eth0", "sw1:p1"] },
    { "endpoints": ["s2:eth0", "sw2:p1"] }
  ],
  "tests": [ { "from": "h1", "ping": "10.77.2.2" }, { "from": "s2", "ping": "fd77:9::1" } ]
}
EOF
)

# a file of several hosts needs to know which part this machine builds
run on a "$NSLAB" up "$F"
assert_eq 1 "$rc" "up without --host on a machine no host is named after"
assert_contains "$err" "the lab spans hosts a, b: say which part"
# host b's part on a: a has not b's underlay; nothing is left
run on a "$NSLAB" up "$F" --host b
assert_eq 1 "$rc" "up --host b on machine a"
assert_contains "$err" "hosts.b.underlay: 198.18.77.2 is not an address of this machine"
run on a ls /run/netns
assert_eq "" "$out" "nothing built on a"
# the dry run of a part: its nodes, the links between hosts as VXLANs
run on a "$NSLAB" up "$F" --host a --dry-run
assert_contains "$out" "host a of 2: 4 nodes, 2 links"
assert_contains "$out" "create   r1:wan               vxlan vni"
assert_contains "$out" "remote 198.18.77.2 local 198.18.77.1, sent from the host (its underlay) mtu 1450"
assert_contains "$out" "create   sw1:x                vxlan vni 4177 "
assert_not_contains "$out" "r2"

# b first, then a: either order works
host_up b "$F" --host b
no_ping b h2 10.77.1.2
host_up a "$F" --host a
pings a h1 10.77.2.2
pings a h1 fd77:2::2
pings b h2 10.77.1.2
pings b h2 fd77:1::2
pings a s1 10.77.9.2     # the L2 segment over both hosts
pings b s2 fd77:9::1
# what crosses is VXLAN over the underlay: the socket is the simulated host's, not the node's
run on a ss -Hunl sport = :4789
assert_contains "$out" "4789" "the VXLAN socket is in host a's namespace"
run onx a r1 ss -Hunl sport = :4789
assert_eq "" "$out" "no VXLAN socket in the node"
assert_jq "$(onx a r1 ip -j -d link show wan)" '.[0].linkinfo.info_kind == "vxlan" and .[0].mtu == 1450 and .[0].linkinfo.info_data.remote == "198.18.77.2"'
# status on each machine: its nodes with their host, the others' named
run on a "$NSLAB" status "$LAB"
assert_contains "$out" "host a"
assert_match "$out" "r1 +host a +pid"
assert_match "$out" "r2 +host b +\(another machine's part\)"
assert_jq "$(on b "$NSLAB" status "$LAB" --json)" '.labs[0].host == "b" and ([.labs[0].nodes[].host] | unique) == ["b"] and ([.labs[0].elsewhere[].name] | sort) == ["h1", "r1", "s1", "sw1"]'
# /etc/hosts names every node of the lab, those of the other host too
run onx a h1 cat /etc/hosts
assert_match "$out" "10.77.2.2	h2" "h1's /etc/hosts names h2 (on host b)"
assert_match "$out" "10.77.1.1	r1" "and r1 (on its own host)"
# each machine tests its own nodes' checks
run on b "$NSLAB" test "$LAB"
assert_eq 0 "$rc" "test on b"
assert_contains "$out" "s2 ping fd77:9::1"
assert_not_contains "$out" "h1 ping"
# the real host has none of it
assert_fail test -e "/run/nslab/$LAB"
assert_fail test -e "/run/netns/$LAB.r1"

# one side down and up again while the other stays
run on b "$NSLAB" down "$LAB" --host a
assert_eq 1 "$rc" "down --host a on b's part"
assert_contains "$err" "is host b's"
host_down b --host b
no_ping a h1 10.77.2.2
pings a h1 10.77.1.1
NSLAB_HOST=b host_up b "$F"
pings a h1 10.77.2.2
pings a h1 fd77:2::2
# the L2 segment too: from the new side first (s1 keeps s2's old MAC until its neighbour
# entry goes stale, as for any machine whose peer was replaced; s2's ARP request renews it)
pings b s2 10.77.9.1
pings a s1 10.77.9.2
# and a: down, b stays and loses only the links to a; up again
host_down a
no_ping b h2 10.77.1.2
no_ping b s2 10.77.9.1
pings b h2 10.77.2.1
host_up a "$F" --host a
pings b h2 10.77.1.2
pings b h2 fd77:1::2
pings a s1 fd77:9::2
host_down a
host_down b
host_clean a
host_clean b

# ---- three hosts, IPv6 underlay, each found another way ----

LAB=$(lab_name)
host_add c "fd77:18::3/64" c
# a and b again, on IPv6 too
ip -n "$P-a" addr add fd77:18::1/64 dev "${P}a" nodad
ip -n "$P-b" addr add fd77:18::2/64 dev "${P}b" nodad
wait_for 5 sh -c "ip -n $P-a -6 route show table local | grep -qF ' fd77:18::1 ' &&
	ip -n $P-b -6 route show table local | grep -qF ' fd77:18::2 '" || die "no local routes"
defer on c "$NSLAB" down "$LAB"
defer on b "$NSLAB" down "$LAB"
defer on a "$NSLAB" down "$LAB"
for h in a b; do on "$h" "$E2E_ROOT/scripts/residue.sh" snapshot "$T_TMP/snap.$h"; done
F=$(write_topo three <<EOF
{
  "name": "$LAB",
  "hosts": { "a": { "underlay": "fd77:18::1" }, "b": { "underlay": "fd77:18::2" },
             "c": { "underlay": "fd77:18::3" } },
  "pools": { "p2p": "10.78.0.0/24", "p2p6": "fd78::/48" },
  "nodes": {
    "ra": { "host": "a", "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": { "lan": { "addresses": ["10.78.1.1/24", "fd78:1::1/64"] } },
      "routes": [ { "to": "10.78.3.0/24", "via": "10.78.0.10" }, { "to": "fd78:3::/64", "via": "fd78:0:0:2::2" } ] },
    "rb": { "host": "b", "sysctls": { "net.ipv4.ip_forward": 1 } },
    "rc": { "host": "c", "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": { "lan": { "addresses": ["10.78.3.1/24", "fd78:3::1/64"] } },
      "routes": [ { "to": "10.78.1.0/24", "via": "10.78.0.9" }, { "to": "fd78:1::/64", "via": "fd78:0:0:2::1" } ] },
    "ha": { "host": "a", "interfaces": { "eth0": { "addresses": ["10.78.1.2/24", "fd78:1::2/64"] } },
      "routes": [ { "to": "default", "via": "10.78.1.1" }, { "to": "default", "via": "fd78:1::1" } ] },
    "hc": { "host": "c", "interfaces": { "eth0": { "addresses": ["10.78.3.2/24", "fd78:3::2/64"] } },
      "routes": [ { "to": "default", "via": "10.78.3.1" }, { "to": "default", "via": "fd78:3::1" } ] }
  },
  "links": [
    { "endpoints": ["ra:b", "rb:a"] },
    { "endpoints": ["rb:c", "rc:b"] },
    { "endpoints": ["ra:c", "rc:a"] },
    { "endpoints": ["ha:eth0", "ra:lan"] },
    { "endpoints": ["hc:eth0", "rc:lan"] }
  ]
}
EOF
)
host_up a "$F" --host a
NSLAB_HOST=b host_up b "$F"
host_up c "$F" # the machine's hostname is c
assert_jq "$(onx c rc ip -j -d link show a)" '.[0].linkinfo.info_kind == "vxlan" and .[0].mtu == 1430 and .[0].linkinfo.info_data.remote6 == "fd77:18::1"'
pings a ra 10.78.0.2   # ra:b - rb:a (the pool's first /30)
pings b rb 10.78.0.6   # rb:c - rc:b
pings c rc fd78:0:0:2::1
pings a ha 10.78.3.2   # ha -> ra -> rc -> hc, across a and c
pings c hc fd78:1::2
host_down b
pings a ha 10.78.3.2   # b gone: the triangle's a-c side stays
no_ping a ra 10.78.0.2
host_down a
host_down c
for h in a b c; do host_clean "$h"; done
