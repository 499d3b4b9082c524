#!/usr/bin/env bash
# Rootless labs, as a user (the rootless pass; as root this test is skipped, and
# test_rootless_users.sh checks users against each other and against root). The README's
# example: two routers between two hosts, up, ping across both routers, exec (root inside, the
# user outside), status; where the state lives ($XDG_RUNTIME_DIR/nslab, else /tmp/nslab-UID,
# never a directory of anyone else's); a daemon started by exec and one that switched to a
# subordinate id die with down; kill -9 of up at any moment then down leaves nothing; a fault
# at every step of up leaves nothing; one at every step of down keeps the state and a second
# down finishes; down without the state finds the lab by its keeper's mark; a node's mounts
# (read-only bind, tmpfs) work.
# quick
# user-only: rootless labs, built by a user (tests/e2e/run.sh --rootless)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MARK=2$$
# sleeps: PIDs of live `sleep $MARK...` processes, anyone's we can see.
sleeps() {
	pgrep -f "^sleep $MARK" || true
}

LAB=$(lab_name)
mkdir -p "$T_TMP/ro"
echo inside >"$T_TMP/ro/file"
F=$(write_topo readme <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": {
      "interfaces": { "eth0": { "addresses": ["10.91.1.2/24", "fd42:91:1::2/64"] } },
      "routes": [ { "to": "default", "via": "10.91.1.1" }, { "to": "default", "via": "fd42:91:1::1" } ],
      "mounts": [ { "source": "$T_TMP/ro", "target": "/mnt", "read_only": true }, { "tmpfs": "/srv" } ]
    },
    "r1": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "eth0": { "addresses": ["10.91.1.1/24", "fd42:91:1::1/64"] },
        "eth1": { "addresses": ["10.91.12.1/30", "fd42:91:12::1/64"] }
      },
      "routes": [ { "to": "10.91.2.0/24", "via": "10.91.12.2" }, { "to": "fd42:91:2::/64", "via": "fd42:91:12::2" } ],
      "nat": [ { "source": "10.91.1.0/24", "out": "eth1", "to": "masquerade" } ]
    },
    "r2": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "eth0": { "addresses": ["10.91.12.2/30", "fd42:91:12::2/64"] },
        "eth1": { "addresses": ["10.91.2.1/24", "fd42:91:2::1/64"] }
      },
      "routes": [ { "to": "10.91.1.0/24", "via": "10.91.12.1" }, { "to": "fd42:91:1::/64", "via": "fd42:91:12::1" } ]
    },
    "h2": {
      "hostname": "server",
      "interfaces": { "eth0": { "addresses": ["10.91.2.2/24", "fd42:91:2::2/64"] } },
      "routes": [ { "to": "default", "via": "10.91.2.1" }, { "to": "default", "via": "fd42:91:2::1" } ],
      "exec": [ ["sh", "-c", "sleep ${MARK}1 </dev/null >/dev/null 2>&1 &"] ]
    }
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"] },
    { "endpoints": ["r1:eth1", "r2:eth0"], "rate": "100mbit" },
    { "endpoints": ["r2:eth1", "h2:eth0"] }
  ]
}
EOF
)

# ---- 1. the README's example ----

lab_up "$LAB" "$F"
# The state: the user's own, closed to others.
assert_eq "$XDG_RUNTIME_DIR/nslab" "$E2E_STATE" "state root with XDG_RUNTIME_DIR set"
assert_true "$E2E_STATE/$LAB exists" test -d "$E2E_STATE/$LAB"
assert_eq "$(id -u) 700" "$(stat -c '%u %a' "$E2E_STATE/$LAB")" "owner and mode of $E2E_STATE/$LAB"
assert_eq "$(id -u) 700" "$(stat -c '%u %a' "$E2E_STATE")" "owner and mode of $E2E_STATE"
assert_true "no /run/netns entry of $LAB" test -z "$(find /run/netns -maxdepth 1 -name "$LAB.*" 2>/dev/null)"
# Across both routers, both families: TTL 2 dies at r2, 3 arrives.
ping_ok "$LAB" h1 10.91.2.2
ping_ok "$LAB" h1 fd42:91:2::2
ping_ok "$LAB" h2 10.91.1.2
ping_fails "$LAB" h1 10.91.2.2 -t 2
ping_ok "$LAB" h1 10.91.2.2 -t 3
# r1 masquerades h1 towards r2: r2 sees r1's address.
assert_ok nx "$LAB" r1 nft list table inet nslab
assert_contains "$out" "masquerade" "r1's nft table"
assert_ok nx "$LAB" r1 tc -j qdisc show dev eth1
assert_jq "$out" 'any(.[]; .kind == "tbf")' "r1 eth1 rate"
# exec: root inside, the user outside; the node's own hostname, /proc, /sys.
assert_ok nx "$LAB" h2 sh -c 'echo "$(id -u) $(hostname) $(ls /sys/class/net | tr "\n" " ")"'
assert_eq "0 server eth0 lo " "$out" "uid, hostname and interfaces seen in h2"
assert_ok nx "$LAB" h1 sh -c 'head -n 1 /proc/self/uid_map'
assert_match "$out" "^ *0 +$(id -u) +1\$" "h1's first uid_map line maps 0 to us"
assert_ok nx "$LAB" h1 cat /mnt/file
assert_eq inside "$out" "h1 reads its read-only bind"
assert_fail nx "$LAB" h1 sh -c 'echo x > /mnt/new'
assert_ok nx "$LAB" h1 sh -c 'echo x > /srv/new && cat /srv/new'
assert_true "h1's tmpfs write stays in h1" test ! -e /srv/new
# status: a rootless lab, its keeper, its state.
assert_ok nsl status "$LAB" --json
assert_jq "$out" ".labs[0] | .rootless == true and .keeper.alive == true and .state_dir == \"$E2E_STATE\"" \
	"status of a rootless lab"
assert_jq "$out" '[.labs[0].nodes[] | .alive] | all and length == 4' "status: four live holders"
assert_jq "$out" '.labs[0].nodes[] | select(.name == "r1") | .interfaces | any(.name == "eth1" and (.addresses | index("10.91.12.1/30")))' \
	"status: r1 eth1 and its address"
keeper=$(jq -r '.labs[0].keeper.pid' <<<"$out")
assert_eq nslab-keeper "$(cat "/proc/$keeper/comm" 2>/dev/null)" "comm of the keeper"
assert_true "the keeper's user namespace is not ours" \
	test "$(stat -L -c %i "/proc/$keeper/ns/user")" != "$(stat -L -c %i /proc/self/ns/user)"
h1=$(lab_pids "$LAB" | awk '$1 == "h1" { print $2 }')
assert_eq "$(stat -L -c %i "/proc/$keeper/ns/user")" "$(stat -L -c %i "/proc/${h1:-0}/ns/user" 2>/dev/null)" \
	"h1's holder lives in the keeper's user namespace"
assert_true "the daemon started by exec runs" wait_for 2 test -n "$(sleeps)"
lab_down "$LAB"
lab_gone "$LAB"
assert_true "the daemon is gone after down" wait_for 2 test -z "$(sleeps)"
assert_eq "" "$(rsd_foreign_userns)" "processes of ours in a lab's user namespace after down"

# ---- 2. subordinate ids: a daemon that switches to a user of its own ----

lab_up "$LAB" "$F"
assert_ok nx "$LAB" h1 cat /proc/self/uid_map
if [ "$(wc -l <<<"$out")" -ge 2 ]; then
	ok "subordinate ids are mapped: $(tr -s ' \n' ' ' <<<"$out")"
	assert_ok nx "$LAB" h1 setpriv --reuid=100 --regid=100 --clear-groups id -u
	assert_eq 100 "$out" "uid after switching to 100 in h1"
	assert_ok nx "$LAB" h1 sh -c "setpriv --reuid=100 --regid=100 --clear-groups sleep ${MARK}2 </dev/null >/dev/null 2>&1 &"
	assert_true "the daemon as uid 100 runs" wait_for 2 test -n "$(pgrep -f "^sleep ${MARK}2")"
	assert_true "it runs as a subordinate id on the host" \
		test "$(ps -o uid= -p "$(pgrep -f "^sleep ${MARK}2" | head -n 1)" | tr -d ' ')" != "$(id -u)"
	ping_ok "$LAB" h1 10.91.2.2
	assert_ok nx "$LAB" h1 setpriv --reuid=100 --regid=100 --clear-groups ping -n -c1 -W1 10.91.2.2
else
	note "no subordinate ids mapped here (newuidmap/newgidmap or an /etc/subuid range missing): only the user's own id"
fi
lab_down "$LAB"
lab_gone "$LAB"
assert_true "every daemon is gone after down" wait_for 2 test -z "$(sleeps)"

# ---- 3. kill -9 of up at any moment, then down ----

up_ms=$(sed -n 's/.* in \([0-9]*\) ms$/\1/p' <<<"$(nsl up "$F")")
lab_down "$LAB"
span=$((${up_ms:-50} > 50 ? ${up_ms:-50} : 50))
note "a whole up takes ${up_ms:-?} ms here"
for round in $(seq 1 8); do
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
	run timeout 60 "$NSLAB" down "$LAB"
	bad=""
	[ "$rc" = 0 ] || bad+=" down exits $rc;"
	r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$LAB") || bad+=" lab traces;"
	u=$(rsd_poll rsd_foreign_userns) || bad+=" processes in a lab's user namespace;"
	what="kill -9 of up after ${delay} ms (up $([ "$up_rc" = 137 ] && echo killed || echo "had exited $up_rc"))"
	if [ -z "$bad" ]; then
		ok "$what: down succeeds and leaves nothing"
	else
		not_ok "$what:$bad"
		_show "$err" "down stderr"
		[ -z "$r" ] || echo "$r"
		[ -z "$u" ] || echo "$u"
	fi
done
assert_true "no daemon left after the kills" wait_for 2 test -z "$(sleeps)"

# ---- 4. a fault at every step of up ----

run env NSLAB_COUNT_STEPS=1 "$NSLAB" up "$F"
N=$(sed -n 's/^nslab: \([0-9]*\) steps$/\1/p' <<<"$err")
lab_down "$LAB"
if [ -z "$N" ] || [ "$N" -le 10 ]; then die "NSLAB_COUNT_STEPS printed no step count: $err"; fi
ok "up counts $N steps"
for k in $(seq 1 "$N"); do
	run env NSLAB_FAIL_STEP="$k" timeout 60 "$NSLAB" up "$F"
	bad=""
	[ "$rc" = 1 ] || bad+=" up exits $rc;"
	[[ $err == *"injected fault at up step $k"* ]] || bad+=" no word of the fault;"
	[[ $err != *"rollback incomplete"* ]] || bad+=" rollback incomplete;"
	r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$LAB") || bad+=" residue;"
	u=$(rsd_poll rsd_foreign_userns) || bad+=" processes in a lab's user namespace;"
	[ -z "$(sleeps)" ] || bad+=" daemon left;"
	if [ -z "$bad" ]; then
		ok "NSLAB_FAIL_STEP=$k: up fails and leaves nothing ($(head -n 1 <<<"$err"))"
	else
		not_ok "NSLAB_FAIL_STEP=$k:$bad"
		_show "$err" stderr
		[ -z "$r" ] || echo "$r"
		[ -z "$u" ] || echo "$u"
		timeout 60 "$NSLAB" down "$LAB" >/dev/null 2>&1
	fi
done
assert_status 0 env NSLAB_FAIL_STEP=$((N + 1)) "$NSLAB" up "$F"
lab_record "$LAB"
ping_ok "$LAB" h1 10.91.2.2
lab_down "$LAB"
lab_gone "$LAB"

# ---- 5. a fault at every step of down: it fails, keeps the state, a second down finishes ----

lab_up "$LAB" "$F"
run timeout 60 env NSLAB_COUNT_STEPS=1 "$NSLAB" down "$LAB"
[ "$rc" = 0 ] || die "down fails without a fault (exit $rc): $err"
M=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$M" ] || [ "$M" -lt 2 ]; then die "NSLAB_COUNT_STEPS printed no step count for down: $err"; fi
ok "down counts $M steps"
for ((k = 1; k <= M; k++)); do
	lab_up "$LAB" "$F"
	run timeout 60 env NSLAB_FAIL_DOWN_STEP=$k "$NSLAB" down "$LAB"
	bad=""
	[ "$rc" = 1 ] || bad+=" exit $rc, expected 1;"
	[[ $err == *"injected fault at down step $k"* ]] || bad+=" stderr lacks the fault;"
	[ -d "$E2E_STATE/$LAB" ] || bad+=" the state went with a failed down;"
	run timeout 60 "$NSLAB" down "$LAB"
	[ "$rc" = 0 ] || bad+=" the second down exits $rc ($err);"
	r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$LAB") || bad+=" residue;"
	u=$(rsd_poll rsd_foreign_userns) || bad+=" processes in a lab's user namespace;"
	[ -z "$(sleeps)" ] || bad+=" daemon left;"
	if [ -z "$bad" ]; then
		ok "NSLAB_FAIL_DOWN_STEP=$k: down fails, a second down leaves nothing"
	else
		not_ok "NSLAB_FAIL_DOWN_STEP=$k:$bad"
		[ -z "$r" ] || echo "$r"
		[ -z "$u" ] || echo "$u"
		timeout 60 "$NSLAB" down "$LAB" >/dev/null 2>&1
	fi
done

# ---- 6. the state lost: down finds the lab by its keeper's mark ----

lab_up "$LAB" "$F"
nx "$LAB" h1 sleep "${MARK}3" </dev/null >/dev/null 2>&1 &
exec_pid=$!
assert_true "a command runs in h1" wait_for 2 pgrep -f "^sleep ${MARK}3"
assert_ok rm -rf "${E2E_STATE:?}/$LAB"
run nsl status
assert_not_contains "$out" "$LAB" "status once the state is gone"
run nsl up "$F"
assert_eq 1 "$rc" "exit of up while the lab without state still runs"
assert_contains "$err" "the keeper's mark @nslab/$(id -u)/$LAB is taken" "up while the lab without state still runs"
assert_ok nsl down "$LAB"
lab_gone "$LAB"
{ wait "$exec_pid"; } 2>/dev/null
assert_eq 137 "$?" "status of the nslab exec that down killed"
assert_true "every process of the lab is gone" wait_for 2 test -z "$(sleeps)"
assert_status 0 nsl down "$LAB"
assert_contains "$err" "not up" "a second down"

# ---- 7. where the state lives without XDG_RUNTIME_DIR, or with one that is not private ----

for how in unset open; do
	x=""
	if [ "$how" = open ]; then
		x=$T_TMP/xdg-open
		mkdir -m 0755 "$x"
	fi
	L2=$(lab_name)
	F2=$(write_topo "$how" <<EOF
{ "name": "$L2", "nodes": { "a": { "interfaces": { "e": { "addresses": ["10.92.0.1/24"] } } },
                             "b": { "interfaces": { "e": { "addresses": ["10.92.0.2/24"] } } } },
  "links": [ { "endpoints": ["a:e", "b:e"] } ] }
EOF
	)
	if [ "$how" = unset ]; then
		x_env=(env -u XDG_RUNTIME_DIR)
	else
		x_env=(env XDG_RUNTIME_DIR="$x")
	fi
	assert_ok "${x_env[@]}" "$NSLAB" up "$F2"
	assert_true "XDG_RUNTIME_DIR $how: the state is in /tmp/nslab-$(id -u)/$L2" test -d "/tmp/nslab-$(id -u)/$L2"
	assert_eq "$(id -u) 700" "$(stat -c '%u %a' "/tmp/nslab-$(id -u)")" "owner and mode of /tmp/nslab-$(id -u)"
	assert_ok "${x_env[@]}" "$NSLAB" exec -l "$L2" a ping -n -c1 -W1 10.92.0.2
	run nsl status
	assert_not_contains "$out" "$L2" "status with XDG_RUNTIME_DIR set does not see /tmp/nslab-$(id -u)"
	assert_ok "${x_env[@]}" "$NSLAB" down "$L2"
	assert_true "XDG_RUNTIME_DIR $how: no state left" test ! -e "/tmp/nslab-$(id -u)/$L2"
	assert_eq "" "$(rsd_foreign_userns)" "processes of ours in a lab's user namespace after down"
done
rmdir "/tmp/nslab-$(id -u)" 2>/dev/null
# A /tmp/nslab-UID of the wrong kind is refused, never used: a symlink, or open to others.
ln -s "$T_TMP" "/tmp/nslab-$(id -u)"
run env -u XDG_RUNTIME_DIR "$NSLAB" up "$F"
assert_eq 1 "$rc" "up with /tmp/nslab-$(id -u) a symlink"
assert_contains "$err" "/tmp/nslab-$(id -u)" "up with /tmp/nslab-$(id -u) a symlink"
rm "/tmp/nslab-$(id -u)"
mkdir -m 0755 "/tmp/nslab-$(id -u)"
run env -u XDG_RUNTIME_DIR "$NSLAB" up "$F"
assert_eq 1 "$rc" "up with /tmp/nslab-$(id -u) open to others"
assert_contains "$err" "must be a directory owned by you" "up with /tmp/nslab-$(id -u) open to others"
rmdir "/tmp/nslab-$(id -u)"
lab_gone "$LAB"
