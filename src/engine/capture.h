/* `nslab capture`: packets of interfaces of a lab's nodes into pcap files, each captured from
 * a packet socket made inside its node's namespace (no tool runs in the node). The lab's lock
 * is held only while the nodes are found and the captures opened, so `down` is never kept
 * waiting: a node that goes away ends its captures, and the files are complete. */
#ifndef NSL_CAPTURE_H
#define NSL_CAPTURE_H

#include <stdbool.h>
#include <stdio.h>

#include "base/util.h"
#include "model/topology.h"

struct nsl_capture {
	/* asked */
	char *spec;       /* "r1:eth0" or "host:lab0" */
	const char *path; /* the file; "-": standard output */
	/* what happened */
	unsigned long packets;
	unsigned dropped; /* by the kernel: the socket's buffer was full */
	const char *end;  /* why it ended early ("the node went down"), NULL if it did not */
	char link_type[64];
};

struct nsl_capture_opts {
	unsigned long count; /* stop each after this many packets; 0: until stopped */
	bool promisc;
	const char *filter; /* BPF, as tcpdump takes it; NULL: all */
	/* Called once every capture is open and before the first packet (the CLI says so). */
	void (*started)(const struct nsl_capture *c, size_t n, void *arg);
	void *arg;
};

/* Capture until each has its count, SIGINT, SIGTERM or SIGHUP, or the nodes are gone;
 * nothing is written (no file made) unless every interface could be opened. */
int nsl_capture_run(const char *lab, struct nsl_capture *c, size_t n,
                    const struct nsl_capture_opts *o, struct nsl_err *err) NSL_MUST_USE;

#endif
