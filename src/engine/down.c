/* `down` (see down.h). */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include "engine/down.h"
#include "engine/teardown.h"
#include "state/statedir.h"

int nsl_down(const char *lab, struct nsl_err *err) { return nsl_down_progress(lab, NULL, err); }

int nsl_down_progress(const char *lab, struct nsl_progress_sink *progress, struct nsl_err *err)
{
	return nsl_down_keep(lab, progress, NULL, 0, err);
}

/* The nodes' file systems, moved out of the state directory before it goes (same file
 * system: a rename) to ROOT/LAB.fs.TIME, a name no lab can have. */
static int keep_fs(struct nsl_statedir *sd, const char *lab, char *kept, size_t size,
                   struct nsl_err *err)
{
	char name[NSL_NAME_MAX + 48];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	nsl_fmt(name, sizeof(name), "%s." NSL_FS_DIR ".%04d%02d%02d-%02d%02d%02d", lab,
	        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (renameat(sd->lab_fd, NSL_FS_DIR, sd->root_fd, name) < 0) {
		if (errno == ENOENT) {
			kept[0] = 0;
			return 0;
		}
		return nsl_err_set(err, errno, "keep the nodes' file systems: %m");
	}
	nsl_fmt(kept, size, "%s/%s", sd->root, name);
	return 0;
}

int nsl_down_keep(const char *lab, struct nsl_progress_sink *progress, char *kept, size_t size,
                  struct nsl_err *err)
{
	struct nsl_statedir sd;
	int rc;

	if (kept)
		kept[0] = 0;
	rc = nsl_state_root(&sd, err);
	if (rc < 0)
		return rc;
	rc = nsl_state_open(&sd, lab, true, err);
	if (rc == 0) {
		/* No state: maybe it was lost. Whatever carries the lab's marks still goes, under a
		 * state directory of our own, so that an `up` starting now waits or fails. */
		rc = nsl_state_create(&sd, lab, err);
		if (rc == -EEXIST) { /* an up just began: its lab, its lock; take our turn */
			nsl_state_close(&sd);
			return nsl_down_keep(lab, progress, kept, size, err);
		}
		if (rc == 0)
			rc = nsl_teardown_marks(&sd, progress, err);
		if (sd.lab_fd >= 0)
			(void)!nsl_state_remove(&sd, NULL);
		nsl_state_close(&sd);
		return rc < 0 ? rc : rc == 0 ? 1 : 0;
	}
	if (rc > 0)
		rc = nsl_teardown(&sd, progress, err);
	if (rc == 0 && kept)
		rc = keep_fs(&sd, lab, kept, size, err);
	if (rc == 0)
		rc = nsl_state_remove(&sd, err);
	nsl_state_close(&sd);
	return rc;
}
