/* Completion candidates (see complete.h). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include <fcntl.h>

#include "engine/complete.h"
#include "engine/lab.h"
#include "kernel/netlink.h"
#include "kernel/ns.h"
#include "model/topology.h"
#include "state/labstate.h"
#include "state/statedir.h"

struct strv {
	char **v;
	size_t n, cap;
};

static int push(struct strv *s, const char *str)
{
	char *d = strdup(str);

	if (!d || !nsl_grow(&s->v, &s->cap, s->n, sizeof(*s->v))) {
		free(d);
		return -ENOMEM;
	}
	s->v[s->n++] = d;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, duplicates dropped; hands the array out. */
static int finish(struct strv *s, int rc, char ***ret, size_t *ret_n)
{
	size_t k = 0;

	if (rc < 0) {
		nsl_strv_free(s->v, s->n);
		return rc;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (k && !strcmp(s->v[k - 1], s->v[i]))
			free(s->v[i]);
		else
			s->v[k++] = s->v[i];
	}
	*ret = s->v;
	*ret_n = k;
	return 0;
}

/* Every LAB.NODE under /run/netns whose parts are valid names (lab NULL: any lab). With
 * split, only the part asked for: the lab (lab NULL) or the node. */
static int netns_names(const char *lab, bool lab_part, struct strv *s)
{
	DIR *d = opendir(NSL_NETNS_DIR);
	struct dirent *e;
	int rc = 0;

	while (d && rc == 0 && (e = readdir(d))) {
		char name[256];
		char *dot;
		nsl_fmt(name, sizeof(name), "%s", e->d_name);
		dot = strchr(name, '.');
		if (!dot)
			continue;
		*dot = 0;
		if (!nsl_name_valid(name) || !nsl_name_valid(dot + 1) || (lab && strcmp(lab, name)))
			continue;
		if (lab_part)
			rc = push(s, name);
		else if (lab)
			rc = push(s, dot + 1);
		else
			rc = push(s, e->d_name);
	}
	if (d)
		closedir(d);
	return rc;
}

/* A user's own (rootless) labs' nodes, from their state.json, read without the lab's lock
 * (the file is replaced atomically): "NODE", or "LAB.NODE" when every lab is asked for. */
static int own_nodes(const char *lab, struct strv *s)
{
	struct nsl_statedir sd;
	char **labs = NULL;
	size_t n = 0;
	int rc = 0;

	if (nsl_state_root(&sd, NULL) < 0)
		return 0;
	if (lab) {
		labs = calloc(2, sizeof(char *));
		if (labs && (labs[0] = strdup(lab)))
			n = 1;
	} else if (nsl_state_list(&sd, &labs, &n, NULL) < 0) {
		labs = NULL, n = 0;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char path[NSL_NAME_MAX + 16], buf[65536];
		struct nsl_labstate st;
		ssize_t len;
		int fd;
		if (!nsl_name_valid(labs[i]) ||
		    !nsl_fmt(path, sizeof(path), "%s/state.json", labs[i]) ||
		    (fd = openat(sd.root_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		if (nsl_labstate_parse(buf, &st, NULL) < 0)
			continue;
		for (size_t k = 0; rc == 0 && k < st.n_nodes; k++) {
			char name[2 * NSL_NAME_MAX + 2];
			nsl_fmt(name, sizeof(name), "%s%s%s", lab ? "" : labs[i], lab ? "" : ".",
			        st.nodes[k].name);
			rc = push(s, name);
		}
		nsl_labstate_free(&st);
	}
	nsl_strv_free(labs, n);
	nsl_state_close(&sd);
	return rc;
}

int nsl_complete_labs(char ***ret, size_t *ret_n)
{
	struct strv s = {0};
	struct nsl_err err;
	char **labs = NULL;
	size_t n = 0;
	int rc = 0;

	/* Root: its state. A user: its own labs (rootless), and root's names under /run/netns
	 * (for what it will run with sudo). */
	if (nsl_lab_list(&labs, &n, &err) == 0) {
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = push(&s, labs[i]);
		nsl_strv_free(labs, n);
	}
	if (rc == 0 && geteuid() != 0)
		rc = netns_names(NULL, true, &s);
	return finish(&s, rc, ret, ret_n);
}

int nsl_complete_nodes(const char *lab, char ***ret, size_t *ret_n)
{
	struct strv s = {0};
	int rc = netns_names(lab, false, &s);

	if (rc == 0 && geteuid() != 0)
		rc = own_nodes(lab, &s);
	return finish(&s, rc, ret, ret_n);
}

int nsl_complete_ifaces(const char *lab, char ***ret, size_t *ret_n)
{
	struct strv s = {0};
	char **nodes = NULL;
	size_t n = 0;
	int rc = nsl_complete_nodes(lab, &nodes, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char path[sizeof(NSL_NETNS_DIR) + 2 * NSL_NAME_MAX + 4];
		_cleanup_free_ struct nsl_link_info *links = NULL;
		size_t n_links = 0;
		struct nsl_ns_id id;
		struct nsl_err err;
		struct nsl_nl nl;
		int fd;
		nsl_fmt(path, sizeof(path), NSL_NETNS_DIR "/%s.%s", lab, nodes[i]);
		if (nsl_netns_open_bound(path, &fd, &id) <= 0)
			continue;
		if (nsl_nl_open(&nl, fd, &err) == 0) {
			if (nsl_nl_link_list(&nl, &links, &n_links, &err) < 0)
				n_links = 0;
			nsl_nl_close(&nl);
		}
		close(fd);
		for (size_t l = 0; rc == 0 && l < n_links; l++) {
			char item[NSL_NAME_MAX + NSL_IFNAME_MAX + 2];
			nsl_fmt(item, sizeof(item), "%s:%s", nodes[i], links[l].name);
			rc = push(&s, item);
		}
	}
	nsl_strv_free(nodes, n);
	return finish(&s, rc, ret, ret_n);
}
