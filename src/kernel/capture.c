/* Capturing in a namespace (see capture.h). */
#include <string.h>

#include "kernel/capture.h"
#include "kernel/ns.h"

struct open_args {
	const char *ifname;
	bool promisc;
	pcap_t *p;
	int status;
	char errbuf[PCAP_ERRBUF_SIZE];
};

/* Inside the namespace: everything that makes or binds the socket. */
static int open_in_ns(void *arg)
{
	struct open_args *a = arg;

	a->errbuf[0] = 0;
	a->p = nsl_pcap.create(a->ifname, a->errbuf);
	if (!a->p)
		return -ENOMEM;
	if (nsl_pcap.set_snaplen(a->p, NSL_SNAPLEN) != 0 ||
	    nsl_pcap.set_promisc(a->p, a->promisc) != 0 ||
	    nsl_pcap.set_immediate_mode(a->p, 1) != 0 || nsl_pcap.set_timeout(a->p, 100) != 0) {
		a->status = PCAP_ERROR;
		return -EINVAL;
	}
	a->status = nsl_pcap.activate(a->p);
	return a->status < 0 ? -EIO : 0;
}

int nsl_pcap_open(int netns_fd, const char *ifname, bool promisc, const char *filter, pcap_t **ret,
                  struct nsl_err *err)
{
	struct open_args a = {.ifname = ifname, .promisc = promisc};
	struct bpf_program prog;
	int rc;

	*ret = NULL;
	rc = nsl_pcap_load(err);
	if (rc < 0)
		return rc;
	rc = nsl_netns_call(netns_fd, open_in_ns, &a);
	if (rc < 0 && !a.p)
		return nsl_err_set(err, -rc, "%s: %s", ifname,
		                   a.errbuf[0] ? a.errbuf : strerror(-rc));
	if (rc < 0) {
		if (a.status == PCAP_ERROR_NO_SUCH_DEVICE)
			rc = nsl_err_set(err, ENODEV, "no interface %s", ifname);
		else
			rc = nsl_err_set(err, EIO, "%s: %s", ifname,
			                 a.status == PCAP_ERROR ? nsl_pcap.geterr(a.p)
			                                        : nsl_pcap.statustostr(a.status));
		nsl_pcap.close(a.p);
		return rc;
	}
	if (filter && *filter) {
		if (nsl_pcap.compile(a.p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			rc = nsl_err_set(err, EINVAL, "filter '%s': %s", filter,
			                 nsl_pcap.geterr(a.p));
			nsl_pcap.close(a.p);
			return rc;
		}
		rc = nsl_pcap.setfilter(a.p, &prog);
		nsl_pcap.freecode(&prog);
		if (rc < 0) {
			rc = nsl_err_set(err, EINVAL, "filter '%s': %s", filter,
			                 nsl_pcap.geterr(a.p));
			nsl_pcap.close(a.p);
			return rc;
		}
	}
	if (nsl_pcap.setnonblock(a.p, 1, a.errbuf) < 0) {
		rc = nsl_err_set(err, EIO, "%s: %s", ifname, a.errbuf);
		nsl_pcap.close(a.p);
		return rc;
	}
	*ret = a.p;
	return 0;
}
