#!/bin/sh
# Installs what nslab needs to build and to run its tests, on Debian 12 (run as root): every
# tool a test uses, so that no test is skipped (make check counts a skip as a failure).
#   build:       build-essential pkg-config, the libraries' -dev packages, libcmocka-dev
#   e2e tests:   iproute2 (ip, tc), iputils-ping, nftables (nft: labs' NAT, the residue check),
#                tcpdump (test_nat), iperf3 (test_rate), graphviz (dot: test_graph), jq,
#                procps (ps, sysctl, pgrep), util-linux (setpriv, flock, unshare), coreutils,
#                frr and bird2 (the OSPF lab of test_isolation), busybox-static (a rootfs tree);
#                uidmap (newuidmap: rootless labs with subordinate ids), slirp4netns (a rootless
#                lab's uplink), passwd (useradd: the rootless run's user)
#   make check:  valgrind, clang + libclang-rt-14-dev (libFuzzer), clang-format and shellcheck
#                (make lint)
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config ca-certificates \
	libnl-3-dev libnl-route-3-dev libcjson-dev libyaml-dev libnftnl-dev libmnl-dev libpcap-dev libcmocka-dev \
	iproute2 iputils-ping nftables tcpdump iperf3 graphviz jq procps util-linux coreutils \
	frr bird2 busybox-static \
	uidmap slirp4netns passwd perl libxml2-utils \
	valgrind clang libclang-rt-14-dev clang-format shellcheck \
	scdoc man-db bash-completion zsh tmux \
	debhelper dpkg-dev lintian debootstrap >/dev/null
# The VM lane (make vm-check, tests/vm/run.sh): Debian's own kernel, with netem, 802.1Q, VRF,
# dummy, GRE... as modules, booted under qemu. The kernel's postinst also builds an initrd
# with initramfs-tools (about 30 MB in /boot): harmless, and not used (the lane builds
# its own tiny initramfs from busybox-static).
apt-get install -y -qq --no-install-recommends \
	qemu-system-x86 linux-image-amd64 busybox-static cpio kmod binutils >/dev/null
echo "install-deps: done"
