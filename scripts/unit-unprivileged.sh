#!/usr/bin/env bash
# scripts/unit-unprivileged.sh (as root; make unit-unprivileged): the unit tests as an
# unprivileged user. They run on a copy of the sources (the checkout itself may not be
# readable by others), built there by root, owned by root and writable by no one else; the
# user (UNPRIV_USER, default nobody) runs each test from a private, writable TMPDIR (its HOME
# too), without capabilities or supplementary groups. A test that needs root, or that writes
# anywhere but its own temporary files, fails here. The copy must be unchanged afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "unit-unprivileged: run as root (it builds, then switches to ${UNPRIV_USER:-nobody})" >&2
	exit 1
fi
user=${UNPRIV_USER:-nobody}
uid=$(id -u "$user")
gid=$(id -g "$user")
[ "$uid" != 0 ] || { echo "unit-unprivileged: $user is root" >&2; exit 1; }

work=$(mktemp -d /tmp/nslab-unpriv.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
tree=$work/tree
mkdir -p "$tree/tests"
cp -R src topologies Makefile "$tree/"
cp -R tests/unit tests/fixtures tests/golden "$tree/tests/"
make -s -C "$tree" BUILD=build unit-build >/dev/null
chown -R 0:0 "$tree"
chmod -R u+rwX,go+rX,go-w "$tree"
mkdir -m 0700 "$work/tmp"
chown "$uid:$gid" "$work/tmp"

as_user() {
	setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --no-new-privs -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/tmp" TMPDIR="$work/tmp" LANG=C.UTF-8 \
		"$@"
}
# The premises: the tests run as the user, who reads the tree and cannot write to it.
[ "$(as_user id -u)" = "$uid" ] || { echo "unit-unprivileged: setpriv did not switch to $user" >&2; exit 1; }
as_user test -r "$tree/tests/fixtures" -a -x "$tree/build/tests"
if as_user test -w "$tree" -o -w "$tree/tests/fixtures" -o -w "$tree/build/tests"; then
	echo "unit-unprivileged: $user can write to the tree copy" >&2
	exit 1
fi
before=$(find "$tree" -printf '%p %s %T@\n' | sort)
fail=0
for t in "$tree"/build/tests/test_*; do
	echo "== $user: ${t#"$tree"/}"
	if ! (cd "$work/tmp" && as_user "$t"); then
		echo "unit-unprivileged: ${t##*/} failed as $user" >&2
		fail=1
	fi
done
after=$(find "$tree" -printf '%p %s %T@\n' | sort)
if [ "$before" != "$after" ]; then
	echo "unit-unprivileged: the tree changed while the tests ran:" >&2
	diff <(echo "$before") <(echo "$after") >&2 || true
	fail=1
fi
exit "$fail"
