#!/usr/bin/env bash
# residue.sh: what a lab left behind on the host.
#
#   scripts/residue.sh snapshot FILE           record the host's state before a lab
#   scripts/residue.sh sysctl FILE KEY...      also watch these host sysctls (after snapshot)
#   scripts/residue.sh record FILE LAB         while LAB is up: remember its holders' namespaces
#   scripts/residue.sh compare FILE [LAB...]   after down: list what differs, exit 1 if anything
#
# Compared: host links, addresses and routes (both families, every table), nft tables (as
# root), entries of /run/netns, mounts (nsfs bind mounts and any other), the hostname, watched
# sysctls, processes still inside a recorded lab's network or PID namespace, and for each LAB
# (given or recorded): its state directory, /run/netns/LAB.*, links aliased nslab:LAB, nft
# table nslab-LAB. Run as a user other than root (rootless labs), the state directory is the
# user's (rsd_state_root) and no process of the user may be left in a user namespace other
# than the user's own (where a rootless lab's keeper, holders and commands live).
# A namespace is freed asynchronously, so compare polls for up to RESIDUE_WAIT seconds
# (default 2) in 20 ms steps before it reports.
#
# The file can be sourced (tests/e2e/lib.sh does): it then only defines rsd_* functions.
# Needs ip, jq; nft if installed.

# Emits the host's state as sorted "kind<TAB>value" lines. $1: a snapshot whose sysctl
# lines name the keys to read (optional).
rsd_state() {
	local snap=${1:-} key fam
	{
		ip -j link show | jq -r '.[] | "link\t\(.ifname)"'
		ip -j addr show | jq -r '.[] | .ifname as $i | (.addr_info // [])[] | "addr\t\($i) \(.local)/\(.prefixlen)"'
		for fam in 4 6; do
			ip -"$fam" -j route show table all | jq -r --arg k "route$fam" '.[] | "\($k)\t\(.type // "unicast") \(.dst) via \(.gateway // "-") dev \(.dev // "-") table \(.table // "main") metric \(.metric // 0)"'
		done
		if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
			nft -j list tables | jq -r '.nftables[] | select(.table) | "nft\t\(.table.family) \(.table.name)"'
		fi
		if [ -d /run/netns ]; then
			find /run/netns -mindepth 1 -maxdepth 1 -printf 'netns\t%f\n'
		fi
		# Mount point and type. /run/netns and /run/nslab bound on themselves (as ip netns
		# does once, to make them shared) are expected to stay.
		awk '{ for (i = 7; $i != "-"; i++) ; t = $(i + 1)
			if (t != "nsfs" && ($5 == "/run/netns" || $5 == "/run/nslab")) next
			print "mount\t" t " " $5 }' /proc/self/mountinfo
		printf 'hostname\t%s\n' "$(cat /proc/sys/kernel/hostname)"
		if [ -n "$snap" ] && [ -f "$snap" ]; then
			awk -F'\t' '$1 == "sysctl" { split($2, a, "="); print a[1] }' "$snap" | while read -r key; do
				printf 'sysctl\t%s=%s\n' "$key" "$(rsd_sysctl_get "$key")"
			done
		fi
	} | sed 's/[[:space:]]\{2,\}/ /g' | LC_ALL=C sort
}

rsd_sysctl_get() {
	tr -s ' \t\n' '   ' <"/proc/sys/${1//.//}" 2>/dev/null | sed 's/ $//' || echo '?'
}

rsd_snapshot() {
	rsd_state >"$1"
}

rsd_watch_sysctl() {
	local snap=$1 key
	shift
	for key; do
		printf 'sysctl\t%s=%s\n' "$key" "$(rsd_sysctl_get "$key")" >>"$snap"
	done
}

# rsd_record FILE LAB [NSLAB]: the namespaces of LAB's holders, from `nslab status --json`
# (and a rootless lab's user namespace, its keeper's).
rsd_record() {
	local snap=$1 lab=$2 nslab=${3:-${NSLAB:-nslab}} pid ns st
	printf 'lab\t%s\n' "$lab" >>"$snap"
	st=$("$nslab" status "$lab" --json 2>/dev/null)
	for pid in $(jq -r --arg l "$lab" '.labs[]? | select(.name == $l) | .nodes[]?.pid' <<<"$st"); do
		for ns in net pid; do
			printf 'holder\t%s %s:[%s] pid %s\n' "$lab" "$ns" \
				"$(stat -L -c %i "/proc/$pid/ns/$ns" 2>/dev/null)" "$pid" >>"$snap"
		done
	done
	for pid in $(jq -r --arg l "$lab" '.labs[]? | select(.name == $l) | .keeper.pid // empty' <<<"$st"); do
		printf 'holder\t%s user:[%s] pid %s\n' "$lab" \
			"$(stat -L -c %i "/proc/$pid/ns/user" 2>/dev/null)" "$pid" >>"$snap"
	done
}

# What is wrong now, one line per problem (empty when clean).
rsd_problems() {
	local snap=$1 labs
	shift
	mapfile -t labs < <({ printf '%s\n' "$@"; awk -F'\t' '$1 == "lab" { print $2 }' "$snap"; } | grep . | sort -u)
	rsd_host_changes "$snap" "${labs[@]}"
	rsd_lab_traces "$snap" "${labs[@]}"
	rsd_foreign_userns
}

# rsd_host_changes FILE [LAB...]: changes to the host since the snapshot, lines only before
# (gone) or only after (left). Given the labs under test, other people's labs on the same host
# are not ours to report: namespaces and nsfs mounts count only when they name one of LABs,
# and links aliased nslab:OTHER (with their addresses and routes) and tables nslab-OTHER are
# left out.
rsd_host_changes() {
	local snap=$1 foreign
	shift
	foreign=$(ip -j link show | jq -r --arg mine " $* " '.[] | select((.ifalias // "") | startswith("nslab:"))
		| select(.ifalias[6:] as $l | $mine | contains(" " + $l + " ") | not) | .ifname' | tr '\n' ' ')
	LC_ALL=C comm -3 <(grep -v -e '^lab' -e '^holder' "$snap" | LC_ALL=C sort) <(rsd_state "$snap") |
		awk -F'\t' -v labs="$*" -v foreign=" $foreign" '
			function mine(v,   i, n, l) {
				if (labs == "") return 1
				n = split(labs, l, " ")
				for (i = 1; i <= n; i++) if (index(v, l[i])) return 1
				return 0
			}
			{ gone = $1 != ""; kind = gone ? $1 : $2; v = gone ? $2 : $3
			  split(v, w, " ") }
			(kind == "netns" || (kind == "mount" && w[1] == "nsfs")) && !mine(v) { next }
			kind == "link" && index(foreign, " " v " ") { next }
			kind == "addr" && index(foreign, " " w[1] " ") { next }
			kind ~ /^route/ && index(foreign, " " w[6] " ") { next }
			kind == "nft" && w[2] ~ /^nslab-/ && !mine(w[2]) { next }
			gone { printf "  changed/removed from the host: %s %s\n", kind, v; next }
			{ printf "  left on the host: %s %s\n", kind, v }'
}

# rsd_state_root: where nslab keeps the labs of the user running this (src/state/statedir.c):
# /run/nslab for root; else $XDG_RUNTIME_DIR/nslab when that is the user's own 0700 directory,
# else /tmp/nslab-UID.
rsd_state_root() {
	local uid x=${XDG_RUNTIME_DIR:-}
	uid=$(id -u)
	if [ "$uid" = 0 ]; then
		echo /run/nslab
	elif [ "${x:0:1}" = / ] && [ -d "$x" ] && [ ! -L "$x" ] &&
		[ "$(stat -c %u "$x")" = "$uid" ] && [ $((0$(stat -c %a "$x") & 077)) = 0 ]; then
		echo "$x/nslab"
	else
		echo "/tmp/nslab-$uid"
	fi
}

# rsd_foreign_userns: (a user other than root) live processes of this user in a user
# namespace other than the user's own: what is left of rootless labs.
rsd_foreign_userns() {
	local mine
	[ "$(id -u)" != 0 ] || return 0
	mine=$(stat -L -c %i /proc/self/ns/user)
	find /proc/[0-9]*/ns/ -maxdepth 1 -name user -user "$(id -u)" -printf '%h %l\n' 2>/dev/null |
		awk -v mine="user:[$mine]" '$2 != mine { split($1, p, "/")
			st = ""; f = "/proc/" p[3] "/stat"; getline st < f; close(f)
			sub(/^.*\) /, "", st); if (st ~ /^[ZX]/ || st == "") next
			c = ""; f = "/proc/" p[3] "/comm"; getline c < f; close(f)
			printf "  process %s (%s) in user namespace %s\n", p[3], c, $2 }'
}

# rsd_lab_traces FILE LAB...: what is left of these labs: processes in the namespaces their
# holders (and a rootless lab's keeper) had, as recorded in FILE; state, netns, aliased links,
# nft table.
rsd_lab_traces() {
	local snap=$1 lab l root
	shift
	[ $# -gt 0 ] || return 0
	root=$(rsd_state_root)
	find /proc/[0-9]*/ns/ -maxdepth 1 \( -name net -o -name pid -o -name user \) -printf '%h %l\n' 2>/dev/null |
		awk -v labs=" $* " '
			NR == FNR { if ($1 == "holder" && index(labs, " " $2 " ")) want[$3] = $2; next }
			{ split($1, p, "/"); if ((t = $2) in want)
				{ st = ""; f = "/proc/" p[3] "/stat"; getline st < f; close(f)
				  sub(/^.*\) /, "", st); if (st ~ /^[ZX]/) next   # a zombie holds nothing
				  c = ""; f = "/proc/" p[3] "/comm"; getline c < f; close(f)
				  printf "  process %s (%s) still in lab %s namespace %s\n", p[3], c, want[t], t } }' \
			FS='[ \t]' "$snap" FS=' ' - | sort -u
	for lab; do
		[ -n "$lab" ] || continue
		[ -e "$root/$lab" ] && echo "  state left: $root/$lab"
		for l in /run/netns/"$lab".*; do
			[ -e "$l" ] && echo "  netns left: $l"
		done
		ip -j link show | jq -r --arg a "nslab:$lab" '.[] | select(.ifalias == $a)
			| "  host link left with alias \($a): \(.ifname)"'
		if [ "$(id -u)" = 0 ] && command -v nft >/dev/null && nft list table inet "nslab-$lab" >/dev/null 2>&1; then
			echo "  nft table left: inet nslab-$lab"
		fi
	done | sort -u
}

# rsd_deadline SECONDS: the time (microseconds since the epoch) SECONDS from now.
rsd_deadline() {
	awk -v t="$EPOCHREALTIME" -v w="$1" 'BEGIN { printf "%.0f", (t + w) * 1000000 }'
}

rsd_past() {
	[ "${EPOCHREALTIME/./}" -ge "$1" ]
}

# rsd_poll CMD...: run CMD (which prints problems) until it prints nothing, for up to
# RESIDUE_WAIT seconds in 20 ms steps; 0 when clean, else 1 and the last problems on stdout.
rsd_poll() {
	local out deadline
	deadline=$(rsd_deadline "${RESIDUE_WAIT:-2}")
	while :; do
		out=$("$@")
		[ -z "$out" ] && return 0
		rsd_past "$deadline" && break
		sleep 0.02
	done
	printf '%s\n' "$out"
	return 1
}

# rsd_compare FILE [LAB...]: 0 when the host is back to FILE, else 1 and the list on stdout.
rsd_compare() {
	local out
	out=$(rsd_poll rsd_problems "$@") && return 0
	printf 'residue:\n%s\n' "$out"
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}
	[ $# -ge 2 ] || cmd=help
	case $cmd in
	snapshot) rsd_snapshot "$2" ;;
	sysctl) rsd_watch_sysctl "${@:2}" ;;
	record) rsd_record "$2" "${3:?LAB}" ;;
	compare) rsd_compare "${@:2}" ;;
	*)
		sed -n '2,7s/^# \{0,1\}//p' "$0" >&2
		exit 2
		;;
	esac
fi
