/* nslab down [--keep-fs] [LAB | TOPO | --all] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/down.h"
#include "engine/fault.h"

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
	char **labs = NULL;
	size_t n = 0;
	int ret = 0;
	bool keep = false;

	/* --keep-fs anywhere: the nodes' file systems stay (where is printed) */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--keep-fs")) {
			keep = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			break;
		}
	if (argc == 2 && nsl_cli_is_help(argv[1])) {
		nsl_cli_usage("down");
		return NSL_EXIT_OK;
	}
	if (argc > 2) {
		nsl_cli_error("down: usage: nslab down [--keep-fs] [LAB | TOPO | --all]");
		return NSL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		nsl_cli_error("down: needs root");
		return NSL_EXIT_FAIL;
	}
	if (argc == 2 && strcmp(argv[1], "--all")) {
		if (nsl_cli_lab_arg(argv[1], true, lab, sizeof(lab)) < 0)
			return NSL_EXIT_FAIL;
		return down_one(lab, keep);
	}
	if (nsl_cli_labs(&labs, &n) < 0)
		return NSL_EXIT_FAIL;
	if (argc == 1 && n == 0)
		nsl_cli_info("no lab is up; nothing to do");
	if (argc == 1 && n > 1) {
		nsl_cli_error("down: %zu labs are up: name one, or use --all", n);
		nsl_strv_free(labs, n);
		return NSL_EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		ret |= down_one(labs[i], keep);
	nsl_strv_free(labs, n);
	return ret;
}
