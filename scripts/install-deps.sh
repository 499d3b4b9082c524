#!/bin/sh
# Installs what nslab needs to build and to run its tests, on Debian 12 (run as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config ca-certificates \
	libnl-3-dev libnl-route-3-dev libcjson-dev libyaml-dev libnftnl-dev libmnl-dev libcmocka-dev \
	iproute2 iputils-ping nftables tcpdump iperf3 jq procps util-linux perl libxml2-utils \
	valgrind clang libclang-rt-14-dev >/dev/null
echo "install-deps: done"
