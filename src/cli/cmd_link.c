/* nslab link [-l LAB] NODE:IF down|up: a link down as when its cable is pulled out (NODE:IF
 * set down, the other end loses its carrier), and back up. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/runtime.h"

int nsl_cmd_link(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1] = "";
	char *spec = NULL;
	const char *state = NULL;
	struct nsl_err err = {0};
	struct nsl_lab_rt l;
	struct nsl_end_ref e;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("link");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) {
			if (++i >= argc) {
				nsl_cli_error("link: %s needs a lab", argv[i - 1]);
				return NSL_EXIT_USAGE;
			}
			if (nsl_cli_lab_arg(argv[i], false, lab, sizeof(lab)) < 0)
				return NSL_EXIT_USAGE;
		} else if (!strncmp(argv[i], "--lab=", 6)) {
			if (nsl_cli_lab_arg(argv[i] + 6, false, lab, sizeof(lab)) < 0)
				return NSL_EXIT_USAGE;
		} else if (argv[i][0] == '-') {
			nsl_cli_error("link: unknown option '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else if (!spec) {
			spec = argv[i];
		} else if (!state) {
			state = argv[i];
		} else {
			nsl_cli_error("link: unexpected argument '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		}
	}
	if (!spec || !state || (strcmp(state, "down") && strcmp(state, "up"))) {
		nsl_cli_error("link: usage: nslab link [-l LAB] NODE:IF down|up");
		return NSL_EXIT_USAGE;
	}
	if (nsl_cli_end_lab("link", lab, sizeof(lab), &spec, 1) < 0)
		return NSL_EXIT_FAIL;
	rc = nsl_lab_rt_open(lab, &l, &err);
	if (rc < 0) {
		nsl_cli_error("link: %s", err.msg);
		return NSL_EXIT_FAIL;
	}
	rc = nsl_lab_end(&l, spec, &e, &err);
	if (rc == 0)
		rc = nsl_lab_link_set(&l, &e, !strcmp(state, "up"), &err);
	if (rc == 0) {
		struct nsl_end_ref peer;
		char a[2 * NSL_NAME_MAX + 8], b[2 * NSL_NAME_MAX + 8];
		nsl_end_peer(&l, &e, &peer);
		nsl_cli_note("link %s - %s of lab %s: %s", nsl_end_name(&l, &e, a, sizeof(a)),
		             nsl_end_name(&l, &peer, b, sizeof(b)), lab,
		             strcmp(state, "up")
		                 ? "down (the first end set down, the other without "
		                   "its carrier)"
		                 : "up, both ends running");
	}
	nsl_lab_rt_close(&l);
	if (rc < 0) {
		nsl_cli_error("link %s %s: %s", spec, state, err.msg);
		return NSL_EXIT_FAIL;
	}
	return NSL_EXIT_OK;
}
