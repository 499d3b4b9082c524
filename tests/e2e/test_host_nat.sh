#!/usr/bin/env bash
# host.nat and host.sysctls: the lab's own table inet nslab-LAB in the host while up, gone
# after; host sysctls set while up and given back their previous values after down.
# feature: nat
# root-only: NAT and sysctls of the host
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need nft

LAB=$(lab_name)
HIF=nslh$((RANDOM % 10000))
fwd_before=$(sysctl -n net.ipv4.ip_forward)
somax_before=$(sysctl -n net.core.somaxconn)
somax_lab=$((somax_before + 7))
residue_watch_sysctl net.ipv4.ip_forward net.core.somaxconn
F=$(write_topo hostnat <<EOF
{
  "name": "$LAB",
  "nodes": {
    "h1": { "interfaces": { "eth0": { "addresses": ["10.79.0.2/24"] } }, "routes": [ { "to": "default", "via": "10.79.0.1" } ] }
  },
  "links": [ { "endpoints": ["host:$HIF", "h1:eth0"] } ],
  "host": {
    "interfaces": { "$HIF": { "addresses": ["10.79.0.1/24"] } },
    "nat": [ { "source": "10.79.0.0/24", "to": "masquerade" } ],
    "sysctls": { "net.ipv4.ip_forward": 1, "net.core.somaxconn": $somax_lab }
  }
}
EOF
)
lab_up "$LAB" "$F"

assert_ok nft list tables
assert_contains "$out" "table inet nslab-$LAB" "host nft tables"
assert_ok nft list table inet "nslab-$LAB"
assert_contains "$out" "masquerade" "host table inet nslab-$LAB"
assert_contains "$out" "10.79.0.0/24" "host table inet nslab-$LAB"
assert_eq 1 "$(sysctl -n net.ipv4.ip_forward)" "host net.ipv4.ip_forward while up"
assert_eq "$somax_lab" "$(sysctl -n net.core.somaxconn)" "host net.core.somaxconn while up"
ping_ok "$LAB" h1 10.79.0.1

lab_down "$LAB"
lab_gone "$LAB"
assert_fail nft list table inet "nslab-$LAB"
assert_eq "$fwd_before" "$(sysctl -n net.ipv4.ip_forward)" "host net.ipv4.ip_forward after down"
assert_eq "$somax_before" "$(sysctl -n net.core.somaxconn)" "host net.core.somaxconn after down"
