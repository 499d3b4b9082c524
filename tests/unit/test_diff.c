/* apply's change plans: golden files (tests/golden/apply/CASE.apply: what `apply --dry-run`
 * prints for CASE.old.json -> CASE.new.json, or the refusals; a CASE named recreate* is
 * diffed with --recreate) and the properties the executor relies on. NSL_UPDATE_GOLDEN=1
 * rewrites the golden files (review the diff before committing it). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "model/diff.h"

#define DIR_ NSL_SRCDIR "/tests/golden/apply"

/* The text of a diff (or of its refusals), and its return code. */
static char *diff_text(const struct nsl_topology *a, const struct nsl_topology *b,
                       const struct nsl_diff_opts *o, int *ret_rc, struct nsl_diff *keep)
{
	struct nsl_diags d = {.file = b->file};
	struct nsl_diff diff;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc = nsl_diff_build(a, b, "demo", o, &diff, &d);

	assert_non_null(m);
	if (rc == 0)
		nsl_diff_print(&diff, m);
	else
		nsl_diags_print(&d, m);
	fclose(m);
	nsl_diags_clear(&d);
	if (rc == 0 && keep)
		*keep = diff;
	else if (rc == 0)
		nsl_diff_free(&diff);
	*ret_rc = rc;
	return text;
}

static void check_case(const char *name)
{
	char old[1024], new[1024], golden[1024];
	struct nsl_diff_opts o = {.recreate = !strncmp(name, "recreate", 8)};
	int rc;

	snprintf(old, sizeof(old), DIR_ "/%s.old.json", name);
	snprintf(new, sizeof(new), DIR_ "/%s.new.json", name);
	snprintf(golden, sizeof(golden), DIR_ "/%s.apply", name);
	struct nsl_topology *a = load(old), *b = load(new);
	char *text = diff_text(a, b, &o, &rc, NULL);
	assert_true(rc == 0 || rc == -EINVAL);
	/* the paths of the file name it relative to the source tree */
	char *rel = text;
	for (char *p; (p = strstr(rel, NSL_SRCDIR "/"));)
		memmove(p, p + strlen(NSL_SRCDIR "/"), strlen(p + strlen(NSL_SRCDIR "/")) + 1);
	if (getenv("NSL_UPDATE_GOLDEN")) {
		FILE *f = fopen(golden, "we");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	char *want = read_all(golden);
	if (!want || strcmp(want, text))
		fail_msg("%s: the change plan differs from %s:\n%s", name, golden, text);
	free(want);
	free(text);
	nsl_topology_free(a);
	nsl_topology_free(b);
}

static void test_golden(void **state)
{
	DIR *d = opendir(DIR_);
	struct dirent *e;
	size_t n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 9 && !strcmp(e->d_name + l - 9, ".old.json")) {
			char name[256];
			snprintf(name, sizeof(name), "%.*s", (int)(l - 9), e->d_name);
			check_case(name);
			n++;
		}
	}
	closedir(d);
	assert_true(n >= 8);
}

/* A file against itself: nothing to do, in every shipped topology. */
static void test_same(void **state)
{
	static const char *const files[] = {"demo.json", "fabric.json", "pipeline.json",
	                                    "routed.json", "switch.json"};
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];
		snprintf(path, sizeof(path), NSL_SRCDIR "/topologies/%s", files[i]);
		struct nsl_topology *a = load(path), *b = load(path);
		struct nsl_diff d;
		int rc;
		free(diff_text(a, b, NULL, &rc, &d));
		assert_int_equal(rc, 0);
		assert_true(nsl_diff_empty(&d));
		assert_false(d.changes_state);
		nsl_diff_free(&d);
		nsl_topology_free(a);
		nsl_topology_free(b);
	}
}

/* Every change has its inverse: b -> a (as a rollback) removes what a -> b made, and makes
 * what it removed, node for node and link for link. */
static void test_inverse(void **state)
{
	static const char *const cases[] = {"add_node", "route_addr", "remove_node",
	                                    "link_mtu", "impair",     "ports"};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char old[1024], new[1024];
		snprintf(old, sizeof(old), DIR_ "/%s.old.json", cases[i]);
		snprintf(new, sizeof(new), DIR_ "/%s.new.json", cases[i]);
		struct nsl_topology *a = load(old), *b = load(new);
		struct nsl_diff_opts back = {.rollback = true};
		struct nsl_diff f, r;
		int rc;
		free(diff_text(a, b, NULL, &rc, &f));
		assert_int_equal(rc, 0);
		free(diff_text(b, a, &back, &rc, &r));
		assert_int_equal(rc, 0);
		assert_int_equal(f.nodes_added, r.nodes_removed);
		assert_int_equal(f.nodes_removed, r.nodes_added);
		assert_int_equal(f.links_added, r.links_removed);
		assert_int_equal(f.links_removed, r.links_added);
		assert_false(nsl_diff_empty(&f));
		assert_false(nsl_diff_empty(&r));
		nsl_diff_free(&f);
		nsl_diff_free(&r);
		nsl_topology_free(a);
		nsl_topology_free(b);
	}
}

/* A node that does not exist now (its holder died in a crashed change) is made whole; one that
 * goes is never undone operation by operation (it dies whole). */
static void test_alive(void **state)
{
	struct nsl_topology *a = load(NSL_SRCDIR "/topologies/demo.json"),
	                    *b = load(NSL_SRCDIR "/topologies/demo.json");
	bool alive[16];
	struct nsl_diff_opts o = {.alive_from = alive};
	struct nsl_diff d;
	int rc, h2 = nsl_topology_node(a, "h2");

	(void)state;
	assert_true(a->n_nodes < 16);
	for (size_t i = 0; i < a->n_nodes; i++)
		alive[i] = (int)i != h2;
	free(diff_text(a, b, &o, &rc, &d));
	assert_int_equal(rc, 0);
	assert_int_equal(d.nodes_added, 1);
	assert_true(d.fresh[nsl_topology_node(b, "h2")]);
	assert_false(d.gone[h2]); /* nothing of it to kill */
	bool exec = false, node = false;
	for (size_t i = 0; i < d.add.n; i++) {
		exec |= d.add.ops[i].kind == NSL_OP_EXEC;
		node |= d.add.ops[i].kind == NSL_OP_NODE;
	}
	assert_true(exec && node);
	for (size_t i = 0; i < d.del.n; i++)
		assert_int_not_equal(d.del.ops[i].node, h2);
	nsl_diff_free(&d);
	nsl_topology_free(a);
	nsl_topology_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_same),
	    cmocka_unit_test(test_inverse),
	    cmocka_unit_test(test_alive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
