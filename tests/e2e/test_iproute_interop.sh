#!/usr/bin/env bash
# iproute2 sees the nodes as LAB.NODE: ip netns list / exec / identify, ip -n. And
# `nslab status --json` describes the lab as it is in the kernel.
# quick
# lane: host (iproute2 naming of the nodes (ip netns); left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo interop <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.4.0.1/24", "fd42:4::1/64"] } } },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.4.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ]
}
EOF
)
lab_up "$LAB" "$F"

assert_ok ip netns list
for n in h1 h2; do
	assert_true "ip netns list shows $LAB.$n" grep -q "^$LAB\.$n\( \|\$\)" <<<"$out"
done

assert_ok ip netns exec "$LAB.h1" ip -j addr show eth0
assert_jq "$out" '.[0].addr_info | any(.local == "10.4.0.1" and .prefixlen == 24) and any(.local == "fd42:4::1" and .prefixlen == 64)' \
	"ip netns exec $LAB.h1 ip -j addr"
assert_ok ip -n "$LAB.h2" -j addr show eth0
assert_jq "$out" '.[0].addr_info | any(.local == "10.4.0.2")' "ip -n $LAB.h2 -j addr"
assert_ok ip netns exec "$LAB.h1" ping -n -c1 -W1 10.4.0.2

# status --json: the lab, its file, its nodes with live holders in those very namespaces.
assert_ok nsl status "$LAB" --json
st=$out
assert_jq "$st" '.labs | length == 1' "status LAB --json: one lab"
assert_jq "$st" ".labs[0].name == \"$LAB\"" "status: name"
assert_jq "$st" ".labs[0].topology == \"$(realpath "$F")\"" "status: topology is the file's absolute path"
assert_jq "$st" '[.labs[0].nodes[].name] | sort == ["h1", "h2"]' "status: nodes"
assert_jq "$st" ".labs[0].nodes | all(.netns == \"$LAB.\" + .name)" "status: netns names"
assert_jq "$st" '.labs[0].nodes[] | select(.name == "h1") | .interfaces | any(.name == "eth0" and (.addresses | index("10.4.0.1/24")) and (.addresses | index("fd42:4::1/64")))' \
	"status: h1 eth0 addresses"
for n in h1 h2; do
	pid=$(jq -r --arg n "$n" '.labs[0].nodes[] | select(.name == $n) | .pid' <<<"$st")
	assert_true "$n holder $pid is alive" test -d "/proc/${pid:-0}"
	assert_eq "$(stat -L -c %i "/run/netns/$LAB.$n")" "$(stat -L -c %i "/proc/${pid:-0}/ns/net" 2>/dev/null)" \
		"$n: the holder's netns is /run/netns/$LAB.$n"
	assert_ok ip netns identify "${pid:-0}"
	assert_eq "$LAB.$n" "$out" "ip netns identify $n's holder"
	assert_true "$n holder is in its own PID namespace" \
		test "$(stat -L -c %i "/proc/${pid:-0}/ns/pid" 2>/dev/null)" != "$(stat -L -c %i /proc/self/ns/pid)"
	assert_true "$n holder is in its own mount namespace" \
		test "$(stat -L -c %i "/proc/${pid:-0}/ns/mnt" 2>/dev/null)" != "$(stat -L -c %i /proc/self/ns/mnt)"
	assert_true "$n holder is in its own UTS namespace" \
		test "$(stat -L -c %i "/proc/${pid:-0}/ns/uts" 2>/dev/null)" != "$(stat -L -c %i /proc/self/ns/uts)"
done
# All labs: ours is among them. Human form works too.
assert_ok nsl status --json
assert_jq "$out" ".labs | any(.name == \"$LAB\")" "status --json lists the lab"
assert_ok nsl status "$LAB"
assert_contains "$out" "h1" "status $LAB"
lab_down "$LAB"
lab_gone "$LAB"
assert_ok nsl status --json
assert_jq "$out" ".labs | any(.name == \"$LAB\") | not" "status --json after down"
