/* Every topology shipped in topologies/ parses and validates, JSON and YAML alike, for root
 * and for a rootless lab (each runs as a user too), but for a management network, which needs
 * root (or an uplink: the README's "Rootless labs"; fabric has one), and an overlay over the
 * host's root (ospf-frr-bird); each X.json with an X.yaml twin gives the very same model
 * (compared by their dumps). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/topology.h"

static char *check_one(const char *path)
{
	char *dump = NULL;
	size_t dump_len = 0;
	FILE *m;

	struct nsl_diags d = {0};
	struct nsl_topology *t = NULL;
	int r;

	r = nsl_topology_load(path, &t, &d);
	if (r == 0)
		r = nsl_topology_validate(t, &d);
	if (r != 0)
		nsl_diags_print(&d, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(d.n, 0);
	r = nsl_topology_check_for(t, true, &d);
	/* What a shipped example may have that a rootless lab cannot: a management network
	 * (without an uplink), an overlay over the host's root. Nothing else. */
	bool root_only = r != 0;
	for (size_t i = 0; root_only && i < d.n; i++) {
		const char *p = d.items[i].path;
		size_t len = strlen(p);
		root_only = (!strcmp(p, "mgmt") && t->host.uplink == NSL_UPLINK_NONE) ||
		            (len >= 6 && !strcmp(p + len - 6, "rootfs") &&
		             strstr(d.items[i].message, "\"overlay\""));
	}
	if (root_only) {
		nsl_diags_clear(&d);
		r = 0;
	}
	if (r == 0)
		r = nsl_topology_check_for(t, false, &d);
	if (r != 0)
		nsl_diags_print(&d, stderr);
	assert_int_equal(r, 0);
	assert_true(t->n_nodes > 0);
	assert_non_null(t->dir);
	assert_int_equal(t->dir[0], '/');
	/* completed model: every node has lo, every iface a kind */
	for (size_t i = 0; i < t->n_nodes; i++) {
		assert_non_null(nsl_node_iface(&t->nodes[i], "lo"));
		for (size_t j = 0; j < t->nodes[i].n_ifaces; j++)
			assert_int_not_equal(t->nodes[i].ifaces[j].kind, NSL_IFACE_UNKNOWN);
	}
	for (size_t l = 0; l < t->n_links; l++)
		for (int e = 0; e < 2; e++)
			assert_true(t->links[l].ends[e].node == NSL_ENDPOINT_HOST ||
			            (size_t)t->links[l].ends[e].node < t->n_nodes);
	m = open_memstream(&dump, &dump_len);
	assert_non_null(m);
	nsl_topology_dump(t, m);
	fclose(m);
	nsl_topology_free(t);
	nsl_diags_clear(&d);
	return dump;
}

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && !strcmp(name + n - e, ext);
}

static void test_shipped(void **state)
{
	char dir[4096], path[4096 + 256], twin[4096 + 256];
	struct dirent *de;
	size_t n = 0, twins = 0;
	DIR *dp;

	assert_true(nsl_fmt(dir, sizeof(dir), "%s/topologies", NSL_SRCDIR));
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		char *a, *b;

		if (!has_ext(de->d_name, ".json") && !has_ext(de->d_name, ".yaml") &&
		    !has_ext(de->d_name, ".yml"))
			continue;
		assert_true(nsl_fmt(path, sizeof(path), "%s/%s", dir, de->d_name));
		print_message("topology %s\n", de->d_name);
		a = check_one(path);
		n++;
		if (has_ext(de->d_name, ".json")) {
			assert_true(nsl_fmt(twin, sizeof(twin), "%s/%.*s.yaml", dir, (int)(len - 5),
			                    de->d_name));
			if (access(twin, R_OK) == 0) {
				b = check_one(twin);
				if (strcmp(a, b))
					fail_msg("%s and its YAML twin differ:\n--- json\n%s--- "
					         "yaml\n%s",
					         de->d_name, a, b);
				twins++;
				free(b);
			}
		}
		free(a);
	}
	closedir(dp);
	assert_true(n >= 6);
	assert_true(twins >= 3);
}

/* The dump: every fact of the validated model, defaults spelled out, free text quoted. */
static void test_dump(void **state)
{
	static const char text[] =
	    "name: d\n"
	    "nodes:\n"
	    "  a:\n"
	    "    hostname: h-a\n"
	    "    interfaces:\n"
	    "      eth0: { addresses: [10.1.0.1/24, \"fd42::1/64\"], mac: 02:00:00:00:00:0a }\n"
	    "      wan: { device: enp7s0, up: false }\n"
	    "    routes:\n"
	    "      - { to: 10.9.0.0/16, via: 10.1.0.2, metric: 7 }\n"
	    "      - { to: \"fd42:9::/64\", via: \"fd42::2\", src: \"fd42::1\" }\n"
	    "    sysctls: { net.ipv4.ip_forward: 1, net.ipv4.conf.eth0.rp_filter: \"2 3\" }\n"
	    "    nat: [ { source: 10.1.0.0/24, out: eth0, to: masquerade }, { to: "
	    "\"fd42::1-fd42::9\" } ]\n"
	    "    mounts: [ { tmpfs: /run/x }, { source: /srv, target: /srv, read_only: true } ]\n"
	    "    env: { A: \"x y\" }\n"
	    "    exec: [ [sh, -c, \"echo \\\"hi\\\"\"] ]\n"
	    "  s:\n"
	    "    bridges: { br0: { ports: [p1], stp: true } }\n"
	    "    interfaces: { p2: { impair: { delay: 1.5s, loss: 0%, rate: 2mbit } } }\n"
	    "links:\n"
	    "  - { endpoints: [a:eth0, s:p1], mtu: 1400, rate: 1mbit }\n"
	    "  - endpoints: [host:lab0, s:p2]\n"
	    "    impair: { delay: 20ms, jitter: 250us, loss: \"0.1%\", reorder: \"25%\" }\n";
	static const char want[] =
	    "lab d\n"
	    "node a\n"
	    "  hostname h-a\n"
	    "  interface eth0 veth links[0] peer s:p1 up mtu 1400 mac 02:00:00:00:00:0a\n"
	    "    address 10.1.0.1/24\n"
	    "    address fd42::1/64\n"
	    "    impair rate 1mbit\n"
	    "  interface wan device from-host enp7s0 down mtu default\n"
	    "  interface lo loopback up mtu default\n"
	    "  route 10.9.0.0/16 via 10.1.0.2 metric 7\n"
	    "  route fd42:9::/64 via fd42::2 src fd42::1 metric 1024 (default)\n"
	    "  sysctl net.ipv4.ip_forward = 1\n"
	    "  sysctl net.ipv4.conf.eth0.rp_filter = \"2 3\"\n"
	    "  nat ipv4 source 10.1.0.0/24 out eth0 to masquerade\n"
	    "  nat ipv6 source any out any to fd42::1-fd42::9\n"
	    "  mount tmpfs on /run/x read-write\n"
	    "  mount /srv on /srv read-only\n"
	    "  env \"A=x y\"\n"
	    "  exec sh -c \"echo \\\"hi\\\"\"\n"
	    "node s\n"
	    "  hostname s\n"
	    "  interface p2 veth links[1] peer host:lab0 up mtu default\n"
	    "    impair delay 1.5s jitter 250us reorder 25% rate 2mbit\n"
	    "  interface lo loopback up mtu default\n"
	    "  interface p1 veth links[0] peer a:eth0 up mtu 1400 port-of br0\n"
	    "    impair rate 1mbit\n"
	    "  interface br0 bridge up mtu default\n"
	    "  bridge br0 stp on ports p1\n"
	    "link links[0] a:eth0 s:p1 mtu 1400 rate 125000 bytes/s\n"
	    "link links[1] host:lab0 s:p2\n"
	    "host\n"
	    "  interface lab0 veth links[1] peer s:p2 up mtu default\n"
	    "    impair delay 20ms jitter 250us loss 0.1% reorder 25%\n";
	struct nsl_diags d = {0};
	struct nsl_topology *t = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	r = nsl_topology_parse("/labs/d.yaml", text, strlen(text), &t, &d);
	if (r == 0)
		r = nsl_topology_validate(t, &d);
	if (r)
		nsl_diags_print(&d, stderr);
	assert_int_equal(r, 0);
	m = open_memstream(&out, &len);
	assert_non_null(m);
	nsl_topology_dump(t, m);
	fclose(m);
	if (strcmp(out, want))
		fail_msg("dump:\n%s\nwanted:\n%s", out, want);
	free(out);
	nsl_topology_free(t);
	nsl_diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped),
	    cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
