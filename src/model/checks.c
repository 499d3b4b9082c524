/* Checks as text, and their defaults: what `nslab test` reports as "ran", `validate --show`
 * and `up --dry-run` print. Pure. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "model/topology.h"

#define PING_TIMEOUT_MS 1000
#define CONNECT_TIMEOUT_MS 2000
#define CMD_TIMEOUT_MS 10000

uint32_t nsl_check_timeout_ms(const struct nsl_check *c)
{
	if (c->timeout_ms)
		return c->timeout_ms;
	switch (c->kind) {
	case NSL_CHECK_PING:
	case NSL_CHECK_NO_PING:
		return PING_TIMEOUT_MS;
	case NSL_CHECK_CONNECT:
		return CONNECT_TIMEOUT_MS;
	case NSL_CHECK_CMD:
		return CMD_TIMEOUT_MS;
	case NSL_CHECK_ROUTE:
		break;
	}
	return 0;
}

const char *nsl_check_kind_name(enum nsl_check_kind k)
{
	switch (k) {
	case NSL_CHECK_PING:
		return "ping";
	case NSL_CHECK_NO_PING:
		return "no_ping";
	case NSL_CHECK_CONNECT:
		return "connect";
	case NSL_CHECK_ROUTE:
		return "route";
	case NSL_CHECK_CMD:
		return "cmd";
	}
	return "?";
}

/* An argument as a shell would need it. */
static size_t put_arg(const char *s, char *buf, size_t size)
{
	bool plain = *s != 0;
	size_t o = 0;

	for (const char *c = s; *c && plain; c++)
		plain =
		    strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,@%+-",
		        *c) != NULL;
#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (o + 1 < size)                                                                  \
			buf[o] = (ch);                                                             \
		o++;                                                                               \
	} while (0)
	if (!plain)
		PUT('\'');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\'' && !plain) {
			for (const char *q = "'\\''"; *q; q++)
				PUT(*q);
		} else if (ch < 0x20 || ch == 0x7f) {
			PUT('?');
		} else {
			PUT((char)ch);
		}
	}
	if (!plain)
		PUT('\'');
#undef PUT
	return o;
}

void nsl_argv_str(const struct nsl_argv *a, char *buf, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	buf[0] = 0;
	for (size_t i = 0; i < a->argc; i++) {
		if (i && o + 1 < size)
			buf[o++] = ' ';
		o += put_arg(a->argv[i], buf + (o < size ? o : size - 1), o < size ? size - o : 1);
		if (o >= size)
			break;
	}
	if (o >= size) {
		/* cut: end with "..." */
		if (size > 4)
			memcpy(buf + size - 4, "...", 4);
		else
			buf[size - 1] = 0;
	} else {
		buf[o] = 0;
	}
}

static void put_duration(char *buf, size_t size, uint32_t ms)
{
	if (ms % 1000)
		nsl_fmt(buf, size, "%ums", ms);
	else
		nsl_fmt(buf, size, "%us", ms / 1000);
}

void nsl_check_describe(const struct nsl_check *c, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8], t[32], w[48] = "", cmd[768];

	put_duration(t, sizeof(t), nsl_check_timeout_ms(c));
	if (c->within_ms) {
		char d[32];
		put_duration(d, sizeof(d), c->within_ms);
		nsl_fmt(w, sizeof(w), ", retried for up to %s", d);
	}
	switch (c->kind) {
	case NSL_CHECK_PING:
	case NSL_CHECK_NO_PING:
		nsl_fmt(buf, size, "%s %s from %s: %u echo request%s, %s timeout%s; %s",
		        c->ip.family == AF_INET6 ? "ping (ICMPv6)" : "ping (ICMP)",
		        nsl_ip_str(&c->ip, a, sizeof(a)), c->node_name, c->count,
		        c->count == 1 ? "" : "s", t, w,
		        c->kind == NSL_CHECK_PING ? "passes when one is answered"
		                                  : "passes when none is answered");
		break;
	case NSL_CHECK_CONNECT:
		nsl_ip_str(&c->ip, a, sizeof(a));
		nsl_fmt(buf, size,
		        c->ip.family == AF_INET6 ? "connect %s [%s]:%u from %s, %s timeout%s; %s"
		                                 : "connect %s %s:%u from %s, %s timeout%s; %s",
		        c->proto == IPPROTO_UDP ? "udp" : "tcp", a, c->port, c->node_name, t, w,
		        c->proto == IPPROTO_UDP ? "passes when a datagram comes back"
		                                : "passes when the connection is accepted");
		break;
	case NSL_CHECK_ROUTE:
		nsl_fmt(buf, size, "route %s%s%s%s%s in table %u of %s%s",
		        c->route.len == 0 ? "default" : nsl_prefix_str(&c->route, a, sizeof(a)),
		        c->has_via ? " via " : "",
		        c->has_via ? nsl_ip_str(&c->via, b, sizeof(b)) : "",
		        c->dev[0] ? " dev " : "", c->dev, c->table, c->node_name, w);
		break;
	case NSL_CHECK_CMD:
		nsl_argv_str(&c->cmd, cmd, sizeof(cmd));
		nsl_fmt(buf, size, "in %s: %s; expects status %d%s%s%s, %s timeout%s", c->node_name,
		        cmd, c->status, c->match ? " and output matching /" : "",
		        c->match ? c->match : "", c->match ? "/" : "", t, w);
		break;
	}
}
