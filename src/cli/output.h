/* How nslab talks, the same for every command: --quiet and --verbose, one JSON document on
 * stdout for --json (errors included, one object each), and the progress line of a long
 * command on a terminal. Errors go through nsl_cli_error (cli.h), which knows the mode. */
#ifndef NSL_CLI_OUTPUT_H
#define NSL_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "engine/progress.h"
#include "model/topology.h"

/* The version of every --json document (its "version" field): raised when a field changes
 * meaning or goes away; new fields may appear within one version. */
#define NSL_JSON_VERSION 1

enum nsl_verbosity { NSL_QUIET = -1, NSL_NORMAL = 0, NSL_VERBOSE = 1 };

/* Options every command takes: -q/--quiet, -v/--verbose. true if arg was one (and is now
 * in effect). */
bool nsl_cli_common_opt(const char *arg);
enum nsl_verbosity nsl_cli_verbosity(void);
void nsl_cli_set_verbosity(enum nsl_verbosity v);
/* A message for a person, on stderr: not with --quiet (nsl_cli_info) or only with --verbose
 * (nsl_cli_note); never in a --json run's stdout. */
void nsl_cli_info(const char *fmt, ...) NSL_PRINTF(1, 2);
void nsl_cli_note(const char *fmt, ...) NSL_PRINTF(1, 2);

/* --json: from now on errors are collected into the document instead of printed. The
 * document starts as {"version": 1, "command": CMD}; commands add their fields to it. */
void nsl_cli_json_begin(const char *command);
bool nsl_cli_json(void);
cJSON *nsl_cli_json_doc(void);
/* Adds text (a multi-line report) to obj as an array of its lines. */
void nsl_cli_json_lines(cJSON *obj, const char *key, char *text);
/* Completes the document ("ok", "exit", "errors"), prints it on stdout, frees it; returns
 * code. Without --json, returns code. */
int nsl_cli_json_end(int code);

/* One problem: printed "nslab: MESSAGE" on stderr, or (--json) an object with file, path,
 * line, column (null where unknown) and message. */
void nsl_cli_problem(const char *file, const char *path, unsigned line, unsigned col,
                     const char *message);
/* Every problem of a topology: FILE:LINE:COL: PATH: MESSAGE lines, or (--json) objects. */
void nsl_cli_diags(const struct nsl_diags *d);

/* The progress line of a long command: on stderr when it is a terminal (not with --quiet),
 * drawn from the first report after NSLAB_PROGRESS_AFTER_MS (default 500 ms) since start,
 * redrawn in place with \r, cleared by nsl_cli_progress_end. */
struct nsl_cli_progress {
	struct nsl_progress_sink sink;
	char what[80]; /* "up demo" */
	uint64_t t0, after_ns;
	bool enabled, drawn;
	int width; /* of the last line drawn */
};
/* The sink to give the engine: NULL when nothing will be shown. */
struct nsl_progress_sink *nsl_cli_progress_start(struct nsl_cli_progress *p, const char *fmt, ...)
    NSL_PRINTF(2, 3);
void nsl_cli_progress_end(struct nsl_cli_progress *p);

#endif
