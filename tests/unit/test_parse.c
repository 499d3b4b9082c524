/* Parser: the model it builds, and how it refuses bad and hostile text. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model/topology.h"

static void parse_text(struct result *res, const char *text, size_t len)
{
	run_core(res, "/labs/t.json", text, len, false);
}

static void parse(struct result *res, const char *text) { parse_text(res, text, strlen(text)); }

/* Parse must fail and print want somewhere. */
static void expect_error(const char *text, const char *want)
{
	struct result res;

	parse(&res, text);
	expect_failure(&res, want);
	assert_null(res.t);
	done(&res);
}

static const char spec_example[] =
    "{\n"
    "  \"name\": \"demo\",\n"
    "  \"description\": \"x\",\n"
    "  \"nodes\": {\n"
    "    \"h1\": {\n"
    "      \"interfaces\": { \"eth0\": { \"addresses\": [\"10.42.1.2/24\", \"fd42:1::2/64\"] } },\n"
    "      \"routes\": [ { \"to\": \"default\", \"via\": \"10.42.1.1\" },\n"
    "                  { \"to\": \"default\", \"via\": \"fd42:1::1\" } ]\n"
    "    },\n"
    "    \"r1\": {\n"
    "      \"sysctls\": { \"net.ipv4.ip_forward\": 1, \"net.ipv6.conf.all.forwarding\": \"1\" },\n"
    "      \"interfaces\": {\n"
    "        \"eth0\": { \"addresses\": [\"10.42.1.1/24\", \"fd42:1::1/64\"], \"mac\": "
    "\"02:00:00:00:00:01\" },\n"
    "        \"wan0\": { \"device\": \"enp7s0\", \"addresses\": [\"198.51.100.7/24\"], \"up\": "
    "false }\n"
    "      },\n"
    "      \"routes\": [ { \"to\": \"0.0.0.0/0\", \"via\": \"198.51.100.1\", \"dev\": \"wan0\", "
    "\"metric\": 10 } ],\n"
    "      \"nat\": [ { \"source\": \"10.42.0.0/16\", \"out\": \"wan0\", \"to\": \"masquerade\" "
    "},\n"
    "               { \"to\": \"fd42::1-fd42::9\" } ]\n"
    "    },\n"
    "    \"sw1\": { \"bridges\": { \"br0\": { \"ports\": [\"p1\", \"p2\"], \"addresses\": "
    "[\"10.42.9.1/24\"], \"stp\": true } } },\n"
    "    \"h2\": { \"hostname\": \"server\", \"exec\": [[\"sh\", \"-c\", \"echo ready > "
    "/tmp/h2\"]],\n"
    "            \"env\": { \"ROLE\": \"server\" },\n"
    "            \"mounts\": [ { \"source\": \"h2/etc\", \"target\": \"/etc/x\", \"read_only\": "
    "true },\n"
    "                        { \"tmpfs\": \"/var/run/x\" }, { \"source\": \"/srv\", \"target\": "
    "\"/srv\" } ] }\n"
    "  },\n"
    "  \"links\": [\n"
    "    { \"endpoints\": [\"h1:eth0\", \"r1:eth0\"] },\n"
    "    { \"endpoints\": [\"r1:eth1\", \"sw1:p1\"], \"mtu\": 9000, \"rate\": \"100mbit\" },\n"
    "    { \"endpoints\": [\"h2:eth0\", \"sw1:p2\"] },\n"
    "    { \"endpoints\": [\"host:lab0\", \"sw1:mgmt\"] }\n"
    "  ],\n"
    "  \"host\": { \"interfaces\": { \"lab0\": { \"addresses\": [\"10.42.9.254/24\"] } },\n"
    "            \"nat\": [ { \"source\": \"10.42.0.0/16\", \"out\": \"eth0\", \"to\": "
    "\"masquerade\" } ],\n"
    "            \"sysctls\": { \"net.ipv4.ip_forward\": 1 } }\n"
    "}\n";

static void test_model(void **state)
{
	struct result res;
	struct nsl_node *h1, *r1, *sw1, *h2;
	struct nsl_iface *f;
	char buf[64];
	int i;

	parse(&res, spec_example);
	if (res.r)
		fail_msg("%s", res.out);
	assert_string_equal(res.t->name, "demo");
	assert_string_equal(res.t->file, "/labs/t.json");
	assert_string_equal(res.t->dir, "/labs");
	assert_int_equal(res.t->n_nodes, 4);
	assert_int_equal(nsl_topology_node(res.t, "nope"), -1);
	h1 = &res.t->nodes[nsl_topology_node(res.t, "h1")];
	r1 = &res.t->nodes[nsl_topology_node(res.t, "r1")];
	sw1 = &res.t->nodes[nsl_topology_node(res.t, "sw1")];
	h2 = &res.t->nodes[nsl_topology_node(res.t, "h2")];

	assert_string_equal(h1->hostname, "h1");
	assert_int_equal(h1->n_routes, 2);
	assert_true(h1->routes[0].is_default);
	assert_int_equal(h1->routes[0].to.ip.family, AF_INET);
	assert_int_equal(h1->routes[0].to.len, 0);
	assert_int_equal(h1->routes[1].to.ip.family, AF_INET6);
	f = nsl_node_iface(h1, "eth0");
	assert_non_null(f);
	assert_int_equal(f->n_addrs, 2);
	assert_true(f->up);
	assert_int_equal(f->link, -1);

	assert_int_equal(r1->n_sysctls, 2);
	assert_string_equal(r1->sysctls[0].key, "net.ipv4.ip_forward");
	assert_string_equal(r1->sysctls[0].value, "1");
	assert_string_equal(r1->sysctls[1].value, "1");
	f = nsl_node_iface(r1, "wan0");
	assert_string_equal(f->device, "enp7s0");
	assert_false(f->up);
	f = nsl_node_iface(r1, "eth0");
	assert_true(f->has_mac);
	assert_int_equal(f->mac[5], 1);
	assert_int_equal(r1->routes[0].metric, 10);
	assert_true(r1->routes[0].has_metric);
	assert_false(r1->routes[0].is_default);
	assert_string_equal(r1->routes[0].dev, "wan0");
	assert_int_equal(r1->n_nat, 2);
	assert_int_equal(r1->nat[0].to, NSL_NAT_MASQUERADE);
	assert_int_equal(r1->nat[0].family, AF_INET);
	assert_string_equal(r1->nat[0].out, "wan0");
	assert_int_equal(r1->nat[1].to, NSL_NAT_RANGE);
	assert_int_equal(r1->nat[1].family, AF_INET6);
	assert_string_equal(nsl_ip_str(&r1->nat[1].to_max, buf, sizeof(buf)), "fd42::9");

	assert_int_equal(sw1->n_bridges, 1);
	assert_true(sw1->bridges[0].stp);
	assert_int_equal(sw1->bridges[0].n_ports, 2);
	assert_string_equal(sw1->bridges[0].ports[1], "p2");
	f = nsl_node_iface(sw1, "br0"); /* bridge addresses land on its interface entry */
	assert_non_null(f);
	assert_int_equal(f->n_addrs, 1);

	assert_string_equal(h2->hostname, "server");
	assert_int_equal(h2->n_exec, 1);
	assert_int_equal(h2->exec[0].argc, 3);
	assert_string_equal(h2->exec[0].argv[2], "echo ready > /tmp/h2");
	assert_null(h2->exec[0].argv[3]);
	assert_int_equal(h2->n_env, 1);
	assert_string_equal(h2->env[0], "ROLE=server");
	assert_null(h2->env[1]);
	assert_int_equal(h2->n_mounts, 3);
	assert_string_equal(h2->mounts[0].source, "/labs/h2/etc");
	assert_true(h2->mounts[0].read_only);
	assert_true(h2->mounts[1].tmpfs);
	assert_null(h2->mounts[1].source);
	assert_string_equal(h2->mounts[1].target, "/var/run/x");
	assert_string_equal(h2->mounts[2].source, "/srv");

	assert_int_equal(res.t->n_links, 4);
	assert_int_equal(res.t->links[1].mtu, 9000);
	assert_int_equal(res.t->links[1].rate, 12500000);
	assert_int_equal(res.t->links[3].ends[0].node, NSL_ENDPOINT_HOST);
	assert_string_equal(res.t->links[3].ends[0].ifname, "lab0");
	i = res.t->links[0].ends[1].node;
	assert_string_equal(res.t->nodes[i].name, "r1");
	assert_int_equal(res.t->host.n_ifaces, 1);
	assert_int_equal(res.t->host.n_nat, 1);
	assert_int_equal(res.t->host.n_sysctls, 1);
	done(&res);
}

static void test_minimal(void **state)
{
	struct result res;

	parse(&res, "{}");
	assert_int_equal(res.r, 0);
	assert_string_equal(res.t->name, ""); /* the CLI supplies --name */
	assert_int_equal(res.t->n_nodes, 0);
	done(&res);

	parse(&res, " {\"nodes\": {\"a\": {}}}\n\t\r\n");
	assert_int_equal(res.r, 0);
	assert_string_equal(res.t->nodes[0].hostname, "a");
	done(&res);
}

static void test_relative_dir(void **state)
{
	struct nsl_topology *t = NULL;
	struct nsl_diags d = {0};
	char cwd[4096], want[4200];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(nsl_topology_parse("sub/t.json", "{}", 2, &t, &d), 0);
	snprintf(want, sizeof(want), "%s/sub", cwd);
	assert_string_equal(t->dir, want);
	nsl_topology_free(t);
	assert_int_equal(nsl_topology_parse("t.json", "{}", 2, &t, &d), 0);
	assert_string_equal(t->dir, cwd);
	nsl_topology_free(t);
	nsl_diags_clear(&d);
}

static void test_syntax_position(void **state)
{
	/* the exact place of the first thing that is not JSON, and what was expected there */
	expect_error("{\n  \"name\": \"x\"\n  \"nodes\": {}\n}",
	             "/labs/t.json:3:3: invalid JSON: unexpected '\"' (expected ',' or '}')\n");
	expect_error("{\"name\": \"x\"",
	             "t.json:1:13: invalid JSON: unexpected end of file (expected ',' or '}')\n");
	expect_error("", "t.json:1:1: invalid JSON (the file is empty)\n");
	expect_error(" \n\t", "t.json:1:1: invalid JSON (the file is empty)\n");
	expect_error("{} x", "t.json:1:4: invalid JSON: data after the end\n");
	expect_error("{\"a\": 1}\n  {\"b\": 2}", "t.json:2:3: invalid JSON: data after the end\n");
	expect_error("{\"a\": 1,\n}", "t.json:2:1: invalid JSON: unexpected '}' (expected a key");
	expect_error("[1, 2,]", "t.json:1:7: invalid JSON: unexpected ']' (expected a value)");
	expect_error("{\"a\" 1}", "t.json:1:6: invalid JSON: unexpected '1' (expected ':')");
	expect_error("{\"a\": tru}", "t.json:1:7: invalid JSON: unexpected 't' (expected a value)");
	expect_error("{'a': 1}", "t.json:1:2: invalid JSON: unexpected ''' (expected a key");
	expect_error("{\"a\": \"\\q\"}", "t.json:1:8: invalid JSON: unknown escape");
	expect_error("{\"a\": \"\\ud800\"}", "t.json:1:8: invalid JSON: a UTF-16 high surrogate");
	expect_error("{\"a\": \"\\udc00\"}", "t.json:1:8: invalid JSON: a lone UTF-16 low");
	expect_error("{\"a\": \"x", "t.json:1:9: invalid JSON: unexpected end of file in a string");
	/* columns count characters: two 2-byte characters before the error */
	expect_error("{\"\xc3\xa9\xc3\xa9\": 1 2}", "t.json:1:10: invalid JSON: unexpected '2'");
	expect_error("{\"links\": [{\"mtu\": 01}]}", "t.json:1:20: invalid number");
	expect_error("{\"links\": [{\"mtu\": 1.}]}", "t.json:1:20: invalid number");
	expect_error("{\"links\": [{\"mtu\": -}]}", "t.json:1:20: invalid number");
	expect_error("{\"links\": [{\"mtu\": 1e}]}", "t.json:1:20: invalid number");
	expect_error("{\"links\": [{\"mtu\": +1}]}",
	             "t.json:1:20: invalid JSON: unexpected '+' (expected a value)");
}

/* Every problem found after the syntax carries the place of its value (or key): line and
 * column counted by hand here, in characters, tabs as one. */
static void test_positions(void **state)
{
	struct result res;

	parse(&res, "{\n"
	            "\t\"nodes\": {\n"
	            "\t\t\"r1\": {\n"
	            "\t\t\t\"routes\": [ { \"to\": \"10.9.0.0/16\", \"via\": \"10.9.0.300\" } ],\n"
	            "\t\t\t\"bogus\": 1,\n"
	            "\t\t\t\"hostname\": \"-x\", \"env\": {\"A B\": \"x\", \"C\": 7}\n"
	            "\t\t},\n"
	            "\t\t\"r1\": {}\n"
	            "\t},\n"
	            "\t\"links\": [ {\"endpoints\": [\"r1:e\", \"r9:e\"], \"mtu\": 1e-400} ]\n"
	            "}\n");
	assert_int_equal(res.r, -EINVAL);
	const char *want[] = {
	    "/labs/t.json:8:3: nodes.r1: duplicate key 'r1'\n",
	    "/labs/t.json:5:4: nodes.r1.bogus: unknown key 'bogus'\n",
	    "/labs/t.json:6:16: nodes.r1.hostname: invalid hostname '-x'",
	    "/labs/t.json:4:46: nodes.r1.routes[0].via: invalid IP address '10.9.0.300'\n",
	    "/labs/t.json:6:30: nodes.r1.env.A B: invalid variable name 'A B'",
	    "/labs/t.json:6:47: nodes.r1.env.C: expected string, got integer\n",
	    "/labs/t.json:10:36: links[0].endpoints[1]: no node 'r9' (did you mean 'r1'?)\n",
	    "/labs/t.json:10:52: links[0].mtu: must be an integer from 68 to 65535, not 1e-400\n",
	};
	for (size_t i = 0; i < NSL_ARRAY_SIZE(want); i++)
		if (!strstr(res.out, want[i]))
			fail_msg("'%s' missing in:\n%s", want[i], res.out);
	assert_int_equal(res.d.n, NSL_ARRAY_SIZE(want));
	done(&res);
}

static void test_bom(void **state)
{
	struct result res;

	/* RFC 8259 lets a parser ignore a byte order mark; editors on some systems write one */
	parse(&res, "\xef\xbb\xbf{}");
	assert_int_equal(res.r, 0);
	done(&res);
}

static void test_hostile(void **state)
{
	struct result res;
	size_t big = NSL_FILE_MAX + 10, i;
	char *text;

	/* size: refused before any parsing */
	text = malloc(big + 1);
	assert_non_null(text);
	memset(text, ' ', big);
	text[0] = '{';
	text[big - 1] = '}';
	text[big] = '\0';
	parse_text(&res, text, big);
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "t.json: file is larger than"));
	done(&res);
	free(text);

	/* depth: 16 levels are fine, 17 are not */
	text = calloc(1, 256);
	assert_non_null(text);
	for (i = 0; i < NSL_DEPTH_MAX; i++)
		strcat(text, "[");
	for (i = 0; i < NSL_DEPTH_MAX; i++)
		strcat(text, "]");
	parse(&res, text);
	assert_non_null(strstr(res.out, "t.json:1:1: the top level must be an object (a mapping), "
	                                "not an array\n"));
	done(&res);
	memset(text, 0, 256);
	strcat(text, "{\"nodes\":");
	for (i = 0; i < NSL_DEPTH_MAX; i++)
		strcat(text, "[");
	parse(&res, text);
	assert_non_null(strstr(res.out, "t.json:1:25: nesting deeper than 16 levels\n"));
	done(&res);
	free(text);

	/* brackets inside strings do not count */
	parse(&res, "{\"description\": \"[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{\"}");
	assert_int_equal(res.r, 0);
	done(&res);

	expect_error("{\"name\": \"a\\u0000b\"}", "t.json:1:12: \\u0000 is not allowed");
	expect_error("{\"nodes\": {\"a\\u0000b\": {}}}", "\\u0000 is not allowed");
	/* an escaped backslash before u0000 is not an escape of u */
	parse(&res, "{\"description\": \"a\\\\u0000\"}");
	assert_int_equal(res.r, 0);
	done(&res);
	expect_error("{\"name\": \"\xff\"}", "invalid UTF-8");
	expect_error("{\"name\": \"\xed\xa0\x80\"}", "invalid UTF-8");     /* a surrogate */
	expect_error("{\"name\": \"\xf4\x90\x80\x80\"}", "invalid UTF-8"); /* > U+10FFFF */
	expect_error("{\"name\": \"\xe2\x82\"}", "invalid UTF-8");
	expect_error("{\"name\":\x0c \"x\"}", "control character outside a string");
	expect_error("{\"name\": \"x\x01\"}", "control character in a string");
	/* a raw NUL byte inside the given length */
	parse_text(&res, "{\"name\": \"x\"}\0{", 15);
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "control character outside a string"));
	done(&res);
	/* escaped control characters decode fine but are no name */
	expect_error("{\"nodes\": {\"a\\u0001\": {}}}", "invalid node name 'a\\x01'");
	expect_error("{\"nodes\": {\"a\": {\"mounts\": [{\"tmpfs\": \"/x\\u007f\"}]}}}",
	             "control characters are not allowed here");
}

static void test_keys(void **state)
{
	struct result res;

	expect_error("{\"name\": \"a\", \"name\": \"b\"}",
	             "t.json:1:15: name: duplicate key 'name'");
	/* lookups are case-sensitive: "Name" is not "name" */
	parse(&res, "{\"Name\": \"a\"}");
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(
	    strstr(res.out, "t.json:1:2: Name: unknown key 'Name' (did you mean 'name'?)"));
	done(&res);
	expect_error("{\"zzzzzz\": 1}", "unknown key 'zzzzzz'\n");
	expect_error(
	    "{\"nodes\": {\"a\": {\"interfaces\": {\"eth0\": {\"mtu\": \"9000\"}}}}}",
	    "t.json:1:49: nodes.a.interfaces.eth0.mtu: expected integer, got string (a quoted "
	    "number is a string: leave the quotes out)\n");
	expect_error("{\"nodes\": {\"a\": {\"interfaces\": {\"eth0\": {\"device\": 1}}}}}",
	             "nodes.a.interfaces.eth0.device: expected string");
	expect_error("{\"links\": {}}", "links: expected array");
	expect_error("{\"nodes\": {\"a\": []}}", "nodes.a: expected object");
	expect_error("{\"host\": {\"interfaces\": {\"x\": {\"device\": \"y\"}}}}",
	             "host.interfaces.x.device: unknown key 'device'");
	/* escaped, cut keys in messages: no terminal tricks, no endless lines */
	expect_error("{\"\\u001b[31m\": 1}", "unknown key '\\x1b[31m'");

	/* 30000 duplicate keys: reported (up to the cap) quickly, not quadratically */
	size_t n = 30000, len = 0, cap = n * 12 + 16;
	char *text = malloc(cap);

	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{\"nodes\":{");
	for (size_t i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(text + len, cap - len, "%s\"n%zu\":{}", i ? "," : "", i % 2);
	snprintf(text + len, cap - len, "}}");
	parse(&res, text);
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "nodes.n0: duplicate key 'n0'"));
	done(&res);
	free(text);
}

static void test_numbers(void **state)
{
	struct result res;

	parse(&res, "{\"nodes\": {\"a\": {}, \"b\": {}}, "
	            "\"links\": [{\"endpoints\": [\"a:e\", \"b:e\"], \"mtu\": 1.5e3}]}");
	assert_int_equal(res.r, 0); /* an exponent giving an integer is an integer */
	assert_int_equal(res.t->links[0].mtu, 1500);
	done(&res);
	expect_error("{\"nodes\": {\"a\": {}, \"b\": {}}, "
	             "\"links\": [{\"endpoints\": [\"a:e\", \"b:e\"], \"mtu\": 1.5e0}]}",
	             "links[0].mtu: must be an integer from 68 to 65535");
	expect_error("{\"nodes\": {\"a\": {\"routes\": [{\"to\": \"10.0.0.0/8\", \"dev\": \"e\", "
	             "\"metric\": 4294967296}]}}}",
	             "metric: must be an integer from 0 to 4294967295");
	expect_error("{\"nodes\": {\"a\": {\"sysctls\": {\"net.x\": 1e30}}}}",
	             "nodes.a.sysctls.net.x: must be an integer");
	parse(&res, "{\"nodes\": {\"a\": {\"sysctls\": {\"net.x\": -5, \"net.y\": \"2 3\"}}}}");
	assert_int_equal(res.r, 0);
	assert_string_equal(res.t->nodes[0].sysctls[0].value, "-5");
	assert_string_equal(res.t->nodes[0].sysctls[1].value, "2 3");
	done(&res);
}

static void test_collects_all(void **state)
{
	struct result res;

	parse(&res, "{\"name\": \"-x\", \"nodes\": {\"a\": {\"hostname\": \"-\", \"routes\": [{}],"
	            " \"sysctls\": {\"kernel.x\": 1}}, \"host\": {}},"
	            " \"links\": [{\"endpoints\": [\"a:e\", \"zz:e\"], \"mtu\": 1}]}");
	assert_int_equal(res.r, -EINVAL);
	/* every problem, in document order */
	const char *want[] = {"name: invalid lab name",
	                      "nodes.a.hostname: invalid hostname",
	                      "nodes.a.routes[0]: missing 'to'",
	                      "a route needs 'via', 'dev'",
	                      "nodes.a.sysctls.kernel.x: only net.*",
	                      "nodes.host: the node name",
	                      "links[0].endpoints[1]: no node 'zz'",
	                      "links[0].mtu: must be"};
	const char *at = res.out;

	for (size_t i = 0; i < NSL_ARRAY_SIZE(want); i++) {
		const char *p = strstr(at, want[i]);

		if (!p)
			fail_msg("'%s' missing or out of order in:\n%s", want[i], res.out);
		at = p;
	}
	assert_int_equal(res.d.n, NSL_ARRAY_SIZE(want));
	done(&res);
}

static void test_values(void **state)
{
	expect_error(
	    "{\"nodes\": {\"a\": {\"routes\": [{\"to\": \"10.1.2.3/8\", \"dev\": \"e\"}]}}}",
	    "'10.1.2.3/8' has host bits set (did you mean 10.0.0.0/8?)");
	expect_error(
	    "{\"nodes\": {\"a\": {\"routes\": [{\"to\": \"default\", \"via\": \"fd42::1\", "
	    "\"src\": \"10.0.0.1\"}]}}}",
	    "src: source family does not match");
	expect_error(
	    "{\"nodes\": {\"a\": {\"routes\": [{\"to\": \"default\", \"via\": \"224.0.0.1\"}]}}}",
	    "'224.0.0.1' is not a unicast address");
	expect_error("{\"nodes\": {\"a\": {\"nat\": [{\"to\": \"10.0.0.1-fd42::1\"}]}}}",
	             "invalid address range");
	expect_error("{\"nodes\": {\"a\": {\"nat\": [{\"source\": \"10.0.0.1/8\", \"to\": "
	             "\"masquerade\"}]}}}",
	             "has host bits set");
	expect_error("{\"nodes\": {\"a\": {\"interfaces\": {\"lo\": {\"device\": \"x\"}}}}}",
	             "lo cannot be a moved device");
	expect_error("{\"nodes\": {\"a\": {\"interfaces\": {\"e\": {\"device\": \"lo\"}}}}}",
	             "the host's lo cannot be moved");
	expect_error(
	    "{\"nodes\": {\"a\": {\"mounts\": [{\"source\": \"./x\", \"target\": \"/x\"}]}}}",
	    "relative source './x' may not use");
	expect_error(
	    "{\"nodes\": {\"a\": {\"mounts\": [{\"source\": \"x\", \"target\": \"//\"}]}}}",
	    "cannot mount over the node's /");
	expect_error("{\"nodes\": {\"a\": {\"env\": {\"A-B\": \"x\"}}}}",
	             "invalid variable name 'A-B'");
	expect_error("{\"nodes\": {\"a\": {\"hostname\": \"x..y\"}}}", "invalid hostname");
	expect_error("{\"nodes\": {\"a\": {}}, \"links\": [{\"endpoints\": [\"a:e\", 7]}]}",
	             "links[0].endpoints[1]: expected string");
	expect_error("{\"nodes\": {\"a\": {}}, \"links\": [{\"endpoints\": "
	             "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:e\", \"a:f\"]}]}",
	             "node name longer than 32 characters");
	expect_error("{\"nodes\": {\"a\": {\"bridges\": {\"br0\": {\"ports\": [\"a:b\"]}}}}}",
	             "nodes.a.bridges.br0.ports[0]: invalid interface name");
}

static void test_limits(void **state)
{
	struct result res;
	size_t cap = 200000, len = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{\"nodes\":{");
	for (int i = 0; i <= 4096; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s\"n%d\":{}", i ? "," : "", i);
	snprintf(text + len, cap - len, "}}");
	parse(&res, text);
	assert_int_equal(res.r, -EINVAL);
	assert_non_null(strstr(res.out, "nodes: 4097 nodes: at most 4096 are allowed"));
	done(&res);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model),        cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_relative_dir), cmocka_unit_test(test_syntax_position),
	    cmocka_unit_test(test_hostile),      cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_numbers),      cmocka_unit_test(test_collects_all),
	    cmocka_unit_test(test_values),       cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_bom),          cmocka_unit_test(test_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
