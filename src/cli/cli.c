/* Helpers shared by the commands. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/status.h"

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

struct nsl_topology *nsl_cli_load(const char *path)
{
	struct nsl_diags d = {.file = path};
	struct nsl_topology *t = NULL;

	if (nsl_topology_load(path, &t, &d) < 0 || nsl_topology_validate(t, &d) < 0) {
		nsl_cli_diags(&d);
		nsl_diags_clear(&d);
		nsl_topology_free(t);
		return NULL;
	}
	nsl_diags_clear(&d);
	return t;
}

static void host_names(const struct nsl_topology *t, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	for (size_t h = 0; h < t->n_hosts && (len = strlen(buf)) + 4 < size; h++)
		snprintf(buf + len, size - len, "%s%s", h ? ", " : "", t->hosts[h].name);
}

int nsl_cli_part(struct nsl_topology *t, const char *opt, const char *lab, const char *cmd)
{
	const char *name = opt, *how = "--host";
	char list[512], host[256] = "";
	int h = -1;

	if (!t->n_hosts) {
		if (!opt)
			return 0;
		nsl_cli_error("%s %s: --host %s: the topology has no \"hosts\" (it is built on "
		              "one machine)",
		              cmd, t->file, opt);
		return -EINVAL;
	}
	host_names(t, list, sizeof(list));
	if (!name && getenv("NSLAB_HOST") && getenv("NSLAB_HOST")[0]) {
		name = getenv("NSLAB_HOST");
		how = "NSLAB_HOST";
	}
	if (name) {
		h = nsl_topology_host(t, name);
		if (h < 0) {
			nsl_cli_error("%s %s: %s %s: no such host in the file (hosts: %s)", cmd,
			              t->file, how, name, list);
			return -EINVAL;
		}
	} else if (t->n_hosts == 1) {
		h = 0;
	} else if (gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		h = nsl_topology_host(t, host);
		char *dot = strchr(host, '.');
		if (h < 0 && dot) {
			*dot = '\0';
			h = nsl_topology_host(t, host);
		}
	}
	if (h < 0) {
		nsl_cli_error("%s %s: the lab spans hosts %s: say which part this machine builds "
		              "with --host (or NSLAB_HOST; or name the host after this machine, "
		              "\"%s\")",
		              cmd, t->file, list, host);
		return -EINVAL;
	}
	if (nsl_topology_part(t, h, lab ? lab : "") < 0) {
		nsl_cli_error("%s: out of memory", cmd);
		return -EINVAL;
	}
	return 0;
}

bool nsl_cli_host_option(int argc, char **argv, int *i, const char **ret)
{
	if (!strcmp(argv[*i], "--host") && *i + 1 < argc) {
		*ret = argv[++*i];
		return true;
	}
	if (!strncmp(argv[*i], "--host=", 7)) {
		*ret = argv[*i] + 7;
		return true;
	}
	return false;
}

int nsl_cli_lab_arg(const char *arg, bool file_ok, char *buf, size_t size)
{
	if (file_ok && (strchr(arg, '/') || nsl_topology_file_name(arg))) {
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

int nsl_cli_labs(char ***ret, size_t *ret_n)
{
	struct nsl_err err = {0};
	int rc = nsl_status_labs(ret, ret_n, &err);

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
