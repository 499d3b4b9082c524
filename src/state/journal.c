/* Journal records: format and parse (see journal.h for the format). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "state/journal.h"

static bool plain(unsigned char c) { return c > 0x20 && c < 0x7f && c != '%'; }

bool nsl_rec_escape(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!*s)
		return nsl_fmt(buf, size, "%%");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (o + 4 > size)
			return false;
		if (plain(c)) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = 0;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place; false on a malformed escape. */
static bool unescape(char *s)
{
	char *o = s;

	if (!strcmp(s, "%")) {
		*s = 0;
		return true;
	}
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
		if (hi < 0 || lo < 0)
			return false;
		*o++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*o = 0;
	return true;
}

/* ---- formatting ---- */

struct out {
	char *buf;
	size_t size, len;
	bool ok;
};

static void put(struct out *o, const char *fmt, ...) NSL_PRINTF(2, 3);
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!o->ok)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->ok = false;
	else
		o->len += (size_t)n;
}

static void put_str(struct out *o, const char *s)
{
	char esc[NSL_REC_LINE_MAX];

	if (!nsl_rec_escape(s ? s : "", esc, sizeof(esc)))
		o->ok = false;
	else
		put(o, " %s", esc);
}

int nsl_rec_format(const struct nsl_rec *r, char *buf, size_t size)
{
	struct out o = {buf, size, 0, true};
	char pb[64];

	switch (r->kind) {
	case NSL_REC_HEADER:
		put(&o, "nslab-journal %d", NSL_JOURNAL_VERSION);
		put_str(&o, r->header.lab);
		put_str(&o, r->header.topology);
		break;
	case NSL_REC_NODE:
		put(&o, "node");
		put_str(&o, r->node.name);
		put(&o, " %d %llu %llu %llu", (int)r->node.pid,
		    (unsigned long long)r->node.start_time, (unsigned long long)r->node.netns_dev,
		    (unsigned long long)r->node.netns_ino);
		break;
	case NSL_REC_DEVICE: {
		const uint8_t *m = r->device.mac;
		put(&o, "device");
		put_str(&o, r->device.node);
		put_str(&o, r->device.key);
		put_str(&o, r->device.orig);
		put(&o, " %d %u %d %02x:%02x:%02x:%02x:%02x:%02x", r->device.ifindex, r->device.mtu,
		    r->device.up ? 1 : 0, m[0], m[1], m[2], m[3], m[4], m[5]);
		put_str(&o, r->device.alias);
		for (size_t a = 0; a < r->device.n_addrs; a++)
			put(&o, " %s", nsl_prefix_str(&r->device.addrs[a], pb, sizeof(pb)));
		break;
	}
	case NSL_REC_HOSTLINK:
		put(&o, "hostlink");
		put_str(&o, r->hostlink.name);
		put_str(&o, r->hostlink.node);
		break;
	case NSL_REC_HOSTDEV: {
		const uint8_t *m = r->hostdev.mac;
		put(&o, "hostdev");
		put_str(&o, r->hostdev.name);
		put_str(&o, r->hostdev.kind);
		put(&o, " %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		break;
	}
	case NSL_REC_CGROUP:
		put(&o, "cgroup");
		put_str(&o, r->cgroup.path);
		put_str(&o, r->cgroup.mark);
		break;
	case NSL_REC_HOSTNFT:
		put(&o, "hostnft");
		put_str(&o, r->hostnft.name);
		break;
	case NSL_REC_HOSTSYSCTL:
		put(&o, "hostsysctl");
		put_str(&o, r->sysctl.key);
		put(&o, " %llu", (unsigned long long)r->sysctl.time);
		put_str(&o, r->sysctl.value);
		break;
	case NSL_REC_HOSTSYSCTL_ORIG:
		put(&o, "hostsysctl-orig");
		put_str(&o, r->sysctl.key);
		put_str(&o, r->sysctl.value);
		break;
	case NSL_REC_HOSTSYSCTL_DONE:
		put(&o, "hostsysctl-done");
		put_str(&o, r->sysctl.key);
		break;
	case NSL_REC_COMMITTED:
		put(&o, "committed");
		break;
	case NSL_REC_UPLINK:
		put(&o, "uplink %d %llu", (int)r->uplink.pid,
		    (unsigned long long)r->uplink.start_time);
		break;
	case NSL_REC_KEEPER:
		put(&o, "keeper %d %llu %llu %llu", (int)r->keeper.pid,
		    (unsigned long long)r->keeper.start_time,
		    (unsigned long long)r->keeper.userns_dev,
		    (unsigned long long)r->keeper.userns_ino);
		break;
	}
	put(&o, "\n");
	return o.ok ? (int)o.len : -ENAMETOOLONG;
}

/* ---- parsing ---- */

#define FIELDS_MAX 80

static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		f[n++] = tok;
	}
	return n;
}

static bool u64(const char *s, uint64_t max, uint64_t *ret) { return nsl_parse_u64(s, max, ret); }

static bool str(char *s, const char **ret)
{
	if (!unescape(s))
		return false;
	*ret = s;
	return true;
}

static bool mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	int end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	           &end) != 6 ||
	    s[end])
		return false;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return true;
}

struct pctx {
	struct nsl_journal *j;
	size_t cap_addrs;
	int version; /* 0: the unversioned format of nslab 0.1 */
};

static bool parse_device(struct pctx *c, char **f, size_t n, struct nsl_rec *r)
{
	uint64_t idx, mtu, up;

	if (n < 9 || !str(f[1], &r->device.node) || !str(f[2], &r->device.key) ||
	    !str(f[3], &r->device.orig) || !u64(f[4], INT32_MAX, &idx) ||
	    !u64(f[5], UINT32_MAX, &mtu) || !u64(f[6], 1, &up) || !mac(f[7], r->device.mac))
		return false;
	r->device.ifindex = (int)idx;
	r->device.mtu = (uint32_t)mtu;
	r->device.up = up;
	if (c->version == 0) {
		/* 0.1 kept only whether it had an alias: an alias it had is left in place. */
		r->device.alias = NULL;
	} else if (!str(f[8], &r->device.alias)) {
		return false;
	}
	/* Addresses go to one array; records keep an offset until the end (it may move). */
	r->device.addrs = (const struct nsl_prefix *)(uintptr_t)c->j->n_addrs;
	r->device.n_addrs = 0;
	for (size_t i = 9; i < n; i++) {
		if (!nsl_grow(&c->j->addrs, &c->cap_addrs, c->j->n_addrs, sizeof(*c->j->addrs)))
			return false;
		if (!nsl_prefix_parse(f[i], &c->j->addrs[c->j->n_addrs]))
			return false;
		c->j->n_addrs++;
		r->device.n_addrs++;
	}
	return true;
}

static bool parse_line(struct pctx *c, char *line, struct nsl_rec *r)
{
	char *f[FIELDS_MAX];
	size_t n = split(line, f, FIELDS_MAX);
	uint64_t v, t, dev, ino;

	if (n == 0 || n > FIELDS_MAX)
		return false;
	memset(r, 0, sizeof(*r));
	if (!strcmp(f[0], "nslab-journal") && n == 4 && u64(f[1], 1000, &v)) {
		r->kind = NSL_REC_HEADER;
		r->header.version = (int)v;
		return str(f[2], &r->header.lab) && str(f[3], &r->header.topology);
	}
	if (!strcmp(f[0], "lab") && n >= 2 && c->version == 0) {
		r->kind = NSL_REC_HEADER;
		r->header.version = 0;
		r->header.lab = f[1];
		r->header.topology = n > 2 ? f[2] : "";
		return true;
	}
	if (!strcmp(f[0], "node") && n == 6 && str(f[1], &r->node.name) &&
	    u64(f[2], INT32_MAX, &v) && u64(f[3], UINT64_MAX, &t) && u64(f[4], UINT64_MAX, &dev) &&
	    u64(f[5], UINT64_MAX, &ino)) {
		r->kind = NSL_REC_NODE;
		r->node.pid = (pid_t)v;
		r->node.start_time = t;
		r->node.netns_dev = dev;
		r->node.netns_ino = ino;
		return true;
	}
	if (!strcmp(f[0], "holder") && n == 5 && c->version == 0 && u64(f[2], INT32_MAX, &v) &&
	    u64(f[3], UINT64_MAX, &t) && u64(f[4], UINT64_MAX, &ino)) {
		r->kind = NSL_REC_NODE;
		r->node.name = f[1];
		r->node.pid = (pid_t)v;
		r->node.start_time = t;
		r->node.netns_ino = ino;
		return true;
	}
	if (!strcmp(f[0], "device")) {
		r->kind = NSL_REC_DEVICE;
		return parse_device(c, f, n, r);
	}
	if (!strcmp(f[0], "hostlink") && n == 2 && c->version == 0) {
		r->kind = NSL_REC_HOSTLINK;
		r->hostlink.name = f[1];
		return true;
	}
	if (!strcmp(f[0], "hostlink") && n == 3) {
		r->kind = NSL_REC_HOSTLINK;
		return str(f[1], &r->hostlink.name) && str(f[2], &r->hostlink.node);
	}
	if (!strcmp(f[0], "hostdev") && n == 4) {
		r->kind = NSL_REC_HOSTDEV;
		return str(f[1], &r->hostdev.name) && str(f[2], &r->hostdev.kind) &&
		       mac(f[3], r->hostdev.mac);
	}
	if (!strcmp(f[0], "cgroup") && n == 3) {
		r->kind = NSL_REC_CGROUP;
		return str(f[1], &r->cgroup.path) && str(f[2], &r->cgroup.mark);
	}
	if (!strcmp(f[0], "hostnft") && n == 2) {
		r->kind = NSL_REC_HOSTNFT;
		return str(f[1], &r->hostnft.name);
	}
	if (!strcmp(f[0], "hostsysctl") && n >= 3 && u64(f[2], UINT64_MAX, &t)) {
		r->kind = NSL_REC_HOSTSYSCTL;
		r->sysctl.time = t;
		if (c->version == 0) {
			/* 0.1 wrote the value unescaped, last: blanks in it split it. */
			for (size_t i = 4; i < n; i++)
				f[i][-1] = ' ';
			r->sysctl.key = f[1];
			r->sysctl.value = n > 3 ? f[3] : "";
			return true;
		}
		return n == 4 && str(f[1], &r->sysctl.key) && str(f[3], &r->sysctl.value);
	}
	if (!strcmp(f[0], "hostsysctl-orig") && n >= 2) {
		r->kind = NSL_REC_HOSTSYSCTL_ORIG;
		if (c->version == 0) {
			for (size_t i = 3; i < n; i++)
				f[i][-1] = ' ';
			r->sysctl.key = f[1];
			r->sysctl.value = n > 2 ? f[2] : "";
			return true;
		}
		return n == 3 && str(f[1], &r->sysctl.key) && str(f[2], &r->sysctl.value);
	}
	if (!strcmp(f[0], "hostsysctl-done") && n == 2) {
		r->kind = NSL_REC_HOSTSYSCTL_DONE;
		return str(f[1], &r->sysctl.key);
	}
	if (!strcmp(f[0], "uplink") && n == 3 && u64(f[1], INT32_MAX, &v) && v > 1 &&
	    u64(f[2], UINT64_MAX, &t)) {
		r->kind = NSL_REC_UPLINK;
		r->uplink.pid = (pid_t)v;
		r->uplink.start_time = t;
		return true;
	}
	if (!strcmp(f[0], "keeper") && n == 5 && u64(f[1], INT32_MAX, &v) && v > 1 &&
	    u64(f[2], UINT64_MAX, &t) && u64(f[3], UINT64_MAX, &dev) &&
	    u64(f[4], UINT64_MAX, &ino)) {
		r->kind = NSL_REC_KEEPER;
		r->keeper.pid = (pid_t)v;
		r->keeper.start_time = t;
		r->keeper.userns_dev = dev;
		r->keeper.userns_ino = ino;
		return true;
	}
	if (!strcmp(f[0], "committed") && n == 1) {
		r->kind = NSL_REC_COMMITTED;
		return true;
	}
	return false;
}

int nsl_journal_parse(char *text, struct nsl_journal *ret, struct nsl_err *err)
{
	struct nsl_journal j = {.text = text};
	struct pctx c = {.j = &j, .version = 0};
	size_t cap = 0, lineno = 0;
	char *p = text;

	memset(ret, 0, sizeof(*ret));
	/* The version decides how the rest reads. */
	if (p && !strncmp(p, "nslab-journal ", 14)) {
		uint64_t v = 0;
		char num[16] = "";
		sscanf(p + 14, "%15[0-9]", num);
		if (!nsl_parse_u64(num, 1000, &v) || v > NSL_JOURNAL_VERSION) {
			nsl_journal_free(&j);
			return nsl_err_set(
			    err, EPROTONOSUPPORT,
			    "journal format version %s is newer than this nslab reads (%d)", num,
			    NSL_JOURNAL_VERSION);
		}
		c.version = (int)v;
	}
	j.version = c.version;
	while (p && *p) {
		char *nl = strchr(p, '\n'), *line = p;
		lineno++;
		if (!nl)
			break; /* cut short by a crash mid-write: that step never happened */
		*nl = 0;
		p = nl + 1;
		if (!*line)
			continue;
		if (!nsl_grow(&j.recs, &cap, j.n, sizeof(*j.recs))) {
			nsl_journal_free(&j);
			return nsl_err_set(err, ENOMEM, "out of memory");
		}
		if (!parse_line(&c, line, &j.recs[j.n])) {
			nsl_journal_free(&j);
			return nsl_err_set(err, EBADMSG, "journal line %zu is damaged", lineno);
		}
		j.n++;
	}
	for (size_t i = 0; i < j.n; i++)
		if (j.recs[i].kind == NSL_REC_DEVICE)
			j.recs[i].device.addrs = j.addrs + (uintptr_t)j.recs[i].device.addrs;
	*ret = j;
	return 0;
}

void nsl_journal_free(struct nsl_journal *j)
{
	free(j->text);
	free(j->recs);
	free(j->addrs);
	memset(j, 0, sizeof(*j));
}
