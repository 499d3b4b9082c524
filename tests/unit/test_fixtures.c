/* Every invalid fixture fails load+validate with its expected messages, and every message
 * names the file first. tests/fixtures/invalid/X.json (or X.yaml, X.yml) goes with
 * X.expect: lines ("X.json:LINE:COL: PATH: MESSAGE") each of which must be a whole line of
 * the printed diagnostics, the fixture's directory left out. */
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
	char *buf = calloc(1, 65536);
	size_t n;
	FILE *f = fopen(path, "re");

	assert_non_null(buf);
	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	assert_true(n > 0);
	return buf;
}

/* Returns whether the fixture behaved; prints why not. */
static bool check_fixture(const char *dir, const char *file, const char *expect_path)
{
	struct nsl_diags d = {0};
	struct nsl_topology *t = NULL;
	char *out = NULL, *expect = read_expect(expect_path), *line, path[8192];
	size_t out_len = 0, dir_len = strlen(dir) + 1, file_len;
	bool ok = true;
	FILE *mem;
	int r;

	assert_true(nsl_fmt(path, sizeof(path), "%s/%s", dir, file));
	file_len = strlen(path);
	r = nsl_topology_load(path, &t, &d);
	if (r == 0) {
		r = nsl_topology_validate(t, &d);
		nsl_topology_free(t);
	}
	mem = open_memstream(&out, &out_len);
	assert_non_null(mem);
	nsl_diags_print(&d, mem);
	fclose(mem);
	if (r != -EINVAL) {
		print_error("%s: expected -EINVAL, got %d\n", file, r);
		ok = false;
	}
	if (!d.n) {
		print_error("%s: no diagnostics\n", file);
		ok = false;
	}
	/* every line names the file, then LINE:COL (every problem of a fixture has a place) */
	for (line = out; *line; line = strchr(line, '\n') + 1) {
		unsigned l, c;
		char colon;

		if (strncmp(line, path, file_len) ||
		    sscanf(line + file_len, ":%u:%u%c", &l, &c, &colon) != 3 || colon != ':' ||
		    !l || !c) {
			print_error("%s: a line does not start with FILE:LINE:COL:\n%s", file,
			            line);
			ok = false;
			break;
		}
		if (!strchr(line, '\n'))
			break;
	}
	for (char *e, *x = expect; *x; x = *e ? e + 1 : e) {
		e = strchrnul(x, '\n');
		if (e == x)
			continue;
		/* the output's lines carry the directory; the expectation does not */
		bool found = false;

		for (char *o = out; *o && !found;) {
			char *oe = strchrnul(o, '\n');

			found = (size_t)(oe - o) == dir_len + (size_t)(e - x) &&
			        !memcmp(o + dir_len, x, (size_t)(e - x));
			o = *oe ? oe + 1 : oe;
		}
		if (!found) {
			print_error("%s: expected the line '%.*s' in:\n%s", file, (int)(e - x), x,
			            out);
			ok = false;
		}
	}
	free(out);
	free(expect);
	nsl_diags_clear(&d);
	return ok;
}

static bool is_fixture(const char *name, size_t *base)
{
	static const char *const exts[] = {".json", ".yaml", ".yml"};
	size_t len = strlen(name);

	for (size_t i = 0; i < NSL_ARRAY_SIZE(exts); i++) {
		size_t el = strlen(exts[i]);

		if (len > el && !strcmp(name + len - el, exts[i])) {
			*base = len - el;
			return true;
		}
	}
	return false;
}

static void test_invalid_fixtures(void **state)
{
	char dir[4096], expect[4096 + 256];
	struct dirent **ents;
	size_t n = 0, n_yaml = 0, bad = 0, base;
	int count;

	assert_true(nsl_fmt(dir, sizeof(dir), "%s/tests/fixtures/invalid", NSL_SRCDIR));
	count = scandir(dir, &ents, NULL, alphasort);
	assert_true(count > 0);
	for (int i = 0; i < count; i++) {
		if (is_fixture(ents[i]->d_name, &base)) {
			assert_true(nsl_fmt(expect, sizeof(expect), "%s/%.*s.expect", dir,
			                    (int)base, ents[i]->d_name));
			if (!check_fixture(dir, ents[i]->d_name, expect))
				bad++;
			n++;
			n_yaml += ents[i]->d_name[base + 1] == 'y';
		}
		free(ents[i]);
	}
	free(ents);
	print_message("%zu fixtures (%zu YAML), %zu failed\n", n, n_yaml, bad);
	assert_true(n >= 100);
	assert_true(n_yaml >= 20);
	assert_int_equal(bad, 0);
}

/* Each .expect has exactly one fixture and the other way round: a stray file is a mistake. */
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
		size_t len = strlen(name), base;

		if (is_fixture(name, &base)) {
			assert_true(
			    nsl_fmt(other, sizeof(other), "%s/%.*s.expect", dir, (int)base, name));
			if (access(other, R_OK))
				fail_msg("%s has no partner %s", name, other);
		} else if (len > 7 && !strcmp(name + len - 7, ".expect")) {
			static const char *const exts[] = {".json", ".yaml", ".yml"};
			int found = 0;

			for (size_t e = 0; e < NSL_ARRAY_SIZE(exts); e++) {
				assert_true(nsl_fmt(other, sizeof(other), "%s/%.*s%s", dir,
				                    (int)(len - 7), name, exts[e]));
				found += !access(other, R_OK);
			}
			if (found != 1)
				fail_msg("%s has %d fixtures (want exactly one)", name, found);
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
