#!/usr/bin/env bash
# quick
# Fault injection: NSLAB_FAIL_STEP=k fails the k-th kernel step of `up`. For a lab that uses
# every kind of host-side change (holders, netns binds, a moved device, veths with a rate, a
# host end with addresses, node NAT, host NAT, a host sysctl, mounts, an exec that leaves a
# daemon), every k in 1..N (N from NSLAB_COUNT_STEPS) must fail, say so, and leave nothing:
# no netns, no bind mount, no host link, no nft table, no live process of the lab, no
# /run/nslab/LAB, the host sysctl at its old value, the moved device home as it was.
# Then an up without faults works and down leaves nothing.
# root-only: faults at every kind of host-side change (moved device, host ends, host NAT and sysctls); test_rootless injects them into rootless labs
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need nft

LAB=$(lab_name)
HIF=nslfh$((RANDOM % 10000))  # host end of a host: link (created by nslab)
DEV=nslfd$((RANDOM % 10000))  # a veth of ours (peer ${DEV}p stays), moved into r2 as wan0
MARK=1$$                      # the exec daemon: `sleep $MARK`, a number no one else uses
SYSCTL=net.ipv4.conf.all.log_martians
old_sysctl=$(sysctl -n "$SYSCTL")
new_sysctl=$((1 - old_sysctl))
residue_watch_sysctl "$SYSCTL"

# The moved device: ours, with an address, an MTU and up, so that "home as it was" means
# something. A veth, not a dummy (no dummy module here): if it is not brought home before its
# namespace dies, it dies with it, and its peer with it.
ip link add "$DEV" type veth peer name "${DEV}p" || die "cannot create veth $DEV"
defer ip link del "${DEV}p"
ip link set "$DEV" mtu 1400 up
ip addr add 10.213.0.1/24 dev "$DEV"
dev_state() { # what must be back after every teardown
	ip -j addr show dev "$1" 2>/dev/null |
		jq -c '.[0] | {ifname, mtu, up: (.flags | index("UP") != null), alias: (.ifalias // ""),
			addrs: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"] | sort}'
}
dev_before=$(dev_state "$DEV")
[ -n "$dev_before" ] || die "veth $DEV has no state"

# A second snapshot that includes the veth: the per-step residue check compares with it.
SNAP2=$T_TMP/.snapshot.faults
rsd_snapshot "$SNAP2"
rsd_watch_sysctl "$SNAP2" "$SYSCTL"

F=$(write_topo faults <<EOF
{
  "name": "$LAB",
  "description": "every kind of host-side change",
  "nodes": {
    "h1": {
      "interfaces": { "eth0": { "addresses": ["10.210.1.2/24", "fd42:210:1::2/64"] } },
      "routes": [ { "to": "default", "via": "10.210.1.1" }, { "to": "default", "via": "fd42:210:1::1" } ]
    },
    "r1": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1, "net.ipv4.conf.eth0.rp_filter": 0 },
      "interfaces": {
        "lo": { "addresses": ["10.255.210.1/32"] },
        "eth0": { "addresses": ["10.210.1.1/24", "fd42:210:1::1/64"] },
        "eth1": { "addresses": ["10.210.2.1/24", "fd42:210:2::1/64"], "mtu": 9000 },
        "mgmt": { "addresses": ["10.211.0.2/24", "fd42:211::2/64"] }
      },
      "routes": [ { "to": "10.210.3.0/24", "via": "10.210.2.2" }, { "to": "fd42:210:3::/64", "via": "fd42:210:2::2" } ]
    },
    "r2": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "eth0": { "addresses": ["10.210.2.2/24", "fd42:210:2::2/64"], "mtu": 9000 },
        "eth1": { "addresses": ["10.210.3.1/24", "fd42:210:3::1/64"] },
        "wan0": { "device": "$DEV", "addresses": ["10.214.0.1/24"] }
      },
      "routes": [ { "to": "default", "via": "10.210.2.1" }, { "to": "default", "via": "fd42:210:2::1" } ],
      "nat": [ { "source": "10.210.0.0/16", "out": "wan0", "to": "masquerade" } ]
    },
    "sw1": { "bridges": { "br0": { "ports": ["p1", "p2", "p3"] } } },
    "h2": {
      "interfaces": { "eth0": { "addresses": ["10.210.3.2/24", "fd42:210:3::2/64"] } },
      "routes": [ { "to": "default", "via": "10.210.3.1" }, { "to": "default", "via": "fd42:210:3::1" } ],
      "mounts": [ { "tmpfs": "/mnt" } ],
      "env": { "MARK": "$MARK" },
      "exec": [ ["sh", "-c", "echo ready > /mnt/ready"], ["sh", "-c", "sleep \$MARK >/dev/null 2>&1 &"] ]
    },
    "h3": {
      "hostname": "third",
      "interfaces": { "eth0": { "addresses": ["10.210.3.3/24", "fd42:210:3::3/64"] } },
      "routes": [ { "to": "default", "via": "10.210.3.1" }, { "to": "default", "via": "fd42:210:3::1" } ]
    }
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"], "rate": "100mbit" },
    { "endpoints": ["r1:eth1", "r2:eth0"] },
    { "endpoints": ["r2:eth1", "sw1:p1"] },
    { "endpoints": ["h2:eth0", "sw1:p2"] },
    { "endpoints": ["h3:eth0", "sw1:p3"] },
    { "endpoints": ["host:$HIF", "r1:mgmt"], "rate": "50mbit" }
  ],
  "host": {
    "interfaces": { "$HIF": { "addresses": ["10.211.0.1/24", "fd42:211::1/64"] } },
    "nat": [ { "source": "10.211.0.0/24", "out": "$HIF", "to": "masquerade" } ],
    "sysctls": { "$SYSCTL": $new_sysctl }
  }
}
EOF
)
assert_ok nsl validate "$F"

# Live processes outside the host's network namespace (zombies hold nothing): "pid comm args".
# A holder is a clone of `nslab up` renamed: comm nslab-holder, args those of the up.
foreign_procs() {
	find /proc/[0-9]*/ns/ -maxdepth 1 -name net -printf '%h %l\n' 2>/dev/null |
		awk -v host="$(readlink /proc/self/ns/net)" '$2 != host {
			split($1, p, "/"); st = ""; f = "/proc/" p[3] "/stat"; getline st < f; close(f)
			sub(/^.*\) /, "", st); if (st ~ /^[ZX]/ || st == "") next
			c = ""; f = "/proc/" p[3] "/cmdline"; RS = "\0"; a = ""
			while ((getline w < f) > 0) a = a (a == "" ? "" : " ") w
			close(f); RS = "\n"
			f = "/proc/" p[3] "/comm"; getline c < f; close(f)
			print p[3] " " c " " a }' | sort
}
# The lab's own: holders and what exec started (other labs on the host may have processes).
lab_procs() {
	foreign_procs | grep -E "^[0-9]+ (sleep sleep $MARK|nslab-holder .* up $F|sh sh -c (echo ready|sleep))" |
		grep -vxF -f "$T_TMP/.procs.before" || true
}

daemon_runs() { pgrep -x -f "sleep $MARK" >/dev/null; }

# 1. How many steps: a clean up with the counter on, then down.
run timeout 120 env NSLAB_COUNT_STEPS=1 "$NSLAB" up "$F"
[ "$rc" = 0 ] || { _show "$err" stderr; die "up of the fault lab fails without a fault (exit $rc)"; }
lab_record "$LAB"
N=$(sed -n 's/^nslab: \([0-9][0-9]*\) steps$/\1/p' <<<"$err" | tail -n 1)
if [ -z "$N" ] || [ "$N" -le 0 ]; then die "NSLAB_COUNT_STEPS printed no step count: $err"; fi
ok "up counts $N steps"
assert_eq "$new_sysctl" "$(sysctl -n "$SYSCTL")" "host $SYSCTL while up"
assert_true "the exec daemon runs in h2" daemon_runs
lab_down "$LAB"
lab_gone "$LAB"
assert_eq "$dev_before" "$(dev_state "$DEV")" "$DEV after down"
if r=$(rsd_compare "$SNAP2" "$LAB"); then ok "nothing left after the counting up/down"; else
	not_ok "residue after the counting up/down"
	echo "$r"
fi
foreign_procs | grep -E "^[0-9]+ (sleep sleep $MARK|nslab-holder .* up $F|sh sh -c )" >"$T_TMP/.procs.before" || true

# 2. Every step fails in turn.
# E2E_STEP_STRIDE=S (the VM lane): every S-th step, and the last S, each a whole up.
STRIDE=${E2E_STEP_STRIDE:-1}
[ "$STRIDE" -ge 1 ] || STRIDE=1
[ "$STRIDE" = 1 ] || note "E2E_STEP_STRIDE=$STRIDE: steps 1, $((1 + STRIDE)), ... and the last $STRIDE"
for ((k = 1; k <= N; k++)); do
	if stride_skips "$k" "$N" "$STRIDE"; then continue; fi
	run timeout 120 env NSLAB_FAIL_STEP=$k "$NSLAB" up "$F"
	bad=$(fault_findings)
	[ "$(sysctl -n "$SYSCTL")" = "$old_sysctl" ] || bad+=" $SYSCTL=$(sysctl -n "$SYSCTL");"
	[ "$(dev_state "$DEV")" = "$dev_before" ] || bad+=" $DEV is not home as it was: $(dev_state "$DEV");"
	if ! r=$(rsd_compare "$SNAP2" "$LAB"); then bad+=" residue;"; fi
	left=$(lab_procs)
	[ -z "$left" ] || bad+=" live processes of the lab;"
	if [ -z "$bad" ]; then
		ok "NSLAB_FAIL_STEP=$k: up fails (exit $rc) and leaves nothing ($(head -n1 <<<"$err"))"
	else
		not_ok "NSLAB_FAIL_STEP=$k:$bad"
		_show "$err" stderr
		[ -z "$r" ] || echo "$r"
		_show "$left" process
		# Clean up so that the next step starts from a clean host.
		timeout 120 "$NSLAB" down "$LAB" >/dev/null 2>&1
		[ "$(dev_state "$DEV")" = "$dev_before" ] || {
			ip link show "$DEV" >/dev/null 2>&1 || ip link add "$DEV" type veth peer name "${DEV}p"
			ip addr flush dev "$DEV"
			ip link set "$DEV" mtu 1400 up alias ""
			ip addr add 10.213.0.1/24 dev "$DEV"
		}
		sysctl -qw "$SYSCTL=$old_sysctl"
	fi
done

# A step past the last one never fires: up succeeds.
run timeout 120 env NSLAB_FAIL_STEP=$((N + 1)) "$NSLAB" up "$F"
assert_eq 0 "$rc" "exit of up with NSLAB_FAIL_STEP=$((N + 1)) (past the last step)"
timeout 120 "$NSLAB" down "$LAB" >/dev/null 2>&1

# 3. Without faults: the lab works, then down leaves nothing.
lab_up "$LAB" "$F"
ping_ok "$LAB" h1 10.210.3.2
ping_ok "$LAB" h1 fd42:210:3::3
ping_ok "$LAB" h3 10.210.1.2
ping_ok "$LAB" r2 10.214.0.1
ping_ok "$LAB" r1 10.211.0.1
assert_ok ping -n -c1 -W1 -I "$HIF" 10.211.0.2
assert_eq "$new_sysctl" "$(sysctl -n "$SYSCTL")" "host $SYSCTL while up"
assert_jq "$(ip -n "$LAB.r2" -j link show wan0)" '.[0].mtu == 1400' "moved device in r2 as wan0"
assert_ok nft list table inet "nslab-$LAB"
assert_ok ip netns exec "$LAB.r2" nft list table inet nslab
assert_contains "$out" masquerade "r2's nat table"
assert_ok nsl exec -l "$LAB" h2 -- cat /mnt/ready
assert_eq ready "$out" "h2's exec output in its tmpfs"
assert_true "the exec daemon runs in h2" daemon_runs
# The detector used after every failed up sees the live lab: 6 holders and the daemon.
assert_eq 6 "$(lab_procs | grep -c ' nslab-holder ')" "holders seen by lab_procs while up"
assert_eq 1 "$(lab_procs | grep -c " sleep sleep $MARK$")" "daemons seen by lab_procs while up"
lab_down "$LAB"
lab_gone "$LAB"
assert_eq "$old_sysctl" "$(sysctl -n "$SYSCTL")" "host $SYSCTL after down"
assert_eq "$dev_before" "$(dev_state "$DEV")" "$DEV after down"
assert_eq "" "$(lab_procs)" "live processes of the lab after down"
if r=$(rsd_compare "$SNAP2" "$LAB"); then ok "nothing left after the final down"; else
	not_ok "residue after the final down"
	echo "$r"
fi
