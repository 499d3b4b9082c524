#!/usr/bin/env bash
# tests/e2e/run.sh [TEST...]: runs the end-to-end tests (root, real namespaces).
#
# Each tests/e2e/test_*.sh (or each TEST given: a path or a name like "routed") runs in its own
# bash process, under a time limit (E2E_TIMEOUT seconds, default 300), one at a time: the suite
# holds /run/lock/nslab-e2e.lock so that two runs never see each other's labs as residue.
# Prints one line per test: "PASS name (time)", "FAIL name" (followed by the test's output) or
# "SKIP name (time): reason", then the suite's time and "N passed, N failed, N skipped". Exit 1
# if any failed.
#
# E2E_QUICK=1: only the tests marked by a line "# quick" (the sanitizer build runs these).
# E2E_LANE=vm: without the tests marked by a line "# lane: host (why)": those that behave the
# same on every kernel and cost the VM lane (tests/vm/run.sh, under emulation) too much time.
# They are named in the output; given by name, they run.
# NSLAB: the binary under test (default build/nslab, relative to the repository).
# E2E_VERBOSE=1: print every test's output, not only a failing one's.
# E2E_STRICT=1: a skipped test counts as failed (make check: scripts/install-deps.sh installs
# every tool a test needs, so nothing may be skipped), unless it skipped for a kernel feature
# the running kernel lacks (need_kernel in lib.sh: the CI host's kernel has no netem, ...).
# E2E_NO_SKIP=1: every skip is a failure, kernel features included (the VM lane on Debian's
# kernel sets it: there, every kernel feature a test needs is present).
# RESIDUE_STRICT=1: a new network namespace held by any process is residue, not only one held
# by a process of the test (CI sets it: nothing else runs there; see scripts/residue.sh).
#
# --rootless (first argument): the same tests as an unprivileged user, rootless labs. The run
# creates a user of its own (E2E_USER, default nslab-e2e, with subordinate ids when uidmap is
# installed), gives it a runtime directory ($XDG_RUNTIME_DIR) and a copy of the tests and of
# the binary it can read, runs each test as that user, and removes all of it at the end. After
# each test, no process of that user (or of its subordinate ids) may be left, nor any lab state.
# A test marked "# root-only: REASON" is skipped there ("SKIP name: root only: REASON"), one
# marked "# user-only: REASON" in the run as root; these skips are by design, and
# E2E_STRICT=1 does not count them as failures.
# The first line names the kernel the run is on (uname -r): the lane shows in every log.
set -u

here=$(cd "$(dirname "$0")" && pwd)
rootless=0
if [ "${1:-}" = --rootless ]; then
	rootless=1
	shift
fi
if [ "$(id -u)" != 0 ]; then
	echo "run.sh: the end-to-end tests create namespaces, links and (--rootless) a user: run them as root" >&2
	exit 1
fi
for c in ip jq timeout flock; do
	if ! command -v "$c" >/dev/null; then
		echo "run.sh: $c is required and not installed" >&2
		exit 1
	fi
done

tests=() left_out=()
if [ $# -gt 0 ]; then
	for t; do
		case $t in
		*/*) tests+=("$t") ;;
		test_*) tests+=("$here/${t%.sh}.sh") ;;
		*) tests+=("$here/test_${t%.sh}.sh") ;;
		esac
	done
else
	for t in "$here"/test_*.sh; do
		[ -e "$t" ] || continue
		if [ "${E2E_QUICK:-0}" = 1 ] && ! grep -qx '# quick' "$t"; then continue; fi
		if [ "${E2E_LANE:-host}" = vm ] && grep -q '^# lane: host' "$t"; then
			left_out+=("$(basename "$t" .sh | sed 's/^test_//')")
			continue
		fi
		tests+=("$t")
	done
fi

exec 9>/run/lock/nslab-e2e.lock
if ! flock -w 600 9; then
	echo "run.sh: another e2e run holds /run/lock/nslab-e2e.lock" >&2
	exit 1
fi

echo "e2e: kernel $(uname -r)$([ "${E2E_NO_SKIP:-0}" = 1 ] && echo ', E2E_NO_SKIP=1: a skip fails')"
[ ${#left_out[@]} = 0 ] || echo "e2e: left out of the ${E2E_LANE:-host} lane (# lane: host): ${left_out[*]}"
log=$(mktemp /tmp/nslab-e2e-log.XXXXXX)
trap 'rm -f "$log"' EXIT
pass=0 fail=0 skipped=0
as_user=()
if [ "$rootless" = 1 ]; then
	# shellcheck source=copy_nslab.sh
	. "$here/copy_nslab.sh"
	# shellcheck source=rootless.sh
	. "$here/rootless.sh"
	trap 'rl_teardown; rm -f "$log"' EXIT
	rl_setup || exit 1
	as_user=("${RL_AS_USER[@]}")
	echo "rootless: as $E2E_USER (uid $RL_UID), subordinate ids: ${RL_SUBIDS:-none}"
fi
suite_start=$EPOCHREALTIME
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	name=${name#test_}
	if [ ! -f "$t" ]; then
		echo "FAIL $name"
		echo "    no such test: $t"
		fail=$((fail + 1))
		continue
	fi
	# Skipped by design in this run: a test that needs the host as a user, one that runs as
	# a user only as root.
	if [ "$rootless" = 1 ]; then
		why=$(sed -n 's/^# root-only: //p' "$t" | head -n 1)
		[ -z "$why" ] || why="root only: $why"
	else
		why=$(sed -n 's/^# user-only: //p' "$t" | head -n 1)
		[ -z "$why" ] || why="user only: $why"
	fi
	if [ -n "$why" ]; then
		echo "SKIP $name: $why"
		skipped=$((skipped + 1))
		continue
	fi
	start=$EPOCHREALTIME
	if [ "$rootless" = 1 ]; then
		cp "$t" "$RL_COPY/tests/e2e/" && chmod a+r "$RL_COPY/tests/e2e/$(basename "$t")"
		t=$RL_COPY/tests/e2e/$(basename "$t")
	fi
	timeout -k 60 "${E2E_TIMEOUT:-300}" "${as_user[@]}" bash "$t" </dev/null >"$log" 2>&1 9>&-
	rc=$?
	# As a user: nothing of the user may outlive its test (a zombie holds nothing).
	if [ "$rootless" = 1 ] && ! rl_clean >>"$log"; then
		case $rc in 0 | 77) rc=1 ;; esac
	fi
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	case $rc in
	0)
		echo "PASS $name (${secs}s)"
		pass=$((pass + 1))
		;;
	77)
		reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)
		if [ "${E2E_NO_SKIP:-0}" = 1 ]; then
			echo "FAIL $name"
			echo "    skipped, but E2E_NO_SKIP=1: ${reason:-no reason given}"
			fail=$((fail + 1))
			continue
		fi
		echo "SKIP $name (${secs}s): ${reason:-no reason given}"
		skipped=$((skipped + 1))
		if [ "${E2E_STRICT:-0}" = 1 ] && ! grep -qx 'SKIP-KIND: kernel' "$log"; then
			echo "    (E2E_STRICT=1: a skip is a failure)"
			fail=$((fail + 1))
		fi
		;;
	*)
		[ "$rc" = 124 ] && echo "    (timed out after ${E2E_TIMEOUT:-300}s)" >>"$log"
		echo "FAIL $name"
		echo "    (exit $rc after ${secs}s)"
		sed 's/^/    /' "$log"
		fail=$((fail + 1))
		continue
		;;
	esac
	[ "${E2E_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$log"
done
echo "e2e: $(awk -v a="$suite_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s on kernel $(uname -r)"
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
