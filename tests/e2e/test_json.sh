#!/usr/bin/env bash
# json: --json on validate, up and status prints one JSON document on stdout and nothing on
# stderr, whatever happens: version 1, the command, ok, exit and errors (one object per
# problem: file, path, line, column, message; null where unknown); up tells what it built,
# with timings; a runtime failure of up is one error object with the file; a bad command
# line is answered in JSON too.
# quick
# lane: host (--json output formats; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo json <<EOF
{ "name": "$LAB",
  "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.78.1.2/24", "fd42:78:1::2/64"] } },
                     "routes": [ { "to": "default", "via": "10.78.1.1" } ] },
             "r1": { "sysctls": { "net.ipv4.ip_forward": 1 },
                     "interfaces": { "eth0": { "addresses": ["10.78.1.1/24"] }, "lo": { "addresses": ["10.78.255.1/32"] } } },
             "sw": { "bridges": { "br0": { "ports": ["p1"] } }, "exec": [["true"]] } },
  "links": [ { "endpoints": ["h1:eth0", "r1:eth0"], "rate": "100mbit" }, { "endpoints": ["r1:eth1", "sw:p1"] } ] }
EOF
)

# --- validate ---
run nsl validate --json "$F"
assert_eq 0 "$rc" "validate --json exit"
assert_eq "" "$err" "validate --json stderr"
assert_jq "$out" '.version == 1 and .command == "validate" and .ok == true and .exit == 0 and .errors == []'
assert_jq "$out" ".lab == \"$LAB\" and .nodes == 3 and .links == 2"
run nsl validate --json --show "$F"
assert_jq "$out" '(.model | type) == "array" and (.model | length) > 5' "validate --json --show"

printf '{ "name": "%s",\n  "nodes": { "a": { "interfaces": { "eth0": { "mtu": "big" } } } },\n  "bogus": 1 }\n' "$LAB" >"$T_TMP/bad.json"
run nsl validate --json "$T_TMP/bad.json"
assert_eq 1 "$rc" "validate --json of a bad file: exit"
assert_eq "" "$err" "validate --json of a bad file: stderr"
assert_jq "$out" '.ok == false and .exit == 1 and (.errors | length) == 2'
assert_jq "$out" ".errors | any(.file == \"$T_TMP/bad.json\" and .path == \"nodes.a.interfaces.eth0.mtu\" and .line == 2 and .column == 54 and (.message | startswith(\"expected integer\")))" \
	"the type error, at its place"
assert_jq "$out" '.errors | any(.path == "bogus" and .line == 3 and .column == 3 and (.message | test("unknown key")))' \
	"the unknown key, at its place"
# The same problems as the text output, one for one.
run nsl validate "$T_TMP/bad.json"
assert_eq 2 "$(grep -c "^$T_TMP/bad.json:" <<<"$err")" "the text output has the same two problems"
assert_contains "$err" "$T_TMP/bad.json:2:54: nodes.a.interfaces.eth0.mtu: expected integer" "the text output, same place"
# A file that cannot be read: file and message, no place.
run nsl validate --json "$T_TMP/none.json"
assert_jq "$out" ".ok == false and (.errors | length) == 1 and .errors[0].file == \"$T_TMP/none.json\" and .errors[0].line == null and .errors[0].column == null"
# A bad command line: exit 2, in JSON.
run nsl validate --json --frobnicate "$F"
assert_eq 2 "$rc" "validate --json with an unknown option: exit"
assert_jq "$out" '.ok == false and .exit == 2 and .errors[0].file == null and (.errors[0].message | test("usage"))'

# --- up ---
run nsl up --json "$F"
assert_eq 0 "$rc" "up --json exit"
lab_record "$LAB"
assert_eq "" "$err" "up --json stderr"
assert_jq "$out" ".version == 1 and .command == \"up\" and .ok == true and .lab == \"$LAB\" and .errors == []"
assert_jq "$out" '.built | .nodes == 3 and .links == 2 and .bridges == 1 and .addresses == 4 and .routes == 1 and .sysctls == 1 and .rates == 1 and .exec == 1 and .host_links == 0'
assert_jq "$out" "[.nodes[].netns] == [\"$LAB.h1\", \"$LAB.r1\", \"$LAB.sw\"]" "up --json nodes"
assert_jq "$out" '.ms > 0 and (.phases_ms | keys | sort) == (["commit","devices","exec","host","interfaces","links","names","nodes","ready"] | sort) and ([.phases_ms[]] | add) <= .ms' \
	"up --json timings"
assert_jq "$out" '.phases_ms.nodes > 0' "holders take time"
# A second up of the same lab fails: one error object with the file.
run nsl up --json "$F"
assert_eq 1 "$rc" "a second up --json: exit"
assert_eq "" "$err" "a second up --json: stderr"
assert_jq "$out" ".ok == false and (.errors | length) == 1 and .errors[0].file == \"$F\" and .errors[0].path == null and (.errors[0].message | test(\"already up\"))"

# --- status ---
run nsl status --json "$LAB"
assert_eq 0 "$rc" "status --json exit"
assert_jq "$out" ".version == 1 and .command == \"status\" and .ok == true and (.labs | length) == 1 and .labs[0].name == \"$LAB\" and .labs[0].state == \"up\""
assert_jq "$out" '.labs[0].nodes | map(select(.name == "h1"))[0].interfaces | any(.name == "eth0" and (.addresses | index("10.78.1.2/24")))'
run nsl status -q "$LAB"
assert_eq 0 "$rc" "status -q of a lab that is up"
assert_eq "" "$out" "status -q prints nothing"
lab_down "$LAB"
# The residue check finds a lab's processes by the inode numbers of its holders' namespaces;
# the kernel gives a freed number to the next namespace made. A PID namespace made after the
# down (here one that is given a number the lab's holder had, as another lab's holder may be)
# is not the lab's: a process that started after down returned is not reported.
fake=$T_TMP/reuse.snap
unsh=(unshare)
rootless && unsh=(unshare -r) # a user's PID namespace, in a user namespace of its own
"${unsh[@]}" -p -f --kill-child sleep "33.$((RANDOM % 1000))" &
up_=$!
wait_for 5 test -e "/proc/$up_/task" && sleep 0.2
cp "$E2E_SNAP" "$fake"
for c in /proc/[0-9]*; do
	[ "$(cut -d' ' -f4 "$c/stat" 2>/dev/null)" = "$up_" ] || continue
	printf 'holder\t%s pid:[%s] pid 1\n' "${LAB}x" "$(stat -L -c %i "$c/ns/pid")" >>"$fake"
done
assert_match "$(rsd_lab_traces "$fake" "${LAB}x")" "still in lab ${LAB}x" "a process in a recorded namespace is reported"
printf 'gone\t%s\t%s\n' "${LAB}x" "$(awk '{ print $22 - 1 }' "/proc/$up_/stat")" >>"$fake"
assert_eq "" "$(rsd_lab_traces "$fake" "${LAB}x")" "one that started after the lab's down returned is not"
kill "$up_"
wait "$up_" 2>/dev/null
run nsl status --json "$LAB"
assert_eq 1 "$rc" "status --json of a lab that is down: exit"
assert_jq "$out" '.ok == false and (.errors[0].message | test("not up")) and .labs == []'

# --- up that fails half-way: rolled back, one error ---
G=$(write_topo unbuildable <<EOF
{ "name": "$LAB",
  "nodes": { "h1": { "interfaces": { "eth0": { "addresses": ["10.78.0.1/24"] } },
                     "routes": [ { "to": "10.78.50.0/24", "via": "10.78.99.1" } ] },
             "h2": { "interfaces": { "eth0": { "addresses": ["10.78.0.2/24"] } } } },
  "links": [ { "endpoints": ["h1:eth0", "h2:eth0"] } ] }
EOF
)
run nsl up --json "$G"
assert_eq 1 "$rc" "up --json of an unbuildable lab: exit"
assert_eq "" "$err" "up --json of an unbuildable lab: stderr"
assert_jq "$out" ".ok == false and (.errors | length) == 1 and .errors[0].file == \"$G\" and (.errors[0].message | test(\"10.78.99.1\"))"
assert_jq "$out" '.built == null' "nothing reported built"
lab_gone "$LAB"

# --- up --dry-run --json: the plan ---
run nsl up --dry-run --json "$F"
assert_eq 0 "$rc" "up --dry-run --json"
assert_jq "$out" '(.plan | length) > 5 and .built == null'
