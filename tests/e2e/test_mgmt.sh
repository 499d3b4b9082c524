#!/usr/bin/env bash
# The management network ("mgmt"): a bridge in the host, marked as the lab's, with the first
# address of the subnet; in every node an interface on it with the next addresses in node
# order (a node may have its own, or none). The host reaches every node and every node the host
# and each other. A second lab of
# the same file (--name) gets its own bridge, but its subnet is the first lab's: refused before
# anything is built. down leaves nothing.
# As a user: refused without a host of the lab's own (validate and up, nothing built); with
# one (an uplink) the bridge is in the lab's host, which reaches every node; a second lab of
# the same subnet has a host of its own, so it is no clash; down (also without the state)
# leaves nothing.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
LAB2=$(lab_name)
F=$T_TMP/mgmt.yaml
cat >"$F" <<EOF
name: $LAB
mgmt: {subnet: 10.223.0.0/24, subnet6: "fd42:223::/64"}
nodes:
  a: {}
  b:
    interfaces:
      eth0: {addresses: [10.224.0.2/24]}
  c:
    interfaces:
      eth0: {addresses: [10.224.0.1/24]}
  d: {mgmt: {address: 10.223.0.200}}
  e: {mgmt: false}
links:
  - endpoints: [c:eth0, b:eth0]
EOF

if rootless; then
	want="mgmt.yaml:2:1: mgmt: a management network (a bridge in the host, a port of it for each node) needs root, or a host of the lab's own"
	assert_status 1 nsl validate "$F"
	assert_contains "$err" "$want" "validate as a user"
	assert_fail nsl up "$F"
	assert_contains "$err" "$want" "up as a user"
	lab_gone "$LAB"
	lab_host
	printf 'host: {uplink: slirp4netns}\n' >>"$F"
	lab_up "$LAB" "$F"
	links=$(hip "$LAB" -j -d link show)
	br=$(jq -r --arg m "nslab:$LAB" '.[] | select(.ifalias == $m and .linkinfo.info_kind == "bridge") | .ifname' <<<"$links")
	assert_eq 1 "$(grep -c . <<<"$br")" "one marked bridge in the lab's host ($br)"
	assert_eq 4 "$(jq --arg m "nslab:$LAB" --arg b "$br" '[.[] | select(.ifalias == $m and .master == $b)] | length' <<<"$links")" \
		"four marked host ends on the bridge (e has none)"
	assert_jq "$(ip -j link show)" "all(.[]; .ifname != \"$br\")" "nothing of it in the real host"
	assert_jq "$(nip "$LAB.d" -j addr show mgmt0)" \
		'[.[0].addr_info[] | select(.scope == "global") | .local] == ["10.223.0.200", "fd42:223::5"]' "d's own address, and the next IPv6 one"
	for ip in 10.223.0.2 10.223.0.3 10.223.0.4 10.223.0.200 fd42:223::2; do
		assert_ok hns "$LAB" ping -n -c1 -W2 "$ip"
	done
	ping_ok "$LAB" a 10.223.0.1
	ping_ok "$LAB" a 10.223.0.4
	lab_up "$LAB2" "$F" --name "$LAB2"
	ping_ok "$LAB2" a 10.223.0.1
	lab_down "$LAB2"
	lab_gone "$LAB2"
	lab_down "$LAB"
	lab_gone "$LAB"
	lab_up "$LAB" "$F"
	rm -rf "${E2E_STATE:?}/$LAB"
	lab_down "$LAB"
	lab_gone "$LAB"
	exit 0
fi
assert_ok nsl validate --show "$F"
assert_contains "$out" "mgmt bridge (named after the lab) interface mgmt0 gateway 10.223.0.1/24 gateway fd42:223::1/64"
assert_contains "$out" $'interface mgmt0 mgmt up mtu default\n    address 10.223.0.2/24 (pool mgmt)\n    address fd42:223::2/64 (pool mgmt)'

lab_up "$LAB" "$F"
# the host's bridge: the one link of the host of kind bridge that carries the lab's mark
links=$(ip -j -d link show)
br=$(jq -r --arg m "nslab:$LAB" '.[] | select(.ifalias == $m and .linkinfo.info_kind == "bridge") | .ifname' <<<"$links")
assert_eq 1 "$(grep -c . <<<"$br")" "one marked bridge in the host ($br)"
assert_jq "$(ip -j addr show dev "$br")" \
	'[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] == ["10.223.0.1/24", "fd42:223::1/64"]' "the bridge's addresses"
assert_eq 4 "$(jq --arg m "nslab:$LAB" --arg b "$br" '[.[] | select(.ifalias == $m and .master == $b)] | length' <<<"$links")" \
	"four marked host ends on the bridge (e has none)"
assert_jq "$(ip -n "$LAB.c" -j addr show mgmt0)" \
	'[.[0].addr_info[] | select(.scope == "global") | .local] == ["10.223.0.4", "fd42:223::4"]' "c's mgmt0 (the third node)"
assert_jq "$(ip -n "$LAB.d" -j addr show mgmt0)" \
	'[.[0].addr_info[] | select(.scope == "global") | .local] == ["10.223.0.200", "fd42:223::5"]' "d's own address, and the next IPv6 one"
assert_jq "$(ip -n "$LAB.e" -j link show)" 'all(.[]; .ifname != "mgmt0")' "e has no mgmt0"
for ip in 10.223.0.2 10.223.0.3 10.223.0.4 10.223.0.200 fd42:223::2; do
	assert_ok ping -n -c1 -W2 "$ip"
done
ping_ok "$LAB" a 10.223.0.1
ping_ok "$LAB" a fd42:223::1
ping_ok "$LAB" a 10.223.0.4
ping_ok "$LAB" c 10.224.0.2 # the lab's own links still work beside it
run nsl status "$LAB" --json
assert_jq "$out" '.labs[0].nodes[] | select(.name == "b") | .interfaces[] | select(.name == "mgmt0") | .addresses | index("10.223.0.3/24") != null' "status shows b's mgmt0"

# a second lab of the same file: its own names, the same subnet: refused, changes nothing
before=$(ip -j link show | jq -c '[.[].ifname] | sort')
assert_fail nsl up "$F" --name "$LAB2"
assert_contains "$err" "mgmt: 10.223.0.1/24 overlaps the host's subnet 10.223.0.0/24"
assert_eq "$before" "$(ip -j link show | jq -c '[.[].ifname] | sort')" "host links after the refused up"
lab_gone "$LAB2"
ping_ok "$LAB" b 10.223.0.1

# a bridge name given in the file, taken by someone else: refused before anything is built
G=$T_TMP/taken.yaml
TAKEN=nslmg$((RANDOM % 10000))
ip link add "$TAKEN" type veth peer name "${TAKEN}p" || die "cannot create $TAKEN"
defer ip link del "$TAKEN"
sed -e "s/^name: .*/name: $LAB2/" -e "s|^mgmt: .*|mgmt: {subnet: 10.225.0.0/24, bridge: $TAKEN}|" -e "s/10.223.0.200/10.225.0.200/" "$F" >"$G"
assert_fail nsl up "$G"
assert_contains "$err" "mgmt: the host already has an interface named '$TAKEN' (the management network's bridge)"
lab_gone "$LAB2"

lab_down "$LAB"
lab_gone "$LAB"
assert_jq "$(ip -j -d link show)" "all(.[]; .ifalias != \"nslab:$LAB\")" "no marked link left in the host"

# the state lost: down finds the bridge and its ports by their mark
lab_up "$LAB" "$F"
rm -rf "/run/nslab/$LAB"
lab_down "$LAB"
lab_gone "$LAB"
assert_jq "$(ip -j -d link show)" "all(.[]; .ifalias != \"nslab:$LAB\")" "no marked link left after a down without state"
