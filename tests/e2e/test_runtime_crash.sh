#!/usr/bin/env bash
# A lab changed at run time tears down cleanly after a crash: nslab impair and nslab link
# killed -9 between their record and the kernel's change, and between the change and the
# record's completion: status tells the change was cut short, the next change goes through,
# and `down` leaves nothing, also with the lab's state lost (a host end set down is still
# found by its mark). An injected fault before the change leaves the record as it was. As a
# user, the host end is in the lab's own host (an uplink), and goes with the lab.
# lane: host (nslab's own records and teardown: the same on every kernel; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tc
lab_host
LAB=$(lab_name)
HIF=nslk$((RANDOM % 10000))
F=$(write_topo rtcrash <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "interfaces": { "eth0": { "addresses": ["10.64.0.1/24"] } } },
    "b": { "interfaces": { "eth0": { "addresses": ["10.64.0.2/24"] }, "eth1": { "addresses": ["10.64.1.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"], "rate": "10mbit" },
             { "endpoints": ["host:$HIF", "b:eth1"] } ],
  "host": { $LAB_HOST"interfaces": { "$HIF": { "addresses": ["10.64.1.1/24"] } } }
}
EOF
)
lab_up "$LAB" "$F"

stopped() {
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ]
}
# crash STEP ARGS...: nslab ARGS stopped before its runtime step STEP, then killed -9
crash() {
	local step=$1 pid
	shift
	NSLAB_STOP_RUNTIME_STEP=$step "$NSLAB" "$@" >/dev/null 2>&1 &
	pid=$!
	if wait_for 10 stopped "$pid"; then
		ok "nslab $* stopped before its step $step"
	else
		not_ok "nslab $* did not stop at step $step"
	fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
}
pending_of() {
	nsl status "$LAB" --json | jq -r --arg n "$1" --arg i "$2" \
		'.labs[0].nodes[] | select(.name == $n) | .interfaces[] | select(.name == $i) | .change_pending // false'
}
rate_of() {
	nns "$LAB.$1" tc -j qdisc show dev "$2" | jq '.[] | select(.root == true) | .options.rate // 0'
}

# ---- a fault before the change: the record as it was ----
run env NSLAB_FAIL_RUNTIME_STEP=2 "$NSLAB" impair -l "$LAB" a:eth0 --rate 20mbit
assert_rc_fail "impair with a fault before the change"
assert_contains "$err" "injected fault" "the message"
assert_eq 1250000 "$(rate_of a eth0)" "the kernel unchanged"
assert_eq false "$(pending_of a eth0)" "nothing pending"

# ---- killed after its record, before the change ----
crash 2 impair -l "$LAB" a:eth0 --rate 20mbit
assert_eq 1250000 "$(rate_of a eth0)" "the kernel unchanged"
assert_eq true "$(pending_of a eth0)" "status: the change was cut short"
run nsl status "$LAB"
assert_contains "$out" "(a change was cut short)" "status text"
assert_ok nsl impair -l "$LAB" a:eth0 --rate 30mbit
assert_eq 3750000 "$(rate_of a eth0)" "the next change goes through (the lock was released)"
assert_eq false "$(pending_of a eth0)" "and is not pending"

# ---- killed after the change, before its record is complete ----
crash 3 link -l "$LAB" "host:$HIF" down
assert_jq "$(hip "$LAB" -j link show "$HIF")" '.[0].flags | index("UP") | not' "the host end was set down"
assert_eq true "$(pending_of b eth1)" "status: pending on the other end too"
crash 3 impair -l "$LAB" b:eth0 --rate 1mbit
assert_eq 125000 "$(rate_of b eth0)" "the kernel changed"

# ---- down leaves nothing ----
lab_down "$LAB"
lab_gone "$LAB"
run ip link show dev "$HIF"
assert_rc_fail "the host end is gone"

# ---- the same with the lab's state lost ----
LAB2=$(lab_name)
HIF2=nslk$((RANDOM % 10000))
sed -e "s/\"$LAB\"/\"$LAB2\"/" -e "s/$HIF/$HIF2/g" "$F" >"$T_TMP/rtcrash2.json"
lab_up "$LAB2" "$T_TMP/rtcrash2.json"
assert_ok nsl link -l "$LAB2" "host:$HIF2" down
crash 3 impair -l "$LAB2" a:eth0 --rate 2mbit
rm -rf "${E2E_STATE:?}/$LAB2"
lab_down "$LAB2"
lab_gone "$LAB2"
run ip link show dev "$HIF2"
assert_rc_fail "the host end set down is gone, found by its mark"
