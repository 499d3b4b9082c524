/* graph: the DOT text names every node, every link with its interface names, and the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"
#include "model/graph.h"

static const char lab[] =
    "{ \"name\": \"g\", \"nodes\": {"
    "  \"h1\": { \"interfaces\": { \"eth0\": { \"addresses\": [\"10.1.0.2/24\"] } } },"
    "  \"r1\": { \"interfaces\": { \"lo\": { \"addresses\": [\"10.255.0.1/32\"] } } },"
    "  \"sw\": { \"bridges\": { \"br0\": { \"ports\": [\"p1\"] } } } },"
    "  \"links\": [ { \"endpoints\": [\"h1:eth0\", \"r1:eth0\"], \"mtu\": 9000 },"
    "               { \"endpoints\": [\"r1:eth1\", \"sw:p1\"] },"
    "               { \"endpoints\": [\"host:lab0\", \"sw:mgmt\"] } ],"
    "  \"host\": { \"interfaces\": { \"lab0\": { \"addresses\": [\"10.2.0.254/24\"] } } } }";

static char *dot_of(const char *text, struct result *res)
{
	char *out = NULL;
	size_t n = 0;
	FILE *m;

	run_core(res, "g.json", text, strlen(text), true);
	assert_int_equal(res->r, 0);
	m = open_memstream(&out, &n);
	assert_non_null(m);
	nsl_graph_dot(res->t, m);
	fclose(m);
	return out;
}

static void test_dot(void **state)
{
	struct result res;
	char *dot = dot_of(lab, &res);
	static const char *const want[] = {
	    "graph \"g\" {",
	    "\"h1\" [label=\"h1\"]",
	    "\"r1\" [label=\"r1\\n10.255.0.1/32\"]",
	    "\"sw\" [label=\"sw\\n[bridge br0]\"]",
	    "\"host\" [shape=house]",
	    "\"h1\" -- \"r1\" [taillabel=\"eth0\\n10.1.0.2/24\", headlabel=\"eth0\", label=\"mtu "
	    "9000\"]",
	    "\"r1\" -- \"sw\" [taillabel=\"eth1\", headlabel=\"p1\"]",
	    "\"host\" -- \"sw\" [taillabel=\"lab0\\n10.2.0.254/24\", headlabel=\"mgmt\"]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(dot, want[i]))
			fail_msg("missing %s in:\n%s", want[i], dot);
	assert_true(dot[strlen(dot) - 2] == '}');
	free(dot);
	done(&res);
}

static void test_no_host(void **state)
{
	struct result res;
	char *dot = dot_of("{ \"name\": \"x\", \"nodes\": { \"a\": {} } }", &res);

	(void)state;
	assert_null(strstr(dot, "host"));
	assert_non_null(strstr(dot, "\"a\" [label=\"a\"]"));
	free(dot);
	done(&res);
}

/* Interface names may hold '"' and '\\': the DOT stays well-formed. */
static void test_escape(void **state)
{
	struct result res;
	char *dot = dot_of("{ \"name\": \"q\", \"nodes\": { \"a\": {} },"
	                   " \"links\": [ { \"endpoints\": [\"a:e\\\"x\", \"host:h\\\\0\"] } ] }",
	                   &res);

	(void)state;
	if (!strstr(dot, "taillabel=\"e\\\"x\", headlabel=\"h\\\\0\""))
		fail_msg("not escaped:\n%s", dot);
	free(dot);
	done(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dot),
	    cmocka_unit_test(test_no_host),
	    cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
