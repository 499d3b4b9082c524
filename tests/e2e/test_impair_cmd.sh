#!/usr/bin/env bash
# Impairments on any kernel: nslab impair changes a rate (a token bucket) in place (the same
# qdisc, changed, never removed and added again), --reset goes back to the topology's, --clear
# and --rate 0 to nothing; status --json shows the kernel's values; bad values and
# combinations are refused and change nothing. Where the kernel has no netem (this CI's),
# `up` with an impairment fails before building, naming the module, and nslab impair --delay
# fails and changes nothing; where it has netem, both work (test_impair measures them).
# quick
# lane: host (nslab's own records and refusals; netem's side is test_impair's; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tc
# have_netem: whether the kernel has netem (the reason in NETEM_WHY if not)
NETEM_WHY=""
have_netem() {
	have_kernel netem && return 0
	NETEM_WHY=$E2E_KERNEL_WHY
	return 1
}
have_netem || true # before anything is made: a module it loads is no residue

lab_host
LAB=$(lab_name)
HIF=nsli$((RANDOM % 10000))
F=$(write_topo impaircmd <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.65.0.1/24"] }, "eth1": {} } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.65.0.2/24"] }, "eth1": {} } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"], "rate": "10mbit" },
             { "endpoints": ["a:eth1", "b:eth1"] },
             { "endpoints": ["host:$HIF", "a:eth2"], "impair": { "rate": "3mbit" } } ],
  "host": { ${LAB_HOST%, } }
}
EOF
)
lab_up "$LAB" "$F"

# qdisc NODE IF: the root qdisc, one line of JSON
qdisc() {
	nns "$LAB.$1" tc -j qdisc show dev "$2" | jq -c '.[] | select(.root == true)'
}
# impair_of NODE IF: the impairment status --json shows
impair_of() {
	nsl status "$LAB" --json | jq -c --arg n "$1" --arg i "$2" \
		'.labs[0].nodes[] | select(.name == $n) | .interfaces[] | select(.name == $i) | .impair // {}'
}

q0=$(qdisc a eth0)
assert_jq "$q0" '.kind == "tbf" and .options.rate == 1250000' "a:eth0: the topology's 10mbit"
assert_jq "$(impair_of a eth0)" '. == {"rate": "10mbit"}' "status shows rate 10mbit"
assert_ok nsl impair -l "$LAB" a:eth0
assert_eq "a:eth0: rate 10mbit" "$out" "impair without values shows it"

# ---- in place ----
assert_ok nsl impair -l "$LAB" a:eth0 --rate 20mbit
q=$(qdisc a eth0)
assert_jq "$q" '.kind == "tbf" and .options.rate == 2500000' "a:eth0 now 20mbit"
assert_eq "$(jq -r .handle <<<"$q0")" "$(jq -r .handle <<<"$q")" "the same qdisc, changed in place"
assert_jq "$(qdisc b eth0)" '.options.rate == 1250000' "b:eth0 (the other direction) untouched"
assert_jq "$(impair_of a eth0)" '. == {"rate": "20mbit"}' "status shows rate 20mbit"
assert_jq "$(cat "$E2E_STATE/$LAB/runtime.json")" \
	'.interfaces[] | select(.node == "a" and .interface == "eth0") | .impair == {"rate": "20mbit"} and .pending == false' \
	"runtime.json records it, not pending"
assert_ok nsl impair -l "$LAB" "$LAB.a:eth0" --reset
assert_jq "$(qdisc a eth0)" '.kind == "tbf" and .options.rate == 1250000' "--reset: the topology's 10mbit"
assert_ok nsl impair -l "$LAB" a:eth0 --clear
assert_jq "$(qdisc a eth0)" '.kind == "noqueue"' "--clear: the kernel's default qdisc"
assert_jq "$(impair_of a eth0)" '. == {}' "status: no impairment"
assert_ok nsl impair -l "$LAB" a:eth1 b:eth1 --rate 5mbit
for n in a b; do
	assert_jq "$(qdisc $n eth1)" '.kind == "tbf" and .options.rate == 625000' "$n:eth1: a rate where there was none"
done
assert_ok nsl impair -l "$LAB" a:eth1 --rate 0
assert_jq "$(qdisc a eth1)" '.kind == "noqueue"' "--rate 0 removes it"
ping_ok "$LAB" a 10.65.0.2

# ---- a host end (its qdisc in the host; a user's: in the lab's own host) ----
hq() { hns "$LAB" tc -j qdisc show dev "$HIF" | jq -c '.[] | select(.root == true)'; }
assert_jq "$(hq)" '.kind == "tbf" and .options.rate == 375000' "host end: the topology's 3mbit"
assert_ok nsl impair -l "$LAB" "host:$HIF" --rate 4mbit
assert_jq "$(hq)" '.kind == "tbf" and .options.rate == 500000' "host end: 4mbit"
assert_jq "$(nns "$LAB.a" tc -j qdisc show dev eth2)" 'any(.[]; .kind == "tbf" and .options.rate == 375000)' \
	"a:eth2 (the other direction) untouched"

# ---- refusals: nothing changes ----
before=$(qdisc b eth0)
refuse() {
	run nsl impair -l "$LAB" "$@"
	assert_rc_fail "impair $*"
	assert_eq "$before" "$(qdisc b eth0)" "impair $* changed nothing"
}
refuse b:eth0 --loss 5
assert_contains "$err" "--loss '5': a percentage needs its '%'" "the message"
refuse b:eth0 --jitter 1ms
assert_contains "$err" "--jitter: a jitter needs a delay" "the message"
refuse b:eth0 --delay 61s
refuse b:eth0 --delay 1.5
refuse b:eth0 --reorder 5%
refuse b:eth0 --rate 18gbit
refuse b:eth0 --rate
refuse b:eth0 --clear --reset
refuse b:eth0 --bogus 1
refuse b:lo --rate 1mbit
assert_contains "$err" "the loopback, not an end of a link" "the message"
refuse b:eth9 --rate 1mbit
refuse b:eth0 c:eth0 --rate 1mbit

# ---- netem: there or not ----
if have_netem; then
	assert_ok nsl impair -l "$LAB" b:eth0 --delay 10ms --loss 0.5%
	q=$(qdisc b eth0)
	assert_jq "$q" '.kind == "netem"' "b:eth0: netem"
	assert_jq "$(impair_of b eth0)" '. == {"delay": "10ms", "loss": "0.5%", "rate": "10mbit"}' \
		"netem carries the link's rate"
else
	note "this kernel has no netem: $NETEM_WHY"
	refuse b:eth0 --delay 10ms
	assert_contains "$err" "impairments need the kernel's netem qdisc (module sch_netem)" "the message"
	assert_jq "$(cat "$E2E_STATE/$LAB/runtime.json")" '[.interfaces[] | select(.pending)] | length == 0' \
		"a refused change is not left pending"
fi
lab_down "$LAB"
lab_gone "$LAB"

LAB2=$(lab_name)
F2=$(write_topo impairnetem <<EOF
{
  "name": "$LAB2",
  "nodes": { "a": { "interfaces": { "eth0": { "addresses": ["10.65.1.1/24"] } } },
             "b": { "interfaces": { "eth0": { "addresses": ["10.65.1.2/24"] } } } },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"], "impair": { "delay": "5ms" } } ]
}
EOF
)
if have_netem; then
	lab_up "$LAB2" "$F2"
	assert_jq "$(nns "$LAB2.a" tc -j qdisc show dev eth0)" 'any(.[]; .kind == "netem")' "up: netem"
	lab_down "$LAB2"
else
	run nsl up "$F2"
	assert_rc_fail "up with an impairment on a kernel without netem"
	assert_contains "$err" "links[0].impair: impairments need the kernel's netem qdisc (module sch_netem)" "the message"
	run nsl status "$LAB2"
	assert_rc_fail "nothing was built"
fi
lab_gone "$LAB2"
