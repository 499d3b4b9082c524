# shellcheck shell=bash
# tests/e2e/need_kernel.sh: need_kernel FEATURE... for the tests of kernel features that this
# CI kernel lacks (802.1Q, VRF, dummy, bonding, ipvlan), sourced by them only when lib.sh has
# no need_kernel of its own (the VM lane's lib.sh brings one; then this file goes). Skips with
# the reason unless each FEATURE works in a throwaway network namespace, after a modprobe
# that adds no device to the host. Call it before the test makes anything: what loading a
# module changes in the host (bonding brings tls, whose ULP shows in a sysctl) goes into the
# residue snapshot.

need_kernel() {
	local f mod probe why
	for f; do
		case $f in
		8021q | vlan) mod=8021q probe='ip link add kp0 type veth peer name kp1 && ip link add link kp0 name kp0.7 type vlan id 7' ;;
		vrf) mod=vrf probe='ip link add kp0 type vrf table 77' ;;
		dummy) mod="dummy numdummies=0" probe='ip link add kp0 type dummy' ;;
		ipvlan) mod=ipvlan probe='ip link add kp0 type veth peer name kp1 && ip link add kp2 link kp0 type ipvlan mode l2' ;;
		bond | bonding) mod="bonding max_bonds=0" probe='ip link add kp0 type bond' ;;
		*) die "need_kernel: unknown feature '$f'" ;;
		esac
		command -v unshare >/dev/null || die "need_kernel: unshare (util-linux) is not installed"
		# shellcheck disable=SC2086 # the module and its parameters
		if command -v modprobe >/dev/null; then modprobe -q $mod 2>/dev/null; fi
		if ! why=$(unshare -n sh -c "$probe" 2>&1); then
			# a kernel's lack: E2E_STRICT lets it pass as a skip (run.sh)
			echo "SKIP-KIND: kernel"
			skip "kernel $(uname -r) lacks $f: $probe: $(printf '%s' "${why:-the probe failed}" | head -n 1)"
		fi
	done
	residue_snapshot
}
