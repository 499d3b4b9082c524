#!/usr/bin/env bash
# tests/vm/run.sh [CMD...]: runs CMD (default: the end-to-end suite) as root inside a VM that
# boots Debian's own kernel (package linux-image-amd64), and exits with CMD's status.
#
# The VM (qemu-system-x86_64, software emulation: nested KVM does not work on our machines)
# sees this machine's root file system read-only through 9p, under a tmpfs overlay, so the
# built tree, the tools and /lib/modules of that kernel are all there; a second, writable 9p
# share carries the command in and its exit status out. The initramfs is built here, at each
# run, from busybox-static and the few modules that 9p and overlayfs need. In the guest,
# tests/vm/guest-init.sh sets up the system (and loads the tunnel modules) and runs CMD in
# this directory.
#
# CMD runs in the repository's root, e.g.:
#   tests/vm/run.sh                                  the e2e suite (NSLAB: build/nslab)
#   tests/vm/run.sh tests/e2e/run.sh routed faults   some tests
#   tests/vm/run.sh bash                             a shell in the guest (Ctrl-A x quits)
#
# The guest's console is printed here as it comes and kept in VM_LOG (default
# build/vm/console.log). A guest that panics, powers off without a status, does not boot
# within VM_BOOT_TIMEOUT or does not finish within VM_TIMEOUT is a failure (exit 1 for the
# lane's own failures, 124 for a timeout), with a message saying which.
#
# Knobs: VM_MEM (MiB, default 3072), VM_CPUS (default 2), VM_TIMEOUT (seconds, default 3600),
# VM_BOOT_TIMEOUT (seconds until the guest runs CMD, default 180), VM_KERNEL (a
# /boot/vmlinuz-VERSION; default: the newest one with its /lib/modules/VERSION), VM_CPU (qemu's
# -cpu, default max), VM_APPEND (more kernel parameters), VM_LOG.
# Variables E2E_*, RESIDUE_* and NSLAB are passed to CMD; by default the lane sets
# RESIDUE_STRICT=1 (nothing else runs in the guest), E2E_NO_SKIP=1 (a skipped test fails:
# every kernel feature the tests need is in Debian's kernel), E2E_LANE=vm (the e2e suite
# leaves out the tests marked "# lane: host") and scales the e2e time limits for emulation
# (E2E_TIMEOUT=1800, E2E_CMD_TIMEOUT=300, E2E_UP_TIMEOUT=600) and E2E_STEP_STRIDE=4 (the fault
# tests try every 4th step and the last ones: every step costs about 10 s under emulation,
# and the host lane tries them all); set them to override.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
mem=${VM_MEM:-3072}
cpus=${VM_CPUS:-2}
limit=${VM_TIMEOUT:-3600}
boot_limit=${VM_BOOT_TIMEOUT:-180}
log=${VM_LOG:-$repo/build/vm/console.log}

die() {
	echo "vm: $*" >&2
	exit 1
}

case $repo/ in
/tmp/* | /run/* | /dev/* | /proc/* | /sys/*) die "the guest mounts its own file systems on /tmp, /run, /dev, /proc and /sys: $repo must be elsewhere" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (the guest's root is this machine's root, read through 9p)"
for c in qemu-system-x86_64 cpio readelf; do
	command -v "$c" >/dev/null || die "$c is not installed (scripts/install-deps.sh installs it)"
done
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox: install busybox-static (scripts/install-deps.sh)"
if LC_ALL=C readelf -l "$busybox" | grep -q 'program interpreter'; then
	die "$busybox is dynamically linked: the initramfs needs busybox-static"
fi

# The kernel: VM_KERNEL, or the newest /boot/vmlinuz-* whose modules are installed.
kernel=${VM_KERNEL:-}
if [ -z "$kernel" ]; then
	for k in $(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V -r); do
		if [ -f "/lib/modules/${k#vmlinuz-}/modules.dep" ]; then
			kernel=/boot/$k
			break
		fi
	done
fi
[ -n "$kernel" ] || die "no /boot/vmlinuz-* with its /lib/modules: install linux-image-amd64 (scripts/install-deps.sh)"
[ -r "$kernel" ] || die "cannot read $kernel"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep for $kernel"

# The command, run by bash in the repository's root.
[ $# -gt 0 ] || set -- tests/e2e/run.sh
export E2E_NO_SKIP=${E2E_NO_SKIP:-1}
export E2E_LANE=${E2E_LANE:-vm}
export E2E_TIMEOUT=${E2E_TIMEOUT:-1800}
export E2E_CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-300}
export E2E_UP_TIMEOUT=${E2E_UP_TIMEOUT:-600}
export E2E_STEP_STRIDE=${E2E_STEP_STRIDE:-4}
export NSLAB=${NSLAB:-$repo/build/nslab}
# Nothing else runs in the guest: any new network namespace after a test is its residue.
export RESIDUE_STRICT=${RESIDUE_STRICT:-1}

work=$(mktemp -d /tmp/nslab-vm.XXXXXX)
qpid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ -n "$qpid" ]; then kill -KILL "$qpid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- the initramfs: busybox, the modules for virtio, 9p and overlayfs, and /init ----

# Modules in load order: each one's dependencies (modules.dep lists all of them, the last to
# load first) before it.
mods=()
add_module() {
	local name=$1 line path deps i
	line=$(grep -E "(^|/)$name\\.ko[^:]*:" "$moddir/modules.dep" | head -n 1) ||
		die "module $name not in $moddir/modules.dep"
	path=${line%%:*}
	read -ra deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		add_path "${deps[$i]}"
	done
	add_path "$path"
}
add_path() {
	local m
	for m in "${mods[@]}"; do [ "$m" = "$1" ] && return 0; done
	mods+=("$1")
}
for m in virtio_pci 9pnet_virtio 9p overlay; do add_module "$m"; done

ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,lower,rw,newroot,modules}
cp "$busybox" "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
: >"$ird/modules/order"
for m in "${mods[@]}"; do
	case $m in
	*.ko) cp "$moddir/$m" "$ird/modules/" ;;
	*) die "compressed module $m: the initramfs loads plain .ko files only" ;;
	esac
	echo "${m##*/}" >>"$ird/modules/order"
done
cat >"$ird/init" <<EOF
#!/bin/sh
# Generated by tests/vm/run.sh: mount the host's root (9p, read-only) under a tmpfs overlay and
# hand over to tests/vm/guest-init.sh. Any failure powers off: the host then finds no status.
export PATH=/bin
busybox mount -t devtmpfs dev /dev
busybox mount -t proc proc /proc
busybox mount -t sysfs sys /sys
fail() {
	echo "vm initramfs: \$*"
	busybox poweroff -f
}
for m in \$(busybox cat /modules/order); do
	busybox insmod "/modules/\$m" || fail "insmod \$m failed"
done
busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower ||
	fail "cannot mount the host's root (9p tag hostroot)"
busybox mount -t tmpfs -o mode=0755 rw /rw || fail "cannot mount the tmpfs for the overlay"
busybox mkdir -p /rw/upper /rw/work
busybox mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fail "cannot mount the overlay"
for d in dev proc sys; do
	busybox mount --move /\$d /newroot/\$d || fail "cannot move /\$d"
done
exec busybox switch_root /newroot /bin/bash $(printf '%q' "$repo/tests/vm/guest-init.sh")
EOF
chmod 0755 "$ird/init"
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

# ---- the shared directory: the command in, the status out ----

share=$work/share
mkdir -p "$share"
{
	echo "cd $(printf '%q' "$repo") || exit 1"
	while IFS= read -r v; do
		echo "export $v=$(printf '%q' "${!v}")"
	done < <(compgen -e | grep -E '^(E2E_[A-Za-z0-9_]*|RESIDUE_[A-Za-z0-9_]*|NSLAB)$' | LC_ALL=C sort)
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$share/cmd"

# ---- the VM ----

mkdir -p "$(dirname "$log")"
: >"$log"
if [ -t 0 ] && [ -t 1 ]; then
	# Interactive: the console and qemu's monitor on this terminal (Ctrl-A x quits).
	console=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$log" -serial chardev:con -mon chardev=con)
else
	console=(-chardev "stdio,id=con,signal=off,logfile=$log" -serial chardev:con -monitor none)
fi
echo "vm: booting $kernel ($kver) under TCG, ${mem} MiB, $cpus CPUs; log: $log" >&2
start=$EPOCHREALTIME
qemu=(qemu-system-x86_64 -accel tcg -cpu "${VM_CPU:-max}" -m "$mem" -smp "$cpus" -nodefaults -display none
	-no-reboot -kernel "$kernel" -initrd "$work/initramfs.cpio"
	-append "console=ttyS0 panic=-1 quiet loglevel=3 ${VM_APPEND:-}"
	"${console[@]}"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$share,mount_tag=nslabshare,security_model=none")
if [ -t 0 ]; then
	# An explicit redirection: a background job would get /dev/null as its input.
	"${qemu[@]}" <&0 &
else
	"${qemu[@]}" </dev/null &
fi
qpid=$!

elapsed() {
	awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'
}

why=""
booted=0
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$booted" = 0 ] && [ -e "$share/started" ]; then
		booted=1
		echo "vm: guest up after $(elapsed) s, running: $*" >&2
	fi
	t=$(elapsed)
	if [ "$booted" = 0 ] && [ "$t" -ge "$boot_limit" ]; then
		why="the guest did not start the command within $boot_limit s (VM_BOOT_TIMEOUT)"
	elif [ "$t" -ge "$limit" ]; then
		why="the guest did not finish within $limit s (VM_TIMEOUT)"
	fi
	if [ -n "$why" ]; then
		kill -KILL "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		qpid=""
		echo >&2
		echo "vm: FAIL: $why; killed it. Console log: $log" >&2
		exit 124
	fi
	sleep 0.5
done
qrc=0
wait "$qpid" || qrc=$?
qpid=""
t=$(elapsed)

if [ ! -e "$share/status" ]; then
	echo >&2
	if grep -q 'Kernel panic' "$log"; then
		echo "vm: FAIL: the guest kernel panicked after $t s (qemu exit $qrc):" >&2
		grep -A 3 'Kernel panic' "$log" | head -n 8 | sed 's/^/    /' >&2
	else
		echo "vm: FAIL: the guest stopped after $t s without a status (qemu exit $qrc); the console's last lines:" >&2
		tail -n 20 "$log" | sed 's/^/    /' >&2
	fi
	exit 1
fi
status=$(cat "$share/status")
case $status in
'' | *[!0-9]*) die "the guest left a malformed status: '$status'" ;;
esac
echo "vm: $* exited $status; guest ran $t s" >&2
exit "$status"
