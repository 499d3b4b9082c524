#!/usr/bin/env bash
# tests/pkg/test_deb.sh: the Debian package as a new user gets it (make pkg-check; root).
#
#  1. `make deb` builds it out of tree (scripts/build-deb.sh), unit tests included;
#  2. lintian finds no error in it (warnings are shown);
#  3. its control data: the runtime libraries in Depends, every file where it belongs;
#  4. a fresh Debian 12 root: debootstrap --variant=minbase of bookworm from the host's own
#     apt source, made once and kept in $NSLAB_PKG_CACHE (default /var/cache/nslab-test),
#     used through an overlay so that every run starts from the same pristine root. In it,
#     in a private mount namespace (nothing mounted there outlives the test): apt installs
#     the .deb with its dependencies (and man-db, bash-completion and ping, as a user's
#     machine has them), then
#       - nslab --version prints the changelog's version;
#       - a new user validates the shipped examples, gets JSON, reads man nslab and
#         man 5 nslab-topology, and Tab-completes nslab's commands;
#       - root builds the shipped demo lab with the packaged binary (run on the libraries
#         apt installed for it, from outside the chroot: see below), pings across it, looks
#         at its status and takes it down, leaving nothing (under the e2e lock, so that no
#         e2e test on this host takes its namespaces for residue).
# Prints "ok: ..." / "not ok: ..." and ends with "N passed, N failed". Exit 1 on a failure.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NSLAB_PKG_CACHE:-/var/cache/nslab-test}
suite=bookworm
pass=0 fail=0
work=""

ok() {
	pass=$((pass + 1))
	echo "ok: $*"
}
not_ok() {
	fail=$((fail + 1))
	echo "not ok: $*"
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

if [ "$(id -u)" != 0 ]; then
	echo "test_deb.sh: needs root (debootstrap, chroot, a lab)" >&2
	exit 1
fi
for c in dpkg-buildpackage dh lintian debootstrap unshare chroot flock; do
	if ! command -v "$c" >/dev/null; then
		not_ok "$c is not installed (scripts/install-deps.sh installs it)"
		finish
	fi
done

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$work" ] || return 0
	# Processes still running in the fresh root (a lab's holders, if a step failed), by PID.
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case $r in "$work"/root | "$work"/root/*) kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
	done
	rm -rf "$work"
}
trap cleanup EXIT

# ---- 1. build ----
version=$(head -n 1 "$root/debian/changelog" | cut -d ' ' -f 2 | tr -d '()')
log=$(mktemp /tmp/nslab-deb-build.XXXXXX)
if DEB_BUILD_OPTIONS="parallel=2" "$root/scripts/build-deb.sh" >"$log" 2>&1; then
	deb=$root/$(tail -n 1 "$log")
	ok "make deb: $(basename "$deb")"
else
	not_ok "make deb failed:"
	tail -n 40 "$log" | sed 's/^/    /'
	rm -f "$log"
	finish
fi
if grep -q 'PASSED' "$log"; then ok "the unit tests ran in the package build"; else
	not_ok "the package build ran no unit test"
fi
rm -f "$log"
changes=${deb%.deb}.changes

# ---- 2. lintian ----
lint=$(lintian --fail-on error --display-level '>=warning' "$deb" "$changes" 2>&1)
rc=$?
lint=$(grep -v 'running with root privileges' <<<"$lint")
if [ "$rc" = 0 ]; then
	ok "lintian: no error${lint:+ (warnings follow)}"
else
	not_ok "lintian (exit $rc):"
fi
[ -z "$lint" ] || printf '%s\n' "$lint" | sed 's/^/    /'

# ---- 3. control data and contents ----
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libnl-3-200 libnl-route-3-200 libcjson1 libyaml-0-2 libnftnl11 libmnl0 libpcap0.8 libc6; do
	if grep -qE "(^|, )$lib( |,|$)" <<<"$depends"; then ok "Depends: $lib"; else not_ok "Depends lacks $lib: $depends"; fi
done
if [ "$(dpkg-deb -f "$deb" Version)" = "$version" ]; then ok "Version $version"; else
	not_ok "Version $(dpkg-deb -f "$deb" Version), the changelog says $version"
fi
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for f in ./usr/bin/nslab ./usr/lib/nslab/nslab-engine.so ./usr/share/man/man1/nslab.1.gz ./usr/share/man/man5/nslab-topology.5.gz \
	./usr/share/bash-completion/completions/nslab ./usr/share/zsh/vendor-completions/_nslab \
	./usr/share/doc/nslab/copyright ./usr/share/doc/nslab/examples/demo.json; do
	if grep -qxF "$f" <<<"$contents"; then ok "ships $f"; else not_ok "does not ship $f"; fi
done

# ---- 4. a fresh Debian root ----
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2); exit }' /etc/apt/sources.list 2>/dev/null)
base=$cache/$suite-minbase
mkdir -p "$cache"
exec 8>"$cache/lock"
flock 8
if [ ! -e "$base/.complete" ]; then
	rm -rf "$base" "$base.tmp"
	echo "note: debootstrap --variant=minbase $suite from $mirror into $base (once)"
	if debootstrap --variant=minbase "$suite" "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
		touch "$base.tmp/.complete"
		mv "$base.tmp" "$base"
	else
		not_ok "debootstrap of $suite from $mirror failed (see $cache/debootstrap.log):"
		tail -n 20 "$cache/debootstrap.log" | sed 's/^/    /'
		finish
	fi
fi
exec 8>&-
work=$(mktemp -d /tmp/nslab-pkg.XXXXXX)
mkdir -p "$work/upper" "$work/ovl" "$work/root" "$cache/archives/partial"
cp "$deb" "$work/nslab.deb"
lab=pkg$$

# Runs in a private mount namespace: the overlay, /proc and the lab's /run/netns go with it.
cat >"$work/inside.sh" <<'INSIDE'
set -u
work=$1 base=$2 archives=$3 lab=$4 version=$5
r=$work/root
say() { echo "$*"; }
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/ovl" "$r" || { say "not ok: overlay mount"; exit 1; }
mount -t proc proc "$r/proc"
mount --bind "$archives" "$r/var/cache/apt/archives"
cp /etc/resolv.conf "$r/etc/resolv.conf"
cp "$work/nslab.deb" "$r/tmp/nslab.deb"
in_root() { chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
as_user() { chroot --userspec=alice:alice "$r" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/alice LANG=C.UTF-8 "$@"; }
if ! in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/nslab.deb man-db bash-completion iputils-ping' >"$work/apt.log" 2>&1; then
	say "not ok: apt-get install ./nslab.deb in the fresh root:"
	tail -n 20 "$work/apt.log" | sed 's/^/    /'
	exit 1
fi
say "ok: apt-get install ./nslab.deb in a fresh $(. "$r/etc/os-release" && echo "$PRETTY_NAME") root, with its dependencies"
got=$(in_root nslab --version)
[ "$got" = "nslab $version" ] && say "ok: nslab --version: $got" || say "not ok: nslab --version: '$got', want 'nslab $version'"
in_root useradd -m -s /bin/bash alice
ex=/usr/share/doc/nslab/examples
for f in demo.json demo.yaml routed.json switch.yaml; do
	out=$(as_user nslab validate "$ex/$f" 2>&1) && say "ok: alice: nslab validate $f: $out" ||
		say "not ok: alice: nslab validate $f: $out"
done
out=$(as_user nslab validate --json "$ex/demo.json" 2>&1)
grep -q '"ok":[[:space:]]*true' <<<"$out" && grep -q '"version":[[:space:]]*1' <<<"$out" &&
	say "ok: alice: nslab validate --json" || say "not ok: alice: nslab validate --json: $out"
printf '{ "name": "x", "nodes": { "a": { "interfaces": { "eth0": { "mtu": "big" } } } } }\n' >"$r/tmp/bad.json"
out=$(as_user nslab validate /tmp/bad.json 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q 'bad.json:1:[0-9]*: nodes.a.interfaces.eth0.mtu: expected integer' <<<"$out" &&
	say "ok: alice: a bad file: exit 1, $out" || say "not ok: alice: a bad file: exit $rc, $out"
# A user builds rootless labs, in a user namespace of its own; a chroot (this one) cannot
# make one, and up says so, changing nothing (the first to find out may be the probe for a
# qdisc the lab needs, made in a user namespace too, or the lab's keeper).
out=$(as_user nslab up "$ex/demo.json" 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "user namespace.*: Operation not permitted (not from inside a chroot" <<<"$out" &&
	say "ok: alice: nslab up in a chroot says it cannot make a user namespace" ||
	say "not ok: alice: nslab up: exit $rc, $out"
page=$(as_user sh -c 'MANPAGER=cat MANWIDTH=80 man nslab 2>&1')
grep -q 'EXIT STATUS' <<<"$page" && grep -q 'nslab-topology' <<<"$page" &&
	say "ok: alice: man nslab ($(wc -l <<<"$page") lines)" || say "not ok: alice: man nslab: $(head -n 3 <<<"$page")"
page=$(as_user sh -c 'MANPAGER=cat MANWIDTH=80 man 5 nslab-topology 2>&1')
grep -q 'endpoints' <<<"$page" && say "ok: alice: man 5 nslab-topology" ||
	say "not ok: alice: man 5 nslab-topology: $(head -n 3 <<<"$page")"
comp=$(as_user bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader nslab; complete -p nslab;
	COMP_WORDS=(nslab ""); COMP_CWORD=1; COMP_LINE="nslab "; COMP_POINT=6; _nslab nslab "" nslab; echo "${COMPREPLY[*]}"' 2>&1)
grep -q 'complete -F _nslab nslab' <<<"$comp" && grep -q 'validate' <<<"$comp" &&
	say "ok: alice: bash-completion loads nslab's completion: $(tail -n 1 <<<"$comp")" ||
	say "not ok: alice: completion: $comp"
# Root builds the demo lab with the packaged binary and the libraries apt installed for it
# (its own and its engine's), through the fresh root's own loader but from outside the chroot:
# nslab in a chroot would leave it (setns into a mount namespace resets the root directory),
# and its names and exec commands would land in this host's /run/netns and /tmp. The program
# finds its engine from its own path, in $r/usr/lib/nslab.
loader="" libs=""
while read -r line; do
	case $line in
	*"=> /"*)
		lib=${line#*=> }
		lib=$r$(dirname "${lib%% *}")
		[[ ":$libs:" == *":$lib:"* ]] || libs+="${libs:+:}$lib"
		;;
	/*ld-linux*) loader=$r${line%% *} ;;
	esac
done < <(in_root ldd /usr/bin/nslab /usr/lib/nslab/nslab-engine.so)
pkg_nslab() { "$loader" --library-path "$libs" "$r/usr/bin/nslab" "$@"; }
# --version is the program's alone: validate needs the engine and its libraries too.
if [ -x "$loader" ] && [ "$(pkg_nslab --version)" = "nslab $version" ] &&
	pkg_nslab validate "$r/usr/share/doc/nslab/examples/demo.json" >/dev/null; then
	say "ok: the packaged nslab runs on its own libraries: $(tr ':' ' ' <<<"$libs" | sed "s|$r||g")"
else
	say "not ok: cannot run the packaged nslab (loader '$loader', libraries '$libs')"
	exit 1
fi
exec 9>/run/lock/nslab-e2e.lock
flock -w 600 9 || say "not ok: the e2e lock is held by another run"
if out=$(pkg_nslab up "$r$ex/demo.json" --name "$lab" 2>&1); then
	say "ok: root: nslab up demo.json --name $lab: $out"
	out=$(pkg_nslab exec -l "$lab" h1 ping -n -c1 -W2 10.42.9.2 2>&1) &&
		say "ok: root: h1 pings h2 across two routers and a switch" || say "not ok: root: ping: $out"
	out=$(pkg_nslab exec -l "$lab" h2 cat /tmp/h2 2>&1)
	[ "$out" = ready ] && say "ok: root: h2's exec command ran in h2's own /tmp" || say "not ok: root: h2's exec: $out"
	out=$(pkg_nslab status "$lab" 2>&1) && grep -q "lab $lab: up" <<<"$out" &&
		say "ok: root: nslab status" || say "not ok: root: nslab status: $out"
else
	say "not ok: root: nslab up demo.json: $out"
fi
out=$(pkg_nslab down "$lab" 2>&1) && say "ok: root: nslab down $lab" || say "not ok: root: nslab down: $out"
left=$(find /run/netns /run/nslab -maxdepth 1 -name "$lab*" 2>/dev/null)
[ -z "$left" ] && say "ok: nothing of $lab is left in /run/netns and /run/nslab" || say "not ok: left: $left"
INSIDE

log=$work/inside.log
unshare --mount --propagation private bash "$work/inside.sh" "$work" "$base" "$cache/archives" "$lab" "$version" >"$log" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok: "*) ok "${line#ok: }" ;;
	"not ok: "*) not_ok "${line#not ok: }" ;;
	*) echo "$line" ;;
	esac
done <"$log"
[ "$rc" = 0 ] || not_ok "the fresh-root session exited $rc"
# Nothing of the lab outlives the session: no name, no state, no process in the fresh root.
left=$(find /run/netns /run/nslab -maxdepth 1 -name "$lab*" 2>/dev/null)
if [ -z "$left" ]; then ok "nothing of $lab in this host's /run/netns and /run/nslab"; else
	not_ok "left in this host: $left"
fi
held=0
for p in /proc/[0-9]*; do
	r=$(readlink "$p/root" 2>/dev/null) || continue
	case $r in "$work"/root | "$work"/root/*) held=$((held + 1)) ;; esac
done
if [ "$held" = 0 ]; then ok "no process is left in the fresh root"; else
	not_ok "$held processes left in the fresh root"
fi
finish
