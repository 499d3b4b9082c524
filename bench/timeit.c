/* timeit: the benchmark's timing helper.
 *
 *   timeit REPS CMD [ARG...]
 *
 * Runs CMD REPS times in a row (fork + execvp, stdout to /dev/null, stderr inherited) and
 * prints each run's wall time in nanoseconds (CLOCK_MONOTONIC, from just before fork to just
 * after waitpid), one a line. Exits 1 as soon as a run fails (its time is not printed).
 * It measures; it never decides anything. */
#define _GNU_SOURCE
#include <fcntl.h>
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

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timeit REPS CMD [ARG...]\n");
		return 2;
	}
	int reps = atoi(argv[1]);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (int i = 0; i < reps; i++) {
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
		int st;
		while (waitpid(p, &st, 0) < 0)
			;
		long long t1 = now_ns();
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "timeit: %s failed (status 0x%x)\n", argv[2], st);
			return 1;
		}
		printf("%lld\n", t1 - t0);
		fflush(stdout);
	}
	return 0;
}
