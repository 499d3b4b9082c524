#!/bin/sh
# The main job on a shipped example: up, a few pings across the routed lab, status, the
# topology's checks, down.
set -eu
cd "$(dirname "$0")/.."
NSLAB=${NSLAB:-build/nslab}
TOPO=${1:-topologies/demo.json}
LAB=demo
trap '$NSLAB down $LAB' EXIT
$NSLAB up "$TOPO"
$NSLAB exec -l "$LAB" h1 ping -c 2 -W 1 10.42.9.2      # h1 -> r1 -> r2 -> sw1 -> h2, IPv4
$NSLAB exec -l "$LAB" h1 ping -c 2 -W 1 fd42:9::3      # and IPv6 to h3
$NSLAB exec -l "$LAB" h2 cat /tmp/h2                   # written by h2's exec at up, in h2's own /tmp
$NSLAB exec -l "$LAB" h2 hostname                      # "server"
$NSLAB status "$LAB"
$NSLAB test "$LAB"                           # the checks of topologies/demo.json, as TAP
