#!/usr/bin/env bash
# Link rate: a token bucket (tbf) of that rate on both ends; with iperf3, the throughput in each
# direction lies between half the rate and 1.5 times it.
# feature: rate
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo rate <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.73.0.1/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.73.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"], "rate": "10mbit" } ]
}
EOF
)
lab_up "$LAB" "$F"

for n in a b; do
	q=$(tc -n "$LAB.$n" -j qdisc show dev eth0)
	assert_jq "$q" 'any(.[]; .kind == "tbf" and .options.rate == 1250000)' "$n eth0 has tbf at 10mbit (1250000 bytes/s)"
done
ping_ok "$LAB" a 10.73.0.2

need iperf3 # last: a missing iperf3 skips only the throughput (the qdisc checks ran)
"$NSLAB" exec -l "$LAB" b -- iperf3 -s -1 -B 10.73.0.2 >"$T_TMP/iperf-s1" 2>&1 </dev/null &
srv=$!
listening() { nx "$LAB" b sh -c 'grep -q ":1451 " /proc/net/tcp'; } # 5201 = 0x1451, listening
assert_true "iperf3 server listens" wait_for 5 listening
run nx "$LAB" a iperf3 -c 10.73.0.2 -t 3 -J
bps=$(jq -r '.end.sum_received.bits_per_second // 0' <<<"$out" 2>/dev/null)
wait "$srv"
assert_true "a -> b: ${bps%.*} bit/s within 5-15 Mbit/s" awk -v b="${bps:-0}" 'BEGIN { exit !(b > 5e6 && b < 15e6) }'
"$NSLAB" exec -l "$LAB" b -- iperf3 -s -1 -B 10.73.0.2 >"$T_TMP/iperf-s2" 2>&1 </dev/null &
srv=$!
assert_true "iperf3 server listens" wait_for 5 listening
run nx "$LAB" a iperf3 -c 10.73.0.2 -t 3 -R -J
bps=$(jq -r '.end.sum_received.bits_per_second // 0' <<<"$out" 2>/dev/null)
wait "$srv"
assert_true "b -> a: ${bps%.*} bit/s within 5-15 Mbit/s" awk -v b="${bps:-0}" 'BEGIN { exit !(b > 5e6 && b < 15e6) }'
