/* Addresses, MACs, rates and names: strict text parsers, no kernel. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model/topology.h"

bool nsl_ip_parse(const char *s, struct nsl_ip *ret)
{
	struct nsl_ip ip = {0};

	/* inet_pton takes dotted quads only (no "10.1", no octal) and no zone ids */
	if (!s || !*s || strlen(s) >= INET6_ADDRSTRLEN)
		return false;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, ip.bytes) != 1)
			return false;
		ip.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, ip.bytes) != 1)
			return false;
		ip.family = AF_INET;
	}
	*ret = ip;
	return true;
}

bool nsl_prefix_parse(const char *s, struct nsl_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN];
	struct nsl_prefix p = {0};
	const char *slash, *l;
	unsigned len = 0, max;
	size_t n;

	if (!s)
		return false;
	slash = strchr(s, '/');
	if (!slash)
		return false;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!nsl_ip_parse(buf, &p.ip))
		return false;
	max = p.ip.family == AF_INET ? 32 : 128;
	l = slash + 1;
	/* decimal, no sign, no leading zero, at most three digits */
	if (!*l || strlen(l) > 3 || (l[0] == '0' && l[1]))
		return false;
	for (; *l; l++) {
		if (*l < '0' || *l > '9')
			return false;
		len = len * 10 + (unsigned)(*l - '0');
	}
	if (len > max)
		return false;
	p.len = (uint8_t)len;
	*ret = p;
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

bool nsl_mac_parse(const char *s, uint8_t ret[6])
{
	uint8_t mac[6];
	bool zero = true;

	if (!s || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
		if (mac[i])
			zero = false;
	}
	/* the I/G bit: a multicast (or broadcast) MAC cannot be a port's address */
	if (zero || (mac[0] & 1))
		return false;
	memcpy(ret, mac, 6);
	return true;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a[whole] & mask) != (b[whole] & mask))
			return false;
	}
	return true;
}

bool nsl_prefix_overlap(const struct nsl_prefix *a, const struct nsl_prefix *b)
{
	if (a->ip.family != b->ip.family)
		return false;
	return bits_equal(a->ip.bytes, b->ip.bytes, a->len < b->len ? a->len : b->len);
}

bool nsl_prefix_contains(const struct nsl_prefix *p, const struct nsl_ip *ip)
{
	if (p->ip.family != ip->family)
		return false;
	return bits_equal(p->ip.bytes, ip->bytes, p->len);
}

bool nsl_ip_equal(const struct nsl_ip *a, const struct nsl_ip *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && !memcmp(a->bytes, b->bytes, n);
}

bool nsl_ip_is_special(const struct nsl_ip *ip)
{
	static const uint8_t zero[16];

	if (ip->family == AF_INET)
		return !memcmp(ip->bytes, zero, 4) || (ip->bytes[0] & 0xf0) == 0xe0 ||
		       !memcmp(ip->bytes, "\xff\xff\xff\xff", 4);
	return !memcmp(ip->bytes, zero, 16) || ip->bytes[0] == 0xff;
}

const char *nsl_ip_str(const struct nsl_ip *ip, char *buf, size_t size)
{
	if (!inet_ntop(ip->family, ip->bytes, buf, (socklen_t)size)) {
		if (size)
			nsl_fmt(buf, size, "?");
	}
	return buf;
}

const char *nsl_prefix_str(const struct nsl_prefix *p, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	nsl_ip_str(&p->ip, ip, sizeof(ip));
	nsl_fmt(buf, size, "%s/%u", ip, p->len);
	return buf;
}

/* tc's units: SI multiples of bits or bytes per second, plus the IEC "kibit" family. */
static const struct {
	const char *unit;
	uint64_t mult;
	bool bytes;
} rate_units[] = {
    {"", 1, false},
    {"bit", 1, false},
    {"kbit", 1000ull, false},
    {"mbit", 1000000ull, false},
    {"gbit", 1000000000ull, false},
    {"tbit", 1000000000000ull, false},
    {"kibit", 1024ull, false},
    {"mibit", 1024ull * 1024, false},
    {"gibit", 1024ull * 1024 * 1024, false},
    {"tibit", 1024ull * 1024 * 1024 * 1024, false},
    {"bps", 1, true},
    {"kbps", 1000ull, true},
    {"mbps", 1000000ull, true},
    {"gbps", 1000000000ull, true},
    {"tbps", 1000000000000ull, true},
    {"kibps", 1024ull, true},
    {"mibps", 1024ull * 1024, true},
    {"gibps", 1024ull * 1024 * 1024, true},
    {"tibps", 1024ull * 1024 * 1024 * 1024, true},
};

bool nsl_rate_parse(const char *s, uint64_t *ret_bytes_per_sec)
{
	uint64_t v = 0, r;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < NSL_ARRAY_SIZE(rate_units); i++) {
		if (strcasecmp(p, rate_units[i].unit))
			continue;
		if (__builtin_mul_overflow(v, rate_units[i].mult, &r))
			return false;
		if (!rate_units[i].bytes)
			r /= 8;
		/* below one byte per second is no rate tc can apply */
		if (r == 0)
			return false;
		*ret_bytes_per_sec = r;
		return true;
	}
	return false;
}

bool nsl_name_valid(const char *s)
{
	size_t n;

	if (!s || !*s || *s == '-')
		return false;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n >= NSL_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool nsl_ifname_valid(const char *s)
{
	size_t n;

	/* "all" and "default" name the kernel's per-family settings (net.ipv4.conf.all): it
	 * refuses interfaces of those names */
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "all") ||
	    !strcmp(s, "default"))
		return false;
	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= NSL_IFNAME_MAX)
			return false;
		/* the kernel only bans '/', ':' and white space; non-ASCII and control
		 * bytes are legal there but break every tool that prints the name */
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

uint32_t nsl_route_metric(const struct nsl_route *r)
{
	/* IPv4 stores what it is given (none: 0); IPv6 reads none and 0 alike as 1024 */
	if (r->to.ip.family == AF_INET6)
		return r->has_metric && r->metric ? r->metric : 1024;
	return r->has_metric ? r->metric : 0;
}

bool nsl_duration_parse(const char *s, uint64_t *ret_ms)
{
	static const struct {
		const char *unit;
		uint64_t us; /* microseconds in one */
	} units[] = {{"ms", 1000ull}, {"s", 1000000ull}, {"m", 60000000ull}, {"h", 3600000000ull}};
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > 1000000000ull)
			return false;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale >= 1000000000ull)
				return false; /* more digits than any unit needs */
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	for (size_t i = 0; i < NSL_ARRAY_SIZE(units); i++) {
		uint64_t us;
		if (strcmp(p, units[i].unit))
			continue;
		us = whole * units[i].us;
		/* the fraction must come to whole milliseconds */
		if ((frac * units[i].us) % (scale * 1000))
			return false;
		us += frac * units[i].us / scale;
		*ret_ms = us / 1000;
		return true;
	}
	return false;
}
