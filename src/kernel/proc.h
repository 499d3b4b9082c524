/* Process identity. A PID alone can be recycled: a process of ours is named by its PID plus
 * its start time, reached through a pidfd, and a /proc/PID path is trusted only when the
 * pidfd proves, after the path was opened, that the process is still alive (a live process
 * keeps its PID). */
#ifndef NSL_PROC_H
#define NSL_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"
#include "kernel/ns.h"

/* Start time in clock ticks since boot (field 22 of /proc/PID/stat); 0 if gone. */
uint64_t nsl_proc_starttime(pid_t pid);
/* A pidfd of pid if it is still the process that started at start_time; -ESRCH if not. */
int nsl_proc_pidfd(pid_t pid, uint64_t start_time);
/* Whether the process behind a pidfd has not exited yet. */
bool nsl_pidfd_alive(int pidfd);
/* Send sig through a pidfd; 0, or -errno (-ESRCH: already gone). */
int nsl_pidfd_kill(int pidfd, int sig);
/* Wait until the process behind pidfd has exited, at most timeout_ms; true if it has. */
bool nsl_pidfd_wait(int pidfd, int timeout_ms);
/* Open /proc/PID/ns/KIND of the process behind pidfd; -ESRCH if it died meanwhile (the fd
 * could then belong to whoever reused the PID). */
int nsl_proc_open_ns(int pidfd, pid_t pid, const char *kind);
/* Start time of the process behind pidfd, checked alive after reading; 0 if it is gone. */
uint64_t nsl_pidfd_starttime(int pidfd, pid_t pid);

/* A look through /proc for the processes in some namespaces: kind ("net", "user"...), the
 * namespaces, and PIDs to pass by (sorted by nsl_pids_sort; may be NULL). */
struct nsl_proc_look {
	const char *kind;
	const struct nsl_ns_id *ids;
	size_t n_ids;
	const pid_t *skip;
	size_t n_skip;
};
void nsl_pids_sort(pid_t *pids, size_t n);
/* The soft limit of open files raised to the hard one: a lab holds a few per node. */
void nsl_nofile_raise(void);
/* Every process (other than us, PID 1 and look->skip) whose namespace of look->kind is one of
 * look->ids, as pidfds opened and re-checked after opening, appended to *fds (*n of *cap,
 * grown by nsl_grow). How many were found, or -errno (out of memory or of fds: those found
 * so far are in *fds). Threads that entered a namespace on their own are not looked at: a namespace
 * belongs to the processes that live in it. */
int nsl_proc_in_ns(const struct nsl_proc_look *look, int **fds, size_t *n, size_t *cap);
/* SIGKILL every pidfd, then wait (bounded by timeout_ms in all) until they are gone; closes
 * them. How many were still alive when the time was up. */
size_t nsl_pidfds_kill_wait(int *fds, size_t n, int timeout_ms);

/* One message on a socket of ours (SOCK_SEQPACKET): len bytes, and fd with them unless it is
 * negative (SCM_RIGHTS). How a helper process hands us what it made. 0, or -1 with errno. */
int nsl_send_fd(int sock, const void *data, size_t len, int fd);
/* Receive one such message: exactly len bytes, and *ret_fd the fd that came with it
 * (close-on-exec), or -1. 0; -EIO for a message of another size (its fd closed), or -errno. */
int nsl_recv_fd(int sock, void *data, size_t len, int *ret_fd);

/* In a child about to exec a command: default signal dispositions, an empty signal mask, and
 * no fd above last_fd (2: stdio alone). */
void nsl_proc_reset_for_exec(unsigned int last_fd);

#endif
