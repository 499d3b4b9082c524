#!/usr/bin/env bash
# nslab exec: exit statuses (own, signal, 125/126/127), stdin, signals forwarded, the node's
# namespaces (hostname, /proc, /sys/class/net, mounts), no leaked descriptors, env, and -l
# being required when two labs are up.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need ps

LAB=$(lab_name)
# A tool only h3's own PATH leads to.
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\necho found-by-the-nodes-path\n' >"$T_TMP/bin/nsl-e2e-tool"
chmod 755 "$T_TMP/bin" "$T_TMP/bin/nsl-e2e-tool"
F=$(write_topo exec <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": {
      "env": { "FOO": "bar baz", "NSL_E2E": "1" },
      "interfaces": { "eth0": { "addresses": ["10.3.0.1/24"] } }
    },
    "h2": {
      "hostname": "server",
      "interfaces": { "eth0": { "addresses": ["10.3.0.2/24"] }, "eth1": {} }
    },
    "h3": { "env": { "PATH": "$T_TMP/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } }
  },
  "links": [
    { "endpoints": ["h1:eth0", "h2:eth0"] },
    { "endpoints": ["h2:eth1", "h3:eth0"] }
  ]
}
EOF
)
lab_up "$LAB" "$F"

# Exit statuses.
assert_status 0 nsl exec -l "$LAB" h1 -- true
assert_status 7 nsl exec -l "$LAB" h1 -- sh -c 'exit 7'
assert_status 200 nsl exec -l "$LAB" h1 -- sh -c 'exit 200'
assert_status 137 nsl exec -l "$LAB" h1 -- sh -c 'kill -9 $$'
assert_status 143 nsl exec -l "$LAB" h1 -- sh -c 'kill -TERM $$'
assert_status 127 nsl exec -l "$LAB" h1 -- no-such-command-e2e
assert_status 127 nsl exec -l "$LAB" h1 -- /nonexistent/e2e
assert_contains "$err" "/nonexistent/e2e" "stderr of a missing command"
printf '#!/bin/sh\necho ran\n' >"$T_TMP/notexec"
chmod 0644 "$T_TMP/notexec"
assert_status 126 nsl exec -l "$LAB" h1 -- "$T_TMP/notexec"
assert_not_contains "$out" "ran" "output of a non-executable file"
assert_status 126 nsl exec -l "$LAB" h1 -- "$T_TMP"
assert_status 125 nsl exec -l "$LAB" nosuchnode -- true
assert_contains "$err" "nosuchnode" "stderr for an unknown node"
assert_status 125 nsl exec -l "no_such_lab_$$" h1 -- true
assert_fail nsl exec -l "$LAB"
# Without --, and options of the command stay the command's.
assert_ok nsl exec -l "$LAB" h1 echo -n x
assert_eq x "$out" "echo -n x without --"
assert_ok nsl exec -l "$LAB" h1 -- ls -d /
assert_eq / "$out" "ls -d /"

# stdin, stdout, stderr.
run nsl exec -l "$LAB" h1 -- cat <<<"hi"
assert_eq "0:hi" "$rc:$out" "stdin through cat"
run nsl exec -l "$LAB" h1 -- sh -c 'echo out; echo err >&2' </dev/null
assert_eq "out|err" "$out|$err" "stdout and stderr kept apart"
run nsl exec -l "$LAB" h1 -- wc -c < <(head -c 1000000 /dev/zero)
assert_eq "1000000" "$out" "1 MB through stdin"

# Signals are forwarded: TERM to nslab (only) ends the command, which ends nslab with 143.
# 0 if a sleep runs in h1 ($1 = 0), or if none does ($1 = 1).
sleep_in_h1() {
	nx "$LAB" h1 sh -c 'for f in /proc/[0-9]*/comm; do read -r c <"$f" && [ "$c" = sleep ] && exit $0; done; exit $((1 - $0))' "${1:-0}"
}
"$NSLAB" exec -l "$LAB" h1 -- sleep 30 </dev/null &
bg=$!
if wait_for 5 sleep_in_h1; then
	start=$EPOCHREALTIME
	kill -TERM "$bg"
	wait "$bg"
	rc=$?
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
	assert_eq 143 "$rc" "status of nslab exec sleep 30 after TERM to nslab"
	assert_true "TERM ended the command in ${secs}s" [ "$secs" -lt 5 ]
	assert_true "sleep 30 is gone from h1 after nslab exec got TERM" wait_for 2 sleep_in_h1 1 ||
		_show "$(nx "$LAB" h1 sh -c 'for f in /proc/[0-9]*/cmdline; do echo "$f $(tr "\000" " " <"$f")"; done' 2>&1)" "h1 processes"
else
	not_ok "sleep 30 never showed up in h1's /proc"
	kill "$bg"
	wait "$bg"
fi

# UTS: default hostname is the node's name, or the hostname key.
assert_ok nsl exec -l "$LAB" h1 -- hostname
assert_eq h1 "$out" "h1 hostname"
assert_ok nsl exec -l "$LAB" h2 -- cat /proc/sys/kernel/hostname
assert_eq server "$out" "h2 hostname (hostname key)"

# PID: the node's /proc shows its own processes only; PID 1 is the holder.
assert_ok nsl exec -l "$LAB" h1 -- sh -c 'ls /proc | grep -c "^[0-9]*$"; test -d /proc/1'
count=$out
assert_true "h1's /proc shows ${count:-?} processes (the holder, sh, ls, at most a helper)" [ "${count:-99}" -le 5 ]
# The command runs in the holder's namespaces, all four.
holder=$(lab_pids "$LAB" | awk '$1 == "h1" { print $2 }')
for ns in net pid mnt uts; do
	assert_ok nsl exec -l "$LAB" h1 -- stat -L -c %i "/proc/self/ns/$ns"
	assert_eq "$(stat -L -c %i "/proc/${holder:-0}/ns/$ns")" "$out" "$ns namespace of the command = the holder's"
done
assert_ok nsl exec -l "$LAB" h1 -- sh -c 'kill -0 $$; kill -0 1 && ! kill -0 '"$$"' 2>/dev/null'
assert_ok nsl exec -l "$LAB" h1 -- ps -e -o pid=
assert_match "$out" '(^|[[:space:]])1($|[[:space:]])' "ps -e in h1 lists PID 1"

# NET: /sys/class/net and ip link show the node's interfaces only (the links of /sys/class/net: with
# the bonding module loaded it also holds a file, bonding_masters).
assert_ok nsl exec -l "$LAB" h1 -- find /sys/class/net -mindepth 1 -maxdepth 1 -type l -printf "%f\n"
assert_eq "$(born_with eth0)" "$(sort <<<"$out" | tr '\n' ' ' | sed 's/ $//')" "h1 /sys/class/net"
assert_ok nsl exec -l "$LAB" h2 -- find /sys/class/net -mindepth 1 -maxdepth 1 -type l -printf "%f\n"
assert_eq "$(born_with eth0 eth1)" "$(sort <<<"$out" | tr '\n' ' ' | sed 's/ $//')" "h2 /sys/class/net"
assert_ok nsl exec -l "$LAB" h1 -- ip -j addr show eth0
assert_jq "$out" '.[0].addr_info | any(.local == "10.3.0.1")' "h1 ip addr inside"
ping_ok "$LAB" h1 10.3.0.2

# No descriptor of nslab leaks into the command: 0, 1, 2 and the one ls opens.
assert_ok nsl exec -l "$LAB" h1 -- ls /proc/self/fd
fds=$(tr '\n' ' ' <<<"$out" | sed 's/ $//')
assert_match "$fds" '^0 1 2( 3)?$' "descriptors in the command (0 1 2 and ls's own)"
assert_ok nsl exec -l "$LAB" h1 -- sh -c 'for f in /proc/$$/fd/*; do readlink "$f"; done; true'
assert_not_contains "$out" "ns:[" "links of the command's descriptors (namespace fds)"
assert_not_contains "$out" "pidfd" "links of the command's descriptors"

# env: the node's variables, and the usual ones still there.
assert_ok nsl exec -l "$LAB" h1 -- sh -c 'echo "$FOO|$NSL_E2E"'
assert_eq "bar baz|1" "$out" "env of h1"
assert_ok nsl exec -l "$LAB" h2 -- sh -c 'echo "${FOO-unset}"'
assert_eq "unset" "$out" "env of h2 (h1's env does not leak)"
# The node's value wins over an inherited one, which stays once (the environment is made
# before the command's birth, not by putenv in it); the rest of ours passes through.
out=$(FOO=host NSL_E2E_KEEP=kept nsl exec -l "$LAB" h1 -- sh -c 'echo "$FOO|$NSL_E2E_KEEP|$(env | grep -c "^FOO=")"')
assert_eq "bar baz|kept|1" "$out" "env of h1 over an inherited FOO"
# The command is looked up in the node's PATH, not ours.
assert_ok nsl exec -l "$LAB" h3 -- nsl-e2e-tool
assert_eq "found-by-the-nodes-path" "$out" "a command found through h3's env PATH"
assert_status 127 nsl exec -l "$LAB" h1 -- nsl-e2e-tool
assert_ok nsl exec -l "$LAB" h1 -- sh -c 'command -v ip'

# MNT: a mount in the node stays in the node (the residue check looks at the host's mounts).
assert_ok nsl exec -l "$LAB" h1 -- mount -t tmpfs e2e /mnt
assert_ok nsl exec -l "$LAB" h1 -- sh -c 'grep -q " /mnt tmpfs " /proc/self/mounts'
run grep -q " /mnt tmpfs e2e" /proc/self/mountinfo
assert_eq 1 "$rc" "the node's tmpfs on /mnt is not visible in the host"
assert_ok nsl exec -l "$LAB" h2 -- sh -c '! grep -q "^e2e /mnt " /proc/self/mounts'
# UTS: a hostname set in the node stays in the node (and the residue check compares the host's).
assert_ok nsl exec -l "$LAB" h3 -- hostname changed-in-h3
assert_eq changed-in-h3 "$(nx "$LAB" h3 hostname)" "h3 hostname after change"

# Without -l: fine with one lab up, an error with two.
if [ -z "$(other_labs "$LAB")" ]; then
	assert_status 0 nsl exec h1 -- true
else
	note "other labs are up on this host: exec without -l with a single lab not checked"
fi
LAB2=$(lab_name)
F2=$(write_topo exec2 <<EOF
{ "name": "$LAB2", "nodes": { "h1": {} } }
EOF
)
lab_up "$LAB2" "$F2"
assert_status 125 nsl exec h1 -- true
assert_ok nsl exec -l "$LAB2" h1 -- true
assert_ok nsl exec -l "$LAB2" h1 -- find /sys/class/net -mindepth 1 -maxdepth 1 -type l -printf "%f\n"
assert_eq "$(born_with)" "$(sort <<<"$out" | tr '\n' ' ' | sed 's/ $//')" "/sys/class/net of the second lab's h1"
