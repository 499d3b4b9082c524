/* A lab at run time: its state directory, journal, holders, and the commands' engines.
 * Only the CLI layer (src/cmd_*.c, src/main.c) prints; everything here returns errors. */
#ifndef NSL_LAB_H
#define NSL_LAB_H

#include <signal.h>
#include <sys/types.h>

#include "base/util.h"
#include "model/topology.h"

#define NSL_RUN_DIR "/run/nslab"
#define NSL_NETNS_DIR "/run/netns"
#define NSL_ALIAS_PREFIX "nslab:" /* host-side links: alias "nslab:LAB" marks them ours */
#define NSL_NFT_NODE_TABLE "nslab"
#define NSL_NFT_HOST_PREFIX "nslab-"

/* ---- state directory (state.c) ---- */

struct nsl_statedir {
	int root_fd; /* /run/nslab, root-owned 0700 */
	int lab_fd;  /* /run/nslab/LAB, flocked exclusively while we work on it */
	char lab[NSL_NAME_MAX + 1];
};

/* Open (creating if needed) and check the root; takes nothing else. */
int nsl_state_root(struct nsl_statedir *sd, struct nsl_err *err) NSL_MUST_USE;
/* up: create LAB's directory and lock it; -EEXIST if the lab exists (up or being built). */
int nsl_state_create(struct nsl_statedir *sd, const char *lab, struct nsl_err *err) NSL_MUST_USE;
/* down/exec/status: open and lock LAB's directory (shared for readers); -ENOENT if absent. */
int nsl_state_open(struct nsl_statedir *sd, const char *lab, bool exclusive,
                   struct nsl_err *err) NSL_MUST_USE;
/* Remove LAB's directory and everything in it. */
int nsl_state_remove(struct nsl_statedir *sd, struct nsl_err *err) NSL_MUST_USE;
void nsl_state_close(struct nsl_statedir *sd);
/* Names of every lab directory under the root; caller frees with nsl_strv_free. */
int nsl_state_list(struct nsl_statedir *sd, char ***ret, size_t *ret_n,
                   struct nsl_err *err) NSL_MUST_USE;
void nsl_strv_free(char **v, size_t n);

/* The journal: one line per step, appended before the step is done. */
int nsl_journal_append(struct nsl_statedir *sd, const char *text, size_t len,
                       struct nsl_err *err) NSL_MUST_USE;
/* Whole journal as a NUL-terminated string (empty if none). */
int nsl_journal_read(struct nsl_statedir *sd, char **ret, struct nsl_err *err) NSL_MUST_USE;
/* Atomically replace a file in the lab's directory. */
int nsl_state_write_file(struct nsl_statedir *sd, const char *name, const char *data, size_t len,
                         struct nsl_err *err) NSL_MUST_USE;
int nsl_state_read_file(struct nsl_statedir *sd, const char *name, char **ret,
                        struct nsl_err *err) NSL_MUST_USE;

/* ---- processes (proc.c) ---- */

/* Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); 0 if gone. */
uint64_t nsl_proc_starttime(pid_t pid);
/* pidfd of pid if it is still the process that started at start_time; -ESRCH if not. */
int nsl_proc_pidfd(pid_t pid, uint64_t start_time);
/* The holder: PID 1 of a node, spawned by nsl_holders_spawn (holder.c). */
struct nsl_holder {
	pid_t pid;
	int pidfd;
	uint64_t start_time;
	int netns_fd;
	ino_t netns_ino;
};

/* ---- commands ---- */

#define NSL_UP_PHASES 9
struct nsl_up_stats {
	const char *phase[NSL_UP_PHASES];
	uint64_t ns[NSL_UP_PHASES];
	size_t n;
	unsigned long steps; /* kernel steps taken (what NSLAB_FAIL_STEP counts) */
};

struct nsl_up_opts {
	const char *name; /* --name, or NULL */
	bool quiet;
	struct nsl_up_stats *stats; /* if set: time spent in each phase */
};
int nsl_up(struct nsl_topology *t, const struct nsl_up_opts *o, struct nsl_err *err) NSL_MUST_USE;
/* Tear down a lab: 0 done, 1 it was not up. */
int nsl_down(const char *lab, struct nsl_err *err) NSL_MUST_USE;

/* Faults for tests: NSLAB_FAIL_STEP=k fails the k-th kernel step of `up`. */
int nsl_step(const char *what, struct nsl_err *err) NSL_MUST_USE;
/* Set by SIGINT/SIGTERM/SIGHUP during up; checked between steps. */
extern volatile sig_atomic_t nsl_interrupted;

/* The root lock: short sections that must not interleave across labs (host sysctls). */
int nsl_state_lock_root(struct nsl_statedir *sd, bool lock);
/* Read another lab's journal without taking its lock (appends are single writes). */
int nsl_state_read_other(struct nsl_statedir *sd, const char *lab, const char *name, char **ret);
/* Append to another lab's journal (under the root lock). */
int nsl_state_append_other(struct nsl_statedir *sd, const char *lab, const char *text);
#endif
