#!/usr/bin/env bash
# Concurrency. Two `up` of one lab at once: exactly one wins, the other fails with a clear
# message and changes nothing; the winner's lab works. Eight labs of different names up in
# parallel, pinged, downed in parallel, for several cycles. `up` and `down` of one lab racing:
# both exit as they should and the lab is either whole (state, holders, pings) or wholly gone.
# lane: host (nslab's own locking; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# topo LAB STEM [HOSTIF]: a three-node line h1 - r - h2 (v4 and v6), optionally a host end on r.
topo() {
	local host_link="" host=""
	if [ -n "${3:-}" ]; then
		host_link=", { \"endpoints\": [\"host:$3\", \"r:up0\"] }"
		host=", \"host\": { \"interfaces\": { \"$3\": { \"addresses\": [\"10.233.0.1/24\"] } } }"
	fi
	write_topo "$2" <<EOF
{
  "name": "$1",
  "nodes": {
    "h1": {
      "interfaces": { "eth0": { "addresses": ["10.230.1.2/24", "fd42:230:1::2/64"] } },
      "routes": [ { "to": "default", "via": "10.230.1.1" }, { "to": "default", "via": "fd42:230:1::1" } ]
    },
    "r": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "eth0": { "addresses": ["10.230.1.1/24", "fd42:230:1::1/64"] },
        "eth1": { "addresses": ["10.230.2.1/24", "fd42:230:2::1/64"] }
        $([ -n "${3:-}" ] && echo ', "up0": { "addresses": ["10.233.0.2/24"] }')
      }
    },
    "h2": {
      "interfaces": { "eth0": { "addresses": ["10.230.2.2/24", "fd42:230:2::2/64"] } },
      "routes": [ { "to": "default", "via": "10.230.2.1" }, { "to": "default", "via": "fd42:230:2::1" } ]
    }
  },
  "links": [ { "endpoints": ["h1:eth0", "r:eth0"] }, { "endpoints": ["r:eth1", "h2:eth0"] } $host_link ]
  $host
}
EOF
}

# lab_whole LAB: the lab is up and complete: three live holders, pings across it.
lab_whole() {
	local lab=$1 n
	n=$(lab_pids "$lab" | awk '{ print $2 }' | while read -r p; do [ -d "/proc/$p" ] && echo "$p"; done | wc -l)
	assert_eq 3 "$n" "live holders of $lab"
	ping_ok "$lab" h1 10.230.2.2
	ping_ok "$lab" h2 fd42:230:1::2
}

# ---- 1. two up of the same lab at once ----

LAB=$(lab_name)
HIF=nslc$((RANDOM % 10000))
F=$(topo "$LAB" same "$HIF")
for round in 1 2 3 4 5; do
	"$NSLAB" up "$F" >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
	pa=$!
	"$NSLAB" up "$F" >"$T_TMP/b.out" 2>"$T_TMP/b.err" &
	pb=$!
	wait "$pa"
	ra=$?
	wait "$pb"
	rb=$?
	if [ "$ra" = 0 ] && failed_cleanly "$rb"; then
		loser=b
	elif [ "$rb" = 0 ] && failed_cleanly "$ra"; then
		loser=a
	else
		not_ok "round $round: two concurrent ups of $LAB: $(rc_what "$ra") and $(rc_what "$rb"): expected one 0 and one clean failure"
		_show "$(cat "$T_TMP/a.err")" "a stderr"
		_show "$(cat "$T_TMP/b.err")" "b stderr"
		lab_down "$LAB"
		continue
	fi
	ok "round $round: of two concurrent ups of $LAB exactly one succeeds"
	lerr=$(cat "$T_TMP/$loser.err")
	assert_match "$lerr" "$LAB.*(already up|being built|is taken|exists)" "round $round: the loser's stderr"
	assert_not_contains "$lerr" "rollback incomplete" "round $round: the loser's stderr"
	lab_record "$LAB"
	lab_whole "$LAB"
	assert_jq "$(ip -j link show dev "$HIF")" ".[0].ifalias == \"nslab:$LAB\"" "round $round: host end"
	ping_ok "$LAB" r 10.233.0.1
	lab_down "$LAB"
	lab_gone "$LAB"
done

# ---- 2. eight labs in parallel, several cycles ----

labs=()
files=()
for i in 1 2 3 4 5 6 7 8; do
	l=$(lab_name)
	labs+=("$l")
	files+=("$(topo "$l" "par$i")")
done
for cycle in 1 2 3 4 5; do
	pids=()
	for i in "${!labs[@]}"; do
		"$NSLAB" up "${files[$i]}" >"$T_TMP/up$i.out" 2>"$T_TMP/up$i.err" &
		pids+=($!)
	done
	fails=""
	for i in "${!labs[@]}"; do
		wait "${pids[$i]}" || fails+=" ${labs[$i]}"
	done
	if [ -z "$fails" ]; then ok "cycle $cycle: 8 labs up in parallel"; else
		not_ok "cycle $cycle: up failed for:$fails"
		for i in "${!labs[@]}"; do _show "$(cat "$T_TMP/up$i.err")" "up ${labs[$i]}"; done
	fi
	for l in "${labs[@]}"; do
		lab_record "$l"
		ping_ok "$l" h1 10.230.2.2
	done
	pids=()
	for i in "${!labs[@]}"; do
		"$NSLAB" down "${labs[$i]}" >"$T_TMP/down$i.out" 2>"$T_TMP/down$i.err" &
		pids+=($!)
	done
	fails=""
	for i in "${!labs[@]}"; do
		wait "${pids[$i]}" || fails+=" ${labs[$i]}"
	done
	if [ -z "$fails" ]; then ok "cycle $cycle: 8 labs down in parallel"; else
		not_ok "cycle $cycle: down failed for:$fails"
		for i in "${!labs[@]}"; do _show "$(cat "$T_TMP/down$i.err")" "down ${labs[$i]}"; done
	fi
	for l in "${labs[@]}"; do
		if r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$l"); then :; else
			not_ok "cycle $cycle: lab $l is not gone"
			echo "$r"
		fi
	done
done
ok "5 cycles of 8 parallel labs done"

# ---- 3. up and down of one lab racing ----

L3=$(lab_name)
HIF3=nslc$((RANDOM % 10000))
F3=$(topo "$L3" race "$HIF3")
for round in $(seq 1 8); do
	delay=$((RANDOM % 40))
	"$NSLAB" up "$F3" >"$T_TMP/u.out" 2>"$T_TMP/u.err" &
	pu=$!
	if [ $((round % 2)) = 0 ]; then sleep "$(printf '0.%03d' "$delay")"; fi
	"$NSLAB" down "$L3" >"$T_TMP/d.out" 2>"$T_TMP/d.err" &
	pd=$!
	wait "$pu"
	ru=$?
	wait "$pd"
	rd=$?
	what="round $round (down $([ $((round % 2)) = 0 ] && echo "${delay} ms after" || echo "at once with") up)"
	[ "$rd" = 0 ] || { not_ok "$what: down exits $rd"; _show "$(cat "$T_TMP/d.err")" "down stderr"; }
	if [ "$ru" != 0 ]; then
		# Allowed only as a clean failure (down tore down what up was building).
		note "$what: up exits $ru: $(head -n 2 "$T_TMP/u.err")"
		failed_cleanly "$ru" || not_ok "$what: up: $(rc_what "$ru")"
		assert_not_contains "$(cat "$T_TMP/u.err")" "rollback incomplete" "$what: up stderr"
	fi
	if [ -e "/run/nslab/$L3" ]; then
		ok "$what: up $ru, down $rd: the lab is up"
		lab_record "$L3"
		lab_whole "$L3"
		assert_ok ip -j link show dev "$HIF3"
		for n in h1 r h2; do
			assert_true "$what: /run/netns/$L3.$n exists" [ -e "/run/netns/$L3.$n" ]
		done
		lab_down "$L3"
	else
		ok "$what: up $ru, down $rd: the lab is down"
	fi
	if r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$L3"); then ok "$what: nothing left after down"; else
		not_ok "$what: lab $L3 is not gone"
		echo "$r"
		timeout 60 "$NSLAB" down "$L3" >/dev/null 2>&1
	fi
done
