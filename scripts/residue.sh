#!/usr/bin/env bash
# residue.sh: what a lab left behind on the host.
#
#   scripts/residue.sh snapshot FILE           record the host's state before a lab
#   scripts/residue.sh sysctl FILE KEY...      also watch these host sysctls (after snapshot)
#   scripts/residue.sh record FILE LAB         while LAB is up: remember its holders' namespaces
#   scripts/residue.sh gone FILE LAB           LAB's down returned (later processes are not its)
#   scripts/residue.sh compare FILE [LAB...]   after down: list what differs, exit 1 if anything
#
# Compared with the snapshot:
# - host links: name, index, kind, MTU, admin and operational state, master, MAC, root qdisc
#   and alias; their addresses; routes and policy rules (both families, every table);
# - nft tables of the host (family, name, handle: a table deleted and made again differs);
# - sysctls: every net.* key of the host that is not per interface (plus conf/neigh of all,
#   default and lo), and the keys added with `sysctl` (a test's topology's host sysctls);
# - mounts: every mount of the host (type and mount point), nsfs binds wherever they are,
#   anything mounted under /run/netns; the hostname; entries of /run/netns;
# - network namespaces kept alive without a bind mount: by a process, a thread or an open
#   file descriptor (/proc/*/task/*/ns/net, /proc/*/fd/*), that did not exist at the snapshot;
# - for each LAB (given or recorded): processes still in its holders' network or PID
#   namespaces (a rootless lab's: in its keeper's user namespace too), its state directory,
#   /run/netns/LAB.*, links aliased nslab:LAB, nft table nslab-LAB, cgroup (v2) nslab-LAB.
# Run as a user other than root (rootless labs): the state directory is the user's own
# (rsd_state_root), the host's nft tables are not read (a user can neither read nor change
# them), and no process of the user may be left in a user namespace other than the user's
# (where a rootless lab's keeper, holders and commands live).
# Given the labs under test, other people's labs on the same host are not reported: names
# under /run/netns that are not LAB.* of one of them (and the namespaces bound there), links
# aliased nslab:OTHER with their addresses and routes, tables nslab-OTHER.
# A namespace is freed asynchronously, so compare polls for up to RESIDUE_WAIT seconds
# (default 2) in 20 ms steps before it reports.
# New namespaces: with RSD_MARK set (tests/e2e/lib.sh exports one line per test into the
# environment: nslab, its holders and what runs in the nodes inherit it), only those held by a
# process that has it are reported, so that a benchmark or another user's labs on a shared
# host are not taken for residue; RESIDUE_STRICT=1 (CI: .ci/run) reports every new namespace,
# whoever holds it. Without RSD_MARK, every one is reported.
#
# The file can be sourced (tests/e2e/lib.sh does): it then only defines rsd_* functions.
# Needs ip, jq, nft, sysctl, find, awk.

# Per-interface sysctl trees: only their all, default and lo entries are watched by default.
RSD_PER_IFACE_RE='^net\.(ipv4|ipv6|mpls)\.(conf|neigh)\.'
# Keys that change by themselves.
RSD_SYSCTL_VOLATILE_RE='^net\.netfilter\.nf_conntrack_count$'

# rsd_sysctls: every net.* sysctl of the host, "KEY=VALUE" (blanks squeezed), sorted.
rsd_sysctls() {
	sysctl -a -r '^net\.' 2>/dev/null |
		awk '{ i = index($0, " = "); if (!i) next
			k = substr($0, 1, i - 1); v = substr($0, i + 3)
			gsub(/[[:space:]]+/, " ", v); sub(/ $/, "", v)
			print k "=" v }' | LC_ALL=C sort
}

# Emits the host's state as sorted "kind<TAB>value" lines. $1: a snapshot whose sysctl
# lines name the keys to read (optional).
rsd_state() {
	local snap=${1:-} fam
	{
		ip -j -d link show | jq -r '.[] | "link\t\(.ifname) idx \(.ifindex) kind \(.linkinfo.info_kind // "-")"
			+ " mtu \(.mtu) admin \(if (.flags | index("UP")) then "up" else "down" end)"
			+ " oper \(.operstate // "-") master \(.master // "-") mac \(.address // "-")"
			+ " qdisc \(.qdisc // "-") alias \(.ifalias // "")"'
		ip -j addr show | jq -r '.[] | .ifname as $i | (.addr_info // [])[] | "addr\t\($i) \(.local)/\(.prefixlen)"'
		for fam in 4 6; do
			ip -"$fam" -j route show table all | jq -r --arg k "route$fam" '.[] | "\($k)\t\(.type // "unicast") \(.dst) via \(.gateway // "-") dev \(.dev // "-") table \(.table // "main") metric \(.metric // 0)"'
			ip -"$fam" -j rule show | jq -r --arg k "rule$fam" '.[] | "\($k)\t\(. | tostring)"'
		done
		# A failing nft shows as a line of its own, never as "no tables". (Not root: a user
		# may not read them, nor change them.)
		if [ "$(id -u)" = 0 ]; then
			{ nft -j list tables || echo '{"nftables": [{"table": {"family": "-", "name": "(nft list tables failed)", "handle": 0}}]}'; } |
				jq -r '.nftables[] | select(.table) | "nft\t\(.table.family) \(.table.name) handle \(.table.handle)"'
		fi
		if [ -d /run/netns ]; then
			find /run/netns -mindepth 1 -maxdepth 1 -printf 'netns\t%f\n'
		fi
		# Mount type and point. /run/netns and /run/nslab made mount points of their own
		# (as `ip netns` and `nslab up` do once) may stay: the first such mount on each is
		# not reported, a second one stacked on it is.
		awk '{ for (i = 7; $i != "-"; i++) ; t = $(i + 1)
			if (t != "nsfs" && ($5 == "/run/netns" || $5 == "/run/nslab") && !seen[$5]++) next
			print "mount\t" t " " $5 (seen[$5] > 1 ? " (stacked " seen[$5] ")" : "") }' /proc/self/mountinfo
		printf 'hostname\t%s\n' "$(cat /proc/sys/kernel/hostname)"
		if [ -n "$snap" ] && [ -f "$snap" ]; then
			# The watched keys' values now ("?" for a key that does not exist): net.* from
			# one read of them all, the others (a topology may name one) one by one.
			awk -F'\t' '
				NR == FNR { i = index($0, "="); if (i) now[substr($0, 1, i - 1)] = substr($0, i + 1); next }
				$1 == "sysctl" { i = index($2, "="); k = substr($2, 1, i - 1)
					if (k in now) print "sysctl\t" k "=" now[k]; else print "other\t" k }' \
				<(rsd_sysctls) "$snap" | while IFS=$'\t' read -r kind key; do
				if [ "$kind" = other ]; then
					printf 'sysctl\t%s=%s\n' "$key" "$(rsd_sysctl_get "$key")"
				else
					printf '%s\t%s\n' "$kind" "$key"
				fi
			done
		fi
	} | sed 's/[[:space:]]\{2,\}/ /g' | LC_ALL=C sort
}

# rsd_sysctl_get KEY: its value, blanks squeezed; "?" when there is no such key.
rsd_sysctl_get() {
	local f=/proc/sys/${1//.//}
	if [ -r "$f" ]; then tr -s ' \t\n' '   ' <"$f" | sed 's/ $//'; else echo '?'; fi
}

# rsd_netns_holders: "INODE PATH" for every network namespace a process, a thread or an
# open descriptor holds: PATH is /proc/PID/task/TID/ns/net or /proc/PID/fd/N.
rsd_netns_holders() {
	find /proc/[0-9]*/task/[0-9]*/ns/net /proc/[0-9]*/fd -maxdepth 1 -lname 'net:*' \
		-printf '%l %p\n' 2>/dev/null | sed 's/^net:\[\([0-9]*\)\]/\1/'
}

# rsd_netns_bound: "INODE NAME" for each entry of /run/netns (a bind mount or anything that
# resolves to a namespace).
rsd_netns_bound() {
	local f
	[ -d /run/netns ] || return 0
	for f in /run/netns/*; do
		[ -e "$f" ] || continue
		printf '%s %s\n' "$(stat -L -c %i "$f" 2>/dev/null)" "${f#/run/netns/}"
	done
}

rsd_snapshot() {
	{
		rsd_state
		# Every sysctl a lab could change in the host: the net.* keys (host.sysctls are
		# net.* only), but per interface only all, default and lo (interfaces of other
		# labs come and go); a topology's own keys are added by rsd_watch_sysctl.
		# (The patterns go through the environment: awk -v would take their \. for escapes.)
		rsd_sysctls | PER=$RSD_PER_IFACE_RE VOL=$RSD_SYSCTL_VOLATILE_RE awk '{
			k = substr($0, 1, index($0, "=") - 1)
			if (k ~ ENVIRON["VOL"]) next
			if (k ~ ENVIRON["PER"]) { split(k, p, "."); if (p[4] != "all" && p[4] != "default" && p[4] != "lo") next }
			print "sysctl\t" $0 }'
		# The network namespaces that exist now: only new ones can be residue.
		{
			readlink /proc/self/ns/net | tr -dc '0-9'
			echo
			rsd_netns_holders | awk '{ print $1 }'
			rsd_netns_bound | awk '{ print $1 }'
		} | grep . | sort -u | sed 's/^/known-netns\t/'
	} | LC_ALL=C sort >"$1"
}

# rsd_watch_sysctl FILE KEY...: watch these keys too, with their current values (a key
# already watched keeps the value it had when first watched).
rsd_watch_sysctl() {
	local snap=$1 key
	shift
	for key; do
		grep -qF "$(printf 'sysctl\t%s=' "$key")" "$snap" 2>/dev/null && continue
		printf 'sysctl\t%s=%s\n' "$key" "$(rsd_sysctl_get "$key")" >>"$snap"
	done
}

# rsd_watch_topology FILE TOPO...: watch the host sysctls these topologies name.
rsd_watch_topology() {
	local snap=$1 t keys
	shift
	for t; do
		mapfile -t keys < <(jq -r '(.host.sysctls // {}) | keys[]' "$t" 2>/dev/null)
		[ ${#keys[@]} -eq 0 ] || rsd_watch_sysctl "$snap" "${keys[@]}"
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

# rsd_gone FILE LAB: LAB's down has returned: now, in clock ticks since boot (what
# /proc/PID/stat's start time counts). A process started later is in none of its namespaces:
# the kernel gives a namespace's inode number to the next namespace made once it is freed (the
# lowest free number), so a later holder (another test's, another user's) may show the number
# a holder of LAB had; a namespace whose init is gone takes no new process.
rsd_gone() {
	printf 'gone\t%s\t%s\n' "$2" "$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", $1 * hz }' /proc/uptime)" >>"$1"
}

# rsd_labs FILE [LAB...]: the labs under test: the given ones and those recorded in FILE.
rsd_labs() {
	local snap=$1
	shift
	{ printf '%s\n' "$@"; awk -F'\t' '$1 == "lab" { print $2 }' "$snap"; } | grep . | sort -u
}

# What is wrong now, one line per problem (empty when clean).
rsd_problems() {
	local snap=$1 labs
	shift
	mapfile -t labs < <(rsd_labs "$snap" "$@")
	rsd_host_changes "$snap" "${labs[@]}"
	rsd_new_netns "$snap" "${labs[@]}"
	rsd_lab_traces "$snap" "${labs[@]}"
	rsd_foreign_userns
}

# rsd_host_changes FILE [LAB...]: changes to the host since the snapshot: lines only before
# (changed/removed) or only after (left). With no LAB, everything counts.
rsd_host_changes() {
	local snap=$1
	shift
	awk -F'\t' -v labs="$*" '
		function mine_name(n,   i, k, l) {   # n: a name under /run/netns
			if (labs == "") return 1
			k = split(labs, l, " ")
			for (i = 1; i <= k; i++) if (index(n, l[i] ".") == 1) return 1
			return 0
		}
		function mine_lab(x,   i, k, l) {
			if (labs == "") return 1
			k = split(labs, l, " ")
			for (i = 1; i <= k; i++) if (x == l[i]) return 1
			return 0
		}
		function alias_of(v,   i) { i = index(v, " alias "); return i ? substr(v, i + 7) : "" }
		function note_link(v,   w, a, lab) {
			split(v, w, " "); a = alias_of(v)
			if (a ~ /^nslab:/) { lab = substr(a, 7); sub(/:.*/, "", lab); if (!mine_lab(lab)) foreign[w[1]] = 1 }
			if (!snapfile) present[w[1]] = 1
		}
		FNR == 1 { snapfile = NR == 1 }
		$1 == "lab" || $1 == "holder" || $1 == "gone" || $1 == "known-netns" { next }
		{ if (snapfile) before[$0]++; else after[$0]++ }
		$1 == "link" { note_link($2) }
		END {
			for (l in before) if (before[l] > after[l]) report(l, before[l] - after[l], 1)
			for (l in after) if (after[l] > before[l]) report(l, after[l] - before[l], 0)
		}
		function report(line, times, gone,   i, kind, v, w, n, mp, k, p) {
			i = index(line, "\t"); kind = substr(line, 1, i - 1); v = substr(line, i + 1)
			n = split(v, w, " ")
			if (kind == "netns" && !mine_name(v)) return
			if (kind == "mount") {
				mp = w[2]
				if (mp ~ /^\/run\/netns\// && !mine_name(substr(mp, 12))) return
			}
			if (kind == "link" && (w[1] in foreign)) return
			if (kind == "addr" && (w[1] in foreign)) return
			if (kind ~ /^route/ && (w[6] in foreign)) return
			if (kind == "nft" && w[2] ~ /^nslab-/ && !mine_lab(substr(w[2], 7))) return
			if (kind == "sysctl") {
				# A key of an interface the test removed: the link lines tell.
				k = substr(v, 1, index(v, "=") - 1)
				if (k ~ /^net\.(ipv4|ipv6|mpls)\.(conf|neigh)\./) {
					split(k, p, ".")
					if (!(p[4] in present) && p[4] != "all" && p[4] != "default") return
				}
			}
			for (; times > 0; times--)
				if (gone) printf "  changed/removed from the host: %s %s\n", kind, v
				else printf "  left on the host: %s %s\n", kind, v
		}' "$snap" <(rsd_state "$snap") | LC_ALL=C sort
}

# rsd_new_netns FILE [LAB...]: network namespaces that did not exist at the snapshot and
# that a process, a thread or an open descriptor keeps alive. Namespaces bound under
# /run/netns by other people (names that are not LAB.*) are theirs.
rsd_new_netns() {
	local snap=$1
	shift
	{
		awk '$1 == "known-netns" { print "K", $2 }' "$snap"
		rsd_netns_bound | sed 's/^/B /'
		rsd_netns_holders | sed 's/^/H /'
	} | awk -v labs="$*" '
		function mine_name(n,   i, k, l) {
			if (labs == "") return 1
			k = split(labs, l, " ")
			for (i = 1; i <= k; i++) if (index(n, l[i] ".") == 1) return 1
			return 0
		}
		$1 == "K" { known[$2] = 1; next }
		$1 == "B" { if ($2 != "" && !mine_name($3)) known[$2] = 1; next }
		$1 == "H" && !($2 in known) {
			split($3, p, "/"); pid = p[3]
			st = ""; f = "/proc/" pid "/stat"; getline st < f; close(f)
			c = ""; f = "/proc/" pid "/comm"; getline c < f; close(f)
			sub(/^.*\) /, "", st); if (st ~ /^[ZX]/) next
			how = p[4] == "fd" ? "open descriptor " p[5] : (p[5] == pid ? "process" : "thread " p[5])
			print $2 "\t" pid "\t" c "\t" how
		}' | LC_ALL=C sort -u | while IFS=$'\t' read -r ino pid comm how; do
		if [ -n "${RSD_MARK:-}" ] && tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "$RSD_MARK"; then
			whose="started under this test"
		elif [ -z "${RSD_MARK:-}" ]; then
			whose="whose process it is: unknown"
		elif [ "${RESIDUE_STRICT:-0}" = 1 ]; then
			whose="not started under this test: RESIDUE_STRICT=1 reports it anyway"
		else
			continue
		fi
		printf '  network namespace net:[%s] (new since the snapshot) held by process %s (%s, %s): %s\n' \
			"$ino" "$pid" "$comm" "$whose" "$how"
	done
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

# rsd_cgroup2_mounts: where cgroup v2 is mounted (a lab's cgroups are nslab-LAB at its root).
rsd_cgroup2_mounts() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
		/proc/self/mountinfo | sort -u
}

# rsd_lab_traces FILE LAB...: what is left of these labs: processes in the namespaces their
# holders (and a rootless lab's keeper) had, as recorded in FILE; state, netns, aliased links,
# nft table. Names listed in RSD_NOT_OURS (blank-separated, e.g. "LAB.vpn", made by the test
# itself) are not counted, nor the processes in RSD_NOT_OURS_PIDS (a test's own foreign
# processes: the kernel reuses the inode of a namespace that died, so a namespace made after
# the lab's may carry its number).
rsd_lab_traces() {
	local snap=$1 lab l root
	shift
	[ $# -gt 0 ] || return 0
	root=$(rsd_state_root)
	find /proc/[0-9]*/ns/ -maxdepth 1 \( -name net -o -name pid -o -name user \) -printf '%h %l\n' 2>/dev/null |
		awk -v labs=" $* " -v skip=" ${RSD_NOT_OURS_PIDS:-} " '
			NR == FNR { if ($1 == "holder" && index(labs, " " $2 " ")) want[$3] = $2
				    if ($1 == "gone") gone[$2] = $3; next }
			{ split($1, p, "/"); if (index(skip, " " p[3] " ")) next; if ((t = $2) in want)
				{ st = ""; f = "/proc/" p[3] "/stat"; getline st < f; close(f)
				  sub(/^.*\) /, "", st); if (st ~ /^[ZX]/) next   # a zombie holds nothing
				  split(st, sf, " ")   # sf[20]: the start time (field 22 of stat)
				  if (want[t] in gone && sf[20] + 0 > gone[want[t]] + 0) next   # a namespace made later, same number
				  c = ""; f = "/proc/" p[3] "/comm"; getline c < f; close(f)
				  printf "  process %s (%s) still in lab %s namespace %s\n", p[3], c, want[t], t } }' \
			FS='[ \t]' "$snap" FS=' ' - | sort -u
	for lab; do
		[ -n "$lab" ] || continue
		[ -e "$root/$lab" ] && echo "  state left: $root/$lab"
		for l in /run/netns/"$lab".*; do
			[[ " ${RSD_NOT_OURS:-} " == *" ${l#/run/netns/} "* ]] && continue
			[ -e "$l" ] || [ -L "$l" ] && echo "  netns left: $l"
		done
		ip -j link show | jq -r --arg a "nslab:$lab" '.[] | select(.ifalias == $a)
			| "  host link left with alias \($a): \(.ifname)"'
		if [ "$(id -u)" = 0 ] && nft list table inet "nslab-$lab" >/dev/null 2>&1; then
			echo "  nft table left: inet nslab-$lab"
		fi
		for l in $(rsd_cgroup2_mounts); do
			[ -d "$l/nslab-$lab" ] && echo "  cgroup left: $l/nslab-$lab"
		done
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
	gone) rsd_gone "$2" "${3:?LAB}" ;;
	compare) rsd_compare "${@:2}" ;;
	*)
		sed -n '2,7s/^# \{0,1\}//p' "$0" >&2
		exit 2
		;;
	esac
fi
