/* nslab test [LAB|TOPO] [--name LAB] [--junit FILE] [--json] [-j N]: the checks of a
 * topology against its lab, TAP on stdout (or JSON), JUnit into a file.
 * nslab wait [--interval D] [--timeout D] LAB NODE|LAB.NODE [--] CMD...: a command re-run in a
 * node until it exits 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/report.h"
#include "engine/fault.h"
#include "engine/test.h"

#define JOBS_DEFAULT 32

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	nsl_interrupted = sig;
}

void nsl_cli_catch_signals(bool on)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = on ? on_signal : SIG_DFL};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	if (on) {
		got_signal = 0;
		nsl_interrupted = 0;
	}
}

/* ---- test ---- */

struct stream {
	struct nsl_report *r;
	bool tap;
	bool *decided;
	size_t next; /* the first result not printed yet */
};

/* TAP results go out in the file's order, each as soon as those before it are decided. */
static void on_done(void *arg, size_t i)
{
	struct stream *s = arg;

	s->decided[i] = true;
	while (s->tap && s->next < s->r->n && s->decided[s->next])
		nsl_tap_result(stdout, s->r, s->next++);
}

int nsl_cli_test(const struct nsl_topology *t, const char *lab, const char *topo,
                 const struct nsl_test_opts *o)
{
	struct nsl_test x;
	struct nsl_err err = {0};
	struct nsl_report r = {.lab = lab, .topology = topo, .t = t};
	_cleanup_free_ bool *decided = NULL;
	struct stream s = {.r = &r, .tap = !o->json};
	size_t passed, failed, errors;
	FILE *junit = NULL;
	int rc;

	if (o->junit) {
		junit = fopen(o->junit, "we");
		if (!junit) {
			nsl_cli_error("test: %s: %m", o->junit);
			return NSL_EXIT_NSLAB;
		}
	}
	rc = nsl_test_prepare(t, lab, &x, &err);
	if (rc < 0) {
		nsl_cli_error("test %s: %s", lab, err.msg);
		if (s.tap)
			nsl_tap_bail_out(stdout, err.msg);
		if (junit)
			fclose(junit);
		return NSL_EXIT_NSLAB;
	}
	decided = calloc(x.n + 1, sizeof(*decided));
	if (!decided) {
		nsl_test_free(&x);
		if (junit)
			fclose(junit);
		nsl_cli_error("test: out of memory");
		return NSL_EXIT_NSLAB;
	}
	s.decided = decided;
	r.probes = x.probes;
	r.n = x.n;
	r.started = time(NULL);
	r.begin_ns = nsl_now_ns();
	if (s.tap) {
		nsl_tap_begin(stdout, x.n);
		if (!x.n)
			printf("# the topology has no tests\n");
	}
	rc = nsl_test_run(&x, o->jobs ? o->jobs : JOBS_DEFAULT, on_done, &s, &err);
	r.end_ns = nsl_now_ns();
	if (rc < 0 && rc != -EINTR)
		nsl_cli_error("test %s: %s", lab, err.msg);
	/* what an interruption left undecided was reported as errors by then */
	while (s.tap && s.next < r.n && decided[s.next])
		nsl_tap_result(stdout, &r, s.next++);
	if (s.tap)
		nsl_tap_end(stdout, &r);
	else if (nsl_json_write(stdout, &r) < 0)
		nsl_cli_error("test: writing JSON failed");
	if (junit) {
		if (nsl_junit_write(junit, &r) < 0)
			nsl_cli_error("test: writing %s failed", o->junit);
		fclose(junit);
	}
	nsl_report_counts(&r, &passed, &failed, &errors);
	fprintf(stderr, "nslab: lab %s: %zu check%s, %zu passed, %zu failed, %zu errors (%.2f s)\n",
	        lab, r.n, r.n == 1 ? "" : "s", passed, failed, errors,
	        (double)(r.end_ns - r.begin_ns) / 1e9);
	nsl_test_free(&x);
	if (rc == -EINTR && got_signal)
		return 128 + got_signal;
	if (rc < 0 && rc != -EINTR)
		return NSL_EXIT_NSLAB;
	return passed == r.n ? NSL_EXIT_OK : NSL_EXIT_FAIL;
}

/* A topology from its text (path names it in messages). */
static struct nsl_topology *load_text(const char *path, const char *text, size_t len)
{
	struct nsl_diags d = {.file = path};
	struct nsl_topology *t = NULL;

	if (nsl_topology_parse(path, text, len, &t, &d) < 0 || nsl_topology_validate(t, &d) < 0) {
		nsl_diags_print(&d, stderr);
		nsl_diags_clear(&d);
		nsl_topology_free(t);
		return NULL;
	}
	nsl_diags_clear(&d);
	return t;
}

/* A lab over several hosts: the checks of the part built here (the lab says which), of the
 * nodes of this machine. */
static int part_of_lab(struct nsl_topology *t, const char *lab, const char *host)
{
	char h[NSL_NAME_MAX + 1] = "";
	struct nsl_err err = {0};
	struct nsl_lab l;

	if (!t->n_hosts)
		return 0;
	if (host)
		nsl_fmt(h, sizeof(h), "%s", host);
	else if (nsl_lab_open(lab, false, &l, &err) == 0) {
		nsl_fmt(h, sizeof(h), "%s", l.host);
		nsl_lab_close(&l);
	}
	return nsl_cli_part(t, h[0] ? h : NULL, lab, "test");
}

/* -j N */
static bool parse_jobs(const char *s, unsigned *ret)
{
	uint64_t v;

	if (!nsl_parse_u64(s, 4096, &v) || !v)
		return false;
	*ret = (unsigned)v;
	return true;
}

bool nsl_cli_test_option(int argc, char **argv, int *i, struct nsl_test_opts *o, bool *bad)
{
	const char *a = argv[*i];

	*bad = false;
	if (!strcmp(a, "--json")) {
		o->json = true;
	} else if (!strcmp(a, "--junit") || !strcmp(a, "-j") || !strcmp(a, "--jobs")) {
		if (*i + 1 >= argc) {
			nsl_cli_error("%s needs a value", a);
			*bad = true;
			return true;
		}
		const char *v = argv[++*i];
		if (!strcmp(a, "--junit"))
			o->junit = v;
		else if (!parse_jobs(v, &o->jobs)) {
			nsl_cli_error("%s: '%s' is no number from 1 to 4096", a, v);
			*bad = true;
		}
	} else if (!strncmp(a, "--junit=", 8)) {
		o->junit = a + 8;
	} else if (!strncmp(a, "--jobs=", 7)) {
		if (!parse_jobs(a + 7, &o->jobs)) {
			nsl_cli_error("--jobs: '%s' is no number from 1 to 4096", a + 7);
			*bad = true;
		}
	} else {
		return false;
	}
	return true;
}

int nsl_cmd_test(int argc, char **argv)
{
	struct nsl_test_opts o = {0};
	const char *arg = NULL, *name = NULL;
	char lab[NSL_NAME_MAX + 1] = "";
	_cleanup_free_ char *path = NULL;
	struct nsl_topology *t;
	bool bad;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("test");
			return NSL_EXIT_OK;
		} else if (nsl_cli_test_option(argc, argv, &i, &o, &bad)) {
			if (bad)
				return NSL_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strncmp(argv[i], "--name=", 7)) {
			name = argv[i] + 7;
		} else if (argv[i][0] == '-' || arg) {
			nsl_cli_error("test: unexpected argument '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else {
			arg = argv[i];
		}
	}
	if (name && !nsl_name_valid(name)) {
		nsl_cli_error("test: --name '%s': 1 to 32 characters of [A-Za-z0-9_-], not "
		              "starting with '-'",
		              name);
		return NSL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		nsl_cli_error("test: needs root (it runs in the lab's namespaces)");
		return NSL_EXIT_NSLAB;
	}
	if (arg && (strchr(arg, '/') || nsl_topology_file_name(arg))) {
		/* a topology: its checks, against its lab (or --name's) */
		path = strdup(arg);
		t = path ? nsl_cli_load(path) : NULL;
		if (!t)
			return NSL_EXIT_NSLAB;
		nsl_fmt(lab, sizeof(lab), "%s", name ? name : t->name);
		if (!lab[0]) {
			nsl_cli_error("test %s: the lab has no name: add \"name\" or use --name",
			              arg);
			nsl_topology_free(t);
			return NSL_EXIT_USAGE;
		}
		if (part_of_lab(t, lab, NULL) < 0) {
			nsl_topology_free(t);
			return NSL_EXIT_NSLAB;
		}
	} else {
		struct nsl_lab l;
		struct nsl_err err = {0};
		if (name) {
			nsl_cli_error("test: --name goes with a topology file");
			return NSL_EXIT_USAGE;
		}
		if (arg && nsl_cli_lab_arg(arg, false, lab, sizeof(lab)) < 0)
			return NSL_EXIT_USAGE;
		if (!arg && nsl_cli_only_lab(lab, sizeof(lab)) < 0)
			return NSL_EXIT_NSLAB;
		/* a lab: the checks of the file it was built from */
		if (nsl_lab_open(lab, true, &l, &err) < 0) {
			nsl_cli_error("test: %s", err.msg);
			nsl_tap_bail_out(stdout, err.msg);
			return NSL_EXIT_NSLAB;
		}
		path = l.topology && l.topology[0] ? strdup(l.topology) : NULL;
		if (!path) {
			nsl_lab_close(&l);
			nsl_cli_error("test: lab %s does not say which file it was built from",
			              lab);
			return NSL_EXIT_NSLAB;
		}
		/* the text the lab was built from, kept with it; else the file as it is now */
		t = l.text ? load_text(path, l.text, l.text_len) : nsl_cli_load(path);
		if (t && part_of_lab(t, lab, l.host) < 0) {
			nsl_topology_free(t);
			t = NULL;
		}
		nsl_lab_close(&l);
		if (!t)
			return NSL_EXIT_NSLAB;
	}
	nsl_cli_catch_signals(true);
	rc = nsl_cli_test(t, lab, path, &o);
	nsl_cli_catch_signals(false);
	nsl_topology_free(t);
	return rc;
}

/* ---- wait ---- */

static bool duration_arg(const char *opt, const char *v, uint32_t *ret)
{
	uint64_t ms;

	if (!nsl_duration_parse(v, &ms) || !ms || ms > NSL_DURATION_MAX_MS) {
		nsl_cli_error("wait: %s '%s': a duration from 1ms to 1h (\"100ms\", \"30s\")", opt,
		              v);
		return false;
	}
	*ret = (uint32_t)ms;
	return true;
}

int nsl_cmd_wait(int argc, char **argv)
{
	uint32_t interval = NSL_READY_INTERVAL_MS, timeout = NSL_READY_TIMEOUT_MS;
	char lab[NSL_NAME_MAX + 1], node[NSL_NAME_MAX + 1];
	struct nsl_err err = {0};
	struct nsl_probe p;
	bool quiet = false;
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (nsl_cli_is_help(a)) {
			nsl_cli_usage("wait");
			return NSL_EXIT_OK;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = true;
			(void)nsl_cli_common_opt(a);
		} else if (nsl_cli_common_opt(a)) {
			continue; /* -v: ours, before CMD only */
		} else if ((!strcmp(a, "--interval") || !strcmp(a, "--timeout")) && v) {
			if (!duration_arg(a, v, a[2] == 'i' ? &interval : &timeout))
				return NSL_EXIT_USAGE;
			i++;
		} else if (!strncmp(a, "--interval=", 11)) {
			if (!duration_arg("--interval", a + 11, &interval))
				return NSL_EXIT_USAGE;
		} else if (!strncmp(a, "--timeout=", 10)) {
			if (!duration_arg("--timeout", a + 10, &timeout))
				return NSL_EXIT_USAGE;
		} else {
			nsl_cli_error("wait: unknown option '%s'", a);
			return NSL_EXIT_USAGE;
		}
	}
	/* LAB.NODE, or LAB NODE; then the command */
	if (i < argc && strchr(argv[i], '.')) {
		const char *dot = strchr(argv[i], '.');
		nsl_fmt(lab, sizeof(lab), "%.*s", (int)(dot - argv[i]), argv[i]);
		nsl_fmt(node, sizeof(node), "%s", dot + 1);
		i++;
	} else if (i + 1 < argc) {
		nsl_fmt(lab, sizeof(lab), "%s", argv[i]);
		nsl_fmt(node, sizeof(node), "%s", argv[i + 1]);
		i += 2;
	} else {
		i = argc;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		nsl_cli_error(
		    "wait: usage: nslab wait [--interval D] [--timeout D] LAB NODE|LAB.NODE "
		    "[--] CMD...");
		return NSL_EXIT_USAGE;
	}
	if (!nsl_name_valid(lab) || !nsl_name_valid(node)) {
		nsl_cli_error("wait: '%s' and '%s' are no lab and node names", lab, node);
		return NSL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		nsl_cli_error("wait: needs root");
		return NSL_EXIT_NSLAB;
	}
	nsl_cli_catch_signals(true);
	rc = nsl_wait(lab, node, argv + i, interval, timeout, &p, &err);
	nsl_cli_catch_signals(false);
	if (rc == -EINTR && got_signal)
		return 128 + got_signal;
	if (rc < 0) {
		nsl_cli_error("wait %s.%s: %s", lab, node, err.msg);
		return NSL_EXIT_NSLAB;
	}
	if (p.verdict == NSL_VERDICT_PASS) {
		if (!quiet)
			fprintf(stderr, "nslab: %s.%s ready after %.2f s (%u attempt%s)\n", lab,
			        node, (double)(p.end_ns - p.begin_ns) / 1e9, p.attempts,
			        p.attempts == 1 ? "" : "s");
		rc = NSL_EXIT_OK;
	} else {
		char tail[1024], within[32];
		nsl_text_tail(p.output ? p.output : "", p.output_len, tail, sizeof(tail));
		nsl_ms_str(within, sizeof(within), timeout);
		nsl_cli_error("wait %s.%s: not ready within %s (%u attempt%s): %s%s%s", lab, node,
		              within, p.attempts, p.attempts == 1 ? "" : "s", p.saw,
		              tail[0] ? "; its last output ends with:\n" : "", tail);
		rc = p.verdict == NSL_VERDICT_ERROR ? NSL_EXIT_NSLAB : NSL_EXIT_FAIL;
	}
	nsl_probes_free(&p, 1);
	return rc;
}
