/* `up` (see up.h): plan -> host checks -> state -> apply -> commit, or rollback. */
#include <signal.h>
#include <string.h>

#include "engine/fault.h"
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

int nsl_up(const struct nsl_topology *t, const struct nsl_up_opts *o, struct nsl_err *err)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = on_signal}, old[3];
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	struct nsl_statedir sd = {.root_fd = -1, .lab_fd = -1};
	struct nsl_host_facts facts = {0};
	struct nsl_plan plan = {0};
	struct nsl_nl host = {.fd = -1};
	struct nsl_apply a = {0};
	const char *lab = o->name ? o->name : t->name;
	int rc;

	if (!lab || !*lab)
		return nsl_err_set(err, EINVAL,
		                   "%s: the lab has no name: add \"name\" or use --name", t->file);
	nsl_steps_begin(NSL_STEPS_UP);
	nsl_interrupted = 0;
	rc = nsl_plan_build(t, lab, &plan);
	if (rc < 0)
		return nsl_err_set(err, rc, "plan: %s", strerror(-rc));
	rc = nsl_nl_open(&host, -1, err);
	if (rc == 0) {
		rc = nsl_host_check(t, lab, &host, &facts, err);
		if (rc == 0)
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
		rc = nsl_state_root(&sd, err);
	if (rc == 0)
		rc = nsl_state_create(&sd, lab, err);
	if (rc == 0 && o->on_state)
		o->on_state(o->arg, sd.lab_fd);
	if (rc == 0) {
		struct nsl_rec header = {.kind = NSL_REC_HEADER};
		header.header.lab = lab;
		header.header.topology = t->file;
		nsl_apply_init(&a, &plan, &facts, &sd, &host);
		a.progress = o->progress;
		a.hs.witness_fd = o->witness_fd;
		rc = nsl_journal_append(&sd, &header, 1, err);
		if (rc == 0)
			rc = nsl_apply(&a, err);
		if (rc < 0)
			rollback(&a, &sd, err);
		if (o->phase_ns)
			memcpy(o->phase_ns, a.phase_ns, sizeof(a.phase_ns));
		nsl_apply_free(&a);
	}
	for (size_t s = 0; s < NSL_ARRAY_SIZE(sigs); s++)
		sigaction(sigs[s], &old[s], NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (o->steps)
		*o->steps = nsl_steps_taken();
	nsl_state_close(&sd);
	nsl_nl_close(&host);
	nsl_host_facts_free(&facts);
	nsl_plan_free(&plan);
	return rc;
}
