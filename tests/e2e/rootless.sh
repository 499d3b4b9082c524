# shellcheck shell=bash
# tests/e2e/rootless.sh: sourced by run.sh --rootless (as root): a user of the run's own for
# the tests to run as, and the check that nothing of it outlives a test.
#
#   rl_setup      create the user E2E_USER (default nslab-e2e; a user of that name must be
#                 ours: created by this script, with its comment), give it subordinate ids
#                 when newuidmap/newgidmap are installed, a runtime directory, a home, and a
#                 copy of the repository (tests, scripts, topologies) and of $NSLAB it can
#                 read; sets RL_AS_USER (the command prefix that runs as it), RL_COPY, RL_UID,
#                 RL_SUBIDS ("FIRST-LAST" or empty)
#   rl_clean      after a test: no process of the user or of its subordinate ids left (but
#                 zombies), no lab state left; prints what is and ends it (by PID: they are
#                 the test's); 1 if anything was left
#   rl_teardown   ends what is left, removes the user, its ids and directories

# shellcheck disable=SC2034,SC2154 # RL_* are read by run.sh; $here is run.sh's
E2E_USER=${E2E_USER:-nslab-e2e}
RL_COMMENT="nslab e2e tests (temporary)"
RL_CREATED=0 RL_BASE="" RL_SUBIDS="" RL_SUB_LO=-1 RL_SUB_HI=-1
RL_AS_USER=()
RL_MADE=()

rl_setup() {
	local c start root nslab
	for c in setpriv useradd userdel tar; do
		if ! command -v "$c" >/dev/null; then
			echo "run.sh --rootless: $c is required and not installed" >&2
			return 1
		fi
	done
	if id "$E2E_USER" >/dev/null 2>&1; then
		if [ "$(getent passwd "$E2E_USER" | cut -d: -f5)" != "$RL_COMMENT" ]; then
			echo "run.sh --rootless: a user $E2E_USER exists and is not this suite's" >&2
			return 1
		fi
	elif ! useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "$RL_COMMENT" "$E2E_USER"; then
		echo "run.sh --rootless: cannot create the user $E2E_USER" >&2
		return 1
	fi
	RL_CREATED=1
	RL_UID=$(id -u "$E2E_USER")
	RL_GID=$(id -g "$E2E_USER")
	# Subordinate ids: where newuidmap and newgidmap exist, 65536 of them past every range
	# already given, so that daemons in the lab may switch users.
	if command -v newuidmap >/dev/null && command -v newgidmap >/dev/null && command -v usermod >/dev/null; then
		# usermod writes into the files, it does not make them: made here (and removed at the
		# end) where the system has none.
		local f
		for f in /etc/subuid /etc/subgid; do
			if [ ! -e "$f" ]; then
				install -m 0644 /dev/null "$f" && RL_MADE+=("$f")
			fi
		done
		start=$(grep -h "^$E2E_USER:" /etc/subuid 2>/dev/null | head -n 1 | cut -d: -f2)
		if [ -z "$start" ]; then
			start=$(cat /etc/subuid /etc/subgid 2>/dev/null |
				awk -F: '$2 + $3 > max { max = $2 + $3 } END { print max + 0 }')
			[ "$start" -ge 100000 ] || start=100000
			start=$(((start + 65535) / 65536 * 65536))
			if ! usermod --add-subuids "$start-$((start + 65535))" \
				--add-subgids "$start-$((start + 65535))" "$E2E_USER"; then
				echo "run.sh --rootless: cannot give $E2E_USER subordinate ids" >&2
				return 1
			fi
		fi
		RL_SUB_LO=$start RL_SUB_HI=$((start + 65535))
		RL_SUBIDS="$RL_SUB_LO-$RL_SUB_HI"
	fi
	RL_BASE=$(mktemp -d /tmp/nslab-e2e-user.XXXXXX) || return 1
	chmod 0755 "$RL_BASE"
	mkdir -m 0700 "$RL_BASE/run" "$RL_BASE/home"
	chown "$RL_UID:$RL_GID" "$RL_BASE/run" "$RL_BASE/home"
	# The user may not be able to read the repository where it lies (/root/...): a copy.
	root=$(cd "$here/../.." && pwd)
	RL_COPY=$RL_BASE/src
	mkdir "$RL_COPY"
	(cd "$root" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -C "$RL_COPY" -xf - || return 1
	nslab=${NSLAB:-build/nslab}
	case $nslab in /*) ;; *) nslab=$root/$nslab ;; esac
	if [ ! -x "$nslab" ]; then
		echo "run.sh --rootless: no nslab binary at $nslab" >&2
		return 1
	fi
	mkdir "$RL_BASE/bin"
	copy_nslab "$nslab" "$RL_BASE/bin" || return 1
	chmod -R a+rX "$RL_COPY" "$RL_BASE/bin"
	# A PATH of the system's (root's may name directories the user cannot enter).
	local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_BASE/home" XDG_RUNTIME_DIR="$RL_BASE/run" LANG=C.UTF-8
		NSLAB="$RL_BASE/bin/nslab")
	local v
	while IFS= read -r v; do env+=("$v"); done < <(env | grep -E '^E2E_[A-Z_]+=' | grep -v -e '^E2E_USER=')
	RL_AS_USER=(setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups -- env -i "${env[@]}")
}

# Live processes (not zombies) of the user or of its subordinate ids: "PID UID COMM".
rl_procs() {
	ps -eo pid=,uid=,stat=,comm= |
		awk -v u="$RL_UID" -v lo="$RL_SUB_LO" -v hi="$RL_SUB_HI" \
			'($2 == u || ($2 >= lo && $2 <= hi && lo >= 0)) && $3 !~ /^Z/ { print $1, $2, $4 }'
}

rl_end_procs() {
	local pid rest
	while read -r pid rest; do
		kill -KILL "$pid" 2>/dev/null
	done < <(rl_procs)
}

rl_clean() {
	local left state bad=0
	# A namespace's processes go asynchronously: give them a moment.
	for _ in $(seq 1 100); do
		left=$(rl_procs)
		[ -z "$left" ] && break
		sleep 0.02
	done
	if [ -n "$left" ]; then
		echo "not ok (run.sh --rootless): processes of $E2E_USER left after the test:"
		printf '%s\n' "$left" | sed 's/^/    /'
		rl_end_procs
		bad=1
	fi
	state=$(find "$RL_BASE/run/nslab" "/tmp/nslab-$RL_UID" -mindepth 1 -maxdepth 1 2>/dev/null)
	if [ -n "$state" ]; then
		echo "not ok (run.sh --rootless): lab state left after the test:"
		printf '%s\n' "$state" | sed 's/^/    /'
		rm -rf "$RL_BASE/run/nslab" "/tmp/nslab-$RL_UID"
		bad=1
	fi
	return "$bad"
}

rl_teardown() {
	local f
	[ "$RL_CREATED" = 1 ] || return 0
	rl_end_procs
	sleep 0.1
	userdel "$E2E_USER" 2>/dev/null || echo "run.sh --rootless: userdel $E2E_USER failed" >&2
	getent group "$E2E_USER" >/dev/null && groupdel "$E2E_USER" 2>/dev/null
	# userdel drops the subordinate ranges with the user; where it does not, so do we.
	if grep -q "^$E2E_USER:" /etc/subuid /etc/subgid 2>/dev/null; then
		sed -i "/^$E2E_USER:/d" /etc/subuid /etc/subgid
	fi
	for f in "${RL_MADE[@]}"; do
		[ -s "$f" ] || rm -f "$f"
	done
	[ -n "$RL_BASE" ] && rm -rf "$RL_BASE"
	if [ -n "${RL_UID:-}" ] && [ -d "/tmp/nslab-$RL_UID" ] && [ "$(stat -c %u "/tmp/nslab-$RL_UID")" = "$RL_UID" ]; then
		rm -rf "/tmp/nslab-$RL_UID"
	fi
	RL_CREATED=0
}
