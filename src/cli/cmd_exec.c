/* nslab exec [-l LAB] NODE|LAB.NODE [--] CMD [ARG...] */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/exec.h"

#define EXIT_NSLAB NSL_EXIT_EXEC_NSLAB

/* "demo.h1": a lab and a node (node names have no dots). */
static bool split_lab_node(const char *arg, char *lab, size_t size, const char **node)
{
	const char *dot = strchr(arg, '.');

	if (!dot || (size_t)(dot - arg) >= size)
		return false;
	memcpy(lab, arg, (size_t)(dot - arg));
	lab[dot - arg] = 0;
	if (!nsl_name_valid(lab) || !nsl_name_valid(dot + 1))
		return false;
	*node = dot + 1;
	return true;
}

int nsl_cmd_exec(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1] = "", cwd[4096];
	struct nsl_node_ref ref;
	struct nsl_err err = {0};
	const char *node = NULL;
	int i = 1, rc;

	/* Options come before NODE; everything after NODE is the command's, its options too. */
	for (; i < argc && !node; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_print_usage(NSL_EXEC_USAGE, NSL_EXEC_SUMMARY);
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) {
			if (++i >= argc)
				break;
			if (nsl_cli_lab_name(argv[i], lab, sizeof(lab)) < 0)
				return EXIT_NSLAB;
		} else if (!strncmp(argv[i], "--lab=", 6)) {
			if (nsl_cli_lab_name(argv[i] + 6, lab, sizeof(lab)) < 0)
				return EXIT_NSLAB;
		} else if (nsl_cli_common_opt(argv[i])) {
			continue; /* -q, -v: nslab's own, before NODE only */
		} else if (argv[i][0] == '-') {
			nsl_cli_error("exec: unknown option '%s'", argv[i]);
			return EXIT_NSLAB;
		} else {
			node = argv[i];
		}
	}
	if (node && i < argc && !strcmp(argv[i], "--"))
		i++;
	if (!node || i >= argc) {
		nsl_cli_error("exec: usage: nslab " NSL_EXEC_USAGE);
		return EXIT_NSLAB;
	}
	if (!lab[0] && strchr(node, '.')) {
		const char *n;
		if (!split_lab_node(node, lab, sizeof(lab), &n)) {
			nsl_cli_error("exec: '%s' is neither a node nor LAB.NODE", node);
			return EXIT_NSLAB;
		}
		node = n;
	}
	if (!lab[0] && nsl_cli_only_lab(lab, sizeof(lab)) < 0)
		return EXIT_NSLAB;
	rc = nsl_node_find(lab, node, &ref, &err);
	if (rc < 0) {
		nsl_cli_error("exec: %s", err.msg);
		return EXIT_NSLAB;
	}
	nsl_cli_note("exec in %s.%s (holder %d): %s", lab, node, (int)ref.pid, argv[i]);
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
