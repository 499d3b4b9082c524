/* Validator: cross-references, and the model it completes for the planner. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model/topology.h"

/* Parse (which must succeed) then validate. */
static void validate(struct result *res, const char *text)
{
	run_core(res, "v.json", text, strlen(text), true);
}

static void expect_error(const char *text, const char *want)
{
	struct result res;

	validate(&res, text);
	expect_failure(&res, want);
	done(&res);
}

static struct nsl_node *node(struct result *res, const char *name)
{
	int i = nsl_topology_node(res->t, name);

	assert_true(i >= 0);
	return &res->t->nodes[i];
}

static const char lab[] =
    "{\"nodes\": {"
    " \"r\": {\"interfaces\": {\"lo\": {\"addresses\": [\"10.255.0.1/32\"]},"
    "                      \"wan\": {\"device\": \"enp7s0\", \"addresses\": [\"10.9.0.2/24\"]},"
    "                      \"e1\": {\"mtu\": 1400, \"addresses\": [\"fd42:1::1/64\"]},"
    "                      \"br0\": {\"mtu\": 1450}},"
    "        \"bridges\": {\"br0\": {\"ports\": [\"p1\", \"p2\"], \"addresses\": "
    "[\"10.1.0.1/24\"]}},"
    "        \"routes\": [{\"to\": \"default\", \"via\": \"10.9.0.1\", \"dev\": \"wan\"},"
    "                   {\"to\": \"10.7.0.0/16\", \"via\": \"10.1.0.9\", \"src\": \"10.255.0.1\"},"
    "                   {\"to\": \"fd42:7::/48\", \"via\": \"fe80::1\", \"dev\": \"e1\"},"
    "                   {\"to\": \"10.8.0.0/16\", \"dev\": \"e2\"}],"
    "        \"nat\": [{\"out\": \"wan\", \"to\": \"masquerade\"}]},"
    " \"h\": {}, \"g\": {}"
    "},"
    "\"links\": [{\"endpoints\": [\"r:e1\", \"h:eth0\"], \"mtu\": 9000},"
    "          {\"endpoints\": [\"r:p1\", \"g:eth0\"], \"mtu\": 1300},"
    "          {\"endpoints\": [\"host:lab0\", \"r:p2\"]},"
    "          {\"endpoints\": [\"r:e2\", \"r:e3\"]}],"
    "\"host\": {\"interfaces\": {\"lab0\": {\"addresses\": [\"10.1.0.254/24\"]}},"
    "         \"nat\": [{\"out\": \"eno1\", \"to\": \"masquerade\"}]}"
    "}";

static void test_complete_model(void **state)
{
	struct result res;
	struct nsl_node *r, *h;
	struct nsl_iface *f;

	validate(&res, lab);
	if (res.r)
		fail_msg("%s", res.out);
	r = node(&res, "r");
	h = node(&res, "h");

	f = nsl_node_iface(r, "lo");
	assert_int_equal(f->kind, NSL_IFACE_LO);
	assert_int_equal(f->n_addrs, 1);
	f = nsl_node_iface(r, "wan");
	assert_int_equal(f->kind, NSL_IFACE_DEVICE);
	f = nsl_node_iface(r, "e1");
	assert_int_equal(f->kind, NSL_IFACE_VETH);
	assert_int_equal(f->link, 0);
	assert_int_equal(f->mtu, 1400); /* the entry overrides the link */
	f = nsl_node_iface(h, "eth0");  /* created: no entry under interfaces */
	assert_non_null(f);
	assert_int_equal(f->kind, NSL_IFACE_VETH);
	assert_int_equal(f->mtu, 9000);
	assert_true(f->up);
	assert_int_equal(f->bridge, -1);
	assert_int_equal(f->n_addrs, 0);
	f = nsl_node_iface(h, "lo");
	assert_non_null(f);
	assert_int_equal(f->kind, NSL_IFACE_LO);

	f = nsl_node_iface(r, "br0");
	assert_int_equal(f->kind, NSL_IFACE_BRIDGE);
	assert_int_equal(f->mtu, 1450);
	assert_int_equal(f->n_addrs, 1);
	f = nsl_node_iface(r, "p1");
	assert_int_equal(f->bridge, 0);
	assert_int_equal(f->link, 1);
	assert_int_equal(f->mtu, 1300);
	assert_int_equal(nsl_node_iface(r, "p2")->bridge, 0);
	assert_int_equal(nsl_node_iface(r, "e2")->link, 3);
	assert_int_equal(nsl_node_iface(r, "e3")->link, 3);

	assert_int_equal(res.t->host.n_ifaces, 1);
	assert_int_equal(res.t->host.ifaces[0].kind, NSL_IFACE_VETH);
	assert_int_equal(res.t->host.ifaces[0].link, 2);
	assert_int_equal(res.t->links[2].ends[0].node, NSL_ENDPOINT_HOST);

	/* validating again finds the same model, nothing doubled */
	size_t n = r->n_ifaces;

	assert_int_equal(nsl_topology_validate(res.t, &res.d), 0);
	r = node(&res, "r");
	assert_int_equal(r->n_ifaces, n);
	assert_int_equal(nsl_node_iface(r, "p1")->bridge, 0);
	assert_int_equal(res.t->host.n_ifaces, 1);
	done(&res);
}

static void test_host_end_created(void **state)
{
	struct result res;

	validate(&res,
	         "{\"nodes\": {\"a\": {}}, \"links\": [{\"endpoints\": [\"a:e\", \"host:v0\"],"
	         " \"mtu\": 2000}]}");
	assert_int_equal(res.r, 0);
	assert_int_equal(res.t->host.n_ifaces, 1);
	assert_string_equal(res.t->host.ifaces[0].name, "v0");
	assert_int_equal(res.t->host.ifaces[0].mtu, 2000);
	assert_int_equal(res.t->host.ifaces[0].kind, NSL_IFACE_VETH);
	done(&res);
}

static void test_references(void **state)
{
	char buf[1024];

#define TWO(node_extra, links_extra, want)                                                         \
	do {                                                                                       \
		snprintf(buf, sizeof(buf),                                                         \
		         "{\"nodes\": {\"a\": {\"interfaces\": {\"e\": {\"addresses\": "           \
		         "[\"10.0.0.1/24\"]}}%s}, \"b\": {}}, \"links\": [{\"endpoints\": "        \
		         "[\"a:e\", \"b:e\"]}%s]}",                                                \
		         node_extra, links_extra);                                                 \
		expect_error(buf, want);                                                           \
	} while (0)

	TWO("", ", {\"endpoints\": [\"b:e\", \"a:x\"]}",
	    "links[1].endpoints[0]: b:e is already an end of links[0]");
	TWO("", ", {\"endpoints\": [\"host:h\", \"a:x\"]}, {\"endpoints\": [\"host:h\", \"b:y\"]}",
	    "links[2].endpoints[0]: host:h is already an end of links[1]");
	TWO("", ", {\"endpoints\": [\"host:lo\", \"a:x\"]}", "the host's lo cannot be a link end");
	TWO(", \"routes\": [{\"to\": \"10.5.0.0/16\", \"via\": \"10.0.0.1\"}]", "",
	    "nodes.a.routes[0].via: 10.0.0.1 is this node's own address");
	TWO(", \"routes\": [{\"to\": \"10.5.0.0/16\", \"via\": \"10.0.0.9\", \"dev\": \"lo\"}]", "",
	    "gateway 10.0.0.9 is on no subnet of interface lo");
	TWO(", \"routes\": [{\"to\": \"fd42:5::/64\", \"via\": \"fe80::1\"}]", "",
	    "a link-local gateway needs 'dev'");
	TWO(", \"routes\": [{\"to\": \"10.5.0.0/16\", \"dev\": \"e\", \"metric\": 5},"
	    " {\"to\": \"10.5.0.0/16\", \"via\": \"10.0.0.2\", \"metric\": 5}]",
	    "", "nodes.a.routes[1].to: same destination 10.5.0.0/16 and metric 5 as routes[0]\n");
	TWO(", \"bridges\": {\"br0\": {\"ports\": [\"e\", \"e\"]}}", "", "'e' is listed twice");
	TWO(", \"bridges\": {\"e\": {}}", "", "nodes.a.bridges.e: e is already an end of links[0]");
	TWO(", \"nat\": [{\"out\": \"nope\", \"to\": \"masquerade\"}]", "",
	    "nodes.a.nat[0].out: node a has no interface 'nope'");
	TWO(", \"mounts\": [{\"tmpfs\": \"/a\"}, {\"source\": \"/x\", \"target\": \"/a\"}]", "",
	    "nodes.a.mounts[1]: /a is already mounted by mounts[0]");
#undef TWO
}

static void test_all_collected(void **state)
{
	struct result res;

	validate(&res, "{\"nodes\": {\"a\": {\"interfaces\": {\"x\": {}, \"y\": {}},"
	               " \"routes\": [{\"to\": \"10.0.0.0/8\", \"dev\": \"z\"}]},"
	               " \"b\": {\"bridges\": {\"br\": {\"ports\": [\"q\"]}}}}}");
	assert_int_equal(res.r, -EINVAL);
	assert_int_equal(res.d.n, 4);
	/* each at its place: keys for names, values for values */
	assert_non_null(strstr(
	    res.out, "v.json:1:33: nodes.a.interfaces.x: no link, device, bridge or \"kind\""));
	assert_non_null(strstr(
	    res.out, "v.json:1:42: nodes.a.interfaces.y: no link, device, bridge or \"kind\""));
	assert_non_null(
	    strstr(res.out, "v.json:1:91: nodes.a.routes[0].dev: node a has no interface 'z'"));
	assert_non_null(strstr(
	    res.out, "v.json:1:134: nodes.b.bridges.br.ports[0]: node b has no interface 'q'"));
	done(&res);
}

static void test_programmatic(void **state)
{
	struct nsl_diags d = {0};

	/* a NULL model is refused, not dereferenced */
	assert_int_equal(nsl_topology_validate(NULL, &d), -EINVAL);
	nsl_topology_free(NULL);
	nsl_diags_clear(&d);
}

static void expect_ok(const char *text)
{
	struct result res;

	validate(&res, text);
	if (res.r != 0)
		fail_msg("expected valid, got %d:\n%s", res.r, res.out);
	done(&res);
}

/* What the kernel refuses half-way through up is refused here, and no more than that. */
static void test_kernel_rules(void **state)
{
	char buf[2048];

#define ONE(ifaces, extra)                                                                         \
	(snprintf(buf, sizeof(buf),                                                                \
	          "{\"nodes\": {\"a\": {\"interfaces\": {" ifaces "}" extra "}, \"b\": {}},"       \
	          " \"links\": [{\"endpoints\": [\"a:e\", \"b:e\"]},"                              \
	          " {\"endpoints\": [\"a:f\", \"b:f\"]}]}"),                                       \
	 buf)
#define E "\"e\": {\"addresses\": [\"10.0.0.1/24\", \"fd42::1/64\", \"fd43::1/128\"]}"
	/* connected subnets: exactly the prefix, with the kernel's metric */
	expect_error(ONE(E, ", \"routes\": [{\"to\": \"10.0.0.0/24\", \"via\": \"10.0.0.2\", "
	                    "\"metric\": 0}]"),
	             "nodes.a.routes[0].to: 10.0.0.0/24 is the subnet of e: the kernel has that "
	             "route already, with metric 0");
	expect_ok(
	    ONE(E, ", \"routes\": [{\"to\": \"10.0.0.0/24\", \"dev\": \"e\", \"metric\": 1}]"));
	expect_ok(ONE(E, ", \"routes\": [{\"to\": \"10.0.0.0/25\", \"dev\": \"e\"}]"));
	expect_ok(ONE(E, ", \"routes\": [{\"to\": \"fd42::/64\", \"dev\": \"e\"}]")); /* 1024 */
	expect_error(ONE(E, ", \"routes\": [{\"to\": \"fd43::1/128\", \"dev\": \"e\", \"metric\": "
	                    "256}]"),
	             "fd43::1/128 is the subnet of e");
	/* no IPv4 prefix route for a /32, none in main for lo's subnets */
	expect_ok(ONE("\"e\": {\"addresses\": [\"10.0.0.1/32\"]}",
	              ", \"routes\": [{\"to\": \"10.0.0.1/32\", \"dev\": \"e\"}]"));
	expect_ok(ONE(E ", \"lo\": {\"addresses\": [\"10.9.0.1/24\"]}",
	              ", \"routes\": [{\"to\": \"10.9.0.0/24\", \"dev\": \"e\"}]"));
	expect_error(
	    ONE(E, ", \"routes\": [{\"to\": \"::1/128\", \"dev\": \"lo\", \"metric\": 256}]"),
	    "::1/128 is the subnet of lo");
	/* an interface that is down makes no subnet route and takes no route */
	expect_ok(ONE(E ", \"f\": {\"addresses\": [\"10.1.0.1/24\"], \"up\": false}",
	              ", \"routes\": [{\"to\": \"10.1.0.0/24\", \"dev\": \"e\"}]"));
	expect_error(ONE(E ", \"f\": {\"addresses\": [\"10.1.0.1/24\"], \"up\": false}",
	                 ", \"routes\": [{\"to\": \"10.2.0.0/16\", \"via\": \"10.1.0.9\"}]"),
	             "gateway 10.1.0.9 is on no subnet of node a's interfaces that is up");
	expect_ok(ONE(E ", \"f\": {\"addresses\": [\"10.0.0.2/24\"], \"up\": false}",
	              ", \"routes\": [{\"to\": \"10.2.0.0/16\", \"via\": \"10.0.0.9\"}]"));
	/* metrics as the kernel counts them */
	expect_ok(ONE(E, ", \"routes\": [{\"to\": \"10.5.0.0/16\", \"dev\": \"e\"},"
	                 " {\"to\": \"10.5.0.0/16\", \"dev\": \"e\", \"metric\": 1024}]"));
	expect_error(ONE(E, ", \"routes\": [{\"to\": \"fd45::/64\", \"dev\": \"e\"},"
	                    " {\"to\": \"fd45::/64\", \"via\": \"fd42::9\", \"metric\": 1024}]"),
	             "routes[1].to: same destination fd45::/64 and metric 1024 as routes[0] (no "
	             "metric, or 0, is 1024 for IPv6)");
	expect_ok(ONE(E, ", \"routes\": [{\"to\": \"fd45::/64\", \"dev\": \"e\"},"
	                 " {\"to\": \"fd45::/64\", \"dev\": \"e\", \"metric\": 1}]"));
	/* per-interface sysctls */
	expect_ok(ONE(E,
	              ", \"sysctls\": {\"net.ipv4.conf.all.rp_filter\": 1, "
	              "\"net.ipv4.conf.default.rp_filter\": 1, \"net.ipv6.conf.lo.mtu\": 1500, "
	              "\"net.ipv4.neigh.e.gc_stale_time\": 9, \"net.ipv4.conf.f.forwarding\": 1}"));
	expect_error(ONE(E, ", \"sysctls\": {\"net.ipv4.conf.e\": 1}"),
	             "nodes.a.sysctls.net.ipv4.conf.e: expected net.ipv4.conf.INTERFACE.SETTING");
	expect_error(ONE(E, ", \"sysctls\": {\"net.ipv4.conf.e.x.y\": 1}"),
	             "(one name after the interface)");
#undef E
#undef ONE
	/* a host end with a dot: its host sysctls are ambiguous too */
	expect_error(
	    "{\"nodes\": {\"a\": {}}, \"links\": [{\"endpoints\": [\"host:v.1\", \"a:e\"]}],"
	    " \"host\": {\"sysctls\": {\"net.ipv6.conf.v.1.forwarding\": 1}}}",
	    "host.sysctls.net.ipv6.conf.v.1.forwarding: interface 'v.1' has a '.' in its "
	    "name");
}

/* Limits of what exec can carry. */
static void test_exec_limits(void **state)
{
	size_t n = NSL_EXEC_ARG_MAX + 1;
	char *text = malloc(n + 128), *arg;

	assert_non_null(text);
	arg = text + sprintf(text, "{\"nodes\": {\"a\": {\"exec\": [[\"echo\", \"");
	memset(arg, 'x', n);
	strcpy(arg + n, "\"]]}}}");
	expect_error(text, "nodes.a.exec[0][1]: 131072 bytes: the kernel takes at most 131071");
	/* one byte less is fine */
	strcpy(arg + n - 1, "\"]]}}}");
	expect_ok(text);
	free(text);
}

/* host.uplink: a rootless lab's host of its own. Rootless, it allows host ends, interfaces,
 * NAT and sysctls, the management network and VXLANs there (not moved devices, not the
 * uplink's name or network); root refuses it. */
static void test_uplink(void **state)
{
	static const char text[] =
	    "{\"nodes\": {\"a\": {\"interfaces\": {\"up0\": {\"addresses\": [\"10.9.0.2/24\"]}}}},"
	    " \"links\": [{\"endpoints\": [\"a:up0\", \"host:lab0\"]}],"
	    " \"host\": {\"uplink\": \"slirp4netns\","
	    "          \"interfaces\": {\"lab0\": {\"addresses\": [\"10.9.0.1/24\"]}},"
	    "          \"nat\": [{\"out\": \"uplink0\", \"to\": \"masquerade\"}],"
	    "          \"sysctls\": {\"net.ipv4.ip_forward\": 1}}}";
	struct result res;
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	validate(&res, text);
	assert_int_equal(res.r, 0);
	assert_int_equal(res.t->host.uplink, NSL_UPLINK_SLIRP4NETNS);
	assert_int_equal(nsl_topology_check_for(res.t, true, &res.d), 0);
	assert_int_equal(nsl_topology_check_for(res.t, false, &res.d), -EINVAL);
	m = open_memstream(&out, &len);
	nsl_diags_print(&res.d, m);
	fclose(m);
	assert_non_null(strstr(out, "v.json:1:144: host.uplink: an uplink is for rootless labs"));
	free(out);
	done(&res);

	/* The uplink's name and network are its own; a moved device is still the host's. */
	validate(
	    &res,
	    "{\"nodes\": {\"a\": {\"interfaces\": {\"up0\": {}, \"w\": {\"device\": \"eth9\"}}}},"
	    " \"links\": [{\"endpoints\": [\"a:up0\", \"host:uplink0\"]}],"
	    " \"host\": {\"uplink\": \"slirp4netns\", \"interfaces\": "
	    "{\"uplink0\": {\"addresses\": [\"10.0.2.1/25\"]}}}}");
	assert_int_equal(res.r, 0);
	assert_int_equal(nsl_topology_check_for(res.t, true, &res.d), -EINVAL);
	m = open_memstream(&out, &len);
	nsl_diags_print(&res.d, m);
	fclose(m);
	assert_non_null(
	    strstr(out, "host.interfaces.uplink0: 'uplink0' is the uplink's interface"));
	assert_non_null(strstr(out,
	                       "host.interfaces.uplink0.addresses[0]: 10.0.2.1/25 overlaps the "
	                       "uplink's network 10.0.2.0/24"));
	assert_non_null(strstr(out, "nodes.a.interfaces.w.device: moving host device 'eth9'"));
	free(out);
	done(&res);

	/* The lab's own host takes the management network, host VXLANs over its host ends and
	 * VXLANs whose underlay is the host's; without an uplink all three are refused. */
	static const char hostish[] =
	    "{\"mgmt\": {\"subnet\": \"172.30.0.0/24\"},"
	    " \"nodes\": {\"a\": {\"interfaces\": {\"up0\": {\"addresses\": [\"10.9.0.2/24\"]},"
	    " \"vx0\": {\"kind\": \"vxlan\", \"vni\": 5, \"remote\": \"10.9.0.1\","
	    " \"underlay\": \"host\", \"dev\": \"lab0\"}}}},"
	    " \"links\": [{\"endpoints\": [\"a:up0\", \"host:lab0\"]}],"
	    " \"host\": {%s\"interfaces\": {\"lab0\": {\"addresses\": [\"10.9.0.1/24\"]},"
	    " \"vx9\": {\"kind\": \"vxlan\", \"vni\": 9, \"remote\": \"10.9.0.2\","
	    " \"dev\": \"lab0\"}}}}";
	char buf[1024];
	snprintf(buf, sizeof(buf), hostish, "\"uplink\": \"slirp4netns\", ");
	validate(&res, buf);
	assert_int_equal(res.r, 0);
	assert_int_equal(nsl_topology_check_for(res.t, true, &res.d), 0);
	done(&res);
	snprintf(buf, sizeof(buf), hostish, "");
	validate(&res, buf);
	assert_int_equal(res.r, 0);
	assert_int_equal(nsl_topology_check_for(res.t, true, &res.d), -EINVAL);
	m = open_memstream(&out, &len);
	nsl_diags_print(&res.d, m);
	fclose(m);
	assert_non_null(strstr(out, "mgmt: a management network"));
	assert_non_null(strstr(out, "nodes.a.interfaces.vx0.underlay: a VXLAN whose underlay"));
	assert_non_null(strstr(out, "host.interfaces: a host interface needs root"));
	free(out);
	done(&res);

	expect_error("{\"nodes\": {\"a\": {}}, \"host\": {\"uplink\": \"pasta\"}}",
	             "host.uplink: unknown uplink 'pasta' (the one there is: slirp4netns)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernel_rules),   cmocka_unit_test(test_exec_limits),
	    cmocka_unit_test(test_complete_model), cmocka_unit_test(test_host_end_created),
	    cmocka_unit_test(test_references),     cmocka_unit_test(test_all_collected),
	    cmocka_unit_test(test_programmatic),   cmocka_unit_test(test_uplink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
