/* nslab down [--keep-fs] [LAB | TOPO | --all] [--host HOST] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/down.h"
#include "engine/fault.h"
#include "engine/lab.h"

/* --host: this machine's part of the lab must be that host's. A lab whose state is gone or
 * not written yet (an up cut short) is this machine's to take down whatever it was. */
static int check_host(const char *lab, const char *host)
{
	struct nsl_err err = {0};
	struct nsl_lab l;
	int rc;

	if (!host)
		return 0;
	if (nsl_lab_open(lab, false, &l, &err) < 0)
		return 0;
	rc = 0;
	if (!l.host[0]) {
		nsl_cli_error(
		    "down %s: --host %s: this lab spans no hosts (it was built whole here)", lab,
		    host);
		rc = -EINVAL;
	} else if (strcmp(l.host, host)) {
		nsl_cli_error(
		    "down %s: --host %s: the part of the lab on this machine is host %s's", lab,
		    host, l.host);
		rc = -EINVAL;
	}
	nsl_lab_close(&l);
	return rc;
}

static int down_one(const char *lab, bool keep)
{
	struct nsl_cli_progress progress;
	struct nsl_err err = {0};
	uint64_t t0 = nsl_now_ns();
	char kept[512] = "";
	int rc = nsl_down_keep(lab, nsl_cli_progress_start(&progress, "down %s", lab),
	                       keep ? kept : NULL, sizeof(kept), &err);

	nsl_cli_progress_end(&progress);
	/* Tests count the steps of a teardown to inject a fault at each one. */
	if (getenv("NSLAB_COUNT_STEPS"))
		fprintf(stderr, "nslab: %lu steps\n", nsl_steps_taken());
	if (rc < 0) {
		nsl_cli_error("down %s: %s", lab, err.msg);
		return NSL_EXIT_FAIL;
	}
	if (rc == 1)
		nsl_cli_info("lab %s is not up; nothing to do", lab);
	else
		nsl_cli_note("lab %s down in %.0f ms", lab, (double)(nsl_now_ns() - t0) / 1e6);
	if (kept[0])
		printf("%s\n", kept);
	else if (keep && rc == 0)
		nsl_cli_info("lab %s: no node file systems to keep", lab);
	return NSL_EXIT_OK;
}

int nsl_cmd_down(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1];
	const char *host = NULL, *arg = NULL;
	bool all = false;
	char **labs = NULL;
	size_t n = 0;
	int ret = 0;
	bool keep = false;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("down");
			return NSL_EXIT_OK;
		} else if (nsl_cli_host_option(argc, argv, &i, &host)) {
			if (!nsl_name_valid(host)) {
				nsl_cli_error("down: --host '%s': not a host name", host);
				return NSL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--keep-fs")) {
			keep = true; /* the nodes' file systems stay (where is printed) */
		} else if (!strcmp(argv[i], "--all") && !all && !arg) {
			all = true;
		} else if (argv[i][0] != '-' && !arg && !all) {
			arg = argv[i];
		} else {
			nsl_cli_error("down: usage: nslab down [--keep-fs] [LAB | TOPO | --all] "
			              "[--host HOST]");
			return NSL_EXIT_USAGE;
		}
	}
	if (geteuid() != 0) {
		nsl_cli_error("down: needs root");
		return NSL_EXIT_FAIL;
	}
	if (arg) {
		if (nsl_cli_lab_arg(arg, true, lab, sizeof(lab)) < 0)
			return NSL_EXIT_FAIL;
		if (check_host(lab, host) < 0)
			return NSL_EXIT_FAIL;
		return down_one(lab, keep);
	}
	if (nsl_cli_labs(&labs, &n) < 0)
		return NSL_EXIT_FAIL;
	if (!all && n == 0)
		nsl_cli_info("no lab is up; nothing to do");
	if (!all && n > 1) {
		nsl_cli_error("down: %zu labs are up: name one, or use --all", n);
		nsl_strv_free(labs, n);
		return NSL_EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		ret |= check_host(labs[i], host) < 0 ? NSL_EXIT_FAIL : down_one(labs[i], keep);
	nsl_strv_free(labs, n);
	return ret;
}
