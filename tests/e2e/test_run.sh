#!/usr/bin/env bash
# nslab run: up, the checks and/or a command in the host, down, with the first failure's
# status; every shipped example passes its own checks; the lab goes on SIGINT and SIGTERM, and
# when run is killed with kill -9 during up, during the checks and during the command (its
# reaper tears it down); a lab that is not run's is never touched.
# lane: host (nslab run's sequence and exit statuses; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need prove

M=$((20000 + RANDOM % 20000)) # sleep lengths nothing else uses, to find our processes by

# live_procs PATTERN: live (not zombie) processes whose command line contains PATTERN.
live_procs() {
	local p st
	for p in /proc/[0-9]*; do
		[ "$p" = "/proc/$$" ] && continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$1" || continue
		st=$(sed 's/^.*) //' "$p/stat" 2>/dev/null | cut -c1)
		[ -n "$st" ] && [ "$st" != Z ] && echo "${p#/proc/}"
	done
}

# procs PATTERN / no_procs PATTERN: whether such processes live (for wait_for, which runs its
# command again each time).
procs() { [ -n "$(live_procs "$1")" ]; }
no_procs() { [ -z "$(live_procs "$1")" ]; }
stopped() { [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = T ]; }
# alive PID: the process exists and is no zombie.
alive() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}
dead() { ! alive "$1"; }
# holders_of PID: the holders that process started (its children named nslab-holder).
holders_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cut -d' ' -f4 "$p/stat" 2>/dev/null)" = "$1" ] || continue
		[ "$(cat "$p/comm" 2>/dev/null)" = nslab-holder ] && echo "${p#/proc/}"
	done
}

# gone_after_reaper LAB FILE WHAT: the reaper took LAB down and left itself.
gone_after_reaper() {
	local lab=$1 file=$2 what=$3
	if wait_for 20 test ! -e "$E2E_STATE/$lab"; then
		ok "$what: the lab's state is gone"
	else
		not_ok "$what: $E2E_STATE/$lab is still there"
	fi
	lab_gone "$lab"
	assert_true "$what: no process of that run is left" wait_for 5 no_procs "$file"
}

# ---- every shipped example passes its own checks ----
# (as a user, one with a management network gets a host of its own for it: an uplink; one
# with an overlay over the host's root is root's: test_isolation checks the refusal)
for f in "$E2E_ROOT"/topologies/*.json; do
	if rootless && jq -e '[.rootfs, .nodes[].rootfs] | index("overlay")' "$f" >/dev/null; then
		note "$(basename "$f"): an overlay over the host's root, root's"
		continue
	fi
	if rootless && jq -e 'has("mgmt")' "$f" >/dev/null; then
		need slirp4netns
		jq '.host.uplink = "slirp4netns"' "$f" >"$T_TMP/$(basename "$f")"
		f=$T_TMP/$(basename "$f")
	fi
	L=$(lab_name)
	E2E_CMD_TIMEOUT=120 run nsl run --name "$L" "$f" --test
	assert_eq 0 "$rc" "nslab run $(basename "$f") --test"
	[ "$rc" = 0 ] || { _show "$out" stdout; _show "$err" stderr; }
	printf '%s\n' "$out" >"$T_TMP/example.tap"
	assert_ok prove -e cat "$T_TMP/example.tap"
	lab_gone "$L"
done

LAB=$(lab_name)
F=$(write_topo run <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.83.0.1/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.83.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] } ],
  "tests": [ { "name": "a reaches b", "from": "a", "ping": "10.83.0.2" } ]
}
EOF
)

# ---- statuses ----
run nsl run "$F" --test -- sh -c 'test "$NSLAB_LAB" = "$1" && nslab_bin=$2 && "$nslab_bin" exec -l "$NSLAB_LAB" a ping -c1 -W1 10.83.0.2 >/dev/null && exit 7' sh "$LAB" "$NSLAB"
assert_eq 7 "$rc" "run exits with the command's status (the command saw NSLAB_LAB and used the lab)"
assert_contains "$out" "ok 1 - a reaches b" "the checks ran first"
lab_gone "$LAB"
assert_status 0 nsl run "$F"
lab_gone "$LAB"
jq '.tests += [{"name": "nothing at .9", "from": "a", "ping": "10.83.0.1", "count": 1, "timeout": "100ms"},
               {"from": "a", "no_ping": "10.83.0.2"}]' "$F" >"$T_TMP/fail.json"
run nsl run "$T_TMP/fail.json" --test --junit "$T_TMP/j.xml" -- touch "$T_TMP/ran"
assert_eq 1 "$rc" "run with a failing check"
assert_contains "$out" "not ok 3 - a no_ping 10.83.0.2" "the failing check"
assert_true "the command did not run after failing checks" test ! -e "$T_TMP/ran"
assert_true "the JUnit file is written" test -s "$T_TMP/j.xml"
lab_gone "$LAB"
jq '.nodes.a.exec = [["false"]]' "$F" >"$T_TMP/badup.json"
run nsl run "$T_TMP/badup.json" --test -- touch "$T_TMP/ran"
assert_eq 1 "$rc" "run whose up fails"
assert_true "nothing ran after a failed up" test ! -e "$T_TMP/ran"
lab_gone "$LAB"
# (not through nsl: a status of 128+N is run's command's here, as with exec)
run timeout 60 "$NSLAB" run "$F" -- sh -c 'kill -9 $$'
assert_eq 137 "$rc" "run with a command killed by a signal"
lab_gone "$LAB"
assert_status 2 nsl run
assert_status 2 nsl run "$F" --junit x.xml
assert_status 1 nsl run "$T_TMP/nonexistent.json"

# ---- signals: run tears the lab down itself ----
"$NSLAB" run "$F" -- sh -c "trap 'echo got TERM > $T_TMP/term; exit 3' TERM; sleep 30.$M & wait" >/dev/null 2>&1 &
rp=$!
wait_for 10 procs "sleep 30.$M" || not_ok "the command did not start"
kill -TERM "$rp"
wait "$rp"
assert_eq 143 "$?" "run after SIGTERM during the command"
assert_eq "got TERM" "$(cat "$T_TMP/term" 2>/dev/null)" "the command got the SIGTERM"
lab_gone "$LAB"
pkill_mine() { local p; for p in $(live_procs "sleep 30.$M"); do kill "$p" 2>/dev/null; done; }
pkill_mine

jq --arg m "$M" '.tests += [{"node": "a", "cmd": ["sleep", "31.\($m)"], "timeout": "1m"}]' "$F" >"$T_TMP/slow.json"
"$NSLAB" run "$T_TMP/slow.json" --test >"$T_TMP/slow.tap" 2>/dev/null &
rp=$!
wait_for 10 procs "sleep 31.$M" || not_ok "the slow check did not start"
kill -INT "$rp"
wait "$rp"
assert_eq 130 "$?" "run after SIGINT during the checks"
assert_contains "$(cat "$T_TMP/slow.tap")" "not ok 2" "the interrupted check is reported"
lab_gone "$LAB"
assert_true "the check's command is gone" wait_for 2 no_procs "sleep 31.$M"

# ---- kill -9 of run: its reaper tears the lab down ----
# During up, stopped at a few of its steps.
NSLAB_COUNT_STEPS=1 run nsl up "$F"
steps=$(sed -n 's/^nslab: \([0-9]*\) steps$/\1/p' <<<"$err")
lab_down "$LAB"
assert_true "up counts its steps ($steps)" [ "${steps:-0}" -gt 5 ]
for k in 1 2 $((steps / 2)) $((steps - 1)) "$steps"; do
	NSLAB_STOP_STEP=$k "$NSLAB" run "$F" --test -- true >/dev/null 2>&1 &
	rp=$!
	wait_for 10 stopped "$rp" ||
		not_ok "run did not stop at step $k"
	kill -9 "$rp"
	wait "$rp" 2>/dev/null
	gone_after_reaper "$LAB" "$F" "kill -9 of run at step $k of up"
done
# During the checks.
"$NSLAB" run "$T_TMP/slow.json" --test >/dev/null 2>&1 &
rp=$!
wait_for 10 procs "sleep 31.$M" || not_ok "the slow check did not start"
kill -9 "$rp"
wait "$rp" 2>/dev/null
gone_after_reaper "$LAB" "$T_TMP/slow.json" "kill -9 of run during the checks"
assert_true "the check's command is gone" wait_for 5 no_procs "sleep 31.$M"
# During the command.
"$NSLAB" run "$F" -- sleep "32.$M" >/dev/null 2>&1 &
rp=$!
wait_for 10 procs "sleep 32.$M" || not_ok "the command did not start"
kill -9 "$rp"
wait "$rp" 2>/dev/null
gone_after_reaper "$LAB" "$F" "kill -9 of run during the command"
assert_true "the command got SIGTERM when run died" wait_for 5 no_procs "sleep 32.$M"
# Right at the start (the reaper may not even know the lab's directory yet).
for delay in 0 0.01 0.03; do
	"$NSLAB" run "$F" -- true >/dev/null 2>&1 &
	rp=$!
	sleep "$delay"
	kill -9 "$rp"
	wait "$rp" 2>/dev/null
	gone_after_reaper "$LAB" "$F" "kill -9 of run after ${delay}s"
done

# Holders the journal does not know yet (run stopped once they are started, before the
# binds' record) that die late (stopped here, as a loaded machine may keep them): the
# reaper acts only once they are gone (they keep its pipe until committed), and nothing is
# left. Steps 1-2 start the two holders, step 3 is the binds' journal record. (Root's: a
# rootless lab's keeper is journaled before any holder starts, and its down ends everything
# in the keeper's user namespace; test_rootless kills ups at every step.)
if ! rootless; then
	NSLAB_STOP_STEP=3 "$NSLAB" run "$F" -- true >/dev/null 2>&1 &
	rp=$!
	wait_for 10 stopped "$rp" || not_ok "run did not stop at step 3"
	mapfile -t hs < <(holders_of "$rp")
	assert_eq 2 "${#hs[@]}" "run stopped with its two holders started (${hs[*]})"
	assert_true "and no namespace bound yet" test ! -e "/run/netns/$LAB.a"
	[ "${#hs[@]}" -gt 0 ] && kill -STOP "${hs[@]}"
	kill -9 "$rp"
	wait "$rp" 2>/dev/null
	sleep 1
	assert_true "the reaper waits while holders run started live" test -e "/run/nslab/$LAB"
	[ "${#hs[@]}" -gt 0 ] && kill -CONT "${hs[@]}"
	gone_after_reaper "$LAB" "$F" "kill -9 of run with holders the journal does not know"
	for h in "${hs[@]}"; do
		assert_true "holder $h is gone" dead "$h"
	done
fi

# ---- a lab that is not run's is left alone ----
lab_up "$LAB" "$F"
run nsl run "$F" --test
assert_eq 1 "$rc" "run of a lab that is already up"
assert_contains "$err" "already up" "why"
sleep 0.5
assert_true "the lab that was up is still up" test -e "$E2E_STATE/$LAB/state.json"
ping_ok "$LAB" a 10.83.0.2
lab_down "$LAB"
lab_gone "$LAB"
