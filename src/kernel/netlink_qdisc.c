/* The route-netlink door, qdiscs: what leaves an interface. An impairment is one root qdisc:
 * netem (delay, jitter, loss, duplicate, corrupt, reorder, and its own rate with them) or a
 * token bucket (tbf) for a rate alone. At up each is created on an interface that has none;
 * at run time one request replaces it (NLM_F_CREATE | NLM_F_REPLACE, no handle): a qdisc of
 * the same kind is changed in place, one of another kind is swapped in while the device's
 * queue is stopped, so no packet ever leaves unimpaired in between. netem's request is
 * built here rather than with libnl's netem API, which has neither netem's rate nor its
 * 64-bit times, and whose probabilities stop at 50% (an int). */
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>

#include "kernel/netlink_impl.h"
#include "kernel/ns.h"

#define PSCHED_SHIFT 6 /* the kernel's qdisc ticks: 64 ns */

/* Probabilities: ours are parts of NSL_PERCENT_ONE, the kernel's parts of UINT32_MAX. */
static uint32_t prob_to_kernel(uint32_t p)
{
	return (uint32_t)(((uint64_t)p * UINT32_MAX + NSL_PERCENT_ONE / 2) / NSL_PERCENT_ONE);
}

static uint32_t prob_from_kernel(uint32_t k)
{
	return (uint32_t)(((uint64_t)k * NSL_PERCENT_ONE + UINT32_MAX / 2) / UINT32_MAX);
}

static int flags_of(bool replace)
{
	return replace ? NLM_F_CREATE | NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL;
}

static struct nl_msg *qdisc_msg(int type, int flags, int ifindex, bool handle)
{
	struct tcmsg tcm = {.tcm_family = AF_UNSPEC,
	                    .tcm_ifindex = ifindex,
	                    .tcm_parent = TC_H_ROOT,
	                    .tcm_handle = handle ? TC_HANDLE(1, 0) : 0};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int nsl_nl_netem_set(struct nsl_nl *nl, int ifindex, const char *ifname,
                     const struct nsl_impair *im, uint32_t limit, bool replace, struct nsl_err *err)
{
	/* Every part is sent, zeros included: netem changed in place keeps what a request
	 * leaves out (correlations, reordering, corruption, rate). */
	uint64_t latency = im->delay * 1000, jitter = im->jitter * 1000; /* ns */
	struct tc_netem_qopt q = {
	    .latency = (uint32_t)((latency >> PSCHED_SHIFT) > UINT32_MAX ? UINT32_MAX
	                                                                 : latency >> PSCHED_SHIFT),
	    .jitter = (uint32_t)((jitter >> PSCHED_SHIFT) > UINT32_MAX ? UINT32_MAX
	                                                               : jitter >> PSCHED_SHIFT),
	    .limit = limit,
	    .loss = prob_to_kernel(im->loss),
	    .duplicate = prob_to_kernel(im->duplicate),
	    .gap = im->reorder ? 1 : 0, /* as tc sets it: reordering works on a gap of one */
	};
	struct tc_netem_corr corr = {0};
	struct tc_netem_reorder reorder = {.probability = prob_to_kernel(im->reorder)};
	struct tc_netem_corrupt corrupt = {.probability = prob_to_kernel(im->corrupt)};
	struct tc_netem_rate rate = {.rate =
	                                 (uint32_t)(im->rate > UINT32_MAX ? UINT32_MAX : im->rate)};
	struct nl_msg *msg = qdisc_msg(RTM_NEWQDISC, flags_of(replace), ifindex, !replace);
	struct nlattr *opts;
	size_t at;
	bool ok;

	/* TCA_OPTIONS holds netem's fixed options, then its attributes, unnested */
	ok = msg && nla_put_string(msg, TCA_KIND, "netem") == 0;
	opts = ok ? nla_reserve(msg, TCA_OPTIONS, sizeof(q)) : NULL;
	ok = opts != NULL;
	if (ok) {
		memcpy(nla_data(opts), &q, sizeof(q));
		at = (size_t)((char *)opts - (char *)nlmsg_hdr(msg));
		ok =
		    nla_put(msg, TCA_NETEM_CORR, sizeof(corr), &corr) == 0 &&
		    nla_put(msg, TCA_NETEM_REORDER, sizeof(reorder), &reorder) == 0 &&
		    nla_put(msg, TCA_NETEM_CORRUPT, sizeof(corrupt), &corrupt) == 0 &&
		    nla_put(msg, TCA_NETEM_RATE, sizeof(rate), &rate) == 0 &&
		    (im->rate <= UINT32_MAX || nla_put_u64(msg, TCA_NETEM_RATE64, im->rate) == 0) &&
		    nla_put_s64(msg, TCA_NETEM_LATENCY64, (int64_t)latency) == 0 &&
		    nla_put_s64(msg, TCA_NETEM_JITTER64, (int64_t)jitter) == 0;
	}
	if (ok) {
		struct nlmsghdr *h = nlmsg_hdr(msg);
		opts = (struct nlattr *)((char *)h + at);
		opts->nla_len = (uint16_t)(h->nlmsg_len - at);
	} else {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "impairment on %s: cannot build request", ifname);
	}
	return nsl_nl_send(nl, msg, err, "impairment (netem) on %s", ifname);
}

int nsl_nl_tbf_set(struct nsl_nl *nl, int ifindex, const char *ifname, uint64_t bytes_per_sec,
                   bool replace, struct nsl_err *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_msg *msg = NULL;
	int rc = -ENOMEM;
	/* Bucket: enough for 10 ms at the rate, never less than a few full frames. */
	uint64_t bucket = bytes_per_sec / 100;

	if (bucket < 16384)
		bucket = 16384;
	if (bytes_per_sec > INT32_MAX)
		return nsl_err_set(err, ERANGE, "rate on %s: above what tbf takes (%d bytes/s)",
		                   ifname, INT32_MAX);
	if (q) {
		rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		if (!replace)
			rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
		if (rtnl_tc_set_kind(TC_CAST(q), "tbf") == 0) {
			rtnl_qdisc_tbf_set_rate(q, (int)bytes_per_sec, (int)bucket, 0);
			rtnl_qdisc_tbf_set_limit_by_latency(q, 50000); /* 50 ms of queue */
			rc = rtnl_qdisc_build_add_request(q, flags_of(replace), &msg);
		}
	}
	rtnl_qdisc_put(q);
	if (rc < 0)
		return nsl_err_set(err, ENOMEM, "rate on %s: cannot build request", ifname);
	return nsl_nl_send(nl, msg, err, "rate limit on %s", ifname);
}

int nsl_nl_tbf_add(struct nsl_nl *nl, int ifindex, const char *ifname, uint64_t bytes_per_sec,
                   struct nsl_err *err)
{
	return nsl_nl_tbf_set(nl, ifindex, ifname, bytes_per_sec, false, err);
}

static int no_reply(const struct nlmsghdr *h, void *arg)
{
	(void)h;
	(void)arg;
	return 0;
}

int nsl_nl_qdisc_clear(struct nsl_nl *nl, int ifindex, const char *ifname, struct nsl_err *err)
{
	struct nl_msg *msg = qdisc_msg(RTM_DELQDISC, 0, ifindex, false);
	char what[64];

	if (!msg)
		return nsl_err_set(err, ENOMEM, "out of memory");
	nsl_fmt(what, sizeof(what), "remove the impairment of %s", ifname);
	/* ENOENT: the interface has only its default qdisc (nothing to remove) */
	return nsl_nl_request_sync(nl, msg, false, ENOENT, no_reply, NULL, what, err);
}

/* ---- reading them back ---- */

static void decode_netem(const struct nlattr *opts, struct nsl_impair *im)
{
	const struct tc_netem_qopt *q = nla_data(opts);
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	int len = nla_len(opts) - NLA_ALIGN((int)sizeof(*q));

	if (nla_len(opts) < (int)sizeof(*q))
		return;
	im->delay = ((uint64_t)q->latency << PSCHED_SHIFT) / 1000;
	im->jitter = ((uint64_t)q->jitter << PSCHED_SHIFT) / 1000;
	im->loss = prob_from_kernel(q->loss);
	im->duplicate = prob_from_kernel(q->duplicate);
	if (len <= 0 || nla_parse(tb, TCA_NETEM_MAX,
	                          (struct nlattr *)((char *)nla_data(opts) + NLA_ALIGN(sizeof(*q))),
	                          len, NULL) < 0)
		return;
	if (tb[TCA_NETEM_LATENCY64] && nla_len(tb[TCA_NETEM_LATENCY64]) >= 8)
		im->delay = (uint64_t)nla_get_s64(tb[TCA_NETEM_LATENCY64]) / 1000;
	if (tb[TCA_NETEM_JITTER64] && nla_len(tb[TCA_NETEM_JITTER64]) >= 8)
		im->jitter = (uint64_t)nla_get_s64(tb[TCA_NETEM_JITTER64]) / 1000;
	if (tb[TCA_NETEM_REORDER] &&
	    nla_len(tb[TCA_NETEM_REORDER]) >= (int)sizeof(struct tc_netem_reorder))
		im->reorder = prob_from_kernel(
		    ((struct tc_netem_reorder *)nla_data(tb[TCA_NETEM_REORDER]))->probability);
	if (tb[TCA_NETEM_CORRUPT] &&
	    nla_len(tb[TCA_NETEM_CORRUPT]) >= (int)sizeof(struct tc_netem_corrupt))
		im->corrupt = prob_from_kernel(
		    ((struct tc_netem_corrupt *)nla_data(tb[TCA_NETEM_CORRUPT]))->probability);
	if (tb[TCA_NETEM_RATE] && nla_len(tb[TCA_NETEM_RATE]) >= (int)sizeof(struct tc_netem_rate))
		im->rate = ((struct tc_netem_rate *)nla_data(tb[TCA_NETEM_RATE]))->rate;
	if (tb[TCA_NETEM_RATE64] && nla_len(tb[TCA_NETEM_RATE64]) >= 8)
		im->rate = nla_get_u64(tb[TCA_NETEM_RATE64]);
}

static void decode_tbf(const struct nlattr *opts, struct nsl_impair *im)
{
	struct nlattr *tb[TCA_TBF_MAX + 1];

	if (nla_parse_nested(tb, TCA_TBF_MAX, (struct nlattr *)opts, NULL) < 0)
		return;
	if (tb[TCA_TBF_PARMS] && nla_len(tb[TCA_TBF_PARMS]) >= (int)sizeof(struct tc_tbf_qopt))
		im->rate = ((struct tc_tbf_qopt *)nla_data(tb[TCA_TBF_PARMS]))->rate.rate;
	if (tb[TCA_TBF_RATE64] && nla_len(tb[TCA_TBF_RATE64]) >= 8)
		im->rate = nla_get_u64(tb[TCA_TBF_RATE64]);
}

struct qdisc_list {
	struct nsl_qdisc_info *items;
	size_t n, cap;
};

static int parse_qdisc(const struct nlmsghdr *h, void *arg)
{
	struct qdisc_list *l = arg;
	const struct tcmsg *tcm = nlmsg_data(h);
	struct nlattr *tb[TCA_MAX + 1];
	struct nsl_qdisc_info *it;

	if (h->nlmsg_type != RTM_NEWQDISC || tcm->tcm_parent != TC_H_ROOT)
		return 0;
	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*tcm), tb, TCA_MAX, NULL) < 0 || !tb[TCA_KIND])
		return 0;
	if (!nsl_grow(&l->items, &l->cap, l->n, sizeof(*l->items)))
		return -ENOMEM;
	it = &l->items[l->n++];
	memset(it, 0, sizeof(*it));
	it->ifindex = tcm->tcm_ifindex;
	nla_strlcpy(it->kind, tb[TCA_KIND], sizeof(it->kind));
	if (!tb[TCA_OPTIONS])
		return 0;
	if (!strcmp(it->kind, "netem"))
		decode_netem(tb[TCA_OPTIONS], &it->impair);
	else if (!strcmp(it->kind, "tbf"))
		decode_tbf(tb[TCA_OPTIONS], &it->impair);
	return 0;
}

int nsl_nl_qdisc_list(struct nsl_nl *nl, struct nsl_qdisc_info **ret, size_t *ret_n,
                      struct nsl_err *err)
{
	struct tcmsg tcm = {.tcm_family = AF_UNSPEC};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETQDISC, 0);
	struct qdisc_list l = {0};
	int rc;

	if (!msg || nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return nsl_err_set(err, ENOMEM, "out of memory");
	}
	rc = nsl_nl_request_sync(nl, msg, true, 0, parse_qdisc, &l, "list qdiscs", err);
	if (rc < 0) {
		free(l.items);
		return rc;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

/* ---- does the kernel have it ---- */

static int probe_here(void *arg, struct nsl_err *err)
{
	const char *kind = arg;
	struct nsl_nl nl = {.fd = -1};
	struct nsl_impair im = {.delay = 1000};
	int rc = nsl_nl_open(&nl, -1, err);

	if (rc == 0) {
		if (!strcmp(kind, "netem"))
			rc = nsl_nl_netem_set(&nl, 1, "lo", &im, 1000, false, err);
		else
			rc = nsl_nl_tbf_set(&nl, 1, "lo", 125000, false, err);
	}
	if (rc == 0)
		rc = nsl_nl_flush(&nl, err);
	nsl_nl_close(&nl);
	if (rc == -ENOENT || rc == -EOPNOTSUPP)
		return 0; /* "Specified qdisc kind is unknown." */
	return rc < 0 ? rc : 1;
}

int nsl_nl_qdisc_probe(const char *kind, struct nsl_err *err)
{
	char path[64];
	int rc;

	/* Loaded (or built in with parameters): nothing to try. */
	nsl_fmt(path, sizeof(path), "/sys/module/sch_%s", kind);
	if (access(path, F_OK) == 0)
		return 1;
	/* Else one on the lo of a throwaway namespace (a user's: in a user namespace of its
	 * own); the kernel loads the module on the way if it can. */
	rc = nsl_netns_call_throwaway(probe_here, (void *)kind, err);
	if (rc < 0)
		nsl_err_prefix(err, "probe for the %s qdisc", kind);
	return rc;
}
