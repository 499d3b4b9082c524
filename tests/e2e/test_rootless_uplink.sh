#!/usr/bin/env bash
# A rootless lab's host of its own: "host": {"uplink": "slirp4netns"}. Its host ends, host
# interfaces and host NAT live in the lab's host (the keeper's network namespace), which
# reaches the host's networks through slirp4netns: a node two hops behind it connects to a
# server on the host's loopback (10.0.2.2 is the host, for slirp4netns: traffic stays on this
# machine; r1 masquerades h1, as a router in front of root's host would, the lab's host having
# no route to h1's network). The lab's host also has the management network's bridge and a
# VXLAN towards r1, both gone with the lab, after faults too. slirp4netns lives as long as the lab: gone after down, after a
# kill -9 of up at any moment then down, after a fault at any step of up, and after a down
# without state.
# user-only: rootless labs, built by a user (tests/e2e/run.sh --rootless)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need slirp4netns perl

# slirps: PIDs of our live slirp4netns processes.
slirps() {
	local p st
	for p in $(pgrep -u "$(id -u)" -x slirp4netns); do
		st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)
		[ "$st" = Z ] || [ -z "$st" ] || echo "$p"
	done
}
no_slirp() { [ -z "$(slirps)" ]; }

LAB=$(lab_name)
F=$(write_topo uplink <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": {
      "interfaces": { "eth0": { "addresses": ["10.97.1.2/24"] } },
      "routes": [ { "to": "default", "via": "10.97.1.1" } ]
    },
    "r1": {
      "sysctls": { "net.ipv4.ip_forward": 1 },
      "interfaces": { "eth0": { "addresses": ["10.97.1.1/24"] }, "up0": { "addresses": ["10.97.0.2/30"] },
                      "vx0": { "kind": "vxlan", "vni": 97, "remote": "10.97.0.1", "dev": "up0", "addresses": ["10.97.3.2/24"] } },
      "routes": [ { "to": "default", "via": "10.97.0.1" } ],
      "nat": [ { "source": "10.97.1.0/24", "out": "up0", "to": "masquerade" } ]
    }
  },
  "links": [ { "endpoints": ["h1:eth0", "r1:eth0"] }, { "endpoints": ["r1:up0", "host:lab0"] } ],
  "mgmt": { "subnet": "10.97.2.0/24" },
  "host": {
    "uplink": "slirp4netns",
    "interfaces": { "lab0": { "addresses": ["10.97.0.1/30"] },
                    "vx97": { "kind": "vxlan", "vni": 97, "remote": "10.97.0.2", "dev": "lab0", "addresses": ["10.97.3.1/24"] } },
    "nat": [ { "source": "10.97.1.0/24", "out": "uplink0", "to": "masquerade" } ],
    "sysctls": { "net.ipv4.conf.all.rp_filter": 0 }
  }
}
EOF
)
assert_ok nsl validate "$F"
assert_status 1 nsl validate --root "$F"
assert_contains "$err" "host.uplink: an uplink is for rootless labs" "validate --root of a lab with an uplink"

# A server on the host's loopback: one line to each connection (ten at most).
PORT=$((20000 + RANDOM % 20000))
serve() {
	perl -MSocket -e 'socket(S, AF_INET, SOCK_STREAM, 0) or die "socket: $!";
		setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1);
		bind(S, pack_sockaddr_in('"$PORT"', inet_aton("127.0.0.1"))) or die "bind: $!";
		listen(S, 5) or die "listen: $!"; open(R, ">", $ARGV[0]); close(R);
		for (1 .. 10) { accept(C, S) or last; print C "hello from the host\n"; close(C) }' \
		"$T_TMP/listening" </dev/null >/dev/null 2>&1 &
	SERVER=$!
	wait_for 5 test -e "$T_TMP/listening" || not_ok "the server on 127.0.0.1:$PORT did not start"
}
serve
defer kill "$SERVER"

lab_up "$LAB" "$F"
assert_true "slirp4netns runs for the lab" test -n "$(slirps)"
# The lab's host: its uplink, its host end, forwarding.
assert_ok nx "$LAB" h1 bash -c "exec 3<>/dev/tcp/10.0.2.2/$PORT && head -n 1 <&3"
assert_eq "hello from the host" "$out" "h1, two hops behind the lab's host, reaches the host's loopback"
assert_ok nx "$LAB" r1 bash -c "exec 3<>/dev/tcp/10.0.2.2/$PORT && head -n 1 <&3"
assert_eq "hello from the host" "$out" "r1 reaches the host's loopback"
ping_ok "$LAB" h1 10.97.0.1
# The management network and a VXLAN of the host, in the lab's host.
ping_ok "$LAB" h1 10.97.2.1
ping_ok "$LAB" r1 10.97.2.2 -I 10.97.2.3
ping_ok "$LAB" r1 10.97.3.1
assert_jq "$(hip "$LAB" -j -d link show vx97)" ".[0].ifalias == \"nslab:$LAB\" and .[0].linkinfo.info_kind == \"vxlan\"" \
	"the lab's host has its VXLAN, marked"
lab_down "$LAB"
lab_gone "$LAB"
assert_true "slirp4netns is gone after down" wait_for 2 no_slirp

# kill -9 of up at any moment, then down.
for delay in 0 2 4 6 8 12 16 25; do
	"$NSLAB" up "$F" >/dev/null 2>&1 &
	up_pid=$!
	[ "$delay" = 0 ] || sleep "$(printf '0.%03d' "$delay")"
	kill -9 "$up_pid" 2>/dev/null
	{ wait "$up_pid"; } 2>/dev/null
	run timeout 60 "$NSLAB" down "$LAB"
	bad=""
	[ "$rc" = 0 ] || bad+=" down exits $rc;"
	r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$LAB") || bad+=" lab traces;"
	u=$(rsd_poll rsd_foreign_userns) || bad+=" processes in a lab's user namespace;"
	wait_for 2 no_slirp || bad+=" slirp4netns left: $(slirps | tr '\n' ' ');"
	if [ -z "$bad" ]; then
		ok "kill -9 of up after ${delay} ms, then down: nothing left"
	else
		not_ok "kill -9 of up after ${delay} ms, then down:$bad"
		[ -z "$r" ] || echo "$r"
		[ -z "$u" ] || echo "$u"
	fi
done

# A fault at every step of up.
run env NSLAB_COUNT_STEPS=1 "$NSLAB" up "$F"
N=$(sed -n 's/^nslab: \([0-9]*\) steps$/\1/p' <<<"$err")
lab_down "$LAB"
if [ -z "$N" ] || [ "$N" -le 5 ]; then die "NSLAB_COUNT_STEPS printed no step count: $err"; fi
for k in $(seq 1 "$N"); do
	run env NSLAB_FAIL_STEP="$k" timeout 60 "$NSLAB" up "$F"
	bad=""
	[ "$rc" = 1 ] || bad+=" up exits $rc;"
	[[ $err != *"rollback incomplete"* ]] || bad+=" rollback incomplete;"
	r=$(rsd_poll rsd_lab_traces "$E2E_SNAP" "$LAB") || bad+=" residue;"
	wait_for 2 no_slirp || bad+=" slirp4netns left;"
	if [ -z "$bad" ]; then
		ok "NSLAB_FAIL_STEP=$k: nothing left ($(head -n 1 <<<"$err"))"
	else
		not_ok "NSLAB_FAIL_STEP=$k:$bad"
		_show "$err" stderr
		[ -z "$r" ] || echo "$r"
		timeout 60 "$NSLAB" down "$LAB" >/dev/null 2>&1
	fi
done

# Without state, down finds the keeper by its mark; slirp4netns goes with it.
lab_up "$LAB" "$F"
assert_ok rm -rf "${E2E_STATE:?}/$LAB"
assert_ok nsl down "$LAB"
lab_gone "$LAB"
assert_true "slirp4netns is gone after a down without state" wait_for 2 no_slirp

# Once more, whole.
lab_up "$LAB" "$F"
assert_ok nx "$LAB" h1 bash -c "exec 3<>/dev/tcp/10.0.2.2/$PORT && head -n 1 <&3"
assert_eq "hello from the host" "$out" "h1 reaches the host's loopback again"
lab_down "$LAB"
assert_true "slirp4netns is gone at the end" wait_for 2 no_slirp
