#!/usr/bin/env bash
# VRF-lite (needs vrf: runs in the VM lane, skips here): two provider edges, each with VRFs
# red and blue; the customers of both VRFs use the same addresses (allowed: another VRF);
# static routes in each VRF's table ("vrf": ... and "table": NAME); red's customers reach
# each other across the provider, blue's too, and never each other's; the VRF devices and
# their members are as written; a VRF's unreachable default ends its table.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_kernel vrf

LAB=$(lab_name)
F=$T_TMP/vrf.yaml
cat >"$F" <<EOF
name: $LAB
nodes:
  pe1:
    sysctls: {net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1}
    interfaces:
      red: {kind: vrf, table: 10}
      blue: {kind: vrf, table: 20}
      c1: {vrf: red, addresses: [10.248.1.1/24, "fd42:248:1::1/64"]}
      c2: {vrf: blue, addresses: [10.248.1.1/24, "fd42:248:1::1/64"]}
      core_r: {vrf: red, addresses: [10.249.0.1/30]}
      core_b: {vrf: blue, addresses: [10.249.0.1/30]}
    routes:
      - {to: 10.248.2.0/24, via: 10.249.0.2, vrf: red}
      - {to: 10.248.2.0/24, via: 10.249.0.2, table: blue}
      - {to: 0.0.0.0/0, type: unreachable, vrf: red, metric: 4278198272}
  pe2:
    sysctls: {net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1}
    interfaces:
      red: {kind: vrf, table: 10}
      blue: {kind: vrf, table: 20}
      c1: {vrf: red, addresses: [10.248.2.1/24]}
      c2: {vrf: blue, addresses: [10.248.2.1/24]}
      core_r: {vrf: red, addresses: [10.249.0.2/30]}
      core_b: {vrf: blue, addresses: [10.249.0.2/30]}
    routes:
      - {to: 10.248.1.0/24, via: 10.249.0.1, vrf: red}
      - {to: 10.248.1.0/24, via: 10.249.0.1, vrf: blue}
  red1:
    interfaces: {eth0: {addresses: [10.248.1.2/24, "fd42:248:1::2/64"]}}
    routes: [{to: default, via: 10.248.1.1}]
  blue1:
    interfaces: {eth0: {addresses: [10.248.1.3/24]}}
    routes: [{to: default, via: 10.248.1.1}]
  red2:
    interfaces: {eth0: {addresses: [10.248.2.2/24]}}
    routes: [{to: default, via: 10.248.2.1}]
  blue2:
    interfaces: {eth0: {addresses: [10.248.2.3/24]}}
    routes: [{to: default, via: 10.248.2.1}]
links:
  - endpoints: [pe1:core_r, pe2:core_r]
  - endpoints: [pe1:core_b, pe2:core_b]
  - endpoints: [red1:eth0, pe1:c1]
  - endpoints: [blue1:eth0, pe1:c2]
  - endpoints: [red2:eth0, pe2:c1]
  - endpoints: [blue2:eth0, pe2:c2]
EOF
assert_ok nsl validate "$F"
lab_up "$LAB" "$F"

assert_jq "$(nip "$LAB.pe1" -j -d link show red)" '.[0].linkinfo.info_kind == "vrf" and .[0].linkinfo.info_data.table == 10' "pe1:red is a VRF on table 10"
assert_jq "$(nip "$LAB.pe1" -j link show c1)" '.[0].master == "red"' "pe1:c1 is in red"
assert_jq "$(nip "$LAB.pe1" -j link show core_b)" '.[0].master == "blue"' "pe1:core_b is in blue"
assert_jq "$(nip "$LAB.pe1" -j route show table 10)" 'any(.[]; .dst == "10.248.2.0/24" and .gateway == "10.249.0.2")' "red's route in table 10"
assert_jq "$(nip "$LAB.pe1" -j route show table 20)" 'any(.[]; .dst == "10.248.2.0/24" and .gateway == "10.249.0.2")' "blue's route in table 20"
assert_jq "$(nip "$LAB.pe1" -j route show table 10 type unreachable)" 'any(.[]; .dst == "default")' "red's unreachable default"
assert_jq "$(nip "$LAB.pe1" -j route show table main)" 'all(.[]; .dst != "10.248.1.0/24")' "the VRFs' subnets are not in main"

ping_ok "$LAB" red1 10.248.2.2
ping_ok "$LAB" blue1 10.248.2.3
ping_ok "$LAB" red2 10.248.1.2
ping_ok "$LAB" red1 fd42:248:1::1
assert_ok nsl exec -l "$LAB" pe1 -- ip vrf exec blue ping -n -c1 -W2 10.248.2.3
assert_ok nsl exec -l "$LAB" pe1 -- ip vrf exec red ping -n -c1 -W2 10.248.1.2
# red never reaches blue: 10.248.2.3 is blue2's, in blue only
ping_fails "$LAB" red1 10.248.2.3
ping_fails "$LAB" blue1 10.248.2.2
run nsl exec -l "$LAB" pe1 -- ip vrf exec red ping -n -c1 -W1 10.248.2.3
assert_true "red does not reach blue2's address from pe1" [ "$rc" != 0 ]
run nip "$LAB.pe1" route get 10.250.0.1 vrf red
assert_contains "$err" "No route to host" "red's unreachable default"

lab_down "$LAB"
lab_gone "$LAB"
