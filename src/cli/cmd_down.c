/* nslab down [LAB | TOPO.json | --all] */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "engine/lab.h"

/* The labs that are up (state directories), for --all and for "the only lab". */
int nsl_cli_labs(char ***ret, size_t *ret_n)
{
	struct nsl_statedir sd;
	struct nsl_err err = {0};
	int rc = nsl_state_root(&sd, &err);

	if (rc == 0)
		rc = nsl_state_list(&sd, ret, ret_n, &err);
	nsl_state_close(&sd);
	if (rc < 0)
		nsl_cli_error("%s", err.msg);
	return rc;
}

/* A lab named on the command line: a name, or a topology file that names it. */
int nsl_cli_lab_arg(const char *arg, char *buf, size_t size)
{
	struct stat st;

	if (strchr(arg, '/') || nsl_topology_file_name(arg) ||
	    (stat(arg, &st) == 0 && S_ISREG(st.st_mode))) {
		struct nsl_topology *t = nsl_cli_load(arg);
		if (!t)
			return -EINVAL;
		if (!t->name[0]) {
			nsl_cli_error("%s: the topology has no \"name\": give the lab's name", arg);
			nsl_topology_free(t);
			return -EINVAL;
		}
		snprintf(buf, size, "%s", t->name);
		nsl_topology_free(t);
		return 0;
	}
	if (!nsl_name_valid(arg)) {
		nsl_cli_error("invalid lab name '%s'", arg);
		return -EINVAL;
	}
	snprintf(buf, size, "%s", arg);
	return 0;
}

static int down_one(const char *lab)
{
	struct nsl_err err = {0};
	int rc = nsl_down(lab, &err);

	if (rc < 0) {
		nsl_cli_error("down %s: %s", lab, err.msg);
		return 1;
	}
	if (rc == 1)
		fprintf(stderr, "nslab: lab %s is not up; nothing to do\n", lab);
	return 0;
}

int nsl_cmd_down(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1];
	char **labs = NULL;
	size_t n = 0;
	int ret = 0;

	if (geteuid() != 0) {
		nsl_cli_error("down: needs root");
		return 1;
	}
	if (argc > 2) {
		nsl_cli_error("down: usage: nslab down [LAB | TOPO.json | --all]");
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "--all")) {
		if (nsl_cli_lab_arg(argv[1], lab, sizeof(lab)) < 0)
			return 1;
		return down_one(lab);
	}
	if (nsl_cli_labs(&labs, &n) < 0)
		return 1;
	if (argc == 1 && n == 0)
		fprintf(stderr, "nslab: no lab is up; nothing to do\n");
	if (argc == 1 && n > 1) {
		nsl_cli_error("down: %zu labs are up: name one, or use --all", n);
		nsl_strv_free(labs, n);
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		ret |= down_one(labs[i]);
	nsl_strv_free(labs, n);
	return ret;
}

int nsl_cli_only_lab(char *buf, size_t size)
{
	char **labs = NULL;
	size_t n = 0;

	if (nsl_cli_labs(&labs, &n) < 0)
		return -EIO;
	if (n != 1) {
		if (n == 0)
			nsl_cli_error("no lab is up");
		else
			nsl_cli_error("%zu labs are up: choose one with -l LAB", n);
		nsl_strv_free(labs, n);
		return -EINVAL;
	}
	snprintf(buf, size, "%s", labs[0]);
	nsl_strv_free(labs, n);
	return 0;
}
