/* Throttled progress reports (see progress.h). */
#include <string.h>

#include "base/util.h"
#include "engine/progress.h"

void nsl_progress_report(struct nsl_progress_sink *s, const char *phase, size_t done, size_t total)
{
	uint64_t now;

	if (!s || !s->fn)
		return;
	now = nsl_now_ns();
	if (s->last_phase && !strcmp(s->last_phase, phase) &&
	    now - s->last_ns < NSL_PROGRESS_INTERVAL_MS * 1000000ull)
		return;
	s->last_phase = phase;
	s->last_ns = now;
	s->fn(s->arg, &(struct nsl_progress){.phase = phase, .done = done, .total = total});
}
