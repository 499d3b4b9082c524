/* Every invalid fixture fails load+validate with its expected message, and every message
 * names the file first. tests/fixtures/invalid/X.json goes with X.expect: a substring the
 * printed diagnostics must contain. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/topology.h"

static char *read_expect(const char *path)
{
	char buf[1024];
	size_t n;
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	assert_true(n > 0);
	return strdup(buf);
}

/* Returns whether the fixture behaved; prints why not. */
static bool check_fixture(const char *json, const char *expect_path)
{
	struct nsl_diags d = {0};
	struct nsl_topology *t = NULL;
	char *out = NULL, *expect = read_expect(expect_path), *line;
	size_t out_len = 0, file_len = strlen(json);
	bool ok = true;
	FILE *mem;
	int r;

	r = nsl_topology_load(json, &t, &d);
	if (r == 0) {
		r = nsl_topology_validate(t, &d);
		nsl_topology_free(t);
	}
	mem = open_memstream(&out, &out_len);
	assert_non_null(mem);
	nsl_diags_print(&d, mem);
	fclose(mem);
	if (r != -EINVAL) {
		print_error("%s: expected -EINVAL, got %d\n", json, r);
		ok = false;
	}
	if (!d.n) {
		print_error("%s: no diagnostics\n", json);
		ok = false;
	}
	if (!strstr(out, expect)) {
		print_error("%s: expected '%s' in:\n%s", json, expect, out);
		ok = false;
	}
	for (line = out; *line; line = strchr(line, '\n') + 1) {
		if (strncmp(line, json, file_len) || strncmp(line + file_len, ": ", 2)) {
			print_error("%s: a line does not start with the file name:\n%s", json,
			            line);
			ok = false;
			break;
		}
		if (!strchr(line, '\n'))
			break;
	}
	free(out);
	free(expect);
	nsl_diags_clear(&d);
	return ok;
}

static void test_invalid_fixtures(void **state)
{
	char dir[4096], json[4096 + 256], expect[4096 + 256];
	struct dirent **ents;
	size_t n = 0, bad = 0;
	int count;

	assert_true(nsl_fmt(dir, sizeof(dir), "%s/tests/fixtures/invalid", NSL_SRCDIR));
	count = scandir(dir, &ents, NULL, alphasort);
	assert_true(count > 0);
	for (int i = 0; i < count; i++) {
		size_t len = strlen(ents[i]->d_name);

		if (len > 5 && !strcmp(ents[i]->d_name + len - 5, ".json")) {
			assert_true(nsl_fmt(json, sizeof(json), "%s/%s", dir, ents[i]->d_name));
			assert_true(nsl_fmt(expect, sizeof(expect), "%s/%.*s.expect", dir,
			                    (int)(len - 5), ents[i]->d_name));
			if (!check_fixture(json, expect))
				bad++;
			n++;
		}
		free(ents[i]);
	}
	free(ents);
	print_message("%zu fixtures, %zu failed\n", n, bad);
	assert_true(n >= 45);
	assert_int_equal(bad, 0);
}

/* Each .expect has its fixture and the other way round: a stray file is a mistake. */
static void test_fixture_pairs(void **state)
{
	char dir[4096], other[4096 + 256];
	struct dirent **ents;
	int count;

	assert_true(nsl_fmt(dir, sizeof(dir), "%s/tests/fixtures/invalid", NSL_SRCDIR));
	count = scandir(dir, &ents, NULL, alphasort);
	assert_true(count > 0);
	for (int i = 0; i < count; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);
		bool is_json = len > 5 && !strcmp(name + len - 5, ".json");
		bool is_expect = len > 7 && !strcmp(name + len - 7, ".expect");

		if (is_json || is_expect) {
			assert_true(nsl_fmt(other, sizeof(other), "%s/%.*s%s", dir,
			                    (int)(len - (is_json ? 5 : 7)), name,
			                    is_json ? ".expect" : ".json"));
			if (access(other, R_OK))
				fail_msg("%s has no partner %s", name, other);
		}
		free(ents[i]);
	}
	free(ents);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_fixtures),
	    cmocka_unit_test(test_fixture_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
