/* Probes: checks run against a lab that is up, many at once, in one process. Every attempt
 * is a command (through the spawn door), a socket or a netlink dump, and the runner polls all
 * of them together (pidfds, output pipes, sockets) with each one's deadline: no thread per
 * check. A probe re-runs its attempt every `interval` until it holds or `within` is over.
 * `nslab test`, `nslab wait` and the readiness of `up` all run here. */
#ifndef NSL_PROBE_H
#define NSL_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"
#include "model/topology.h"

enum nsl_verdict {
	NSL_VERDICT_PENDING,
	NSL_VERDICT_PASS,
	NSL_VERDICT_FAIL,  /* it ran, and what it asserts does not hold */
	NSL_VERDICT_ERROR, /* it could not run (the node is gone, no socket...) */
};

#define NSL_PROBE_OUTPUT_MAX (1u << 20) /* a command's output kept: its last MiB */

struct nsl_probe {
	/* what to run */
	const struct nsl_check *check;
	const char *node;   /* the node's name, for messages */
	int pidfd;          /* its holder: commands run in its namespaces */
	int netns_fd;       /* its network namespace: sockets, netlink */
	char *const *env;   /* commands: the node's env ("K=V", NULL-terminated), or NULL */
	int after;          /* another probe that must be decided before this one starts, -1 */
	bool hard_deadline; /* no attempt outlives `within` (readiness); else the last attempt
	                     * that starts within it runs to its own timeout */

	/* what happened (the last attempt's, for the last four) */
	enum nsl_verdict verdict;
	unsigned attempts;
	uint64_t begin_ns, end_ns;
	int status;     /* commands: exit status (128+N killed by signal N), -1 none */
	bool timed_out; /* the attempt ran out of time (a command: killed) */
	char *output;   /* commands: stdout and stderr together, NUL-terminated, or NULL */
	size_t output_len;
	bool output_cut; /* longer than NSL_PROBE_OUTPUT_MAX: output is its end */
	char saw[512];   /* what it saw, in one line */
};

/* Called as each probe is decided (in any order). */
typedef void (*nsl_probe_done_fn)(void *arg, size_t index);

/* Run every probe; at most `jobs` attempts at a time (0: no limit). A probe whose verdict is
 * NSL_VERDICT_ERROR already (its saw saying why) is not run, only reported. Returns 0 when each is
 * decided (whatever the verdicts), -EINTR when nsl_interrupted was set (everything running
 * is killed, the undecided are errors), another negative errno when the runner itself
 * failed. */
int nsl_probes_run(struct nsl_probe *p, size_t n, unsigned jobs, nsl_probe_done_fn done, void *arg,
                   struct nsl_err *err) NSL_MUST_USE;
/* Free what the probes hold (their outputs). */
void nsl_probes_free(struct nsl_probe *p, size_t n);

/* "300 ms", "1.5 s", "30 s" */
void nsl_ms_str(char *buf, size_t size, uint64_t ms);
/* The end of a text for a message: its last `max` bytes, from a line start when there is
 * one, trailing newlines left out, into buf. */
void nsl_text_tail(const char *s, size_t len, char *buf, size_t max);

#endif
