/* Impairment values: tc's times, percentages and rates parsed strictly and written back
 * exactly; merging a link's with an end's; netem's rules; the qdisc chosen; netem's queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/topology.h"

static uint64_t time_ok(const char *s)
{
	struct nsl_impair im = {0};
	const char *why = NULL;

	if (!nsl_impair_parse_value(NSL_IMP_DELAY, s, &im, &why))
		fail_msg("'%s' refused: %s", s, why);
	assert_int_equal(im.set, NSL_IMP_DELAY);
	return im.delay;
}

static const char *time_bad(const char *s)
{
	struct nsl_impair im = {0};
	const char *why = NULL;

	if (nsl_impair_parse_value(NSL_IMP_JITTER, s, &im, &why))
		fail_msg("'%s' accepted as %llu us", s, (unsigned long long)im.jitter);
	assert_int_equal(im.set, 0);
	assert_non_null(why);
	return why;
}

static uint32_t percent_ok(const char *s)
{
	struct nsl_impair im = {0};
	const char *why = NULL;

	if (!nsl_impair_parse_value(NSL_IMP_LOSS, s, &im, &why))
		fail_msg("'%s' refused: %s", s, why);
	return im.loss;
}

static const char *percent_bad(const char *s)
{
	struct nsl_impair im = {0};
	const char *why = NULL;

	if (nsl_impair_parse_value(NSL_IMP_REORDER, s, &im, &why))
		fail_msg("'%s' accepted as %u", s, im.reorder);
	return why;
}

static void test_times(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(time_ok("20ms"), 20000);
	assert_int_equal(time_ok("1.5s"), 1500000);
	assert_int_equal(time_ok("250us"), 250);
	assert_int_equal(time_ok("0ms"), 0);
	assert_int_equal(time_ok("0.001ms"), 1);
	assert_int_equal(time_ok("1.000000000s"), 1000000);
	assert_int_equal(time_ok("60s"), 60000000);
	assert_int_equal(time_ok("007ms"), 7000);
	assert_string_equal(time_bad("20"), "a time needs its unit, like \"20ms\", \"1.5s\" or "
	                                    "\"250us\"");
	assert_string_equal(time_bad("0.5us"), "finer than a microsecond");
	assert_string_equal(time_bad("1.0000001s"), "finer than a microsecond");
	assert_string_equal(time_bad("60.000001s"), "at most 60s");
	assert_string_equal(time_bad("999999999999999ms"),
	                    "expected a time with its unit, like \"20ms\", \"1.5s\" or \"250us\"");
	const char *junk[] = {"",    "ms",    "-1ms", "+1ms", "1.ms", ".5ms",  "1,5ms",  "1 ms",
	                      "1MS", "1msec", "1sec", "1m",   "1h",   "1e3us", "0x10ms", "1ms "};
	for (size_t i = 0; i < sizeof(junk) / sizeof(*junk); i++)
		time_bad(junk[i]);
	/* written back: the shortest exact text, which parses to the same value */
	const struct {
		uint64_t us;
		const char *text;
	} back[] = {
	    {0, "0ms"},      {1, "1us"},        {999, "999us"},         {1000, "1ms"},
	    {1500, "1.5ms"}, {1001, "1.001ms"}, {20000, "20ms"},        {999999, "999.999ms"},
	    {1000000, "1s"}, {1500000, "1.5s"}, {1000001, "1.000001s"}, {60000000, "60s"}};
	for (size_t i = 0; i < sizeof(back) / sizeof(*back); i++) {
		assert_string_equal(nsl_time_str(back[i].us, buf, sizeof(buf)), back[i].text);
		assert_int_equal(time_ok(back[i].text), back[i].us);
	}
}

static void test_percentages(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(percent_ok("1%"), 10000000);
	assert_int_equal(percent_ok("0.1%"), 1000000);
	assert_int_equal(percent_ok("100%"), NSL_PERCENT_ONE);
	assert_int_equal(percent_ok("0%"), 0);
	assert_int_equal(percent_ok("0.0000001%"), 1);
	assert_int_equal(percent_ok("25.50%"), 255000000);
	assert_string_equal(percent_bad("1"),
	                    "a percentage needs its '%', like \"1%\" or \"0.1%\"");
	assert_string_equal(percent_bad("100.0000001%"), "at most 100%");
	assert_string_equal(percent_bad("0.00000001%"), "finer than 0.0000001%");
	const char *junk[] = {"", "%", "-1%", "1%%", "1 %", ".5%", "5.%", "0.5", "1e1%", "one%"};
	for (size_t i = 0; i < sizeof(junk) / sizeof(*junk); i++)
		percent_bad(junk[i]);
	const struct {
		uint32_t p;
		const char *text;
	} back[] = {{0, "0%"},        {1, "0.0000001%"},        {1000000, "0.1%"},
	            {10000000, "1%"}, {12345678, "1.2345678%"}, {NSL_PERCENT_ONE, "100%"}};
	for (size_t i = 0; i < sizeof(back) / sizeof(*back); i++) {
		assert_string_equal(nsl_percent_str(back[i].p, buf, sizeof(buf)), back[i].text);
		assert_int_equal(percent_ok(back[i].text), back[i].p);
	}
}

static void test_rates(void **state)
{
	struct nsl_impair im = {0};
	const char *why;
	char buf[32];

	(void)state;
	assert_true(nsl_impair_parse_value(NSL_IMP_RATE, "10mbit", &im, &why));
	assert_int_equal(im.rate, 1250000);
	assert_string_equal(nsl_rate_str(im.rate, buf, sizeof(buf)), "10mbit");
	assert_true(nsl_impair_parse_value(NSL_IMP_RATE, "10mbps", &im, &why));
	assert_string_equal(nsl_rate_str(im.rate, buf, sizeof(buf)), "80mbit");
	assert_string_equal(nsl_rate_str(125000000, buf, sizeof(buf)), "1gbit");
	assert_string_equal(nsl_rate_str(1, buf, sizeof(buf)), "8bit");
	assert_string_equal(nsl_rate_str(1000, buf, sizeof(buf)), "8kbit");
	assert_false(nsl_impair_parse_value(NSL_IMP_RATE, "0mbit", &im, &why));
	assert_false(nsl_impair_parse_value(NSL_IMP_RATE, "18gbit", &im, &why));
	assert_non_null(strstr(why, "at most 2147483647 bytes/s"));
	assert_true(nsl_impair_parse_value(NSL_IMP_RATE, "17gbit", &im, &why));
}

static void test_merge_and_rules(void **state)
{
	struct nsl_impair link = {0}, end = {0}, m;
	const char *why;
	unsigned key = 0;

	(void)state;
	assert_true(nsl_impair_parse_value(NSL_IMP_DELAY, "10ms", &link, &why));
	assert_true(nsl_impair_parse_value(NSL_IMP_LOSS, "1%", &link, &why));
	assert_true(nsl_impair_parse_value(NSL_IMP_LOSS, "0%", &end, &why));
	assert_true(nsl_impair_parse_value(NSL_IMP_JITTER, "2ms", &end, &why));
	m = link;
	nsl_impair_merge(&m, &end);
	/* a 0 written on the end overrides the link's 1%; what the end leaves out stays */
	assert_int_equal(m.loss, 0);
	assert_int_equal(m.delay, 10000);
	assert_int_equal(m.jitter, 2000);
	assert_int_equal(m.set, NSL_IMP_DELAY | NSL_IMP_LOSS | NSL_IMP_JITTER);
	assert_null(nsl_impair_check(&m, &key));
	assert_int_equal(nsl_impair_qdisc(&m), NSL_QDISC_NETEM);

	m = end;
	assert_non_null(nsl_impair_check(&m, &key));
	assert_int_equal(key, NSL_IMP_JITTER);
	m = (struct nsl_impair){.reorder = 1};
	assert_non_null(nsl_impair_check(&m, &key));
	assert_int_equal(key, NSL_IMP_REORDER);

	/* a rate alone is a token bucket; zeros are nothing */
	m = (struct nsl_impair){.rate = 1000, .set = NSL_IMP_RATE | NSL_IMP_LOSS};
	assert_int_equal(nsl_impair_qdisc(&m), NSL_QDISC_TBF);
	m = (struct nsl_impair){.set = NSL_IMP_DELAY};
	assert_int_equal(nsl_impair_qdisc(&m), NSL_QDISC_NONE);
	m.duplicate = 1;
	assert_int_equal(nsl_impair_qdisc(&m), NSL_QDISC_NETEM);
	assert_true(nsl_impair_equal(&m, &(struct nsl_impair){.duplicate = 1}));
	assert_false(nsl_impair_equal(&m, &(struct nsl_impair){.duplicate = 2}));
}

static void test_limit(void **state)
{
	(void)state;
	/* netem's default for small products */
	assert_int_equal(nsl_impair_limit(&(struct nsl_impair){.delay = 20000, .rate = 125000}),
	                 1000);
	/* 20 ms + 100 ms at 1 Gbit/s */
	assert_int_equal(nsl_impair_limit(&(struct nsl_impair){.delay = 20000}), 10001);
	/* 1 s + 100 ms at 1 Gbit/s in 1500-byte packets */
	assert_int_equal(nsl_impair_limit(&(struct nsl_impair){.delay = 1000000}), 91667);
	/* at the rate asked */
	assert_int_equal(nsl_impair_limit(&(struct nsl_impair){.delay = 900000, .rate = 12500000}),
	                 8334);
	/* bounded */
	assert_int_equal(
	    nsl_impair_limit(&(struct nsl_impair){.delay = 60000000, .jitter = 60000000}),
	    1u << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_times), cmocka_unit_test(test_percentages),
	    cmocka_unit_test(test_rates), cmocka_unit_test(test_merge_and_rules),
	    cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
