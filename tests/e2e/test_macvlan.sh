#!/usr/bin/env bash
# macvlan on a host interface (a veth this test makes; its peer, in a namespace of the test,
# stands for the network outside): two nodes each get one in bridge mode, born in the node
# (nothing of the lab appears in the host), reach the outside and each other; the host
# interface is not changed by up nor by down. A macvlan on a missing host interface is
# refused before anything is built. A macvlan on an interface of its own node works too.
# As a user (a rootless lab): a macvlan on a host interface is refused by validate and up
# (nothing built), one on an interface of its own node works.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if rootless; then
	LAB=$(lab_name)
	F=$T_TMP/macvlan.yaml
	cat >"$F" <<EOF
name: $LAB
nodes:
  n1:
    interfaces:
      mv0: {kind: macvlan, device: nslmvnone, addresses: [10.236.0.2/24]}
  n2:
    interfaces:
      eth0: {addresses: []}
      mv1: {kind: macvlan, parent: eth0, mode: private, addresses: [10.237.0.2/24]}
  n3:
    interfaces:
      eth0: {addresses: [10.237.0.1/24]}
links:
  - endpoints: [n2:eth0, n3:eth0]
EOF
	want="macvlan.yaml:5:36: nodes.n1.interfaces.mv0.device: a macvlan on host device 'nslmvnone' needs root"
	assert_status 1 nsl validate "$F"
	assert_contains "$err" "$want" "validate as a user"
	assert_fail nsl up "$F"
	assert_contains "$err" "$want" "up as a user"
	lab_gone "$LAB"
	sed -i '/^  n1:/,/mv0: {kind: macvlan, device/d' "$F"
	lab_up "$LAB" "$F"
	assert_jq "$(nip "$LAB.n2" -j -d link show mv1)" \
		'.[0].linkinfo.info_kind == "macvlan" and .[0].linkinfo.info_data.mode == "private" and .[0].link == "eth0"' \
		"n2:mv1 on eth0, private"
	ping_ok "$LAB" n3 10.237.0.2
	lab_down "$LAB"
	lab_gone "$LAB"
	exit 0
fi

LAB=$(lab_name)
MV=nslmv$((RANDOM % 10000))
OUT=nslmvo$$
ip link add "$MV" type veth peer name "${MV}p" || die "cannot create veth $MV"
defer ip link del "$MV"
ip netns add "$OUT" || die "cannot create netns $OUT"
defer ip netns del "$OUT"
ip link set "${MV}p" netns "$OUT" || die "cannot move ${MV}p"
ip -n "$OUT" addr add 10.236.0.1/24 dev "${MV}p"
ip -n "$OUT" link set "${MV}p" up
ip link set "$MV" up
dev_state() {
	ip -j -d link show "$MV" | jq -c '.[0] | {ifname, ifindex, mtu, flags, ifalias, master, address}'
}
before=$(dev_state)

F=$T_TMP/macvlan.yaml
cat >"$F" <<EOF
name: $LAB
nodes:
  n1:
    interfaces:
      mv0: {kind: macvlan, device: $MV, mode: bridge, addresses: [10.236.0.2/24]}
  n2:
    interfaces:
      mv0: {kind: macvlan, device: $MV, addresses: [10.236.0.3/24], mac: "02:00:00:23:60:03"}
      eth0: {addresses: []}
      mv1: {kind: macvlan, parent: eth0, mode: private, addresses: [10.237.0.2/24]}
  n3:
    interfaces:
      eth0: {addresses: [10.237.0.1/24]}
links:
  - endpoints: [n2:eth0, n3:eth0]
EOF
links_before=$(ip -j link show | jq -c '[.[].ifname] | sort')
lab_up "$LAB" "$F"
assert_eq "$links_before" "$(ip -j link show | jq -c '[.[].ifname] | sort')" "host links while the lab is up (macvlans are born in their nodes)"
assert_eq "$before" "$(dev_state)" "$MV while the lab is up"
m=$(ip -n "$LAB.n1" -j -d link show mv0)
assert_jq "$m" '.[0].linkinfo.info_kind == "macvlan" and .[0].linkinfo.info_data.mode == "bridge"' "n1:mv0 is a macvlan in bridge mode"
assert_jq "$(ip -n "$LAB.n2" -j link show mv0)" '.[0].address == "02:00:00:23:60:03"' "n2:mv0 has its MAC"
assert_jq "$(ip -n "$LAB.n2" -j -d link show mv1)" '.[0].linkinfo.info_data.mode == "private" and .[0].link == "eth0"' "n2:mv1 on eth0, private"
ping_ok "$LAB" n1 10.236.0.1
ping_ok "$LAB" n1 10.236.0.3
assert_ok ip netns exec "$OUT" ping -n -c1 -W2 10.236.0.2
ping_ok "$LAB" n3 10.237.0.2
lab_down "$LAB"
lab_gone "$LAB"
assert_eq "$before" "$(dev_state)" "$MV after down"

# a host interface that is not there: refused, nothing built
G=$T_TMP/missing.yaml
sed "s/device: $MV, mode: bridge/device: ${MV}x, mode: bridge/" "$F" >"$G"
assert_fail nsl up "$G"
assert_contains "$err" "nodes.n1.interfaces.mv0.device: no such host interface '${MV}x'"
lab_gone "$LAB"
assert_eq "$before" "$(dev_state)" "$MV after the refused up"
