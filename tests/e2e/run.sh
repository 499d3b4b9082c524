#!/usr/bin/env bash
# tests/e2e/run.sh [TEST...]: runs the end-to-end tests (root, real namespaces).
#
# Each tests/e2e/test_*.sh (or each TEST given: a path or a name like "routed") runs in its own
# bash process, under a time limit (E2E_TIMEOUT seconds, default 300), one at a time: the suite
# holds /run/lock/nslab-e2e.lock so that two runs never see each other's labs as residue.
# Prints one line per test: "PASS name", "FAIL name" (followed by the test's output) or
# "SKIP name: reason", then "N passed, N failed, N skipped". Exit 1 if any failed.
#
# E2E_QUICK=1: only the tests marked by a line "# quick" (the sanitizer build runs these).
# NSLAB: the binary under test (default build/nslab, relative to the repository).
# E2E_VERBOSE=1: print every test's output, not only a failing one's.
# E2E_STRICT=1: a skipped test counts as failed (make check: scripts/install-deps.sh installs
# every tool a test needs, so nothing may be skipped).
# RESIDUE_STRICT=1: a new network namespace held by any process is residue, not only one held
# by a process of the test (CI sets it: nothing else runs there; see scripts/residue.sh).
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "run.sh: the end-to-end tests create namespaces and links: run them as root" >&2
	exit 1
fi
for c in ip jq timeout flock; do
	if ! command -v "$c" >/dev/null; then
		echo "run.sh: $c is required and not installed" >&2
		exit 1
	fi
done

tests=()
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
		tests+=("$t")
	done
fi

exec 9>/run/lock/nslab-e2e.lock
if ! flock -w 600 9; then
	echo "run.sh: another e2e run holds /run/lock/nslab-e2e.lock" >&2
	exit 1
fi

log=$(mktemp /tmp/nslab-e2e-log.XXXXXX)
trap 'rm -f "$log"' EXIT
pass=0 fail=0 skipped=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	name=${name#test_}
	if [ ! -f "$t" ]; then
		echo "FAIL $name"
		echo "    no such test: $t"
		fail=$((fail + 1))
		continue
	fi
	start=$EPOCHREALTIME
	timeout -k 60 "${E2E_TIMEOUT:-300}" bash "$t" </dev/null >"$log" 2>&1 9>&-
	rc=$?
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	case $rc in
	0)
		echo "PASS $name"
		pass=$((pass + 1))
		;;
	77)
		reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)
		echo "SKIP $name: ${reason:-no reason given}"
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
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
