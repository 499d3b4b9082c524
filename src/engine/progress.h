/* Progress of a long command, for a person watching it: the engine says which phase it is in
 * and how far (412 of 1000 nodes) through a function the CLI gives it; the engine never
 * prints. Reports are throttled here: at every change of phase, otherwise at most one per
 * NSL_PROGRESS_INTERVAL_MS. The CLI decides whether and how to show them. */
#ifndef NSL_PROGRESS_H
#define NSL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define NSL_PROGRESS_INTERVAL_MS 100

struct nsl_progress {
	const char *phase;  /* "nodes", "links", "ready"...: stable words, shown as they are */
	size_t done, total; /* total 0: the phase has no count */
};

struct nsl_progress_sink {
	void (*fn)(void *arg, const struct nsl_progress *p);
	void *arg;
	/* The throttle, kept by nsl_progress_report. */
	const char *last_phase;
	uint64_t last_ns;
};

/* Report the phase and count to the sink (NULL or without fn: nothing), throttled. */
void nsl_progress_report(struct nsl_progress_sink *s, const char *phase, size_t done, size_t total);

#endif
