/* The on-disk formats: journal records and state.json, each formatted and parsed back to the
 * same values (strings with blanks, '%', empty, non-ASCII), older journals read, damaged and
 * newer ones refused with a message that says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/subid.h"
#include "state/journal.h"
#include "state/labstate.h"
#include "state/runtime.h"

static char *format_all(const struct nsl_rec *recs, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	for (size_t i = 0; i < n; i++) {
		char line[NSL_REC_LINE_MAX];
		int r = nsl_rec_format(&recs[i], line, sizeof(line));
		assert_true(r > 0);
		assert_int_equal(line[r - 1], '\n');
		fputs(line, m);
	}
	fclose(m);
	return text;
}

static void test_journal_round_trip(void **state)
{
	struct nsl_prefix addrs[2];
	struct nsl_journal j;
	struct nsl_err err = {0};
	struct nsl_rec recs[13] = {
	    {.kind = NSL_REC_HEADER, .header = {.lab = "demo", .topology = "/my labs/t 1.json"}},
	    {.kind = NSL_REC_NODE,
	     .node = {.name = "r1",
	              .pid = 4242,
	              .start_time = 123456789012345ull,
	              .netns_dev = 4,
	              .netns_ino = 4026532999ull}},
	    {.kind = NSL_REC_DEVICE},
	    {.kind = NSL_REC_HOSTLINK, .hostlink = {.name = "lab0", .node = "sw1"}},
	    {.kind = NSL_REC_HOSTSYSCTL,
	     .sysctl = {.key = "net.ipv4.ip_local_port_range",
	                .value = "32768\t60999",
	                .time = 77}},
	    {.kind = NSL_REC_HOSTSYSCTL_ORIG,
	     .sysctl = {.key = "net.ipv4.ip_forward", .value = ""}},
	    {.kind = NSL_REC_HOSTNFT, .hostnft = {.name = "nslab-demo"}},
	    {.kind = NSL_REC_HOSTSYSCTL_DONE, .sysctl = {.key = "net.ipv4.ip_forward"}},
	    {.kind = NSL_REC_COMMITTED},
	    {.kind = NSL_REC_KEEPER,
	     .keeper = {.pid = 77,
	                .start_time = 18446744073709551615ull,
	                .userns_dev = 4,
	                .userns_ino = 4026531837ull}},
	    {.kind = NSL_REC_UPLINK, .uplink = {.pid = 78, .start_time = 12345678901ull}},
	    {.kind = NSL_REC_HOSTDEV,
	     .hostdev = {.name = "mgmt-demo",
	                 .kind = "bridge",
	                 .mac = {2, 0x5e, 0, 0xab, 0xcd, 0x1}}},
	    {.kind = NSL_REC_CGROUP,
	     .cgroup = {.path = "/sys/fs/cgroup/nslab-demo/r 1", .mark = "nslab:demo:r 1"}},
	};

	(void)state;
	assert_true(nsl_prefix_parse("198.51.100.7/24", &addrs[0]));
	assert_true(nsl_prefix_parse("2001:db8::7/64", &addrs[1]));
	recs[2].device.node = "r1";
	recs[2].device.key = "wan0";
	recs[2].device.orig = "enp7s0";
	recs[2].device.alias = "uplink 100% (café)";
	recs[2].device.ifindex = 3;
	recs[2].device.mtu = 9000;
	recs[2].device.up = true;
	memcpy(recs[2].device.mac, "\x02\x00\x00\xab\xcd\xef", 6);
	recs[2].device.addrs = addrs;
	recs[2].device.n_addrs = 2;

	char *text = format_all(recs, 13);
	assert_int_equal(nsl_journal_parse(text, &j, &err), 0);
	assert_int_equal(j.n, 13);
	assert_int_equal(j.version, NSL_JOURNAL_VERSION);
	assert_string_equal(j.recs[0].header.topology, "/my labs/t 1.json");
	assert_int_equal(j.recs[1].node.pid, 4242);
	assert_true(j.recs[1].node.start_time == 123456789012345ull);
	assert_true(j.recs[1].node.netns_ino == 4026532999ull);
	assert_string_equal(j.recs[2].device.alias, "uplink 100% (café)");
	assert_string_equal(j.recs[2].device.orig, "enp7s0");
	assert_int_equal(j.recs[2].device.mtu, 9000);
	assert_true(j.recs[2].device.up);
	assert_memory_equal(j.recs[2].device.mac, "\x02\x00\x00\xab\xcd\xef", 6);
	assert_int_equal(j.recs[2].device.n_addrs, 2);
	assert_true(nsl_ip_equal(&j.recs[2].device.addrs[1].ip, &addrs[1].ip));
	assert_string_equal(j.recs[3].hostlink.node, "sw1");
	assert_string_equal(j.recs[4].sysctl.value, "32768\t60999");
	assert_true(j.recs[4].sysctl.time == 77);
	assert_string_equal(j.recs[5].sysctl.value, "");
	assert_string_equal(j.recs[6].hostnft.name, "nslab-demo");
	assert_int_equal(j.recs[7].kind, NSL_REC_HOSTSYSCTL_DONE);
	assert_string_equal(j.recs[7].sysctl.key, "net.ipv4.ip_forward");
	assert_int_equal(j.recs[8].kind, NSL_REC_COMMITTED);
	assert_int_equal(j.recs[9].kind, NSL_REC_KEEPER);
	assert_int_equal(j.recs[9].keeper.pid, 77);
	assert_true(j.recs[9].keeper.start_time == 18446744073709551615ull);
	assert_true(j.recs[9].keeper.userns_dev == 4);
	assert_true(j.recs[9].keeper.userns_ino == 4026531837ull);
	assert_int_equal(j.recs[10].kind, NSL_REC_UPLINK);
	assert_int_equal(j.recs[10].uplink.pid, 78);
	assert_true(j.recs[10].uplink.start_time == 12345678901ull);
	assert_int_equal(j.recs[11].kind, NSL_REC_HOSTDEV);
	assert_string_equal(j.recs[11].hostdev.name, "mgmt-demo");
	assert_string_equal(j.recs[11].hostdev.kind, "bridge");
	assert_memory_equal(j.recs[11].hostdev.mac, "\x02\x5e\x00\xab\xcd\x01", 6);
	assert_int_equal(j.recs[12].kind, NSL_REC_CGROUP);
	assert_string_equal(j.recs[12].cgroup.path, "/sys/fs/cgroup/nslab-demo/r 1");
	assert_string_equal(j.recs[12].cgroup.mark, "nslab:demo:r 1");
	nsl_journal_free(&j);
}

/* The unversioned journal of nslab 0.1 still tears down. */
static void test_journal_v0(void **state)
{
	struct nsl_journal j;
	struct nsl_err err = {0};
	char *text = strdup("lab demo /tmp/t.json\n"
	                    "holder r1 4242 999 4026532999\n"
	                    "device r1 wan0 enp7s0 3 1500 1 02:00:00:00:00:01 0 10.0.0.1/24\n"
	                    "hostlink lab0\n"
	                    "hostsysctl net.ipv4.ip_local_port_range 12 32768 60999\n"
	                    "hostnft nslab-demo\n"
	                    "committed\n");

	(void)state;
	assert_int_equal(nsl_journal_parse(text, &j, &err), 0);
	assert_int_equal(j.version, 0);
	assert_int_equal(j.n, 7);
	assert_int_equal(j.recs[1].kind, NSL_REC_NODE);
	assert_true(j.recs[1].node.netns_dev == 0 && j.recs[1].node.netns_ino == 4026532999ull);
	assert_int_equal(j.recs[2].device.n_addrs, 1);
	assert_null(j.recs[2].device.alias);
	assert_null(j.recs[3].hostlink.node);
	assert_string_equal(j.recs[4].sysctl.value, "32768 60999");
	nsl_journal_free(&j);
}

static void test_journal_refusals(void **state)
{
	struct nsl_journal j;
	struct nsl_err err = {0};

	(void)state;
	assert_int_equal(nsl_journal_parse(strdup("nslab-journal 99 demo x\n"), &j, &err),
	                 -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "newer than this nslab"));
	assert_int_equal(
	    nsl_journal_parse(strdup("nslab-journal 1 demo x\nnode r1 x 1 2 3\n"), &j, &err),
	    -EBADMSG);
	assert_non_null(strstr(err.msg, "line 2"));
	/* A keeper is a real process: never PID 0 or 1, all four numbers. */
	assert_int_equal(
	    nsl_journal_parse(strdup("nslab-journal 1 demo x\nkeeper 1 2 3 4\n"), &j, &err),
	    -EBADMSG);
	assert_int_equal(
	    nsl_journal_parse(strdup("nslab-journal 1 demo x\nkeeper 100 2 3\n"), &j, &err),
	    -EBADMSG);
	assert_int_equal(
	    nsl_journal_parse(strdup("nslab-journal 1 demo x\nhostlink a%zz b\n"), &j, &err),
	    -EBADMSG);
	/* A line cut short by a crash is a step that never happened. */
	assert_int_equal(
	    nsl_journal_parse(strdup("nslab-journal 1 demo x\nhostlink lab0 s"), &j, &err), 0);
	assert_int_equal(j.n, 1);
	nsl_journal_free(&j);
	/* Too long to format is an error, not a cut line. */
	char big[NSL_REC_LINE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	struct nsl_rec r = {.kind = NSL_REC_HOSTSYSCTL, .sysctl = {.key = "k", .value = big}};
	char line[NSL_REC_LINE_MAX];
	assert_int_equal(nsl_rec_format(&r, line, sizeof(line)), -ENAMETOOLONG);
}

static void test_labstate_round_trip(void **state)
{
	char *env[] = {"ROLE=server", "QUOTE=\"a b\"\\n"};
	struct nsl_labstate_node nodes[2] = {
	    {.name = "h1",
	     .hostname = "h1",
	     .pid = 100,
	     .start_time = 18446744073709551615ull,
	     .netns_dev = 4,
	     .netns_ino = 4026532001ull},
	    {.name = "h2",
	     .hostname = "server",
	     .pid = 200,
	     .start_time = 5,
	     .netns_dev = 4,
	     .netns_ino = 4026532002ull,
	     .env = env,
	     .n_env = 2,
	     .uid_base = 0xfff10000u},
	};
	struct nsl_labstate s = {.version = NSL_LABSTATE_VERSION,
	                         .name = "demo",
	                         .topology = "/t/demo.json",
	                         .sha256 = "ab12",
	                         .generation = 3,
	                         .nodes = nodes,
	                         .n_nodes = 2},
	                    back;
	struct nsl_err err = {0};
	char *text = NULL;

	(void)state;
	assert_int_equal(nsl_labstate_format(&s, &text, &err), 0);
	assert_int_equal(nsl_labstate_parse(text, &back, &err), 0);
	assert_string_equal(back.name, "demo");
	assert_string_equal(back.topology, "/t/demo.json");
	assert_string_equal(back.sha256, "ab12");
	assert_int_equal(back.generation, 3);
	assert_int_equal(back.n_nodes, 2);
	assert_true(back.nodes[0].start_time == 18446744073709551615ull);
	assert_true(back.nodes[1].netns_ino == 4026532002ull);
	assert_int_equal(back.nodes[1].n_env, 2);
	assert_string_equal(back.nodes[1].env[1], "QUOTE=\"a b\"\\n");
	/* a node's user namespace: its first id past 2^31, none for the other */
	assert_true(back.nodes[1].uid_base == 0xfff10000u);
	assert_int_equal(back.nodes[0].uid_base, 0);
	assert_ptr_equal(nsl_labstate_node(&back, "h2"), &back.nodes[1]);
	assert_null(nsl_labstate_node(&back, "h3"));
	assert_int_equal(back.keeper.pid, 0); /* a root lab has none */
	assert_string_equal(back.host, "");   /* a lab of one machine */
	assert_int_equal(back.n_elsewhere, 0);
	nsl_labstate_free(&back);
	free(text);

	/* A rootless lab: its keeper, with numbers past 2^53. */
	s.keeper = (struct nsl_labstate_keeper){.pid = 4242,
	                                        .start_time = 18446744073709551614ull,
	                                        .userns_dev = 4,
	                                        .userns_ino = 4026532500ull};
	assert_int_equal(nsl_labstate_format(&s, &text, &err), 0);
	assert_int_equal(nsl_labstate_parse(text, &back, &err), 0);
	assert_int_equal(back.keeper.pid, 4242);
	assert_true(back.keeper.start_time == 18446744073709551614ull);
	assert_true(back.keeper.userns_dev == 4 && back.keeper.userns_ino == 4026532500ull);
	nsl_labstate_free(&back);
	free(text);

	/* a host's part of a lab over several: which host, and the others' nodes */
	struct nsl_labstate_remote el[2] = {{"r2", "b"}, {"s9", "c"}};
	nsl_fmt(s.host, sizeof(s.host), "a");
	s.elsewhere = el;
	s.n_elsewhere = 2;
	assert_int_equal(nsl_labstate_format(&s, &text, &err), 0);
	assert_int_equal(nsl_labstate_parse(text, &back, &err), 0);
	assert_string_equal(back.host, "a");
	assert_int_equal(back.n_elsewhere, 2);
	assert_string_equal(back.elsewhere[1].name, "s9");
	assert_string_equal(back.elsewhere[1].host, "c");
	nsl_labstate_free(&back);
	free(text);
	assert_int_equal(
	    nsl_labstate_parse("{\"version\": 1, \"name\": \"x\", \"topology\": \"t\", "
	                       "\"topology_sha256\": \"0\", \"generation\": 1, "
	                       "\"host\": \"a\", \"elsewhere\": [{\"name\": 1}], "
	                       "\"nodes\": []}",
	                       &back, &err),
	    -EBADMSG);
	assert_int_equal(
	    nsl_labstate_parse("{\"version\": 1, \"name\": \"x\", \"topology\": \"t\", "
	                       "\"topology_sha256\": \"0\", \"generation\": 1, "
	                       "\"keeper\": {\"pid\": 1}, \"nodes\": []}",
	                       &back, &err),
	    -EBADMSG);
	assert_non_null(strstr(err.msg, "keeper"));

	assert_int_equal(
	    nsl_labstate_parse("{\"version\": 9, \"name\": \"x\", \"nodes\": []}", &back, &err),
	    -EPROTONOSUPPORT);
	assert_int_equal(
	    nsl_labstate_parse("{\"version\": 1, \"name\": \"x\", \"topology\": \"t\", "
	                       "\"topology_sha256\": \"0\", \"generation\": 1, \"nodes\": [{}]}",
	                       &back, &err),
	    -EBADMSG);
	assert_non_null(strstr(err.msg, "node 0"));
	assert_int_equal(nsl_labstate_parse("not json", &back, &err), -EBADMSG);
}

/* /etc/subuid: by name or by uid, the first range, junk and empty ranges skipped. */
static void test_subid(void **state)
{
	struct nsl_subid r;
	const char *text = "# not a range\n"
	                   "alice:100000:65536\n"
	                   "bob:0:0\n"
	                   "bob:x:5\n"
	                   "bob:4294967295:2\n"
	                   "1001:300000:1000\r\n"
	                   "bob:200000:65536\n"
	                   "alice:900000:10\n"
	                   "carol:500000:65536";

	(void)state;
	assert_true(nsl_subid_find(text, "alice", 1000, &r));
	assert_int_equal(r.start, 100000);
	assert_int_equal(r.count, 65536);
	assert_true(nsl_subid_find(text, "bob", 1002, &r));
	assert_int_equal(r.start, 200000);
	assert_true(nsl_subid_find(text, "dave", 1001, &r));
	assert_int_equal(r.start, 300000);
	assert_int_equal(r.count, 1000);
	assert_true(nsl_subid_find(text, NULL, 1001, &r));
	assert_true(nsl_subid_find(text, "carol", 7, &r));
	assert_int_equal(r.start, 500000);
	assert_false(nsl_subid_find(text, "eve", 1003, &r));
	assert_false(nsl_subid_find("", "alice", 1, &r));
	assert_false(nsl_subid_find("alic:1:1\nalicee:1:1\n:1:1\n", "alice", 1, &r));
}

/* runtime.json: every field back as it was, impairments exactly (the smallest steps of each
 * unit, 100%, the top rate), an emptied impairment told from none; damage and newer
 * versions refused. */
static void test_runtime_round_trip(void **state)
{
	struct nsl_runtime r = {.version = NSL_RUNTIME_VERSION, .changes = 7}, back;
	struct nsl_runtime_iface *f;
	struct nsl_err err = {0};
	char *text = NULL, *again = NULL;

	(void)state;
	f = nsl_runtime_iface(&r, "r1", "eth0", true);
	assert_non_null(f);
	f->link_down = f->admin_down = true;
	f->has_impair = true;
	f->impair = (struct nsl_impair){.delay = 1500001,
	                                .jitter = 1,
	                                .loss = 1,
	                                .duplicate = NSL_PERCENT_ONE,
	                                .corrupt = 12345678,
	                                .reorder = 250000000,
	                                .rate = NSL_RATE_MAX};
	f = nsl_runtime_iface(&r, "r2", "eth0", true);
	assert_int_equal(f->skip_linkdown[0], -1);
	f->link_down = true;
	f->skip_linkdown[0] = 0;
	f->skip_linkdown[1] = 1;
	f = nsl_runtime_iface(&r, "host", "lab.0", true);
	f->link_down = true;
	f->has_impair = true; /* cleared: an impairment of nothing */
	f->pending = true;
	f = nsl_runtime_iface(&r, "r2", "eth1", true);
	assert_ptr_equal(nsl_runtime_iface(&r, "r2", "eth1", false), f);
	assert_null(nsl_runtime_iface(&r, "r2", "eth2", false));
	assert_int_equal(r.n, 4);

	assert_int_equal(nsl_runtime_format(&r, &text, &err), 0);
	assert_int_equal(nsl_runtime_parse(text, &back, &err), 0);
	assert_int_equal(back.n, 4);
	assert_int_equal(back.changes, 7);
	for (size_t i = 0; i < 4; i++) {
		const struct nsl_runtime_iface *a = &r.ifaces[i], *b = &back.ifaces[i];
		assert_string_equal(a->node, b->node);
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->link_down, b->link_down);
		assert_int_equal(a->admin_down, b->admin_down);
		assert_int_equal(a->has_impair, b->has_impair);
		assert_int_equal(a->pending, b->pending);
		assert_int_equal(a->skip_linkdown[0], b->skip_linkdown[0]);
		assert_int_equal(a->skip_linkdown[1], b->skip_linkdown[1]);
		assert_true(nsl_impair_equal(&a->impair, &b->impair));
	}
	assert_int_equal(nsl_runtime_format(&back, &again, &err), 0);
	assert_string_equal(text, again);
	/* forgotten: one interface, then every interface of a node; the others stay */
	nsl_runtime_forget(&back, "r2", "eth0");
	assert_int_equal(back.n, 3);
	assert_null(nsl_runtime_iface(&back, "r2", "eth0", false));
	assert_non_null(nsl_runtime_iface(&back, "r2", "eth1", false));
	nsl_runtime_forget(&back, "r2", NULL);
	nsl_runtime_forget(&back, "r9", NULL);
	assert_int_equal(back.n, 2);
	assert_non_null(nsl_runtime_iface(&back, "r1", "eth0", false));
	assert_non_null(nsl_runtime_iface(&back, "host", "lab.0", false));
	nsl_runtime_free(&back);
	nsl_runtime_free(&r);
	free(text);
	free(again);

	assert_int_equal(
	    nsl_runtime_parse("{\"version\": 2, \"changes\": 0, \"interfaces\": []}", &back, &err),
	    -EPROTONOSUPPORT);
	assert_non_null(strstr(err.msg, "newer"));
	assert_int_equal(nsl_runtime_parse("{\"version\": 1, \"changes\": 1, \"interfaces\": "
	                                   "[{\"node\": \"a\", \"interface\": \"e\", "
	                                   "\"link_down\": false, \"admin_down\": false, "
	                                   "\"pending\": false, \"impair\": {\"delay\": \"20\"}}]}",
	                                   &back, &err),
	                 -EBADMSG);
	assert_non_null(strstr(err.msg, "interface 0"));
	assert_int_equal(nsl_runtime_parse("{\"version\": 1}", &back, &err), -EBADMSG);
	assert_int_equal(nsl_runtime_parse("", &back, &err), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_journal_round_trip),
	    cmocka_unit_test(test_journal_v0),
	    cmocka_unit_test(test_journal_refusals),
	    cmocka_unit_test(test_labstate_round_trip),
	    cmocka_unit_test(test_subid),
	    cmocka_unit_test(test_runtime_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
