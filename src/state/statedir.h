/* The state directory holds one directory per lab with its journal and its state file. Its
 * root is chosen at run time: /run/nslab for root (root-owned, 0700); for any other user
 * (a rootless lab) $XDG_RUNTIME_DIR/nslab when XDG_RUNTIME_DIR is a directory of the user's
 * own closed to others, else /tmp/nslab-UID; either must be the user's own 0700 directory.
 * Each user has a root of their own: labs of two users never see each other. Paths are resolved
 * relative to directory fds and never follow symlinks. The root's lock is held only for short
 * moments (create, remove, host sysctls); each lab's own lock for as long as a command works on
 * that lab, so labs run in parallel. */
#ifndef NSL_STATEDIR_H
#define NSL_STATEDIR_H

#include <limits.h>
#include <stdbool.h>

#include "base/util.h"
#include "model/topology.h"
#include "state/journal.h"

#define NSL_RUN_DIR "/run/nslab"
/* In a lab's directory: one directory per node, its file system's layers and files. */
#define NSL_FS_DIR "fs"
/* In a lab's directory: the lab's /etc/hosts, written once, bound read-only in every node. */
#define NSL_HOSTS_FILE "hosts"
/* In a lab's directory: the /etc/hostname of each node on the host's file system. */
#define NSL_HOSTNAMES_DIR "hostnames"

struct nsl_statedir {
	int root_fd; /* the root: /run/nslab */
	int lab_fd;  /* ROOT/LAB, flocked while we work on it */
	char lab[NSL_NAME_MAX + 1];
	bool rootless;       /* opened by a user other than root: the labs under it are rootless */
	char root[PATH_MAX]; /* the root's path */
};

/* Choose, open (creating if needed) and check the root; takes nothing else. */
int nsl_state_root(struct nsl_statedir *sd, struct nsl_err *err) NSL_MUST_USE;
/* up: create LAB's directory and lock it; -EEXIST if the lab exists (up or being built). */
int nsl_state_create(struct nsl_statedir *sd, const char *lab, struct nsl_err *err) NSL_MUST_USE;
/* Open and lock LAB's directory (shared for readers): 1 done, 0 when the lab has none. */
int nsl_state_open(struct nsl_statedir *sd, const char *lab, bool exclusive,
                   struct nsl_err *err) NSL_MUST_USE;
/* Remove LAB's directory and everything in it. */
int nsl_state_remove(struct nsl_statedir *sd, struct nsl_err *err) NSL_MUST_USE;
void nsl_state_close(struct nsl_statedir *sd);
/* Names of every lab directory under the root; free with nsl_strv_free. */
int nsl_state_list(struct nsl_statedir *sd, char ***ret, size_t *ret_n,
                   struct nsl_err *err) NSL_MUST_USE;
/* The root lock: short sections that must not interleave across labs. */
int nsl_state_lock_root(struct nsl_statedir *sd, bool lock, struct nsl_err *err) NSL_MUST_USE;

/* Atomically replace a file of the lab's directory. */
int nsl_state_write_file(struct nsl_statedir *sd, const char *name, const char *data, size_t len,
                         struct nsl_err *err) NSL_MUST_USE;
/* A whole file as a NUL-terminated string: 1 read, 0 absent (*ret NULL). */
int nsl_state_read_file(struct nsl_statedir *sd, const char *name, char **ret,
                        struct nsl_err *err) NSL_MUST_USE;

/* Append records to the lab's journal in one write (each record before its step). */
int nsl_journal_append(struct nsl_statedir *sd, const struct nsl_rec *recs, size_t n,
                       struct nsl_err *err) NSL_MUST_USE;
/* Read and parse the lab's journal (empty if none). */
int nsl_journal_read(struct nsl_statedir *sd, struct nsl_journal *ret,
                     struct nsl_err *err) NSL_MUST_USE;
/* Another lab's journal, without its lock (appends are single writes): 1, or 0 if none. */
int nsl_journal_read_other(struct nsl_statedir *sd, const char *lab, struct nsl_journal *ret,
                           struct nsl_err *err) NSL_MUST_USE;
/* Append a record to another lab's journal (under the root lock). */
int nsl_journal_append_other(struct nsl_statedir *sd, const char *lab, const struct nsl_rec *r,
                             struct nsl_err *err) NSL_MUST_USE;

#endif
