/* nslab status [LAB] [--json]: the labs that are up, read from their state and checked
 * live against the kernel (holder alive, interfaces and addresses in each namespace). */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/status.h"

/* Carrier lost, a link nslab took down, what the packets leaving it get. */
static void print_runtime(const cJSON *f)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "impair"), *k;

	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "carrier")) &&
	    !strcmp(cJSON_GetObjectItemCaseSensitive(f, "state")->valuestring, "up"))
		printf("  no-carrier");
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "link")))
		printf("  (link down)");
	if (cJSON_IsObject(v) && cJSON_GetArraySize(v)) {
		printf("  impair");
		cJSON_ArrayForEach(k, v) printf(" %s %s", k->string, k->valuestring);
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "change_pending")))
		printf("  (a change was cut short)");
}

static void print_text(const cJSON *labs)
{
	const cJSON *lab, *node, *f, *a;

	if (!cJSON_GetArraySize(labs))
		printf("no lab is up\n");
	cJSON_ArrayForEach(lab, labs)
	{
		const cJSON *topo = cJSON_GetObjectItemCaseSensitive(lab, "topology");
		const cJSON *host = cJSON_GetObjectItemCaseSensitive(lab, "host");
		printf("lab %s: %s%s%s%s%s\n",
		       cJSON_GetObjectItemCaseSensitive(lab, "name")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(lab, "state")->valuestring,
		       cJSON_IsString(host) ? ", host " : "",
		       cJSON_IsString(host) ? host->valuestring : "",
		       cJSON_IsString(topo) ? ", from " : "",
		       cJSON_IsString(topo) ? topo->valuestring : "");
		cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(lab, "nodes"))
		{
			const cJSON *root = cJSON_GetObjectItemCaseSensitive(node, "root");
			bool own = cJSON_IsString(root) && strcmp(root->valuestring, "host");
			printf("  %-16s %s%s%spid %-7d netns %s%s%s%s\n",
			       cJSON_GetObjectItemCaseSensitive(node, "name")->valuestring,
			       cJSON_IsString(host) ? "host " : "",
			       cJSON_IsString(host) ? host->valuestring : "",
			       cJSON_IsString(host) ? "  " : "",
			       cJSON_GetObjectItemCaseSensitive(node, "pid")->valueint,
			       cJSON_GetObjectItemCaseSensitive(node, "netns")->valuestring,
			       own ? "  root " : "", own ? root->valuestring : "",
			       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(node, "alive"))
			           ? ""
			           : "  (holder gone!)");
			cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(node, "interfaces"))
			{
				printf("    %-15s %-4s",
				       cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring,
				       cJSON_GetObjectItemCaseSensitive(f, "state")->valuestring);
				cJSON_ArrayForEach(a,
				                   cJSON_GetObjectItemCaseSensitive(f, "addresses"))
				    printf(" %s", a->valuestring);
				print_runtime(f);
				printf("\n");
			}
		}
		cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(lab, "elsewhere"))
		    printf("  %-16s host %s  (another machine's part)\n",
		           cJSON_GetObjectItemCaseSensitive(node, "name")->valuestring,
		           cJSON_GetObjectItemCaseSensitive(node, "host")->valuestring);
	}
}

int nsl_cmd_status(int argc, char **argv)
{
	char **labs = NULL, lab[NSL_NAME_MAX + 1];
	size_t n = 0;
	const char *only = NULL;
	struct nsl_err err = {0};
	cJSON *root, *arr;
	int ret = NSL_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("status");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "--json"))
			nsl_cli_json_begin("status");
		else if (argv[i][0] != '-' && !only)
			only = argv[i];
		else {
			nsl_cli_error("status: unexpected argument '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		}
	}
	if (geteuid() != 0) {
		nsl_cli_error("status: needs root (the state is root-only)");
		return NSL_EXIT_FAIL;
	}
	if (only) {
		if (nsl_cli_lab_arg(only, true, lab, sizeof(lab)) < 0)
			return NSL_EXIT_FAIL;
		labs = calloc(1, sizeof(char *));
		if (!labs || !(labs[0] = strdup(lab))) {
			free(labs);
			nsl_cli_error("status: out of memory");
			return NSL_EXIT_FAIL;
		}
		n = 1;
	} else if (nsl_cli_labs(&labs, &n) < 0) {
		return NSL_EXIT_FAIL;
	}
	/* --json: the labs go into the document main.c prints; else into one of our own. */
	root = nsl_cli_json() ? NULL : cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root ? root : nsl_cli_json_doc(), "labs");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = NULL;
		int rc = nsl_status_lab(labs[i], &o, &err);
		if (rc < 0) {
			nsl_cli_error("status %s: %s", labs[i], err.msg);
			ret = NSL_EXIT_FAIL;
		} else if (rc == 0 && only) {
			nsl_cli_error("status: lab %s is not up", labs[i]);
			ret = NSL_EXIT_FAIL;
		} else if (o) {
			cJSON_AddItemToArray(arr, o);
		}
	}
	nsl_strv_free(labs, n);
	/* --quiet: the exit status says it all (0: the lab, or every lab, is up). */
	if (ret == NSL_EXIT_OK && root && nsl_cli_verbosity() != NSL_QUIET)
		print_text(arr);
	cJSON_Delete(root);
	return ret;
}
