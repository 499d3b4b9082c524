/* graph: DOT and Mermaid name every node with its kind, every link with its interface names,
 * addresses, MTU and rate, and the host; names that mean something to either format are
 * escaped. */
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
    "  \"r1\": { \"interfaces\": { \"lo\": { \"addresses\": [\"10.255.0.1/32\"] } },"
    "          \"sysctls\": { \"net.ipv4.ip_forward\": 1 } },"
    "  \"sw\": { \"bridges\": { \"br0\": { \"ports\": [\"p1\"] } } } },"
    "  \"links\": [ { \"endpoints\": [\"h1:eth0\", \"r1:eth0\"], \"mtu\": 9000 },"
    "               { \"endpoints\": [\"r1:eth1\", \"sw:p1\"], \"rate\": \"100mbit\" },"
    "               { \"endpoints\": [\"host:lab0\", \"sw:mgmt\"] } ],"
    "  \"host\": { \"interfaces\": { \"lab0\": { \"addresses\": [\"10.2.0.254/24\"] } } } }";

static char *draw(void (*fn)(const struct nsl_topology *, FILE *), const char *text,
                  struct result *res)
{
	char *out = NULL;
	size_t n = 0;
	FILE *m;

	run_core(res, "g.json", text, strlen(text), true);
	assert_int_equal(res->r, 0);
	m = open_memstream(&out, &n);
	assert_non_null(m);
	fn(res->t, m);
	fclose(m);
	return out;
}

static char *dot_of(const char *text, struct result *res) { return draw(nsl_graph_dot, text, res); }

static void want_all(const char *text, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strstr(text, want[i]))
			fail_msg("missing %s in:\n%s", want[i], text);
}

static void test_dot(void **state)
{
	struct result res;
	char *dot = dot_of(lab, &res);
	static const char *const want[] = {
	    "graph \"g\" {",
	    "\"h1\" [label=\"h1\\n(node)\"]",
	    "\"r1\" [label=\"r1\\n(router)\\n10.255.0.1/32\", style=rounded]",
	    "\"sw\" [label=\"sw\\n(switch)\\n[bridge br0]\"",
	    "\"host\" [shape=house]",
	    "\"h1\" -- \"r1\" [taillabel=\"eth0\\n10.1.0.2/24\", headlabel=\"eth0\", label=\"mtu "
	    "9000\"]",
	    "\"r1\" -- \"sw\" [taillabel=\"eth1\", headlabel=\"p1\", label=\"rate 100mbit\"]",
	    "\"host\" -- \"sw\" [taillabel=\"lab0\\n10.2.0.254/24\", headlabel=\"mgmt\"]",
	};

	(void)state;
	want_all(dot, want, sizeof(want) / sizeof(want[0]));
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
	assert_non_null(strstr(dot, "\"a\" [label=\"a\\n(node)\"]"));
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

/* Mermaid: ids n0, n1... (a node may be called "end", a Mermaid keyword), shapes by kind,
 * one label per link naming both ends. */
static void test_mermaid(void **state)
{
	struct result res;
	char *mm = draw(nsl_graph_mermaid, lab, &res);
	static const char *const want[] = {
	    "\nflowchart LR\n",
	    "\n  n0[\"h1<br/>(node)\"]\n",
	    "\n  n1([\"r1<br/>(router)<br/>lo 10.255.0.1/32\"])\n",
	    "\n  n2[[\"sw<br/>(switch)<br/>bridge br0\"]]\n",
	    "\n  hostns{{\"host\"}}\n",
	    "\n  n0 ---|\"h1:eth0 10.1.0.2/24<br/>r1:eth0<br/>mtu 9000\"| n1\n",
	    "\n  n1 ---|\"r1:eth1<br/>sw:p1<br/>rate 100mbit\"| n2\n",
	    "\n  hostns ---|\"host:lab0 10.2.0.254/24<br/>sw:mgmt\"| n2\n",
	};

	(void)state;
	want_all(mm, want, sizeof(want) / sizeof(want[0]));
	free(mm);
	done(&res);
}

static void test_mermaid_escape(void **state)
{
	struct result res;
	char *mm = draw(nsl_graph_mermaid,
	                "{ \"name\": \"q\", \"nodes\": { \"end\": {} },"
	                " \"links\": [ { \"endpoints\": [\"end:e\\\"#<|>&`\", \"host:h0\"] } ] }",
	                &res);

	(void)state;
	if (!strstr(mm,
	            "\n  n0 ---|\"end:e#quot;#35;#lt;#124;#gt;#amp;#96;<br/>host:h0\"| hostns\n"))
		fail_msg("not escaped:\n%s", mm);
	assert_null(strstr(mm, "\n  end"));
	free(mm);
	done(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dot),
	    cmocka_unit_test(test_no_host),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_mermaid),
	    cmocka_unit_test(test_mermaid_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
