/* nslab status [LAB] [--json]: the labs that are up, read from their state and checked
 * live against the kernel (holder alive, interfaces and addresses in each namespace). */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "engine/lab.h"
#include "kernel/netlink.h"

static cJSON *node_interfaces(const char *netns)
{
	char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4];
	struct nsl_link_info *links = NULL;
	struct nsl_addr_info *addrs = NULL;
	size_t n_links = 0, n_addrs = 0;
	struct nsl_err err;
	struct nsl_nl nl;
	cJSON *arr = cJSON_CreateArray();
	int fd;

	nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !arr)
		goto out;
	if (nsl_nl_open(&nl, fd, &err) < 0)
		goto out;
	if (nsl_nl_link_list(&nl, &links, &n_links, &err) == 0)
		(void)!nsl_nl_addr_list(&nl, 0, &addrs, &n_addrs, &err);
	nsl_nl_close(&nl);
	for (size_t i = 0; i < n_links; i++) {
		cJSON *o = cJSON_CreateObject(), *a;
		char mac[18];
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "name", links[i].name);
		cJSON_AddStringToObject(o, "state", links[i].flags & IFF_UP ? "up" : "down");
		cJSON_AddNumberToObject(o, "mtu", links[i].mtu);
		if (links[i].has_mac) {
			const uint8_t *m = links[i].mac;
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			         m[2], m[3], m[4], m[5]);
			cJSON_AddStringToObject(o, "mac", mac);
		}
		if (links[i].kind[0])
			cJSON_AddStringToObject(o, "kind", links[i].kind);
		a = cJSON_AddArrayToObject(o, "addresses");
		for (size_t k = 0; k < n_addrs; k++) {
			char buf[64];
			if (addrs[k].ifindex != links[i].ifindex || addrs[k].scope == RT_SCOPE_LINK)
				continue;
			cJSON_AddItemToArray(a, cJSON_CreateString(nsl_prefix_str(
			                            &addrs[k].prefix, buf, sizeof(buf))));
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(links);
	free(addrs);
	return arr;
}

static cJSON *lab_status(const char *lab)
{
	struct nsl_statedir sd;
	struct nsl_err err = {0};
	_cleanup_free_ char *text = NULL;
	cJSON *st, *o = cJSON_CreateObject(), *nodes, *it;

	cJSON_AddStringToObject(o, "name", lab);
	if (nsl_state_root(&sd, &err) < 0 || nsl_state_open(&sd, lab, false, &err) < 0 ||
	    nsl_state_read_file(&sd, "state.json", &text, &err) < 0) {
		cJSON_AddStringToObject(o, "state", "building or broken");
		nsl_state_close(&sd);
		return o;
	}
	nsl_state_close(&sd);
	st = cJSON_Parse(text);
	cJSON *topo = cJSON_GetObjectItemCaseSensitive(st, "topology");
	cJSON_AddStringToObject(o, "state", "up");
	if (cJSON_IsString(topo))
		cJSON_AddStringToObject(o, "topology", topo->valuestring);
	nodes = cJSON_AddArrayToObject(o, "nodes");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "nodes"))
	{
		cJSON *n = cJSON_CreateObject();
		cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		cJSON *pid = cJSON_GetObjectItemCaseSensitive(it, "pid");
		cJSON *start = cJSON_GetObjectItemCaseSensitive(it, "start_time");
		cJSON *netns = cJSON_GetObjectItemCaseSensitive(it, "netns");
		cJSON *host = cJSON_GetObjectItemCaseSensitive(it, "hostname");
		uint64_t s = 0;
		if (!cJSON_IsString(name) || !cJSON_IsNumber(pid) || !cJSON_IsString(netns)) {
			cJSON_Delete(n);
			continue;
		}
		cJSON_AddItemToArray(nodes, n);
		cJSON_AddStringToObject(n, "name", name->valuestring);
		cJSON_AddNumberToObject(n, "pid", pid->valueint);
		bool alive = cJSON_IsString(start) &&
		             nsl_parse_u64(start->valuestring, UINT64_MAX, &s) &&
		             nsl_proc_starttime(pid->valueint) == s;
		cJSON_AddBoolToObject(n, "alive", alive);
		cJSON_AddStringToObject(n, "netns", netns->valuestring);
		if (cJSON_IsString(host))
			cJSON_AddStringToObject(n, "hostname", host->valuestring);
		cJSON_AddItemToObject(n, "interfaces", node_interfaces(netns->valuestring));
	}
	cJSON_Delete(st);
	return o;
}

static void print_text(const cJSON *labs)
{
	const cJSON *lab, *node, *f, *a;

	if (!cJSON_GetArraySize(labs))
		printf("no lab is up\n");
	cJSON_ArrayForEach(lab, labs)
	{
		const cJSON *topo = cJSON_GetObjectItemCaseSensitive(lab, "topology");
		printf("lab %s: %s%s%s\n",
		       cJSON_GetObjectItemCaseSensitive(lab, "name")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(lab, "state")->valuestring,
		       cJSON_IsString(topo) ? ", from " : "",
		       cJSON_IsString(topo) ? topo->valuestring : "");
		cJSON_ArrayForEach(node, cJSON_GetObjectItemCaseSensitive(lab, "nodes"))
		{
			printf("  %-16s pid %-7d netns %s%s\n",
			       cJSON_GetObjectItemCaseSensitive(node, "name")->valuestring,
			       cJSON_GetObjectItemCaseSensitive(node, "pid")->valueint,
			       cJSON_GetObjectItemCaseSensitive(node, "netns")->valuestring,
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
				printf("\n");
			}
		}
	}
}

int nsl_cmd_status(int argc, char **argv)
{
	char **labs = NULL, lab[NSL_NAME_MAX + 1];
	size_t n = 0;
	bool json = false;
	const char *only = NULL;
	cJSON *root, *arr;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] != '-' && !only)
			only = argv[i];
		else {
			nsl_cli_error("status: unexpected argument '%s'", argv[i]);
			return 2;
		}
	}
	if (geteuid() != 0) {
		nsl_cli_error("status: needs root (the state is root-only)");
		return 1;
	}
	if (only) {
		if (nsl_cli_lab_arg(only, lab, sizeof(lab)) < 0)
			return 1;
	} else if (nsl_cli_labs(&labs, &n) < 0) {
		return 1;
	}
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "labs");
	if (only) {
		struct nsl_statedir sd;
		struct nsl_err err;
		int rc = nsl_state_root(&sd, &err);
		if (rc == 0)
			rc = nsl_state_open(&sd, lab, false, &err);
		nsl_state_close(&sd);
		if (rc < 0) {
			nsl_cli_error("status: lab %s is not up", lab);
			cJSON_Delete(root);
			return 1;
		}
		cJSON_AddItemToArray(arr, lab_status(lab));
	}
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, lab_status(labs[i]));
	nsl_strv_free(labs, n);
	if (json) {
		char *s = cJSON_Print(root);
		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		print_text(arr);
	}
	cJSON_Delete(root);
	return 0;
}
