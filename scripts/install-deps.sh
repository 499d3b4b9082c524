#!/bin/sh
# Installs what nslab needs to build and to run its tests, on Debian 12 (run as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config ca-certificates \
	libnl-3-dev libnl-route-3-dev libcjson-dev libyaml-dev libnftnl-dev libmnl-dev libcmocka-dev \
	iproute2 iputils-ping nftables tcpdump iperf3 jq procps util-linux \
	valgrind clang libclang-rt-14-dev \
	scdoc man-db bash-completion zsh tmux \
	debhelper dpkg-dev lintian debootstrap >/dev/null
echo "install-deps: done"
