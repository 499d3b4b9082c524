/* The reaper of `nslab run` (see reaper.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "engine/reaper.h"
#include "engine/teardown.h"
#include "state/statedir.h"

struct msg {
	char type; /* 'A': armed with the directory below; 'D': done */
	uint64_t dev, ino;
};

/* run is gone without a word: its lab goes, if the directory is the one its up made; a
 * directory with an empty journal is an up that died before doing anything (ours, or a
 * crash of anyone's) and goes too, as `down` would take it. */
static int reap(const char *lab, const struct msg *armed, char *say, size_t size)
{
	struct nsl_statedir sd;
	struct nsl_err err = {0};
	struct nsl_journal j = {0};
	struct stat st;
	bool ours;
	int rc;

	rc = nsl_state_root(&sd, &err);
	if (rc == 0)
		rc = nsl_state_open(&sd, lab, true, &err); /* waits for run's up to let go */
	if (rc <= 0) {
		if (rc == 0)
			nsl_fmt(say, size, "run died; lab %s is not up: nothing to do", lab);
		else
			nsl_fmt(say, size, "run died; lab %s: %s", lab, err.msg);
		nsl_state_close(&sd);
		return rc;
	}
	ours = armed && fstat(sd.lab_fd, &st) == 0 && (uint64_t)st.st_dev == armed->dev &&
	       (uint64_t)st.st_ino == armed->ino;
	if (!ours) {
		rc = nsl_journal_read(&sd, &j, &err);
		ours = rc == 0 && j.n == 0;
		nsl_journal_free(&j);
	}
	if (!ours) {
		nsl_fmt(say, size, "run died; lab %s is not the one it built: left alone", lab);
		nsl_state_close(&sd);
		return 0;
	}
	rc = nsl_teardown(&sd, NULL, &err);
	if (rc == 0)
		rc = nsl_state_remove(&sd, &err);
	nsl_state_close(&sd);
	if (rc < 0)
		nsl_fmt(say, size, "run died; tearing lab %s down failed: %s", lab, err.msg);
	else
		nsl_fmt(say, size, "run died; lab %s is torn down", lab);
	return rc;
}

static __attribute__((noreturn)) void reaper_main(int fd, const char *lab,
                                                  void (*report)(const char *msg))
{
	struct msg m, armed = {0};
	bool is_armed = false;
	char say[1200];
	int nul;

	/* Only the pipe and stderr: run's other fds (its lock, its pipes) are not ours. */
	if (dup2(fd, 3) < 0)
		_exit(1);
	syscall(SYS_close_range, 4, ~0U, 0);
	fd = 3;
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		close(nul);
	}
	/* What stops run (a terminal's Ctrl-C, a hang-up, a TERM to a process group) is not for
	 * the reaper: only the end of the pipe says run is gone. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "nslab-reaper");
	for (;;) {
		ssize_t n = read(fd, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == (ssize_t)sizeof(m) && m.type == 'D')
			_exit(0);
		if (n == (ssize_t)sizeof(m) && m.type == 'A') {
			armed = m;
			is_armed = true;
			continue;
		}
		break; /* EOF (or a broken pipe): run is gone */
	}
	int rc = reap(lab, is_armed ? &armed : NULL, say, sizeof(say));
	if (report)
		report(say);
	_exit(rc < 0 ? 1 : 0);
}

int nsl_reaper_start(const char *lab, void (*report)(const char *msg), struct nsl_reaper *ret,
                     struct nsl_err *err)
{
	int p[2], status;
	pid_t pid;

	ret->fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return nsl_err_set(err, errno, "reaper: pipe: %m");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return nsl_err_set(err, e, "reaper: fork: %s", strerror(e));
	}
	if (pid == 0) {
		/* Its own session, and a grandchild: no longer in run's process group, session or
		 * tree, so what kills those leaves it. */
		close(p[1]);
		setsid();
		pid = fork();
		if (pid != 0)
			_exit(pid < 0);
		reaper_main(p[0], lab, report);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			close(p[1]);
			return nsl_err_set(err, errno, "reaper: wait: %m");
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		close(p[1]);
		return nsl_err_set(err, ECHILD, "reaper: could not start");
	}
	ret->fd = p[1];
	return 0;
}

static void send_msg(int fd, const struct msg *m)
{
	while (fd >= 0 && write(fd, m, sizeof(*m)) < 0 && errno == EINTR)
		;
}

void nsl_reaper_arm(void *reaper, int lab_fd)
{
	struct nsl_reaper *r = reaper;
	struct msg m = {.type = 'A'};
	struct stat st;

	if (fstat(lab_fd, &st) < 0)
		return;
	m.dev = (uint64_t)st.st_dev;
	m.ino = (uint64_t)st.st_ino;
	send_msg(r->fd, &m);
}

void nsl_reaper_disarm(struct nsl_reaper *r)
{
	struct msg m = {.type = 'D'};

	send_msg(r->fd, &m);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
