#!/usr/bin/env bash
# completion: with a real lab up, Tab completes its name and its nodes' names, in bash as a
# person uses it (tmux: keys typed, the screen read back) and through the completion
# function; `nslab __complete` gives labs and nodes without root (from /run/netns, so also
# after sudo) and NODE:IF names with root.
# lane: host (shell completion of lab, node and interface names; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need tmux
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || skip "bash-completion is not installed"

LAB=$(lab_name)
F=$(write_topo completion <<EOF
{ "name": "$LAB",
  "nodes": { "alpha": { "interfaces": { "eth0": { "addresses": ["10.79.1.1/24"] } } },
             "bravo": { "interfaces": { "eth0": { "addresses": ["10.79.1.2/24"] } } } },
  "links": [ { "endpoints": ["alpha:eth0", "bravo:eth0"] } ] }
EOF
)
lab_up "$LAB" "$F"

# --- nslab __complete ---
run nsl __complete labs
assert_contains "$out" "$LAB" "__complete labs"
run nsl __complete nodes "$LAB"
assert_eq $'alpha\nbravo' "$out" "__complete nodes"
run nsl __complete nodes
assert_contains "$out" "$LAB.alpha" "__complete nodes (every lab)"
run nsl __complete ifaces "$LAB"
# every interface the node has: its own and what a new namespace is born with on this kernel
want=$(for node in alpha bravo; do for i in $(born_with eth0); do echo "$node:$i"; done; done)
assert_eq "$want" "$out" "__complete ifaces"
if command -v setpriv >/dev/null; then
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run "${nobody[@]}" "$NSLAB" __complete labs
	assert_contains "$out" "$LAB" "__complete labs as nobody"
	run "${nobody[@]}" "$NSLAB" __complete nodes "$LAB"
	assert_eq $'alpha\nbravo' "$out" "__complete nodes as nobody"
	run "${nobody[@]}" "$NSLAB" __complete ifaces "$LAB"
	assert_eq "0:" "$rc:$out$err" "__complete ifaces as nobody: nothing, quietly"
fi

# --- the completion function ---
cat >"$T_TMP/comp.bash" <<'EOF'
. /usr/share/bash-completion/bash_completion
. "$COMPLETION"
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_nslab nslab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
printf '%s\n' "${COMPREPLY[@]}"
EOF
comp() { COMPLETION=$E2E_ROOT/completion/nslab.bash bash "$T_TMP/comp.bash" "$1" | sort; }
assert_eq $'alpha\nbravo' "$(comp "$NSLAB exec -l $LAB ")" "exec -l LAB <Tab>"
assert_contains "$(comp "$NSLAB exec ")" "$LAB.bravo" "exec <Tab>"
assert_contains "$(comp "$NSLAB status ")" "$LAB" "status <Tab>"
assert_eq "$LAB" "$(comp "$NSLAB down ${LAB%?}" | grep -v '/')" "down PREFIX<Tab>"

# --- bash in tmux, keys typed as a person would ---
sock=nslab-e2e-$$
bindir=$T_TMP/bin
mkdir -p "$bindir"
ln -s "$NSLAB" "$bindir/nslab"
defer tmux -L "$sock" kill-server
tmux -L "$sock" new-session -d -x 200 -y 40 \
	env -i PATH="$bindir:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$T_TMP" TERM=xterm PS1='$ ' \
	bash --norc --noprofile || die "tmux did not start"
keys() { tmux -L "$sock" send-keys "$@"; }
screen() { tmux -L "$sock" capture-pane -p; }
keys ". $bc; . $E2E_ROOT/completion/nslab.bash; cd $T_TMP; clear" Enter
wait_for 5 bash -c "[ \"\$(tmux -L $sock capture-pane -p | tr -d ' \\n')\" = '\$' ]" || note "the shell did not clear"
# A unique prefix completes in place: the lab's name, then a space.
keys "nslab status ${LAB%?}" Tab
# (capture-pane drops trailing blanks: the line ends with the name)
if wait_for 5 bash -c "tmux -L $sock capture-pane -p | grep -qx '\\$ nslab status $LAB'"; then
	ok "tmux: 'nslab status ${LAB%?}<Tab>' completes to the lab's name"
else
	not_ok "tmux: the lab's name did not complete"
	screen
fi
keys C-u
# Two candidates: Tab Tab lists both nodes.
keys "nslab exec -l $LAB " Tab Tab
if wait_for 5 bash -c "tmux -L $sock capture-pane -p | grep -qE '^alpha +bravo *\$'"; then
	ok "tmux: 'nslab exec -l LAB <Tab><Tab>' lists alpha and bravo"
else
	not_ok "tmux: the nodes were not listed"
	screen
fi
keys C-u
# Then a node: its first letters complete it, and the command runs in it.
keys "nslab exec -l $LAB br" Tab
if wait_for 5 bash -c "tmux -L $sock capture-pane -p | grep -qx '\\$ nslab exec -l $LAB bravo'"; then
	ok "tmux: a node's first letters complete to its name"
else
	not_ok "tmux: the node did not complete"
	screen
fi
keys "hostname > $T_TMP/hn" Enter
wait_for 5 test -s "$T_TMP/hn"
assert_eq bravo "$(cat "$T_TMP/hn" 2>/dev/null)" "the completed command line ran in bravo"
lab_down "$LAB"
