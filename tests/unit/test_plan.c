/* The plan: golden files (tests/golden/NAME.plan) for every shipped topology and for
 * every tests/golden/NAME.json, and the invariants the executor relies on. NSL_UPDATE_GOLDEN=1
 * rewrites the golden files (review the diff before committing it). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "model/plan.h"

/* The index of the first op of kind made for (node, iface) (a creation), p->n if none. */
static size_t made_at(const struct nsl_plan *p, int node, int iface)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		if ((op->kind == NSL_OP_CREATE || op->kind == NSL_OP_BRIDGE ||
		     op->kind == NSL_OP_HOST_DEV) &&
		    op->node == node && op->iface == iface)
			return i;
	}
	return p->n;
}

/* Whether the route's dev or a next hop's dev is a VXLAN of its node that comes up last. */
static bool route_dev_vxlan(const struct nsl_node *n, const struct nsl_route *rt)
{
	const struct nsl_iface *f = rt->dev[0] ? nsl_node_iface(n, rt->dev) : NULL;

	if (f && f->kind == NSL_IFACE_VXLAN && !f->vxlan.cross)
		return true;
	for (size_t h = 0; h < rt->n_nexthops; h++) {
		f = rt->nexthops[h].dev[0] ? nsl_node_iface(n, rt->nexthops[h].dev) : NULL;
		if (f && f->kind == NSL_IFACE_VXLAN && !f->vxlan.cross)
			return true;
	}
	return false;
}

/* A route through a VXLAN that comes up last comes after every VXLAN of its node is up, and
 * after every vlan over one. */
static void check_route_late(const struct nsl_plan *p, size_t i)
{
	const struct nsl_op *op = &p->ops[i];
	const struct nsl_node *n = &p->t->nodes[op->node];
	const struct nsl_route *rt = &n->routes[op->item];

	if (route_dev_vxlan(n, rt))
		assert_true(nsl_route_after_vxlans(n, rt));
	if (!nsl_route_after_vxlans(n, rt))
		return;
	for (size_t j = i + 1; j < p->n; j++) {
		const struct nsl_op *o = &p->ops[j];
		if (o->kind == NSL_OP_LINK && o->node == op->node && o->link.up > 0)
			assert_false(nsl_iface_after_vxlans(n, o->iface));
	}
}

/* Creation before use: a kind after the interface it sits on, a master (bridge, bond, VRF)
 * before it takes ports; bond ports never set up by nslab (the bond does it, and enslaving
 * an up port fails); VXLANs up only after a wait (what carries them runs), but those of links
 * between hosts, before the routes through them. */
static void check_order(const struct nsl_plan *p)
{
	bool waited = false;

	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		const struct nsl_iface *f = nsl_plan_iface(p, op->node, op->iface);

		waited |= op->kind == NSL_OP_WAIT;
		if (op->kind == NSL_OP_ROUTE && op->node >= 0)
			check_route_late(p, i);
		if (op->kind == NSL_OP_CREATE && op->create.lower >= 0) {
			const struct nsl_iface *l = nsl_plan_iface(p, op->node, op->create.lower);
			size_t at = made_at(p, op->node, op->create.lower);
			if (l->kind != NSL_IFACE_VETH && l->kind != NSL_IFACE_DEVICE)
				assert_true(at < i);
		}
		if (op->kind != NSL_OP_LINK)
			continue;
		if (op->link.master >= 0)
			assert_true(made_at(p, op->node, op->link.master) < i);
		if (f && f->bond >= 0)
			assert_int_equal(op->link.up, -1);
		/* (but the VXLAN of a link between hosts: its remote is routed by the host) */
		if (f && f->kind == NSL_IFACE_VXLAN && !f->vxlan.cross && op->link.up > 0)
			assert_true(waited);
		if (f && f->kind == NSL_IFACE_VXLAN && f->vxlan.cross && op->link.up > 0)
			assert_false(waited);
	}
}

/* What the executor relies on: holders first and in node order, then binds; undo records on
 * exactly the operations that change the host; commit last. */
static void check_invariants(const struct nsl_plan *p)
{
	const struct nsl_topology *t = p->t;

	assert_true(p->n >= 2 * t->n_nodes + 1);
	for (size_t i = 0; i < t->n_nodes; i++) {
		assert_int_equal(p->ops[i].kind, NSL_OP_NODE);
		assert_int_equal(p->ops[i].node, (int)i);
		assert_int_equal(p->ops[t->n_nodes + i].kind, NSL_OP_BIND);
		assert_int_equal(p->ops[t->n_nodes + i].undo, NSL_UNDO_NODE);
	}
	assert_int_equal(p->ops[p->n - 1].kind, NSL_OP_COMMIT);
	for (size_t i = 0; i < p->n; i++) {
		const struct nsl_op *op = &p->ops[i];
		switch (op->kind) {
		case NSL_OP_DEVICE:
			assert_int_equal(op->undo, NSL_UNDO_DEVICE);
			break;
		case NSL_OP_VETH:
			assert_int_not_equal(op->veth[0].node, NSL_PLAN_HOST);
			assert_false(op->veth[1].up);
			assert_int_equal(op->undo, op->veth[1].node == NSL_PLAN_HOST
			                               ? NSL_UNDO_HOSTLINK
			                               : NSL_UNDO_NONE);
			break;
		case NSL_OP_HOST_SYSCTL:
			assert_int_equal(op->undo, NSL_UNDO_HOSTSYSCTL);
			break;
		case NSL_OP_NAT:
			assert_int_equal(op->undo, op->node == NSL_PLAN_HOST ? NSL_UNDO_HOSTNFT
			                                                     : NSL_UNDO_NONE);
			break;
		case NSL_OP_HOST_DEV:
			assert_int_equal(op->node, NSL_PLAN_HOST);
			assert_int_equal(op->undo, NSL_UNDO_HOSTDEV);
			break;
		case NSL_OP_NODE:
		case NSL_OP_BIND:
			break;
		default:
			assert_int_equal(op->undo, NSL_UNDO_NONE);
		}
	}
	check_order(p);
}

/* A lab over several hosts: host's part (-1: the whole lab). */
static void check_golden(const char *topo, const char *golden, int host)
{
	struct nsl_topology *t = load(topo);
	struct nsl_plan p;
	char *text = NULL, *want;
	size_t n = 0;
	FILE *m;

	if (host >= 0)
		assert_int_equal(nsl_topology_part(t, host, t->name), 0);
	assert_int_equal(nsl_plan_build(t, t->name, &p), 0);
	check_invariants(&p);
	m = open_memstream(&text, &n);
	nsl_plan_print(&p, m);
	fclose(m);
	if (getenv("NSL_UPDATE_GOLDEN")) {
		FILE *f = fopen(golden, "we");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	want = read_all(golden);
	if (!want || strcmp(want, text))
		fail_msg("%s: plan differs from %s (NSL_UPDATE_GOLDEN=1 rewrites it); got:\n%s",
		         topo, golden, text);
	free(want);
	free(text);
	nsl_plan_free(&p);
	nsl_topology_free(t);
}

static void each_json(const char *dir, void (*fn)(const char *path, const char *base))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t found = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char path[1024];
		if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fn(path, e->d_name);
		found++;
	}
	closedir(d);
	assert_true(found > 0);
}

/* NAME.plan; for a lab over several hosts, NAME.HOST.plan: each host's part. */
static void golden_of(const char *path, const char *base)
{
	struct nsl_topology *t = load(path);
	char golden[1024];

	if (!t->n_hosts) {
		snprintf(golden, sizeof(golden), NSL_SRCDIR "/tests/golden/%.*s.plan",
		         (int)(strlen(base) - 5), base);
		check_golden(path, golden, -1);
	}
	for (size_t h = 0; h < t->n_hosts; h++) {
		snprintf(golden, sizeof(golden), NSL_SRCDIR "/tests/golden/%.*s.%s.plan",
		         (int)(strlen(base) - 5), base, t->hosts[h].name);
		check_golden(path, golden, (int)h);
	}
	nsl_topology_free(t);
}

static void test_shipped_topologies(void **state)
{
	(void)state;
	each_json(NSL_SRCDIR "/topologies", golden_of);
}

static void test_golden_topologies(void **state)
{
	(void)state;
	each_json(NSL_SRCDIR "/tests/golden", golden_of);
}

/* The lab's name is the one given, not the file's (up --name). */
static void test_lab_name(void **state)
{
	struct nsl_topology *t = load(NSL_SRCDIR "/topologies/demo.json");
	struct nsl_plan p;
	char *text = NULL;
	size_t n = 0;
	FILE *m;

	(void)state;
	assert_int_equal(nsl_plan_build(t, "other", &p), 0);
	m = open_memstream(&text, &n);
	nsl_plan_print(&p, m);
	fclose(m);
	assert_non_null(strstr(text, "/run/netns/other.h1"));
	assert_null(strstr(text, "/run/netns/demo."));
	free(text);
	nsl_plan_free(&p);
	nsl_topology_free(t);
}

/* Which routes wait for the VXLANs (tests/golden/kinds.json): through a VXLAN as dev or
 * next hop, a gateway on its subnet (the longest prefix decides), on a bridge with a VXLAN
 * port, on a vlan over a vlan over one; not a gateway on another interface's subnet. */
static void test_routes_after_vxlans(void **state)
{
	struct nsl_topology *t = load(NSL_SRCDIR "/tests/golden/kinds.json");
	static const bool r1[] = {false, false, false, false, false, true, true, true, true, false};
	static const bool r2[] = {true, true, true, false};
	int i1 = nsl_topology_node(t, "r1"), i2 = nsl_topology_node(t, "r2");

	(void)state;
	assert_true(i1 >= 0 && i2 >= 0);
	const struct nsl_node *n1 = &t->nodes[i1], *n2 = &t->nodes[i2];
	assert_int_equal(n1->n_routes, NSL_ARRAY_SIZE(r1));
	assert_int_equal(n2->n_routes, NSL_ARRAY_SIZE(r2));
	for (size_t r = 0; r < n1->n_routes; r++)
		assert_int_equal(nsl_route_after_vxlans(n1, &n1->routes[r]), r1[r]);
	for (size_t r = 0; r < n2->n_routes; r++)
		assert_int_equal(nsl_route_after_vxlans(n2, &n2->routes[r]), r2[r]);
	nsl_topology_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_topologies),
	    cmocka_unit_test(test_golden_topologies),
	    cmocka_unit_test(test_lab_name),
	    cmocka_unit_test(test_routes_after_vxlans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
