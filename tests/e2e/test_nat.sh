#!/usr/bin/env bash
# NAT in a gateway node: three LANs behind gw, out through eth9 to an "internet" node that has
# no route back to them. Masquerade (source seen: gw's address), SNAT to a fixed address and
# to a range (source seen: that address); `nft list table inet nslab` in gw shows the rules.
# feature: nat
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need tcpdump

LAB=$(lab_name)
F=$(write_topo nat <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.71.1.2/24"] } }, "routes": [ { "to": "default", "via": "10.71.1.1" } ] },
    "h2": { "interfaces": { "eth0": { "addresses": ["10.71.4.2/24"] } }, "routes": [ { "to": "default", "via": "10.71.4.1" } ] },
    "h3": { "interfaces": { "eth0": { "addresses": ["10.71.5.2/24"] } }, "routes": [ { "to": "default", "via": "10.71.5.1" } ] },
    "gw": {
      "sysctls": { "net.ipv4.ip_forward": 1 },
      "interfaces": {
        "eth1": { "addresses": ["10.71.1.1/24"] },
        "eth4": { "addresses": ["10.71.4.1/24"] },
        "eth5": { "addresses": ["10.71.5.1/24"] },
        "eth9": { "addresses": ["10.71.2.1/24"] }
      },
      "nat": [
        { "source": "10.71.1.0/24", "out": "eth9", "to": "masquerade" },
        { "source": "10.71.4.0/24", "out": "eth9", "to": "10.71.3.1" },
        { "source": "10.71.5.0/24", "to": "10.71.3.10-10.71.3.11" }
      ]
    },
    "inet": {
      "interfaces": { "eth0": { "addresses": ["10.71.2.2/24"] } },
      "routes": [ { "to": "10.71.3.0/24", "via": "10.71.2.1" } ]
    }
  },
  "links": [
    { "endpoints": ["h1:eth0", "gw:eth1"] },
    { "endpoints": ["h2:eth0", "gw:eth4"] },
    { "endpoints": ["h3:eth0", "gw:eth5"] },
    { "endpoints": ["gw:eth9", "inet:eth0"] }
  ]
}
EOF
)
lab_up "$LAB" "$F"

# inet has no route to the LANs: an answer proves the translation.
assert_fail nx "$LAB" inet ip route get 10.71.1.2
seen=""
source_seen() { # source_seen HOST: ping inet from HOST; $seen: the source inet saw
	capture_start "$LAB" inet eth0 1 icmp and 'icmp[icmptype] == icmp-echo'
	ping_ok "$LAB" "$1" 10.71.2.2
	capture_wait
	seen=$(printf '%s\n' "$captured" | sed -n 's/^.* IP \([0-9.]*\) > 10\.71\.2\.2: ICMP echo request.*$/\1/p')
}
source_seen h1
assert_eq 10.71.2.1 "$seen" "source seen by inet from h1 (masquerade)"
source_seen h2
assert_eq 10.71.3.1 "$seen" "source seen by inet from h2 (snat to 10.71.3.1)"
source_seen h3
assert_match "$seen" '^10\.71\.3\.1[01]$' "source seen by inet from h3 (snat to 10.71.3.10-10.71.3.11)"

assert_ok nx "$LAB" gw nft list table inet nslab
t=$out
assert_contains "$t" "masquerade" "gw's nft table"
assert_contains "$t" '"eth9"' "gw's nft table (out interface)"
assert_contains "$t" "10.71.1.0/24" "gw's nft table"
assert_contains "$t" "10.71.3.1" "gw's nft table"
assert_match "$t" '10\.71\.3\.10(-10\.71\.3\.11|/31)' "gw's nft table (the range, as nft prints it)"
assert_match "$t" 'type nat hook postrouting' "gw's nft table has a postrouting nat chain"
# Only in gw, never in the host or in other nodes.
assert_fail nx "$LAB" h1 nft list table inet nslab
if rootless; then
	note "as a user: the host's nft tables cannot be listed (a rootless lab cannot touch them)"
else
	run nft list tables
	assert_not_contains "$out" "inet nslab" "host nft tables"
fi
