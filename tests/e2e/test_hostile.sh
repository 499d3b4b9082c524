#!/usr/bin/env bash
# Hostile input. Every tests/fixtures/invalid/*.{json,yaml,yml} goes through `nslab validate` (also as
# nobody: no root needed) and `nslab up` (root): both fail, print the fixture's expected
# message and name the file, and nothing appears in /run/nslab or /run/netns. Then cases only
# the kernel can tell: a device that does not exist, lo as a device, a host end whose name the
# host already has, a host address inside a subnet the host already has, a --name with a path.
# lane: host (refusals of bad input and host checks: the same on every kernel; left out of the VM lane for time)
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

FIX=$E2E_ROOT/tests/fixtures/invalid

# runtime_entries: /run/nslab and /run/netns entries, one per line.
runtime_entries() {
	find /run/nslab /run/netns -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

# new_entries BEFORE-FILE LAB: entries that appeared since BEFORE-FILE and belong to LAB
# (other people's labs may come and go meanwhile).
new_entries() {
	runtime_entries | comm -13 "$1" - | grep -E "^/run/(nslab/$2|netns/$2\.)" || true
}

# ---- 1. every invalid fixture, validate and up ----

n=0
for f in "$FIX"/*.json "$FIX"/*.yaml "$FIX"/*.yml; do
	[ -e "$f" ] || continue
	exp=${f%.*}.expect
	[ -f "$exp" ] || { not_ok "$(basename "$f") has no .expect file"; continue; }
	name=$(basename "$f")
	lab=$(grep -o -m1 -E '("name": *"[A-Za-z0-9_-]*"|^name: *[A-Za-z0-9_-]+)' "$f" |
		sed -E 's/.*[" ]([A-Za-z0-9_-]+)"?$/\1/')
	lab=${lab:-t}
	runtime_entries >"$T_TMP/.before"
	bad=""
	for verb in validate up; do
		run timeout 30 "$NSLAB" "$verb" "$f"
		all="$out$err"
		failed_cleanly "$rc" || bad+=" $verb: $(rc_what "$rc"), expected a clean failure;"
		while IFS= read -r line || [ -n "$line" ]; do
			[ -n "$line" ] || continue
			[[ $all == *"$line"* ]] || bad+=" $verb output lacks '$line';"
		done <"$exp"
		[[ $all == *"$f"* ]] || bad+=" $verb output does not name the file;"
	done
	left=$(new_entries "$T_TMP/.before" "$lab")
	[ -z "$left" ] || bad+=" left: $(tr '\n' ' ' <<<"$left");"
	if [ -z "$bad" ]; then
		n=$((n + 1))
	else
		not_ok "fixture $name:$bad"
		_show "$all" "up output"
		# If up built something, take it down.
		[ "$rc" != 0 ] || timeout 60 "$NSLAB" down "$lab" >/dev/null 2>&1
	fi
done
assert_true "fixtures checked ($n passed)" [ "$n" -gt 50 ]

# validate needs no root: as nobody, over copies readable by all.
cp "$FIX/syntax_error.json" "$FIX/dangling_endpoint.json" "$T_TMP/"
chmod 0644 "$T_TMP"/*.json
run as_nobody "$(nobody_nslab)" validate "$T_TMP/dangling_endpoint.json"
assert_eq 1 "$rc" "exit of validate as nobody on an invalid file"
assert_contains "$err" "$(head -n1 "$FIX/dangling_endpoint.expect")" "validate as nobody"
run as_nobody "$(nobody_nslab)" up "$T_TMP/syntax_error.json"
assert_rc_fail "up as nobody"

# ---- 2. what only the kernel can tell ----

LAB=$(lab_name)
runtime_entries >"$T_TMP/.before"
# The host's own links (not other labs', which come and go): lo and eth0.
host_links() {
	ip -j addr show | jq -c '[.[] | select(.ifname == "lo" or .ifname == "eth0")
		| {ifname, ifindex, ifalias, operstate, mtu, flags, addrs: [.addr_info[] | "\(.local)/\(.prefixlen)"]}]'
}
host_before=$(host_links)

# expect_up_fails WHAT FILE NEEDLE [ARG...]: up fails, says NEEDLE, names the file, leaves nothing.
expect_up_fails() {
	local what=$1 file=$2 needle=$3
	shift 3
	run timeout 60 "$NSLAB" up "$file" "$@"
	assert_rc_fail "$what: up"
	assert_contains "$err" "$needle" "$what: up stderr"
	assert_eq "" "$(new_entries "$T_TMP/.before" "$LAB")" "$what: new /run entries"
	assert_true "$what: /run/nslab/$LAB does not exist" [ ! -e "/run/nslab/$LAB" ]
	if [ "$rc" = 0 ]; then timeout 60 "$NSLAB" down "$LAB" >/dev/null 2>&1; fi
}

two_nodes() { # two_nodes EXTRA-A-IFACES [LINKS-EXTRA] [HOST]
	cat <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.200.0.1/24"] } $1 } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.200.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] } ${2:-} ]
  ${3:-}
}
EOF
}

# A device that does not exist.
NODEV=nslnodev$((RANDOM % 1000))
F=$(two_nodes ", \"wan0\": { \"device\": \"$NODEV\" }" | write_topo nodev)
assert_ok nsl validate "$F" # validate does not look at the host
expect_up_fails "missing device" "$F" "nodes.a.interfaces.wan0.device: no such host interface '$NODEV'"
# The contract's own example of this error carries the JSON path only; validate's errors
# also carry the file. Noted, not required.
[[ $err == *"$F"* ]] || note "missing device: up's error does not name the file: $err"

# lo as a device.
F=$(two_nodes ', "wan0": { "device": "lo" }' | write_topo devlo)
run timeout 60 "$NSLAB" validate "$F"
note "validate of device lo: exit $rc: $err"
expect_up_fails "device lo" "$F" "nodes.a.interfaces.wan0.device"
assert_match "$err" "loopback|lo cannot be moved" "device lo: up stderr"
assert_jq "$(ip -j link show dev lo)" '.[0].ifindex == 1 and (.[0].flags | index("UP"))' "host lo after the refused up"

# A host end whose name the host already has: a veth of ours stands in.
TAKEN=nslht$((RANDOM % 10000))
ip link add "$TAKEN" type veth peer name "${TAKEN}p" || die "cannot create veth $TAKEN"
defer ip link del "$TAKEN"
taken_before=$(ip -j link show dev "$TAKEN" | jq -c '.[0] | {ifindex, ifalias, mtu, operstate}')
F=$(two_nodes ', "up0": { "addresses": ["10.202.0.2/24"] }' \
	", { \"endpoints\": [\"host:$TAKEN\", \"a:up0\"] }" \
	", \"host\": { \"interfaces\": { \"$TAKEN\": { \"addresses\": [\"10.202.0.1/24\"] } } }" | write_topo taken)
assert_ok nsl validate "$F"
expect_up_fails "host name taken" "$F" "host.interfaces.$TAKEN: the host already has an interface named '$TAKEN'"
assert_eq "$taken_before" "$(ip -j link show dev "$TAKEN" | jq -c '.[0] | {ifindex, ifalias, mtu, operstate}')" \
	"our $TAKEN after the refused up"
assert_eq "" "$(ip -j addr show dev "$TAKEN" | jq -r '.[0].addr_info[] | select(.family == "inet") | .local')" \
	"IPv4 addresses on our $TAKEN after the refused up"

# A host address inside a subnet the host has: the subnet of a veth of ours, 10.201.0.1/24.
OWN=nslho$((RANDOM % 10000))
ip link add "$OWN" type veth peer name "${OWN}p" || die "cannot create veth $OWN"
defer ip link del "$OWN"
ip addr add 10.201.0.1/24 dev "$OWN"
ip link set "${OWN}p" up
ip link set "$OWN" up
HE=nslhe$((RANDOM % 10000))
F=$(two_nodes ', "up0": { "addresses": ["10.201.0.6/24"] }' \
	", { \"endpoints\": [\"host:$HE\", \"a:up0\"] }" \
	", \"host\": { \"interfaces\": { \"$HE\": { \"addresses\": [\"10.201.0.5/24\"] } } }" | write_topo overlap)
assert_ok nsl validate "$F"
expect_up_fails "host subnet overlap" "$F" "host.interfaces.$HE.addresses[0]: 10.201.0.5/24 overlaps the host's subnet 10.201.0.0/24"
run ip link show dev "$HE"
assert_rc_fail "ip link show dev $HE (no host end after the refused up)"
assert_eq "10.201.0.1/24" "$(ip -j addr show dev "$OWN" | jq -r '.[0].addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)"')" \
	"our $OWN keeps its address"
# A narrower prefix inside it, and a wider one around it, are refused too.
F=$(two_nodes ', "up0": { "addresses": ["10.201.0.130/25"] }' \
	", { \"endpoints\": [\"host:$HE\", \"a:up0\"] }" \
	", \"host\": { \"interfaces\": { \"$HE\": { \"addresses\": [\"10.201.0.129/25\"] } } }" | write_topo overlap25)
expect_up_fails "host subnet overlap (/25 inside)" "$F" "overlaps the host's subnet 10.201.0.0/24"
F=$(two_nodes ', "up0": { "addresses": ["10.201.8.2/16"] }' \
	", { \"endpoints\": [\"host:$HE\", \"a:up0\"] }" \
	", \"host\": { \"interfaces\": { \"$HE\": { \"addresses\": [\"10.201.8.1/16\"] } } }" | write_topo overlap16)
expect_up_fails "host subnet overlap (/16 around)" "$F" "overlaps the host's subnet 10.201.0.0/24"

# --name with a path, or otherwise invalid.
F=$(two_nodes "" | write_topo plain)
for bad in ../x x/y . .. -x "" "$(printf 'a%.0s' {1..33})"; do
	run timeout 60 "$NSLAB" up "$F" --name "$bad"
	assert_rc_fail "up --name '$bad'"
	assert_contains "$err" "name" "up --name '$bad': stderr"
done
assert_true "nothing under /run/nslab/.. named x" [ ! -e /run/x ] && [ ! -e /run/nslab/x ]
assert_eq "" "$(new_entries "$T_TMP/.before" "$LAB")" "new /run entries of $LAB"
assert_eq "" "$(runtime_entries | comm -13 "$T_TMP/.before" - | grep -E '/(x|\.\.|-x)(\.|$)')" "new /run entries named x"

# The host's own links are as they were.
assert_eq "$host_before" "$(host_links)" "host lo and eth0 after the hostile ups"

# And after all that, the same lab comes up and works.
lab_up "$LAB" "$F"
ping_ok "$LAB" a 10.200.0.2
lab_down "$LAB"
lab_gone "$LAB"
