#!/usr/bin/env bash
# Impairments measured (netem: Debian's kernel, the VM lane; skipped with the reason where the
# kernel has none): a link's delay and jitter both ways by ping RTTs (no RTT below what was
# asked, mean and spread as asked), an end's own impairment over its link's (one direction),
# loss and duplication by counts over enough pings for a bound of several standard
# deviations (and one direction only), a rate carried by netem with iperf3; status --json and
# tc show the values; nslab impair changes a link under a ping flood with no packet ever less
# impaired than the lowest delay asked, and no loss from a change in place.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tc awk
need_kernel netem

LAB=$(lab_name)
F=$(write_topo impair <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.63.0.1/24"] }, "eth1": { "addresses": ["10.63.3.1/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.63.0.2/24"] },
                           "eth1": { "addresses": ["10.63.3.2/24"], "impair": { "delay": "0ms" } } } },
    "c": { "interfaces": { "eth0": { "addresses": ["10.63.1.1/24"], "impair": { "loss": "20%" } } } },
    "d": { "interfaces": { "eth0": { "addresses": ["10.63.1.2/24"] } } },
    "e": { "interfaces": { "eth0": { "addresses": ["10.63.2.1/24"] } } },
    "f": { "interfaces": { "eth0": { "addresses": ["10.63.2.2/24"] } } },
    "g": { "interfaces": { "eth0": { "addresses": ["10.63.4.1/24"], "impair": { "duplicate": "30%" } } } },
    "h": { "interfaces": { "eth0": { "addresses": ["10.63.4.2/24"] } } }
  },
  "links": [
    { "endpoints": ["a:eth0", "b:eth0"], "impair": { "delay": "20ms", "jitter": "5ms" } },
    { "endpoints": ["c:eth0", "d:eth0"] },
    { "endpoints": ["e:eth0", "f:eth0"], "rate": "10mbit", "impair": { "delay": "10ms" } },
    { "endpoints": ["a:eth1", "b:eth1"], "impair": { "delay": "30ms" } },
    { "endpoints": ["g:eth0", "h:eth0"] }
  ]
}
EOF
)
lab_up "$LAB" "$F"

impair_of() {
	nsl status "$LAB" --json | jq -c --arg n "$1" --arg i "$2" \
		'.labs[0].nodes[] | select(.name == $n) | .interfaces[] | select(.name == $i) | .impair // {}'
}
# rtts FILE: the RTTs of ping's output, in ms, one a line, in the order of their seq
rtts() {
	sed -n 's/.*icmp_seq=\([0-9]*\) .*time=\([0-9.]*\) ms.*/\1 \2/p' "$1" | sort -n | awk '{ print $2 }'
}
# stats FILE: "min median p10 p90 n" of the RTTs (percentiles: an emulated machine's rare
# stalls move a mean and a deviation, not them)
stats() {
	rtts "$1" | sort -n | awk '{ v[++n] = $1 }
		END { if (!n) { print "0 0 0 0 0"; exit }
		      printf "%.3f %.3f %.3f %.3f %d\n", v[1], v[int((n + 1) / 2)],
		             v[int(n * 0.1) + 1], v[int(n * 0.9)], n }'
}
# within X LO HI: LO <= X <= HI
within() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

# ---- what the kernel was given ----
assert_jq "$(impair_of a eth0)" '. == {"delay": "20ms", "jitter": "5ms"}' "status: a:eth0"
assert_jq "$(impair_of b eth0)" '. == {"delay": "20ms", "jitter": "5ms"}' "status: b:eth0 (both directions)"
assert_jq "$(impair_of b eth1)" '. == {}' "status: b:eth1 overrides its link's delay with 0ms"
assert_jq "$(impair_of e eth0)" '. == {"delay": "10ms", "rate": "10mbit"}' "status: netem carries the link's rate"
assert_jq "$(impair_of d eth0)" '. == {}' "status: d:eth0 has no loss (one direction)"
assert_contains "$(nns "$LAB.a" tc qdisc show dev eth0)" "delay 20ms  5ms" "tc: a:eth0"

# ---- delay and jitter, both directions: RTT = two delays of 20ms +- 5ms (uniform) ----
nx "$LAB" a ping -n -c 200 -i 0.02 10.63.0.2 >"$T_TMP/rtt0" 2>&1
read -r lo med p10 p90 n < <(stats "$T_TMP/rtt0")
note "a -> b: $n RTTs, min $lo, median $med, 10th-90th percentile $p10-$p90 (ms)"
assert_eq 200 "$n" "200 replies"
assert_true "no RTT under 30ms, the least two delays of 20-5ms allow (min $lo)" within "$lo" 29.9 1000
assert_true "median RTT near 40ms (median $med)" within "$med" 38 44
# the sum of two uniform +-5ms: 10th to 90th percentile 11.1ms wide; no jitter: about 0
assert_true "RTTs spread as two jitters of 5ms (10th-90th percentile $p10-$p90)" \
	within "$(awk -v a="$p10" -v b="$p90" 'BEGIN { print b - a }')" 7 20

# ---- an end's own impairment over its link's: one direction only ----
nx "$LAB" a ping -n -c 50 -i 0.02 10.63.3.2 >"$T_TMP/rtt3" 2>&1
read -r lo med p10 p90 n < <(stats "$T_TMP/rtt3")
note "a -> b over eth1: $n RTTs, min $lo, median $med (ms)"
assert_true "a -> b over eth1: at least 30ms (min $lo)" within "$lo" 29.9 1000
assert_true "and not 60ms: b's 0ms overrides the link's 30ms on the way back (median $med)" within "$med" 29.9 36

# ---- loss, one direction: 1000 pings, 20% of the requests lost (sd 1.3%); both ways would
# lose 36% ----
nx "$LAB" c ping -n -q -c 1000 -i 0.005 -W 1 10.63.1.2 >"$T_TMP/loss" 2>&1
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_TMP/loss")
note "c -> d: ${got:-?} of 1000 answered"
assert_true "loss 20% within 5 standard deviations: $((1000 - ${got:-0})) of 1000 lost" within "$((1000 - ${got:-0}))" 137 263

# ---- duplication: 500 pings, 30% of the requests twice (sd 2%) ----
nx "$LAB" g ping -n -q -c 500 -i 0.005 -W 1 10.63.4.2 >"$T_TMP/dup" 2>&1
dups=$(sed -n 's/.* +\([0-9]*\) duplicates.*/\1/p' "$T_TMP/dup")
note "g -> h: ${dups:-0} duplicates of 500"
assert_true "duplicate 30% within 5 standard deviations: ${dups:-0} of 500" within "${dups:-0}" 98 202

# ---- a rate carried by netem, measured with iperf3 ----
nx "$LAB" e ping -n -c 5 -i 0.05 10.63.2.2 >"$T_TMP/rtt2" 2>&1
read -r lo med p10 p90 n < <(stats "$T_TMP/rtt2")
assert_true "e -> f: at least 20ms (min $lo)" within "$lo" 19.9 1000
if command -v iperf3 >/dev/null; then
	"$NSLAB" exec -l "$LAB" f -- iperf3 -s -1 -B 10.63.2.2 >"$T_TMP/iperf-s" 2>&1 </dev/null &
	srv=$!
	listening() { nx "$LAB" f sh -c 'grep -q ":1451 " /proc/net/tcp'; }
	assert_true "iperf3 server listens" wait_for 10 listening
	run nx "$LAB" e iperf3 -c 10.63.2.2 -t 4 -J
	bps=$(jq -r '.end.sum_received.bits_per_second // 0' <<<"$out" 2>/dev/null)
	wait "$srv"
	note "e -> f: ${bps%.*} bit/s through 10mbit"
	assert_true "e -> f: ${bps%.*} bit/s, 10mbit as asked (within 5-10.5 Mbit/s)" within "${bps:-0}" 5e6 10.5e6
else
	not_ok "iperf3 is not installed (scripts/install-deps.sh installs it)"
fi

# ---- in place, under a ping flood: a -> b over eth1 starts at 30ms one way ----
nx "$LAB" a ping -n -c 1000 -i 0.004 -W 2 10.63.3.2 >"$T_TMP/flood" 2>&1 &
flood=$!
sleep 0.8
assert_ok nsl impair -l "$LAB" a:eth1 --delay 60ms
sleep 0.8
assert_ok nsl impair -l "$LAB" a:eth1 --delay 30ms --jitter 2ms
sleep 0.8
assert_ok nsl impair -l "$LAB" b:eth1 --delay 10ms
sleep 0.8
assert_ok nsl impair -l "$LAB" a:eth1 --delay 40ms --jitter 0ms
wait "$flood"
read -r lo med p10 p90 n < <(stats "$T_TMP/flood")
last=$(rtts "$T_TMP/flood" | tail -n 50 | sort -n | head -n 1)
note "flood: $n replies, min $lo, last 50 at least $last (ms)"
assert_true "no packet less impaired than the lowest delay asked, 28ms (min $lo)" within "$lo" 27.9 1000
assert_true "at most 3 of 1000 lost while a qdisc was swapped in (b:eth1: none -> netem): $((1000 - n))" \
	within "$n" 997 1000
assert_true "the last changes hold: 40ms + 10ms (last 50 at least $last)" within "$last" 49.9 1000
assert_jq "$(impair_of a eth1)" '. == {"delay": "40ms"}' "status: a:eth1 as changed"
assert_jq "$(impair_of b eth1)" '. == {"delay": "10ms"}' "status: b:eth1 as changed"

# ---- everything netem takes, as tc reads it back ----
assert_ok nsl impair -l "$LAB" c:eth0 --delay 10ms --reorder 25% --corrupt 0.1% --duplicate 1% --loss 0.5%
q=$(nns "$LAB.c" tc qdisc show dev eth0)
for want in "delay 10ms" "loss 0.5%" "duplicate 1%" "reorder 25%" "corrupt 0.1%" "gap 1"; do
	assert_contains "$q" "$want" "tc: c:eth0"
done
assert_jq "$(impair_of c eth0)" \
	'. == {"delay": "10ms", "loss": "0.5%", "duplicate": "1%", "corrupt": "0.1%", "reorder": "25%"}' \
	"status: c:eth0, read back from the kernel"
assert_ok nsl impair -l "$LAB" c:eth0 --reset
assert_jq "$(impair_of c eth0)" '. == {"loss": "20%"}' "--reset: the topology's"
assert_ok nsl impair -l "$LAB" a:eth0 b:eth0 --clear
nx "$LAB" a ping -n -c 10 -i 0.02 10.63.0.2 >"$T_TMP/rtt9" 2>&1
read -r lo med p10 p90 n < <(stats "$T_TMP/rtt9")
assert_true "--clear: no delay left (median $med)" within "$med" 0 10

lab_down "$LAB"
lab_gone "$LAB"
