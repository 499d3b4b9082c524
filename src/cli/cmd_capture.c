/* nslab capture [-l LAB] NODE:IF... [-w FILE|DIR|-] [-c N] [-p] [--] [FILTER...]
 * Packets of interfaces of nodes, into pcap files: one interface writes FILE (or standard
 * output with -w -), several write DIR/NODE.IF.pcap each; without -w, NODE.IF.pcap in the
 * current directory. The filter is the rest of the command line, as tcpdump takes it. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/capture.h"

#define MAX_IFACES 64

static void help(void)
{
	nsl_cli_usage("capture");
	printf("\n  NODE:IF    an interface of a node (any, not only link ends), or host:IF for a\n"
	       "             host end of the lab; LAB.NODE:IF names the lab too\n"
	       "  -w FILE    one interface: write FILE (- for standard output, e.g. to\n"
	       "             wireshark -k -i -); several: -w DIR writes DIR/NODE.IF.pcap each;\n"
	       "             default: NODE.IF.pcap in the current directory\n"
	       "  -c N       stop each interface after N packets\n"
	       "  -p         do not put the interfaces into promiscuous mode\n"
	       "  FILTER     a BPF filter as tcpdump takes it (\"icmp\", \"tcp port 80\")\n"
	       "Ctrl-C (SIGINT, SIGTERM, SIGHUP) stops, the files complete; a node that goes down\n"
	       "ends its captures.\n");
}

/* [LAB.]NODE:IF, as opposed to the first word of a filter. */
static bool is_end(const char *s)
{
	const char *colon = strchr(s, ':'), *dot = strchr(s, '.');
	char node[NSL_NAME_MAX + 1];
	const char *start = dot && dot < colon ? dot + 1 : s;

	if (!colon || colon == start || (size_t)(colon - start) > NSL_NAME_MAX)
		return false;
	memcpy(node, start, (size_t)(colon - start));
	node[colon - start] = 0;
	return (nsl_name_valid(node) || !strcmp(node, NSL_HOST_NODE)) &&
	       nsl_ifname_valid(colon + 1);
}

static void started(const struct nsl_capture *c, size_t n, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		fprintf(stderr,
		        "listening on %s, link-type %s, snapshot length 262144 bytes, into %s\n",
		        c[i].spec, c[i].link_type,
		        !strcmp(c[i].path, "-") ? "standard output" : c[i].path);
	fflush(stderr);
}

/* The file of each capture (see the top). */
static int paths(const char *w, struct nsl_capture *c, size_t n, char **owned)
{
	struct stat st;
	bool dir = false;

	if (w && !strcmp(w, "-")) {
		if (n != 1) {
			nsl_cli_error("capture: -w - (standard output) takes one interface");
			return -EINVAL;
		}
		if (isatty(STDOUT_FILENO)) {
			nsl_cli_error(
			    "capture: not writing pcap to a terminal: pipe it, or -w FILE");
			return -EINVAL;
		}
		c[0].path = "-";
		return 0;
	}
	if (w) {
		size_t len = strlen(w);
		dir = (stat(w, &st) == 0 && S_ISDIR(st.st_mode)) || (len && w[len - 1] == '/');
		if (dir && mkdir(w, 0755) < 0 && errno != EEXIST) {
			nsl_cli_error("capture: %s: %m", w);
			return -errno;
		}
		if (!dir && n > 1) {
			nsl_cli_error(
			    "capture: %zu interfaces write a file each: -w names a directory", n);
			return -EINVAL;
		}
		if (!dir) {
			c[0].path = w;
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char *colon = strchr(c[i].spec, ':');
		/* NODE.IF.pcap: node names have no dots, so the first one splits it */
		if (asprintf(&owned[i], "%s%s%.*s.%s.pcap", w ? w : "",
		             w && w[strlen(w) - 1] != '/' ? "/" : "", (int)(colon - c[i].spec),
		             c[i].spec, colon + 1) < 0) {
			owned[i] = NULL;
			nsl_cli_error("capture: out of memory");
			return -ENOMEM;
		}
		c[i].path = owned[i];
	}
	return 0;
}

int nsl_cmd_capture(int argc, char **argv)
{
	char lab[NSL_NAME_MAX + 1] = "";
	char *specs[MAX_IFACES], *owned[MAX_IFACES] = {0}, *filter = NULL;
	struct nsl_capture c[MAX_IFACES];
	struct nsl_capture_opts o = {.promisc = true, .started = started};
	struct nsl_err err = {0};
	const char *w = NULL;
	size_t n = 0, flen = 0;
	bool in_filter = false;
	int ret = NSL_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!in_filter && nsl_cli_is_help(a)) {
			help();
			return NSL_EXIT_OK;
		} else if (!in_filter && (!strcmp(a, "-l") || !strcmp(a, "--lab") ||
		                          !strcmp(a, "-w") || !strcmp(a, "-c"))) {
			if (++i >= argc) {
				nsl_cli_error("capture: %s needs a value", a);
				return NSL_EXIT_USAGE;
			}
			if (a[1] == 'w') {
				w = argv[i];
			} else if (a[1] == 'c') {
				uint64_t v;
				if (!nsl_parse_u64(argv[i], UINT32_MAX, &v) || !v) {
					nsl_cli_error(
					    "capture: -c '%s': a count of packets, 1 or more",
					    argv[i]);
					return NSL_EXIT_USAGE;
				}
				o.count = (unsigned long)v;
			} else if (nsl_cli_lab_arg(argv[i], false, lab, sizeof(lab)) < 0) {
				return NSL_EXIT_USAGE;
			}
		} else if (!in_filter && !strcmp(a, "-p")) {
			o.promisc = false;
		} else if (!in_filter && !strcmp(a, "--")) {
			in_filter = true;
		} else if (!in_filter && a[0] == '-') {
			nsl_cli_error("capture: unknown option '%s'", a);
			return NSL_EXIT_USAGE;
		} else if (!in_filter && is_end(a)) {
			if (n == MAX_IFACES) {
				nsl_cli_error("capture: at most %d interfaces at once", MAX_IFACES);
				return NSL_EXIT_USAGE;
			}
			specs[n++] = argv[i];
		} else {
			/* the filter: the rest, joined by blanks, as tcpdump does */
			size_t len = strlen(a);
			char *nf = realloc(filter, flen + len + 2);
			if (!nf) {
				free(filter);
				nsl_cli_error("capture: out of memory");
				return NSL_EXIT_FAIL;
			}
			filter = nf;
			if (flen)
				filter[flen++] = ' ';
			memcpy(filter + flen, a, len + 1);
			flen += len;
			in_filter = true;
		}
	}
	o.filter = filter;
	if (!n) {
		nsl_cli_error(
		    "capture: usage: nslab capture [-l LAB] NODE:IF... [-w FILE|DIR|-] [-c "
		    "N] [-p] [FILTER]");
		free(filter);
		return NSL_EXIT_USAGE;
	}
	if (nsl_cli_end_lab("capture", lab, sizeof(lab), specs, n) < 0) {
		free(filter);
		return NSL_EXIT_FAIL;
	}
	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < n; i++)
		c[i].spec = specs[i];
	if (paths(w, c, n, owned) < 0) {
		ret = NSL_EXIT_USAGE;
	} else if (nsl_capture_run(lab, c, n, &o, &err) < 0) {
		nsl_cli_error("capture: %s", err.msg);
		ret = NSL_EXIT_FAIL;
	} else {
		for (size_t i = 0; i < n; i++) {
			nsl_cli_info("%s: %lu packet%s captured, %u dropped by the kernel%s%s",
			             c[i].spec, c[i].packets, c[i].packets == 1 ? "" : "s",
			             c[i].dropped, c[i].end ? "; " : "", c[i].end ? c[i].end : "");
		}
	}
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
	free(filter);
	return ret;
}
