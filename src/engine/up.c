/* `up` (see up.h): plan -> host checks -> state -> apply -> commit, or rollback. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "engine/fault.h"
#include "engine/rootless.h"
#include "engine/teardown.h"
#include "engine/up.h"

static void on_signal(int sig)
{
	nsl_interrupted = sig; /* non-zero: which one, for callers that exit 128+N */
}

static void rollback(struct nsl_apply *a, struct nsl_statedir *sd, struct nsl_err *err)
{
	struct nsl_err terr = {0};

	/* Kill what we started, then undo the journal, the same way down does. */
	nsl_progress_report(a->progress, "rollback", 0, 0);
	nsl_apply_abort(a);
	if (nsl_teardown(sd, a->progress, &terr) < 0 || nsl_state_remove(sd, &terr) < 0)
		nsl_err_prefix(err, "(rollback incomplete: %s)", terr.msg);
}

/* What a rootless up's worker tells, one message each: its progress as it goes (drawn by the
 * caller's sink, which knows what it drew), then how it ended. */
struct worked {
	int kind; /* 0: progress, 1: the end */
	char phase[32];
	uint64_t done, total;
	int rc;
	unsigned long steps;
	uint64_t phase_ns[NSL_PHASES];
	struct nsl_err err;
};

static int worker_sock = -1;

static void tell_progress(void *arg, const struct nsl_progress *p)
{
	struct worked w = {.kind = 0, .done = p->done, .total = p->total};

	(void)arg;
	nsl_fmt(w.phase, sizeof(w.phase), "%s", p->phase);
	(void)!send(worker_sock, &w, sizeof(w), MSG_NOSIGNAL);
}

/* The lab's host is the keeper's network namespace (its uplink's interface is there): the
 * indexes the lab picks lie above its interfaces' too (see assign_ifindexes in apply.c). */
static int above_lab_host(struct nsl_nl *inner, struct nsl_host_facts *facts, struct nsl_err *err)
{
	_cleanup_free_ struct nsl_link_info *links = NULL;
	size_t n = 0;
	int rc = nsl_nl_link_list(inner, &links, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++)
		if (links[i].ifindex > facts->host_max_ifindex)
			facts->host_max_ifindex = links[i].ifindex;
	return rc;
}

/* A rootless lab is built from inside its keeper's namespaces, which a process may join but
 * never leave: a worker of ours joins them and applies the plan (and rolls back), so that the
 * caller stays where it was (`nslab run` starts its command in the host afterwards). The
 * worker dies with us (a killed up is a killed up: the keeper and the holders die with it).
 * A signal we get is passed on to it. */
static int apply_rootless(struct nsl_apply *a, struct nsl_statedir *sd, struct nsl_keeper *k,
                          struct nsl_nl *inner, struct nsl_host_facts *facts,
                          enum nsl_uplink uplink, unsigned long *steps, struct nsl_err *err)
{
	struct nsl_progress_sink *sink = a->progress, relay = {.fn = tell_progress};
	struct worked w = {0};
	pid_t parent = getpid(), pid;
	bool told = false, ended = false;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return nsl_err_set(err, errno, "socketpair: %m");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return nsl_err_set(err, e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		uint64_t t0 = nsl_now_ns();
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		nsl_steps_stop_too(parent);
		worker_sock = sv[1];
		if (sink)
			a->progress = &relay;
		w.rc = nsl_rootless_enter(sd, k, uplink, inner, &w.err);
		if (w.rc == 0)
			w.rc = above_lab_host(inner, facts, &w.err);
		a->phase_ns[NSL_PHASE_HOLDERS] += nsl_now_ns() - t0;
		if (w.rc == 0)
			w.rc = nsl_apply(a, &w.err);
		if (w.rc < 0)
			rollback(a, sd, &w.err);
		w.kind = 1;
		w.steps = nsl_steps_taken();
		memcpy(w.phase_ns, a->phase_ns, sizeof(w.phase_ns));
		_exit(send(sv[1], &w, sizeof(w), MSG_NOSIGNAL) == (ssize_t)sizeof(w) ? 0 : 1);
	}
	close(sv[1]);
	while (!ended) {
		ssize_t n = recv(sv[0], &w, sizeof(w), 0);
		if (n < 0 && errno == EINTR) {
			if (nsl_interrupted && !told)
				told = kill(pid, (int)nsl_interrupted) == 0;
			continue;
		}
		if (n != (ssize_t)sizeof(w))
			break;
		if (w.kind == 1)
			ended = true;
		else if (sink && sink->fn)
			sink->fn(sink->arg, &(struct nsl_progress){w.phase, w.done, w.total});
	}
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (!ended) {
		/* Killed before it could tell: what it built is in the journal; undone from here,
		 * from outside the lab, as down does. */
		nsl_err_set(err, EIO, "the worker that builds the lab died");
		rollback(a, sd, err);
		return -EIO;
	}
	memcpy(a->phase_ns, w.phase_ns, sizeof(w.phase_ns));
	*steps = w.steps;
	if (w.rc < 0)
		*err = w.err;
	return w.rc;
}

int nsl_up(const struct nsl_topology *t, const struct nsl_up_opts *o, struct nsl_err *err)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	struct nsl_statedir sd = {.root_fd = -1, .lab_fd = -1};
	struct nsl_host_facts facts = {0};
	struct nsl_plan plan = {0};
	struct nsl_nl host = {.fd = -1}, inner = {.fd = -1};
	struct nsl_keeper keeper = {.pidfd = -1, .lifeline_w = -1, .uplink.pidfd = -1};
	struct nsl_apply a = {.hs.lifeline_w = -1, .log_fd = -1, .host_netns_fd = -1};
	const char *lab = o->name ? o->name : t->name;
	unsigned long steps = 0;
	int rc;

	if (!lab || !*lab)
		return nsl_err_set(err, EINVAL,
		                   "%s: the lab has no name: add \"name\" or use --name", t->file);
	nsl_steps_begin(NSL_STEPS_UP);
	nsl_interrupted = 0;
	rc = nsl_plan_build(t, lab, &plan);
	if (rc < 0)
		return nsl_err_set(err, rc, "plan: %s", strerror(-rc));
	rc = nsl_state_root(&sd, err);
	if (rc == 0)
		rc = nsl_nl_open(&host, -1, err);
	if (rc == 0) {
		rc = nsl_host_check(t, lab, &sd, &host, &facts, err);
		/* A rootless lab's host devices (the management network, host VXLANs) are made in
		 * its own host, which is new: validate checked them against it. */
		if (rc == 0 && !sd.rootless)
			rc = nsl_host_check_plan(&plan, &host, err);
		if (rc < 0) /* these name a JSON path: say which file */
			nsl_err_prefix(err, "%s", t->file);
	}
	/* From here on a signal means: stop and roll back. A write to holders that all died must
	 * be an error, not a silent death. */
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &sa, &old[s]);
	sigaction(SIGPIPE, &ign, &old_pipe);
	if (rc == 0)
		rc = nsl_state_create(&sd, lab, err);
	if (rc == 0 && o->on_state)
		o->on_state(o->arg, sd.lab_fd);
	if (rc == 0) {
		struct nsl_rec header = {.kind = NSL_REC_HEADER};
		header.header.lab = lab;
		header.header.topology = t->file;
		nsl_apply_init(&a, &plan, &facts, &sd, sd.rootless ? &inner : &host);
		a.progress = o->progress;
		a.keeper = sd.rootless ? &keeper : NULL;
		a.hs.witness_fd = o->witness_fd;
		rc = nsl_journal_append(&sd, &header, 1, err);
		if (rc == 0 && sd.rootless) {
			/* Rootless: from here on, inside the lab's own namespaces. */
			rc = apply_rootless(&a, &sd, &keeper, &inner, &facts, t->host.uplink,
			                    &steps, err);
		} else if (rc == 0) {
			rc = nsl_apply(&a, err);
			if (rc < 0)
				rollback(&a, &sd, err);
		} else {
			rollback(&a, &sd, err);
		}
		if (o->phase_ns)
			memcpy(o->phase_ns, a.phase_ns, sizeof(a.phase_ns));
		nsl_apply_free(&a);
	}
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &old[s], NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (o->steps)
		*o->steps = steps ? steps : nsl_steps_taken();
	nsl_state_close(&sd);
	nsl_keeper_free(&keeper);
	nsl_nl_close(&inner);
	nsl_nl_close(&host);
	nsl_host_facts_free(&facts);
	nsl_plan_free(&plan);
	return rc;
}
