/* `down` (see down.h). */
#include "engine/down.h"
#include "engine/teardown.h"
#include "state/statedir.h"

int nsl_down(const char *lab, struct nsl_err *err) { return nsl_down_progress(lab, NULL, err); }

int nsl_down_progress(const char *lab, struct nsl_progress_sink *progress, struct nsl_err *err)
{
	struct nsl_statedir sd;
	int rc;

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
			return nsl_down_progress(lab, progress, err);
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
	if (rc == 0)
		rc = nsl_state_remove(&sd, err);
	nsl_state_close(&sd);
	return rc;
}
