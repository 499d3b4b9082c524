/* The look through /proc that down kills by (kernel/proc.c nsl_proc_in_ns), against the real
 * kernel. Needs root. A forked child makes a network namespace of its own (unshare) and forks
 * a grandchild into it; the look must find both by the namespace's identity, pass by the PIDs
 * it is told to, append to what it is given, and find nothing in a namespace it is not given.
 * Both are killed by PID at the end and reaped (we are their subreaper), whatever happened. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/ns.h"
#include "kernel/proc.h"

struct family {
	pid_t child, grandchild;
	struct nsl_ns_id netns;
};

static int family_up(void **state)
{
	static struct family fam;
	int sync[2];
	pid_t gc = -1;
	char path[64];
	int fd;

	/* The grandchild, orphaned at the end, is ours to reap (PID 1 may not reap). */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(sync), 0);
	*state = &fam;
	fam.child = fork();
	assert_true(fam.child >= 0);
	if (fam.child == 0) {
		/* Both die with the test, whatever becomes of it. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sync[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		pid_t p = fork();
		if (p == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		if (p < 0 || write(sync[1], &p, sizeof(p)) != (ssize_t)sizeof(p))
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	assert_int_equal(read(sync[0], &gc, sizeof(gc)), (ssize_t)sizeof(gc));
	close(sync[0]);
	fam.grandchild = gc;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", fam.child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(nsl_ns_id_of_fd(fd, &fam.netns), 0);
	close(fd);
	return 0;
}

static int family_down(void **state)
{
	struct family *fam = *state;

	if (!fam)
		return 0;
	if (fam->grandchild > 0)
		kill(fam->grandchild, SIGKILL);
	if (fam->child > 0)
		kill(fam->child, SIGKILL);
	/* The child is ours; the grandchild too, orphaned (we are the subreaper), once it has
	 * died: wait for both, never for more (a blocking wait for a PID we never learned). */
	if (fam->child > 0)
		(void)waitpid(fam->child, NULL, 0);
	if (fam->grandchild > 0)
		(void)waitpid(fam->grandchild, NULL, 0);
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

static void test_finds_both_and_appends(void **state)
{
	struct family *fam = *state;
	struct nsl_proc_look look = {.kind = "net", .ids = &fam->netns, .n_ids = 1};
	int *fds = NULL;
	size_t n = 0, cap = 0;
	bool child = false, grandchild = false;

	assert_true(nsl_grow(&fds, &cap, n, sizeof(*fds)));
	int before = dup(0);
	fds[n++] = before; /* what was there before stays first */
	assert_int_equal(nsl_proc_in_ns(&look, &fds, &n, &cap), 2);
	assert_int_equal(n, 3);
	assert_int_equal(fds[0], before);
	for (size_t i = 1; i < n; i++) {
		child |= nsl_pidfd_pid(fds[i]) == fam->child;
		grandchild |= nsl_pidfd_pid(fds[i]) == fam->grandchild;
	}
	assert_true(child && grandchild);
	close_all(fds, n);
}

static void test_passes_by_skipped(void **state)
{
	struct family *fam = *state;
	pid_t skip[3] = {fam->child, 1, getpid()};
	int *fds = NULL;
	size_t n = 0, cap = 0;

	nsl_pids_sort(skip, 3);
	struct nsl_proc_look look = {
	    .kind = "net", .ids = &fam->netns, .n_ids = 1, .skip = skip, .n_skip = 3};
	assert_int_equal(nsl_proc_in_ns(&look, &fds, &n, &cap), 1);
	assert_int_equal(n, 1);
	assert_int_equal(nsl_pidfd_pid(fds[0]), fam->grandchild);
	close_all(fds, n);
}

static void test_other_namespaces_not_found(void **state)
{
	struct family *fam = *state;
	struct nsl_ns_id ours;
	int *fds = NULL;
	size_t n = 0, cap = 0;
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(nsl_ns_id_of_fd(fd, &ours), 0);
	close(fd);
	/* The family's user namespace is ours: looked for as "user" with their network
	 * namespace's identity, nothing matches. */
	struct nsl_proc_look user = {.kind = "user", .ids = &fam->netns, .n_ids = 1};
	assert_int_equal(nsl_proc_in_ns(&user, &fds, &n, &cap), 0);
	struct nsl_proc_look none = {.kind = "net", .ids = &fam->netns, .n_ids = 0};
	assert_int_equal(nsl_proc_in_ns(&none, &fds, &n, &cap), 0);
	assert_int_equal(n, 0);
	/* Ours is the host's: many live in it, we (and PID 1) are never among them. */
	struct nsl_proc_look host = {.kind = "net", .ids = &ours, .n_ids = 1};
	assert_true(nsl_proc_in_ns(&host, &fds, &n, &cap) >= 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(nsl_pidfd_pid(fds[i]), getpid());
		assert_int_not_equal(nsl_pidfd_pid(fds[i]), 1);
		assert_int_not_equal(nsl_pidfd_pid(fds[i]), fam->child);
	}
	close_all(fds, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_finds_both_and_appends),
	    cmocka_unit_test(test_passes_by_skipped),
	    cmocka_unit_test(test_other_namespaces_not_found),
	};
	if (geteuid() != 0) {
		fprintf(stderr, "skip: test_proc needs root (another's namespaces)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, family_up, family_down);
}
