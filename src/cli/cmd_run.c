/* nslab run TOPO [--name LAB] [--host HOST] [--test] [--junit FILE] [--json] [-j N] [--] [CMD...]:
 * up, the checks and/or CMD in the host (NSLAB_LAB set), then down, with the first failure's
 * status. The lab goes whatever happens to run: on Ctrl-C, SIGTERM or SIGHUP run tears it down
 * itself; when run dies without a word (kill -9), its reaper does. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "engine/down.h"
#include "engine/fault.h"
#include "engine/reaper.h"
#include "engine/up.h"
#include "kernel/proc.h"
#include "kernel/spawn.h"

static volatile sig_atomic_t got_signal;
static volatile int cmd_pidfd = -1; /* a pidfd: never a PID someone else has now */

/* Signals stop what runs and lead to down. A signal someone sent to run is passed on to CMD
 * (the terminal's reach CMD by themselves: it is in run's process group). */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!got_signal)
		got_signal = sig;
	nsl_interrupted = sig;
	if (cmd_pidfd >= 0 && si->si_code <= 0)
		(void)nsl_pidfd_kill(cmd_pidfd, sig);
}

static void catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSL_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	/* A reader of our output that goes away (| head) must not stop us before down. */
	signal(SIGPIPE, SIG_IGN);
}

static void report(const char *msg) { fprintf(stderr, "nslab: %s\n", msg); }

/* CMD in the host, with the lab's name in its environment; SIGTERM if run dies. */
static int host_cmd(char **argv, const char *lab, const char *topo)
{
	char env_lab[NSL_NAME_MAX + 16], env_topo[4200];
	char *env[] = {env_lab, env_topo, NULL};
	char cwd[4096];
	struct nsl_err err = {0};
	struct nsl_child c;
	int status = 0, rc;

	nsl_fmt(env_lab, sizeof(env_lab), "NSLAB_LAB=%s", lab);
	nsl_fmt(env_topo, sizeof(env_topo), "NSLAB_TOPOLOGY=%s", topo);
	struct nsl_spawn s = {.holder_pidfd = -1,
	                      .argv = argv,
	                      .env = env,
	                      .cwd = getcwd(cwd, sizeof(cwd)),
	                      .fd_in = 0,
	                      .fd_out = 1,
	                      .fd_err = 2,
	                      .parent_death_signal = SIGTERM};
	fflush(NULL);
	rc = nsl_spawn(&s, &c, &err);
	if (rc < 0) {
		nsl_cli_error("run: %s", err.msg);
		return NSL_EXIT_NSLAB;
	}
	cmd_pidfd = c.pidfd;
	/* a signal that came before CMD existed */
	if (got_signal)
		(void)nsl_pidfd_kill(c.pidfd, got_signal);
	while ((rc = nsl_child_wait(&c, -1, &status)) == 0)
		;
	cmd_pidfd = -1;
	if (rc < 0) {
		nsl_child_kill(&c);
		status = NSL_EXIT_NSLAB;
	}
	nsl_child_close(&c);
	return status;
}

static void usage_error(void)
{
	nsl_cli_error("run: usage: nslab run TOPO [--name LAB] [--host HOST] [--test] [--junit "
	              "FILE] [--json] [-j N] [--] [CMD...]");
}

int nsl_cmd_run(int argc, char **argv)
{
	struct nsl_test_opts to = {0};
	struct nsl_reaper reaper = {.fd = -1};
	struct nsl_up_opts uo = {.on_state = nsl_reaper_arm, .arg = &reaper};
	const char *file = NULL, *lab, *host = NULL;
	char **cmd = NULL, topo[4096];
	bool test = false, bad;
	struct nsl_err err = {0};
	struct nsl_topology *t;
	int status = NSL_EXIT_OK, rc, i;
	uint64_t t0 = nsl_now_ns();

	/* Options around TOPO; the first other word (or what follows --) is CMD. */
	for (i = 1; i < argc; i++) {
		if (nsl_cli_is_help(argv[i])) {
			nsl_cli_usage("run");
			return NSL_EXIT_OK;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--test")) {
			test = true;
		} else if (nsl_cli_test_option(argc, argv, &i, &to, &bad)) {
			if (bad)
				return NSL_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			uo.name = argv[++i];
		} else if (!strncmp(argv[i], "--name=", 7)) {
			uo.name = argv[i] + 7;
		} else if (nsl_cli_host_option(argc, argv, &i, &host)) {
			continue;
		} else if (nsl_cli_common_opt(argv[i])) {
			continue; /* -q, -v: ours, before CMD only */
		} else if (argv[i][0] == '-') {
			nsl_cli_error("run: unknown option '%s'", argv[i]);
			return NSL_EXIT_USAGE;
		} else if (!file) {
			file = argv[i];
		} else {
			break;
		}
	}
	if (i < argc)
		cmd = argv + i;
	if (!file) {
		usage_error();
		return NSL_EXIT_USAGE;
	}
	if ((to.junit || to.json) && !test) {
		nsl_cli_error("run: --junit and --json report checks: add --test");
		return NSL_EXIT_USAGE;
	}
	if (uo.name && !nsl_name_valid(uo.name)) {
		nsl_cli_error("run: --name '%s': 1 to 32 characters of [A-Za-z0-9_-], not "
		              "starting with '-'",
		              uo.name);
		return NSL_EXIT_USAGE;
	}
	/* A user other than root runs a rootless lab: what needs the host is refused now. */
	t = nsl_cli_load_lab(file, geteuid() != 0);
	if (!t)
		return NSL_EXIT_FAIL;
	lab = uo.name ? uo.name : t->name;
	if (!lab[0]) {
		nsl_cli_error("run %s: the lab has no name: add \"name\" or use --name", file);
		nsl_topology_free(t);
		return NSL_EXIT_USAGE;
	}
	if (nsl_cli_part(t, host, lab, "run") < 0) {
		nsl_topology_free(t);
		return NSL_EXIT_FAIL;
	}
	if (!realpath(file, topo))
		nsl_fmt(topo, sizeof(topo), "%s", file);
	catch_signals();
	nsl_interrupted = 0;
	/* From here on, whatever happens to run, the lab goes. */
	if (nsl_reaper_start(lab, report, &reaper, &err) < 0) {
		nsl_cli_error("run %s: %s", lab, err.msg);
		nsl_topology_free(t);
		return NSL_EXIT_NSLAB;
	}
	/* The holders keep the reaper's pipe until committed: if run dies before, the reaper
	 * acts once they are gone too (those the journal does not know yet die of run's death,
	 * but not at once). */
	uo.witness_fd = reaper.fd;
	if (!got_signal)
		rc = nsl_up(t, &uo, &err);
	else
		rc = nsl_err_set(&err, EINTR, "interrupted");
	if (!got_signal && nsl_interrupted)
		got_signal = nsl_interrupted; /* came during up, through up's own handler */
	if (rc < 0) {
		/* up rolled back: nothing of the lab is left, or it was never ours */
		nsl_cli_error("up %s: %s", lab, err.msg);
		nsl_reaper_disarm(&reaper);
		nsl_topology_free(t);
		return got_signal ? 128 + got_signal : NSL_EXIT_FAIL;
	}
	fprintf(stderr, "nslab: lab %s up: %zu nodes, %zu links in %.0f ms\n", lab, t->n_nodes,
	        t->n_links, (double)(nsl_now_ns() - t0) / 1e6);
	if (test && !got_signal)
		status = nsl_cli_test(t, lab, topo, &to);
	if (cmd && !got_signal && status == NSL_EXIT_OK)
		status = host_cmd(cmd, lab, topo);
	else if (cmd && !got_signal)
		fprintf(stderr, "nslab: run: checks failed: %s not run\n", cmd[0]);
	/* Down, whatever the signals say now. */
	nsl_interrupted = 0;
	rc = nsl_down(lab, &err);
	if (rc < 0) {
		nsl_cli_error("down %s: %s", lab, err.msg);
		if (status == NSL_EXIT_OK)
			status = NSL_EXIT_FAIL;
	} else {
		nsl_reaper_disarm(&reaper);
	}
	nsl_topology_free(t);
	if (got_signal)
		return 128 + got_signal;
	return status;
}
