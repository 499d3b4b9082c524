#!/usr/bin/env bash
# bench/run.sh: nslab's benchmark (`make bench`, root). Issue 6.
#
# Builds chains, stars (n1 is the hub) and full meshes of N nodes with nslab, with the
# equivalent hand-written `ip` script, and (chains) with the reference floor
# (../shared/bench/floor.c: the kernel's work done the simplest way), alternately, several
# times each, and prints median wall times and ratios, then exec latency against nsenter,
# memory per node against floor, and per-node scaling from 100 to 1000 nodes, each with its
# target and PASS/MISS. It reports; a MISS does not make it fail.
#
# Environment:
#   NSLAB          the binary (default build/nslab)
#   BENCH_SIZES    node counts for chains and stars (default "10 100 1000")
#   BENCH_MESH     node counts for meshes (default "10 30")
#   BENCH_REPS     "N:REPS ..." (default "10:7 30:5 100:5 1000:3")
#   BENCH_EXEC     exec runs per tool (default 100)
#   BENCH_MININET  chain sizes built with Mininet too, when installed (default "10 100")
#   BENCH_FEATURE_N  chain size for the price of features (default 100)
#   BENCH_KEEP=1   keep the temp dir (topologies, scripts, raw samples, log)
#
# Issue 16 added: mnexec (Mininet's, when installed) to the exec table; Mininet itself side by
# side (bench/mininet_chain.py: the same chain, plain Host nodes, no switches) when
# `import mininet` works; `nslab run --test` of the shipped routed example against the same job
# as an `ip netns` script (bench/routed-ip.sh); the price per node of features (readiness
# checks, rates, impairments, an overlay root when the topology language has `rootfs`, YAML
# against JSON), and a check that a lab without them has none of their operations; and the
# exec floor (bench/exec-floor.c, static: what any tool must pay to run a command in a node's
# PID, network, mount and UTS namespaces), beside nslab, nsenter and mnexec.
#
# Everything it creates carries this run's own prefix: labs nsb<PID>-KIND-N (netns
# nsb<PID>-KIND-N.nI), ip-script namespaces nsbip<PID>-KIND-N-nI, floor in a private mount
# namespace. It cleans up on exit and on Ctrl-C, then checks nothing is left.
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NSLAB=${NSLAB:-$ROOT/build/nslab}
case $NSLAB in /*) ;; *) NSLAB=$ROOT/$NSLAB ;; esac
BB=$ROOT/build/bench
FLOOR_SRC=$ROOT/../shared/bench/floor.c
SIZES=${BENCH_SIZES:-10 100 1000}
MESH=${BENCH_MESH:-10 30}
REPS_SPEC=${BENCH_REPS:-10:7 30:5 100:5 1000:3}
EXEC_RUNS=${BENCH_EXEC:-100}
MN_SIZES=${BENCH_MININET:-10 100}
FEAT_N=${BENCH_FEATURE_N:-100}
TAG=nsb$$
IPTAG=nsbip$$
FLOORDIR=/run/$TAG-floor # floor's files: beside /run/netns, on the same file system

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (namespaces, veths)"
[ -x "$NSLAB" ] || die "no $NSLAB (make first)"
for c in ip jq nsenter unshare awk cc; do command -v "$c" >/dev/null || die "needs $c"; done

TMP=$(mktemp -d /tmp/nslab-bench.XXXXXX)
LOG=$TMP/log
: >"$LOG"
HOLDERS=$TMP/holders # every holder PID we saw (nslab's and floor's), for the leftover check
: >"$HOLDERS"

# ---- helpers ----

mkdir -p "$BB"
cc -O2 -Wall -Wextra -o "$BB/timeit" "$ROOT/bench/timeit.c" || die "cannot build the timing helper"
TIMEIT=$BB/timeit
# The exec floor (bench/exec-floor.c): static when libc.a is there, as it is meant to be.
EXEC_FLOOR=$BB/exec-floor EXEC_FLOOR_HOW=static
cc -O2 -static -o "$EXEC_FLOOR" "$ROOT/bench/exec-floor.c" 2>>"$LOG" ||
	{ EXEC_FLOOR_HOW=dynamic; cc -O2 -o "$EXEC_FLOOR" "$ROOT/bench/exec-floor.c" || die "cannot build the exec floor"; }
HAVE_FLOOR=0
if [ -f "$FLOOR_SRC" ]; then
	# shellcheck disable=SC2046
	if cc -O2 -o "$BB/floor" "$FLOOR_SRC" $(pkg-config --cflags --libs libnl-route-3.0) 2>>"$LOG"; then
		HAVE_FLOOR=1
	else
		echo "bench: floor.c does not build (see $LOG); floor comparisons skipped" >&2
	fi
else
	echo "bench: $FLOOR_SRC missing; floor comparisons skipped" >&2
fi

# Mininet: Debian's python3-mininet lives in the system Python (a pyenv python3 may shadow it).
MN_PY=""
for py in /usr/bin/python3 python3; do
	if command -v "$py" >/dev/null && "$py" -c 'import mininet.net' 2>/dev/null; then MN_PY=$py; break; fi
done
MNEXEC=$(command -v mnexec || true)

reps_for() {
	local n=$1 best="" s
	for s in $REPS_SPEC; do
		[ "${s%%:*}" -le "$n" ] && best=${s#*:}
	done
	echo "${best:-3}"
}

# Kernel cleanup of dropped namespaces is asynchronous and holds RTNL: give it time before the
# next measured build so that one tool does not pay for the previous one's teardown.
settle() {
	local n=$1
	if [ "$n" -ge 1000 ]; then sleep 1.5; elif [ "$n" -ge 100 ]; then sleep 0.3; else sleep 0.05; fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v v="$1" 'BEGIN { if (v == "nan") print "-"; else printf "%.1f", v / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "-"; else printf "%.2f", a / b }'; }
# verdict VALUE OP TARGET: PASS or MISS (or n/a)
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "-" || v == "nan" || v == "") { print "n/a"; exit }
	ok = (op == "<=") ? (v + 0 <= t + 0) : (v + 0 >= t + 0); print ok ? "PASS" : "MISS" }'; }
avail_kb() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }

holder_pids() { # LAB
	"$NSLAB" status "$1" --json 2>>"$LOG" | jq -r '.labs[]?.nodes[]?.pid // empty'
}

# ---- cleanup ----

cleaning=0
# shellcheck disable=SC2317 # run by the EXIT trap (shellcheck does not follow traps)
cleanup() {
	[ "$BASHPID" = "$$" ] || return 0 # only the main shell cleans up, never a subshell
	[ "$cleaning" = 1 ] && return
	cleaning=1
	trap '' INT TERM
	local lab f
	for lab in $("$NSLAB" status --json 2>/dev/null | jq -r --arg t "$TAG-" '.labs[]?.name | select(startswith($t))'); do
		"$NSLAB" down "$lab" >>"$LOG" 2>&1 || echo "bench: nslab down $lab failed" >&2
	done
	for f in /run/netns/"$IPTAG"-*; do
		[ -e "$f" ] && ip netns del "${f##*/}" 2>>"$LOG"
	done
	rmdir "$FLOORDIR" 2>/dev/null
	leftovers
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $TMP"; else rm -rf "$TMP"; fi
}
# A Ctrl-C must not cut floor (its holders would outlive it) or nslab in half: every measured
# command runs in the background, where SIGINT is ignored, and step() waits for it through
# interrupts; the ip script alone is stopped at once (SIGTERM via timeit), since cleanup removes
# its namespaces anyway. Then cleanup runs from the EXIT trap.
INTERRUPTED=0 CHILD="" KILLABLE=0
# shellcheck disable=SC2317 # run by the INT and TERM traps
on_signal() {
	[ "$BASHPID" = "$$" ] || exit 130
	[ "$INTERRUPTED" = 1 ] && return
	INTERRUPTED=1
	echo >&2
	echo "bench: interrupted; finishing the current step, then cleaning up" >&2
	[ "$KILLABLE" = 1 ] && [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null
}
trap cleanup EXIT
trap on_signal INT TERM

# step [--killable] OUTFILE CMD...: CMD in the background, stdout to OUTFILE; its status.
step() {
	local killable=0 out rc
	if [ "$1" = --killable ]; then killable=1; shift; fi
	out=$1
	shift
	[ "$INTERRUPTED" = 1 ] && exit 130
	"$@" >"$out" 2>>"$LOG" &
	CHILD=$! KILLABLE=$killable
	while :; do
		wait "$CHILD"
		rc=$?
		# a trapped signal makes wait return early (> 128) while CMD still runs
		[ "$rc" = 127 ] && break
		kill -0 "$CHILD" 2>/dev/null || break
	done
	CHILD=""
	[ "$INTERRUPTED" = 1 ] && exit 130
	return "$rc"
}

# stamp: PIDs on stdin -> "PID STARTTIME" for those alive, so that a PID reused later by
# another process is not taken for one of our holders.
starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }
# shellcheck disable=SC2317 # used by live_holders only, which cleanup (the EXIT trap) reaches
pstate() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1; }
stamp() {
	local p t
	while read -r p; do
		t=$(starttime "$p") && [ -n "$t" ] && echo "$p $t"
	done
}
# Our holders still alive (zombies hold nothing: PID 1 of this host does not reap them).
# shellcheck disable=SC2317 # reached from cleanup, which the EXIT trap runs
live_holders() {
	local p t st
	while read -r p t; do
		[ "$(starttime "$p")" = "$t" ] || continue
		st=$(pstate "$p")
		case $st in Z | X | "") ;; *) printf '%s ' "$p" ;; esac
	done <"$HOLDERS"
}

# shellcheck disable=SC2317 # reached from cleanup, which the EXIT trap runs
leftovers() {
	local live="" f
	for _ in 1 2 3 4 5 6 7 8 9 10; do # holders die asynchronously: up to 2 s
		live=$(live_holders)
		[ -z "$live" ] && break
		sleep 0.2
	done
	local problems=()
	[ -n "$live" ] && problems+=("live holder processes: $live")
	for f in /run/netns/"$TAG"-* /run/netns/"$IPTAG"-* /run/nslab/"$TAG"-* "$FLOORDIR"; do
		[ -e "$f" ] && problems+=("left: $f")
	done
	if grep -E "($TAG|$IPTAG)-" /proc/self/mountinfo >/dev/null; then
		problems+=("nsfs mounts left: $(grep -cE "($TAG|$IPTAG)-" /proc/self/mountinfo)")
	fi
	if ip -br link 2>/dev/null | grep -qE "^m$$[ab][0-9]+"; then
		problems+=("Mininet's interfaces left: $(ip -br link | grep -cE "^m$$[ab][0-9]+")")
	fi
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "leftovers: none (no $TAG-*/$IPTAG-* netns, state or mounts; none of our $(wc -l <"$HOLDERS") holders alive)"
	else
		echo "leftovers: ${problems[*]}" >&2
	fi
}

# ---- one build/teardown of each tool ----

# run_nslab KIND N: appends up and down ns to $TMP/KIND-N.nslab.{up,down}
run_nslab() {
	local kind=$1 n=$2 lab=$TAG-$1-$2 b=$TMP/$1-$2
	step "$TMP/t" "$TIMEIT" 1 "$NSLAB" up "$b.json" --name "$lab" || { echo "bench: nslab up $kind-$n failed (see log)" >&2; step /dev/null "$NSLAB" down "$lab"; return 1; }
	cat "$TMP/t" >>"$b.nslab.up"
	holder_pids "$lab" | stamp >>"$HOLDERS"
	step "$TMP/t" "$TIMEIT" 1 "$NSLAB" down "$lab" || { echo "bench: nslab down $kind-$n failed" >&2; return 1; }
	cat "$TMP/t" >>"$b.nslab.down"
}

run_ip() {
	local kind=$1 n=$2 b=$TMP/$1-$2
	step --killable "$TMP/t" "$TIMEIT" 1 sh "$b.up.sh" || { echo "bench: ip script $kind-$n failed (see log)" >&2; step /dev/null sh "$b.down.sh"; return 1; }
	cat "$TMP/t" >>"$b.ip.up"
	step "$TMP/t" "$TIMEIT" 1 sh "$b.down.sh" || { echo "bench: ip teardown $kind-$n failed" >&2; return 1; }
	cat "$TMP/t" >>"$b.ip.down"
}

run_floor() {
	local n=$1 out
	mkdir -p /run/limitns "$FLOORDIR" # floor's own directory; the cycle binds ours on it, privately
	step "$TMP/t" unshare -m --propagation private "$ROOT/bench/floor-cycle.sh" "$BB/floor" "$TIMEIT" "$n" "$TMP/floor.pids" "$FLOORDIR"
	local rc=$?
	cat "$TMP/floor.pids" >>"$HOLDERS" 2>/dev/null # "PID STARTTIME", written while they lived
	[ "$rc" = 0 ] || { echo "bench: floor $n failed (see log)" >&2; return 1; }
	out=$(cat "$TMP/t")
	local up down b a rss
	up=$(sed -n 's/^up_ns=//p' <<<"$out") down=$(sed -n 's/^down_ns=//p' <<<"$out")
	b=$(sed -n 's/^avail_before_kb=//p' <<<"$out") a=$(sed -n 's/^avail_after_kb=//p' <<<"$out")
	rss=$(sed -n 's/^rss_kb=//p' <<<"$out")
	echo "$up" >>"$TMP/chain-$n.floor.up"
	echo "$down" >>"$TMP/chain-$n.floor.down"
	echo "$(((b - a) / n))" >>"$TMP/chain-$n.floor.hostkb"
	echo "$((rss / n))" >>"$TMP/chain-$n.floor.rsskb"
}

# nslab again, for memory: MemAvailable before and after up, holders' VmRSS.
run_nslab_mem() {
	local n=$1 lab=$TAG-chain-$1 b a rss=0 p r
	b=$(avail_kb)
	step /dev/null "$NSLAB" up "$TMP/chain-$n.json" --name "$lab" || { echo "bench: nslab up chain-$n failed" >&2; step /dev/null "$NSLAB" down "$lab"; return 1; }
	a=$(avail_kb)
	for p in $(holder_pids "$lab"); do
		echo "$p" | stamp >>"$HOLDERS"
		r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		rss=$((rss + ${r:-0}))
	done
	step /dev/null "$NSLAB" down "$lab" || echo "bench: nslab down chain-$n failed" >&2
	echo "$(((b - a) / n))" >>"$TMP/chain-$n.nslab.hostkb"
	echo "$((rss / n))" >>"$TMP/chain-$n.nslab.rsskb"
}

med() { [ -s "$1" ] && median <"$1" || echo nan; }

# ---- the runs ----

echo "nslab bench: $(uname -r), $(nproc) CPUs, nslab $NSLAB; temp $TMP"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ip script idiom: veth created in place, both ends born in their namespaces"
echo "  (ip link add A netns X type veth peer name B netns Y), then ip -n NS addr add / link set up, lo up"
[ "$HAVE_FLOOR" = 1 ] || echo "floor: skipped ($FLOOR_SRC missing or not buildable)"
echo

CASES=()
for n in $SIZES; do CASES+=("chain:$n" "star:$n"); done
for n in $MESH; do CASES+=("mesh:$n"); done

START=$(date +%s)
for c in "${CASES[@]}"; do
	kind=${c%%:*} n=${c#*:}
	"$ROOT/bench/gen.sh" "$kind" "$n" "$TMP" "$TAG-$kind-$n" "$IPTAG-$kind-$n" || die "gen $kind $n"
	reps=$(reps_for "$n")
	printf '%-11s %d reps ...' "$kind-$n" "$reps"
	for ((r = 1; r <= reps; r++)); do
		# alternate the order so that neither tool always runs right after the other
		if ((r % 2)); then order="nslab ip floor"; else order="floor ip nslab"; fi
		for tool in $order; do
			case $tool in
			nslab) run_nslab "$kind" "$n" ;;
			ip) run_ip "$kind" "$n" ;;
			floor) [ "$kind" = chain ] && [ "$HAVE_FLOOR" = 1 ] && run_floor "$n" ;;
			esac
			settle "$n"
		done
		printf ' %d' "$r"
	done
	echo " ($(($(date +%s) - START)) s)"
done

# memory at the largest chain: nslab, alternating with the floor cycles above
MEMN=$(tr -s ' ' '\n' <<<"$SIZES" | sort -n | tail -1)
printf 'memory chain-%s ...' "$MEMN"
for ((r = 1; r <= $(reps_for "$MEMN"); r++)); do
	run_nslab_mem "$MEMN"
	settle "$MEMN"
	printf ' %d' "$r"
done
echo

# exec latency: nslab exec vs nsenter into the same holder
EXECLAB=$TAG-chain-10
[ -f "$TMP/chain-10.json" ] || "$ROOT/bench/gen.sh" chain 10 "$TMP" "$EXECLAB" "$IPTAG-chain-10"
printf 'exec x%s ...' "$EXEC_RUNS"
if step /dev/null "$NSLAB" up "$TMP/chain-10.json" --name "$EXECLAB"; then
	HPID=$("$NSLAB" status "$EXECLAB" --json 2>>"$LOG" | jq -r '.labs[0].nodes[] | select(.name == "n1") | .pid')
	echo "$HPID" | stamp >>"$HOLDERS"
	: >"$TMP/exec.nslab" && : >"$TMP/exec.nsenter" && : >"$TMP/exec.mnexec" && : >"$TMP/exec.floor"
	batch=$(((EXEC_RUNS + 4) / 5))
	for ((r = 0; r < 5; r++)); do
		step "$TMP/t" "$TIMEIT" "$batch" "$NSLAB" exec -l "$EXECLAB" n1 true && cat "$TMP/t" >>"$TMP/exec.nslab"
		step "$TMP/t" "$TIMEIT" "$batch" nsenter -t "$HPID" -n -m -u -p true && cat "$TMP/t" >>"$TMP/exec.nsenter"
		# mnexec -a: Mininet's way in (setns into net and mnt, then exec: no PID namespace)
		[ -n "$MNEXEC" ] && step "$TMP/t" "$TIMEIT" "$batch" "$MNEXEC" -a "$HPID" true && cat "$TMP/t" >>"$TMP/exec.mnexec"
		step "$TMP/t" "$TIMEIT" "$batch" "$EXEC_FLOOR" "$HPID" true && cat "$TMP/t" >>"$TMP/exec.floor"
	done
	step /dev/null "$NSLAB" down "$EXECLAB"
	echo " done"
else
	echo " nslab up failed (see log)"
fi
echo

# Mininet side by side: the same chain, plain Host nodes, no switches (bench/mininet_chain.py)
if [ -n "$MN_PY" ]; then
	for n in $MN_SIZES; do
		reps=$(reps_for "$n")
		((reps > 3)) && reps=3
		printf 'mininet chain-%s %d reps ...' "$n" "$reps"
		for ((r = 1; r <= reps; r++)); do
			if step "$TMP/t" "$MN_PY" "$ROOT/bench/mininet_chain.py" "$n" "$$"; then
				sed -n 's/^up_ns=//p' "$TMP/t" >>"$TMP/chain-$n.mn.up"
				sed -n 's/^down_ns=//p' "$TMP/t" >>"$TMP/chain-$n.mn.down"
			else
				echo " mininet failed (see log)"
				break
			fi
			settle "$n"
			[ -f "$TMP/chain-$n.json" ] || "$ROOT/bench/gen.sh" chain "$n" "$TMP" "$TAG-chain-$n" "$IPTAG-chain-$n"
			run_nslab chain "$n" # alternately with nslab, so that both see the same load
			settle "$n"
			printf ' %d' "$r"
		done
		echo
	done
fi

# nslab run --test of a shipped example, end to end, against the same job as an ip netns script
RT_JSON=$ROOT/topologies/routed.json
if [ -f "$RT_JSON" ]; then
	printf 'run --test routed x5 ...'
	for ((r = 1; r <= 5; r++)); do
		step "$TMP/t" "$TIMEIT" 1 "$NSLAB" -q run "$RT_JSON" --name "$TAG-routed" --test && cat "$TMP/t" >>"$TMP/routed.nslab"
		settle 10
		step --killable "$TMP/t" "$TIMEIT" 1 sh "$ROOT/bench/routed-ip.sh" "$IPTAG-routed" && cat "$TMP/t" >>"$TMP/routed.ip"
		settle 10
		printf ' %d' "$r"
	done
	echo
fi

# The price of features, per node, on a chain of FEAT_N nodes: each variant against the plain
# chain, alternately. A variant the kernel or the topology language cannot do is n/a, with why.
"$ROOT/bench/gen.sh" chain "$FEAT_N" "$TMP/feat" "$TAG-feat" "$IPTAG-feat" || die "gen feat"
FB=$TMP/feat/chain-$FEAT_N.json
declare -A FEAT_NA=()
FEATS="ready rate impair rootfs userns"
jq '.nodes |= with_entries(.value.ready = {"cmd": ["true"]})' "$FB" >"$TMP/feat/ready.json"
jq '.links |= map(.rate = "100mbit")' "$FB" >"$TMP/feat/rate.json"
jq '.links |= map(.impair = {"delay": "1ms"})' "$FB" >"$TMP/feat/impair.json"
jq '.rootfs = "overlay"' "$FB" >"$TMP/feat/rootfs.json"
jq '.nodes |= with_entries(.value.namespaces = ["user"])' "$FB" >"$TMP/feat/userns.json"
for f in $FEATS; do
	if ! out=$("$NSLAB" validate "$TMP/feat/$f.json" 2>&1); then
		FEAT_NA[$f]="the topology language has no such key here: $(head -n 1 <<<"$out")"
	fi
done
# what the kernel lacks, asked of nslab itself (its host check runs before anything is built)
for f in $FEATS; do
	[ -n "${FEAT_NA[$f]:-}" ] && continue
	if ! out=$("$NSLAB" up "$TMP/feat/$f.json" --name "$TAG-feat" 2>&1 >/dev/null); then
		FEAT_NA[$f]=$(head -n 1 <<<"$out" | sed 's/^nslab: //')
	fi
	step /dev/null "$NSLAB" down "$TAG-feat"
	settle "$FEAT_N"
done
printf 'features chain-%s ...' "$FEAT_N"
for ((r = 1; r <= $(reps_for "$FEAT_N"); r++)); do
	for f in base $FEATS; do
		[ -n "${FEAT_NA[$f]:-}" ] && continue
		file=$TMP/feat/$f.json
		[ "$f" = base ] && file=$FB
		if step "$TMP/t" "$TIMEIT" 1 "$NSLAB" up "$file" --name "$TAG-feat"; then
			cat "$TMP/t" >>"$TMP/feat/$f.up"
			holder_pids "$TAG-feat" | stamp >>"$HOLDERS"
		else
			echo "bench: nslab up of the $f variant failed (see log)" >&2
		fi
		step /dev/null "$NSLAB" down "$TAG-feat"
		settle "$FEAT_N"
	done
	printf ' %d' "$r"
done
echo
# parsing: validate (read, parse, check; no kernel) of the same chain as JSON and as YAML
# (JSON is YAML's flow style: the same text, read by libyaml)
cp "$FB" "$TMP/feat/chain.yaml"
{
	"$TIMEIT" 20 "$NSLAB" validate "$FB" >"$TMP/feat/json.parse"
	"$TIMEIT" 20 "$NSLAB" validate "$TMP/feat/chain.yaml" >"$TMP/feat/yaml.parse"
	"$TIMEIT" 20 "$NSLAB" --help >"$TMP/feat/none.parse"
} 2>>"$LOG"
# a lab that does not use a feature must not pay for it: none of their operations in its plan
FEAT_OPS=$("$NSLAB" up --dry-run "$FB" --name "$TAG-feat" 2>>"$LOG" | awk '$1 ~ /^[0-9]+$/ { print $2 }' | grep -cE '^(ready|rate|impair|qdisc|netem|tbf|rootfs|overlay|probe)$')

# ---- report ----

echo "== up/down, median wall time (ms); ratio = ip / nslab (higher: nslab faster)"
printf '%-11s %4s | %10s %10s | %10s %10s | %8s %8s\n' topology reps "nslab up" "nslab down" "ip up" "ip down" "ratio up" "down"
for c in "${CASES[@]}"; do
	kind=${c%%:*} n=${c#*:} b=$TMP/$kind-$n
	nu=$(med "$b.nslab.up") nd=$(med "$b.nslab.down") iu=$(med "$b.ip.up") id=$(med "$b.ip.down")
	printf '%-11s %4s | %10s %10s | %10s %10s | %7sx %7sx\n' "$kind-$n" "$(reps_for "$n")" "$(ms "$nu")" "$(ms "$nd")" "$(ms "$iu")" "$(ms "$id")" "$(ratio "$iu" "$nu")" "$(ratio "$id" "$nd")"
done
echo

if [ "$HAVE_FLOOR" = 1 ]; then
	echo "== chains vs floor, median wall time (ms); ratio = nslab / floor (lower is better; 1.0: as fast as the floor)"
	printf '%-11s | %10s %10s | %10s %10s | %8s %8s\n' topology "floor up" "floor down" "nslab up" "nslab down" "ratio up" "down"
	for n in $SIZES; do
		b=$TMP/chain-$n
		fu=$(med "$b.floor.up") fd=$(med "$b.floor.down") nu=$(med "$b.nslab.up") nd=$(med "$b.nslab.down")
		printf '%-11s | %10s %10s | %10s %10s | %7sx %7sx\n' "chain-$n" "$(ms "$fu")" "$(ms "$fd")" "$(ms "$nu")" "$(ms "$nd")" "$(ratio "$nu" "$fu")" "$(ratio "$nd" "$fd")"
	done
	echo
fi

ex_n=$(med "$TMP/exec.nslab") ex_s=$(med "$TMP/exec.nsenter") ex_m=$(med "$TMP/exec.mnexec") ex_f=$(med "$TMP/exec.floor")
echo "== exec latency, median of $EXEC_RUNS (ms): nslab exec n1 true $(ms "$ex_n"), nsenter -t HOLDER -n -m -u -p true $(ms "$ex_s"), ratio $(ratio "$ex_n" "$ex_s")x"
if [ -n "$MNEXEC" ]; then
	echo "   mnexec -a HOLDER true $(ms "$ex_m") (net and mnt only, no fork: Mininet's hosts share the host's PID namespace), ratio nslab / mnexec $(ratio "$ex_n" "$ex_m")x"
else
	echo "   mnexec: n/a (not installed: apt-get install mininet)"
fi
echo "   exec floor (bench/exec-floor.c, $EXEC_FLOOR_HOW: setns, vfork, exec; nothing read, nothing checked) $(ms "$ex_f"): nslab / floor $(ratio "$ex_n" "$ex_f")x;"
echo "   the floor itself is $(ratio "$ex_f" "$ex_s")x nsenter and $(ratio "$ex_f" "$ex_m")x mnexec: no exec can go below it"
echo

if [ -n "$MN_PY" ]; then
	echo "== Mininet $("$MN_PY" -c 'import mininet.net as m; print(m.VERSION)' 2>/dev/null) (plain Host nodes, no switches), chains, median wall time (ms); ratio = Mininet / nslab (higher: nslab faster)"
	printf '%-11s | %10s %10s | %10s %10s | %8s %8s\n' topology "mn up" "mn down" "nslab up" "nslab down" "ratio up" "down"
	for n in $MN_SIZES; do
		b=$TMP/chain-$n
		mu=$(med "$b.mn.up") md=$(med "$b.mn.down") nu=$(med "$b.nslab.up") nd=$(med "$b.nslab.down")
		printf '%-11s | %10s %10s | %10s %10s | %7sx %7sx\n' "chain-$n" "$(ms "$mu")" "$(ms "$md")" "$(ms "$nu")" "$(ms "$nd")" "$(ratio "$mu" "$nu")" "$(ratio "$md" "$nd")"
	done
else
	echo "== Mininet: n/a (python3 cannot import mininet: apt-get install mininet)"
fi
echo

rt_n=$(med "$TMP/routed.nslab") rt_i=$(med "$TMP/routed.ip")
echo "== run --test, shipped example routed.json (up, 5 checks, down), median of 5 (ms): nslab $(ms "$rt_n"), ip netns script (bench/routed-ip.sh) $(ms "$rt_i"), ratio ip / nslab $(ratio "$rt_i" "$rt_n")x"
echo

# price per node (ms): (median up of the variant - median up of the plain chain) / N
price() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (a == "nan" || b == "nan") print "-"; else printf "%.3f", (a - b) / 1e6 / n }'; }
fb_up=$(med "$TMP/feat/base.up")
echo "== price of features, chain-$FEAT_N, median up (ms) and price per node (ms) against the plain chain ($(ms "$fb_up") ms)"
declare -A FEAT_PRICE=()
for f in $FEATS; do
	case $f in
	ready) what="readiness check per node (ready: true)" ;;
	rate) what="rate per link (tbf, 100mbit)" ;;
	impair) what="impairment per link (netem, delay 1ms)" ;;
	rootfs) what="overlay root per node (rootfs: overlay)" ;;
	userns) what="user namespace per node (namespaces: user)" ;;
	esac
	if [ -n "${FEAT_NA[$f]:-}" ]; then
		FEAT_PRICE[$f]=-
		printf '  %-42s n/a: %s\n' "$what" "${FEAT_NA[$f]}"
	else
		FEAT_PRICE[$f]=$(price "$(med "$TMP/feat/$f.up")" "$fb_up" "$FEAT_N")
		printf '  %-42s up %8s   per node %7s\n' "$what" "$(ms "$(med "$TMP/feat/$f.up")")" "${FEAT_PRICE[$f]}"
	fi
done
pj=$(med "$TMP/feat/json.parse") py=$(med "$TMP/feat/yaml.parse") p0=$(med "$TMP/feat/none.parse")
pj_node=$(price "$pj" "$p0" "$FEAT_N") py_node=$(price "$py" "$p0" "$FEAT_N")
yaml_x=$(awk -v j="$pj" -v y="$py" -v z="$p0" 'BEGIN { if (j == "nan" || y == "nan" || j <= z) print "-"; else printf "%.2f", (y - z) / (j - z) }')
echo "  parse + validate, per node (ms; nslab validate less nslab --help, which loads the engine too): JSON $pj_node, YAML $py_node, YAML / JSON ${yaml_x}x"
echo "  operations of readiness, rates, impairments, roots in the plan of the plain chain: $FEAT_OPS"
echo

hk_n=$(med "$TMP/chain-$MEMN.nslab.hostkb") rk_n=$(med "$TMP/chain-$MEMN.nslab.rsskb")
hk_f=$(med "$TMP/chain-$MEMN.floor.hostkb") rk_f=$(med "$TMP/chain-$MEMN.floor.rsskb")
echo "== memory per node, chain-$MEMN, median (kB): host (MemAvailable drop / N) nslab $hk_n, floor $hk_f, ratio $(ratio "$hk_n" "$hk_f")x;"
echo "   holder VmRSS nslab $rk_n, floor $rk_f (RSS counts shared pages of each holder in full)"
echo

# per-node scaling, chains: (t(1000)/1000) / (t(100)/100)
scale() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "-"; else printf "%.2f", (a / 1000) / (b / 100) }'; }
su=$(scale "$(med "$TMP/chain-1000.nslab.up")" "$(med "$TMP/chain-100.nslab.up")")
sd=$(scale "$(med "$TMP/chain-1000.nslab.down")" "$(med "$TMP/chain-100.nslab.down")")
echo "== per-node time, chain-1000 / chain-100: up ${su}x, down ${sd}x"
echo

echo "== targets"
t_line() { printf '  %-44s %10s  %-8s %s\n' "$1" "$2" "$3" "$(verdict "$2" "$4" "$5")"; }
printf '  %-44s %10s  %-8s %s\n' target measured goal verdict
fr_u=$(ratio "$(med "$TMP/chain-1000.nslab.up")" "$(med "$TMP/chain-1000.floor.up")")
fr_d=$(ratio "$(med "$TMP/chain-1000.nslab.down")" "$(med "$TMP/chain-1000.floor.down")")
t_line "chain-1000 up, nslab / floor" "$fr_u" "<= 1.0" "<=" 1.0
t_line "chain-1000 down, nslab / floor" "$fr_d" "<= 1.0" "<=" 1.0
for k in chain star; do
	t_line "$k-100 up, ip script / nslab" "$(ratio "$(med "$TMP/$k-100.ip.up")" "$(med "$TMP/$k-100.nslab.up")")" ">= 15" ">=" 15
done
t_line "chain-10 up, nslab / floor" "$(ratio "$(med "$TMP/chain-10.nslab.up")" "$(med "$TMP/chain-10.floor.up")")" "<= 0.8" "<=" 0.8
t_line "chain-10 down, nslab / floor" "$(ratio "$(med "$TMP/chain-10.nslab.down")" "$(med "$TMP/chain-10.floor.down")")" "<= 0.8" "<=" 0.8
t_line "exec, nslab / nsenter" "$(ratio "$ex_n" "$ex_s")" "<= 0.7" "<=" 0.7
t_line "exec, nslab / mnexec -a" "$(ratio "$ex_n" "$ex_m")" "<= 0.8" "<=" 0.8
for n in $MN_SIZES; do
	t_line "chain-$n up, Mininet / nslab" "$(ratio "$(med "$TMP/chain-$n.mn.up")" "$(med "$TMP/chain-$n.nslab.up")")" ">= 10" ">=" 10
	t_line "chain-$n down, Mininet / nslab" "$(ratio "$(med "$TMP/chain-$n.mn.down")" "$(med "$TMP/chain-$n.nslab.down")")" ">= 10" ">=" 10
done
t_line "run --test routed, ip netns script / nslab" "$(ratio "$rt_i" "$rt_n")" ">= 5" ">=" 5
t_line "readiness check, ms per node" "${FEAT_PRICE[ready]}" "<= 0.5" "<=" 0.5
t_line "rate (tbf), ms per link" "${FEAT_PRICE[rate]}" "<= 0.2" "<=" 0.2
t_line "impairment (netem), ms per link" "${FEAT_PRICE[impair]}" "<= 0.2" "<=" 0.2
t_line "overlay root, ms per node" "${FEAT_PRICE[rootfs]}" "<= 1.0" "<=" 1.0
t_line "user namespace, ms per node" "${FEAT_PRICE[userns]}" "<= 1.0" "<=" 1.0
t_line "YAML / JSON, parse + validate" "$yaml_x" "<= 2.0" "<=" 2.0
t_line "feature operations in a plain lab's plan" "$FEAT_OPS" "<= 0" "<=" 0
t_line "host memory per node, nslab / floor" "$(ratio "$hk_n" "$hk_f")" "<= 1.1" "<=" 1.1
t_line "per-node up, chain-1000 / chain-100" "$su" "<= 1.3" "<=" 1.3
t_line "per-node down, chain-1000 / chain-100" "$sd" "<= 1.3" "<=" 1.3
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); total $(($(date +%s) - START)) s"
[ -s "$LOG" ] && { echo "stderr of the runs (last lines):"; tail -n 5 "$LOG" | sed 's/^/  /'; }
exit 0
