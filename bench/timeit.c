/* timeit: the benchmark's timing helper.
 *
 *   timeit REPS CMD [ARG...]
 *
 * Runs CMD REPS times in a row (fork + execvp, stdout to /dev/null, stderr inherited) and
 * prints each run's wall time in nanoseconds (CLOCK_MONOTONIC, from just before fork to just
 * after waitpid), one a line. Exits 1 as soon as a run fails (its time is not printed).
 * It measures; it never decides anything.
 *
 * Signals: SIGINT and SIGTERM, if not ignored when it starts, are forwarded to the running
 * command (SIGINT: once that command exits, timeit stops and re-raises it, so that the calling
 * shell sees an interrupted command). If they are ignored, they stay ignored for the command
 * too: bench/run.sh relies on that to keep floor and nslab whole through a Ctrl-C. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile pid_t child;
static volatile sig_atomic_t got;

static void forward(int sig)
{
	got = sig;
	if (child > 0)
		kill(child, sig);
}

/* Forward SIG unless it is ignored: an ignored signal stays ignored across exec. */
static void maybe_forward(int sig)
{
	struct sigaction old, sa = { .sa_handler = forward };
	sigaction(sig, NULL, &old);
	if (old.sa_handler != SIG_IGN) {
		sigemptyset(&sa.sa_mask);
		sigaction(sig, &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timeit REPS CMD [ARG...]\n");
		return 2;
	}
	int reps = atoi(argv[1]);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	maybe_forward(SIGINT);
	maybe_forward(SIGTERM);
	for (int i = 0; i < reps && !got; i++) {
		long long t0 = now_ns();
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			return 1;
		}
		if (p == 0) {
			dup2(devnull, 1);
			execvp(argv[2], argv + 2);
			perror(argv[2]);
			_exit(127);
		}
		child = p;
		int st;
		while (waitpid(p, &st, 0) < 0)
			;
		child = 0;
		long long t1 = now_ns();
		if (got) {
			signal(got, SIG_DFL);
			raise(got);
			return 128 + got;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "timeit: %s failed (status 0x%x)\n", argv[2], st);
			return 1;
		}
		printf("%lld\n", t1 - t0);
		fflush(stdout);
	}
	return 0;
}
