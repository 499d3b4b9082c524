#!/usr/bin/env bash
# Issue 10, item 6: commands of a node's `exec` list and of `nslab exec` start clean: only
# descriptors 0, 1 and 2 (none of nslab's, none of the caller of `up`), default signal
# dispositions (SIGPIPE not ignored; SigIgn 0, or what a command started without nslab gets)
# and an empty signal mask (SigBlk 0).
# Issue 10, item 7: the command line of `nslab exec`: options after NODE belong to the
# command (`nslab exec h1 grep -v --help` runs grep); `-l LAB` names a lab even when a file
# of that name is in the current directory.
# lane: host (descriptors and signals of exec'd commands; left out of the VM lane for time)
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# env --default-signal: nslab starts from default dispositions, whatever this shell inherited.
env --default-signal true 2>/dev/null || skip "env --default-signal is not supported (coreutils < 9)"
clean() { env --default-signal "$@"; }

# The probe's view, from `ls -l /proc/self/fd/` and /proc/self/status: "fds: 0 1 2" (ls's own
# descriptor on /proc/PID/fd left out), "SigIgn: ...", "SigBlk: ...".
fds_of() { # ls -l output
	awk '/ -> / { n = $(NF - 2); t = $NF; if (t ~ /^\/proc\/[0-9]+\/fd$/) next; printf "%s%s", sep, n; sep = " " }
		END { print "" }' <<<"$1" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
fd_targets() {
	awk '/ -> / { t = $NF; if (t ~ /^\/proc\/[0-9]+\/fd$/) next; print "    " $(NF - 2) " -> " t }' <<<"$1"
}
sig_of() { # KEY status-text
	sed -n "s/^$1:[[:space:]]*//p" <<<"$2"
}

# The control: a command started the same way without nslab. Its SigIgn is 0, unless the
# caller ignored signals that no program can reset through glibc (GNU make leaves 33 and 34,
# glibc's own, ignored: SigIgn 0000000180000000 under `make e2e`).
ctl=$(clean cat /proc/self/status)
CTL_IGN=$(sig_of SigIgn "$ctl")
[ "$CTL_IGN" = 0000000000000000 ] || note "SigIgn of the control is $CTL_IGN (signals ignored by our caller)"
assert_eq 0000000000000000 "$(sig_of SigBlk "$ctl")" "SigBlk of the control"
sigpipe_default() { # SIGIGN-HEX: bit 12 (SIGPIPE, 13) clear
	[ -n "$1" ] && [ $((0x$1 & 0x1000)) = 0 ]
}
# signals_clean WHAT STATUS: nothing ignored beyond the control's, SIGPIPE not ignored, nothing
# blocked.
signals_clean() {
	local ign blk
	ign=$(sig_of SigIgn "$2") blk=$(sig_of SigBlk "$2")
	assert_eq "$CTL_IGN" "$ign" "SigIgn of $1 (ignored signals; the control's: $CTL_IGN)"
	assert_true "$1: SIGPIPE not ignored (SigIgn $ign)" sigpipe_default "$ign"
	assert_eq 0000000000000000 "$blk" "SigBlk of $1 (blocked signals)"
}

LAB=$(lab_name)
F=$(write_topo hygiene <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": {
      "hostname": "in-lab",
      "interfaces": { "eth0": { "addresses": ["10.243.0.1/24"] } },
      "exec": [ ["echo", "==fds"], ["ls", "-l", "/proc/self/fd/"], ["echo", "==status"], ["cat", "/proc/self/status"], ["echo", "==end"] ]
    },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.243.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ]
}
EOF
)

# ---- 6. the exec list: up started with one more descriptor of its caller's (7) ----

rsd_watch_topology "$E2E_SNAP" "$F"
clean timeout 120 "$NSLAB" up "$F" </dev/null >"$T_TMP/up.out" 2>"$T_TMP/up.err" 7>"$T_TMP/inherited"
rc=$?
[ "$rc" = 0 ] || { _show "$(cat "$T_TMP/up.err")" stderr; die "up of $LAB: $(rc_what "$rc")"; }
ok "up of $LAB, with a descriptor 7 of its caller's"
lab_record "$LAB"
log=$(cat "/run/nslab/$LAB/exec.log" 2>/dev/null)
fdl=$(sed -n '/^==fds$/,/^==status$/p' <<<"$log")
st=$(sed -n '/^==status$/,/^==end$/p' <<<"$log")
assert_contains "$fdl" "->" "exec.log: the exec list's ls -l /proc/self/fd/"
assert_eq "0 1 2" "$(fds_of "$fdl")" "descriptors of an exec-list command" || fd_targets "$fdl"
signals_clean "an exec-list command" "$st"
assert_not_contains "$fdl" "$T_TMP/inherited" "exec-list descriptors (the caller's descriptor 7)"

# ---- 6. nslab exec ----

run clean timeout 60 "$NSLAB" exec -l "$LAB" h1 -- ls -l /proc/self/fd/
assert_eq 0 "$rc" "exit of nslab exec ls -l /proc/self/fd/"
assert_eq "0 1 2" "$(fds_of "$out")" "descriptors of an nslab exec command" || fd_targets "$out"
run clean timeout 60 "$NSLAB" exec -l "$LAB" h1 -- cat /proc/self/status
assert_eq 0 "$rc" "exit of nslab exec cat /proc/self/status"
signals_clean "an nslab exec command" "$out"
# SIGPIPE at its default: yes writing into a closed pipe dies of it (141), instead of getting
# EPIPE and exiting 1.
run clean timeout 60 "$NSLAB" exec -l "$LAB" h1 -- bash -c 'yes | head -n 1 >/dev/null; echo "${PIPESTATUS[0]}"'
assert_eq 141 "$out" "status of yes writing into a closed pipe under nslab exec (killed by SIGPIPE)"

# ---- 7. options after NODE belong to the command ----

run clean timeout 60 "$NSLAB" exec -l "$LAB" h1 grep -v --help
assert_eq 0 "$rc" "exit of nslab exec -l LAB h1 grep -v --help"
assert_match "$out" "^Usage: grep" "output of nslab exec h1 grep -v --help (grep's help)"
assert_not_contains "$out$err" "usage: nslab" "output of nslab exec h1 grep -v --help"
run clean timeout 60 "$NSLAB" exec -l "$LAB" h1 sh -c 'echo "$@"' sh -l x --help
assert_eq "-l x --help" "$out" "arguments after NODE reach the command untouched"
if [ -z "$(other_labs "$LAB")" ]; then
	run clean timeout 60 "$NSLAB" exec h1 grep -v --help
	assert_eq 0 "$rc" "exit of nslab exec h1 grep -v --help (no -l)"
	assert_match "$out" "^Usage: grep" "output of nslab exec h1 grep -v --help (no -l)"
else
	note "other labs are up: nslab exec without -l not checked"
fi

# ---- 7. -l LAB when a file named LAB is in the current directory ----

# A second lab whose topology is that file: if nslab read the file, it would run the command
# in the wrong lab.
OTHER=$(lab_name)
mkdir -m 0755 "$T_TMP/cwd"
cat >"$T_TMP/cwd/$LAB" <<EOF
{ "name": "$OTHER", "nodes": { "h1": { "hostname": "in-other" } } }
EOF
rsd_watch_topology "$E2E_SNAP" "$T_TMP/cwd/$LAB"
lab_up "$OTHER" "$T_TMP/cwd/$LAB"
for opt in "-l $LAB" "--lab $LAB" "--lab=$LAB"; do
	# shellcheck disable=SC2086 # the option and its value are two words, or one
	run env -C "$T_TMP/cwd" --default-signal timeout 60 "$NSLAB" exec $opt h1 -- hostname
	assert_eq "0:in-lab" "$rc:$out" "nslab exec $opt h1 hostname, with a file $LAB in the cwd"
	_show "$err" stderr
done
# And a file that is no topology at all.
echo "not a topology" >"$T_TMP/cwd/$LAB"
run env -C "$T_TMP/cwd" --default-signal timeout 60 "$NSLAB" exec -l "$LAB" h1 -- hostname
assert_eq "0:in-lab" "$rc:$out" "nslab exec -l $LAB h1 hostname, with a junk file $LAB in the cwd"
_show "$err" stderr
