/* The reaper of `nslab run`: a process that outlives run and tears run's lab down when run
 * dies without saying it is done (kill -9, a CI runner killing the job, a crash). Forked
 * before up (its own session, detached from run's process tree), it holds the read end of a
 * pipe whose EOF means run is gone; run tells it which state directory its up created (only
 * that one is torn down, the way `down` does it, by its journal), and that all is done. The
 * holders up starts keep the pipe's write end until they are committed (nsl_up_opts'
 * witness_fd): a holder the journal does not name yet dies of run's death, and EOF comes
 * only once it has, so nothing of the lab outlives the reaper. */
#ifndef NSL_REAPER_H
#define NSL_REAPER_H

#include "base/util.h"

struct nsl_reaper {
	int fd; /* the write end; -1 when none */
};

/* Start the reaper of lab LAB. report (may be NULL) prints a line in the reaper process
 * (the CLI's stderr): what it found and did. */
int nsl_reaper_start(const char *lab, void (*report)(const char *msg), struct nsl_reaper *ret,
                     struct nsl_err *err) NSL_MUST_USE;
/* The lab's state directory, just created by up (a callback of nsl_up_opts). */
void nsl_reaper_arm(void *reaper, int lab_fd);
/* All is done (the lab is down, or was never ours): the reaper leaves without touching
 * anything. */
void nsl_reaper_disarm(struct nsl_reaper *r);

#endif
