/* Every topology shipped in topologies/ parses and validates. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/topology.h"

static void check_one(const char *path)
{
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
	nsl_topology_free(t);
	nsl_diags_clear(&d);
}

static void test_shipped(void **state)
{
	char dir[4096], path[4096 + 256];
	struct dirent *de;
	size_t n = 0;
	DIR *dp;

	assert_true(nsl_fmt(dir, sizeof(dir), "%s/topologies", NSL_SRCDIR));
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		assert_true(nsl_fmt(path, sizeof(path), "%s/%s", dir, de->d_name));
		print_message("topology %s\n", de->d_name);
		check_one(path);
		n++;
	}
	closedir(dp);
	assert_true(n >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
