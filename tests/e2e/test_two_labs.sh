#!/usr/bin/env bash
# Two labs from one file with different --name: same node and interface names, both up and
# working at once; down of one leaves the other intact and working.
# lane: host (two labs from one file: names and state; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

A=$(lab_name)
B=$(lab_name)
FILE_NAME=$(lab_name) # the file's own name, overridden by --name
F=$(write_topo pair <<EOF
{
  "name": "$FILE_NAME",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.5.0.1/24", "fd42:5::1/64"] } } },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.5.0.2/24", "fd42:5::2/64"] } } }
  },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ]
}
EOF
)
lab_up "$A" "$F" --name "$A"
lab_up "$B" "$F" --name "$B"

assert_true "no lab under the file's own name" test ! -e "/run/netns/$FILE_NAME.h1"
for lab in "$A" "$B"; do
	assert_true "/run/netns/$lab.h1 exists" test -e "/run/netns/$lab.h1"
	ping_ok "$lab" h1 10.5.0.2
	ping_ok "$lab" h2 fd42:5::1
done
assert_true "the two h1 are distinct namespaces" \
	test "$(stat -L -c %i "/run/netns/$A.h1")" != "$(stat -L -c %i "/run/netns/$B.h1")"
assert_ok nsl status --json
assert_jq "$out" "[.labs[].name] | index(\"$A\") and index(\"$B\")" "status lists both labs"

# Each lab's h1 talks to its own h2 only: a mark on A's h2 is not seen from B.
assert_ok nsl exec -l "$A" h2 -- ip addr add 10.5.0.99/24 dev eth0
ping_ok "$A" h1 10.5.0.99
ping_fails "$B" h1 10.5.0.99

pidsB=$(lab_pids "$B")
lab_down "$A"
lab_gone "$A"
assert_eq "$pidsB" "$(lab_pids "$B")" "B's holders after down of A"
ping_ok "$B" h1 10.5.0.2
ping_ok "$B" h2 fd42:5::1
assert_ok nsl exec -l "$B" h1 -- true
assert_status 125 nsl exec -l "$A" h1 -- true
lab_down "$B"
lab_gone "$B"
