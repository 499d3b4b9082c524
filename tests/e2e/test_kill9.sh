#!/usr/bin/env bash
# Crashes and lost state. `kill -9` of `nslab up` at random moments of a 60-node chain (with a
# host end): `nslab down LAB` must succeed and leave nothing (holders, netns binds, host links,
# state), whatever the moment. `down` after /run/nslab/LAB was deleted by hand still removes
# everything from the marks (netns binds, host link aliased nslab:LAB, moved device aliased
# nslab:LAB:OLD, holders and what runs in the nodes). `down` kills what `ip netns exec` started,
# even forking, even when the node's holder and bind are gone (by the mark on its lo); a
# namespace made under a dead node's name, or a node whose holder is gone and whose lo lost its
# mark, is left alone (down says so and keeps the state when the number is the recorded one).
# root-only: host ends, moved devices and ip netns exec; test_rootless kills rootless ups
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ---- helpers ----

# journal_netns LAB: the network namespace inodes the journal names
# (node NAME PID START DEV INO).
journal_netns() {
	awk '$1 == "node" && NF == 6 { print $6 }' "/run/nslab/$1/journal" 2>/dev/null
}

# stopped PID: the process is stopped (SIGSTOP).
stopped() { [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" = T ]; }

# check_down_after_kill WHAT: down of $LAB succeeds and leaves nothing (inos: the namespaces
# the journal and /run/netns named before the down).
check_down_after_kill() {
	local what=$1 bad="" r p h
	run timeout 120 "$NSLAB" down "$LAB"
	[ "$rc" = 0 ] || bad+=" down exits $rc;"
	r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$LAB") || bad+=" lab traces;"
	# shellcheck disable=SC2086
	p=$(rsd_poll live_in_netns $inos) || bad+=" live processes;"
	h=$(ip -j link show | jq -r --arg h "$HIF" '.[] | select(.ifname == $h) | .ifname')
	[ -z "$h" ] || bad+=" host end $HIF left;"
	if [ -z "$bad" ]; then
		ok "$what: down succeeds and leaves nothing"
	else
		not_ok "$what:$bad"
		_show "$err" "down stderr"
		[ -z "$r" ] || echo "$r"
		[ -z "$p" ] || echo "$p"
	fi
}

# lab_inodes: the network namespaces of $LAB named by its journal and /run/netns.
lab_inodes() {
	inos=$(journal_netns "$LAB" | tr '\n' ' ')
	inos+=" $(for l in /run/netns/"$LAB".*; do [ -e "$l" ] && stat -L -c %i "$l"; done | tr '\n' ' ')"
}

# pair_topo LAB NAME NET: a topology file of two nodes a and b, linked, NET.1 and NET.2 (/24).
pair_topo() {
	write_topo "$2" <<EOF
{
  "name": "$1",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["$3.1/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["$3.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] } ]
}
EOF
}

# pair_inos LAB: the network namespace inodes of LAB's nodes a and b.
pair_inos() { echo "$(stat -L -c %i "/run/netns/$1.a") $(stat -L -c %i "/run/netns/$1.b")"; }

# nothing_in LAB INODE...: no live process is left in those namespaces of LAB.
nothing_in() {
	local lab=$1 p
	shift
	if p=$(rsd_poll live_in_netns "$@"); then ok "no process left in $lab's namespaces"; else
		not_ok "processes left in $lab's namespaces"
		echo "$p"
	fi
}

# node_orphaned LAB NODE: NODE's holder killed (by its PID) and its bind removed, as a down cut
# short after its unbind leaves them.
node_orphaned() {
	local h
	h=$(lab_pids "$1" | awk -v n="$2" '$1 == n { print $2 }')
	assert_true "holder of $1.$2 known" [ -n "$h" ]
	kill -9 "$h"
	assert_ok umount "/run/netns/$1.$2"
	assert_ok rm "/run/netns/$1.$2"
}

# live_in_netns INODE...: live (not zombie) processes in one of these network namespaces.
live_in_netns() {
	[ $# -gt 0 ] || return 0
	find /proc/[0-9]*/ns/ -maxdepth 1 -name net -printf '%h %l\n' 2>/dev/null |
		awk -v want=" $* " '{ ino = $2; gsub(/[^0-9]/, "", ino); if (!index(want, " " ino " ")) next
			split($1, p, "/"); st = ""; f = "/proc/" p[3] "/stat"; getline st < f; close(f)
			sub(/^.*\) /, "", st); if (st ~ /^[ZX]/ || st == "") next
			c = ""; f = "/proc/" p[3] "/comm"; getline c < f; close(f)
			print "  process " p[3] " (" c ") in netns " ino }'
}

# sleeps N: at least N processes `sleep $MARK` run.
sleeps() { [ "$(pgrep -c -x -f "sleep $MARK")" -ge "$1" ]; }
MARK=1$$

# ---- 1. kill -9 of up at random moments ----

LAB=$(lab_name)
HIF=nslk$((RANDOM % 10000))
# Under emulation (the VM lane: E2E_STEP_STRIDE > 1) a 20-node chain and 5 random kills: each
# up costs about 25 times as much there, and the kills at known steps below cover the rest.
N=60 ROUNDS=10
if [ "${E2E_STEP_STRIDE:-1}" -gt 1 ]; then N=20 ROUNDS=5; fi
{
	printf '{ "name": "%s", "nodes": {\n' "$LAB"
	for ((i = 1; i <= N; i++)); do
		ifs=""
		((i > 1)) && ifs+="\"e0\": { \"addresses\": [\"10.220.$((i - 1)).2/24\"] }"
		((i < N)) && ifs+="${ifs:+, }\"e1\": { \"addresses\": [\"10.220.$i.1/24\", \"fd42:220:$i::1/64\"] }"
		((i == 1)) && ifs+=", \"h0\": { \"addresses\": [\"10.221.0.2/24\"] }"
		printf '  "n%d": { "interfaces": { %s } }%s\n' "$i" "$ifs" "$([ $i -lt $N ] && echo ,)"
	done
	printf '}, "links": [\n'
	for ((i = 1; i < N; i++)); do
		printf '  { "endpoints": ["n%d:e1", "n%d:e0"] },\n' "$i" $((i + 1))
	done
	printf '  { "endpoints": ["host:%s", "n1:h0"] }\n' "$HIF"
	printf '], "host": { "interfaces": { "%s": { "addresses": ["10.221.0.1/24"] } } } }\n' "$HIF"
} >"$T_TMP/chain.json"
F=$T_TMP/chain.json
assert_ok nsl validate "$F"

# How long a whole up takes here (it says: "... in N ms"): the kills are spread over it
# (at least 0..50 ms).
lab_up "$LAB" "$F"
up_ms=$(sed -n 's/.* in \([0-9]*\) ms$/\1/p' <<<"$out")
up_ms=${up_ms:-50}
note "a whole up of $N nodes takes $up_ms ms here"
ping_ok "$LAB" n1 10.221.0.1
lab_down "$LAB"
lab_gone "$LAB"
span=$((up_ms > 50 ? up_ms : 50))

for round in $(seq 1 "$ROUNDS"); do
	case $round in
	1) delay=0 ;;
	2) delay=$((RANDOM % 10)) ;;
	*) delay=$((RANDOM % span)) ;;
	esac
	"$NSLAB" up "$F" >/dev/null 2>&1 &
	up_pid=$!
	if [ "$delay" -gt 0 ]; then sleep "$(printf '0.%03d' "$delay")"; fi
	kill -9 "$up_pid" 2>/dev/null
	{ wait "$up_pid"; } 2>/dev/null
	up_rc=$?
	lab_inodes
	check_down_after_kill "kill -9 of up after ${delay} ms (up $([ "$up_rc" = 137 ] && echo killed || echo "had exited $up_rc"))"
done

# ---- 1b. kill -9 of up stopped at known steps (NSLAB_STOP_STEP: SIGSTOP at step k) ----

run timeout 120 env NSLAB_COUNT_STEPS=1 "$NSLAB" up "$F"
[ "$rc" = 0 ] || die "up with the step counter fails (exit $rc): $err"
steps=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$steps" ] || [ "$steps" -le 2 ]; then die "NSLAB_COUNT_STEPS printed no step count: $err"; fi
lab_down "$LAB"
lab_gone "$LAB"
note "up of $N nodes takes $steps steps"
# The first, the last and steps spread in between (every journal record kind is crossed).
for k in 1 2 $((steps / 4)) $((steps / 2)) $((steps * 3 / 4)) $((steps - 1)) "$steps"; do
	NSLAB_STOP_STEP=$k "$NSLAB" up "$F" >/dev/null 2>&1 &
	up_pid=$!
	if ! wait_for 60 stopped "$up_pid"; then
		kill -9 "$up_pid" 2>/dev/null
		{ wait "$up_pid"; } 2>/dev/null
		not_ok "up with NSLAB_STOP_STEP=$k never stopped (exit $?)"
		run timeout 120 "$NSLAB" down "$LAB"
		continue
	fi
	lab_inodes
	kill -9 "$up_pid"
	{ wait "$up_pid"; } 2>/dev/null
	check_down_after_kill "kill -9 of up stopped at step $k of $steps"
done
# And the lab comes up again, whole.
lab_up "$LAB" "$F"
ping_ok "$LAB" n1 10.221.0.1
ping_ok "$LAB" "n$((N / 2))" "10.220.$((N / 2)).1"
lab_down "$LAB"
lab_gone "$LAB"

# ---- 2. state lost: down works from the marks ----

L2=$(lab_name)
HIF2=nslk$((RANDOM % 10000))
DEV=nslkd$((RANDOM % 10000))
ip link add "$DEV" type veth peer name "${DEV}p" || die "cannot create veth $DEV"
defer ip link del "${DEV}p"
F2=$(write_topo lost <<EOF
{
  "name": "$L2",
  "nodes": {
    "a": {
      "interfaces": { "eth0": { "addresses": ["10.222.0.1/24", "fd42:222::1/64"] }, "up0": { "addresses": ["10.223.0.2/24"] } },
      "exec": [ ["sh", "-c", "sleep $MARK >/dev/null 2>&1 &"] ]
    },
    "b": {
      "interfaces": { "eth0": { "addresses": ["10.222.0.2/24", "fd42:222::2/64"] }, "wan0": { "device": "$DEV" } },
      "nat": [ { "out": "wan0", "to": "masquerade" } ]
    }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] }, { "endpoints": ["host:$HIF2", "a:up0"] } ],
  "host": {
    "interfaces": { "$HIF2": { "addresses": ["10.223.0.1/24"] } },
    "nat": [ { "source": "10.223.0.0/24", "out": "$HIF2", "to": "masquerade" } ]
  }
}
EOF
)
lab_up "$L2" "$F2"
ping_ok "$L2" a 10.222.0.2
ping_ok "$L2" a 10.223.0.1
ip netns exec "$L2.b" sleep "$MARK" </dev/null >/dev/null 2>&1 &
ipx_pid=$!
wait_for 5 sleeps 2 || not_ok "the sleeps did not start"
inos="$(stat -L -c %i "/run/netns/$L2.a") $(stat -L -c %i "/run/netns/$L2.b")"
assert_ok rm -rf "/run/nslab/$L2"
run timeout 120 "$NSLAB" down "$L2"
assert_eq 0 "$rc" "exit of down $L2 after its state was deleted"
_show "$err" "down stderr"
lab_gone "$L2"
# shellcheck disable=SC2086
nothing_in "$L2" $inos
{ wait "$ipx_pid"; } 2>/dev/null
assert_eq 137 "$?" "status of the 'ip netns exec $L2.b sleep' that down killed"
run ip -j link show dev "$HIF2"
assert_rc_fail "ip link show dev $HIF2 (the host end is gone)"
run ip -j link show dev "$DEV"
assert_true "moved device $DEV is home under its name" [ "$rc" = 0 ]
assert_jq "$out" '.[0].ifalias // "" | startswith("nslab") | not' "$DEV alias after down"
run nft list table inet "nslab-$L2"
assert_rc_fail "nft list table inet nslab-$L2 (the host table is gone)"
assert_status 0 timeout 60 "$NSLAB" down "$L2"

# ---- 3. down kills what `ip netns exec` started in a lab that has its state ----

L3=$(lab_name)
F3=$(pair_topo "$L3" ipx 10.224.0)
lab_up "$L3" "$F3"
ip netns exec "$L3.a" sleep "$MARK" </dev/null >/dev/null 2>&1 &
p1=$!
ip netns exec "$L3.b" sh -c "sleep $MARK & sleep $MARK" </dev/null >/dev/null 2>&1 &
p2=$!
inos=$(pair_inos "$L3")
wait_for 5 sleeps 3 || not_ok "the sleeps did not start"
lab_down "$L3"
lab_gone "$L3"
# shellcheck disable=SC2086
nothing_in "$L3" $inos
{ wait "$p1"; } 2>/dev/null
assert_eq 137 "$?" "status of 'ip netns exec $L3.a sleep' after down"
{ wait "$p2"; } 2>/dev/null
assert_eq 137 "$?" "status of 'ip netns exec $L3.b sh' after down"
assert_eq 0 "$(pgrep -c -x -f "sleep $MARK")" "sleeps of this test still running"

# ---- 4. a down run again reaches what outlived a node's holder and its bind ----
# What a down cut short after its unbind leaves behind: the holder dead, the bind gone, the
# namespace alive only in what `ip netns exec` started there, which keeps forking. The
# journal's number alone proves nothing; the mark on lo inside does.

L4=$(lab_name)
F4=$(pair_topo "$L4" orphan 10.225.0)
lab_up "$L4" "$F4"
ip netns exec "$L4.a" sh -c "while :; do sleep $MARK & sleep 0.05; done" </dev/null >/dev/null 2>&1 &
p4=$!
inos=$(pair_inos "$L4")
wait_for 5 sleeps 2 || not_ok "the sleeps did not start"
node_orphaned "$L4" a
lab_down "$L4"
lab_gone "$L4"
# shellcheck disable=SC2086
nothing_in "$L4" $inos
{ wait "$p4"; } 2>/dev/null
assert_eq 137 "$?" "status of the forking 'ip netns exec $L4.a sh' after down"
assert_eq 0 "$(pgrep -c -x -f "sleep $MARK")" "sleeps of this test still running"

# ---- 5. a namespace made under a dead node's name (with its number, when the kernel gives it) is not the lab's ----

L5=$(lab_name)
F5=$(pair_topo "$L5" reuse 10.226.0)
lab_up "$L5" "$F5"
old_ino=$(stat -L -c %i "/run/netns/$L5.a")
node_orphaned "$L5" a
sleep 0.5 # the kernel frees the namespace, and its number, in the background
assert_ok ip netns add "$L5.a"
new_ino=$(stat -L -c %i "/run/netns/$L5.a")
if [ "$new_ino" = "$old_ino" ]; then
	note "ip netns add $L5.a got the dead node's number $old_ino"
else
	note "ip netns add $L5.a got $new_ino, not the dead node's $old_ino: only the name is shared"
fi
ip netns exec "$L5.a" sleep "$MARK" </dev/null >/dev/null 2>&1 &
p5=$!
wait_for 5 sleeps 1 || not_ok "the foreign sleep did not start"
# With the number, nothing proves it the lab's nor another's: down says so and keeps the state.
run timeout 60 "$NSLAB" down "$L5"
if [ "$new_ino" = "$old_ino" ]; then
	assert_eq 1 "$rc" "exit of down beside a namespace with the dead node's number"
	assert_contains "$err" "cannot be proven the lab's" "down's error"
else
	assert_eq 0 "$rc" "exit of down beside a namespace of the dead node's name"
fi
assert_eq "$new_ino" "$(stat -L -c %i "/run/netns/$L5.a" 2>/dev/null)" "the foreign /run/netns/$L5.a is still bound"
assert_true "the foreign namespace's process lives" kill -0 "$p5"
kill -9 "$p5"
{ wait "$p5"; } 2>/dev/null
assert_ok ip netns del "$L5.a"
assert_status 0 timeout 60 "$NSLAB" down "$L5"
lab_gone "$L5"

# ---- 6. a node whose holder is gone and whose lo lost its mark cannot be proven the lab's ----
# Its lo's alias changed from inside, its holder killed: down refuses to touch it, says how to
# remove it by hand, and keeps the state; once it is removed, down completes.

L6=$(lab_name)
F6=$(pair_topo "$L6" unmarked 10.227.0)
lab_up "$L6" "$F6"
assert_ok ip -n "$L6.a" link set lo alias "not-the-mark"
h6=$(lab_pids "$L6" | awk '$1 == "a" { print $2 }')
assert_true "holder of $L6.a known" [ -n "$h6" ]
kill -9 "$h6"
run timeout 60 "$NSLAB" down "$L6"
assert_eq 1 "$rc" "exit of down with $L6.a unproven"
assert_contains "$err" "ip netns delete $L6.a" "down's error"
assert_true "/run/netns/$L6.a left alone" [ -e "/run/netns/$L6.a" ]
assert_true "the state of $L6 stays" [ -d "/run/nslab/$L6" ]
assert_ok ip netns delete "$L6.a"
assert_status 0 timeout 60 "$NSLAB" down "$L6"
lab_gone "$L6"
