/* Readiness, `after` and checks in the model: durations, every field of every check kind with
 * its defaults, names, descriptions, and validation twice in a row giving the same model. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model/topology.h"

static void test_durations(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint64_t ms;
	} cases[] = {
	    {"100ms", true, 100},
	    {"20s", true, 20000},
	    {"1.5s", true, 1500},
	    {"2m", true, 120000},
	    {"1h", true, 3600000},
	    {"0.25m", true, 15000},
	    {"0s", true, 0},
	    {"0.001s", true, 1},
	    {"1.0001s", false, 0},
	    {"20", false, 0},
	    {"20 s", false, 0},
	    {"s", false, 0},
	    {"", false, 0},
	    {"-1s", false, 0},
	    {"1.s", false, 0},
	    {".5s", false, 0},
	    {"1S", false, 0},
	    {"1d", false, 0},
	    {"99999999999h", false, 0},
	    {"1.0000000001s", false, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		bool ok = nsl_duration_parse(cases[i].s, &ms);
		if (ok != cases[i].ok || (ok && ms != cases[i].ms))
			fail_msg("'%s': got %d %llu, want %d %llu", cases[i].s, ok,
			         (unsigned long long)ms, cases[i].ok,
			         (unsigned long long)cases[i].ms);
	}
}

static const char lab[] =
    "{\"name\": \"c\", \"nodes\": {"
    " \"a\": {\"interfaces\": {\"eth0\": {\"addresses\": [\"10.50.0.1/24\", \"fd50::1/64\"]}},"
    "       \"ready\": {\"cmd\": [\"sh\", \"-c\", \"test -e /x\"], \"interval\": \"50ms\"},"
    "       \"after\": [\"b\"]},"
    " \"b\": {\"interfaces\": {\"eth0\": {\"addresses\": [\"10.50.0.2/24\", \"fd50::2/64\"]}},"
    "       \"ready\": {\"cmd\": [\"true\"], \"timeout\": \"2m\"}},"
    " \"c\": {\"after\": [\"a\", \"b\"]}"
    "},"
    "\"links\": [{\"endpoints\": [\"a:eth0\", \"b:eth0\"]}],"
    "\"tests\": ["
    " {\"name\": \"a reaches b\", \"from\": \"a\", \"ping\": \"10.50.0.2\"},"
    " {\"node\": \"a\", \"no_ping\": \"fd50::2\", \"count\": 3, \"within\": \"20s\","
    "  \"interval\": \"1s\", \"timeout\": \"300ms\"},"
    " {\"from\": \"b\", \"connect\": \"[fd50::1]:53\", \"proto\": \"udp\"},"
    " {\"from\": \"b\", \"connect\": \"10.50.0.1:8080\"},"
    " {\"node\": \"a\", \"route\": \"default\", \"via\": \"fd50::2\", \"dev\": \"eth0\","
    "  \"table\": 10},"
    " {\"node\": \"a\", \"route\": \"10.9.0.0/16\"},"
    " {\"node\": \"b\", \"cmd\": [\"vtysh\", \"-c\", \"show ip ospf neighbor\"], \"status\": 3,"
    "  \"match\": \"Full/DR\"}"
    "]}";

static void check_model(const struct nsl_topology *t)
{
	const struct nsl_node *a = &t->nodes[0], *b = &t->nodes[1], *c = &t->nodes[2];
	const struct nsl_check *k = t->checks;
	struct nsl_ip ip;

	assert_true(a->has_ready);
	assert_int_equal(a->ready.cmd.argc, 3);
	assert_string_equal(a->ready.cmd.argv[2], "test -e /x");
	assert_int_equal(a->ready.interval_ms, 50);
	assert_int_equal(a->ready.timeout_ms, NSL_READY_TIMEOUT_MS);
	assert_int_equal(b->ready.interval_ms, NSL_READY_INTERVAL_MS);
	assert_int_equal(b->ready.timeout_ms, 120000);
	assert_false(c->has_ready);
	assert_int_equal(a->n_after, 1);
	assert_int_equal(a->after[0], 1);
	assert_int_equal(c->n_after, 2);
	assert_int_equal(c->after[0], 0);
	assert_int_equal(c->after[1], 1);
	assert_int_equal(b->n_after, 0);

	assert_int_equal(t->n_checks, 7);
	assert_int_equal(k[0].kind, NSL_CHECK_PING);
	assert_string_equal(k[0].name, "a reaches b");
	assert_true(k[0].named);
	assert_int_equal(k[0].node, 0);
	assert_true(nsl_ip_parse("10.50.0.2", &ip) && nsl_ip_equal(&ip, &k[0].ip));
	assert_int_equal(k[0].count, 1);
	assert_int_equal(k[0].within_ms, 0);
	assert_int_equal(k[0].interval_ms, NSL_CHECK_INTERVAL_MS);
	assert_int_equal(nsl_check_timeout_ms(&k[0]), 1000);

	assert_int_equal(k[1].kind, NSL_CHECK_NO_PING);
	assert_false(k[1].named);
	assert_string_equal(k[1].name, "a no_ping fd50::2");
	assert_int_equal(k[1].count, 3);
	assert_int_equal(k[1].within_ms, 20000);
	assert_int_equal(k[1].interval_ms, 1000);
	assert_int_equal(nsl_check_timeout_ms(&k[1]), 300);

	assert_int_equal(k[2].kind, NSL_CHECK_CONNECT);
	assert_int_equal(k[2].proto, IPPROTO_UDP);
	assert_int_equal(k[2].port, 53);
	assert_int_equal(k[2].ip.family, AF_INET6);
	assert_int_equal(k[2].node, 1);
	assert_string_equal(k[2].name, "b connect udp [fd50::1]:53");
	assert_int_equal(k[3].proto, IPPROTO_TCP);
	assert_int_equal(k[3].port, 8080);
	assert_string_equal(k[3].name, "b connect tcp 10.50.0.1:8080");
	assert_int_equal(nsl_check_timeout_ms(&k[3]), 2000);

	assert_int_equal(k[4].kind, NSL_CHECK_ROUTE);
	assert_int_equal(k[4].route.len, 0);
	assert_int_equal(k[4].route.ip.family, AF_INET6);
	assert_true(k[4].has_via);
	assert_string_equal(k[4].dev, "eth0");
	assert_int_equal(k[4].table, 10);
	assert_string_equal(k[4].name, "a route default (ipv6)");
	assert_int_equal(k[5].table, 254);
	assert_false(k[5].has_via);
	assert_int_equal(k[5].route.len, 16);
	assert_string_equal(k[5].name, "a route 10.9.0.0/16");

	assert_int_equal(k[6].kind, NSL_CHECK_CMD);
	assert_int_equal(k[6].cmd.argc, 3);
	assert_int_equal(k[6].status, 3);
	assert_string_equal(k[6].match, "Full/DR");
	assert_string_equal(k[6].name, "b cmd vtysh -c 'show ip ospf neighbor'");
	assert_int_equal(nsl_check_timeout_ms(&k[6]), 10000);
}

static void test_model(void **state)
{
	struct result res;
	char what[512];

	(void)state;
	run_core(&res, "c.json", lab, strlen(lab), true);
	if (res.r)
		fail_msg("%s", res.out);
	check_model(res.t);
	/* validation is safe to run twice */
	assert_int_equal(nsl_topology_validate(res.t, &res.d), 0);
	check_model(res.t);
	nsl_check_describe(&res.t->checks[1], what, sizeof(what));
	assert_string_equal(what, "ping (ICMPv6) fd50::2 from a: 3 echo requests, 300ms timeout, "
	                          "retried for up to 20s; passes when none is answered");
	nsl_check_describe(&res.t->checks[6], what, sizeof(what));
	assert_string_equal(what, "in b: vtysh -c 'show ip ospf neighbor'; expects status 3 and "
	                          "output matching /Full/DR/, 10s timeout");
	done(&res);
}

static void test_argv_str(void **state)
{
	char *argv[] = {"sh", "-c", "echo 'a b'", NULL};
	struct nsl_argv a = {argv, 3};
	char buf[64], small[12];

	(void)state;
	nsl_argv_str(&a, buf, sizeof(buf));
	assert_string_equal(buf, "sh -c 'echo '\\''a b'\\'''");
	nsl_argv_str(&a, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_string_equal(small + sizeof(small) - 4, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_model),
	    cmocka_unit_test(test_argv_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
