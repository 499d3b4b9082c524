/* Address, MAC, rate and name parsers. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "model/topology.h"

static void test_prefix_parse(void **state)
{
	struct nsl_prefix p;
	char buf[INET6_ADDRSTRLEN + 8];

	assert_true(nsl_prefix_parse("10.0.1.2/24", &p));
	assert_int_equal(p.ip.family, AF_INET);
	assert_int_equal(p.len, 24);
	assert_string_equal(nsl_prefix_str(&p, buf, sizeof(buf)), "10.0.1.2/24");
	assert_true(nsl_prefix_parse("fd42:1::1/64", &p));
	assert_int_equal(p.ip.family, AF_INET6);
	assert_string_equal(nsl_prefix_str(&p, buf, sizeof(buf)), "fd42:1::1/64");
	assert_true(nsl_prefix_parse("0.0.0.0/0", &p));
	assert_true(nsl_prefix_parse("::/0", &p));
	assert_true(nsl_prefix_parse("fd42::1/128", &p));

	const char *bad[] = {"10.0.1.2",     "10.0.1.2/",       "10.0.1.2/33",   "fd42::1/129",
	                     "10.0.1/24",    "10.0.1.256/24",   "/24",           "10.0.1.2/024",
	                     "10.0.1.2/-1",  "10.0.1.2/2 4",    " 10.0.1.2/24",  "10.0.1.2/24 ",
	                     "010.0.1.2/24", "fe80::1%eth0/64", "10.0.1.2/24/1", "",
	                     "x/1",          "10.0.1.2/1000"};
	for (size_t i = 0; i < NSL_ARRAY_SIZE(bad); i++) {
		if (nsl_prefix_parse(bad[i], &p))
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_false(nsl_prefix_parse(NULL, &p));
}

static void test_ip_parse(void **state)
{
	struct nsl_ip ip, ip2;
	char buf[INET6_ADDRSTRLEN];

	assert_true(nsl_ip_parse("10.0.1.1", &ip));
	assert_string_equal(nsl_ip_str(&ip, buf, sizeof(buf)), "10.0.1.1");
	assert_true(nsl_ip_parse("FD42:0:0::1", &ip));
	assert_string_equal(nsl_ip_str(&ip, buf, sizeof(buf)), "fd42::1");
	assert_true(nsl_ip_parse("fd42::1", &ip2));
	assert_true(nsl_ip_equal(&ip, &ip2));
	assert_false(nsl_ip_parse("10.1", &ip));
	assert_false(nsl_ip_parse("10.0.0.1/24", &ip));
	assert_false(nsl_ip_parse("fd42:::1", &ip));
	assert_false(nsl_ip_parse("", &ip));
	assert_true(nsl_ip_parse("224.0.0.5", &ip));
	assert_true(nsl_ip_is_special(&ip));
	assert_true(nsl_ip_parse("::", &ip));
	assert_true(nsl_ip_is_special(&ip));
	assert_true(nsl_ip_parse("ff02::1", &ip));
	assert_true(nsl_ip_is_special(&ip));
	assert_true(nsl_ip_parse("10.0.0.1", &ip));
	assert_false(nsl_ip_is_special(&ip));
}

static void test_overlap(void **state)
{
	struct nsl_prefix a, b;
	struct nsl_ip ip;

	assert_true(nsl_prefix_parse("10.0.0.0/16", &a));
	assert_true(nsl_prefix_parse("10.0.5.1/24", &b));
	assert_true(nsl_prefix_overlap(&a, &b));
	assert_true(nsl_prefix_overlap(&b, &a));
	assert_true(nsl_prefix_parse("10.1.0.0/24", &b));
	assert_false(nsl_prefix_overlap(&a, &b));
	assert_true(nsl_prefix_parse("10.0.0.0/15", &a));
	assert_true(nsl_prefix_overlap(&a, &b)); /* 10.0/15 holds 10.1.x */
	assert_true(nsl_prefix_parse("fd42::/64", &b));
	assert_false(nsl_prefix_overlap(&a, &b)); /* families never overlap */
	assert_true(nsl_prefix_parse("10.0.1.7/29", &a));
	assert_true(nsl_ip_parse("10.0.1.1", &ip));
	assert_true(nsl_prefix_contains(&a, &ip));
	assert_true(nsl_ip_parse("10.0.1.8", &ip));
	assert_false(nsl_prefix_contains(&a, &ip));
}

static void test_mac(void **state)
{
	uint8_t mac[6];

	assert_true(nsl_mac_parse("02:00:00:00:00:01", mac));
	assert_int_equal(mac[0], 2);
	assert_int_equal(mac[5], 1);
	assert_true(nsl_mac_parse("AA:bb:CC:dd:EE:ff", mac)); /* hex of either case */
	assert_int_equal(mac[0], 0xaa);
	assert_true(nsl_mac_parse("a8:bb:cc:dd:ee:ff", mac));
	assert_false(nsl_mac_parse("01:00:5e:00:00:01", mac));
	assert_false(nsl_mac_parse("ff:ff:ff:ff:ff:ff", mac));
	assert_false(nsl_mac_parse("00:00:00:00:00:00", mac));
	assert_false(nsl_mac_parse("02:00:00:00:00", mac));
	assert_false(nsl_mac_parse("02-00-00-00-00-01", mac));
	assert_false(nsl_mac_parse("02:00:00:00:00:0g", mac));
	assert_false(nsl_mac_parse("02:00:00:00:00:01:", mac));
}

static void test_rate(void **state)
{
	uint64_t r;

	assert_true(nsl_rate_parse("100mbit", &r));
	assert_int_equal(r, 12500000);
	assert_true(nsl_rate_parse("1gbit", &r));
	assert_int_equal(r, 125000000);
	assert_true(nsl_rate_parse("512kbit", &r));
	assert_int_equal(r, 64000);
	assert_true(nsl_rate_parse("10mbps", &r));
	assert_int_equal(r, 10000000);
	assert_true(nsl_rate_parse("8000", &r)); /* plain bits per second */
	assert_int_equal(r, 1000);
	assert_true(nsl_rate_parse("100bps", &r));
	assert_int_equal(r, 100);
	assert_true(nsl_rate_parse("1tbit", &r));
	assert_int_equal(r, 125000000000ull);
	assert_true(nsl_rate_parse("1MBit", &r));
	assert_int_equal(r, 125000);
	assert_true(nsl_rate_parse("1kibit", &r));
	assert_int_equal(r, 128);

	const char *bad[] = {"0",
	                     "0mbit",
	                     "7bit",
	                     "",
	                     "mbit",
	                     "100 mbit",
	                     "100mbitz",
	                     "-1mbit",
	                     "1.5mbit",
	                     "99999999999999999999",
	                     "18446744073709551615tbit",
	                     "20000000tbps",
	                     "100mb"};
	for (size_t i = 0; i < NSL_ARRAY_SIZE(bad); i++) {
		if (nsl_rate_parse(bad[i], &r))
			fail_msg("accepted '%s'", bad[i]);
	}
}

static void test_names(void **state)
{
	assert_true(nsl_name_valid("demo"));
	assert_true(nsl_name_valid("r1_a-b"));
	assert_true(nsl_name_valid("_x"));
	assert_true(nsl_name_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	assert_false(nsl_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_false(nsl_name_valid(""));
	assert_false(nsl_name_valid("-x"));
	assert_false(nsl_name_valid("a.b"));
	assert_false(nsl_name_valid("../x"));
	assert_false(nsl_name_valid("a b"));
	assert_false(nsl_name_valid("\xc3\xa9"));

	assert_true(nsl_ifname_valid("eth0"));
	assert_true(nsl_ifname_valid("lo"));
	assert_true(nsl_ifname_valid("a.b"));
	assert_true(nsl_ifname_valid("123456789012345")); /* 15 */
	assert_false(nsl_ifname_valid("1234567890123456"));
	assert_false(nsl_ifname_valid(""));
	assert_false(nsl_ifname_valid("."));
	assert_false(nsl_ifname_valid(".."));
	assert_false(nsl_ifname_valid("a/b"));
	assert_false(nsl_ifname_valid("a:b"));
	assert_false(nsl_ifname_valid("a b"));
	assert_false(nsl_ifname_valid("a\tb"));
	assert_false(nsl_ifname_valid("a\x7f"));
	assert_false(nsl_ifname_valid("eth\xc3\xa9"));
}

static void test_arena(void **state)
{
	struct nsl_arena *a = nsl_arena_new();
	char *s;
	uint64_t *big;

	assert_non_null(a);
	for (int i = 0; i < 10000; i++) {
		int *p = nsl_arena_alloc(a, sizeof(int) * 3);

		assert_non_null(p);
		assert_int_equal(p[0] | p[1] | p[2], 0);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		p[0] = p[1] = p[2] = -1;
	}
	big = nsl_arena_array(a, 100000, sizeof(*big));
	assert_non_null(big);
	assert_int_equal(big[99999], 0);
	assert_null(nsl_arena_array(a, SIZE_MAX / 2, 4));
	s = nsl_arena_strdup(a, "hello");
	assert_string_equal(s, "hello");
	s = nsl_arena_strndup(a, "hello", 3);
	assert_string_equal(s, "hel");
	s = nsl_arena_printf(a, "%s=%d", "x", 42);
	assert_string_equal(s, "x=42");
	nsl_arena_free(a);
	nsl_arena_free(NULL);
}

static void test_diags(void **state)
{
	struct nsl_diags d = {.file = "f.json"};
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	nsl_diags_add(&d, "nodes.a", "bad %d", 1);
	nsl_diags_add(&d, "", "whole file");
	m = open_memstream(&out, &len);
	nsl_diags_print(&d, m);
	fclose(m);
	assert_string_equal(out, "f.json: nodes.a: bad 1\nf.json: whole file\n");
	free(out);
	/* a flood is cut short with a note, not stored without bound */
	for (int i = 0; i < 100000; i++)
		nsl_diags_add(&d, "x", "e%d", i);
	assert_true(d.n < 1000);
	assert_string_equal(d.items[d.n - 1].message, "too many problems, stopping here");
	nsl_diags_clear(&d);
	assert_int_equal(d.n, 0);
	nsl_diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_parse), cmocka_unit_test(test_ip_parse),
	    cmocka_unit_test(test_overlap),      cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_rate),         cmocka_unit_test(test_names),
	    cmocka_unit_test(test_arena),        cmocka_unit_test(test_diags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
