#!/usr/bin/env bash
# Interface indexes nslab picks never clash with the host's: the host has interfaces at the
# very indexes a new namespace's next ones would be (as on any machine whose eth0 is 2), and
# a lab with links between nodes, a host end, the management network and a macvlan comes up.
# Before Linux 6.3 the kernel looks up the index a creation request names in the namespace of
# the socket that sends it (the host's): a clash there was EEXIST (the VM lane's kernel).
# quick
# root-only: host interfaces made at chosen indexes of the host's own (a rootless lab's host is a namespace of its own; the management network and macvlans on host devices are root's)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
base=$(unshare -n ip -j link show | jq '[.[].ifindex] | max')
[ -n "$base" ] || die "cannot read a new namespace's interfaces"
HI=nslhi$((RANDOM % 1000))
made=0 MV=""
for k in 1 3 5; do
	a=$((base + k)) b=$((base + k + 1))
	if ip link add "$HI$k" index "$a" type veth peer name "$HI${k}p" index "$b" 2>/dev/null; then
		defer ip link del "$HI$k"
		made=$((made + 1))
		MV=${MV:-$HI$k}
	fi
done
# where the host uses them already (eth0 is 2 here), they are taken all the same
[ "$made" -gt 0 ] || note "the host already uses indexes $((base + 1))-$((base + 6))"
MV=${MV:-${HI}m}
[ "$made" -gt 0 ] || { ip link add "$MV" type veth peer name "${MV}p" && defer ip link del "$MV"; }
note "host interfaces at indexes $((base + 1))-$((base + 6)): $(ip -o link show | awk -F': ' -v lo=$((base + 1)) -v hi=$((base + 6)) '$1 >= lo && $1 <= hi { printf "%s ", $1 ":" $2 }')"

F=$T_TMP/indexes.yaml
cat >"$F" <<EOF
name: $LAB
mgmt: {subnet: 10.226.0.0/24}
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.227.0.1/24]}
      mv0: {kind: macvlan, device: $MV, addresses: [10.227.9.1/24]}
  b:
    interfaces:
      eth0: {addresses: [10.227.0.2/24]}
      eth1: {addresses: [10.227.1.2/24]}
links:
  - endpoints: [a:eth0, b:eth0]
  - endpoints: [host:${HI}h, b:eth1]
host:
  interfaces:
    ${HI}h: {addresses: [10.227.1.254/24]}
EOF
lab_up "$LAB" "$F"
ping_ok "$LAB" a 10.227.0.2
assert_ok ping -n -c1 -W2 10.227.1.2
ping_ok "$LAB" a 10.226.0.1
lab_down "$LAB"
lab_gone "$LAB"
