#!/usr/bin/env bash
# Node isolation: a root of its own per node ("rootfs": "overlay" over the host's file system,
# or a busybox tree), /etc/hosts naming every node, more namespaces (ipc, cgroup, time with
# offsets), down --keep-fs; the shipped OSPF lab (FRR and BIRD, no mounts) leaves the host's
# files as they were; bad trees and limits without cgroup v2 are refused with their JSON path.
# As a user: an overlay over the host's root is refused (the kernel gives a user namespace
# none: the root's mounts are locked to it), and so the OSPF lab; the same lab on the host's
# file system has its /etc/hosts, hostname and namespaces; busybox trees work as for root;
# limits are refused (cgroups of the host's tree).
# feature: isolation
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need busybox jq sha256sum

# snap: listing and checksums of what the routing daemons (and anything in a node) would write
# on the host; nslab's own state (/run/nslab) is not in these paths.
snap() {
	local d
	for d in /etc /var/lib/frr /var/lib/bird /var/log/frr /run/frr /run/bird; do
		[ -e "$d" ] || {
			echo "absent $d"
			continue
		}
		find "$d" -xdev \( -type f -o -type d -o -type l \) -printf '%p %y %m %u %g %s\n' 2>/dev/null | sort
		find "$d" -xdev -type f -readable -print0 2>/dev/null | sort -z | xargs -0r sha256sum
	done
}

# ---- overlay over the host's file system, /etc/hosts, namespaces ----
LAB=$(lab_name)
F=$(write_topo iso <<EOF
{
  "name": "$LAB",
  "rootfs": "overlay",
  "nodes": {
    "a": { "hostname": "alpha", "namespaces": ["cgroup", "time"],
           "time_offsets": { "boottime": 864000 },
           "interfaces": { "eth0": { "addresses": ["10.73.0.1/24"] } },
           "exec": [["sh", "-c", "mkdir -p /var/lib/nslab-iso-$LAB && echo a > /var/lib/nslab-iso-$LAB/f && echo x >> /etc/nslab-iso-$LAB"]] },
    "b": { "rootfs": "host", "interfaces": { "eth0": { "addresses": ["10.73.0.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] } ]
}
EOF
)
before=$(snap)
if rootless; then
	want="iso.json:3:13: rootfs: \"overlay\" (the host's file system under a layer of the node's own) needs root"
	assert_status 1 nsl validate "$F"
	assert_contains "$err" "$want" "validate as a user"
	assert_fail nsl up "$F"
	assert_contains "$err" "$want" "up as a user"
	lab_gone "$LAB"
	# the rest on the host's file system (nothing written there: a's exec goes)
	jq 'del(.rootfs) | .nodes.a.exec = [["true"]]' "$F" >"$T_TMP/iso-host.json"
	F=$T_TMP/iso-host.json
fi
lab_up "$LAB" "$F"
if ! rootless; then
	assert_eq a "$(nsl exec -l "$LAB" a cat "/var/lib/nslab-iso-$LAB/f" 2>&1)" "a node's write stays in its root"
	assert_true "the host has none of it" [ ! -e "/var/lib/nslab-iso-$LAB" -a ! -e "/etc/nslab-iso-$LAB" ]
	assert_fail nsl exec -l "$LAB" b cat "/var/lib/nslab-iso-$LAB/f"
fi
assert_eq "10.73.0.2	b" "$(nsl exec -l "$LAB" a grep -P '\tb$' /etc/hosts)" "/etc/hosts names the other node"
assert_eq "10.73.0.1	a alpha" "$(nsl exec -l "$LAB" b grep -P '\ta alpha$' /etc/hosts)" \
	"and in a node on the host's file system (bound in the node only)"
assert_eq alpha "$(nsl exec -l "$LAB" a cat /etc/hostname)" "/etc/hostname is the node's"
for n in a b; do
	assert_eq "$(cat "$E2E_STATE/$LAB/hosts")" "$(nsl exec -l "$LAB" "$n" cat /etc/hosts)" \
		"$n's /etc/hosts is the lab's one file"
	assert_fail nsl exec -l "$LAB" "$n" sh -c 'echo x >>/etc/hosts'
done
assert_true "no copy of it in the nodes' directories" \
	[ -z "$(find "$E2E_STATE/$LAB/fs" -name hosts -print -quit)" ]
assert_ok nsl exec -l "$LAB" a ping -c1 -W2 b
assert_eq "" "$(nsl exec -l "$LAB" a cat /proc/self/cgroup | grep -v ':/$')" "the node sees its cgroups as /"
assert_true "a has its own cgroup namespace" \
	[ "$(nsl exec -l "$LAB" a readlink /proc/self/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)" ]
host_up=$(cut -d' ' -f1 /proc/uptime)
node_up=$(nsl exec -l "$LAB" a cut -d' ' -f1 /proc/uptime)
assert_true "boottime is 10 days ahead in a ($node_up vs $host_up)" \
	awk -v n="$node_up" -v h="$host_up" 'BEGIN { exit !(n - h > 863990 && n - h < 864100) }'
if rootless; then
	assert_jq "$(nsl status "$LAB" --json)" \
		'.labs[0].nodes[0] | .root == "host" and (.namespaces | index("time") and index("cgroup"))' \
		"status --json shows a's root and namespaces"
	lab_down "$LAB"
else
	assert_true "a has its own ipc namespace (a rootfs implies it)" \
		[ "$(nsl exec -l "$LAB" a readlink /proc/self/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ]
	assert_jq "$(nsl status "$LAB" --json)" \
		'.labs[0].nodes[0] | .root == "overlay" and (.namespaces | index("time") and index("ipc") and index("cgroup"))' \
		"status --json shows a's root and namespaces"
	run nsl down --keep-fs "$LAB"
	kept=$out
	assert_true "down --keep-fs prints where (${kept:-nothing})" [ -n "$kept" -a -f "$kept/a/rw/upper/var/lib/nslab-iso-$LAB/f" ]
	[ -n "$kept" ] && case $kept in "$E2E_STATE/$LAB".fs.*) rm -rf -- "$kept" ;; esac
fi
lab_gone "$LAB"
assert_true "the host's files are as they were" [ "$before" = "$(snap)" ]

# ---- a busybox tree ----
TREE=$T_TMP/tree
mkdir -p "$TREE/bin"
cp "$(command -v busybox)" "$TREE/bin/busybox"
for c in sh cat ls mkdir ping echo hostname ps test; do ln -s busybox "$TREE/bin/$c"; done
tree_before=$(cd "$TREE" && find . | sort)
LAB2=$(lab_name)
F2=$(write_topo bb <<EOF
{
  "name": "$LAB2",
  "nodes": {
    "x": { "rootfs": "$TREE", "interfaces": { "eth0": { "addresses": ["10.73.1.1/24"] } },
           "exec": [["sh", "-c", "mkdir /var && echo ok > /var/f"]] },
    "y": { "rootfs": "$TREE", "interfaces": { "eth0": { "addresses": ["10.73.1.2/24"] } } }
  },
  "links": [ { "endpoints": ["x:eth0", "y:eth0"] } ]
}
EOF
)
lab_up "$LAB2" "$F2"
assert_eq ok "$(nsl exec -l "$LAB2" x cat /var/f)" "a busybox node runs its exec"
assert_fail nsl exec -l "$LAB2" y cat /var/f
assert_ok nsl exec -l "$LAB2" x ping -c1 -W2 y
assert_eq "bin dev etc proc sys tmp var" "$(nsl exec -l "$LAB2" x ls / | tr '\n' ' ' | sed 's/ $//')" \
	"the node's root is the tree, with /dev, /proc, /sys, /tmp"
assert_ok nsl exec -l "$LAB2" x sh -c 'echo z > /dev/null && test -c /dev/urandom && test -d /dev/pts'
run nsl down --keep-fs "$LAB2"
kept=$out
assert_true "down --keep-fs prints where, under the state root (${kept:-nothing})" \
	[ "${kept#"$E2E_STATE/$LAB2".fs.}" != "$kept" -a -f "$kept/x/rw/upper/var/f" ]
# (overlayfs leaves its work/work mode 0: a user makes it removable first)
[ -n "$kept" ] && case $kept in "$E2E_STATE/$LAB2".fs.*) chmod -R u+rwx -- "$kept" && rm -rf -- "$kept" ;; esac
lab_gone "$LAB2"
assert_eq "$tree_before" "$(cd "$TREE" && find . | sort)" "the tree is unchanged"

# ---- bad input: nothing built ----
LAB3=$(lab_name)
F3=$(write_topo bad <<EOF
{ "name": "$LAB3", "nodes": { "n": { "rootfs": "$T_TMP/none" } } }
EOF
)
assert_fail nsl up "$F3"
assert_contains "$err" "nodes.n.rootfs: '$T_TMP/none': No such file or directory"
mkdir -p "$T_TMP/nosh"
F4=$(write_topo nosh <<EOF
{ "name": "$LAB3", "nodes": { "n": { "rootfs": "$T_TMP/nosh" } } }
EOF
)
assert_fail nsl up "$F4"
assert_contains "$err" "nodes.n.rootfs: '$T_TMP/nosh' has no /bin/sh"
F5=$(write_topo lim <<EOF
{ "name": "$LAB3", "nodes": { "n": { "limits": { "memory": "64M" } } } }
EOF
)
if rootless; then
	assert_fail nsl up "$F5"
	assert_contains "$err" "nodes.n.limits: limits need root: they are cgroups of the host's cgroup tree"
elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
	note "cgroup v2 with memory here: limits are tested by test_limits"
else
	assert_fail nsl up "$F5"
	assert_contains "$err" "nodes.n.limits: limits need cgroup v2 with the memory controller"
fi
assert_true "nothing of $LAB3 was built" [ ! -e "$E2E_STATE/$LAB3" ]

# ---- the shipped OSPF lab: FRR and BIRD, no mounts ----
if rootless; then
	run nsl validate "$E2E_ROOT/topologies/ospf-frr-bird.json"
	assert_contains "$err" "ospf-frr-bird.json:4:13: rootfs: \"overlay\" (the host's file system under a layer of the node's own) needs root" \
		"the OSPF lab (an overlay over the host's root) is root's"
elif [ -x /usr/lib/frr/zebra ] && command -v bird >/dev/null; then
	before=$(snap)
	LAB4=$(lab_name)
	E2E_CMD_TIMEOUT=150 assert_ok nsl run --name "$LAB4" "$E2E_ROOT/topologies/ospf-frr-bird.json" --test
	assert_contains "$out" "ok 1 - r1 learns r2's loopback over OSPF"
	lab_gone "$LAB4"
	assert_true "FRR and BIRD left the host's files as they were" [ "$before" = "$(snap)" ]
else
	skip "frr or bird2 is not installed"
fi
