/* Impairments: the values of `impair` (times, percentages, rates as tc writes them), parsed
 * strictly and written back exactly; merging a link's impairment with an end's; netem's rules
 * (jitter and reorder need a delay); which qdisc carries them; the parser's and the
 * validator's parts for `impair` objects. Pure. */
#include <string.h>

#include "model/parse.h"
#include "model/validate.h"

const char *const nsl_impair_keys[NSL_IMP_KEYS] = {
    "delay", "jitter", "loss", "duplicate", "corrupt", "reorder", "rate",
};

#define TIME_WHY "a time with its unit, like \"20ms\", \"1.5s\" or \"250us\""
#define PERCENT_WHY "a percentage, like \"1%\" or \"0.1%\""
#define RATE_WHY "a rate like \"100mbit\", \"1gbit\", \"512kbit\" or \"10mbps\""

/* "D+[.D+]" as value * 10^digits; more fractional digits are refused unless zero. The end of
 * the number in *end. */
static bool parse_fixed(const char *s, unsigned digits, uint64_t *ret, const char **end,
                        bool *ret_finer)
{
	uint64_t v = 0;
	unsigned frac = 0, whole = 0;
	const char *p = s;

	*ret_finer = false;
	for (; *p >= '0' && *p <= '9'; p++, whole++) {
		if (whole >= 12)
			return false; /* far beyond any limit: no overflow below */
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!whole)
		return false;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac < digits) {
				v = v * 10 + (uint64_t)(*p - '0');
				frac++;
			} else if (*p != '0') {
				*ret_finer = true;
			}
		}
	}
	for (; frac < digits; frac++)
		v *= 10;
	*ret = v;
	*end = p;
	return true;
}

static bool parse_time(const char *s, uint64_t *ret, const char **why)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {{"s", 1000000}, {"ms", 1000}, {"us", 1}};
	const char *end;
	uint64_t v6; /* the number times 10^6 */
	bool finer;

	*why = "expected " TIME_WHY;
	if (!parse_fixed(s, 6, &v6, &end, &finer))
		return false;
	for (size_t i = 0; i < NSL_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		/* v6 * us / 10^6 microseconds: exact, or finer than the kernel's tc takes */
		unsigned __int128 x = (unsigned __int128)v6 * units[i].us;
		if (finer || x % 1000000) {
			*why = "finer than a microsecond";
			return false;
		}
		x /= 1000000;
		if (x > NSL_IMPAIR_TIME_MAX) {
			*why = "at most 60s";
			return false;
		}
		*ret = (uint64_t)x;
		return true;
	}
	if (!*end)
		*why = "a time needs its unit, like \"20ms\", \"1.5s\" or \"250us\"";
	return false;
}

static bool parse_percent(const char *s, uint32_t *ret, const char **why)
{
	const char *end;
	uint64_t v7; /* percent times 10^7: parts per 10^9 */
	bool finer;

	*why = "expected " PERCENT_WHY;
	if (!parse_fixed(s, 7, &v7, &end, &finer))
		return false;
	if (strcmp(end, "%")) {
		if (!*end)
			*why = "a percentage needs its '%', like \"1%\" or \"0.1%\"";
		return false;
	}
	if (finer) {
		*why = "finer than 0.0000001%";
		return false;
	}
	if (v7 > NSL_PERCENT_ONE) {
		*why = "at most 100%";
		return false;
	}
	*ret = (uint32_t)v7;
	return true;
}

bool nsl_impair_parse_value(unsigned key, const char *s, struct nsl_impair *im, const char **why)
{
	bool ok = false;

	switch (key) {
	case NSL_IMP_DELAY:
		ok = parse_time(s, &im->delay, why);
		break;
	case NSL_IMP_JITTER:
		ok = parse_time(s, &im->jitter, why);
		break;
	case NSL_IMP_LOSS:
		ok = parse_percent(s, &im->loss, why);
		break;
	case NSL_IMP_DUPLICATE:
		ok = parse_percent(s, &im->duplicate, why);
		break;
	case NSL_IMP_CORRUPT:
		ok = parse_percent(s, &im->corrupt, why);
		break;
	case NSL_IMP_REORDER:
		ok = parse_percent(s, &im->reorder, why);
		break;
	case NSL_IMP_RATE:
		*why = "expected " RATE_WHY;
		ok = nsl_rate_parse(s, &im->rate);
		if (ok && im->rate > NSL_RATE_MAX) {
			*why = "at most 2147483647 bytes/s (about 17.1gbit), the most the kernel's "
			       "tbf takes";
			ok = false;
		}
		break;
	default:
		*why = "no such key";
	}
	if (ok)
		im->set |= key;
	return ok;
}

/* whole.frac with the fraction's trailing zeros cut, then the unit */
static const char *fixed_str(uint64_t v, uint64_t one, unsigned digits, const char *unit, char *buf,
                             size_t size)
{
	uint64_t frac = v % one;

	if (!frac) {
		nsl_fmt(buf, size, "%llu%s", (unsigned long long)(v / one), unit);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	nsl_fmt(buf, size, "%llu.%0*llu%s", (unsigned long long)(v / one), (int)digits,
	        (unsigned long long)frac, unit);
	return buf;
}

const char *nsl_time_str(uint64_t us, char *buf, size_t size)
{
	if (us >= 1000000)
		return fixed_str(us, 1000000, 6, "s", buf, size);
	if (us >= 1000 || us == 0)
		return fixed_str(us, 1000, 3, "ms", buf, size);
	return fixed_str(us, 1, 0, "us", buf, size);
}

const char *nsl_percent_str(uint32_t p, char *buf, size_t size)
{
	return fixed_str(p, 10000000, 7, "%", buf, size);
}

const char *nsl_rate_str(uint64_t bytes_per_sec, char *buf, size_t size)
{
	uint64_t bits = bytes_per_sec * 8;

	if (bits && bits % 1000000000 == 0)
		nsl_fmt(buf, size, "%llugbit", (unsigned long long)(bits / 1000000000));
	else if (bits && bits % 1000000 == 0)
		nsl_fmt(buf, size, "%llumbit", (unsigned long long)(bits / 1000000));
	else if (bits && bits % 1000 == 0)
		nsl_fmt(buf, size, "%llukbit", (unsigned long long)(bits / 1000));
	else
		nsl_fmt(buf, size, "%llubit", (unsigned long long)bits);
	return buf;
}

uint64_t nsl_impair_value(const struct nsl_impair *im, unsigned key)
{
	switch (key) {
	case NSL_IMP_DELAY:
		return im->delay;
	case NSL_IMP_JITTER:
		return im->jitter;
	case NSL_IMP_LOSS:
		return im->loss;
	case NSL_IMP_DUPLICATE:
		return im->duplicate;
	case NSL_IMP_CORRUPT:
		return im->corrupt;
	case NSL_IMP_REORDER:
		return im->reorder;
	case NSL_IMP_RATE:
		return im->rate;
	}
	return 0;
}

const char *nsl_impair_value_str(const struct nsl_impair *im, unsigned key, char *buf, size_t size)
{
	switch (key) {
	case NSL_IMP_DELAY:
		return nsl_time_str(im->delay, buf, size);
	case NSL_IMP_JITTER:
		return nsl_time_str(im->jitter, buf, size);
	case NSL_IMP_LOSS:
		return nsl_percent_str(im->loss, buf, size);
	case NSL_IMP_DUPLICATE:
		return nsl_percent_str(im->duplicate, buf, size);
	case NSL_IMP_CORRUPT:
		return nsl_percent_str(im->corrupt, buf, size);
	case NSL_IMP_REORDER:
		return nsl_percent_str(im->reorder, buf, size);
	case NSL_IMP_RATE:
		return nsl_rate_str(im->rate, buf, size);
	}
	nsl_fmt(buf, size, "?");
	return buf;
}

void nsl_impair_merge(struct nsl_impair *base, const struct nsl_impair *over)
{
	if (over->set & NSL_IMP_DELAY)
		base->delay = over->delay;
	if (over->set & NSL_IMP_JITTER)
		base->jitter = over->jitter;
	if (over->set & NSL_IMP_LOSS)
		base->loss = over->loss;
	if (over->set & NSL_IMP_DUPLICATE)
		base->duplicate = over->duplicate;
	if (over->set & NSL_IMP_CORRUPT)
		base->corrupt = over->corrupt;
	if (over->set & NSL_IMP_REORDER)
		base->reorder = over->reorder;
	if (over->set & NSL_IMP_RATE)
		base->rate = over->rate;
	base->set |= over->set;
}

const char *nsl_impair_check(const struct nsl_impair *im, unsigned *ret_key)
{
	/* netem's own rules, as tc applies them: a jitter around no delay, or packets sent
	 * early (reordered) past no delay, mean nothing */
	if (im->jitter && !im->delay) {
		*ret_key = NSL_IMP_JITTER;
		return "a jitter needs a delay";
	}
	if (im->reorder && !im->delay) {
		*ret_key = NSL_IMP_REORDER;
		return "reordering needs a delay (the packets not reordered wait for it)";
	}
	return NULL;
}

enum nsl_qdisc nsl_impair_qdisc(const struct nsl_impair *im)
{
	if (im->delay || im->jitter || im->loss || im->duplicate || im->corrupt || im->reorder)
		return NSL_QDISC_NETEM;
	return im->rate ? NSL_QDISC_TBF : NSL_QDISC_NONE;
}

uint32_t nsl_impair_limit(const struct nsl_impair *im)
{
	uint64_t bw = im->rate ? im->rate : 125000000; /* bytes/s */
	uint64_t us = im->delay + im->jitter + 100000;
	uint64_t pkts = (uint64_t)((unsigned __int128)us * bw / 1000000 / 1500) + 1;

	if (pkts < 1000)
		return 1000;
	return pkts > (1u << 20) ? 1u << 20 : (uint32_t)pkts;
}

bool nsl_impair_equal(const struct nsl_impair *a, const struct nsl_impair *b)
{
	return a->delay == b->delay && a->jitter == b->jitter && a->loss == b->loss &&
	       a->duplicate == b->duplicate && a->corrupt == b->corrupt &&
	       a->reorder == b->reorder && a->rate == b->rate;
}

void nsl_iface_impair(const struct nsl_topology *t, const struct nsl_iface *f,
                      struct nsl_impair *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (f->kind == NSL_IFACE_VXLAN && f->vxlan.cross) {
		*ret = f->impair; /* its link's merged in by nsl_topology_part */
		return;
	}
	if (f->kind != NSL_IFACE_VETH || f->link < 0)
		return;
	*ret = t->links[f->link].impair;
	nsl_impair_merge(ret, &f->impair);
	if (!(ret->set & NSL_IMP_RATE) && t->links[f->link].rate) {
		ret->rate = t->links[f->link].rate;
		ret->set |= NSL_IMP_RATE;
	}
}

/* ---- the parser's part: an `impair` object ---- */

void nsl_p_impair(struct pctx *c, const struct nsl_dnode *obj, const char *path,
                  struct nsl_impair *ret)
{
	struct key_spec keys[NSL_IMP_KEYS];

	for (unsigned k = 0; k < NSL_IMP_KEYS; k++)
		keys[k] = (struct key_spec){nsl_impair_keys[k], J_STRING};
	if (!nsl_p_check_object(c, obj, path, keys, NSL_IMP_KEYS))
		return;
	for (unsigned k = 0; k < NSL_IMP_KEYS; k++) {
		const struct nsl_dnode *v = nsl_p_get(obj, nsl_impair_keys[k], J_STRING);
		char kp[PATH_LEN], b[QUOTE_LEN];
		const char *why;
		if (!v)
			continue;
		nsl_p_path_key(kp, path, nsl_impair_keys[k]);
		if (!nsl_impair_parse_value(1u << k, v->text, ret, &why))
			nsl_p_err(c, v, kp, "invalid %s '%s': %s", nsl_impair_keys[k],
			          nsl_p_quote(b, v->text), why);
	}
}

/* ---- the validator's part: impairments against links and against each other ---- */

static unsigned key_index(unsigned key) { return (unsigned)__builtin_ctz(key); }

static void iface_path(const struct nsl_topology *t, int node, const char *ifname, char *buf,
                       size_t size)
{
	if (node == NSL_ENDPOINT_HOST)
		nsl_fmt(buf, size, "host.interfaces.%s.impair", ifname);
	else
		nsl_fmt(buf, size, "nodes.%s.interfaces.%s.impair", t->nodes[node].name, ifname);
}

static void check_not_end(struct vctx *c, int node, const struct nsl_iface *ifaces, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char p[PATH_LEN];
		if (!ifaces[i].impair.set || ifaces[i].kind == NSL_IFACE_VETH ||
		    ifaces[i].kind == NSL_IFACE_UNKNOWN)
			continue;
		const char *kind = nsl_iface_kind_name(ifaces[i].kind);
		char what[64];
		if (kind)
			nsl_fmt(what, sizeof(what), "an interface of kind %s", kind);
		else
			nsl_fmt(what, sizeof(what), "%s",
			        ifaces[i].kind == NSL_IFACE_LO       ? "the loopback"
			        : ifaces[i].kind == NSL_IFACE_BRIDGE ? "a bridge"
			        : ifaces[i].kind == NSL_IFACE_MGMT   ? "the management interface"
			                                             : "a moved device");
		iface_path(c->t, node, ifaces[i].name, p, sizeof(p));
		nsl_v_err_key(c, p, "only an end of a link can be impaired (this is %s)", what);
	}
}

void nsl_v_impairs(struct vctx *c)
{
	const struct nsl_topology *t = c->t;

	for (size_t i = 0; i < t->n_nodes; i++)
		check_not_end(c, (int)i, t->nodes[i].ifaces, t->nodes[i].n_ifaces);
	check_not_end(c, NSL_ENDPOINT_HOST, t->host.ifaces, t->host.n_ifaces);
	for (size_t l = 0; l < t->n_links; l++) {
		const struct nsl_link *k = &t->links[l];
		unsigned reported = 0; /* keys of the link's own already reported */
		char lp[PATH_LEN], p[PATH_LEN];

		nsl_fmt(lp, sizeof(lp), "links[%zu].impair", l);
		if (k->rate && (k->impair.set & NSL_IMP_RATE))
			nsl_v_err(c, strcat(strcpy(p, lp), ".rate"),
			          "the link has a \"rate\" already: give the rate once");
		for (int e = 0; e < 2; e++) {
			const struct nsl_endpoint *ep = &k->ends[e];
			const struct nsl_iface *f = nsl_v_iface(c, ep->node, ep->ifname);
			struct nsl_impair m = k->impair;
			unsigned key;
			const char *why;
			char ip[PATH_LEN];
			if (!f || f->kind != NSL_IFACE_VETH || f->link != (int)l)
				continue; /* reported elsewhere */
			iface_path(t, ep->node, ep->ifname, ip, sizeof(ip));
			if (k->rate && (f->impair.set & NSL_IMP_RATE))
				nsl_v_err(c, strcat(strcpy(p, ip), ".rate"),
				          "its link has a \"rate\" already: give one rate for "
				          "each direction");
			nsl_impair_merge(&m, &f->impair);
			why = nsl_impair_check(&m, &key);
			if (!why)
				continue;
			/* at the key that was written: the end's, else the link's (once) */
			if (f->impair.set & key) {
				nsl_fmt(p, sizeof(p), "%s.%s", ip, nsl_impair_keys[key_index(key)]);
			} else if (k->impair.set & key) {
				if (reported & key)
					continue;
				reported |= key;
				nsl_fmt(p, sizeof(p), "%s.%s", lp, nsl_impair_keys[key_index(key)]);
			} else {
				continue;
			}
			nsl_v_err(c, p, "%s", why);
		}
	}
}
