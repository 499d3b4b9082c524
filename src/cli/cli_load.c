/* Command-line helpers that read a topology: the engine's alone (`nslab exec`, which the
 * program runs without the engine, never reads one: see front.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"

/* rootless: -1 no check of whose the lab is, 0 root's, 1 a user's. */
static struct nsl_topology *load(const char *path, int rootless)
{
	struct nsl_diags d = {.file = path};
	struct nsl_topology *t = NULL;

	if (nsl_topology_load(path, &t, &d) < 0 || nsl_topology_validate(t, &d) < 0 ||
	    (rootless >= 0 && nsl_topology_check_for(t, rootless, &d) < 0)) {
		nsl_cli_diags(&d);
		nsl_diags_clear(&d);
		nsl_topology_free(t);
		return NULL;
	}
	nsl_diags_clear(&d);
	return t;
}

struct nsl_topology *nsl_cli_load(const char *path) { return load(path, -1); }

struct nsl_topology *nsl_cli_load_lab(const char *path, bool rootless)
{
	return load(path, rootless);
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
	return nsl_cli_lab_name(arg, buf, size);
}
