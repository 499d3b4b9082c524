#!/usr/bin/env bash
# Faults in teardown (issue 10 item 11): NSLAB_FAIL_DOWN_STEP=k fails the k-th step of `down`
# (killing, unbinding, host links, the host nft table, host sysctls, moved devices home). For
# every k, that down fails and says so, keeps the state, and a second down leaves nothing: no
# netns, no process of the lab, no host link, no nft table, the host sysctl and the moved
# device as they were.
# lane: host (every step of down failed in turn: teardown's own logic, a step at a time; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need nft

LAB=$(lab_name)
HIF=nsldh$((RANDOM % 10000))
DEV=nsldd$((RANDOM % 10000))
MARK=2$$
SYSCTL=net.ipv4.conf.all.log_martians
old_sysctl=$(sysctl -n "$SYSCTL")
new_sysctl=$((1 - old_sysctl))
residue_watch_sysctl "$SYSCTL"

ip link add "$DEV" type veth peer name "${DEV}p" || die "cannot create veth $DEV"
defer ip link del "${DEV}p"
ip link set "$DEV" mtu 1400 up alias "theirs"
ip addr add 10.216.0.1/24 dev "$DEV"
dev_state() {
	ip -j addr show dev "$1" 2>/dev/null |
		jq -c '.[0] | {ifname, mtu, up: (.flags | index("UP") != null), alias: (.ifalias // ""),
			addrs: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"] | sort}'
}
dev_before=$(dev_state "$DEV")
SNAP2=$T_TMP/.snapshot.down
rsd_snapshot "$SNAP2"
rsd_watch_sysctl "$SNAP2" "$SYSCTL"

F=$(write_topo downfaults <<EOF
{
  "name": "$LAB",
  "nodes": {
    "r1": {
      "interfaces": {
        "eth0": { "addresses": ["10.215.1.1/24"] },
        "mgmt": { "addresses": ["10.215.9.2/24"] },
        "wan0": { "device": "$DEV", "addresses": ["10.216.1.1/24"] }
      },
      "nat": [ { "source": "10.215.0.0/16", "out": "wan0", "to": "masquerade" } ]
    },
    "h1": {
      "interfaces": { "eth0": { "addresses": ["10.215.1.2/24"] } },
      "env": { "MARK": "$MARK" },
      "exec": [ ["sh", "-c", "sleep \$MARK >/dev/null 2>&1 &"] ]
    }
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"] },
    { "endpoints": ["host:$HIF", "r1:mgmt"] }
  ],
  "host": {
    "interfaces": { "$HIF": { "addresses": ["10.215.9.1/24"] } },
    "nat": [ { "source": "10.215.9.0/24", "out": "$HIF", "to": "masquerade" } ],
    "sysctls": { "$SYSCTL": $new_sysctl }
  }
}
EOF
)
assert_ok nsl validate "$F"

daemon_runs() { pgrep -x -f "sleep $MARK" >/dev/null; }

# How many steps a down takes.
lab_up "$LAB" "$F"
run timeout 120 env NSLAB_COUNT_STEPS=1 "$NSLAB" down "$LAB"
[ "$rc" = 0 ] || die "down fails without a fault (exit $rc): $err"
N=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$N" ] || [ "$N" -le 3 ]; then die "NSLAB_COUNT_STEPS printed no step count for down: $err"; fi
ok "down counts $N steps"

for ((k = 1; k <= N; k++)); do
	lab_up "$LAB" "$F"
	run timeout 120 env NSLAB_FAIL_DOWN_STEP=$k "$NSLAB" down "$LAB"
	bad=""
	[ "$rc" = 1 ] || bad+=" exit $rc, expected 1;"
	[[ $err == *"injected fault at down step $k"* ]] || bad+=" stderr lacks the fault;"
	[ -d "/run/nslab/$LAB" ] || bad+=" the state went with a failed down;"
	run timeout 120 "$NSLAB" down "$LAB"
	[ "$rc" = 0 ] || bad+=" the second down exits $rc ($err);"
	[ "$(sysctl -n "$SYSCTL")" = "$old_sysctl" ] || bad+=" $SYSCTL=$(sysctl -n "$SYSCTL");"
	[ "$(dev_state "$DEV")" = "$dev_before" ] || bad+=" $DEV not home as it was: $(dev_state "$DEV");"
	! daemon_runs || bad+=" the lab's daemon still runs;"
	if ! r=$(rsd_compare "$SNAP2" "$LAB"); then bad+=" residue;"; fi
	if [ -z "$bad" ]; then
		ok "NSLAB_FAIL_DOWN_STEP=$k: down fails, a second down leaves nothing"
	else
		not_ok "NSLAB_FAIL_DOWN_STEP=$k:$bad"
		[ -z "$r" ] || echo "$r"
		timeout 120 "$NSLAB" down "$LAB" >/dev/null 2>&1
		sysctl -qw "$SYSCTL=$old_sysctl"
	fi
done
lab_gone "$LAB"
