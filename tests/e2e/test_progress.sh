#!/usr/bin/env bash
# progress: on a terminal (script(1) gives up and down a pty), a long up or down shows its
# phase and counts on stderr, redrawn with \r and erased at the end; with stderr a pipe, or
# with --quiet, nothing but the usual output appears. NSLAB_PROGRESS_AFTER_MS=0 shows the line
# for a small lab; a lab of 800 nodes shows it with the default half second, when up takes that
# long.
# lane: host (the progress line on a terminal; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need script

LAB=$(lab_name)
# A chain: n1 - n2 - n3 - n4, addresses in 10.77.0.0/16 (nodes only, never the host).
F=$(write_topo progress <<EOF
{ "name": "$LAB",
  "nodes": { "n1": { "interfaces": { "e0": { "addresses": ["10.77.1.1/24"] } } },
             "n2": { "interfaces": { "e0": { "addresses": ["10.77.1.2/24"] }, "e1": { "addresses": ["10.77.2.1/24"] } } },
             "n3": { "interfaces": { "e0": { "addresses": ["10.77.2.2/24"] }, "e1": { "addresses": ["10.77.3.1/24"] } } },
             "n4": { "interfaces": { "e0": { "addresses": ["10.77.3.2/24"] } } } },
  "links": [ { "endpoints": ["n1:e0", "n2:e0"] }, { "endpoints": ["n2:e1", "n3:e0"] },
             { "endpoints": ["n3:e1", "n4:e0"] } ] }
EOF
)

# on_tty FILE CMD...: run CMD with stdin, stdout and stderr on a pty; FILE gets what it wrote
# (the typescript, without script's own header and footer lines). Sets $rc.
on_tty() {
	local file=$1
	shift
	script -qfec "$(_cmd "$@")" "$file.raw" </dev/null >/dev/null 2>&1
	rc=$?
	grep -av '^Script \(started\|done\) on' "$file.raw" >"$file"
}

# --- a small lab, the line shown from the start ---
export NSLAB_PROGRESS_AFTER_MS=0
on_tty "$T_TMP/up.tty" "$NSLAB" up "$F"
assert_eq 0 "$rc" "up on a terminal"
tty=$(tr '\r' '\n' <"$T_TMP/up.tty")
lab_record "$LAB"
assert_contains "$tty" "nslab: up $LAB: nodes" "the progress line"
assert_match "$tty" "nslab: up $LAB: links [0-9]+/3 " "links counted out of 3"
assert_match "$tty" "nslab: up $LAB: interfaces [0-9]+/[0-9]+ " "interfaces counted"
assert_contains "$tty" "lab $LAB up: 4 nodes, 3 links" "the summary line"
# Redrawn in place and erased: what stands on the terminal at the end is the summary alone.
assert_true "the line is redrawn with \\r" grep -q $'\r' "$T_TMP/up.tty"
last=$(tr -d '\n' <"$T_TMP/up.tty" | awk -F'\r' '{ for (i = NF; i > 0; i--) if ($i ~ /[^ ]/) { print $i; exit } }')
assert_match "$last" "^lab $LAB up: 4 nodes, 3 links in [0-9]+ ms *$" "what stays on the terminal"
assert_not_contains "$(cat "$T_TMP/up.tty")" $'\e' "no terminal control sequence (no colour)"

on_tty "$T_TMP/down.tty" "$NSLAB" down "$LAB"
assert_eq 0 "$rc" "down on a terminal"
tty=$(tr '\r' '\n' <"$T_TMP/down.tty")
assert_contains "$tty" "nslab: down $LAB: processes" "down's progress line"
assert_match "$tty" "nslab: down $LAB: names [0-9]+/4" "down counts the names"
lab_gone "$LAB"

# --- stderr a pipe: nothing extra, even with the line due at once ---
run nsl up "$F"
assert_eq 0 "$rc" "up with stderr a pipe"
lab_record "$LAB"
assert_eq "" "$err" "stderr of up, a pipe"
assert_match "$out" "^lab $LAB up: 4 nodes, 3 links in [0-9]+ ms$" "stdout of up"
run nsl down "$LAB"
assert_eq "" "$err" "stderr of down, a pipe"
# stdout on a terminal, stderr a file: still nothing on stderr.
script -qfec "$(_cmd "$NSLAB" up "$F") 2>$T_TMP/up.err" "$T_TMP/up2.raw" </dev/null >/dev/null 2>&1
lab_record "$LAB"
assert_eq "" "$(cat "$T_TMP/up.err")" "stderr (a file) while stdout is a terminal"
# --quiet on a terminal: no line, no summary.
on_tty "$T_TMP/down-q.tty" "$NSLAB" down -q "$LAB"
assert_eq 0 "$rc" "down -q"
assert_eq "" "$(tr -d '\r\n' <"$T_TMP/down-q.tty")" "down -q on a terminal prints nothing"
lab_gone "$LAB"
on_tty "$T_TMP/up-q.tty" "$NSLAB" -q up "$F"
lab_record "$LAB"
assert_eq "" "$(tr -d '\r\n' <"$T_TMP/up-q.tty")" "nslab -q up on a terminal prints nothing"
lab_down "$LAB"
unset NSLAB_PROGRESS_AFTER_MS

# --- a big lab, the default threshold: the line shows when up takes over half a second ---
BIG=$(lab_name)
"$E2E_ROOT/bench/gen.sh" chain 800 "$T_TMP/big" "$BIG" "nslp$$" >/dev/null || die "gen.sh failed"
start=$EPOCHREALTIME
on_tty "$T_TMP/big.tty" "$NSLAB" up "$T_TMP/big/chain-800.json"
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
assert_eq 0 "$rc" "up of 800 nodes on a terminal"
lab_record "$BIG"
tty=$(tr '\r' '\n' <"$T_TMP/big.tty")
if awk -v s="$secs" 'BEGIN { exit !(s > 0.8) }'; then
	assert_match "$tty" "nslab: up $BIG: (nodes|names|links|interfaces|ready) [0-9]+/[0-9]+ \\([0-9.]+ s\\)" \
		"up took ${secs}s: the progress line"
	assert_true "nothing drawn before half a second" \
		bash -c '! grep -qE "\(0\.[0-4] s\)" <<<"$1"' _ "$tty"
else
	note "up of 800 nodes took ${secs}s: too fast to require the line"
fi
lab_down "$BIG"
