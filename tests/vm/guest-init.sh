#!/bin/bash
# tests/vm/guest-init.sh: PID 1 of the VM that tests/vm/run.sh boots, on the host's root
# (read-only 9p under a tmpfs overlay; /dev, /proc and /sys already mounted by the
# initramfs). Sets up what a Debian system has, loads the tunnel modules, runs the command that
# run.sh left in the share, writes its exit status there and powers off.
#
# The tunnel modules are loaded on purpose: with them, every new network namespace is born
# with fallback devices (sit0, gre0, gretap0, erspan0, ip6tnl0, ...) that take the lowest
# interface indexes, as on any Debian machine that ever used such a tunnel. nslab must cope.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${TERM:-vt100}
share=/run/nslab-vm

say() { echo "vm guest: $*"; }
off() {
	sync
	busybox poweroff -f
	echo o >/proc/sysrq-trigger
}
fail() {
	say "FAIL: $*"
	off
}

mount -t tmpfs -o mode=0755,nosuid,nodev run /run || fail "cannot mount /run"
mkdir -p /run/lock "$share" && chmod 1777 /run/lock
mount -t tmpfs -o mode=1777,nosuid,nodev tmp /tmp || fail "cannot mount /tmp"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || fail "cannot mount /dev/pts"
ln -sf pts/ptmx /dev/ptmx
# What udev would make: bash's process substitution needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm || fail "cannot mount /dev/shm"
mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2 on /sys/fs/cgroup"
# As systemd does: the controllers that nodes' limits use, handed down from the root.
echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control ||
	fail "cannot enable memory, pids and cpu in /sys/fs/cgroup/cgroup.subtree_control"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 nslabshare "$share" ||
	fail "cannot mount the results share (9p tag nslabshare)"
echo 1 >/proc/sys/kernel/sysrq
hostname nslab-vm
ip link set lo up || fail "cannot set lo up"
modprobe -a sit ip_gre ip6_tunnel || fail "cannot load the tunnel modules (sit ip_gre ip6_tunnel)"

say "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
say "host links after the tunnel modules: $(ip -o link show | awk -F': ' '{ printf "%s ", $2 }')"
: >"$share/started"

# The command gets the console as its controlling terminal (for an interactive shell).
tty=/dev/ttyS0
stty -F "$tty" sane 2>/dev/null
# shellcheck disable=SC2094 # the console is both ends, on purpose
setsid -c bash "$share/cmd" <"$tty" >"$tty" 2>&1 &
wait $!
rc=$?
# Orphans: PID 1 reaps them while it waits; those still running die with the VM.
echo "$rc" >"$share/status.tmp" && mv "$share/status.tmp" "$share/status"
say "command exited $rc"
off
