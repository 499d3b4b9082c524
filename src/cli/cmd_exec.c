/* nslab exec [-l LAB] NODE [--] CMD [ARG...] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/exec.h"

#define EXIT_NSLAB 125

int nsl_cmd_exec(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1] = "", cwd[4096];
	struct nsl_node_ref ref;
	struct nsl_err err = {0};
	const char *node = NULL;
	int i = 1, rc;

	for (; i < argc; i++) {
		if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) {
			if (++i >= argc)
				break;
			if (nsl_cli_lab_arg(argv[i], lab, sizeof(lab)) < 0)
				return EXIT_NSLAB;
		} else if (!strncmp(argv[i], "--lab=", 6)) {
			if (nsl_cli_lab_arg(argv[i] + 6, lab, sizeof(lab)) < 0)
				return EXIT_NSLAB;
		} else if (!node && argv[i][0] != '-') {
			node = argv[i];
		} else if (node && !strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (node) {
			break;
		} else {
			nsl_cli_error("exec: unknown option '%s'", argv[i]);
			return EXIT_NSLAB;
		}
	}
	if (!node || i >= argc) {
		nsl_cli_error("exec: usage: nslab exec [-l LAB] NODE [--] CMD [ARG...]");
		return EXIT_NSLAB;
	}
	if (geteuid() != 0) {
		nsl_cli_error("exec: needs root");
		return EXIT_NSLAB;
	}
	if (!lab[0] && nsl_cli_only_lab(lab, sizeof(lab)) < 0)
		return EXIT_NSLAB;
	rc = nsl_node_find(lab, node, &ref, &err);
	if (rc < 0) {
		nsl_cli_error("exec: %s", err.msg);
		return EXIT_NSLAB;
	}
	rc = nsl_node_run(&ref, argv + i, getcwd(cwd, sizeof(cwd)), &err);
	nsl_node_ref_free(&ref);
	if (rc < 0) {
		nsl_cli_error("exec %s: %s", node, err.msg);
		rc = EXIT_NSLAB;
	}
	/* We now live in the node's mount namespace, whose /proc belongs to another PID
	 * namespace: exit handlers that read /proc/self (LeakSanitizer's) would hang. */
	fflush(NULL);
	_exit(rc);
}
