# shellcheck shell=bash
# bash completion for nslab(1).
#
# Driven by nslab itself, so that commands and options added later complete without a change
# here: the commands come from `nslab --help`, each command's options and arguments from its
# usage line (`nslab CMD --help`): "[--name LAB]" is an option taking a LAB, "[--json]" one
# taking nothing, "[--format dot|mermaid]" one taking a word of a list, a bare "TOPO" or
# "[LAB | TOPO]" a positional argument. What each placeholder completes to:
#   TOPO      topology files (*.json, *.yaml, *.yml) and directories
#   LAB       lab names                      (nslab __complete labs)
#   NODE      node names of the lab, or LAB.NODE  (nslab __complete nodes [LAB])
#   NODE:IF   interfaces of the lab's nodes  (nslab __complete ifaces [LAB], root only)
#   CMD       a command, then its own arguments (exec)
#   HOST      the "hosts" of the topology file on the line (nslab __complete hosts TOPO)
# The lab is the one given with -l/--lab, else the one named by a LAB.NODE argument.

# The usage line of a command ("up TOPO [--name LAB] ..."), from `nslab CMD --help`.
_nslab_usage() {
	"$1" "$2" --help 2>/dev/null | sed -n 's/^usage: nslab //p' | head -n 1
}

# Options of a usage line, one per line: "OPTION ARG" (ARG empty if it takes none).
_nslab_options() {
	local usage=$1 group word rest
	while [[ $usage =~ \[([^][]*)\] ]]; do
		group=${BASH_REMATCH[1]}
		usage=${usage/"${BASH_REMATCH[0]}"/}
		# "[--name LAB]", "[-l LAB]", "[--format dot|mermaid]", "[--json]"; in
		# "[LAB | TOPO | --all]" the options are the words that start with '-'.
		read -r word rest <<<"$group"
		if [[ $word == -* && $word != "--" && $rest != *"|"*" "* ]]; then
			printf '%s %s\n' "$word" "${rest%% *}"
		else
			for word in $group; do
				[[ $word == -* && $word != "--" ]] && printf '%s \n' "$word"
			done
		fi
	done
}

# Positional arguments of a usage line, one slot per line, alternatives joined by '|':
# "exec [-l LAB] NODE|LAB.NODE [--] CMD [ARG...]" -> NODE|LAB.NODE, CMD, ARG...
_nslab_positionals() {
	local usage=${1#* } group word words
	while [[ $usage =~ \[([^][]*)\] ]]; do
		group=${BASH_REMATCH[1]}
		read -r word _ <<<"$group"
		if [[ $word == -* ]]; then
			usage=${usage/"${BASH_REMATCH[0]}"/}
		else
			words=""
			for word in $group; do
				[[ $word == -* || $word == "|" ]] || words+="${words:+|}$word"
			done
			usage=${usage/"${BASH_REMATCH[0]}"/"$words"}
		fi
	done
	for word in $usage; do
		[[ $word == -* ]] || printf '%s\n' "$word"
	done
}

# Words of a list that start with $cur, added to COMPREPLY.
_nslab_add() {
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# Candidates of one placeholder (TOPO, LAB, NODE...), added to COMPREPLY.
_nslab_fill() {
	local nslab=$1 kind=$2 lab=$3 cur=$4 kinds k
	IFS='|' read -r -a kinds <<<"$kind"
	for k in "${kinds[@]}"; do
		case $k in
		TOPO | FILE)
			_filedir '@(json|yaml|yml)'
			;;
		LAB)
			_nslab_add "$("$nslab" __complete labs 2>/dev/null)"
			;;
		NODE)
			if [[ -n $lab ]]; then
				_nslab_add "$("$nslab" __complete nodes "$lab" 2>/dev/null)"
			else
				local labs
				labs=$("$nslab" __complete labs 2>/dev/null)
				# One lab: its nodes stand alone; any number: LAB.NODE.
				[[ $(wc -w <<<"$labs") == 1 ]] &&
					_nslab_add "$("$nslab" __complete nodes "$labs" 2>/dev/null)"
			fi
			;;
		LAB.NODE)
			[[ -z $lab ]] && _nslab_add "$("$nslab" __complete nodes 2>/dev/null)"
			;;
		HOST)
			[[ -n ${topo:-} ]] && _nslab_add "$("$nslab" __complete hosts "$topo" 2>/dev/null)"
			;;
		NODE:IF*)
			_nslab_add "$("$nslab" __complete ifaces ${lab:+"$lab"} 2>/dev/null)"
			;;
		*"|"* | -*) ;;
		*[a-z]*)
			# a list of words: "dot|mermaid"
			_nslab_add "$k"
			;;
		esac
	done
}

_nslab() {
	local cur words cword
	_init_completion -n := || return
	COMPREPLY=()
	local nslab=${words[0]} cmd="" cmd_at=0 i
	# The command: the first word that is not one of the options of every command.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-q | --quiet | -v | --verbose) ;;
		*)
			cmd=${words[i]} cmd_at=$i
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_nslab_add "-q --quiet -v --verbose -h --help --version"
		else
			_nslab_add "$("$nslab" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')"
		fi
		return
	fi

	local usage options positionals
	usage=$(_nslab_usage "$nslab" "$cmd")
	[[ -n $usage ]] || return
	options=$(_nslab_options "$usage")
	mapfile -t positionals < <(_nslab_positionals "$usage")

	# Walk the words typed so far: options (and their arguments), positionals, the lab.
	local lab="" topo="" npos=0 want="" w arg dashdash=0
	for ((i = cmd_at + 1; i < cword; i++)); do
		w=${words[i]}
		if [[ -n $want ]]; then
			[[ $want == LAB ]] && lab=$w
			want=""
			continue
		fi
		if ((!dashdash)) && [[ $w == -* ]]; then
			[[ $w == -- ]] && dashdash=1 && continue
			arg=$(awk -v o="$w" '$1 == o { print $2 }' <<<"$options")
			[[ -n $arg ]] && want=$arg
			continue
		fi
		# A LAB.NODE argument names the lab; a topology file, the hosts of --host.
		[[ $w == *.json || $w == *.yaml || $w == *.yml ]] && topo=$w
		[[ -z $lab && $w == *.* && ${positionals[npos]:-} == *LAB.NODE* ]] && lab=${w%%.*}
		[[ ${positionals[npos]:-} == LAB* && ${positionals[npos]} != *NODE* ]] && lab=$w
		if [[ ${positionals[npos]:-} == CMD ]]; then
			# The rest is a command line of its own (exec).
			_command_offset "$i"
			return
		fi
		npos=$((npos + 1))
	done

	if [[ -n $want ]]; then
		_nslab_fill "$nslab" "$want" "$lab" "$cur"
	elif [[ $cur == -* ]] && ((!dashdash)); then
		_nslab_add "$(awk '{ print $1 }' <<<"$options") -q --quiet -v --verbose -h --help"
	elif [[ ${positionals[npos]:-} == CMD ]]; then
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
	elif ((npos < ${#positionals[@]})); then
		_nslab_fill "$nslab" "${positionals[npos]}" "$lab" "$cur"
	fi
	__ltrim_colon_completions "$cur"
} &&
	complete -F _nslab nslab
