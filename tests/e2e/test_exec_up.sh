#!/usr/bin/env bash
# Node `exec` commands: run in order, in the node, with its env, once the lab is built; a daemon
# they start lives until down; a failing command fails `up`, kills what earlier ones started and
# leaves nothing.
# feature: exec
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
D=$T_TMP/out
mkdir "$D"
S1=$((1000 + RANDOM % 50000)) # a sleep length nothing else uses, to find the daemon by
F=$(write_topo execup <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": {
      "env": { "GREETING": "hello" },
      "interfaces": { "eth0": { "addresses": ["10.72.0.1/24"] } },
      "exec": [
        ["sh", "-c", "echo one > $D/order"],
        ["sh", "-c", "echo two >> $D/order; echo \"\$GREETING \$(hostname)\" > $D/env"],
        ["sh", "-c", "ping -c1 -W1 10.72.0.2 > /dev/null && echo reached > $D/ping"],
        ["sh", "-c", "sleep $S1 &"]
      ]
    },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.72.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ]
}
EOF
)
lab_up "$LAB" "$F"

assert_eq "one
two" "$(cat "$D/order" 2>/dev/null)" "exec commands ran in order"
assert_eq "hello h1" "$(cat "$D/env" 2>/dev/null)" "exec sees the node's env and hostname"
assert_eq reached "$(cat "$D/ping" 2>/dev/null)" "exec ran once the links were up"
# sleep_pids ARG: host PIDs of "sleep ARG"
sleep_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep $1 " ] && echo "${p#/proc/}"
	done
}
pid=$(sleep_pids "$S1")
assert_true "the daemon (sleep $S1) runs after up" [ -n "$pid" ]
h1=$(lab_pids "$LAB" | awk '$1 == "h1" { print $2 }')
assert_eq "$(stat -L -c %i "/proc/${h1:-0}/ns/net")" "$(stat -L -c %i "/proc/${pid:-0}/ns/net" 2>/dev/null)" \
	"the daemon lives in h1's network namespace"
lab_down "$LAB"
lab_gone "$LAB"
no_sleeps() { [ -z "$(sleep_pids "$1")" ]; }
assert_true "the daemon is gone after down" wait_for 2 no_sleeps "$S1"

# A failing command: up fails; the daemon started before it is killed; nothing is left.
S2=$((S1 + 1))
F2=$(write_topo execfail <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": { "exec": [ ["sh", "-c", "sleep $S2 &"], ["sh", "-c", "exit 3"], ["sh", "-c", "echo never > $D/never"] ] },
    "h2": {}
  }
}
EOF
)
run nsl up "$F2"
assert_rc_fail "up with a failing exec"
assert_contains "$err" "h1" "up with a failing exec: stderr"
assert_true "the command after the failing one did not run" test ! -e "$D/never"
lab_gone "$LAB"
assert_true "the daemon of the failed up is gone" wait_for 2 no_sleeps "$S2"
# A command that does not exist fails up as well.
F3=$(write_topo execmissing <<EOF
{ "name": "$LAB", "nodes": { "h1": { "exec": [ ["no-such-command-e2e"] ] } } }
EOF
)
run nsl up "$F3"
assert_rc_fail "up with a missing exec command"
lab_gone "$LAB"
