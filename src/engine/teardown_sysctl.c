/* The host's sysctls a lab set, given back at its teardown, or handed to the lab that set
 * them after it. */
#include <string.h>

#include "engine/fault.h"
#include "engine/teardown_impl.h"
#include "kernel/sysctl.h"
#include "state/journal.h"

/* When a journal set KEY first (0: never), and the value it found. */
static uint64_t set_time(const struct nsl_journal *j, const char *key, const char **old)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->recs[i].kind == NSL_REC_HOSTSYSCTL && !strcmp(j->recs[i].sysctl.key, key)) {
			if (old)
				*old = j->recs[i].sysctl.value;
			return j->recs[i].sysctl.time;
		}
	return 0;
}

/* Whether a journal says its teardown already handled KEY. */
static bool sysctl_done(const struct nsl_journal *j, const char *key)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->recs[i].kind == NSL_REC_HOSTSYSCTL_DONE &&
		    !strcmp(j->recs[i].sysctl.key, key))
			return true;
	return false;
}

/* Each key gets back the value it had before this lab set it, unless a lab that is still up
 * set it later: that lab recorded our value as its "old" one, so it inherits our original
 * instead (a hostsysctl-orig record in its journal) and the key keeps its value. A lab whose
 * teardown already handled the key (hostsysctl-done) is no heir: it restored what it had
 * found, which was ours. All under the root lock, our own journal read again inside it: an
 * original handed to us by a lab that went down a moment ago is in it. */
int nsl_teardown_host_sysctls(struct nsl_statedir *sd, const char *lab, struct nsl_err *err)
{
	struct nsl_journal j = {0};
	char **others = NULL;
	size_t n_others = 0;
	int rc = nsl_state_lock_root(sd, true, err);

	if (rc < 0)
		return rc;
	rc = nsl_journal_read(sd, &j, err);
	if (rc == 0 && nsl_state_list(sd, &others, &n_others, err) < 0)
		others = NULL, n_others = 0;
	for (size_t i = 0; rc == 0 && i < j.n; i++) {
		const struct nsl_rec *r = &j.recs[i];
		const char *old = NULL, *heir = NULL;
		uint64_t ours, heir_time = 0;
		if (r->kind != NSL_REC_HOSTSYSCTL ||
		    set_time(&j, r->sysctl.key, NULL) != r->sysctl.time ||
		    sysctl_done(&j, r->sysctl.key))
			continue; /* each key once: at its first record, unless handled before */
		ours = set_time(&j, r->sysctl.key, &old);
		for (size_t k = 0; k < j.n; k++)
			if (j.recs[k].kind == NSL_REC_HOSTSYSCTL_ORIG &&
			    !strcmp(j.recs[k].sysctl.key, r->sysctl.key))
				old = j.recs[k].sysctl.value;
		for (size_t o = 0; o < n_others; o++) {
			struct nsl_journal oj;
			uint64_t t;
			if (!strcmp(others[o], lab) ||
			    nsl_journal_read_other(sd, others[o], &oj, NULL) <= 0)
				continue;
			t = sysctl_done(&oj, r->sysctl.key) ? 0
			                                    : set_time(&oj, r->sysctl.key, NULL);
			nsl_journal_free(&oj);
			if (t > ours && (!heir || t < heir_time)) {
				heir = others[o];
				heir_time = t;
			}
		}
		rc = nsl_step("host sysctl", err);
		if (rc < 0)
			break;
		bool handed = false;
		if (heir) {
			struct nsl_rec orig = {.kind = NSL_REC_HOSTSYSCTL_ORIG};
			orig.sysctl.key = r->sysctl.key;
			orig.sysctl.value = old;
			handed = nsl_journal_append_other(sd, heir, &orig, NULL) == 0;
		}
		/* Best effort: the key may be gone with its interface. */
		if (!handed)
			(void)!nsl_sysctl_write(r->sysctl.key, old, NULL);
		struct nsl_rec done = {.kind = NSL_REC_HOSTSYSCTL_DONE};
		done.sysctl.key = r->sysctl.key;
		rc = nsl_journal_append(sd, &done, 1, err);
	}
	nsl_strv_free(others, n_others);
	nsl_journal_free(&j);
	(void)!nsl_state_lock_root(sd, false, NULL);
	return rc;
}
