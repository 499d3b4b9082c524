#!/usr/bin/env bash
# A user namespace per node ("namespaces": ["user"]): the node's root is the first id of a
# range of the host's own (status --json's "userns"), so what a node writes is that id's on the
# host, and what only the host's root may read stays closed to it; it still has every power
# over its own namespaces (ip link/route), commands (exec at up, nslab exec) run as its root,
# with time and cgroup namespaces, on the host's file system or in a busybox tree of its own;
# two labs up at once get ranges of their own, and so does a node added by apply; pings across
# the lab work; nothing is left.
# root-only: ranges of the host's ids are root's to give (a rootless lab refuses "user" at validate: tests/fixtures/rootless)
# feature: isolation
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need busybox jq

# A directory bound into the nodes: writable by anyone, with a file only root may read.
SHARE=$T_TMP/share
mkdir -p "$SHARE" "$T_TMP/run"
chmod 0777 "$SHARE"
echo secret >"$SHARE/secret"
chmod 0600 "$SHARE/secret"

TREE=$T_TMP/tree
mkdir -p "$TREE/bin" "$TREE/etc" "$TREE/mnt/share"
cp "$(command -v busybox)" "$TREE/bin/busybox"
for c in sh cat id touch ls ping; do ln -s busybox "$TREE/bin/$c"; done
touch "$TREE/etc/hostname" "$TREE/etc/hosts"

LAB=$(lab_name)
F=$(write_topo userns <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": { "namespaces": ["user", "time", "cgroup"], "time_offsets": { "boottime": 864000 },
           "mounts": [ { "source": "$SHARE", "target": "/mnt" }, { "tmpfs": "$T_TMP/run" } ],
           "exec": [["touch", "/mnt/from-exec"]],
           "interfaces": { "eth0": { "addresses": ["10.87.0.1/24"] } },
           "routes": [ { "to": "10.87.1.0/24", "via": "10.87.0.2" } ] },
    "b": { "mounts": [ { "source": "$SHARE", "target": "/mnt" } ],
           "sysctls": { "net.ipv4.ip_forward": "1" },
           "interfaces": { "eth0": { "addresses": ["10.87.0.2/24"] },
                           "eth1": { "addresses": ["10.87.1.2/24"] } } },
    "c": { "rootfs": "$TREE", "namespaces": ["user"],
           "mounts": [ { "source": "$SHARE", "target": "/mnt/share" } ],
           "interfaces": { "eth0": { "addresses": ["10.87.1.3/24"] } },
           "routes": [ { "to": "10.87.0.0/24", "via": "10.87.1.2" } ] }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] }, { "endpoints": ["b:eth1", "c:eth0"] } ]
}
EOF
)
lab_up "$LAB" "$F"
assert_ok nsl status "$LAB" --json
st=$out
ua=$(printf '%s' "$st" | jq -r '.labs[0].nodes[] | select(.name == "a") | .userns.uid')
uc=$(printf '%s' "$st" | jq -r '.labs[0].nodes[] | select(.name == "c") | .userns.uid')
assert_jq "$st" '.labs[0].nodes[] | select(.name == "a") | .userns.count == 65536 and .userns.gid == .userns.uid and (.namespaces | index("user"))' "status: a's range"
assert_jq "$st" '.labs[0].nodes[] | select(.name == "b") | .userns == null' "status: b has none"
assert_true "a's and c's ranges are real ids above 0x10000000 and distinct" \
	test "$ua" -ge 268435456 -a "$uc" -ge 268435456 -a "$ua" != "$uc"

# Inside: the map, root, CAP_NET_ADMIN over its own namespaces.
assert_eq "0 $ua 65536" "$(nsl exec -l "$LAB" a cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "a's uid_map"
assert_eq "0 $ua 65536" "$(nsl exec -l "$LAB" a cat /proc/self/gid_map | tr -s ' ' | sed 's/^ //')" "a's gid_map"
assert_eq 0 "$(nsl exec -l "$LAB" a id -u)" "a's commands run as its root"
assert_ok nsl exec -l "$LAB" a ip link set eth0 mtu 1400
assert_eq 1400 "$(nsl exec -l "$LAB" a cat /sys/class/net/eth0/mtu)" "ip link set in a"
assert_ok nsl exec -l "$LAB" a ip route add 10.87.9.0/24 via 10.87.0.2
assert_contains "$(nsl exec -l "$LAB" a ip route show 10.87.9.0/24)" "via 10.87.0.2" "ip route add in a"
# The holder itself is the node's root: not the host's.
pa=$(printf '%s' "$st" | jq -r '.labs[0].nodes[] | select(.name == "a") | .pid')
assert_eq "$ua" "$(ps -o uid= -p "$pa" | tr -d ' ')" "a's holder runs as its range's first id on the host"

# What the node writes is its range's on the host; the host's root's file stays closed.
assert_ok nsl exec -l "$LAB" a touch /mnt/from-a
assert_eq "$ua $ua" "$(stat -c '%u %g' "$SHARE/from-a")" "a file a made (bind mount) is a's root's on the host"
assert_eq "$ua" "$(stat -c '%u' "$SHARE/from-exec" 2>&1)" "a file a's exec at up made is a's root's"
assert_fail nsl exec -l "$LAB" a cat /mnt/secret
assert_contains "$err" "Permission denied" "a's root may not read the host root's 0600 file"
assert_eq secret "$(nsl exec -l "$LAB" b cat /mnt/secret)" "b (no user namespace) is the host's root"
# A tmpfs of its mounts is its root's (a daemon's /run/x).
assert_ok nsl exec -l "$LAB" a mkdir "$T_TMP/run/frr"
assert_true "a's tmpfs is its own: nothing on the host" test ! -e "$T_TMP/run/frr"
assert_fail nsl exec -l "$LAB" a sh -c 'echo x >> /etc/hostname.nslab-userns'
assert_true "a wrote nothing in the host's /etc" test ! -e /etc/hostname.nslab-userns

# Time and cgroup namespaces with it.
up_host=$(cut -d. -f1 /proc/uptime)
up_a=$(nsl exec -l "$LAB" a cut -d. -f1 /proc/uptime)
assert_true "a's boottime is 10 days ahead ($up_a vs $up_host)" test "$up_a" -ge $((up_host + 864000 - 60))
assert_true "a has a cgroup namespace of its own" \
	test "$(nsl exec -l "$LAB" a readlink /proc/self/ns/cgroup)" != "$(readlink /proc/self/ns/cgroup)"

# A busybox tree: its upper layer is c's root's; the tree is left as it was.
assert_eq 0 "$(nsl exec -l "$LAB" c id -u)" "c's commands run as its root"
assert_ok nsl exec -l "$LAB" c sh -c 'echo hi > /newfile && touch /mnt/share/from-c'
assert_eq "$uc" "$(stat -c '%u' "$E2E_STATE/$LAB/fs/c/rw/upper/newfile" 2>&1)" "c's write in its root is c's root's on the host"
assert_eq "$uc" "$(stat -c '%u' "$SHARE/from-c" 2>&1)" "c's write through its bind is c's root's"
assert_true "the tree is untouched" test ! -e "$TREE/newfile"
assert_fail nsl exec -l "$LAB" c cat /mnt/share/secret

# Pings across the lab, through b.
ping_ok "$LAB" a 10.87.0.2
ping_ok "$LAB" c 10.87.0.1

# c made again (apply --recreate) takes its range back: what it wrote in its root is still its.
jq '.nodes.c.hostname = "c2"' "$F" >"$T_TMP/userns-c2.json"
assert_ok nsl apply --recreate "$T_TMP/userns-c2.json"
assert_ok nsl status "$LAB" --json
assert_eq "$uc" "$(printf '%s' "$out" | jq -r '.labs[0].nodes[] | select(.name == "c") | .userns.uid')" \
	"c made again has its range back"
assert_eq hi "$(nsl exec -l "$LAB" c cat /newfile)" "c made again reads what it wrote"
assert_ok nsl exec -l "$LAB" c sh -c 'echo again >> /newfile'
ping_ok "$LAB" c 10.87.0.1
# A command entering a node of its own user namespace is never dumpable as the host's root:
# the node's root could ptrace it. After exec it is the node's root, dumpable again.
assert_eq "1" "$(nsl exec -l "$LAB" c sh -c 'grep -c . /proc/self/uid_map')" "c's command sees one id map"

# A second lab up at the same time gets a range of its own.
LAB2=$(lab_name)
F2=$(write_topo userns2 <<EOF
{
  "name": "$LAB2",
  "nodes": { "x": { "namespaces": ["user"] } }
}
EOF
)
lab_up "$LAB2" "$F2"
assert_ok nsl status "$LAB2" --json
ux=$(printf '%s' "$out" | jq -r '.labs[0].nodes[0].userns.uid')
assert_true "the second lab's range ($ux) is neither of the first's ($ua, $uc)" \
	test "$ux" -ge 268435456 -a "$ux" != "$ua" -a "$ux" != "$uc"
assert_eq "0 $ux 65536" "$(nsl exec -l "$LAB2" x cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "x's uid_map"
# A node with "user" added to a lab that is up gets a range of its own too.
jq '.nodes.y = { "namespaces": ["user"] }' "$F2" >"$T_TMP/userns2b.json"
assert_ok nsl apply "$T_TMP/userns2b.json"
assert_ok nsl status "$LAB2" --json
uy=$(printf '%s' "$out" | jq -r '.labs[0].nodes[] | select(.name == "y") | .userns.uid')
assert_true "y's range ($uy), added by apply, is nobody else's" \
	test "$uy" -ge 268435456 -a "$uy" != "$ux" -a "$uy" != "$ua" -a "$uy" != "$uc"
assert_eq 0 "$(nsl exec -l "$LAB2" y id -u)" "y's commands run as its root"

lab_down "$LAB"
lab_gone "$LAB"
lab_down "$LAB2"
lab_gone "$LAB2"
# their id ranges are free again: no slot file names either lab
left=$(grep -lE "^($LAB|$LAB2) " "$E2E_STATE/.userns/"* 2>/dev/null)
assert_eq "" "$left" "down removed the labs' slot files in $E2E_STATE/.userns"
