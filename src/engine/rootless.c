/* Rootless labs, the engine's side (see rootless.h). */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/fault.h"
#include "engine/rootless.h"
#include "kernel/ns.h"

void nsl_lab_netns_path(const struct nsl_statedir *sd, const char *node, char *buf, size_t size)
{
	if (sd->rootless)
		nsl_fmt(buf, size, "%s/%s/netns/%s", sd->root, sd->lab, node);
	else
		nsl_fmt(buf, size, NSL_NETNS_DIR "/%s.%s", sd->lab, node);
}

int nsl_rootless_enter(struct nsl_statedir *sd, struct nsl_keeper *k, struct nsl_nl *inner,
                       struct nsl_err *err)
{
	struct nsl_rec r = {.kind = NSL_REC_KEEPER};
	int rc = nsl_step("keeper", err);

	if (rc == 0)
		rc = nsl_keeper_start(sd->lab, k, err);
	if (rc < 0)
		return rc;
	r.keeper.pid = k->pid;
	r.keeper.start_time = k->start_time;
	r.keeper.userns_dev = k->userns.dev;
	r.keeper.userns_ino = k->userns.ino;
	rc = nsl_step("journal", err);
	if (rc == 0)
		rc = nsl_journal_append(sd, &r, 1, err);
	if (rc == 0)
		rc = nsl_keeper_join(k, err);
	if (rc == 0)
		rc = nsl_nl_open(inner, -1, err);
	return rc;
}

int nsl_rootless_netns_dir(struct nsl_statedir *sd, struct nsl_err *err)
{
	if (mkdirat(sd->lab_fd, "netns", 0700) < 0 && errno != EEXIST)
		return nsl_err_set(err, errno, "create %s/%s/netns: %m", sd->root, sd->lab);
	return 0;
}

int nsl_rootless_join_holder(int pidfd, struct nsl_err *err)
{
	if (setns(pidfd, CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return nsl_err_set(err, errno, "enter the lab's user namespace: %m");
	return 0;
}
