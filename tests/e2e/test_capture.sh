#!/usr/bin/env bash
# nslab capture: packets of a node's interface into a pcap file read back by tcpdump -r (the
# pings sent, nothing the filter leaves out), to standard output through a pipe, several
# interfaces into a directory, -c N, Ctrl-C (SIGINT) ending with complete files, a lab going
# down ending the capture (and leaving nothing), a host end (a user's: in the lab's own
# host); refusals that write no file.
# No tcpdump runs in the node: the node below cannot even see one.
# quick
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tcpdump
lab_host
LAB=$(lab_name)
HIF=nslc$((RANDOM % 10000))
TCPDUMP=$(readlink -f "$(command -v tcpdump)")
EMPTY=$T_TMP/empty
: >"$EMPTY"
F=$(write_topo capture <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": {
      "interfaces": { "eth0": { "addresses": ["10.62.0.1/24", "fd62::1/64"] } },
      "mounts": [ { "source": "$EMPTY", "target": "$TCPDUMP", "read_only": true } ]
    },
    "b": { "interfaces": { "eth0": { "addresses": ["10.62.0.2/24", "fd62::2/64"] },
                           "eth1": { "addresses": ["10.62.1.2/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] }, { "endpoints": ["host:$HIF", "b:eth1"] } ],
  "host": { $LAB_HOST"interfaces": { "$HIF": { "addresses": ["10.62.1.1/24"] } } }
}
EOF
)
lab_up "$LAB" "$F"
run nx "$LAB" a "$TCPDUMP" --version
assert_true "no tcpdump in node a (exec: exit $rc)" [ "$rc" = 126 ] || [ "$rc" = 127 ]

D=$T_TMP/cap
mkdir -p "$D"

# cap_start OUT ARGS...: nslab capture ARGS in the background (stderr in OUT.err), returns
# once it listens on every interface it names.
cap_start() {
	local out=$1 want
	shift
	want=$(printf '%s\n' "$@" | grep -c ':')
	(cd "$D" && exec "$NSLAB" capture -l "$LAB" "$@" 2>"$out.err") &
	CAP=$!
	wait_for 10 sh -c "[ \$(grep -c '^listening on' '$out.err') -ge $want ]" ||
		not_ok "capture $* did not start: $(cat "$out.err")"
}

# ---- one interface, a file, a filter, -c ----
cap_start "$D/one" a:eth0 -c 6 -w "$D/one.pcap" icmp
ping_ok "$LAB" a 10.62.0.2 -c 3 -i 0.1
wait "$CAP"
assert_eq 0 "$?" "capture -c 6 ends by itself"
assert_contains "$(cat "$D/one.err")" "a:eth0: 6 packets captured" "its summary"
assert_ok tcpdump -n -r "$D/one.pcap"
assert_eq 3 "$(grep -c '10.62.0.1 > 10.62.0.2: ICMP echo request' <<<"$out")" "3 echo requests read back"
assert_eq 3 "$(grep -c '10.62.0.2 > 10.62.0.1: ICMP echo reply' <<<"$out")" "3 echo replies read back"
assert_eq 6 "$(wc -l <<<"$out")" "nothing but ICMP (the filter)"
assert_contains "$err" "link-type EN10MB" "an Ethernet pcap"

# ---- standard output into a reader; a filter of several words ----
(cd "$D" && "$NSLAB" capture -l "$LAB" b:eth0 -w - -c 2 \
	'icmp6[icmp6type] == icmp6-echo' and src host fd62::1 2>"$D/pipe.err" |
	tcpdump -n -r - >"$D/pipe.txt" 2>/dev/null) &
CAP=$!
wait_for 10 grep -q '^listening on' "$D/pipe.err" || not_ok "capture -w - did not start"
ping_ok "$LAB" a fd62::2 -c 2 -i 0.1
wait "$CAP"
assert_eq 2 "$(grep -c 'fd62::1 > fd62::2: ICMP6, echo request' "$D/pipe.txt")" "2 echo requests through the pipe, no replies"

# ---- several interfaces into a directory; SIGINT ----
cap_start "$D/many" a:eth0 b:eth0 -w "$D/many/"
ping_ok "$LAB" a 10.62.0.2 -c 2 -i 0.1
kill -INT "$CAP"
wait "$CAP"
assert_eq 0 "$?" "SIGINT ends the capture with status 0"
for f in a.eth0 b.eth0; do
	assert_ok tcpdump -n -r "$D/many/$f.pcap" icmp
	assert_eq 4 "$(wc -l <<<"$out")" "$f.pcap: the 2 pings, requests and replies, complete after SIGINT"
done

# ---- the default names; a host end ----
cap_start "$D/host" "host:$HIF" b:eth1 -c 2 icmp
run hns "$LAB" ping -n -c 2 -i 0.1 -W 1 -I "$HIF" 10.62.1.2
wait "$CAP"
assert_ok tcpdump -n -r "$D/host.$HIF.pcap"
assert_contains "$out" "10.62.1.1 > 10.62.1.2: ICMP echo request" "host end capture"
assert_ok tcpdump -n -r "$D/b.eth1.pcap"
assert_contains "$out" "10.62.1.2 > 10.62.1.1: ICMP echo reply" "b:eth1 capture (NODE.IF.pcap in the current directory)"

# ---- refusals: no file written ----
rm -rf "$D/bad" && mkdir -p "$D/bad"
# refuse ARG...: capture ARG... fails cleanly and writes nothing
refuse() {
	run sh -c 'cd "$1" && shift && exec "$@"' sh "$D/bad" "$NSLAB" capture -l "$LAB" -c 1 "$@"
	assert_rc_fail "capture $*"
	assert_eq "" "$(ls "$D/bad")" "capture $* wrote no file"
}
refuse a:eth9
assert_contains "$err" "no interface eth9" "the message"
refuse nope:eth0
refuse a:eth0 not a filter "("
assert_contains "$err" "filter 'not a filter (': can't parse filter expression" "the message"
refuse a:eth0 b:eth0 tcp port
refuse host:eth0
run "$NSLAB" capture -l "$LAB" a:eth0 b:eth0 -w "$D/bad/x.pcap"
assert_rc_fail "two interfaces into one file"
run "$NSLAB" capture -l "$LAB" a:eth0 b:eth0 -w -
assert_rc_fail "two interfaces to standard output"

# ---- the lab going down ends the capture; nothing is left ----
cap_start "$D/down" a:eth0 b:eth0 -w "$D/down/"
ping_ok "$LAB" a 10.62.0.2 -c 1
lab_down "$LAB"
wait_for 10 sh -c "! kill -0 $CAP 2>/dev/null" || not_ok "the capture outlived its lab"
wait "$CAP"
assert_eq 0 "$?" "capture ends with status 0 when its nodes go"
assert_contains "$(cat "$D/down.err")" "its node went down" "the reason"
assert_ok tcpdump -n -r "$D/down/a.eth0.pcap" icmp
assert_eq 2 "$(wc -l <<<"$out")" "the ping before down is in the file"
lab_gone "$LAB"
