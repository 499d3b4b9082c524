/* Steps, faults and interruption (see fault.h). */
#include <signal.h>
#include <stdlib.h>

#include "engine/fault.h"

volatile sig_atomic_t nsl_interrupted;

static unsigned long fail_at, stop_at, taken;
static enum nsl_step_kind current;
static pid_t stop_too; /* a worker's caller, stopped along with it */

static unsigned long env_step(const char *name)
{
	const char *v = getenv(name);
	uint64_t n;

	return v && *v && nsl_parse_u64(v, UINT32_MAX, &n) ? (unsigned long)n : 0;
}

void nsl_steps_begin(enum nsl_step_kind kind)
{
	static const char *const fail[] = {"NSLAB_FAIL_STEP", "NSLAB_FAIL_DOWN_STEP",
	                                   "NSLAB_FAIL_RUNTIME_STEP"};
	static const char *const stop[] = {"NSLAB_STOP_STEP", NULL, "NSLAB_STOP_RUNTIME_STEP"};

	current = kind;
	taken = 0;
	fail_at = env_step(fail[kind]);
	stop_at = stop[kind] ? env_step(stop[kind]) : 0;
}

int nsl_step(const char *what, struct nsl_err *err)
{
	taken++;
	if (stop_at && taken == stop_at) {
		if (stop_too > 0)
			kill(stop_too, SIGSTOP);
		raise(SIGSTOP);
	}
	if (nsl_interrupted && current == NSL_STEPS_UP)
		return nsl_err_set(err, EINTR, "interrupted");
	if (fail_at && taken == fail_at)
		return nsl_err_set(err, EIO, "%s: injected fault at %s step %lu", what,
		                   current == NSL_STEPS_UP     ? "up"
		                   : current == NSL_STEPS_DOWN ? "down"
		                                               : "runtime",
		                   taken);
	return 0;
}

unsigned long nsl_steps_taken(void) { return taken; }

void nsl_steps_stop_too(pid_t pid) { stop_too = pid; }
