/* The YAML reader: the same model as JSON, the YAML 1.2 core schema, aliases (bounded),
 * refusals (tags, merge keys, several documents), and exact places from libyaml's marks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model/topology.h"

static void yaml(struct result *res, const char *text)
{
	run_core(res, "/labs/t.yaml", text, strlen(text), true);
}

static void expect_yaml_error(const char *text, const char *want)
{
	struct result res;

	yaml(&res, text);
	expect_failure(&res, want);
	done(&res);
}

static void test_model(void **state)
{
	struct result res;

	yaml(&res, "# comment\n"
	           "---\n"
	           "name: y\n"
	           "nodes:\n"
	           "  a:\n"
	           "    interfaces:\n"
	           "      eth0:\n"
	           "        addresses: [10.1.0.1/24]\n"
	           "        mtu: 0x5dc\n" /* 1500: core schema hex */
	           "    sysctls:\n"
	           "      net.ipv4.ip_forward: 1\n"
	           "      net.ipv4.conf.all.rp_filter: '2'\n"
	           "      net.x: 0o17\n"  /* core schema octal: 15 */
	           "      net.y: 1.5e3\n" /* exactly 1500 */
	           "    env: { ON: on, YES: yes, NUM: \"7\" }\n"
	           "  b: { interfaces: { eth0: { up: true } } }\n"
	           "links:\n"
	           "  - endpoints: [a:eth0, b:eth0]\n"
	           "...\n");
	assert_int_equal(res.r, 0);
	assert_string_equal(res.t->name, "y");
	assert_int_equal(res.t->nodes[0].ifaces[0].mtu, 1500);
	assert_string_equal(res.t->nodes[0].sysctls[0].value, "1");
	assert_string_equal(res.t->nodes[0].sysctls[1].value, "2");
	assert_string_equal(res.t->nodes[0].sysctls[2].value, "15");
	assert_string_equal(res.t->nodes[0].sysctls[3].value, "1500");
	/* YAML 1.2: on and yes are strings */
	assert_string_equal(res.t->nodes[0].env[0], "ON=on");
	assert_string_equal(res.t->nodes[0].env[1], "YES=yes");
	assert_string_equal(res.t->nodes[0].env[2], "NUM=7");
	done(&res);
}

static void test_aliases(void **state)
{
	struct result res;

	/* an anchored mapping used twice, an anchor redefined (the later wins), an alias key */
	yaml(&res, "name: y\n"
	           "k: &key hostname\n"
	           "nodes:\n"
	           "  a: &host { hostname: first }\n"
	           "  b: *host\n"
	           "  c: &host { hostname: second }\n"
	           "  d: *host\n"
	           "  e: { *key : alias-key }\n");
	/* "k" is no key of the top level */
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "/labs/t.yaml:2:1: k: unknown key 'k'\n"));
	assert_int_equal(res.d.n, 1);
	done(&res);
	yaml(&res, "name: y\n"
	           "description: &key hostname\n"
	           "nodes:\n"
	           "  a: &host { hostname: first }\n"
	           "  b: *host\n"
	           "  c: &host { hostname: second }\n"
	           "  d: *host\n"
	           "  e: { *key : alias-key }\n");
	assert_int_equal(res.r, 0);
	assert_string_equal(res.t->nodes[1].hostname, "first");
	assert_string_equal(res.t->nodes[3].hostname, "second");
	assert_string_equal(res.t->nodes[4].hostname, "alias-key");
	done(&res);

	/* a problem inside an aliased value: the path where it is used, the place where it is
	 * written; a problem of the alias itself: the alias's place */
	yaml(&res, "nodes:\n"
	           "  a: &bad { hostname: -x }\n"
	           "  b: *bad\n"
	           "  c: { interfaces: *bad }\n");
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "/labs/t.yaml:2:23: nodes.a.hostname: invalid hostname"));
	assert_non_null(strstr(res.out, "/labs/t.yaml:2:23: nodes.b.hostname: invalid hostname"));
	/* c's interfaces are that mapping: its "hostname" an interface, "-x" no object */
	assert_non_null(strstr(res.out, "/labs/t.yaml:2:23: nodes.c.interfaces.hostname: "
	                                "expected object, got string\n"));
	done(&res);

	/* billion laughs: refused at the alias that crosses the bound, quickly */
	expect_yaml_error(
	    "a: &a [x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
	    "/labs/t.yaml:6:");
	expect_yaml_error("a: &a [x]\nb: [*a, *b]\n",
	                  "/labs/t.yaml:2:9: alias '*b' names no anchor defined before it\n");
	expect_yaml_error("a: &a [x, *a]\n", "/labs/t.yaml:1:11: alias '*a' is inside the value");
	expect_yaml_error("k: &m {a: 1}\nnodes: { *m : x }\n",
	                  "/labs/t.yaml:2:10: a key must be text, but '*m' names a mapping\n");
}

/* Places: key or value, block or flow, libyaml's marks made 1-based, columns in characters. */
static void test_positions(void **state)
{
	struct result res;

	yaml(&res, "name: t\n"
	           "nodes:\n"
	           "  r1:\n"
	           "    routes:\n"
	           "      - to: 10.9.0.0/16\n"
	           "        via: 10.9.0.300\n"
	           "    bogus: 1\n"
	           "    env: {\"\xc3\xa9\": x, C: 7}\n"
	           "  r1: {}\n"
	           "links:\n"
	           "- endpoints: [r1:e, r9:e]\n"
	           "  mtu: '1500'\n");
	assert_int_equal(res.r, -EINVAL);
	const char *want[] = {
	    "/labs/t.yaml:9:3: nodes.r1: duplicate key 'r1'\n",
	    "/labs/t.yaml:7:5: nodes.r1.bogus: unknown key 'bogus'\n",
	    "/labs/t.yaml:6:14: nodes.r1.routes[0].via: invalid IP address '10.9.0.300'\n",
	    "/labs/t.yaml:8:11: nodes.r1.env.\\xc3\\xa9: invalid variable name",
	    "/labs/t.yaml:8:22: nodes.r1.env.C: expected string, got integer\n",
	    "/labs/t.yaml:11:21: links[0].endpoints[1]: no node 'r9' (did you mean 'r1'?)\n",
	    "/labs/t.yaml:12:8: links[0].mtu: expected integer, got string (a quoted number",
	};
	for (size_t i = 0; i < NSL_ARRAY_SIZE(want); i++)
		if (!strstr(res.out, want[i]))
			fail_msg("'%s' missing in:\n%s", want[i], res.out);
	assert_int_equal(res.d.n, NSL_ARRAY_SIZE(want));
	done(&res);

	/* validation problems too */
	yaml(&res, "nodes:\n"
	           "  a:\n"
	           "    interfaces:\n"
	           "      eth0: {addresses: [10.0.0.1/24]}\n"
	           "      ghost: {}\n"
	           "    routes: [{to: 10.5.0.0/16, via: 10.0.0.1}]\n"
	           "  b: {}\n"
	           "links: [{endpoints: [a:eth0, b:eth0]}]\n");
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "/labs/t.yaml:5:7: nodes.a.interfaces.ghost: no link"));
	assert_non_null(strstr(res.out, "/labs/t.yaml:6:37: nodes.a.routes[0].via: 10.0.0.1 is "
	                                "this node's own address\n"));
	done(&res);

	/* syntax: libyaml's problem at its place */
	expect_yaml_error("name: t\nnodes: [a, b\n",
	                  "/labs/t.yaml:3:1: invalid YAML: did not find expected ',' or ']'");
	expect_yaml_error("a: 'x\n", "/labs/t.yaml:2:1: invalid YAML: found unexpected end of "
	                             "stream (while scanning a quoted scalar at 1:4)\n");
	expect_yaml_error("name: t\n\tnodes: {}\n",
	                  "/labs/t.yaml:2:1: invalid YAML: found a tab character that violates "
	                  "indentation (while scanning a plain scalar at 1:7)\n");
}

static void test_strict(void **state)
{
	expect_yaml_error("name: t\nnodes: {a: {interfaces: {e: {up: off}}}}\n",
	                  "/labs/t.yaml:2:34: nodes.a.interfaces.e.up: expected true or false, got "
	                  "string (in YAML 1.2 yes, no, on and off are strings");
	expect_yaml_error("name: !!str t\n",
	                  "/labs/t.yaml:1:7: tags are not allowed (here '!!str')");
	expect_yaml_error("name: t\nnodes: !!map {}\n", "/labs/t.yaml:2:8: tags are not allowed");
	expect_yaml_error("name: ! t\n", "/labs/t.yaml:1:7: tags are not allowed (here '!')");
	expect_yaml_error("%TAG !e! tag:example.com,2000:\n---\nname: t\n",
	                  "%TAG directives are not allowed");
	expect_yaml_error("name: t\n---\nname: u\n",
	                  "/labs/t.yaml:2:1: a second document: a topology file holds exactly one");
	expect_yaml_error("b: &b {name: t}\n<<: *b\n", "/labs/t.yaml:2:1: merge keys ('<<')");
	expect_yaml_error("name: t\nnodes: ~\n", "/labs/t.yaml:2:8: nodes: expected object, got "
	                                         "null (write {} for an empty one)\n");
	expect_yaml_error("name: 12\n", "/labs/t.yaml:1:7: name: expected string, got integer\n");
	expect_yaml_error("name: .inf\n", "/labs/t.yaml:1:7: name: expected string, got number\n");
	expect_yaml_error("nodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:e], mtu: 1e-400}]\n",
	                  "links[0].mtu: must be an integer from 68 to 65535, not 1e-400\n");
	expect_yaml_error("name: \"a\\0b\"\n", "/labs/t.yaml:1:7: NUL characters are not allowed");
	expect_yaml_error("", "/labs/t.yaml:1:1: invalid YAML (the file is empty)\n");
	expect_yaml_error("# only a comment\n",
	                  "/labs/t.yaml:1:1: invalid YAML (the file is empty)");
	expect_yaml_error("name: t\ndescription: [[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]\n",
	                  "/labs/t.yaml:2:29: nesting deeper than 16 levels\n");
	expect_yaml_error("- a\n", "/labs/t.yaml:1:1: the top level must be an object (a mapping), "
	                           "not an array\n");
}

/* The format: by extension, else by the first character that is not white space. */
static void test_format(void **state)
{
	struct result res;

	assert_int_equal(nsl_topology_format("x.json", "a: 1", 4), NSL_FORMAT_JSON);
	assert_int_equal(nsl_topology_format("x.yaml", "{}", 2), NSL_FORMAT_YAML);
	assert_int_equal(nsl_topology_format("x.yml", "{}", 2), NSL_FORMAT_YAML);
	assert_int_equal(nsl_topology_format("x.topo", " \n {}", 5), NSL_FORMAT_JSON);
	assert_int_equal(nsl_topology_format("x.topo", "\xef\xbb\xbf[", 4), NSL_FORMAT_JSON);
	assert_int_equal(nsl_topology_format("x", "name: t", 7), NSL_FORMAT_YAML);
	assert_int_equal(nsl_topology_format("x", "# c\n{}", 6), NSL_FORMAT_YAML);
	assert_true(nsl_topology_file_name("a/b.yml"));
	assert_true(nsl_topology_file_name("b.yaml"));
	assert_false(nsl_topology_file_name("lab1"));
	/* a file of another name read as YAML: its problems in YAML terms */
	run_core(&res, "/labs/topo", "name: t\nnodes: {a: {hostname: -x}}\n", 35, false);
	assert_non_null(strstr(res.out, "/labs/topo:2:23: nodes.a.hostname: invalid hostname"));
	done(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model),     cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_positions), cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
