/* The topology language of issue 15 in the model: interfaces of a kind, VRFs, bonds, routes
 * with next hops, tables and types, rules, address pools and the management network. What
 * parsing and validation make of a file (the refusals are fixtures). */
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model/topology.h"

static void load(struct result *res, const char *name, const char *text)
{
	run_core(res, name, text, strlen(text), true);
	if (res->r != 0)
		fail_msg("%s: r=%d:\n%s", name, res->r, res->out);
}

static struct nsl_node *node(struct result *res, const char *name)
{
	int i = nsl_topology_node(res->t, name);

	assert_true(i >= 0);
	return &res->t->nodes[i];
}

static struct nsl_iface *iface(struct result *res, const char *n, const char *name)
{
	struct nsl_iface *f = nsl_node_iface(node(res, n), name);

	if (!f)
		fail_msg("no interface %s:%s", n, name);
	return f;
}

static int index_of(struct result *res, const char *n, const char *name)
{
	return (int)(iface(res, n, name) - node(res, n)->ifaces);
}

/* The addresses of an interface as text, "a b c". */
static const char *addrs(struct nsl_iface *f)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->n_addrs; i++) {
		char b[64];
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
		                        nsl_prefix_str(&f->addrs[i], b, sizeof(b)));
	}
	return buf;
}

static const char kinds_yaml[] = "name: k\n"
                                 "nodes:\n"
                                 "  a:\n"
                                 "    interfaces:\n"
                                 "      eth0: {addresses: []}\n"
                                 "      eth0.10: {kind: vlan, parent: eth0, id: 10, vrf: red}\n"
                                 "      q: {kind: vlan, parent: eth0, id: 300, protocol: 802.1ad}\n"
                                 "      q.5: {kind: vlan, parent: q, id: 5}\n"
                                 "      red: {kind: vrf, table: 10}\n"
                                 "      d0: {kind: dummy, vrf: red, addresses: [10.9.9.9/32]}\n"
                                 "      vx0: {kind: vxlan, vni: 100, remote: 10.0.0.2, dev: eth0}\n"
                                 "      vx6: {kind: vxlan, vni: 100, group: 'ff05::42', dev: eth0, "
                                 "port: 8472}\n"
                                 "      vxh: {kind: vxlan, vni: 100, remote: 192.0.2.9, dev: "
                                 "enp1s0, underlay: host}\n"
                                 "      bond0: {kind: bond, mode: 802.3ad, lacp_rate: fast, ports: "
                                 "[b1, b2], miimon: 50}\n"
                                 "      ab: {kind: bond, mode: active-backup, ports: [b3]}\n"
                                 "      mv: {kind: macvlan, device: enp9s0}\n"
                                 "      mv2: {kind: macvlan, parent: eth0, mode: vepa}\n"
                                 "      iv: {kind: ipvlan, parent: eth0, mode: l3s}\n"
                                 "  b: {}\n"
                                 "links:\n"
                                 "  - endpoints: [a:eth0, b:eth0]\n"
                                 "  - endpoints: [a:b1, b:b1]\n"
                                 "  - endpoints: [a:b2, b:b2]\n"
                                 "  - endpoints: [a:b3, b:b3]\n";

static void test_kinds(void **state)
{
	struct result res;
	struct nsl_iface *f;

	(void)state;
	load(&res, "k.yaml", kinds_yaml);
	f = iface(&res, "a", "eth0.10");
	assert_int_equal(f->kind, NSL_IFACE_VLAN);
	assert_int_equal(f->vlan_id, 10);
	assert_false(f->vlan_8021ad);
	assert_int_equal(f->lower, index_of(&res, "a", "eth0"));
	assert_int_equal(f->master_vrf, index_of(&res, "a", "red"));
	assert_true(iface(&res, "a", "q")->vlan_8021ad);
	assert_int_equal(iface(&res, "a", "q.5")->lower, index_of(&res, "a", "q"));
	f = iface(&res, "a", "red");
	assert_int_equal(f->kind, NSL_IFACE_VRF);
	assert_int_equal(f->table, 10);
	assert_int_equal(iface(&res, "a", "d0")->kind, NSL_IFACE_DUMMY);
	f = iface(&res, "a", "vx0");
	assert_int_equal(f->kind, NSL_IFACE_VXLAN);
	assert_int_equal(f->vxlan.vni, 100);
	assert_int_equal(f->vxlan.port, 4789); /* IANA's, unless written */
	assert_true(f->vxlan.has_remote && !f->vxlan.group);
	assert_int_equal(f->lower, index_of(&res, "a", "eth0"));
	f = iface(&res, "a", "vx6");
	assert_true(f->vxlan.group);
	assert_int_equal(f->vxlan.remote.family, AF_INET6);
	assert_int_equal(f->vxlan.port, 8472);
	f = iface(&res, "a", "vxh");
	assert_true(f->vxlan.host_underlay);
	assert_string_equal(f->parent, "enp1s0"); /* the host's: no lower in the node */
	assert_int_equal(f->lower, -1);
	f = iface(&res, "a", "bond0");
	assert_int_equal(f->bonding.mode, NSL_BOND_8023AD);
	assert_int_equal(f->bonding.lacp_rate, 1);
	assert_int_equal(f->bonding.miimon, 50);
	assert_int_equal(iface(&res, "a", "ab")->bonding.miimon, 100);
	assert_int_equal(iface(&res, "a", "ab")->bonding.lacp_rate, -1);
	assert_int_equal(iface(&res, "a", "b1")->bond, index_of(&res, "a", "bond0"));
	assert_int_equal(iface(&res, "a", "b3")->bond, index_of(&res, "a", "ab"));
	f = iface(&res, "a", "mv");
	assert_int_equal(f->kind, NSL_IFACE_MACVLAN); /* not a moved device */
	assert_string_equal(f->device, "enp9s0");
	assert_int_equal(f->mode, MACVLAN_MODE_BRIDGE);
	assert_int_equal(f->lower, -1);
	assert_int_equal(iface(&res, "a", "mv2")->mode, MACVLAN_MODE_VEPA);
	assert_int_equal(iface(&res, "a", "iv")->mode, IPVLAN_MODE_L3S);
	assert_string_equal(nsl_iface_mode_name(iface(&res, "a", "iv")), "l3s");
	/* validation completes the model the same way twice */
	assert_int_equal(nsl_topology_validate(res.t, &res.d), 0);
	assert_int_equal(iface(&res, "a", "b1")->bond, index_of(&res, "a", "bond0"));
	assert_int_equal(iface(&res, "a", "eth0.10")->master_vrf, index_of(&res, "a", "red"));
	done(&res);
}

static const char routes_yaml[] = "name: r\n"
                                  "nodes:\n"
                                  "  a:\n"
                                  "    tables: {isp: 200}\n"
                                  "    interfaces:\n"
                                  "      eth0: {addresses: [10.0.0.1/24, 'fd00::1/64']}\n"
                                  "      eth1: {addresses: [10.1.0.1/24], vrf: blue}\n"
                                  "      blue: {kind: vrf, table: 20}\n"
                                  "    routes:\n"
                                  "      - {to: 10.5.0.0/16, nexthops: [{via: 10.0.0.2, weight: "
                                  "2}, {via: 10.0.0.3, dev: eth0}]}\n"
                                  "      - {to: 10.6.0.0/16, type: prohibit}\n"
                                  "      - {to: default, via: 10.1.0.2, vrf: blue}\n"
                                  "      - {to: default, via: 10.0.0.2, table: isp}\n"
                                  "      - {to: default, via: 10.0.0.3, table: 300}\n"
                                  "      - {to: 10.7.0.0/16, via: 'fd00::2', dev: eth0}\n"
                                  "      - {to: default, via: 10.0.0.4, table: blue, metric: 7}\n"
                                  "    rules:\n"
                                  "      - {from: 10.0.0.0/24, table: isp, priority: 5}\n"
                                  "      - {iif: eth0, fwmark: 0x10, table: main}\n"
                                  "      - {fwmark: 0x10/0xf0, table: blue, family: ipv6}\n"
                                  "  b: {}\n"
                                  "links:\n"
                                  "  - endpoints: [a:eth0, b:eth0]\n"
                                  "  - endpoints: [a:eth1, b:eth1]\n";

static void test_routes(void **state)
{
	struct result res;
	struct nsl_node *n;
	const struct nsl_route *r;

	(void)state;
	load(&res, "r.yaml", routes_yaml);
	n = node(&res, "a");
	assert_int_equal(n->n_routes, 7);
	r = &n->routes[0];
	assert_int_equal(r->n_nexthops, 2);
	assert_int_equal(r->nexthops[0].weight, 2);
	assert_int_equal(r->nexthops[1].weight, 1);
	assert_string_equal(r->nexthops[1].dev, "eth0");
	assert_int_equal(r->table, NSL_TABLE_MAIN);
	assert_int_equal(n->routes[1].type, NSL_RT_PROHIBIT);
	assert_int_equal(n->routes[2].table, 20);  /* vrf: blue */
	assert_int_equal(n->routes[3].table, 200); /* table: isp */
	assert_int_equal(n->routes[4].table, 300);
	r = &n->routes[5];
	assert_int_equal(r->to.ip.family, AF_INET);
	assert_int_equal(r->via.family, AF_INET6); /* IPv4 via IPv6 */
	assert_int_equal(n->routes[6].table, 20);  /* a VRF's name as a table name */
	assert_int_equal(n->n_rules, 3);
	assert_int_equal(n->rules[0].family, AF_INET);
	assert_int_equal(n->rules[0].table, 200);
	assert_int_equal(n->rules[0].priority, 5);
	assert_int_equal(n->rules[1].family, AF_UNSPEC); /* no address: both families */
	assert_int_equal(n->rules[1].fwmark, 0x10);      /* a YAML integer */
	assert_int_equal(n->rules[1].fwmask, 0xffffffffu);
	assert_int_equal(n->rules[1].table, NSL_TABLE_MAIN);
	assert_int_equal(n->rules[2].fwmask, 0xf0);
	assert_int_equal(n->rules[2].family, AF_INET6);
	assert_int_equal(n->rules[2].table, 20);
	done(&res);
}

static const char pools_json[] =
    "{\"name\": \"p\","
    " \"pools\": {\"p2p\": {\"subnet\": \"10.20.0.0/24\", \"prefix\": 31}, \"p2p6\": "
    "\"fd20::/48\","
    "            \"lan\": \"10.21.0.0/16\", \"lan6\": {\"subnet\": \"fd21::/48\", \"prefix\": 64},"
    "            \"loopback\": \"10.255.20.0/24\", \"loopback6\": \"fd20:ff::/64\"},"
    " \"mgmt\": {\"subnet\": \"10.22.0.0/24\", \"subnet6\": \"fd22::/64\", \"interface\": \"m0\"},"
    " \"nodes\": {"
    "  \"r1\": {\"interfaces\": {\"lo\": {\"addresses\": [\"10.255.20.1/32\"]}}},"
    "  \"r2\": {\"interfaces\": {\"eth9\": {\"addresses\": [\"10.20.0.1/24\"]}}},"
    "  \"s1\": {\"bridges\": {\"br0\": {\"ports\": [\"p1\", \"up\"]}}},"
    "  \"s2\": {\"bridges\": {\"br0\": {\"ports\": [\"p1\", \"down\"]}}},"
    "  \"h1\": {}, \"h2\": {}"
    " },"
    " \"links\": ["
    "  {\"endpoints\": [\"r1:eth0\", \"r2:eth0\"]},"
    "  {\"endpoints\": [\"h1:eth0\", \"s1:p1\"]},"
    "  {\"endpoints\": [\"s1:up\", \"s2:down\"]},"
    "  {\"endpoints\": [\"h2:eth0\", \"s2:p1\"]},"
    "  {\"endpoints\": [\"r2:eth9\", \"h2:eth9\"]},"
    "  {\"endpoints\": [\"host:lab0\", \"r1:eth1\"]}"
    " ]}";

static void test_pools(void **state)
{
	struct result res, again;

	(void)state;
	load(&res, "p.json", pools_json);
	/* /31 blocks, both addresses used; the first block, 10.20.0.0/31, holds an address the
	 * file writes (r2:eth9's 10.20.0.1): skipped */
	assert_string_equal(addrs(iface(&res, "r1", "eth0")), "10.20.0.2/31 fd20::1/64");
	assert_string_equal(addrs(iface(&res, "r2", "eth0")), "10.20.0.3/31 fd20::2/64");
	/* one LAN: s1's and s2's bridges, joined by a link between their ports */
	assert_string_equal(addrs(iface(&res, "s1", "br0")), "10.21.0.1/24 fd21::1/64");
	assert_string_equal(addrs(iface(&res, "s2", "br0")), "10.21.0.2/24 fd21::2/64");
	assert_string_equal(addrs(iface(&res, "h1", "eth0")), "10.21.0.3/24 fd21::3/64");
	assert_string_equal(addrs(iface(&res, "h2", "eth0")), "10.21.0.4/24 fd21::4/64");
	assert_string_equal(addrs(iface(&res, "s1", "up")), "");
	/* loopbacks: r1 writes its own, so none from the pools; r2 is the first numbered, and
	 * .1 is taken by what r1 writes */
	assert_string_equal(addrs(iface(&res, "r1", "lo")), "10.255.20.1/32");
	assert_string_equal(addrs(iface(&res, "r2", "lo")), "10.255.20.2/32 fd20:ff::1/128");
	/* the host end gets none; a link with a written end gets none for the other end */
	assert_string_equal(addrs(iface(&res, "r1", "eth1")), "");
	assert_string_equal(addrs(iface(&res, "h2", "eth9")), "");
	/* the management network: the host .1, the nodes from .2 in node order */
	assert_string_equal(addrs(iface(&res, "r1", "m0")), "10.22.0.2/24 fd22::2/64");
	assert_string_equal(addrs(iface(&res, "h2", "m0")), "10.22.0.7/24 fd22::7/64");
	assert_int_equal(iface(&res, "h2", "m0")->kind, NSL_IFACE_MGMT);
	{
		char b[64];
		assert_string_equal(nsl_prefix_str(&res.t->mgmt.gw4, b, sizeof(b)), "10.22.0.1/24");
		assert_string_equal(nsl_prefix_str(&res.t->mgmt.gw6, b, sizeof(b)), "fd22::1/64");
	}
	/* the pool's mark on each address */
	assert_non_null(iface(&res, "h1", "eth0")->addr_pool);
	assert_int_equal(iface(&res, "h1", "eth0")->addr_pool[0], NSL_POOL_LAN + 1);
	assert_null(iface(&res, "r1", "lo")->addr_pool);
	assert_int_equal(iface(&res, "r2", "lo")->addr_pool[1], NSL_POOL_LOOPBACK6 + 1);

	/* deterministic: validated again, and parsed again, the same addresses */
	assert_int_equal(nsl_topology_validate(res.t, &res.d), 0);
	assert_string_equal(addrs(iface(&res, "h2", "eth0")), "10.21.0.4/24 fd21::4/64");
	assert_string_equal(addrs(iface(&res, "r1", "m0")), "10.22.0.2/24 fd22::2/64");
	load(&again, "p.json", pools_json);
	for (size_t i = 0; i < res.t->n_nodes; i++)
		for (size_t k = 0; k < res.t->nodes[i].n_ifaces; k++) {
			struct nsl_iface *a = &res.t->nodes[i].ifaces[k];
			char first[512];
			snprintf(first, sizeof(first), "%s", addrs(a));
			assert_string_equal(first, addrs(&again.t->nodes[i].ifaces[k]));
		}
	done(&again);
	done(&res);
}

/* A /127 (RFC 6164) numbers both ends from ::0, a /64 from ::1. */
static void test_pools_ipv6_p2p(void **state)
{
	static const char text[] = "name: s\n"
	                           "pools: {p2p6: {subnet: 'fd30::/120', prefix: 127}}\n"
	                           "nodes: {a: {}, b: {}}\n"
	                           "links: [{endpoints: [a:e, b:e]}, {endpoints: [a:f, b:f]}]\n";
	struct result res;

	(void)state;
	load(&res, "s.yaml", text);
	assert_string_equal(addrs(iface(&res, "a", "e")), "fd30::/127");
	assert_string_equal(addrs(iface(&res, "b", "e")), "fd30::1/127");
	assert_string_equal(addrs(iface(&res, "a", "f")), "fd30::2/127");
	done(&res);
}

/* Exhaustion names the pool and the first item left without; every item is counted. */
static void test_pools_exhausted(void **state)
{
	static const char text[] = "name: x\n"
	                           "pools: {loopback: 10.255.0.0/30}\n"
	                           "nodes: {a: {}, b: {}, c: {}, d: {}}\n";
	struct result res;

	(void)state;
	run_core(&res, "x.yaml", text, strlen(text), true);
	/* .0 is never a loopback: .1 .2 .3 for a b c, nothing for d */
	expect_failure(&res,
	               "x.yaml:2:19: pools.loopback: pool loopback (10.255.0.0/30) has no /32 "
	               "left for nodes.d.interfaces.lo");
	done(&res);
}

/* The same address in two VRFs is two addresses (VRF-lite); in one VRF, or outside VRFs, it
 * is refused (fixtures dup_addr_*). */
static void test_vrf_reuse(void **state)
{
	static const char text[] = "name: v\n"
	                           "nodes:\n"
	                           "  pe:\n"
	                           "    interfaces:\n"
	                           "      red: {kind: vrf, table: 10}\n"
	                           "      blue: {kind: vrf, table: 20}\n"
	                           "      c1: {vrf: red, addresses: [10.1.0.1/24]}\n"
	                           "      c2: {vrf: blue, addresses: [10.1.0.1/24]}\n"
	                           "    routes:\n"
	                           "      - {to: 10.2.0.0/16, via: 10.1.0.2, vrf: red}\n"
	                           "      - {to: 10.2.0.0/16, via: 10.1.0.2, vrf: blue}\n"
	                           "  ce1: {interfaces: {eth0: {addresses: [10.1.0.2/24]}}}\n"
	                           "  ce2: {}\n"
	                           "links:\n"
	                           "  - endpoints: [pe:c1, ce1:eth0]\n"
	                           "  - endpoints: [pe:c2, ce2:eth0]\n";
	struct result res;

	(void)state;
	load(&res, "v.yaml", text);
	assert_int_equal(node(&res, "pe")->routes[0].table, 10);
	assert_int_equal(node(&res, "pe")->routes[1].table, 20);
	done(&res);
}

/* Nodes' own management addresses, and a node without one: the others are numbered around. */
static void test_mgmt_own(void **state)
{
	static const char text[] = "name: m\n"
	                           "mgmt: {subnet: 10.23.0.0/29, subnet6: 'fd23::/64'}\n"
	                           "nodes:\n"
	                           "  a: {mgmt: {address: 10.23.0.3}}\n"
	                           "  b: {}\n"
	                           "  c: {mgmt: false}\n"
	                           "  d: {mgmt: {address6: 'fd23::99'}}\n"
	                           "  e: {}\n";
	struct result res;

	(void)state;
	load(&res, "m.yaml", text);
	assert_string_equal(addrs(iface(&res, "a", "mgmt0")), "10.23.0.3/29 fd23::2/64");
	assert_string_equal(addrs(iface(&res, "b", "mgmt0")), "10.23.0.2/29 fd23::3/64");
	assert_null(nsl_node_iface(node(&res, "c"), "mgmt0"));
	assert_string_equal(addrs(iface(&res, "d", "mgmt0")), "10.23.0.4/29 fd23::99/64");
	assert_string_equal(addrs(iface(&res, "e", "mgmt0")), "10.23.0.5/29 fd23::4/64");
	assert_int_equal(nsl_topology_validate(res.t, &res.d), 0);
	assert_string_equal(addrs(iface(&res, "e", "mgmt0")), "10.23.0.5/29 fd23::4/64");
	done(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kinds),           cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_pools),           cmocka_unit_test(test_pools_ipv6_p2p),
	    cmocka_unit_test(test_pools_exhausted), cmocka_unit_test(test_vrf_reuse),
	    cmocka_unit_test(test_mgmt_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
