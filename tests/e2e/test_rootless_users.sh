#!/usr/bin/env bash
# Labs of different users never see or touch each other, and a user's lab never touches
# root's: root and two throwaway users (uids of no one, made up here) each bring up a lab of
# the same name; each sees only its own in status; the users' downs (by name, --all, and
# without state, from the keeper's mark) leave the others' labs whole, root's host end
# included; root's down leaves the users' labs whole. A process of another user at a user's
# mark (even one named nslab-keeper) is neither believed nor touched: the user's up says the
# mark is taken, the user's down finds nothing.
# root-only: runs nslab as other users (setpriv), and brings up a root lab beside theirs
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need setpriv

# Two uids nobody uses: no passwd entry, no process, no subordinate range.
free_uid() {
	local u
	for _ in $(seq 1 200); do
		u=$((64000 + RANDOM % 1000))
		[ "$u" != "${1:-}" ] || continue
		getent passwd "$u" >/dev/null && continue
		getent group "$u" >/dev/null && continue
		[ -z "$(ps -o pid= -u "$u" 2>/dev/null)" ] || continue
		[ ! -e "/tmp/nslab-$u" ] || continue
		echo "$u"
		return 0
	done
	return 1
}
U1=$(free_uid) || die "no free uid"
U2=$(free_uid "$U1") || die "no free uid"
note "users $U1 and $U2"
defer rm -rf "/tmp/nslab-$U1" "/tmp/nslab-$U2"

# The binary and the files must be theirs to read: a copy where the checkout is private.
BIN=$NSLAB
if ! setpriv --reuid="$U1" --regid="$U1" --clear-groups test -x "$BIN"; then
	mkdir -m 0755 "$T_TMP/bin"
	copy_nslab "$NSLAB" "$T_TMP/bin" || die "cannot copy $NSLAB"
	BIN=$T_TMP/bin/nslab
fi
# as UID CMD...: CMD as that user, with a clean environment (no XDG_RUNTIME_DIR: /tmp/nslab-UID).
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/ "$@"
}
ulab() { # ulab UID ARG...: nslab as that user, bounded
	local u=$1
	shift
	as "$u" timeout -k 5 60 "$BIN" "$@"
}
# live UID: how many live (not zombie) processes that user has.
live() {
	local n=0 st
	for st in $(ps -o stat= -u "$1" 2>/dev/null); do
		[ "${st:0:1}" = Z ] || n=$((n + 1))
	done
	echo "$n"
}

LAB=$(lab_name)
HIF=nslu$((RANDOM % 10000))
F=$(write_topo users <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.93.0.1/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.93.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] } ]
}
EOF
)
FR=$(write_topo users-root <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.93.0.1/24"] }, "up0": { "addresses": ["10.94.0.2/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.93.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] }, { "endpoints": ["host:$HIF", "a:up0"] } ],
  "host": { "interfaces": { "$HIF": { "addresses": ["10.94.0.1/24"] } } }
}
EOF
)
chmod 0644 "$F" "$FR"
defer ulab "$U1" down --all
defer ulab "$U2" down --all

# ---- 1. one name, three labs ----

lab_up "$LAB" "$FR"
assert_ok ulab "$U1" up "$F"
assert_ok ulab "$U2" up "$F"
assert_ok ulab "$U1" status --json
assert_jq "$out" ".labs | length == 1 and .[0].name == \"$LAB\" and .[0].rootless and .[0].state_dir == \"/tmp/nslab-$U1\"" \
	"status of $U1: its own lab only"
k1=$(jq -r '.labs[0].keeper.pid' <<<"$out")
assert_ok ulab "$U2" status --json
k2=$(jq -r '.labs[0].keeper.pid' <<<"$out")
assert_true "two keepers" test "$k1" != "$k2" -a -n "$k1" -a -n "$k2"
assert_ok nsl status "$LAB" --json
assert_jq "$out" '.labs[0].rootless == false and (.labs[0] | has("keeper") | not)' "status of root's lab"
root_pids=$(lab_pids "$LAB")
for u in "$U1" "$U2"; do
	assert_ok ulab "$u" exec -l "$LAB" a ping -n -c1 -W1 10.93.0.2
	assert_fail ulab "$u" exec -l "$LAB" a ping -n -c1 -W1 10.94.0.1
done
ping_ok "$LAB" a 10.94.0.1
# One user's commands never reach another's lab: exec by name finds the user's own.
assert_ok ulab "$U1" exec -l "$LAB" a sh -c 'ip addr add 10.93.0.99/24 dev eth0'
assert_ok ulab "$U1" exec -l "$LAB" b ping -n -c1 -W1 10.93.0.99
assert_fail ulab "$U2" exec -l "$LAB" b ping -n -c1 -W1 10.93.0.99
ping_fails "$LAB" b 10.93.0.99

# ---- 2. a user's down takes the user's lab only ----

assert_ok ulab "$U1" down "$LAB"
assert_eq 0 "$(live "$U1")" "live processes of $U1 after its down"
assert_ok ulab "$U2" exec -l "$LAB" a ping -n -c1 -W1 10.93.0.2
assert_eq "$root_pids" "$(lab_pids "$LAB")" "root's holders after $U1's down"
ping_ok "$LAB" a 10.94.0.1
# --all as well.
assert_ok ulab "$U1" up "$F"
assert_ok ulab "$U1" down --all
assert_eq 0 "$(live "$U1")" "live processes of $U1 after its down --all"
assert_ok ulab "$U2" exec -l "$LAB" a true
assert_eq "$root_pids" "$(lab_pids "$LAB")" "root's holders after $U1's down --all"

# ---- 3. down without state: the keeper's mark, never another user's ----

assert_ok ulab "$U1" up "$F"
assert_ok rm -rf "/tmp/nslab-$U2/$LAB"
# U1's down of a name whose lab it has no more state of... finds only its own keeper: U2's stays.
assert_ok rm -rf "/tmp/nslab-$U1/$LAB"
assert_ok ulab "$U1" down "$LAB"
assert_eq 0 "$(live "$U1")" "live processes of $U1 after its down without state"
assert_true "$U2's keeper lives on" test "$(cat "/proc/$k2/comm" 2>/dev/null)" = nslab-keeper
assert_eq "$root_pids" "$(lab_pids "$LAB")" "root's holders after $U1's down without state"
assert_jq "$(ip -j link show dev "$HIF")" ".[0].ifalias == \"nslab:$LAB\"" "root's host end after the users' downs"
ping_ok "$LAB" a 10.94.0.1
# Root's down leaves U2's lab (without state now) alone; U2's own down finds it by its mark.
lab_down "$LAB"
lab_gone "$LAB"
assert_true "$U2's keeper outlives root's down" test "$(cat "/proc/$k2/comm" 2>/dev/null)" = nslab-keeper
assert_true "$U2 has live processes" test "$(live "$U2")" -gt 0
assert_ok ulab "$U2" down "$LAB"
assert_true "nothing of $U2 lives after its down" wait_for 2 test "$(live "$U2")" = 0
assert_status 0 ulab "$U2" down "$LAB"
assert_contains "$err" "not up" "a second down by $U2"

# ---- 4. another user's process at a user's mark is never believed, never touched ----

L2=$(lab_name)
F2=$(write_topo squat <<EOF2
{ "name": "$L2", "nodes": { "a": {} } }
EOF2
)
chmod 0644 "$F2"
# U2 takes the name U1's keeper of L2 would listen at (perl-base has Socket: always there).
# (Not through `as`: a function in the background is a subshell; this way $! is perl's PID.)
setpriv --reuid="$U2" --regid="$U2" --clear-groups env -i PATH=/usr/bin:/bin perl -MSocket -e 'socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
	bind($s, pack_sockaddr_un("\0nslab/'"$U1/$L2"'")) or die "bind: $!";
	listen($s, 5) or die "listen: $!"; $0 = "nslab-keeper"; sleep 60' &
squatter=$!
defer kill "$squatter"
assert_true "the squatter listens" wait_for 5 grep -q "@nslab/$U1/$L2" /proc/net/unix
run ulab "$U1" up "$F2"
assert_eq 1 "$rc" "exit of $U1's up while $U2 holds its mark"
assert_contains "$err" "the keeper's mark @nslab/$U1/$L2 is taken" "$U1's up while $U2 holds its mark"
assert_true "no state of $L2 for $U1" test ! -e "/tmp/nslab-$U1/$L2"
assert_status 0 ulab "$U1" down "$L2"
assert_contains "$err" "not up" "$U1's down of $L2, its mark held by $U2"
assert_true "$U2's process at the mark is untouched" kill -0 "$squatter"
assert_eq 0 "$(live "$U1")" "live processes of $U1 after its refused up"
kill "$squatter" 2>/dev/null
wait "$squatter" 2>/dev/null
assert_ok ulab "$U1" up "$F2"
assert_ok ulab "$U1" down "$L2"
assert_eq 0 "$(live "$U1")" "live processes of $U1 at the end"
