#!/usr/bin/env bash
# tests/docs/completion.sh: the bash and zsh completion scripts, no root and no lab needed.
#
# nslab is replaced by a stub that answers `__complete` with made-up labs (alpha: nodes a1,
# a2; beta: node b1) and adds a command of the future to --help ("link [-l LAB] NODE:IF
# up|down"), to show that a new command completes without a change to the scripts; the rest
# goes to the real nslab. Each case completes a command line and compares the candidates.
# Prints "ok: ..." or "not ok: ..." per case.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NSLAB=${NSLAB:-$root/build/nslab}
tmp=$(mktemp -d /tmp/nslab-comp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0

bc=/usr/share/bash-completion/bash_completion
if [ ! -r "$bc" ]; then
	echo "not ok: $bc is missing (Debian package bash-completion; scripts/install-deps.sh installs it)"
	exit 1
fi

stub=$tmp/bin/nslab
mkdir -p "$tmp/bin" "$tmp/files/sub"
cat >"$stub" <<STUB
#!/bin/sh
case "\$1 \${2:-} \${3:-}" in
"--help  ") "$NSLAB" --help | sed 's/^  graph /  link [-l LAB] NODE:IF up|down   set a link up or down\\n  graph /'; exit ;;
"link --help ") echo "usage: nslab link [-l LAB] NODE:IF up|down"; echo "set a link up or down"; exit ;;
"__complete labs ") printf 'alpha\\nbeta\\n'; exit ;;
"__complete nodes ") printf 'alpha.a1\\nalpha.a2\\nbeta.b1\\n'; exit ;;
"__complete nodes alpha") printf 'a1\\na2\\n'; exit ;;
"__complete nodes beta") printf 'b1\\n'; exit ;;
"__complete ifaces alpha") printf 'a1:eth0\\na1:lo\\na2:eth0\\n'; exit ;;
"__complete ifaces "*) exit ;;
"__complete hosts a.json") printf 'east\\nwest\\n'; exit ;;
esac
exec "$NSLAB" "\$@"
STUB
chmod +x "$stub"
touch "$tmp/files/a.json" "$tmp/files/b.yaml" "$tmp/files/c.yml" "$tmp/files/notes.txt"

cat >"$tmp/comp.bash" <<'EOF2'
# comp.bash LINE: the candidates bash offers at the end of LINE, sorted, one a line.
. /usr/share/bash-completion/bash_completion
. "$COMPLETION"
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_nslab nslab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
printf '%s\n' "${COMPREPLY[@]}" | sort -u | grep -v '^$'
EOF2

cat >"$tmp/comp.zsh" <<'EOF2'
# comp.zsh LINE: what _nslab hands to compadd (and to the stand-ins of _files, _normal and
# _command_names) at the end of LINE.
compadd() { local a; for a in "$@"; do [[ $a != -- && $a == ${PREFIX}* ]] && print -r -- "$a"; done }
_files() { print -r -- "<files>" }
_normal() { print -r -- "<command line: $words>" }
_command_names() { print -r -- "<commands>" }
line=$1
words=(${(z)line})
[[ $line == *' ' ]] && words+=('')
CURRENT=$#words
PREFIX=$words[CURRENT]
fpath=($COMPLETION_DIR $fpath)
autoload -Uz _nslab
_nslab | sort -u
EOF2

# expect SHELL LINE WANT...: the candidates are exactly WANT (sorted).
expect() {
	local sh=$1 line=$2 got want
	shift 2
	want=$(printf '%s\n' "$@" | sort -u | grep -v '^$')
	if [ "$sh" = bash ]; then
		got=$(cd "$tmp/files" && COMPLETION=$root/completion/nslab.bash bash "$tmp/comp.bash" "$line" 2>&1)
	else
		got=$(cd "$tmp/files" && COMPLETION_DIR=$root/completion zsh -f "$tmp/comp.zsh" "$line" 2>&1)
	fi
	if [ "$got" = "$want" ]; then
		echo "ok: $sh: '$line' -> $(tr '\n' ' ' <<<"$got")"
	else
		echo "not ok: $sh: '$line'"
		echo "    want: $(tr '\n' ' ' <<<"$want")"
		echo "    got:  $(tr '\n' ' ' <<<"$got")"
		failed=1
	fi
}

s=$stub
# The real commands (from nslab's own --help) and the stub's command of the future.
mapfile -t commands < <("$NSLAB" --help | awk '/^  [a-z]/ { print $1 }')
commands+=(link)
for sh in bash zsh; do
	expect $sh "$s " "${commands[@]}"
	expect $sh "$s gr" graph
	expect $sh "$s -q st" status
	expect $sh "$s -" -q --quiet -v --verbose -h --help --version
	expect $sh "$s up --" --name --host --dry-run --timing --json --quiet --verbose --help
	expect $sh "$s up a.json --host " east west
	expect $sh "$s graph --format " dot mermaid
	expect $sh "$s graph --format m" mermaid
	expect $sh "$s exec " alpha.a1 alpha.a2 beta.b1
	expect $sh "$s exec -l alpha " a1 a2
	expect $sh "$s exec -l " alpha beta
	expect $sh "$s status " alpha beta
	expect $sh "$s link -l alpha a1:eth0 " up down
done
# Files: topology files and directories only.
expect bash "$s validate " a.json b.yaml c.yml sub
expect bash "$s down " alpha beta a.json b.yaml c.yml sub
expect zsh "$s validate " "<files>"
expect zsh "$s down " alpha beta "<files>"
# NODE:IF: bash leaves out what comes before the ':' (it splits words there).
expect bash "$s link -l alpha " a1:eth0 a1:lo a2:eth0
expect bash "$s link -l alpha a1:" eth0 lo
expect zsh "$s link -l alpha " a1:eth0 a1:lo a2:eth0
# After NODE, exec's command line is a command line of its own.
expect bash "$s exec alpha.a1 ech" echo
expect zsh "$s exec alpha.a1 ech" "<commands>"
expect zsh "$s exec alpha.a1 ip ad" "<command line: ip ad>"
expect bash "$s exec -l alpha a1 -- ech" echo
exit "$failed"
