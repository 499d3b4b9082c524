#!/usr/bin/env bash
# nslab test: the checks of a topology against its lab, every kind passing and failing (ping
# and no_ping in both families, TCP and UDP connect, route with via/dev and convergence within
# a deadline, cmd with status and regex); TAP read by prove and by TAP::Parser (YAML
# diagnostics), JUnit validated against tests/junit.xsd, JSON read by jq; exit statuses; checks
# in parallel except one node's commands; Ctrl-C kills what runs; nslab wait.
# quick
# lane: host (the check runner's verdicts and reports, TAP, JUnit and JSON: nslab's own logic; left out of the VM lane for time)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need prove perl xmllint iperf3

LAB=$(lab_name)
M=$((20000 + RANDOM % 20000)) # a sleep length nothing else uses, to find our processes by
not() { ! "$@"; }
UDP_ECHO='use IO::Socket::IP; my $s = IO::Socket::IP->new(LocalHost => "::", LocalPort => 7, Proto => "udp") or die "udp: $!"; exit 0 if fork; close STDOUT; close STDERR; while ($s->recv(my $m, 2048)) { $s->send($m) }'
F=$(write_topo checks <<EOF
{
  "name": "$LAB",
  "nodes": {
    "a": {
      "interfaces": { "eth0": { "addresses": ["10.81.0.1/24", "fd81::1/64"] } },
      "routes": [ { "to": "10.81.1.0/24", "via": "10.81.0.2" } ]
    },
    "b": {
      "sysctls": { "net.ipv4.ip_forward": 1 },
      "interfaces": { "eth0": { "addresses": ["10.81.0.2/24", "fd81::2/64"] },
                      "eth1": { "addresses": ["10.81.1.2/24"] } },
      "exec": [ ["iperf3", "--server", "--daemon", "--port", "5201"],
                ["perl", "-e", $(jq -Rn --arg s "$UDP_ECHO" '$s')],
                ["sh", "-c", "(sleep 1; ip route add 10.99.0.0/16 via 10.81.1.3) >/dev/null 2>&1 &"] ]
    },
    "c": { "interfaces": { "eth0": { "addresses": ["10.81.1.3/24"] } } }
  },
  "links": [ { "endpoints": ["a:eth0", "b:eth0"] }, { "endpoints": ["b:eth1", "c:eth0"] } ],
  "tests": [
    { "name": "a reaches b", "from": "a", "ping": "10.81.0.2" },
    { "name": "a reaches b over IPv6, 3 times", "from": "a", "ping": "fd81::2", "count": 3 },
    { "name": "c does not answer a: no route back", "from": "a", "no_ping": "10.81.1.3" },
    { "name": "b listens on TCP 5201", "from": "a", "connect": "10.81.0.2:5201" },
    { "name": "b listens on TCP 5201 over IPv6", "from": "a", "connect": "[fd81::2]:5201" },
    { "name": "b echoes UDP 7", "from": "a", "connect": "[fd81::2]:7", "proto": "udp", "within": "3s" },
    { "name": "a routes to c's subnet through b", "node": "a", "route": "10.81.1.0/24", "via": "10.81.0.2", "dev": "eth0" },
    { "name": "b learns 10.99/16 within 5s", "node": "b", "route": "10.99.0.0/16", "via": "10.81.1.3", "within": "5s" },
    { "name": "hostname of b", "node": "b", "cmd": ["hostname"], "match": "^b\$" },
    { "name": "status 3 expected", "node": "c", "cmd": ["sh", "-c", "echo three; exit 3"], "status": 3, "match": "^three\$" },
    { "name": "FAIL tcp # closed", "from": "a", "connect": "10.81.0.2:5299" },
    { "name": "FAIL udp closed", "from": "a", "connect": "10.81.0.2:9", "proto": "udp" },
    { "name": "FAIL ping c", "from": "a", "ping": "10.81.1.3", "timeout": "300ms" },
    { "name": "FAIL no_ping b", "from": "a", "no_ping": "fd81::2" },
    { "name": "FAIL route via", "node": "a", "route": "10.81.1.0/24", "via": "10.81.0.9" },
    { "name": "FAIL route never", "node": "b", "route": "10.98.0.0/16", "within": "300ms" },
    { "name": "FAIL status", "node": "c", "cmd": ["sh", "-c", "echo 'to <stderr> & \"back\"' >&2; printf 'bad\\\\377\\\\n'; exit 4"] },
    { "name": "FAIL match", "node": "c", "cmd": ["echo", "Init/DROTHER"], "match": "Full/DR" }
  ]
}
EOF
)
PASSING=10
N_CHECKS=18
lab_up "$LAB" "$F"

# ---- TAP ----
run nsl test "$LAB" --junit "$T_TMP/junit.xml"
assert_eq 1 "$rc" "exit of nslab test with failing checks"
printf '%s\n' "$out" >"$T_TMP/out.tap"
assert_contains "$out" "TAP version 13" "TAP"
assert_match "$out" $'(^|\n)1\\.\\.18\n' "TAP plan"
for i in $(seq 1 $PASSING); do
	assert_match "$out" $'(^|\n)ok '"$i"' - ' "check $i passes"
done
for i in $(seq $((PASSING + 1)) $N_CHECKS); do
	assert_match "$out" $'(^|\n)not ok '"$i"' - FAIL' "check $i fails"
done
assert_contains "$out" 'not ok 11 - FAIL tcp \# closed' "a '#' in a name is escaped"
assert_contains "$err" "18 checks, 10 passed, 8 failed, 0 errors" "summary on stderr"
# prove: the TAP consumer CI knows; it must count what we count
run prove -e cat "$T_TMP/out.tap"
assert_true "prove says the stream fails" [ "$rc" != 0 ]
assert_contains "$out" "Failed tests:  11-18" "prove's reading"
assert_contains "$out" "Tests=18" "prove counted every check"
assert_not_contains "$out" "Parse errors" "prove parse errors"
# TAP::Parser with the YAML blocks: what ran and what was seen, for each failure
cat >"$T_TMP/tap.pl" <<'PERL'
use TAP::Parser;
local $/; my $p = TAP::Parser->new({tap => scalar <STDIN>});
my ($n, @fail) = (0);
while (my $r = $p->next) {
  if ($r->is_test) { $n++; push @fail, $r->number unless $r->is_ok; }
  if ($r->is_yaml) { my $y = $r->data;
    die "yaml of test $n lacks $_\n" for grep { !defined $y->{$_} } qw(message severity check ran saw attempts);
    print "yaml $n: $y->{check} $y->{severity} ran=[$y->{ran}] saw=[$y->{saw}]",
      (ref $y->{output} ? " output=[" . join("|", @{$y->{output}}) . "]" : ""), "\n"; }
}
print "version=", $p->version, " tests=$n failed=", join(",", @fail), " errors=", scalar($p->parse_errors), "\n";
PERL
run perl "$T_TMP/tap.pl" <"$T_TMP/out.tap"
assert_eq 0 "$rc" "TAP::Parser read every YAML block"
_show "$err" stderr
assert_contains "$out" "version=13 tests=18 failed=11,12,13,14,15,16,17,18 errors=0" "TAP::Parser's reading"
assert_contains "$out" "yaml 11: tests[10] fail ran=[connect tcp 10.81.0.2:5299 from a" "what ran"
assert_contains "$out" "saw=[Connection refused]" "what was seen (TCP)"
assert_contains "$out" "saw=[Connection refused (ICMP port unreachable: nothing listens)]" "what was seen (UDP)"
assert_contains "$out" "saw=[1 echo request sent, 1 answered]" "what was seen (no_ping answered)"
assert_contains "$out" "saw=[found: 10.81.1.0/24 via 10.81.0.2 dev eth0 metric 0]" "what was seen (route)"
assert_contains "$out" "saw=[no route to 10.98.0.0/16 in table 254" "what was seen (no route)"
assert_contains "$out" "saw=[exited with status 4, expected 0] output=[to <stderr> & \"back\"|bad"$'\xef\xbf\xbd'"]" \
	"a failing command's output, stderr included, invalid UTF-8 replaced"
assert_contains "$out" "saw=[exited with status 0, but its output does not match /Full/DR/] output=[Init/DROTHER]" \
	"a regex that does not match"

# ---- JUnit ----
run xmllint --noout --schema "$E2E_ROOT/tests/junit.xsd" "$T_TMP/junit.xml"
assert_eq 0 "$rc" "the JUnit file validates against tests/junit.xsd"
_show "$err" xmllint
X=$(cat "$T_TMP/junit.xml")
assert_match "$X" '<testsuite name="'"$LAB"'" tests="18" failures="8" errors="0"' "JUnit counts"
assert_contains "$X" '<testcase name="FAIL tcp # closed" classname="nslab.'"$LAB"'"' "JUnit test case names"
assert_contains "$X" '<failure message="a: Connection refused" type="connect">' "JUnit failure"
assert_contains "$X" 'to &lt;stderr&gt; &amp; &quot;back&quot;' "JUnit escapes output"
assert_eq 10 "$(grep -c '<testcase [^>]*/>' "$T_TMP/junit.xml")" "passing test cases in JUnit"

# ---- JSON ----
run nsl test "$F" --json
assert_eq 1 "$rc" "exit of nslab test TOPO --json"
assert_jq "$out" '.version == 1 and .tests == 18 and .passed == 10 and .failed == 8 and .errors == 0 and (.ok | not)' "JSON summary"
assert_jq "$out" '[.results[] | .result] | .[0:10] == ["pass","pass","pass","pass","pass","pass","pass","pass","pass","pass"]' "JSON results"
assert_jq "$out" '.results[16] | .status == 4 and .expected_status == 0 and (.output | startswith("to <stderr>"))' "JSON command result"
assert_jq "$out" '.results[12] | .kind == "ping" and .node == "a" and .check == "tests[12]"' "JSON check fields"
assert_not_contains "$out" "TAP version" "--json replaces TAP"

# ---- a file of passing checks, against the same lab (--name) ----
jq '.tests |= .[0:10] | del(.name)' "$F" >"$T_TMP/pass.json"
run nsl test "$T_TMP/pass.json" --name "$LAB"
assert_eq 0 "$rc" "exit of nslab test when every check passes"
printf '%s\n' "$out" >"$T_TMP/pass.tap"
assert_ok prove -e cat "$T_TMP/pass.tap"

# ---- within: retried until it holds ----
jq '.tests = [{"node": "b", "route": "10.97.0.0/16", "via": "10.81.1.3", "within": "5s", "interval": "50ms"}] | del(.name)' "$F" >"$T_TMP/conv.json"
(sleep 1; nx "$LAB" b ip route add 10.97.0.0/16 via 10.81.1.3) &
run nsl test "$T_TMP/conv.json" --name "$LAB" --json
wait
assert_eq 0 "$rc" "a route that appears after a second, within 5s"
assert_jq "$out" '.results[0].attempts > 5 and .results[0].duration_ms >= 800 and .results[0].duration_ms < 4000' "it was retried until it held"

# ---- parallel: one node's commands in order, the rest at once ----
jq --argjson m "$M" '.tests = [
  {"node": "a", "cmd": ["sleep", "1.\($m)"]}, {"node": "a", "cmd": ["sleep", "1.\($m)"]},
  {"node": "b", "cmd": ["sleep", "1.\($m)"]}, {"node": "c", "cmd": ["sleep", "1.\($m)"]},
  {"from": "a", "no_ping": "10.81.1.3"}, {"from": "a", "no_ping": "10.81.1.3", "count": 2},
  {"from": "a", "no_ping": "10.81.1.3", "timeout": "1500ms"}] | del(.name)' "$F" >"$T_TMP/par.json"
t0=$EPOCHREALTIME
run nsl test "$T_TMP/par.json" --name "$LAB"
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_eq 0 "$rc" "exit of the parallel checks"
assert_true "a's two commands ran one after the other (took $took ms)" [ "$took" -ge 2000 ]
# serially: a's two commands, b's, c's and the three no_pings, over 7 s; at once, a's two
# (2.2-2.8 s) and the overhead, which grows under emulation (3.6 s seen in the VM lane)
assert_true "everything else ran at once (took $took ms, serially over 7 s)" [ "$took" -lt 5500 ]

# ---- errors ----
jq '.nodes.d = {} | .tests = [{"node": "d", "cmd": ["true"]}, {"node": "a", "cmd": ["true"]}] | del(.name)' "$F" >"$T_TMP/other.json"
run nsl test "$T_TMP/other.json" --name "$LAB" --json
assert_eq 1 "$rc" "a check of a node the lab lacks fails the run"
assert_jq "$out" '.results[0].result == "error" and (.results[0].saw | contains("has no node")) and .results[1].result == "pass"' "the check is an error, the rest runs"
NOLAB=$(lab_name)
run nsl test "$NOLAB"
assert_eq 125 "$rc" "nslab test of a lab that is not up"
assert_match "$out" '^Bail out! lab .* is not up' "TAP bails out"
run nsl test "$F" --bogus
assert_eq 2 "$rc" "nslab test with a bad option"

# ---- Ctrl-C: what runs is killed, the result says interrupted ----
jq --argjson m "$M" '.tests = [{"node": "a", "cmd": ["sleep", "30.\($m)"]}, {"from": "a", "ping": "10.81.0.2"}] | del(.name)' "$F" >"$T_TMP/slow.json"
"$NSLAB" test "$T_TMP/slow.json" --name "$LAB" >"$T_TMP/slow.tap" 2>/dev/null &
tp=$!
wait_for 5 pgrep -f "sleep 30.$M" || not_ok "the slow check did not start"
kill -INT "$tp"
wait "$tp"
assert_eq 130 "$?" "exit of nslab test after SIGINT"
assert_true "the check's command is gone" wait_for 2 not pgrep -f "sleep 30.$M"
assert_contains "$(cat "$T_TMP/slow.tap")" "not ok 1 - a cmd sleep 30.$M" "the interrupted check"
assert_contains "$(cat "$T_TMP/slow.tap")" 'saw: "interrupted"' "what it says"

# ---- wait ----
assert_status 0 nsl wait -q "$LAB" b -- true
assert_status 0 nsl wait -q "$LAB.b" ip route get 10.99.0.1
( sleep 0.5; nx "$LAB" c touch /tmp/nslab-wait-$M ) &
defer rm -f "/tmp/nslab-wait-$M"
t0=$EPOCHREALTIME
run nsl wait --interval 50ms "$LAB" c -- test -e "/tmp/nslab-wait-$M"
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_eq 0 "$rc" "nslab wait until a file appears"
assert_true "it waited for it ($took ms)" [ "$took" -ge 400 ] && [ "$took" -lt 3000 ]
assert_match "$err" "ready after .* s \([0-9]+ attempts\)" "wait says how long"
run nsl wait --timeout 400ms "$LAB" c -- sh -c 'echo not yet; exit 1'
assert_eq 1 "$rc" "nslab wait that times out"
assert_contains "$err" "not ready" "wait's message"
assert_contains "$err" "not yet" "wait shows the end of the output"
assert_status 125 nsl wait "$LAB" zz -- true
assert_status 2 nsl wait --timeout 2h "$LAB" c -- true
assert_status 2 nsl wait "$LAB" c
