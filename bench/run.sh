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
#   BENCH_KEEP=1   keep the temp dir (topologies, scripts, raw samples, log)
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
TAG=nsb$$
IPTAG=nsbip$$

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
cleanup() {
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
	leftovers
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $TMP"; else rm -rf "$TMP"; fi
}
on_signal() {
	echo "bench: interrupted, cleaning up" >&2
	cleanup
	exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

leftovers() {
	local bad=0 p st i
	for i in 1 2 3 4 5 6 7 8 9 10; do # holders die asynchronously: up to 2 s
		bad=0
		while read -r p; do
			[ -r "/proc/$p/stat" ] || continue
			st=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
			case $st in Z | X | "") ;; *) bad=1 ;; esac
		done <"$HOLDERS"
		[ "$bad" = 0 ] && break
		sleep 0.2
	done
	local problems=()
	[ "$bad" = 1 ] && problems+=("live holder processes: $(while read -r p; do
		st=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1); case $st in Z | X | "") ;; *) printf '%s ' "$p" ;; esac; done <"$HOLDERS")")
	for f in /run/netns/"$TAG"-* /run/netns/"$IPTAG"-* /run/nslab/"$TAG"-*; do
		[ -e "$f" ] && problems+=("left: $f")
	done
	if grep -E "($TAG|$IPTAG)-" /proc/self/mountinfo >/dev/null; then
		problems+=("nsfs mounts left: $(grep -cE "($TAG|$IPTAG)-" /proc/self/mountinfo)")
	fi
	if [ "${#problems[@]}" -eq 0 ]; then
		echo "leftovers: none (no $TAG-*/$IPTAG-* netns, state or mounts; no live holder of ours)"
	else
		echo "leftovers: ${problems[*]}" >&2
	fi
}

# ---- one build/teardown of each tool ----

# run_nslab KIND N: appends up and down ns to $TMP/KIND-N.nslab.{up,down}
run_nslab() {
	local kind=$1 n=$2 lab=$TAG-$1-$2 t
	t=$("$TIMEIT" 1 "$NSLAB" up "$TMP/$kind-$n.json" --name "$lab" 2>>"$LOG") || { echo "bench: nslab up $kind-$n failed (see log)" >&2; "$NSLAB" down "$lab" >>"$LOG" 2>&1; return 1; }
	echo "$t" >>"$TMP/$kind-$n.nslab.up"
	holder_pids "$lab" >>"$HOLDERS"
	t=$("$TIMEIT" 1 "$NSLAB" down "$lab" 2>>"$LOG") || { echo "bench: nslab down $kind-$n failed" >&2; return 1; }
	echo "$t" >>"$TMP/$kind-$n.nslab.down"
}

run_ip() {
	local kind=$1 n=$2 t
	t=$("$TIMEIT" 1 sh "$TMP/$kind-$n.up.sh" 2>>"$LOG") || { echo "bench: ip script $kind-$n failed (see log)" >&2; sh "$TMP/$kind-$n.down.sh" 2>>"$LOG"; return 1; }
	echo "$t" >>"$TMP/$kind-$n.ip.up"
	t=$("$TIMEIT" 1 sh "$TMP/$kind-$n.down.sh" 2>>"$LOG") || { echo "bench: ip teardown $kind-$n failed" >&2; return 1; }
	echo "$t" >>"$TMP/$kind-$n.ip.down"
}

run_floor() {
	local n=$1 out
	mkdir -p /run/limitns # floor's own directory; the cycle mounts a private tmpfs on it
	out=$(unshare -m --propagation private "$ROOT/bench/floor-cycle.sh" "$BB/floor" "$TIMEIT" "$n" "$TMP/floor.pids" 2>>"$LOG") || { echo "bench: floor $n failed (see log)" >&2; return 1; }
	cat "$TMP/floor.pids" >>"$HOLDERS" 2>/dev/null
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
	"$NSLAB" up "$TMP/chain-$n.json" --name "$lab" >/dev/null 2>>"$LOG" || { echo "bench: nslab up chain-$n failed" >&2; "$NSLAB" down "$lab" >>"$LOG" 2>&1; return 1; }
	a=$(avail_kb)
	for p in $(holder_pids "$lab"); do
		echo "$p" >>"$HOLDERS"
		r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		rss=$((rss + ${r:-0}))
	done
	"$NSLAB" down "$lab" >>"$LOG" 2>&1 || echo "bench: nslab down chain-$n failed" >&2
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
MEMN=$(for n in $SIZES; do echo "$n"; done | sort -n | tail -1)
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
if "$NSLAB" up "$TMP/chain-10.json" --name "$EXECLAB" >/dev/null 2>>"$LOG"; then
	HPID=$("$NSLAB" status "$EXECLAB" --json 2>>"$LOG" | jq -r '.labs[0].nodes[] | select(.name == "n1") | .pid')
	echo "$HPID" >>"$HOLDERS"
	: >"$TMP/exec.nslab" && : >"$TMP/exec.nsenter"
	batch=$(((EXEC_RUNS + 4) / 5))
	for ((r = 0; r < 5; r++)); do
		"$TIMEIT" "$batch" "$NSLAB" exec -l "$EXECLAB" n1 true >>"$TMP/exec.nslab" 2>>"$LOG"
		"$TIMEIT" "$batch" nsenter -t "$HPID" -n -m -u -p true >>"$TMP/exec.nsenter" 2>>"$LOG"
	done
	"$NSLAB" down "$EXECLAB" >>"$LOG" 2>&1
	echo " done"
else
	echo " nslab up failed (see log)"
fi
echo

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

ex_n=$(med "$TMP/exec.nslab") ex_s=$(med "$TMP/exec.nsenter")
echo "== exec latency, median of $EXEC_RUNS (ms): nslab exec n1 true $(ms "$ex_n"), nsenter -t HOLDER -n -m -u -p true $(ms "$ex_s"), ratio $(ratio "$ex_n" "$ex_s")x"
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
t_line "exec, nslab / nsenter" "$(ratio "$ex_n" "$ex_s")" "<= 1.2" "<=" 1.2
t_line "host memory per node, nslab / floor" "$(ratio "$hk_n" "$hk_f")" "<= 1.1" "<=" 1.1
t_line "per-node up, chain-1000 / chain-100" "$su" "<= 1.3" "<=" 1.3
t_line "per-node down, chain-1000 / chain-100" "$sd" "<= 1.3" "<=" 1.3
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); total $(($(date +%s) - START)) s"
[ -s "$LOG" ] && { echo "stderr of the runs (last lines):"; tail -n 5 "$LOG" | sed 's/^/  /'; }
exit 0
