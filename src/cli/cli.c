/* Helpers shared by the commands, `nslab exec` among them: the program links this file
 * without the engine (src/cli/front.c), so nothing here reads a topology or talks netlink
 * (cli_load.c does). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/lab.h"

void nsl_cli_error(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nsl_cli_problem(NULL, NULL, 0, 0, msg);
}

bool nsl_cli_is_help(const char *arg) { return !strcmp(arg, "--help") || !strcmp(arg, "-h"); }

void nsl_cli_print_usage(const char *usage, const char *summary)
{
	printf("usage: nslab %s\n%s\n", usage, summary);
}

int nsl_cli_lab_name(const char *arg, char *buf, size_t size)
{
	if (!nsl_name_valid(arg)) {
		nsl_cli_error("invalid lab name '%s'", arg);
		return -EINVAL;
	}
	snprintf(buf, size, "%s", arg);
	return 0;
}

int nsl_cli_labs(char ***ret, size_t *ret_n)
{
	struct nsl_err err = {0};
	int rc = nsl_lab_list(ret, ret_n, &err);

	if (rc < 0)
		nsl_cli_error("%s", err.msg);
	return rc;
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

int nsl_cli_end_lab(const char *cmd, char *lab, size_t size, char **specs, size_t n)
{
	char named[NSL_NAME_MAX + 1] = "";

	for (size_t i = 0; i < n; i++) {
		char *colon = strchr(specs[i], ':'), *dot = strchr(specs[i], '.');
		size_t len;
		if (!dot || (colon && dot > colon))
			continue; /* NODE:IF (an interface's name may hold dots) */
		len = (size_t)(dot - specs[i]);
		if (len > NSL_NAME_MAX || len >= size) {
			nsl_cli_error("%s: '%s': no lab has so long a name", cmd, specs[i]);
			return -EINVAL;
		}
		char this[NSL_NAME_MAX + 1];
		memcpy(this, specs[i], len);
		this[len] = 0;
		if (!nsl_name_valid(this) || (named[0] && strcmp(named, this)) ||
		    (lab[0] && strcmp(lab, this))) {
			nsl_cli_error("%s: '%s' names another lab than the others", cmd, specs[i]);
			return -EINVAL;
		}
		snprintf(named, sizeof(named), "%s", this);
		memmove(specs[i], dot + 1, strlen(dot + 1) + 1);
	}
	if (!lab[0] && named[0])
		snprintf(lab, size, "%s", named);
	if (!lab[0])
		return nsl_cli_only_lab(lab, size);
	return 0;
}
