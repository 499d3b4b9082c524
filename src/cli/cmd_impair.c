/* nslab impair [-l LAB] NODE:IF... [--delay T] [--jitter T] [--loss P] [--duplicate P]
 *              [--corrupt P] [--reorder P] [--rate R] [--clear | --reset]
 * What the packets leaving an interface get, changed in place: the values given over the
 * current ones (--clear: over none, --reset: over the topology's), in one request per
 * interface. Without values: what each interface gets now. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/runtime.h"

#define MAX_ENDS 64

static void help(void)
{
	nsl_cli_usage("impair");
	printf("\nThe packets leaving NODE:IF get (the same units as the topology's \"impair\"):\n"
	       "  --delay T      a delay: 20ms, 1.5s, 250us\n"
	       "  --jitter T     the delay varies by up to T either way (needs a delay)\n"
	       "  --loss P       dropped: 1%%, 0.1%%\n"
	       "  --duplicate P  sent twice\n"
	       "  --corrupt P    a bit flipped\n"
	       "  --reorder P    sent at once, ahead of the delayed ones (needs a delay)\n"
	       "  --rate R       at most R: 10mbit, 1gbit, 512kbit; 0 for none\n"
	       "Values given replace the current ones, the others stay (0ms, 0%% remove one).\n"
	       "  --clear        start from nothing (alone: no impairment at all)\n"
	       "  --reset        start from what the topology says\n"
	       "Without values and flags: print what each NODE:IF gets now.\n");
}

static void print_impair(const char *name, const struct nsl_impair *im)
{
	bool any = false;

	printf("%s:", name);
	for (unsigned k = 0; k < NSL_IMP_KEYS; k++) {
		char v[32];
		if (!nsl_impair_value(im, 1u << k))
			continue;
		printf(" %s %s", nsl_impair_keys[k],
		       nsl_impair_value_str(im, 1u << k, v, sizeof(v)));
		any = true;
	}
	printf("%s\n", any ? "" : " none");
}

/* --KEY VALUE or --KEY=VALUE: 1 taken (with *i moved past it), 0 not a value option, -1 bad. */
static int value_opt(int argc, char **argv, int *i, struct nsl_impair *over)
{
	const char *a = argv[*i], *val = NULL, *why;
	char opt[32];

	if (strncmp(a, "--", 2))
		return 0;
	for (unsigned k = 0; k < NSL_IMP_KEYS; k++) {
		size_t len = strlen(nsl_impair_keys[k]);
		if (strncmp(a + 2, nsl_impair_keys[k], len))
			continue;
		if (a[2 + len] == '=') {
			val = a + 3 + len;
		} else if (!a[2 + len]) {
			if (*i + 1 >= argc) {
				nsl_cli_error("impair: %s needs a value", a);
				return -1;
			}
			val = argv[++*i];
		} else {
			continue;
		}
		nsl_fmt(opt, sizeof(opt), "--%s", nsl_impair_keys[k]);
		if ((1u << k) == NSL_IMP_RATE && !strcmp(val, "0")) {
			over->rate = 0;
			over->set |= NSL_IMP_RATE;
			return 1;
		}
		if (!nsl_impair_parse_value(1u << k, val, over, &why)) {
			nsl_cli_error("impair: %s '%s': %s", opt, val, why);
			return -1;
		}
		return 1;
	}
	return 0;
}

int nsl_cmd_impair(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1] = "", name[2 * NSL_NAME_MAX + 8];
	char *specs[MAX_ENDS];
	struct nsl_end_ref ends[MAX_ENDS];
	struct nsl_impair over = {0}, want[MAX_ENDS];
	struct nsl_err err = {0};
	struct nsl_lab_rt l;
	bool clear = false, reset = false;
	size_t n = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		int v;
		if (nsl_cli_is_help(argv[i])) {
			help();
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) {
			if (++i >= argc) {
				nsl_cli_error("impair: %s needs a lab", argv[i - 1]);
				return NSL_EXIT_USAGE;
			}
			if (nsl_cli_lab_arg(argv[i], false, lab, sizeof(lab)) < 0)
				return NSL_EXIT_USAGE;
		} else if (!strncmp(argv[i], "--lab=", 6)) {
			if (nsl_cli_lab_arg(argv[i] + 6, false, lab, sizeof(lab)) < 0)
				return NSL_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--clear")) {
			clear = true;
		} else if (!strcmp(argv[i], "--reset")) {
			reset = true;
		} else if ((v = value_opt(argc, argv, &i, &over)) != 0) {
			if (v < 0)
				return NSL_EXIT_USAGE;
		} else if (argv[i][0] == '-') {
			nsl_cli_error("impair: unknown option '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else if (n == MAX_ENDS) {
			nsl_cli_error("impair: at most %d interfaces at once", MAX_ENDS);
			return NSL_EXIT_USAGE;
		} else {
			specs[n++] = argv[i];
		}
	}
	if (!n || (clear && reset)) {
		nsl_cli_error(
		    "impair: usage: nslab impair [-l LAB] NODE:IF... [--delay T] [--jitter "
		    "T] [--loss P] [--duplicate P] [--corrupt P] [--reorder P] [--rate R] "
		    "[--clear | --reset]");
		return NSL_EXIT_USAGE;
	}
	if (nsl_cli_end_lab("impair", lab, sizeof(lab), specs, n) < 0)
		return NSL_EXIT_FAIL;
	rc = nsl_lab_rt_open(lab, &l, &err);
	if (rc < 0) {
		nsl_cli_error("impair: %s", err.msg);
		return NSL_EXIT_FAIL;
	}
	/* Every interface and every result checked before anything changes. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned key;
		const char *why;
		rc = nsl_lab_end(&l, specs[i], &ends[i], &err);
		if (rc < 0) {
			nsl_cli_error("impair: %s", err.msg);
			break;
		}
		if (clear)
			memset(&want[i], 0, sizeof(want[i]));
		else if (reset)
			nsl_iface_impair(l.t, ends[i].f, &want[i]);
		else
			nsl_lab_impair_now(&l, &ends[i], &want[i]);
		nsl_impair_merge(&want[i], &over);
		why = nsl_impair_check(&want[i], &key);
		if (why) {
			if (over.set & key)
				nsl_cli_error("impair %s: --%s: %s", specs[i],
				              nsl_impair_keys[__builtin_ctz(key)], why);
			else
				nsl_cli_error("impair %s: what it has now: %s", specs[i], why);
			rc = -EINVAL;
		}
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		nsl_end_name(&l, &ends[i], name, sizeof(name));
		if (!over.set && !clear && !reset) {
			print_impair(name, &want[i]);
			continue;
		}
		rc = nsl_lab_impair_set(&l, &ends[i], &want[i], &err);
		if (rc < 0)
			nsl_cli_error("impair %s: %s", name, err.msg);
		else if (nsl_cli_verbosity() == NSL_VERBOSE)
			print_impair(name, &want[i]);
	}
	nsl_lab_rt_close(&l);
	return rc < 0 ? NSL_EXIT_FAIL : NSL_EXIT_OK;
}
