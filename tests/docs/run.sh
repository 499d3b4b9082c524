#!/usr/bin/env bash
# tests/docs/run.sh: the documentation and what installs it (make docs-check; no root needed).
#
#   check      README and man pages against the code (check.sh), and check.sh fails, naming
#              it, when a flag, a command or a key goes missing from either
#   man        the man pages render without a warning from groff
#   install    make install into a staging root puts every file where it belongs, man finds
#              the pages there, make uninstall removes them all
#   completion the bash and zsh completion scripts (completion.sh)
#
# NSLAB: the binary (default build/nslab); BUILD: the build directory (default build).
# Prints "PASS name" or "FAIL name" with the reasons, then "N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
export NSLAB=${NSLAB:-$root/build/nslab}
BUILD=${BUILD:-build}
tmp=$(mktemp -d /tmp/nslab-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

result() { # NAME LOG: pass unless LOG holds "not ok"
	if grep -q '^not ok' "$2"; then
		echo "FAIL $1"
		sed 's/^/    /' "$2"
		fail=$((fail + 1))
	else
		echo "PASS $1"
		pass=$((pass + 1))
	fi
}

# ---- check: the docs against the code ----
{
	if out=$("$root/tests/docs/check.sh" 2>&1); then
		echo "ok: $(tail -n 1 <<<"$out")"
	else
		echo "not ok: tests/docs/check.sh"
		printf '%s\n' "$out"
	fi
	# The check must catch what goes missing: a copy of the tree with a flag, a command
	# entry and a key taken out of the docs.
	mkdir -p "$tmp/tree/doc" "$tmp/tree/tests/docs" "$tmp/tree/src"
	cp -r "$root/src/model" "$root/src/cli" "$tmp/tree/src/"
	cp "$root/tests/docs/check.sh" "$tmp/tree/tests/docs/"
	sed 's/--mermaid/--mermaidx/g' "$root/README.md" >"$tmp/tree/README.md"
	sed 's/^\*graph\*/*graphx*/; s/\*stp\*/*stpx*/g' "$root/doc/nslab.1.scd" >"$tmp/tree/doc/nslab.1.scd"
	sed 's/\*stp\*/*stpx*/g' "$root/doc/nslab-topology.5.scd" >"$tmp/tree/doc/nslab-topology.5.scd"
	if out=$("$tmp/tree/tests/docs/check.sh" 2>&1); then
		echo "not ok: check.sh passed a README without --mermaid"
	else
		for want in "README.md: flag '--mermaid' of 'graph'" \
			"doc/nslab.1.scd: command 'graph'" \
			"doc/nslab-topology.5.scd: topology key 'stp'"; do
			if grep -qF -- "MISSING: $want" <<<"$out"; then echo "ok: check.sh names: $want"; else
				echo "not ok: check.sh does not name: $want"
				printf '%s\n' "$out"
			fi
		done
	fi
} >"$tmp/log" 2>&1
result check "$tmp/log"

# ---- man: the pages render cleanly ----
{
	for page in "$root/$BUILD"/man/nslab.1 "$root/$BUILD"/man/nslab-topology.5; do
		if [ ! -s "$page" ]; then
			echo "not ok: $page was not built"
			continue
		fi
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >"$tmp/page.txt")
		if [ -n "$warn" ]; then
			echo "not ok: $page: groff warns:"
			printf '%s\n' "$warn"
		else
			echo "ok: $page renders without warnings"
		fi
		lines=$(wc -l <"$tmp/page.txt")
		if [ "$lines" -gt 50 ]; then echo "ok: $page: $lines lines"; else echo "not ok: $page: only $lines lines"; fi
	done
	grep -q "EXIT STATUS" <(MANWIDTH=80 man -l "$root/$BUILD/man/nslab.1" 2>/dev/null) &&
		echo "ok: nslab(1) has EXIT STATUS" || echo "not ok: nslab(1) has no EXIT STATUS"
} >"$tmp/log" 2>&1
result man "$tmp/log"

# ---- install: make install / uninstall into a staging root ----
{
	stage=$tmp/stage
	want=(usr/bin/nslab usr/share/man/man1/nslab.1 usr/share/man/man5/nslab-topology.5
		usr/share/bash-completion/completions/nslab usr/share/zsh/vendor-completions/_nslab
		usr/share/doc/nslab/examples/demo.json usr/share/doc/nslab/examples/demo.yaml
		usr/lib/nslab/nslab-engine.so)
	if make -s -C "$root" BUILD="$BUILD" install DESTDIR="$stage" PREFIX=/usr >"$tmp/make.log" 2>&1; then
		echo "ok: make install DESTDIR=... PREFIX=/usr"
	else
		echo "not ok: make install failed"
		cat "$tmp/make.log"
	fi
	for f in "${want[@]}"; do
		if [ -s "$stage/$f" ]; then echo "ok: installed $f"; else echo "not ok: not installed: $f"; fi
	done
	[ -x "$stage/usr/bin/nslab" ] && "$stage/usr/bin/nslab" --version | grep -q '^nslab [0-9]' &&
		"$stage/usr/bin/nslab" validate "$root/topologies/demo.json" >/dev/null &&
		echo "ok: the installed nslab runs (its engine found in ../lib/nslab)" ||
		echo "not ok: the installed nslab does not run"
	# The program runs exec with libc and libcjson alone; everything else is the engine's.
	needed=$(LC_ALL=C readelf -d "$stage/usr/bin/nslab" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
	if [ "$needed" = "libc.so.6 libcjson.so.1 " ]; then echo "ok: bin/nslab needs $needed"; else
		echo "not ok: bin/nslab needs $needed(want libc.so.6 libcjson.so.1 alone)"
	fi
	# Without its engine: every command but exec fails, naming where it looked.
	if [ -e /usr/lib/nslab/nslab-engine.so ]; then
		echo "skip: without its engine: this machine has one in /usr/lib/nslab (nslab is installed)"
	else
		mv "$stage/usr/lib/nslab/nslab-engine.so" "$tmp/engine.so"
		out=$("$stage/usr/bin/nslab" status 2>&1)
		rc=$?
		if [ "$rc" = 1 ] && grep -qF "$stage/usr/bin/../lib/nslab/nslab-engine.so nor /usr/lib/nslab/nslab-engine.so" <<<"$out"; then
			echo "ok: without its engine: exit 1, $out"
		else
			echo "not ok: without its engine: exit $rc, $out"
		fi
		# --version is the program's own: it needs no engine.
		"$stage/usr/bin/nslab" --version | grep -q '^nslab [0-9]' &&
			echo "ok: without its engine: nslab --version answers" ||
			echo "not ok: without its engine: nslab --version fails"
		# An engine of another version is refused, not run (they share the lab's state).
		printf '%s\n' 'const char nsl_engine_version[] = "0.0-other";' \
			'int nsl_engine_main(int c, char **v) { (void)c; (void)v; return 0; }' >"$tmp/other.c"
		if cc -shared -fPIC -o "$stage/usr/lib/nslab/nslab-engine.so" "$tmp/other.c"; then
			out=$("$stage/usr/bin/nslab" status 2>&1)
			rc=$?
			if [ "$rc" = 1 ] && grep -qF "is version 0.0-other, the program $("$stage/usr/bin/nslab" --version | cut -d " " -f 2)" <<<"$out"; then
				echo "ok: an engine of another version: exit 1, $out"
			else
				echo "not ok: an engine of another version: exit $rc, $out"
			fi
		else
			echo "not ok: cannot build an engine of another version"
		fi
		# One from before engines said their version (an older installation): refused too,
		# with the status of a command that failed in nslab (run: 125).
		printf '%s\n' 'int nsl_engine_main(int c, char **v) { (void)c; (void)v; return 0; }' >"$tmp/old.c"
		if cc -shared -fPIC -o "$stage/usr/lib/nslab/nslab-engine.so" "$tmp/old.c"; then
			out=$("$stage/usr/bin/nslab" run "$root/topologies/demo.json" -- true 2>&1)
			rc=$?
			if [ "$rc" = 125 ] && grep -qF "is of an unknown version" <<<"$out"; then
				echo "ok: an engine of no version: run exits 125, $out"
			else
				echo "not ok: an engine of no version: run exit $rc, $out"
			fi
		else
			echo "not ok: cannot build an engine of no version"
		fi
		mv "$tmp/engine.so" "$stage/usr/lib/nslab/nslab-engine.so"
	fi
	if MANPATH=$stage/usr/share/man man -w nslab 2>/dev/null | grep -q "^$stage/usr/share/man/man1/nslab.1" &&
		MANPATH=$stage/usr/share/man man -w 5 nslab-topology 2>/dev/null | grep -q "man5/nslab-topology.5"; then
		echo "ok: man finds nslab(1) and nslab-topology(5) where they were installed"
	else
		echo "not ok: man does not find the installed pages"
	fi
	make -s -C "$root" BUILD="$BUILD" uninstall DESTDIR="$stage" PREFIX=/usr >"$tmp/make.log" 2>&1 ||
		{ echo "not ok: make uninstall failed"; cat "$tmp/make.log"; }
	left=$(find "$stage" -type f)
	if [ -z "$left" ]; then echo "ok: make uninstall leaves no file"; else
		echo "not ok: make uninstall left:"
		printf '%s\n' "$left"
	fi
	# /usr/local: zsh's site-functions, bash-completion's XDG_DATA_DIRS.
	make -s -C "$root" BUILD="$BUILD" install DESTDIR="$stage" >/dev/null 2>&1
	for f in usr/local/bin/nslab usr/local/lib/nslab/nslab-engine.so usr/local/share/zsh/site-functions/_nslab \
		usr/local/share/bash-completion/completions/nslab usr/local/share/man/man1/nslab.1; do
		if [ -s "$stage/$f" ]; then echo "ok: PREFIX=/usr/local: $f"; else echo "not ok: PREFIX=/usr/local: no $f"; fi
	done
} >"$tmp/log" 2>&1
result install "$tmp/log"

# ---- completion ----
"$root/tests/docs/completion.sh" >"$tmp/log" 2>&1 || echo "not ok: completion.sh exited $?" >>"$tmp/log"
result completion "$tmp/log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
