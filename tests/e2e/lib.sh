# shellcheck shell=bash
# tests/e2e/lib.sh: sourced by every tests/e2e/test_*.sh.
#
# On source: closes inherited file descriptors, makes a private tmpdir ($T_TMP), snapshots the
# host (scripts/residue.sh) and installs an EXIT trap that records the test's labs' holders,
# runs `nslab down` on each lab named by lab_name, runs the cleanups given to `defer` (last
# first), then checks that the host is back to the snapshot. The test fails if an assertion
# failed, if a `down` failed, or if anything remains.
#
# Assertions are soft: they print "not ok: ..." and the test goes on, so one run shows every
# broken behaviour; `die` (and the helpers that set a lab up) stop the test at once.
# `skip REASON` exits 77. A failure counts even when it happens in a subshell (a pipeline, a
# command substitution): each is also written to $T_TMP/.failed.
#
# A crash is never a refusal: an exit status of 124 (a time limit hit) or 128+N (killed by
# signal N) fails assert_fail, assert_rc_fail and ping_fails, and fails the test whenever
# nslab itself (any command but exec, whose status is its command's) ends so through `nsl`.
# assert_status N accepts exactly N, so a test that expects 137 says so.
#
# Root or not: the suite runs as root, and again as a user of its own (run.sh --rootless),
# where every lab is rootless. A test that needs privilege on the host says so with a line
# "# root-only: REASON" and is skipped as a user (one of rootless labs only: "# user-only:
# REASON", skipped as root); a part of a test, with `if rootless`.
# Look into nodes with nip/nns/ns_ino, which work both ways (as a user, the netns binds are
# in the lab's own mount namespace, out of iproute2's reach).

set -u
set -o pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NSLAB=${NSLAB:-build/nslab}
case $NSLAB in /*) ;; *) NSLAB=$E2E_ROOT/$NSLAB ;; esac
export NSLAB
E2E_FAILED=0
rc=0 out="" err=""
E2E_CHECKS=0

# Commands run by the test must not see our descriptors (test_exec checks nslab's own leaks).
for _fd in "/proc/$$/fd/"*; do
	_fd=${_fd##*/}
	if [ "$_fd" -gt 2 ] && [ "$_fd" != 255 ]; then eval "exec $_fd>&-" 2>/dev/null; fi
done
unset _fd

# shellcheck source=../../scripts/residue.sh
. "$E2E_ROOT/scripts/residue.sh"
# shellcheck source=copy_nslab.sh
. "$E2E_ROOT/tests/e2e/copy_nslab.sh"

# ---- reporting ----

# The caller of the assertion, for messages: "test_x.sh:42".
_where() {
	local i=1
	while [ "${BASH_SOURCE[$i]:-}" = "${BASH_SOURCE[0]}" ]; do i=$((i + 1)); done
	echo "$(basename "${BASH_SOURCE[$i]:-?}"):${BASH_LINENO[$((i - 1))]:-?}"
}

ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	echo "ok: $*"
}

not_ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	E2E_FAILED=1
	echo "not ok ($(_where)): $*"
	echo "not ok ($(_where)): $*" >>"$T_TMP/.failed"
}

die() {
	E2E_FAILED=1
	echo "FATAL ($(_where)): $*"
	echo "FATAL ($(_where)): $*" >>"$T_TMP/.failed"
	exit 1
}

skip() {
	[ "$E2E_FAILED" = 0 ] || die "skip requested after failures: $*"
	if [ "${E2E_NO_SKIP:-0}" = 1 ]; then
		not_ok "would skip, but E2E_NO_SKIP=1: $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

note() {
	echo "note: $*"
}

# need CMD...: skip unless every command exists.
need() {
	local c
	for c; do command -v "$c" >/dev/null || skip "$c is not installed"; done
}

# ---- kernel features ----

# need_kernel FEATURE...: skip (with the reason) unless the running kernel has every FEATURE.
# Each is probed for real in a throwaway network namespace of its own (unshare -n), after a
# `modprobe` of its module (harmless where the module is built in or absent). Call it at the
# top of a test, before the test creates anything: when loading a module adds devices to the
# host (the tunnel modules' fallback devices: sit0, gre0, ...), the residue snapshot is
# retaken so that they do not count as the test's residue.
# FEATUREs: netem tbf 8021q (or vlan) vrf dummy gre (ip_gre) sit ip6tnl (ip6_tunnel) ipvlan
# macvlan bond (bonding) bridge veth vxlan wireguard nft-nat.
need_kernel() {
	local f
	for f; do
		have_kernel "$f" || skip_kernel "kernel $(uname -r) lacks $f: $E2E_KERNEL_WHY"
	done
}

# skip_kernel REASON: skip because the running kernel lacks a feature. Unlike other skips,
# E2E_STRICT=1 lets it pass as a skip (the host lane's kernel may lack features); E2E_NO_SKIP=1
# (the VM lane) does not.
skip_kernel() {
	echo "SKIP-KIND: kernel"
	skip "$@"
}

# have_kernel FEATURE: like need_kernel, for one FEATURE, without skipping: 0 if the kernel
# has it, else 1 with the reason in $E2E_KERNEL_WHY.
E2E_KERNEL_WHY=""
have_kernel() {
	local f=$1 mod probe before after
	E2E_KERNEL_WHY=""
	case $f in
	netem) mod=sch_netem probe='tc qdisc add dev lo root netem delay 1ms' ;;
	tbf) mod=sch_tbf probe='tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 400ms' ;;
	8021q | vlan) mod=8021q probe='ip link add kp0 type veth peer name kp1 && ip link add link kp0 name kp0.7 type vlan id 7' ;;
	vrf) mod=vrf probe='ip link add kp0 type vrf table 77' ;;
	dummy) mod="dummy numdummies=0" probe='ip link add kp0 type dummy' ;;
	gre | ip_gre) mod=ip_gre probe='ip link add kp0 type gre local 10.251.0.1 remote 10.251.0.2' ;;
	sit) mod=sit probe='ip link add kp0 type sit local 10.251.0.1 remote 10.251.0.2' ;;
	ip6tnl | ip6_tunnel) mod=ip6_tunnel probe='ip link add kp0 type ip6tnl local 2001:db8:251::1 remote 2001:db8:251::2' ;;
	ipvlan) mod=ipvlan probe='ip link add kp0 type veth peer name kp1 && ip link add kp2 link kp0 type ipvlan mode l2' ;;
	macvlan) mod=macvlan probe='ip link add kp0 type veth peer name kp1 && ip link add kp2 link kp0 type macvlan mode bridge' ;;
	bond | bonding) mod="bonding max_bonds=0" probe='ip link add kp0 type bond' ;;
	bridge) mod=bridge probe='ip link add kp0 type bridge' ;;
	veth) mod=veth probe='ip link add kp0 type veth peer name kp1' ;;
	vxlan) mod=vxlan probe='ip link add kp0 type vxlan id 7 dstport 4789 local 10.251.0.1' ;;
	wireguard) mod=wireguard probe='ip link add kp0 type wireguard' ;;
	nft-nat) mod="nft_chain_nat" probe='printf "%s\n" "table inet kp { chain p { type nat hook postrouting priority 100; masquerade; } }" | nft -f -' ;;
	*) die "need_kernel: unknown feature '$f'" ;;
	esac
	command -v unshare >/dev/null || die "need_kernel: unshare (util-linux) is not installed"
	before=$(_e2e_modules)
	# shellcheck disable=SC2086 # the module and its parameters
	command -v modprobe >/dev/null && modprobe -q $mod 2>/dev/null
	local ok=0
	local unsh=(unshare -n)
	rootless && unsh=(unshare -rn) # a user's probe: in a user namespace of its own
	if ! E2E_KERNEL_WHY=$("${unsh[@]}" sh -c "$probe" 2>&1); then
		ok=1
		E2E_KERNEL_WHY=$(printf '%s' "${E2E_KERNEL_WHY:-the probe failed}" | head -n 1)
		E2E_KERNEL_WHY="$probe: $E2E_KERNEL_WHY"
	else
		E2E_KERNEL_WHY=""
	fi
	after=$(_e2e_modules)
	if [ "$before" != "$after" ]; then
		note "$f: modules loaded: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
		_e2e_resnapshot
	fi
	return "$ok"
}

# The kernel's loaded modules, sorted.
_e2e_modules() {
	[ -r /proc/modules ] && cut -d' ' -f1 /proc/modules | LC_ALL=C sort
}

# After a module was loaded (it may add host devices, such as the tunnel modules' fallback
# devices, and sysctls), the residue snapshot is taken again; the labs, holders and watched
# sysctls recorded so far are kept (a watched key keeps its first value).
_e2e_resnapshot() {
	rsd_snapshot "$E2E_SNAP.now" || die "cannot take the host's state"
	{
		cat "$E2E_SNAP.now"
		awk -F'\t' 'NR == FNR { if ($1 == "sysctl") have[substr($2, 1, index($2, "=") - 1)] = 1; next }
			$1 == "lab" || $1 == "holder" { print; next }
			$1 == "sysctl" && !(substr($2, 1, index($2, "=") - 1) in have) { print }' \
			"$E2E_SNAP.now" "$E2E_SNAP"
	} >"$E2E_SNAP.new" || die "cannot carry the snapshot over"
	rm -f "$E2E_SNAP.now"
	mv "$E2E_SNAP.new" "$E2E_SNAP" || die "cannot replace the residue snapshot"
}

# ---- exit statuses ----

# crashed RC: RC is what a hang or a crash looks like: 124 (`timeout` ended it) or 128+N
# (killed by signal N).
crashed() {
	[ "$1" = 124 ] || [ "$1" -ge 128 ]
}

# failed_cleanly RC: a refusal: non-zero, and not a hang or a crash.
failed_cleanly() {
	[ "$1" != 0 ] && ! crashed "$1"
}

# stride_skips K N STRIDE: whether a fault sweep that takes every STRIDE-th step (and the last
# STRIDE) skips step K of N (E2E_STEP_STRIDE: the VM lane, slower).
stride_skips() {
	(($3 > 1 && ($1 - 1) % $3 != 0 && $1 <= $2 - $3))
}

# fault_findings: what is wrong with the last `run` of a command made to fail at a step
# (NSLAB_FAIL_STEP): not a clean failure, no injected fault on stderr, an incomplete rollback;
# printed as " finding;" each, nothing when it failed as it should.
fault_findings() {
	local f=""
	failed_cleanly "$rc" || f+=" $(rc_what "$rc"), expected a clean failure;"
	[[ $err == *"injected fault"* ]] || f+=" stderr lacks 'injected fault';"
	[[ $err != *"rollback incomplete"* ]] || f+=" rollback incomplete;"
	printf '%s' "$f"
}

# rc_what RC: "exit 1", "timed out (exit 124)", "killed by SIGSEGV (exit 139)".
rc_what() {
	local sig
	if [ "$1" = 124 ]; then
		echo "timed out (exit 124)"
	elif [ "$1" -ge 128 ] && sig=$(kill -l "$(($1 - 128))" 2>/dev/null); then
		echo "killed by SIG$sig (exit $1)"
	else
		echo "exit $1"
	fi
}

# born_with IFNAME...: the interfaces a node should show, sorted, blank-separated: those a new
# network namespace is born with on this kernel (lo, and with sit, ip_gre, ip6_tunnel loaded,
# their fallback devices: a new namespace is not always empty) and the given ones.
# shellcheck disable=SC2120 # called with no interface too: the namespace's own only
born_with() {
	local unsh=(unshare -n)
	rootless && unsh=(unshare -rn) # a user makes a network namespace in a user namespace of its own
	{ "${unsh[@]}" ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	  printf '%s\n' lo "$@"; } | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# ---- running things ----

# run CMD...: sets $rc, $out (stdout), $err (stderr). stdin is the caller's.
run() {
	"$@" >"$T_TMP/.out" 2>"$T_TMP/.err"
	rc=$?
	out=$(cat "$T_TMP/.out")
	err=$(cat "$T_TMP/.err")
	return 0
}

_show() {
	local s=$1 label=$2
	[ -n "$s" ] && printf '%s\n' "$s" | head -n 20 | sed "s/^/    $label: /"
	return 0
}

_cmd() {
	local a s=""
	for a; do s+="${s:+ }$(printf '%q' "$a")"; done
	echo "$s"
}

# nsl ARG...: nslab, bounded: a hung nslab shows as exit 124 after E2E_CMD_TIMEOUT seconds
# (default 60) instead of stalling the test until the runner's limit. nslab hung or killed
# by a signal fails the test, whatever the caller expects (exec excepted: its status is its
# command's).
nsl() {
	local st
	timeout --foreground -k 5 "${E2E_CMD_TIMEOUT:-60}" "$NSLAB" "$@"
	st=$?
	if [ "${1:-}" != exec ] && crashed "$st"; then
		# Our stdout may be captured: the failure goes to the file too.
		not_ok "nslab $(_cmd "$@"): $(rc_what "$st")" >&2
	fi
	return "$st"
}

# assert_ok CMD...: CMD exits 0. Leaves $rc, $out, $err.
assert_ok() {
	run "$@"
	if [ "$rc" = 0 ]; then
		ok "$(_cmd "$@")"
		return 0
	fi
	not_ok "$(_cmd "$@"): exit $rc, expected 0"
	_show "$out" stdout
	_show "$err" stderr
	return 1
}

# assert_fail CMD...: CMD fails cleanly: exits non-zero, but neither hangs nor crashes.
assert_fail() {
	run "$@"
	if failed_cleanly "$rc"; then
		ok "$(_cmd "$@") fails (exit $rc)"
		return 0
	fi
	if [ "$rc" = 0 ]; then
		not_ok "$(_cmd "$@"): exit 0, expected a failure"
	else
		not_ok "$(_cmd "$@"): $(rc_what "$rc"), expected a clean failure"
	fi
	_show "$out" stdout
	_show "$err" stderr
	return 1
}

# assert_rc_fail WHAT: the last `run` ($rc) failed cleanly (see assert_fail).
assert_rc_fail() {
	if failed_cleanly "$rc"; then
		ok "$1 fails (exit $rc)"
		return 0
	fi
	if [ "$rc" = 0 ]; then
		not_ok "$1: exit 0, expected a failure"
	else
		not_ok "$1: $(rc_what "$rc"), expected a clean failure"
	fi
	_show "$out" stdout
	_show "$err" stderr
	return 1
}

# assert_status N CMD...: CMD exits N (a status of 124 or above 128 only when N says so).
assert_status() {
	local want=$1
	shift
	run "$@"
	if [ "$rc" = "$want" ]; then
		ok "$(_cmd "$@") exits $want"
		return 0
	fi
	not_ok "$(_cmd "$@"): $(rc_what "$rc"), expected $want"
	_show "$out" stdout
	_show "$err" stderr
	return 1
}

# assert_true WHAT CMD...: CMD (a test, a function) succeeds.
assert_true() {
	local what=$1
	shift
	if "$@"; then
		ok "$what"
		return 0
	fi
	not_ok "$what: not true ($(_cmd "$@"))"
	return 1
}

# assert_eq EXPECTED GOT [WHAT]
assert_eq() {
	if [ "$1" = "$2" ]; then
		ok "${3:-value} = $(printf '%q' "$1")"
		return 0
	fi
	not_ok "${3:-value}: expected $(printf '%q' "$1"), got $(printf '%q' "$2")"
	return 1
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	if [[ "$1" == *"$2"* ]]; then
		ok "${3:-output} contains $(printf '%q' "$2")"
		return 0
	fi
	not_ok "${3:-output} does not contain $(printf '%q' "$2")"
	_show "$1" got
	return 1
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
	if [[ "$1" != *"$2"* ]]; then
		ok "${3:-output} lacks $(printf '%q' "$2")"
		return 0
	fi
	not_ok "${3:-output} contains $(printf '%q' "$2")"
	_show "$1" got
	return 1
}

# assert_match STRING ERE [WHAT]
assert_match() {
	if [[ "$1" =~ $2 ]]; then
		ok "${3:-output} matches /$2/"
		return 0
	fi
	not_ok "${3:-output} does not match /$2/"
	_show "$1" got
	return 1
}

# assert_jq JSON FILTER [WHAT]: the jq FILTER (-e) is true on JSON.
assert_jq() {
	if printf '%s' "$1" | jq -e "$2" >/dev/null 2>&1; then
		ok "${3:-json}: $2"
		return 0
	fi
	not_ok "${3:-json}: not true: $2"
	_show "$(printf '%s' "$1" | jq -c . 2>/dev/null || printf '%s' "$1")" json
	return 1
}

# ---- root and rootless ----

E2E_ROOTLESS=0
[ "$(id -u)" = 0 ] || E2E_ROOTLESS=1

# rootless: the labs of this run are rootless (we are not root).
rootless() {
	[ "$E2E_ROOTLESS" = 1 ]
}

# nip LAB.NODE ARG...: `ip ARG...` in the node's network namespace (as root, `ip -n`, through
# its /run/netns bind; as a user, inside the node through nslab exec).
nip() {
	local ns=$1
	shift
	if rootless; then nsl exec "$ns" -- ip "$@"; else ip -n "$ns" "$@"; fi
}

# nns LAB.NODE CMD...: CMD in the node's network namespace (`ip netns exec`; as a user,
# nslab exec).
nns() {
	local ns=$1
	shift
	if rootless; then nsl exec "$ns" -- "$@"; else ip netns exec "$ns" "$@"; fi
}

# ns_ino LAB.NODE: the inode of the node's network namespace (its bind; as a user, its
# holder's); fails if there is none.
ns_ino() {
	if rootless; then
		nsl exec "$1" -- stat -L -c %i /proc/self/ns/net 2>/dev/null
	else
		stat -L -c %i "/run/netns/$1" 2>/dev/null
	fi
}

# lab_host: sets $LAB_HOST, what a topology's "host" object starts with so that its host keys
# (host ends of links, host.interfaces, host VXLANs, host NAT, the management network) are
# allowed in this run: nothing as root (the host is the host); as a user, a host of the lab's
# own ("uplink": "slirp4netns", the keeper's network namespace: see hip). As a user, skips
# without slirp4netns. Call it at the top level of the test (a skip in $(...) would not end it).
# shellcheck disable=SC2034 # read by the tests
LAB_HOST=""
lab_host() {
	LAB_HOST=""
	if rootless; then
		need slirp4netns
		# shellcheck disable=SC2034 # read by the tests
		LAB_HOST='"uplink": "slirp4netns", '
	fi
}

# hns LAB CMD...: CMD in the lab's host: as root the host itself; as a user, the lab's own
# host (its keeper's network namespace, entered through its user namespace).
hns() {
	local lab=$1 keeper
	shift
	if ! rootless; then
		"$@"
		return
	fi
	keeper=$(nsl status "$lab" --json | jq -r '.labs[0].keeper.pid // empty')
	[ -n "$keeper" ] || {
		echo "hns: lab $lab has no keeper" >&2
		return 1
	}
	nsenter --preserve-credentials -U -n -t "$keeper" "$@"
}

# hip LAB ARG...: `ip ARG...` in the lab's host (see hns).
hip() {
	local lab=$1
	shift
	hns "$lab" ip "$@"
}

# as_nobody CMD...: CMD as the unprivileged user (uid and gid 65534, no groups, no
# capabilities). Files it reads must be readable by anyone: put copies in $T_TMP (mode 0755).
# In the rootless run we are an unprivileged user already: CMD as is.
as_nobody() {
	if rootless; then
		"$@"
	else
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --no-new-privs -- "$@"
	fi
}

# nobody_nslab: the path of a copy of nslab that the unprivileged user can run (the tree
# itself may not be readable by others).
nobody_nslab() {
	local c=$T_TMP/nslab
	[ -x "$c" ] || copy_nslab "$NSLAB" "$T_TMP" || die "cannot copy $NSLAB to $c"
	echo "$c"
}

# ---- labs ----

# lab_name: a fresh lab name (recorded: the EXIT trap downs it and checks it is gone).
lab_name() {
	local n
	n=$(wc -l <"$T_TMP/.labs")
	n="t$$_${n}_$RANDOM"
	echo "$n" >>"$T_TMP/.labs"
	echo "$n"
}

# write_topo NAME < JSON: stores the topology in $T_TMP and prints its path. The host
# sysctls it names are watched from now on (they must be back at the end).
write_topo() {
	local f=$T_TMP/$1.json
	cat >"$f"
	rsd_watch_topology "$E2E_SNAP" "$f"
	echo "$f"
}

# lab_record LAB: remember LAB's holders' namespaces for the residue check (while it is up).
lab_record() {
	rsd_record "$E2E_SNAP" "$1" "$NSLAB"
}

# lab_up LAB FILE [ARG...]: `nslab up FILE ARG...` must succeed (else the test stops).
lab_up() {
	local lab=$1
	shift
	rsd_watch_topology "$E2E_SNAP" "$1"
	E2E_CMD_TIMEOUT=${E2E_UP_TIMEOUT:-120} run nsl up "$@"
	if [ "$rc" != 0 ]; then
		_show "$out" stdout
		_show "$err" stderr
		die "nslab up $*: $(rc_what "$rc")"
	fi
	ok "nslab up $* ($lab)"
	[ -z "$err" ] || _show "$err" "up stderr"
	lab_record "$lab"
}

# lab_down LAB|FILE|--all: `nslab down` must exit 0.
lab_down() {
	E2E_CMD_TIMEOUT=${E2E_UP_TIMEOUT:-120} assert_ok nsl down "$@" &&
		rsd_gone "$E2E_SNAP" "${@: -1}"
}

# lab_gone LAB: nothing of LAB is left (polls, like the final residue check). Names the test
# made itself under /run/netns/LAB.* go in RSD_NOT_OURS.
lab_gone() {
	local r
	if r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$1"); then
		ok "lab $1 is gone"
	else
		not_ok "lab $1 is not gone"
		echo "$r"
	fi
}

# lab_pids LAB: the holders' host PIDs, one per line, "node pid".
lab_pids() {
	nsl status "$1" --json 2>/dev/null |
		jq -r --arg l "$1" '.labs[]? | select(.name == $l) | .nodes[]? | "\(.name) \(.pid)"'
}

# other_labs LAB...: labs up on this host that are not among the arguments.
other_labs() {
	local mine
	mine=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
	nsl status --json 2>/dev/null | jq -r --argjson m "$mine" '.labs[]?.name | select(. as $n | $m | index($n) | not)'
}

# ---- network checks ----

# nx LAB NODE CMD...: run CMD in the node through nslab exec.
nx() {
	local lab=$1 node=$2
	shift 2
	nsl exec -l "$lab" "$node" -- "$@"
}

# ping_ok LAB NODE ADDR [PING ARG...]
ping_ok() {
	local lab=$1 node=$2 addr=$3
	shift 3
	run nx "$lab" "$node" ping -n -c1 -W1 "$@" "$addr"
	if [ "$rc" = 0 ]; then
		ok "$lab.$node pings $addr $*"
		return 0
	fi
	not_ok "$lab.$node cannot ping $addr $* (exit $rc)"
	_show "$out" stdout
	_show "$err" stderr
	return 1
}

# ping_fails LAB NODE ADDR [PING ARG...]: ping ran and got no answer (exit 1) or could not
# send (exit 2); nslab failing (125), a hang or a crash is not "does not reach".
ping_fails() {
	local lab=$1 node=$2 addr=$3
	shift 3
	run nx "$lab" "$node" ping -n -c1 -W1 "$@" "$addr"
	case $rc in
	1 | 2)
		ok "$lab.$node does not reach $addr $* (ping exit $rc)"
		return 0
		;;
	0) not_ok "$lab.$node reaches $addr $*, expected not to" ;;
	*) not_ok "$lab.$node: ping $addr $*: $(rc_what "$rc"), expected ping's 1 or 2" ;;
	esac
	_show "$out" stdout
	_show "$err" stderr
	return 1
}

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds; 1 on timeout.
wait_for() {
	local deadline
	deadline=$(rsd_deadline "$1")
	shift
	until "$@" >/dev/null 2>&1; do
		rsd_past "$deadline" && return 1
		sleep 0.02
	done
}

# capture_start LAB NODE IFACE COUNT FILTER...: tcpdump in the node, in the background, until
# COUNT packets (bounded to 10 s). Returns once tcpdump listens. capture_wait waits for it
# and leaves what it printed in $captured.
capture_start() {
	local lab=$1 node=$2 ifc=$3 count=$4
	shift 4
	: >"$T_TMP/.cap.err"
	"$NSLAB" exec -l "$lab" "$node" -- timeout 10 tcpdump -i "$ifc" -n -l -c "$count" "$@" \
		>"$T_TMP/.cap.out" 2>"$T_TMP/.cap.err" </dev/null &
	E2E_CAP_PID=$!
	wait_for 5 grep -q 'listening on' "$T_TMP/.cap.err" || {
		not_ok "tcpdump in $lab.$node did not start"
		_show "$(cat "$T_TMP/.cap.err")" stderr
	}
}

# shellcheck disable=SC2034 # read by the tests
captured=""
capture_wait() {
	wait "$E2E_CAP_PID"
	# shellcheck disable=SC2034 # read by the tests
	captured=$(cat "$T_TMP/.cap.out")
}

# ---- JSON views ----

# ns_links LAB.NODE: `ip -j -d link` in a lab's namespace.
ns_links() {
	nip "$1" -j -d link show
}

ns_addrs() {
	nip "$1" -j addr show
}

# ---- cleanup and residue ----

# defer CMD...: run CMD at exit, after the labs are down and before the residue check.
defer() {
	_cmd "$@" >>"$T_TMP/.defer"
}

# residue_watch_sysctl KEY...: these host sysctls must have their current value at the end.
residue_watch_sysctl() {
	rsd_watch_sysctl "$E2E_SNAP" "$@"
}

residue_snapshot() {
	rsd_snapshot "$E2E_SNAP"
}

# residue_check: everything the test's labs left (polls up to 2 s); 1 if anything.
residue_check() {
	local labs
	mapfile -t labs <"$T_TMP/.labs"
	rsd_compare "$E2E_SNAP" "${labs[@]}"
}

_e2e_exit() {
	local rc=$? lab line labs lines
	trap - EXIT INT TERM HUP
	set +e
	# A capture still running would hold the lab; the lab's teardown ends it.
	mapfile -t labs <"$T_TMP/.labs"
	for lab in "${labs[@]}"; do
		if [ -n "$(lab_pids "$lab")" ]; then lab_record "$lab"; fi
		if ! E2E_CMD_TIMEOUT=20 nsl down "$lab" </dev/null >"$T_TMP/.down.out" 2>&1; then
			E2E_FAILED=1
			echo "not ok (cleanup): nslab down $lab failed"
			sed 's/^/    /' "$T_TMP/.down.out"
		fi
	done
	mapfile -t lines < <(tac "$T_TMP/.defer")
	for line in "${lines[@]}"; do
		eval "$line" </dev/null || echo "note: cleanup failed: $line"
	done
	if ! residue_check; then
		echo "not ok (cleanup): the test left the residue above"
		E2E_FAILED=1
	fi
	# Every failure, those of subshells and of captured commands included.
	if [ -s "$T_TMP/.failed" ]; then
		E2E_FAILED=1
		echo "== failures of this test:"
		sed 's/^/    /' "$T_TMP/.failed"
	fi
	rm -rf "$T_TMP"
	if [ "$E2E_FAILED" != 0 ]; then
		rc=1
	elif [ "$rc" = 0 ] && [ "$E2E_CHECKS" = 0 ]; then
		echo "not ok: the test checked nothing"
		rc=1
	fi
	exit "$rc"
}

# ---- setup ----

# Tests of one kind of run only (run.sh skips them before they start; the same when run alone).
if rootless; then
	_r=$(sed -n 's/^# root-only: //p' "$0" | head -n 1)
	[ -z "$_r" ] || { echo "SKIP: root only: $_r"; exit 77; }
else
	_r=$(sed -n 's/^# user-only: //p' "$0" | head -n 1)
	[ -z "$_r" ] || { echo "SKIP: user only: $_r"; exit 77; }
fi
unset _r
# The residue check needs every one of these: a check that cannot run is not a pass.
for _c in ip jq timeout nft sysctl find awk setpriv; do
	command -v "$_c" >/dev/null || { echo "FATAL: $_c is not installed"; exit 1; }
done
unset _c
[ -x "$NSLAB" ] || { echo "FATAL: no nslab binary at $NSLAB (make, or set NSLAB)"; exit 1; }

T_TMP=$(mktemp -d /tmp/nslab-e2e.XXXXXX)
# The state directory of this user's labs (residue.sh).
E2E_STATE=$(rsd_state_root)
export E2E_STATE
chmod 0755 "$T_TMP" # validate runs as nobody too
# Everything this test starts (nslab, its holders, what runs in the nodes) inherits this: the
# residue check tells its processes from other people's.
export NSLAB_E2E_RUN=$T_TMP
RSD_MARK=NSLAB_E2E_RUN=$T_TMP
: >"$T_TMP/.labs"
: >"$T_TMP/.defer"
: >"$T_TMP/.failed"
E2E_SNAP=$T_TMP/.snapshot
residue_snapshot
trap _e2e_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
