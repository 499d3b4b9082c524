#!/usr/bin/env bash
# Issue 10, item 1: nslab never touches a namespace or a process it did not make, even when
# its name is under /run/netns/LAB.*:
#  a. a foreign namespace LAB.vpn with a process in it (`ip netns add`, `ip netns exec`):
#     `down LAB` of a lab that is not up, while it is up, and after it went down leaves the
#     namespace bound and the process alive; the lab itself still goes entirely;
#  b. a foreign LAB.h1 (a node's name): `up` refuses, changes nothing; `down` leaves it;
#  c. symlinks /run/netns/LAB.y (to another bound namespace) and LAB.z (to a process's
#     /proc/PID/ns/net) are not followed: nothing in their targets is signalled or unbound,
#     and the symlinks stay;
#  d. `ip netns attach LAB.host 1`: a name that is the host's own network namespace. `down`
#     (lab not up, and lab up) must signal no host process and leave the name. Run in a
#     sandbox (new network, PID and mount namespaces; its PID 1 is this test's script): a
#     `down` that killed every process of "the host" kills only the sandbox's;
#  e. `up` killed with SIGKILL, its state directory then removed by hand: `down` still
#     removes the lab's own namespaces (and host end) and nothing foreign.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need unshare

LAB=$(lab_name)
MARK=$((200000 + $$ % 100000)) # sleeps of this test: "sleep $MARK.N"
N=0

# ---- foreign things, and whether they are intact ----

declare -A FPID FSTART FINO

# starttime PID: field 22 of /proc/PID/stat (empty if no such process).
starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }

# alive PID START: the same process still runs (not a zombie, not a reused PID).
alive() {
	local st
	[ "$(starttime "$1")" = "$2" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# kill_same PID START: SIGKILL to PID if it is still that process (cleanup).
kill_same() {
	if alive "$1" "$2"; then kill -KILL "$1" 2>/dev/null; fi
	return 0
}

netns_del() { # cleanup
	if [ -e "/run/netns/$1" ]; then ip netns del "$1"; fi
}

# foreign_netns NAME: `ip netns add NAME` and a `sleep` in it (`ip netns exec NAME`), as
# someone else would. Removed at exit.
foreign_netns() {
	local name=$1 pid
	ip netns add "$name" || die "ip netns add $name failed"
	defer netns_del "$name"
	N=$((N + 1))
	ip netns exec "$name" sleep "$MARK.$N" </dev/null >/dev/null 2>&1 & # ip execs sleep: same pid
	pid=$!
	wait_for 5 grep -qx sleep "/proc/$pid/comm" || die "the sleep in $name did not start"
	FPID[$name]=$pid
	RSD_NOT_OURS_PIDS="${RSD_NOT_OURS_PIDS:-} $pid"
	FSTART[$name]=$(starttime "$pid")
	FINO[$name]=$(stat -L -c %i "/run/netns/$name")
	defer kill_same "$pid" "${FSTART[$name]}"
	[ "$(readlink "/proc/$pid/ns/net")" = "net:[${FINO[$name]}]" ] || die "the sleep is not in $name"
}

# foreign_renew NAME: a fresh foreign NAME (the last case may have broken the old one), so
# that each case fails on its own.
foreign_renew() {
	if [ -n "${FPID[$1]:-}" ]; then kill_same "${FPID[$1]}" "${FSTART[$1]}"; fi
	netns_del "$1"
	foreign_netns "$1"
}

# foreign_intact NAME WHAT: NAME is still bound to the same namespace, and its process lives
# there.
foreign_intact() {
	local name=$1 what=$2 pid=${FPID[$1]}
	assert_eq "${FINO[$name]}" "$(stat -L -c %i "/run/netns/$name" 2>/dev/null)" \
		"$what: /run/netns/$name still binds the same namespace"
	assert_true "$what: /run/netns/$name is still a mount point" mountpoint -q "/run/netns/$name"
	assert_true "$what: the process in $name (pid $pid, sleep) is alive" alive "$pid" "${FSTART[$name]}"
	assert_eq "net:[${FINO[$name]}]" "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" \
		"$what: the process is still in $name"
}

topo() { # topo LAB STEM [EXTRA-NODE-H1] [HOSTIF]
	local hl="" hi="" up0=""
	if [ -n "${4:-}" ]; then
		hl=", { \"endpoints\": [\"host:$4\", \"h2:up0\"] }"
		hi=", \"host\": { \"interfaces\": { \"$4\": { \"addresses\": [\"10.236.9.1/24\"] } } }"
		up0=', "up0": { "addresses": ["10.236.9.2/24"] }'
	fi
	write_topo "$2" <<EOF
{
  "name": "$1",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.236.0.1/24"] } } ${3:-} },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.236.0.2/24"] } $up0 } }
  },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } $hl ]
  $hi
}
EOF
}
F=$(topo "$LAB" own)

# ---- a. a foreign LAB.vpn: lab not up, up, gone ----

foreign_netns "$LAB.vpn"
RSD_NOT_OURS="$LAB.vpn"
assert_ok nsl down "$LAB"
foreign_intact "$LAB.vpn" "down of $LAB (not up)"

foreign_renew "$LAB.vpn"
lab_up "$LAB" "$F"
ping_ok "$LAB" h1 10.236.0.2
foreign_intact "$LAB.vpn" "up of $LAB"
lab_down "$LAB"
lab_gone "$LAB"
foreign_intact "$LAB.vpn" "down of $LAB (up)"
assert_true "/run/netns/$LAB.h1 is gone" [ ! -e "/run/netns/$LAB.h1" ]

foreign_renew "$LAB.vpn"
assert_ok nsl down "$LAB"
foreign_intact "$LAB.vpn" "down of $LAB (gone already)"

# ---- b. a foreign namespace under a node's name ----

foreign_renew "$LAB.vpn"
foreign_netns "$LAB.h1"
RSD_NOT_OURS="$LAB.vpn $LAB.h1"
run nsl up "$F"
assert_rc_fail "up of $LAB while $LAB.h1 is someone else's"
assert_contains "$err" "$LAB.h1" "up stderr"
foreign_intact "$LAB.h1" "refused up"
assert_true "no state of $LAB after the refused up" [ ! -e "/run/nslab/$LAB" ]
assert_true "no $LAB.h2 after the refused up" [ ! -e "/run/netns/$LAB.h2" ]
assert_ok nsl down "$LAB"
foreign_intact "$LAB.h1" "down of $LAB after the refused up"
foreign_intact "$LAB.vpn" "down of $LAB after the refused up"
netns_del "$LAB.h1"
kill_same "${FPID[$LAB.h1]}" "${FSTART[$LAB.h1]}"
RSD_NOT_OURS="$LAB.vpn"

# ---- c. symlinks under LAB.* are not followed ----

OTHER=nslo$$_other # a bound namespace of someone else, not under LAB
unshared() { # a namespace that only its process holds, and symlinks to both
	N=$((N + 1))
	unshare --net sleep "$MARK.$N" </dev/null >/dev/null 2>&1 &
	UPID=$!
	wait_for 5 grep -qx sleep "/proc/$UPID/comm" || die "unshare --net sleep did not start"
	USTART=$(starttime "$UPID")
	defer kill_same "$UPID" "$USTART"
	RSD_NOT_OURS_PIDS="${RSD_NOT_OURS_PIDS:-} $UPID"
	UNS=$(readlink "/proc/$UPID/ns/net")
	rm -f "/run/netns/$LAB.y" "/run/netns/$LAB.z"
	ln -s "/run/netns/$OTHER" "/run/netns/$LAB.y"
	ln -s "/proc/$UPID/ns/net" "/run/netns/$LAB.z"
}
defer rm -f "/run/netns/$LAB.y" "/run/netns/$LAB.z"
RSD_NOT_OURS="$LAB.vpn $LAB.y $LAB.z"
for state in "not up" up; do
	foreign_renew "$LAB.vpn"
	foreign_renew "$OTHER"
	unshared
	if [ "$state" = up ]; then
		lab_up "$LAB" "$F"
	fi
	lab_down "$LAB"
	foreign_intact "$OTHER" "down of $LAB ($state) with $LAB.y -> /run/netns/$OTHER"
	assert_true "down of $LAB ($state): unshare's sleep (pid $UPID) is alive" alive "$UPID" "$USTART"
	assert_eq "$UNS" "$(readlink "/proc/$UPID/ns/net" 2>/dev/null)" "down of $LAB ($state): unshare's sleep's namespace"
	assert_eq "/run/netns/$OTHER" "$(readlink "/run/netns/$LAB.y")" "down of $LAB ($state): the symlink $LAB.y"
	assert_eq "/proc/$UPID/ns/net" "$(readlink "/run/netns/$LAB.z")" "down of $LAB ($state): the symlink $LAB.z"
	foreign_intact "$LAB.vpn" "down of $LAB ($state) with symlinks"
	lab_gone "$LAB"
done

# ---- d. a name that is the host's own namespace (in a sandbox) ----

cat >"$T_TMP/sandbox.sh" <<'EOS'
# Runs as PID 1 of new PID, network and mount namespaces: its network namespace is "the
# host". Prints "ok: ..." and "not ok: ..." lines.
set -u
NSLAB=$1 LAB=$2 F=$3 MARK=$4
mkdir -p /run/netns /run/nslab
mount -t tmpfs -o mode=0755 sandbox /run/netns || { echo "not ok: sandbox: no tmpfs on /run/netns"; exit 1; }
mount -t tmpfs -o mode=0700 sandbox /run/nslab || { echo "not ok: sandbox: no tmpfs on /run/nslab"; exit 1; }
ip link set lo up
host=$(readlink /proc/1/ns/net)
check() { if "$@" >/dev/null 2>&1; then echo "ok: sandbox: $WHAT"; else echo "not ok: sandbox: $WHAT"; fi; }
bystander() { # a process of "the host"
	sleep "$MARK" </dev/null >/dev/null 2>&1 &
	BY=$!
	BYSTART=$(sed 's/^.*) //' "/proc/$BY/stat" | awk '{ print $20 }')
}
by_alive() {
	[ "$(sed 's/^.*) //' "/proc/$BY/stat" 2>/dev/null | awk '{ print $20 }')" = "$BYSTART" ] &&
		! grep -q '^State:.*[ZX]' "/proc/$BY/status"
}
same_ns() { [ "$(stat -L -c %i "$1")" = "$(stat -L -c %i /proc/1/ns/net)" ]; }

for state in "not up" up; do
	# Afresh for each case: the last one may have removed them.
	ip netns del "$LAB.host" 2>/dev/null
	rm -f "/run/netns/$LAB.self"
	ip netns attach "$LAB.host" 1 || { echo "not ok: sandbox: ip netns attach $LAB.host 1 failed"; exit 1; }
	ln -s /proc/1/ns/net "/run/netns/$LAB.self"
	WHAT="($state) $LAB.host binds the host's own namespace"; check same_ns "/run/netns/$LAB.host"
	bystander
	if [ "$state" = up ]; then
		"$NSLAB" up "$F" >/tmp/sandbox-up.$$ 2>&1
		rc=$?
		WHAT="up of $LAB beside $LAB.host (exit $rc: $(tail -n 1 /tmp/sandbox-up.$$))"; check test "$rc" = 0
		rm -f /tmp/sandbox-up.$$
	fi
	out=$("$NSLAB" down "$LAB" 2>&1)
	rc=$?
	WHAT="down of $LAB ($state) exits 0 (exit $rc: $out)"; check test "$rc" = 0
	WHAT="down of $LAB ($state): the host's process (sleep, pid $BY) is alive"; check by_alive
	WHAT="down of $LAB ($state): PID 1 of the host is alive and in the host namespace"; check test "$(readlink /proc/1/ns/net)" = "$host"
	WHAT="down of $LAB ($state): /run/netns/$LAB.host still binds the host namespace"; check same_ns "/run/netns/$LAB.host"
	WHAT="down of $LAB ($state): /run/netns/$LAB.host is still a mount point"; check mountpoint -q "/run/netns/$LAB.host"
	WHAT="down of $LAB ($state): the symlink $LAB.self is left alone"; check test "$(readlink "/run/netns/$LAB.self")" = /proc/1/ns/net
	WHAT="down of $LAB ($state): the lab's nodes are gone"; check test ! -e "/run/netns/$LAB.h1" -a ! -e "/run/netns/$LAB.h2" -a ! -e "/run/nslab/$LAB"
	kill -KILL "$BY" 2>/dev/null
	wait "$BY" 2>/dev/null
done
echo "sandbox done"
EOS
F2=$(topo "$LAB" sandbox)
run timeout -k 5 120 unshare --net --pid --mount --fork --mount-proc --propagation private \
	bash "$T_TMP/sandbox.sh" "$NSLAB" "$LAB" "$F2" "$MARK.0"
assert_eq 0 "$rc" "exit of the sandbox"
n_checks=0
while IFS= read -r line; do
	case $line in
	"ok: "*) ok "${line#ok: }" ;;
	"not ok: "*) not_ok "${line#not ok: }" ;;
	*) note "sandbox: $line" && continue ;;
	esac
	n_checks=$((n_checks + 1))
done <<<"$out"
assert_contains "$out" "sandbox done" "sandbox output"
assert_eq 17 "$n_checks" "checks made in the sandbox"
_show "$err" "sandbox stderr"

# ---- e. up killed, state removed by hand: down from the marks ----

foreign_renew "$LAB.vpn"
HIF=nslo$((RANDOM % 10000))
N=$((N + 1))
EXMARK=$MARK.$N
F3=$(topo "$LAB" killed ", \"exec\": [ [\"sleep\", \"$EXMARK\"] ]" "$HIF")
"$NSLAB" up "$F3" </dev/null >"$T_TMP/up.out" 2>&1 &
UPPID=$!
# The exec runs once everything else is built: up waits for it.
exec_runs() { pgrep -f -x "sleep $EXMARK" >/dev/null; }
if wait_for 30 exec_runs; then
	ok "up of $LAB reached its exec (everything built)"
else
	not_ok "up of $LAB never ran its exec"
	_show "$(cat "$T_TMP/up.out")" "up output"
fi
assert_true "/run/netns/$LAB.h1 exists while up runs" [ -e "/run/netns/$LAB.h1" ]
kill -KILL "$UPPID"
{ wait "$UPPID"; } 2>/dev/null
assert_ok rm -rf "/run/nslab/$LAB"
foreign_intact "$LAB.vpn" "up killed"
lab_down "$LAB"
foreign_intact "$LAB.vpn" "down of $LAB after up was killed and its state removed"
assert_true "$LAB.h1 is gone" [ ! -e "/run/netns/$LAB.h1" ]
assert_true "$LAB.h2 is gone" [ ! -e "/run/netns/$LAB.h2" ]
run ip link show dev "$HIF"
assert_rc_fail "ip link show dev $HIF (the lab's host end is gone)"
lab_gone "$LAB"
no_exec_sleep() { ! pgrep -f -x "sleep $EXMARK" >/dev/null; }
assert_true "the exec's sleep is gone" wait_for 2 no_exec_sleep

# And a lab of that name comes up again beside a foreign namespace, and goes.
foreign_renew "$LAB.vpn"
lab_up "$LAB" "$F"
ping_ok "$LAB" h2 10.236.0.1
foreign_intact "$LAB.vpn" "second up of $LAB"
lab_down "$LAB"
foreign_intact "$LAB.vpn" "last down of $LAB"
