#!/usr/bin/env bash
# validate: every topologies/*.json and a known-good file pass (as root and as nobody); bad
# files fail naming the file and the place (line and column, or the JSON path); `up` of each
# bad file fails and leaves nothing (the residue check at exit compares the whole host).
# lane: host (refusals made before the kernel is touched; left out of the VM lane for time)
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
NOBODY_NSLAB=$(nobody_nslab) # validate needs no root: checked as nobody too, on copies

GOOD=$(write_topo good <<EOF
{
  "name": "$LAB",
  "description": "all the keys of the contract",
  "nodes": {
    "h1": {
      "hostname": "client",
      "description": "a host",
      "interfaces": { "eth0": { "addresses": ["10.7.1.2/24", "fd42:7:1::2/64"], "mtu": 1400, "mac": "02:00:00:00:07:02", "up": true } },
      "routes": [ { "to": "default", "via": "10.7.1.1" }, { "to": "default", "via": "fd42:7:1::1" } ],
      "env": { "A": "b" },
      "exec": [ ["true"] ],
      "mounts": [ { "tmpfs": "/var/run/e2e" } ]
    },
    "r1": {
      "sysctls": { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1 },
      "interfaces": {
        "lo": { "addresses": ["10.255.0.1/32"] },
        "eth0": { "addresses": ["10.7.1.1/24", "fd42:7:1::1/64"] },
        "eth1": { "addresses": ["10.7.2.1/24"] }
      },
      "routes": [ { "to": "10.7.9.0/24", "via": "10.7.2.2", "dev": "eth1", "metric": 10, "src": "10.7.2.1" },
                  { "to": "10.7.8.0/24", "dev": "eth1" } ],
      "nat": [ { "source": "10.7.1.0/24", "out": "eth1", "to": "masquerade" },
               { "to": "10.7.2.1" }, { "to": "10.7.2.1-10.7.2.3" } ]
    },
    "sw1": { "bridges": { "br0": { "ports": ["p1", "p2"], "addresses": ["10.7.2.3/24"], "stp": false } } },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.7.2.2/24"] } } }
  },
  "links": [
    { "endpoints": ["h1:eth0", "r1:eth0"], "description": "lan" },
    { "endpoints": ["r1:eth1", "sw1:p1"], "mtu": 9000, "rate": "100mbit" },
    { "endpoints": ["h2:eth0", "sw1:p2"] }
  ]
}
EOF
)

assert_ok nsl validate "$GOOD"
chmod 0644 "$GOOD"
assert_ok as_nobody "$NOBODY_NSLAB" validate "$GOOD"
shopt -s nullglob
examples=("$E2E_ROOT"/topologies/*.json "$E2E_ROOT"/topologies/*.yaml)
assert_true "topologies/ holds examples to validate" [ ${#examples[@]} -gt 0 ]
mkdir -m 0755 "$T_TMP/examples"
# An example with a management network or an overlay over the host's root is root's (a
# rootless lab needs a host of its own for the one, and the kernel refuses it the other): for a
# user, that is all validate refuses in it.
for f in "${examples[@]}"; do
	root=()
	run nsl validate --rootless "$f"
	if [ "$rc" != 0 ]; then
		root=(--root)
		paths=$(sed -n 's/^[^ ]*:[0-9]*:[0-9]*: \([^:]*\): .*/\1/p' <<<"$err" | sort -u | tr '\n' ' ')
		assert_match "$paths" '^((mgmt|rootfs|nodes\.[a-z0-9]+\.rootfs) )+$' \
			"validate --rootless $(basename "$f"): only its management network or overlay is refused"
	fi
	assert_ok nsl validate "${root[@]}" "$f"
	install -m 0644 "$f" "$T_TMP/examples/"
	assert_ok as_nobody "$NOBODY_NSLAB" validate "${root[@]}" "$T_TMP/examples/$(basename "$f")"
done

# bad NAME FRAGMENT... < JSON: validate fails, names the file and each fragment; up fails too.
bad() {
	local name=$1 f
	shift
	f=$(write_topo "bad-$name")
	run nsl validate "$f"
	assert_true "validate $name fails cleanly ($(rc_what "$rc"), expected 1-123)" test "$rc" != 0 -a "$rc" -lt 124
	assert_contains "$err" "bad-$name.json" "validate $name: stderr"
	local frag
	for frag; do
		[ -n "$frag" ] || continue
		assert_contains "$err" "$frag" "validate $name: stderr"
	done
	chmod 0644 "$f"
	assert_fail as_nobody "$NOBODY_NSLAB" validate "$f"
	run nsl up "$f"
	assert_rc_fail "up $name"
	assert_true "up $name says why" [ -n "$err" ]
	lab_gone "$LAB"
}

printf '{\n  "name": "%s",\n  "nodes": {\n    "h1": { "interfaces": { } },,\n  }\n}\n' "$LAB" >"$T_TMP/bad-syntax.json"
run nsl validate "$T_TMP/bad-syntax.json"
assert_rc_fail "validate of malformed JSON"
assert_contains "$err" "bad-syntax.json" "syntax error: stderr"
assert_contains "$err" "bad-syntax.json:4:33: invalid JSON: unexpected ',' (expected a key in double quotes)" \
	"syntax error: stderr (line 4, column 33, what was expected)"
run nsl up "$T_TMP/bad-syntax.json"
assert_rc_fail "up of malformed JSON"

# What a rootless lab cannot have: refused for a user (validate's default as one, --rootless
# for anyone), each where it is written, with the reason; accepted for root (--root).
HOSTY=$(write_topo hosty <<EOF
{
  "name": "$LAB",
  "mgmt": { "subnet": "10.7.4.0/24" },
  "nodes": {
    "r1": { "interfaces": { "wan0": { "device": "nslnodev0" }, "up0": { "addresses": ["10.7.3.2/24"] } } },
    "r2": { "interfaces": { "mv0": { "kind": "macvlan", "device": "nslnodev1" },
                            "vx0": { "kind": "vxlan", "vni": 9, "remote": "10.7.3.1", "underlay": "host" } } }
  },
  "links": [ { "endpoints": ["r1:up0", "host:nslhy0"] } ],
  "host": {
    "interfaces": { "nslhy0": { "addresses": ["10.7.3.1/24"] } },
    "nat": [ { "source": "10.7.3.0/24", "to": "masquerade" } ],
    "sysctls": { "net.ipv4.ip_forward": 1 }
  }
}
EOF
)
assert_ok nsl validate --root "$HOSTY"
assert_status 1 nsl validate --rootless "$HOSTY"
for line in \
	"hosty.json:5:49: nodes.r1.interfaces.wan0.device: moving host device 'nslnodev0' into a node needs root" \
	"hosty.json:6:67: nodes.r2.interfaces.mv0.device: a macvlan on host device 'nslnodev1' needs root" \
	"hosty.json:7:99: nodes.r2.interfaces.vx0.underlay: a VXLAN whose underlay is the host's needs root, or a host of the lab's own" \
	"hosty.json:3:3: mgmt: a management network (a bridge in the host, a port of it for each node) needs root, or a host of the lab's own" \
	"hosty.json:9:40: links[0].endpoints[1]: a host end of a link needs root" \
	"hosty.json:11:5: host.interfaces: a host interface needs root" \
	"hosty.json:12:5: host.nat: NAT in the host needs root" \
	"hosty.json:13:5: host.sysctls: a sysctl of the host needs root"; do
	assert_contains "$err" "$line" "validate --rootless"
done
if rootless; then
	assert_status 1 nsl validate "$HOSTY"
	assert_contains "$err" "links[0].endpoints[1]: a host end of a link needs root" "validate as a user"
	run nsl up "$HOSTY"
	assert_eq 1 "$rc" "exit of up as a user of a lab with host keys"
	assert_contains "$err" "host.nat: NAT in the host needs root" "up as a user"
	assert_contains "$err" "mgmt: a management network" "up as a user"
	lab_gone "$LAB"
else
	assert_ok nsl validate "$HOSTY"
	chmod 0644 "$HOSTY"
	assert_status 1 as_nobody "$NOBODY_NSLAB" validate "$HOSTY"
	assert_contains "$err" "host.sysctls: a sysctl of the host needs root" "validate as nobody"
	assert_ok as_nobody "$NOBODY_NSLAB" validate --root "$HOSTY"
fi

# A YAML twin of a good file validates to the same model (validate --show).
GOOD_YAML=$T_TMP/good.yaml
cat >"$GOOD_YAML" <<EOF
name: $LAB
nodes:
  h1:
    interfaces:
      eth0: { addresses: [10.7.1.2/24], mtu: 1400 }
    routes: [ { to: default, via: 10.7.1.1 } ]
  r1:
    interfaces:
      eth0: { addresses: [10.7.1.1/24] }
links:
  - { endpoints: [h1:eth0, r1:eth0], rate: 100mbit }
EOF
GOOD_JSON=$(write_topo good-twin <<EOF
{ "name": "$LAB",
  "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.7.1.2/24"], "mtu": 1400 } },
                     "routes": [ { "to": "default", "via": "10.7.1.1" } ] },
             "r1": { "interfaces": { "eth0": { "addresses": ["10.7.1.1/24"] } } } },
  "links": [ { "endpoints": ["h1:eth0", "r1:eth0"], "rate": "100mbit" } ] }
EOF
)
run nsl validate --show "$GOOD_YAML"
assert_eq 0 "$rc" "validate --show of a YAML file"
show_yaml=$out
run nsl validate --show "$GOOD_JSON"
assert_eq "$show_yaml" "$out" "validate --show: the JSON and YAML twins give one model"
assert_contains "$out" "route 0.0.0.0/0 via 10.7.1.1 metric 0 (default)" "validate --show"

# A bad YAML file: a schema problem at its place.
printf 'name: %s\nnodes:\n  h1: {interfaces: {eth0: {up: yes}}}\n' "$LAB" >"$T_TMP/bad-yes.yaml"
run nsl validate "$T_TMP/bad-yes.yaml"
assert_eq 1 "$rc" "validate of up: yes"
assert_contains "$err" "bad-yes.yaml:3:32: nodes.h1.interfaces.eth0.up: expected true or false, got string" \
	"up: yes is a string in YAML 1.2"

bad unknown-key nodes.h1.interfaces.eth0 bogus <<EOF
{ "name": "$LAB", "nodes": { "h1": { "interfaces": { "eth0": { "bogus": 1 } } }, "h2": {} },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ] }
EOF
bad wrong-type nodes.h1.interfaces.eth0.mtu <<EOF
{ "name": "$LAB", "nodes": { "h1": { "interfaces": { "eth0": { "mtu": "big" } } }, "h2": {} },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ] }
EOF
bad dangling links h9 <<EOF
{ "name": "$LAB", "nodes": { "h1": {} }, "links": [ { "endpoints": ["h1:eth0", "h9:eth0"] } ] }
EOF
bad undeclared-iface nodes.h1.interfaces.eth5 <<EOF
{ "name": "$LAB", "nodes": { "h1": { "interfaces": { "eth5": { "addresses": ["10.7.0.1/24"] } } } } }
EOF
bad dup-address 10.7.0.1 <<EOF
{ "name": "$LAB",
  "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.7.0.1/24"] } } },
             "h2": { "interfaces": { "eth0": { "addresses": ["10.7.0.1/24"] } } } },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ] }
EOF
bad dup-iface eth0 <<EOF
{ "name": "$LAB", "nodes": { "h1": {}, "h2": {}, "h3": {} },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] }, { "endpoints": ["h1:eth0", "h3:eth0"] } ] }
EOF
bad long-node-name nodes <<EOF
{ "name": "$LAB", "nodes": { "n23456789012345678901234567890123": {} } }
EOF
bad long-ifname eth0123456789012 <<EOF
{ "name": "$LAB", "nodes": { "h1": {}, "h2": {} }, "links": [ { "endpoints": ["h1:eth0123456789012", "h2:eth0"] } ] }
EOF
bad bad-address nodes.h1.interfaces.eth0.addresses <<EOF
{ "name": "$LAB", "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.7.0.300/24"] } } }, "h2": {} },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ] }
EOF
bad host-sysctl nodes.h1.sysctls kernel.hostname <<EOF
{ "name": "$LAB", "nodes": { "h1": { "sysctls": { "kernel.hostname": "pwned" } } } }
EOF
bad host-host-sysctl host.sysctls vm.swappiness <<EOF
{ "name": "$LAB", "nodes": { "h1": {} }, "host": { "sysctls": { "vm.swappiness": 1 } } }
EOF
bad sysctl-path-trick nodes.h1.sysctls <<EOF
{ "name": "$LAB", "nodes": { "h1": { "sysctls": { "net.ipv4/../../kernel/hostname": "pwned" } } } }
EOF
bad name-path-trick name <<EOF
{ "name": "../e2e-$LAB", "nodes": { "h1": {} } }
EOF
assert_true "no state outside $E2E_STATE" test ! -e "$(dirname "$E2E_STATE")/e2e-$LAB"
bad reserved-node-name host <<EOF
{ "name": "$LAB", "nodes": { "host": {} } }
EOF
bad route-family nodes.h1.routes <<EOF
{ "name": "$LAB", "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.7.0.1/24"] } },
  "routes": [ { "to": "fd42:7::/64", "via": "10.7.0.254" } ] }, "h2": {} },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ] }
EOF
bad deep-nesting "" < <(
	printf '{ "name": "%s", "nodes": { "h1": {} }, "description": ' "$LAB"
	printf '[%.0s' {1..200}
	printf ']%.0s' {1..200}
	printf ' }\n'
)
bad huge "" < <(
	printf '{ "name": "%s", "nodes": { "h1": {} }, "description": "' "$LAB"
	head -c 6000000 /dev/zero | tr '\0' x
	printf '" }\n'
)
: >"$T_TMP/bad-empty.json"
bad empty "" <"$T_TMP/bad-empty.json"

# A file that validates but cannot be built (a gateway no interface reaches): up fails
# half-way and must roll back every node it made.
F=$(write_topo unbuildable <<EOF
{ "name": "$LAB",
  "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.7.0.1/24"] } },
                     "routes": [ { "to": "10.7.50.0/24", "via": "10.7.99.1" } ] },
             "h2": { "interfaces": { "eth0": { "addresses": ["10.7.0.2/24"] } } },
             "h3": {} },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] }, { "endpoints": ["h2:eth1", "h3:eth0"] } ] }
EOF
)
run nsl up "$F"
assert_rc_fail "up with an unreachable gateway"
assert_contains "$err" "10.7.99.1" "up with an unreachable gateway: stderr"
lab_gone "$LAB"
assert_status 0 nsl down "$LAB"
