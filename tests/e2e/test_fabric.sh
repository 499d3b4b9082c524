#!/usr/bin/env bash
# The shipped leaf-spine fabric (topologies/fabric.yaml), brought up as it is: its links, LANs
# and loopbacks numbered from pools, ECMP on the leaves (both spines installed, flows spread
# over both), hosts behind the leaves reaching each other across the spines, the VXLAN overlay
# between the leaves' loopbacks, the management network reachable from the host. The JSON
# twin builds the same lab. As a user its management network is refused, and the fabric with
# a host of its own (an uplink) works, the management network in that host.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$E2E_ROOT/topologies/fabric.yaml
FJ=$E2E_ROOT/topologies/fabric.json
if rootless; then
	assert_status 1 nsl validate "$F"
	assert_eq "fabric.yaml:13:1: mgmt: a management network (a bridge in the host, a port of it for each node) needs root, or a host of the lab's own: \"host\": {\"uplink\": \"slirp4netns\"}" \
		"${err##*/}" "validate as a user: the management network alone"
	lab_host
	cp "$F" "$T_TMP/fabric.yaml" && printf 'host: {uplink: slirp4netns}\n' >>"$T_TMP/fabric.yaml"
	jq '.host = {"uplink": "slirp4netns"}' "$FJ" >"$T_TMP/fabric.json"
	F=$T_TMP/fabric.yaml FJ=$T_TMP/fabric.json
fi
lab_up "$LAB" "$F" --name "$LAB"

mp=$(nip "$LAB.leaf1" -j route show 10.45.1.0/24)
assert_jq "$mp" '[.[0].nexthops[] | "\(.gateway) \(.dev)"] == ["10.44.0.1 up1", "10.44.0.3 up2"]' "leaf1: both spines for h2's LAN"
devs=""
for sport in $(seq 20000 20030); do
	devs+=$(nip "$LAB.leaf1" -j route get 10.45.1.2 ipproto tcp sport "$sport" dport 80 | jq -r '.[0].dev')$'\n'
done
assert_contains "$devs" up1 "flows over spine1"
assert_contains "$devs" up2 "flows over spine2"
ping_ok "$LAB" h1 10.45.1.2
ping_ok "$LAB" h2 10.45.0.2
run nx "$LAB" h1 ping -n -c1 -W2 -t 64 10.45.1.2
assert_contains "$out" "ttl=61" "h1 -> h2 crosses leaf1, a spine and leaf2"
ping_ok "$LAB" leaf1 10.255.44.4 -I 10.255.44.3
ping_ok "$LAB" leaf1 10.46.0.2
for ip in 172.31.44.2 172.31.44.7; do
	assert_ok hns "$LAB" ping -n -c1 -W2 "$ip"
done
lab_down "$LAB"
lab_gone "$LAB"

# the JSON twin: the same lab
LAB2=$(lab_name)
lab_up "$LAB2" "$FJ" --name "$LAB2"
ping_ok "$LAB2" h1 10.45.1.2
lab_down "$LAB2"
lab_gone "$LAB2"
