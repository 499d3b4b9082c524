#!/usr/bin/env bash
# Readiness at up: a node's ready command is re-run until it exits 0 and up returns only when
# every node is ready, all checked at once; `after` starts a node's exec once the nodes it
# names are ready; a node not ready in time fails up with the node, the command and the end
# of its output, and leaves nothing; a signal during the wait rolls back; --dry-run shows it.
# quick
# lane: host (ready commands re-run until they pass: nslab's own scheduling; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
D=$T_TMP/out
mkdir "$D"
M=$((20000 + RANDOM % 20000)) # a sleep length nothing else uses
not() { ! "$@"; }

# db comes up slowly (its "daemon" is ready 0.6 s after its exec); app starts after db is ready
# and records what it saw then; the ready commands of x, y and z take 0.8 s each, run together.
F=$(write_topo ready <<EOF
{
  "name": "$LAB",
  "nodes": {
    "db": {
      "interfaces": { "eth0": { "addresses": ["10.82.0.1/24"] } },
      "exec": [ ["sh", "-c", "(sleep 0.6; touch $D/db-ready) >/dev/null 2>&1 &"] ],
      "ready": { "cmd": ["sh", "-c", "echo db check >> $D/db-checks; test -e $D/db-ready"], "interval": "50ms", "timeout": "10s" }
    },
    "app": {
      "after": ["db"],
      "interfaces": { "eth0": { "addresses": ["10.82.0.2/24"] } },
      "exec": [ ["sh", "-c", "if test -e $D/db-ready; then echo yes; else echo no; fi > $D/app-saw"] ]
    },
    "x": { "exec": [ ["touch", "$D/x"] ], "ready": { "cmd": ["sh", "-c", "sleep 0.8; test -e $D/x"] } },
    "y": { "exec": [ ["touch", "$D/y"] ], "ready": { "cmd": ["sh", "-c", "sleep 0.8; test -e $D/y"] } },
    "z": { "exec": [ ["touch", "$D/z"] ], "ready": { "cmd": ["sh", "-c", "sleep 0.8; test -e $D/z"] } }
  },
  "links": [ { "endpoints": ["db:eth0", "app:eth0"] } ]
}
EOF
)
run nsl up --dry-run "$F"
assert_eq 0 "$rc" "up --dry-run"
assert_match "$out" $'ready +db +until sh -c .* exits 0: every 50ms, at most 10000ms\n[ 0-9]+exec +app +sh -c .*\\(after db\\)' \
	"the plan: db's readiness before app's exec"
assert_match "$out" $'ready +x .*\n.*ready +y .*\n.*ready +z .*\n.*commit' "the plan: the rest at the end, together"

t0=$EPOCHREALTIME
lab_up "$LAB" "$F"
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_eq yes "$(cat "$D/app-saw" 2>/dev/null)" "app's exec started after db was ready"
assert_true "db's ready command was re-run until it held ($(wc -l <"$D/db-checks") times)" \
	[ "$(wc -l <"$D/db-checks")" -ge 3 ]
for n in x y z; do assert_true "$n is ready when up returns" test -e "$D/$n"; done
assert_true "x, y and z were checked at once: up took $took ms (one after the other: over 3 s)" \
	[ "$took" -lt 2400 ]
lab_down "$LAB"
lab_gone "$LAB"

# Not ready in time: up fails, names the node, the command and the end of its output, and
# leaves nothing (the daemon its exec started included).
F2=$(write_topo notready <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "ready": { "cmd": ["true"] } },
    "b": {
      "exec": [ ["sh", "-c", "sleep $M >/dev/null 2>&1 &"] ],
      "ready": { "cmd": ["sh", "-c", "echo waiting for the answer; echo 42 is not it; exit 1"], "timeout": "500ms" }
    }
  }
}
EOF
)
t0=$EPOCHREALTIME
run nsl up "$F2"
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_eq 1 "$rc" "exit of up with a node not ready in time"
assert_contains "$err" "node b: not ready within 500 ms" "the node"
assert_contains "$err" "ready command \`sh -c 'echo waiting for the answer; echo 42 is not it; exit 1'\`" "the command"
assert_contains "$err" "exited with status 1" "what it did"
assert_match "$err" $'its last output ends with:\nwaiting for the answer\n42 is not it' "the end of its output"
assert_true "up gave up at the timeout ($took ms)" [ "$took" -lt 3000 ]
lab_gone "$LAB"
assert_true "the daemon of b is gone" wait_for 2 not pgrep -x -f "sleep $M"

# A ready command that hangs is killed at the timeout.
jq --arg m "$M" '.nodes.b.ready.cmd = ["sleep", "1\($m)"]' "$F2" >"$T_TMP/hang.json"
run nsl up "$T_TMP/hang.json"
assert_eq 1 "$rc" "exit of up with a ready command that hangs"
assert_contains "$err" "still running after" "the hanging command was killed"
lab_gone "$LAB"

# A signal while up waits for readiness: everything is rolled back.
jq '.nodes.b.ready.timeout = "30s"' "$F2" >"$T_TMP/slow.json"
"$NSLAB" up "$T_TMP/slow.json" >/dev/null 2>&1 &
up_pid=$!
wait_for 5 pgrep -x -f "sleep $M" || not_ok "up did not reach the exec"
sleep 0.3
kill -TERM "$up_pid"
wait "$up_pid"
assert_true "up interrupted during readiness fails (exit $?)" [ $? != 0 ]
lab_gone "$LAB"
assert_true "the daemon is gone" wait_for 2 not pgrep -x -f "sleep $M"

# A cycle is refused before anything is built.
jq '.nodes.a.after = ["b"] | .nodes.b.after = ["a"]' "$F2" >"$T_TMP/cycle.json"
run nsl up "$T_TMP/cycle.json"
assert_eq 1 "$rc" "up of a topology with an after cycle"
assert_contains "$err" "a cycle: " "the cycle is named"
lab_gone "$LAB"
