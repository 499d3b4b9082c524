/* The results of checks for people and for CI: TAP version 13 (what prove and CI TAP readers
 * take), JUnit XML (the Jenkins/Surefire form CI systems render) and JSON. */
#ifndef NSL_REPORT_H
#define NSL_REPORT_H

#include <stdio.h>
#include <time.h>

#include "engine/probe.h"
#include "model/topology.h"

struct nsl_report {
	const char *lab;
	const char *topology; /* the file, as given or as the lab's state says */
	const struct nsl_topology *t;
	const struct nsl_probe *probes; /* one per check of t */
	size_t n;
	time_t started;            /* wall clock, for timestamps */
	uint64_t begin_ns, end_ns; /* monotonic */
};

/* TAP: the header (version, plan), one result (index from 0), the closing comment. */
void nsl_tap_begin(FILE *out, size_t n);
void nsl_tap_result(FILE *out, const struct nsl_report *r, size_t i);
void nsl_tap_end(FILE *out, const struct nsl_report *r);
/* A TAP stream that cannot go on ("Bail out! REASON"). */
void nsl_tap_bail_out(FILE *out, const char *reason);

/* JUnit XML into out: 0, or -errno when writing failed. */
int nsl_junit_write(FILE *out, const struct nsl_report *r);
/* JSON (one object, versioned) into out. */
int nsl_json_write(FILE *out, const struct nsl_report *r);

/* Counts of a report. */
void nsl_report_counts(const struct nsl_report *r, size_t *passed, size_t *failed, size_t *errors);

#define NSL_REPORT_JSON_VERSION 1

#endif
