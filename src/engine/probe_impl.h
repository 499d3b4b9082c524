/* Shared by the probe runner (probe.c, which also runs commands) and the network kinds
 * (probe_net.c): one attempt of one probe, and what each kind does with it. Private to them. */
#ifndef NSL_PROBE_IMPL_H
#define NSL_PROBE_IMPL_H

#include <poll.h>
#include <regex.h>

#include "engine/probe.h"
#include "kernel/spawn.h"

enum outcome {
	GOING,  /* not decided yet */
	HOLDS,  /* what the check asserts holds */
	FAILS,  /* it does not */
	BROKEN, /* the attempt could not be made */
};

struct attempt {
	struct nsl_probe *p;
	size_t index;
	uint64_t start, deadline; /* this attempt's; deadline 0: none yet (a ping still sending) */
	uint64_t wake;            /* a moment it wants to act at (a ping's next request), 0 none */
	struct pollfd fds[2];     /* fd -1: not polled */

	/* commands */
	struct nsl_child child;
	int out; /* read end of its stdout+stderr */
	char *buf;
	size_t len, cap;
	bool cut;
	regex_t re;
	bool have_re;

	/* network kinds */
	int sock;
	uint16_t id;
	uint32_t sent, received, send_fails;
	uint8_t *seen; /* per sequence number */
	uint64_t next_send;
	int send_err;
};

/* Each returns the outcome so far; the attempt's saw[] says what was seen when decided. */
enum outcome nsl_net_start(struct attempt *a, uint64_t now);
enum outcome nsl_net_event(struct attempt *a, uint64_t now);
enum outcome nsl_net_timer(struct attempt *a, uint64_t now);
void nsl_net_stop(struct attempt *a);

#endif
