#!/usr/bin/env bash
# tests/docs/check.sh: the README and the man pages never contradict the code by leaving
# something out. Every command and flag nslab's help shows (the command table of
# src/cli/main.c, and the options of every command), every topology key the parser accepts
# (the key tables of src/model/parse_*.c, the ones "did you mean" draws on) and every exit
# status of src/cli/cli.h must appear in README.md and in the man pages:
#
#   command CMD   README: "nslab CMD"; nslab(1): an entry "*CMD*" under COMMANDS
#   flag          README: the flag as a word; nslab(1): in its command's entry (options of
#                 every command: anywhere)
#   key           README and nslab-topology(5): `key`, "key", *key*, .key or key: as a word
#   exit status   README: a table row "| N |"; nslab(1): a table row "|[ N"
#
# Prints every missing item, one a line, and exits 1 if there is any. No root.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NSLAB=${NSLAB:-$root/build/nslab}
readme=$root/README.md
man1=$root/doc/nslab.1.scd
man5=$root/doc/nslab-topology.5.scd
missing=0 checked=0

miss() {
	echo "MISSING: $*"
	missing=$((missing + 1))
}

# has FILE ERE: the file has a line matching ERE (in scdoc sources, once the escapes "\_"
# and "\*" are read as "_" and "*").
has() {
	checked=$((checked + 1))
	case $1 in
	*.scd) sed 's/\\\([_*]\)/\1/g' "$1" | grep -qE -- "$2" ;;
	*) grep -qE -- "$2" "$1" ;;
	esac
}

# The regex of a word: not inside a longer word or flag.
word() {
	local w=${1//./\\.}
	printf '(^|[^A-Za-z0-9_-])%s([^A-Za-z0-9_-]|$)' "$w"
}

# The man page's entry of a command: from its "*CMD*" line to the next entry or section.
man_entry() {
	awk -v c="*$1*" '
		index($0, c) == 1 { on = 1; print; next }
		on && (/^\*[a-z]/ || /^# /) { exit }
		on { print }' "$man1"
}

help=$("$NSLAB" --help) || {
	echo "check.sh: $NSLAB --help failed" >&2
	exit 1
}
# The command table: the lines "  CMD ..." before "options of every command".
mapfile -t commands < <(awk '/^options of every command/ { exit } /^  [a-z]/ { print $1 }' <<<"$help")
[ ${#commands[@]} -gt 0 ] || {
	echo "check.sh: no command in $NSLAB --help" >&2
	exit 1
}
mapfile -t global_flags < <(sed -n '/^options of every command/,$p' <<<"$help" |
	grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,' | sort -u)

for cmd in "${commands[@]}"; do
	has "$readme" "nslab $cmd([^a-z-]|$)" || miss "README.md: command '$cmd' (no \"nslab $cmd\")"
	entry=$(man_entry "$cmd")
	checked=$((checked + 1))
	[ -n "$entry" ] || miss "doc/nslab.1.scd: command '$cmd' (no entry \"*$cmd*\" under COMMANDS)"
	usage=$("$NSLAB" "$cmd" --help | sed -n 's/^usage: nslab //p')
	[ -n "$usage" ] || miss "nslab $cmd --help: no usage line"
	for flag in $(grep -oE '(^|[][ |])--?[a-zA-Z][a-zA-Z-]*' <<<"$usage" | tr -d '[]| ' | sort -u); do
		has "$readme" "$(word "$flag")" || miss "README.md: flag '$flag' of '$cmd'"
		checked=$((checked + 1))
		grep -qE -- "$(word "$flag")" <<<"$entry" || miss "doc/nslab.1.scd: flag '$flag' in the entry of '$cmd'"
	done
done
for flag in "${global_flags[@]}"; do
	has "$readme" "$(word "$flag")" || miss "README.md: option '$flag' of every command"
	has "$man1" "$(word "$flag")" || miss "doc/nslab.1.scd: option '$flag' of every command"
done

# Topology keys: every name in a key table of the parser ({"key", J_TYPE}).
mapfile -t keys < <(cat "$root"/src/model/parse_*.c | grep -oE '\{"[A-Za-z0-9_]+", *J_[A-Z]+\}' |
	sed -E 's/^\{"([^"]*)".*/\1/' | sort -u)
[ ${#keys[@]} -gt 0 ] || {
	echo "check.sh: no key table found in src/model/parse_*.c" >&2
	exit 1
}
for key in "${keys[@]}"; do
	re="(^|[\`.\"*[:space:]])$key([\`\".*:[]|\\[)"
	has "$readme" "$re" || miss "README.md: topology key '$key'"
	has "$man5" "$re" || miss "doc/nslab-topology.5.scd: topology key '$key'"
done

# Exit statuses: every NSL_EXIT_* value.
mapfile -t statuses < <(grep -hoE '#define NSL_EXIT_[A-Z_]+ +[0-9]+' "$root"/src/cli/*.h | awk '{ print $3 }' | sort -un)
for s in "${statuses[@]}"; do
	has "$readme" "^\\| *\`?$s\`? *\\|" || miss "README.md: exit status $s (a table row \"| $s |\")"
	has "$man1" "^\\|\\[ $s\$" || miss "doc/nslab.1.scd: exit status $s (a table row \"|[ $s\")"
done

echo "docs: ${#commands[@]} commands, ${#keys[@]} topology keys, ${#statuses[@]} exit statuses; $checked checks, $missing missing"
[ "$missing" = 0 ]
