#!/usr/bin/env bash
# graph: DOT on stdout, every node and every link (one edge each, parallel links included),
# without root; a bad file fails.
# lane: host (no kernel: DOT output; left out of the VM lane for time)
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LAB=$(lab_name)
F=$(write_topo graph <<EOF
{
  "name": "$LAB",
  "nodes": {
    "alpha": { "interfaces": { "eth0": { "addresses": ["10.8.0.1/24"] } } },
    "bravo": {},
    "charlie": { "bridges": { "br0": { "ports": ["p1", "p2"] } } },
    "delta": {}
  },
  "links": [
    { "endpoints": ["alpha:eth0", "bravo:eth0"] },
    { "endpoints": ["alpha:eth1", "bravo:eth1"] },
    { "endpoints": ["bravo:eth2", "charlie:p1"] },
    { "endpoints": ["delta:eth0", "charlie:p2"] },
    { "endpoints": ["host:nslg0", "delta:eth1"] }
  ]
}
EOF
)
chmod 0644 "$F"
NOBODY_NSLAB=$(nobody_nslab)
run_graph() { # without root
	run as_nobody "$NOBODY_NSLAB" graph "$@"
}
run_graph "$F"
assert_eq 0 "$rc" "graph exit status"
_show "$err" stderr
dot=$out
assert_match "$dot" '^[[:space:]]*(strict[[:space:]]+)?(di)?graph' "graph output starts with graph/digraph"
assert_match "$dot" '\}[[:space:]]*$' "graph output ends with }"
for n in alpha bravo charlie delta host; do
	assert_contains "$dot" "$n" "DOT"
done
for i in eth0 eth1 eth2 p1 p2 nslg0; do
	assert_contains "$dot" "$i" "DOT"
done
edges=$(grep -E -- '--|->' <<<"$dot")
edge_between() { # the edges lines naming both nodes
	grep -F -- "$1" <<<"$edges" | grep -cF -- "$2"
}
assert_eq 2 "$(edge_between alpha bravo)" "edges between alpha and bravo"
assert_eq 1 "$(edge_between bravo charlie)" "edges between bravo and charlie"
assert_eq 1 "$(edge_between delta charlie)" "edges between delta and charlie"
assert_eq 1 "$(edge_between host delta)" "edges between host and delta"
assert_eq 0 "$(edge_between alpha charlie)" "edges between alpha and charlie"

printf '{ "name": "%s", "nodes": { "a": {} }, "links": [ { "endpoints": ["a:eth0", "zz:eth0"] } ] }\n' "$LAB" >"$T_TMP/bad.json"
chmod 0644 "$T_TMP/bad.json"
run_graph "$T_TMP/bad.json"
assert_rc_fail "graph of a bad file"
assert_contains "$err" "bad.json" "graph of a bad file: stderr"

# Mermaid: the same picture as a flowchart (one edge per link, nodes by id with their names in
# the labels), as --format mermaid and as --mermaid; DOT stays the default.
run_graph --format mermaid "$F"
assert_eq 0 "$rc" "graph --format mermaid exit status"
mm=$out
run_graph --mermaid "$F"
assert_eq "$mm" "$out" "--mermaid is --format mermaid"
run_graph --format dot "$F"
assert_eq "$dot" "$out" "--format dot is the default"
assert_match "$mm" $'(^|\n)flowchart LR\n' "a Mermaid flowchart"
for n in alpha bravo charlie delta; do
	assert_match "$mm" $'\n  n[0-9]+[[(]+"'"$n<br/>" "Mermaid node $n"
done
assert_match "$mm" $'\n  hostns\\{\\{"host"\\}\\}' "Mermaid host"
assert_eq 5 "$(grep -c -- ' ---|"' <<<"$mm")" "Mermaid edges"
assert_contains "$mm" 'alpha:eth0 10.8.0.1/24<br/>bravo:eth0' "Mermaid edge label: both ends, addresses"
assert_contains "$mm" "(switch)" "charlie is a switch"
run_graph --format svg "$F"
assert_eq 2 "$rc" "graph --format svg: a usage error"
assert_contains "$err" "unknown format 'svg'" "graph --format svg: stderr"

# Graphviz itself reads it (last: a missing dot skips only this).
need dot
assert_ok dot -Tsvg -o /dev/null <<<"$dot"
