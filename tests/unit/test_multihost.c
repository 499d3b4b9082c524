/* Labs over several hosts in the model: the VNIs of links between hosts (derived the same on
 * every machine, moved past those taken), and a host's part: its nodes only, a link between
 * hosts made the VXLAN of its end (remote, local, MTU, MAC, impairment), indexes remapped,
 * checks of the other hosts' nodes left out. The refusals are fixtures (host_*, vni_*). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model/topology.h"

static const char *const lab3 =
    "{\"name\": \"m\",\n"
    " \"hosts\": {\"a\": {\"underlay\": \"198.18.0.1\"}, \"b\": {\"underlay\": \"198.18.0.2\"},\n"
    "           \"c\": {\"underlay\": \"198.18.0.3\"}},\n"
    " \"nodes\": {\n"
    "  \"x\": {\"interfaces\": {\"e1\": {\"addresses\": [\"10.9.0.1/30\"]}}},\n"
    "  \"y\": {\"host\": \"b\", \"interfaces\": {\"e1\": {\"addresses\": [\"10.9.0.2/30\"]},\n"
    "         \"e3\": {\"mac\": \"02:00:00:00:00:33\"}}},\n"
    "  \"z\": {\"host\": \"c\"},\n"
    "  \"w\": {\"host\": \"b\"}},\n"
    " \"links\": [\n"
    "  {\"endpoints\": [\"x:e1\", \"y:e1\"], \"impair\": {\"delay\": \"10ms\"}},\n"
    "  {\"endpoints\": [\"y:e2\", \"z:e2\"], \"mtu\": 9000},\n"
    "  {\"endpoints\": [\"y:e3\", \"w:e3\"]},\n"
    "  {\"endpoints\": [\"z:e4\", \"x:e4\"], \"vni\": 77}],\n"
    " \"tests\": [{\"from\": \"x\", \"ping\": \"10.9.0.2\"}, {\"from\": \"y\", \"ping\": "
    "\"10.9.0.1\"}]}\n";

static void load(struct result *res, const char *text)
{
	run_core(res, "m.json", text, strlen(text), true);
	if (res->r != 0)
		fail_msg("r=%d:\n%s", res->r, res->out);
}

static void test_vni_derive(void **state)
{
	uint32_t a = nsl_vni_derive("lab", "r1:wan", "r2:wan");

	(void)state;
	/* the same whichever end comes first: both machines read one file */
	assert_int_equal(a, nsl_vni_derive("lab", "r2:wan", "r1:wan"));
	assert_true(a >= NSL_VNI_FIRST && a <= 0xffffff);
	/* another lab, another link: another VNI (these do not collide) */
	assert_int_not_equal(a, nsl_vni_derive("lab2", "r1:wan", "r2:wan"));
	assert_int_not_equal(a, nsl_vni_derive("lab", "r1:wan", "r2:wan2"));
	/* the README's formula, fixed across versions (two machines may run two builds):
	 * printf 'nslab-vni\nlab\nr1:wan\nr2:wan' | sha256sum starts f9aabc18, and
	 * 4096 + 0xf9aabc18 % (0x1000000 - 4096) is 12213272 */
	assert_int_equal(a, 12213272);
}

static void test_vnis(void **state)
{
	struct result res;
	uint32_t v[4], again[4];

	(void)state;
	load(&res, lab3);
	assert_int_equal(nsl_topology_vnis(res.t, "m", v), 0);
	assert_int_equal(v[0], nsl_vni_derive("m", "x:e1", "y:e1"));
	assert_int_equal(v[1], nsl_vni_derive("m", "y:e2", "z:e2"));
	assert_int_equal(v[2], 0); /* y and w are both on b */
	assert_int_equal(v[3], 77);
	assert_int_equal(nsl_topology_vnis(res.t, "m", again), 0);
	assert_memory_equal(v, again, sizeof(v));
	done(&res);

	/* a written VNI on the value another link derives: the derived one moves on */
	char text[2048];
	uint32_t d = nsl_vni_derive("m", "x:e1", "y:e1");
	const char *at = strstr(lab3, "\"vni\": 77");
	snprintf(text, sizeof(text), "%.*s\"vni\": %u%s", (int)(at - lab3), lab3, d,
	         at + strlen("\"vni\": 77"));
	load(&res, text);
	assert_int_equal(nsl_topology_vnis(res.t, "m", v), 0);
	assert_int_equal(v[3], d);
	assert_int_equal(v[0], d + 1 <= 0xffffff ? d + 1 : NSL_VNI_FIRST);
	done(&res);
}

static void test_part(void **state)
{
	struct result res;
	struct nsl_iface *f;
	struct nsl_impair im;
	uint8_t mac[6];
	char b[64];

	(void)state;
	load(&res, lab3);
	assert_int_equal(nsl_topology_part(res.t, 1, "m"), 0); /* host b: y and w */
	assert_int_equal(res.t->part, 1);
	assert_int_equal(res.t->n_nodes, 2);
	assert_string_equal(res.t->nodes[0].name, "y");
	assert_string_equal(res.t->nodes[1].name, "w");
	assert_int_equal(res.t->n_elsewhere, 2);
	assert_string_equal(res.t->elsewhere[0].name, "x");
	assert_int_equal(res.t->elsewhere[0].host, 0);
	assert_string_equal(res.t->elsewhere[1].name, "z");
	/* /etc/hosts of this part names the other hosts' nodes too (z has no address) */
	assert_string_equal(nsl_ip_str(&res.t->elsewhere[0].addr, b, sizeof(b)), "10.9.0.1");
	assert_int_equal(res.t->elsewhere[1].addr.family, 0);
	char *hosts = nsl_hosts_text(res.t, "m");
	assert_non_null(hosts);
	assert_non_null(strstr(hosts, "\n10.9.0.2\ty\n"));
	assert_non_null(strstr(hosts, "\n10.9.0.1\tx\n"));
	assert_null(strstr(hosts, "\tz"));
	free(hosts);
	/* y:e3 - w:e3 stays a veth, its ends renumbered */
	assert_int_equal(res.t->n_links, 1);
	assert_int_equal(res.t->links[0].index, 2);
	assert_int_equal(res.t->links[0].ends[0].node, 0);
	assert_int_equal(res.t->links[0].ends[1].node, 1);
	f = nsl_node_iface(&res.t->nodes[0], "e3");
	assert_int_equal(f->kind, NSL_IFACE_VETH);
	assert_int_equal(f->link, 0);
	assert_int_equal(nsl_node_iface(&res.t->nodes[1], "e3")->link, 0);
	/* y:e1, towards a: a VXLAN with the link's VNI, its delay, the default MTU */
	f = nsl_node_iface(&res.t->nodes[0], "e1");
	assert_int_equal(f->kind, NSL_IFACE_VXLAN);
	assert_true(f->vxlan.cross && f->vxlan.host_underlay);
	assert_int_equal(f->link, -1);
	assert_int_equal(f->vxlan.vni, nsl_vni_derive("m", "x:e1", "y:e1"));
	assert_int_equal(f->vxlan.port, 4789);
	assert_string_equal(nsl_ip_str(&f->vxlan.remote, b, sizeof(b)), "198.18.0.1");
	assert_string_equal(nsl_ip_str(&f->vxlan.local, b, sizeof(b)), "198.18.0.2");
	assert_int_equal(f->mtu, 1450);
	assert_int_equal(f->n_addrs, 1);
	nsl_cross_mac("m", "y", "e1", mac);
	assert_true(f->has_mac);
	assert_memory_equal(f->mac, mac, 6);
	assert_int_equal(mac[0] & 3, 2); /* unicast, locally administered */
	nsl_iface_impair(res.t, f, &im);
	assert_int_equal(im.delay, 10000);
	assert_int_equal(nsl_impair_qdisc(&im), NSL_QDISC_NETEM);
	/* y:e2, towards c: the link's MTU is kept */
	f = nsl_node_iface(&res.t->nodes[0], "e2");
	assert_int_equal(f->kind, NSL_IFACE_VXLAN);
	assert_int_equal(f->mtu, 9000);
	assert_string_equal(nsl_ip_str(&f->vxlan.remote, b, sizeof(b)), "198.18.0.3");
	/* the checks of y only, renumbered */
	assert_int_equal(res.t->n_checks, 1);
	assert_int_equal(res.t->checks[0].node, 0);
	done(&res);

	/* host a: x with two VXLANs, one on the written VNI; no link left */
	load(&res, lab3);
	assert_int_equal(nsl_topology_part(res.t, 0, "m"), 0);
	assert_int_equal(res.t->n_nodes, 1);
	assert_int_equal(res.t->n_links, 0);
	assert_int_equal(nsl_node_iface(&res.t->nodes[0], "e4")->vxlan.vni, 77);
	assert_string_equal(
	    nsl_ip_str(&nsl_node_iface(&res.t->nodes[0], "e4")->vxlan.remote, b, sizeof(b)),
	    "198.18.0.3");
	done(&res);
}

/* An IPv6 underlay costs 70 bytes; a file of one host is that host's whole. */
static void test_ipv6_and_single(void **state)
{
	static const char *const v6 =
	    "{\"name\": \"s\", \"hosts\": {\"a\": {\"underlay\": \"fd77:18::1\"}, \"b\": "
	    "{\"underlay\": \"fd77:18::2\"}},\n"
	    " \"nodes\": {\"p\": {}, \"q\": {\"host\": \"b\"}},\n"
	    " \"links\": [{\"endpoints\": [\"p:e\", \"q:e\"]}]}\n";
	static const char *const one = "{\"name\": \"s\", \"nodes\": {\"p\": {}, \"q\": {}},\n"
	                               " \"links\": [{\"endpoints\": [\"p:e\", \"q:e\"]}]}\n";
	struct result res;
	struct nsl_iface *f;

	(void)state;
	load(&res, v6);
	assert_int_equal(nsl_topology_part(res.t, 0, "s"), 0);
	f = nsl_node_iface(&res.t->nodes[0], "e");
	assert_int_equal(f->vxlan.remote.family, AF_INET6);
	assert_int_equal(f->mtu, 1500 - 70);
	done(&res);

	load(&res, one);
	assert_int_equal(res.t->n_hosts, 0);
	assert_int_equal(res.t->part, -1);
	assert_int_equal(nsl_topology_part(res.t, 0, "s"), 0); /* nothing to do */
	assert_int_equal(res.t->n_nodes, 2);
	assert_int_equal(res.t->n_links, 1);
	assert_int_equal(res.t->nodes[0].host, -1);
	done(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vni_derive),
	    cmocka_unit_test(test_vnis),
	    cmocka_unit_test(test_part),
	    cmocka_unit_test(test_ipv6_and_single),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
