/* Rootless labs, the engine's side (see rootless.h). */
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/fault.h"
#include "engine/marks.h"
#include "engine/rootless.h"
#include "kernel/nft.h"
#include "kernel/ns.h"
#include "kernel/proc.h"
#include "kernel/sysctl.h"

void nsl_lab_netns_path(const struct nsl_statedir *sd, const char *node, char *buf, size_t size)
{
	if (sd->rootless)
		nsl_fmt(buf, size, "%s/%s/netns/%s", sd->root, sd->lab, node);
	else
		nsl_fmt(buf, size, NSL_NETNS_DIR "/%s.%s", sd->lab, node);
}

/* slirp4netns for the lab's host, from the host (before joining the keeper): it ends when the
 * keeper does, whose end closes the hold pipe it watches. */
static int start_uplink(struct nsl_statedir *sd, struct nsl_keeper *k, int hold_r,
                        struct nsl_err *err)
{
	struct nsl_rec r = {.kind = NSL_REC_UPLINK};
	_cleanup_close_ int log_fd = -1;
	int rc = nsl_step("uplink", err);

	if (rc < 0)
		return rc;
	log_fd = openat(sd->lab_fd, "uplink.log",
	                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0)
		return nsl_err_set(err, errno, "uplink log: %m");
	rc = nsl_keeper_uplink(k, hold_r, log_fd, err);
	if (k->uplink.pid <= 0)
		return rc;
	/* Journaled even when it failed to come up: it may still be running. */
	r.uplink.pid = k->uplink.pid;
	r.uplink.start_time = k->uplink.start_time;
	int jrc = nsl_journal_append(sd, &r, 1, rc < 0 ? NULL : err);
	return rc < 0 ? rc : jrc;
}

/* Inside the lab's host: forward, and masquerade what leaves by the uplink (slirp4netns
 * answers only its own address). */
static int uplink_host(struct nsl_statedir *sd, struct nsl_err *err)
{
	struct nsl_nat nat = {.to = NSL_NAT_MASQUERADE, .family = AF_INET};
	char mark[NSL_MARK_MAX];
	int rc = nsl_sysctl_write("net.ipv4.ip_forward", "1", err);

	nsl_fmt(nat.out, sizeof(nat.out), "%s", NSL_UPLINK_IFNAME);
	nsl_mark(mark, sizeof(mark), sd->lab, "uplink");
	if (rc == 0)
		rc = nsl_nft_apply(-1, "nslab-uplink", mark, &nat, 1, err);
	if (rc < 0)
		nsl_err_prefix(err, "host.uplink");
	return rc;
}

int nsl_rootless_enter(struct nsl_statedir *sd, struct nsl_keeper *k, enum nsl_uplink uplink,
                       struct nsl_nl *inner, struct nsl_err *err)
{
	struct nsl_rec r = {.kind = NSL_REC_KEEPER};
	int hold[2] = {-1, -1}, rc = nsl_step("keeper", err);

	if (rc == 0 && uplink && pipe2(hold, O_CLOEXEC) < 0)
		rc = nsl_err_set(err, errno, "pipe: %m");
	if (rc == 0)
		rc = nsl_keeper_start(sd->lab, hold[1], k, err);
	if (hold[1] >= 0)
		close(hold[1]); /* the keeper's now, and only the keeper's */
	if (rc == 0) {
		r.keeper.pid = k->pid;
		r.keeper.start_time = k->start_time;
		r.keeper.userns_dev = k->userns.dev;
		r.keeper.userns_ino = k->userns.ino;
		rc = nsl_step("journal", err);
	}
	if (rc == 0)
		rc = nsl_journal_append(sd, &r, 1, err);
	if (rc == 0 && uplink)
		rc = start_uplink(sd, k, hold[0], err);
	if (hold[0] >= 0)
		close(hold[0]);
	if (rc == 0)
		rc = nsl_keeper_join(k, err);
	if (rc == 0)
		rc = nsl_nl_open(inner, -1, err);
	if (rc == 0 && uplink)
		rc = uplink_host(sd, err);
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

int nsl_rootless_join_lab(const struct nsl_statedir *sd, const struct nsl_labstate_keeper *k,
                          struct nsl_err *err)
{
	struct nsl_keeper kp = {.pidfd = -1, .lifeline_w = -1, .uplink.pidfd = -1};
	struct nsl_ns_id want = {.dev = k->userns_dev, .ino = k->userns_ino}, id;
	int fd, rc;

	if (k->pid <= 0)
		return nsl_err_set(err, EPROTO, "a rootless lab whose state names no keeper");
	if (nsl_keeper_open(k->pid, k->start_time, &kp) <= 0)
		return nsl_err_set(err, ESRCH, "its keeper (pid %d) is gone; run 'nslab down %s'",
		                   (int)k->pid, sd->lab);
	/* The keeper the state names owns the user namespace the state recorded. */
	fd = nsl_proc_open_ns(kp.pidfd, kp.pid, "user");
	rc = fd < 0 ? fd : nsl_ns_id_of_fd(fd, &id);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && !nsl_ns_id_eq(&id, &want))
		rc = -ESTALE;
	if (rc < 0)
		rc = nsl_err_set(
		    err, -rc, "its keeper (pid %d) is not in the user namespace the lab recorded",
		    (int)k->pid);
	else
		rc = nsl_keeper_join(&kp, err);
	nsl_keeper_free(&kp);
	return rc;
}
