/* `apply` (see change.h). */
#include <string.h>

#include "engine/change.h"
#include "engine/lab.h"

int nsl_change_current(const char *lab, struct nsl_topology **ret, struct nsl_err *err)
{
	struct nsl_diags d = {0};
	struct nsl_lab l;
	int rc = nsl_lab_open(lab, true, &l, err);

	*ret = NULL;
	if (rc < 0)
		return rc;
	if (!l.text) {
		nsl_lab_close(&l);
		return nsl_err_set(err, ENOENT, "lab %s keeps no copy of its topology", lab);
	}
	d.file = l.topology;
	rc = nsl_topology_parse(l.topology, l.text, l.text_len, ret, &d);
	if (rc == 0)
		rc = nsl_topology_validate(*ret, &d);
	if (rc < 0) {
		rc =
		    nsl_err_set(err, EBADMSG, "the topology kept with lab %s does not validate: %s",
		                lab, d.n ? d.items[0].message : "(no message)");
		nsl_topology_free(*ret);
		*ret = NULL;
	}
	nsl_diags_clear(&d);
	nsl_lab_close(&l);
	return rc;
}

int nsl_change(const struct nsl_topology *to, const char *lab, const struct nsl_change_opts *o,
               struct nsl_change_result *res, struct nsl_err *err)
{
	(void)to, (void)lab, (void)o, (void)res;
	return nsl_err_set(err, ENOSYS, "not yet");
}
