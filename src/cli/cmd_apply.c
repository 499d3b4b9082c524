/* nslab apply TOPO [--name LAB] [--dry-run] [--recreate] [--from OLD] */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/change.h"
#include "engine/lab.h"
#include "model/diff.h"
#include "model/doc.h"

/* Why a lab of that name is not up: another lab runs this very file (its name changed). */
static void not_up(const struct nsl_topology *to, const char *file, const char *lab)
{
	_cleanup_free_ char *abs = realpath(file, NULL);
	char **labs = NULL;
	size_t n = 0;

	if (abs && nsl_cli_labs(&labs, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			struct nsl_lab l;
			struct nsl_err e;
			if (nsl_lab_open(labs[i], false, &l, &e) < 0)
				continue;
			bool same = l.topology && !strcmp(l.topology, abs);
			nsl_lab_close(&l);
			if (!same)
				continue;
			struct nsl_diags d = {.file = file};
			unsigned line = 0, col = 0;
			nsl_doc_where(nsl_doc_locate(to->doc, "name"), false, &line, &col);
			nsl_diags_add_at(
			    &d, line, col, "name",
			    "lab %s runs this file under its old name: a lab's name cannot "
			    "change in place (nslab down %s, then nslab up)",
			    labs[i], labs[i]);
			nsl_cli_diags(&d);
			nsl_diags_clear(&d);
			nsl_strv_free(labs, n);
			return;
		}
	nsl_strv_free(labs, n);
	nsl_cli_error("apply %s: lab %s is not up (nslab up %s)", file, lab, file);
}

static int dry_run(const struct nsl_topology *from, const struct nsl_topology *to, const char *lab,
                   bool recreate)
{
	struct nsl_diff_opts o = {.recreate = recreate};
	struct nsl_diags d = {.file = to->file};
	struct nsl_diff diff;
	int rc = nsl_diff_build(from, to, lab, &o, &diff, &d);

	if (rc == -EINVAL) {
		nsl_cli_diags(&d);
		nsl_diags_clear(&d);
		return NSL_EXIT_FAIL;
	}
	nsl_diags_clear(&d);
	if (rc < 0) {
		nsl_cli_error("apply %s: out of memory", lab);
		return NSL_EXIT_FAIL;
	}
	nsl_diff_print(&diff, stdout);
	nsl_diff_free(&diff);
	return NSL_EXIT_OK;
}

int nsl_cmd_apply(int argc, char **argv)
{
	bool plan_only = false, recreate = false;
	const char *file = NULL, *name = NULL, *from_file = NULL, *lab;
	struct nsl_topology *to, *from = NULL;
	struct nsl_cli_progress progress;
	unsigned long steps = 0;
	struct nsl_err err = {0};
	uint64_t t0 = nsl_now_ns();
	int rc;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("apply");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!strncmp(argv[i], "--name=", 7))
			name = argv[i] + 7;
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from_file = argv[++i];
		else if (!strncmp(argv[i], "--from=", 7))
			from_file = argv[i] + 7;
		else if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			plan_only = true;
		else if (!strcmp(argv[i], "--recreate"))
			recreate = true;
		else if (argv[i][0] == '-' || file) {
			nsl_cli_error("apply: unexpected argument '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else
			file = argv[i];
	}
	if (!file || (from_file && !plan_only)) {
		nsl_cli_error(
		    "apply: usage: nslab apply TOPO [--name LAB] [--dry-run [--from OLD]] "
		    "[--recreate]");
		return NSL_EXIT_USAGE;
	}
	if (name && !nsl_name_valid(name)) {
		nsl_cli_error("apply: --name '%s': 1 to 32 characters of [A-Za-z0-9_-], not "
		              "starting with '-'",
		              name);
		return NSL_EXIT_USAGE;
	}
	to = nsl_cli_load(file);
	if (!to)
		return NSL_EXIT_FAIL;
	lab = name ? name : to->name;
	if (!lab || !*lab) {
		nsl_cli_error("apply %s: the lab has no name: add \"name\" or use --name", file);
		nsl_topology_free(to);
		return NSL_EXIT_FAIL;
	}
	if (plan_only) {
		/* against another file (no root), or against what the lab runs */
		if (from_file) {
			from = nsl_cli_load(from_file);
			rc = from ? 0 : -EINVAL;
		} else {
			rc = nsl_change_current(lab, &from, &err);
			if (rc == -ENOENT)
				not_up(to, file, lab);
			else if (rc < 0)
				nsl_cli_error("apply %s: %s", lab, err.msg);
		}
		if (rc == 0)
			rc = dry_run(from, to, lab, recreate);
		else
			rc = NSL_EXIT_FAIL;
		nsl_topology_free(from);
		nsl_topology_free(to);
		return rc;
	}
	if (geteuid() != 0) {
		nsl_cli_error("apply: needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)");
		nsl_topology_free(to);
		return NSL_EXIT_FAIL;
	}
	struct nsl_diags refused = {.file = to->file};
	struct nsl_change_opts o = {.recreate = recreate, .steps = &steps, .refused = &refused};
	struct nsl_change_result res = {0};
	o.progress = nsl_cli_progress_start(&progress, "apply %s", lab);
	rc = nsl_change(to, lab, &o, &res, &err);
	nsl_cli_progress_end(&progress);
	if (getenv("NSLAB_COUNT_STEPS"))
		fprintf(stderr, "nslab: %lu steps\n", steps);
	if (rc == -EINVAL && refused.n) {
		nsl_cli_diags(&refused);
	} else if (rc == -ENOENT) {
		not_up(to, file, lab);
	} else if (rc < 0) {
		char msg[sizeof(err.msg) + 64];
		nsl_fmt(msg, sizeof(msg), "apply %s: %s", lab, err.msg);
		nsl_cli_problem(to->file, NULL, 0, 0, msg);
	} else if (nsl_cli_verbosity() != NSL_QUIET) {
		if (res.nothing)
			printf("lab %s: nothing to change (generation %u)\n", lab, res.generation);
		else
			printf("lab %s changed: nodes %zu added, %zu removed, %zu made again; "
			       "links %zu "
			       "made, %zu removed; %zu operations in %.0f ms (generation %u)\n",
			       lab, res.nodes_added, res.nodes_removed, res.nodes_recreated,
			       res.links_added, res.links_removed, res.ops,
			       (double)(nsl_now_ns() - t0) / 1e6, res.generation);
	}
	nsl_diags_clear(&refused);
	nsl_topology_free(to);
	return rc < 0 ? NSL_EXIT_FAIL : NSL_EXIT_OK;
}
