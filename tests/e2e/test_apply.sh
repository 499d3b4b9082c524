#!/usr/bin/env bash
# quick
# root-only: apply needs root (a rootless lab is changed by down and up)
# lane: host (every step of two applies and four killed ones: 15 minutes in the VM (Debian 6.1, with r1:eth2 a dummy in v1), where it passed)
# `nslab apply`: a running lab edited in steps. v1 -> v2 adds a node and its link, a route, a
# sysctl and a host link's rate change; v2 -> v3 changes a route and an address; v3 -> v1
# removes the node and its link. After each step: pings and `ip -j` show what the file says,
# the daemon exec started in an untouched node keeps its PID, and a ping flood (-i 0.05)
# across untouched links loses nothing while apply runs. Refusals change nothing. Every step of
# an apply fails in turn (NSLAB_FAIL_STEP): each time the lab is back as it was (same
# addresses, routes, links, qdiscs, generation, daemon). A killed apply (NSLAB_STOP_STEP, then
# kill -9) is completed by a second apply, or removed whole by down. Nothing is left behind.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need jq
need tc

LAB=$(lab_name)
HIF=nsla$((RANDOM % 10000))
MARK=1$$ # the daemon: `sleep $MARK`

# v1: h1 - r1 - h2 (a daemon in h2), r1 on a host link. v2: + h3 on r1:eth2, a route to
# h3's loopback, forwarding of IPv6 on, the host link's rate. v3: h3's address and the route.
topo() { # VERSION
	local v=$1 h3="" l3="" r1routes="" fwd6=0 rate=10mbit h3addr=10.233.3.2 h3gw=10.233.3.1
	[ "$v" = 3 ] && h3addr=10.233.3.20
	if [ "$v" -ge 2 ]; then
		fwd6=1
		rate=20mbit
		h3=', "h3": { "interfaces": { "eth0": { "addresses": ["'$h3addr'/24"] },
			"lo": { "addresses": ["10.233.99.1/32"] } },
			"routes": [ { "to": "default", "via": "'$h3gw'" } ] }'
		l3=', { "endpoints": ["r1:eth2", "h3:eth0"] }'
		r1routes='"routes": [ { "to": "10.233.99.1/32", "via": "'$h3addr'" } ],'
	fi
	cat <<EOF
{
  "name": "$LAB",
  "nodes": {
    "r1": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": $fwd6 },
      $r1routes
      "interfaces": {
        "eth0": { "addresses": ["10.233.1.1/24"] },
        "eth1": { "addresses": ["10.233.2.1/24"] },
        "eth2": { "addresses": ["10.233.3.1/24"] },
        "up0": { "addresses": ["10.237.0.2/24"] }
      }
    },
    "h1": { "interfaces": { "eth0": { "addresses": ["10.233.1.2/24"] } },
            "routes": [ { "to": "default", "via": "10.233.1.1" } ] },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.233.2.2/24"] } },
            "routes": [ { "to": "default", "via": "10.233.2.1" } ],
            "env": { "MARK": "$MARK" },
            "exec": [ ["sh", "-c", "sleep \$MARK >/dev/null 2>&1 &"] ] }$h3
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"] },
    { "endpoints": ["h2:eth0", "r1:eth1"] },
    { "endpoints": ["host:$HIF", "r1:up0"], "rate": "$rate" }$l3
  ],
  "host": { "interfaces": { "$HIF": { "addresses": ["10.237.0.1/24"] } } }
}
EOF
}
# r1:eth2 exists in v1 with an address but no link: make it an interface of a kind there.
V1=$(topo 1 | jq '.nodes.r1.interfaces.eth2 += {"kind": "dummy"}' | write_topo v1)
if ! have_kernel dummy; then
	V1=$(topo 1 | jq 'del(.nodes.r1.interfaces.eth2)' | write_topo v1)
fi
V2=$(topo 2 | write_topo v2)
V3=$(topo 3 | write_topo v3)
cp "$V2" "$T_TMP/v2b.json"
assert_ok nsl validate "$V1"
assert_ok nsl validate "$V2"
assert_ok nsl validate "$V3"

daemon_pid() { pgrep -x -f "sleep $MARK" | head -n 1; }
generation() { nsl status "$LAB" --json | jq '.labs[0].generation'; }

# What the lab is, as the kernel says: per node, links (name, mtu, state, master), addresses
# (not link-local), routes (not link-local or multicast), root qdiscs; and the host end.
snapshot() {
	local n
	for n in $(nsl status "$LAB" --json | jq -r '.labs[0].nodes[].name' | sort); do
		echo "node $n"
		ip -n "$LAB.$n" -j link show | jq -c '[.[] | {ifname, mtu, operstate, master}] | sort_by(.ifname)'
		ip -n "$LAB.$n" -j addr show | jq -c '[.[] | .ifname as $i | .addr_info[] |
			select(.scope != "link") | "\($i) \(.local)/\(.prefixlen)"] | sort'
		{ ip -n "$LAB.$n" -j -4 route show table all; ip -n "$LAB.$n" -j -6 route show table all; } |
			jq -c '[.[] | select((.dst | test("^(fe80|ff00)")) | not) |
				"\(.table // "main") \(.type // "") \(.dst) \(.gateway // "") \(.dev // "") \(.metric // "")"] | sort'
		tc -n "$LAB.$n" -j qdisc show | jq -c '[.[] | select(.root) | "\(.dev) \(.kind)"] | sort'
		ip netns exec "$LAB.$n" sysctl -n net.ipv6.conf.all.forwarding
	done
	echo "host"
	ip -j addr show dev "$HIF" 2>/dev/null | jq -c '[.[] | .addr_info[] | select(.scope != "link") | .local]'
	tc -j qdisc show dev "$HIF" 2>/dev/null | jq -c '[.[] | select(.root) | "\(.kind) \(.options.rate // "")"]'
}

# same_as SNAPSHOT WHAT: the lab is as SNAPSHOT says (the difference shown when not).
same_as() {
	local now
	now=$(snapshot)
	if [ "$now" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2"
		diff <(echo "$1") <(echo "$now") | head -n 20 | sed 's/^/    /'
	fi
}

lab_up "$LAB" "$V1"
ping_ok "$LAB" h1 10.233.2.2
ping_ok "$LAB" r1 10.237.0.1
assert_true "the daemon runs in h2" wait_for 5 daemon_pid
PID=$(daemon_pid)
HOLDER=$(lab_pids "$LAB" | awk '$1 == "h2" { print $2 }')
assert_eq 1 "$(generation)" "generation after up"
S1=$(snapshot)

# dry-run: no root needed against a file, and the lab's own copy as root; nothing changes
chmod 0755 "$T_TMP"
chmod 0644 "$V1" "$V2"
run as_nobody "$(nobody_nslab)" apply --dry-run --from "$V1" "$V2"
assert_eq 0 "$rc" "apply --dry-run --from as nobody: $err"
assert_contains "$out" "+ node     h3" "dry-run of v1 -> v2"
assert_ok nsl apply --dry-run "$V2"
assert_contains "$out" "+ veth" "dry-run against the lab"
same_as "$S1" "the lab after dry-runs"

# ---- 1. v1 -> v2, a ping flood across untouched links meanwhile ----
ip netns exec "$LAB.h1" ping -n -i 0.05 -w 4 10.233.2.2 >"$T_TMP/flood" 2>&1 &
flood=$!
sleep 0.5
assert_ok nsl apply "$V2"
assert_contains "$out" "1 added" "apply v2 says what it did"
wait "$flood"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$T_TMP/flood")
assert_eq 0 "$loss" "ping loss h1 -> h2 during apply (untouched links): $(grep transmitted "$T_TMP/flood")"
ping_ok "$LAB" h1 10.233.3.2
ping_ok "$LAB" h1 10.233.99.1
ping_ok "$LAB" h3 10.233.2.2
assert_eq 1 "$(ip netns exec "$LAB.r1" sysctl -n net.ipv6.conf.all.forwarding)" "r1's IPv6 forwarding (changed in place)"
assert_jq "$(tc -j qdisc show dev "$HIF")" '[.[] | select(.root)][0].kind == "tbf"' "the host end's rate"
assert_eq "$PID" "$(daemon_pid)" "the daemon's PID in h2 after apply v2"
assert_eq "$HOLDER" "$(lab_pids "$LAB" | awk '$1 == "h2" { print $2 }')" "h2's holder after apply v2"
assert_eq 2 "$(generation)" "generation after apply v2"
assert_jq "$(nsl status "$LAB" --json)" ".labs[0].topology == \"$V2\"" "status names the file"
lab_record "$LAB"
S2=$(snapshot)
run nsl apply "$V2"
assert_contains "$out" "nothing to change" "apply of the same file again"

# ---- 2. v2 -> v3: a route and an address ----
assert_ok nsl apply "$V3"
ping_ok "$LAB" h1 10.233.3.20
ping_ok "$LAB" h1 10.233.99.1
ping_fails "$LAB" r1 10.233.3.2
assert_jq "$(ip -n "$LAB.r1" -j route show 10.233.99.1)" '.[0].gateway == "10.233.3.20"' "r1's route to h3's lo"
assert_eq "$PID" "$(daemon_pid)" "the daemon's PID after apply v3"

# ---- 3. refusals change nothing ----
jq '.nodes.h2.hostname = "other"' "$V3" >"$T_TMP/bad.json"
assert_fail nsl apply "$T_TMP/bad.json"
assert_contains "$err" "nodes.h2.hostname" "the refusal names the path"
assert_contains "$err" "--recreate" "the refusal says what would do it"
assert_eq 3 "$(generation)" "generation after a refusal"
# the lab's name: the same file, renamed in place
CUR=$T_TMP/current.json
cp "$V3" "$CUR"
assert_ok nsl apply "$CUR"
assert_contains "$out" "nothing to change" "another file of the same text"
assert_jq "$(nsl status "$LAB" --json)" ".labs[0].topology == \"$CUR\"" "status names the new file"
assert_eq 4 "$(generation)" "generation after the same text from another file"
jq '.name = "renamed"' "$V3" >"$CUR"
assert_fail nsl apply "$CUR"
assert_contains "$err" "name: lab $LAB runs this file under its old name" "a lab's name does not change"

# ---- 4. v3 -> v1: the node and its link go ----
assert_ok nsl apply "$V1"
if [ -e "/run/netns/$LAB.h3" ]; then not_ok "/run/netns/$LAB.h3 is left"; else ok "h3's name is gone"; fi
same_as "$S1" "the lab after v1 -> v2 -> v3 -> v1"
assert_eq "$PID" "$(daemon_pid)" "the daemon's PID after apply v1"
assert_not_contains "$(cat "/run/nslab/$LAB/journal")" "node h3 " "the journal after h3 went"

# ---- 5. --recreate makes a node again, its links with it ----
# (h1's link taken down by `nslab link` first: the link made again is up, and status says so)
assert_ok nsl link -l "$LAB" h1:eth0 down
iface_link() { # NODE IF: what status says of the end's link ("" when nslab did nothing to it)
	nsl status "$LAB" --json | jq -r --arg n "$1" --arg i "$2" \
		'.labs[0].nodes[] | select(.name == $n) | .interfaces[] | select(.name == $i) | .link // ""'
}
assert_eq down "$(iface_link r1 eth0)" "status: r1:eth0's link down before --recreate of h1"
jq '.nodes.h1.hostname = "one"' "$V1" >"$T_TMP/v1r.json"
assert_ok nsl apply --recreate "$T_TMP/v1r.json"
assert_eq one "$(nsl exec -l "$LAB" h1 hostname)" "h1 made again with its new hostname"
assert_eq "" "$(iface_link h1 eth0)$(iface_link r1 eth0)" "status: the link made again is not 'down' (runtime.json forgot it)"
ping_ok "$LAB" h1 10.233.2.2
assert_eq "$PID" "$(daemon_pid)" "the daemon's PID (h2 untouched) after --recreate of h1"
assert_ok nsl apply --recreate "$V1"
lab_record "$LAB"
S1=$(snapshot)

# ---- 6. every step of v1 -> v2 fails in turn: rolled back each time ----
run env NSLAB_COUNT_STEPS=1 "$NSLAB" apply "$V2"
[ "$rc" = 0 ] || die "apply v2 with the step counter: $(rc_what "$rc"): $err"
N=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$N" ] || [ "$N" -le 5 ]; then die "no step count: $err"; fi
ok "apply v1 -> v2 takes $N steps"
assert_ok nsl apply "$V1"
# fault_sweep WHAT N SNAP CHECK RECOVER STRIDE -- APPLY_ARG...: for k in 1..N (every
# STRIDE-th, the last ones always), `apply APPLY_ARG...` with NSLAB_FAIL_STEP=k must
# fail cleanly with the injected fault, its rollback complete: the lab as SNAP, the generation
# unchanged, h2's daemon the same process; CHECK (a function) adds its own findings to $bad.
# After a failure RECOVER (a function) puts the lab back; when it returns non-zero the sweep
# stops there.
fault_sweep() {
	local what=$1 n=$2 snap=$3 check=$4 recover=$5 stride=$6 g k now
	shift 7
	g=$(generation)
	for ((k = 1; k <= n; k++)); do
		if stride_skips "$k" "$n" "$stride"; then continue; fi
		run timeout 60 env NSLAB_FAIL_STEP=$k "$NSLAB" apply "$@"
		bad=$(fault_findings)
		now=$(snapshot)
		[ "$now" = "$snap" ] || bad+=" the lab is not as it was;"
		[ "$(generation)" = "$g" ] || bad+=" generation $(generation), expected $g;"
		[ "$(daemon_pid)" = "$PID" ] || bad+=" the daemon's PID changed;"
		"$check"
		if [ -z "$bad" ]; then
			ok "NSLAB_FAIL_STEP=$k of $what: apply fails and the lab is as it was ($(head -n1 <<<"$err"))"
		else
			not_ok "NSLAB_FAIL_STEP=$k of $what:$bad"
			_show "$err" stderr
			diff <(echo "$snap") <(echo "$now") | head -n 20
			"$recover" || break
		fi
	done
}
no_h3() { [ ! -e "/run/netns/$LAB.h3" ] || bad+=" h3 is left;"; }
back_to_v1() { nsl apply "$V1" >/dev/null 2>&1; }
# (the VM lane, slower, takes every E2E_STEP_STRIDE-th step of this one; of the others, all)
fault_sweep "v1 -> v2" "$N" "$S1" no_h3 back_to_v1 "${E2E_STEP_STRIDE:-1}" -- "$V2"
ping_ok "$LAB" h1 10.233.2.2

# ---- 6b. and of v2 -> v1 (what goes: a route, a link, a node; in the VM lane r1:eth2 becomes
# a dummy again): rolled back, the link made again works ----
assert_ok nsl apply "$V2"
run env NSLAB_COUNT_STEPS=1 "$NSLAB" apply "$V1"
N2=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$N2" ] || [ "$rc" != 0 ]; then die "apply v1 with the step counter: $err"; fi
assert_ok nsl apply "$V2"
h1_reaches_h3() { nx "$LAB" h1 ping -n -c1 -W1 10.233.99.1 >/dev/null 2>&1 || bad+=" h1 does not reach h3;"; }
back_to_v2() { nsl apply "$V2" >/dev/null 2>&1; }
fault_sweep "v2 -> v1" "$N2" "$S2" h1_reaches_h3 back_to_v2 1 -- "$V1"
assert_ok nsl apply "$V1"
same_as "$S1" "v1 after the faults of v2 -> v1"

# ---- 6c. and of --recreate (h1 killed and made again): a kill cut short included, the
# rollback never acts on the host instead of a node (its sysctls are checked too) ----
host_sysctls() { cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding; }
HS=$(host_sysctls)
run env NSLAB_COUNT_STEPS=1 "$NSLAB" apply --recreate "$T_TMP/v1r.json"
N3=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$N3" ] || [ "$rc" != 0 ]; then die "apply --recreate with the step counter: $err"; fi
assert_ok nsl apply --recreate "$V1"
host_and_h1() {
	[ "$(host_sysctls)" = "$HS" ] || bad+=" the host's forwarding sysctls changed;"
	[ "$(nx "$LAB" h1 hostname 2>&1)" = h1 ] || bad+=" h1's hostname is not h1;"
}
give_up() { nsl down "$LAB" >/dev/null 2>&1; return 1; }
fault_sweep "--recreate h1" "$N3" "$S1" host_and_h1 give_up 1 -- --recreate "$T_TMP/v1r.json"
ping_ok "$LAB" h1 10.233.2.2

# ---- 7. a killed apply: a second one completes it; or down removes it whole ----
stopped() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ]; }
kill_at() { # STEP
	env NSLAB_STOP_STEP="$1" "$NSLAB" apply "$V2" >/dev/null 2>&1 &
	local p=$!
	if wait_for 20 stopped "$p"; then
		kill -9 "$p"
	else
		not_ok "apply with NSLAB_STOP_STEP=$1 did not stop"
		kill -9 "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
}
for k in 2 $((N / 3)) $((N / 2)) $((N - 2)); do
	kill_at "$k"
	assert_ok nsl apply "$V2"
	same_as "$S2" "apply after one killed at step $k completes it"
	ping_ok "$LAB" h1 10.233.99.1
	assert_eq "$PID" "$(daemon_pid)" "the daemon's PID after the killed apply at step $k"
	assert_ok nsl apply "$V1"
	same_as "$S1" "and back to v1"
done
kill_at $((N / 2))
lab_down "$LAB"
lab_gone "$LAB"
