/* The nftables door. Every request goes out as netlink messages built by libnftnl and sent
 * over one libmnl socket opened inside the target namespace. Changes travel as one batch
 * (BEGIN, table, chain, rules, END) so the kernel commits all of it or none of it; every
 * message asks for an ACK, and each reply's sequence number tells which message it answers,
 * so an error can name the rule that caused it. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "kernel/nft.h"
#include "kernel/ns.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#define NFT_FAMILY NFPROTO_INET
#define NFT_SRCNAT_PRIO 100
/* Room reserved per message before libnftnl writes it (it does not check bounds). The largest
 * message, a rule with ten expressions of at most 16-byte data, stays well under 2 KiB; the
 * table name (at most NFT_NAME_MAXLEN) comes on top. */
#define NFT_MSG_ROOM (4096 + NFT_NAME_MAXLEN)
/* Each ACK is its own skb on the receive queue (about 1 KiB of truesize with NETLINK_CAP_ACK);
 * a default receive buffer overflows after a couple of hundred rules (ENOBUFS). */
#define NFT_RCVBUF_PER_MSG 2048
#define NFT_RCVBUF_MIN (1 << 20)
/* The kernel answers a batch while sendmsg() runs, so replies are normally all queued when it
 * returns; this bound only keeps a surprise from hanging us. */
#define NFT_REPLY_TIMEOUT_MS 5000
/* One datagram of replies: ACKs are tiny with CAP_ACK, a table description is small. */
#define NFT_RECV_SIZE (32 * 1024)

static void nft_socket_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}
#define _cleanup_mnl_ __attribute__((cleanup(nft_socket_closep)))

#ifdef NSL_NFT_TEST
static const struct nsl_nat *nft_test_refused_rule;
#endif

/* ---- the socket ---- */

static void nft_set_buffer(int fd, int opt_force, int opt, int size)
{
	/* FORCE passes rmem_max/wmem_max for CAP_NET_ADMIN; the plain option is capped by them
	 * and still better than the default. */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

/* A NETLINK_NETFILTER socket bound in the namespace of netns_fd. A socket keeps the namespace
 * it was created in, so we enter the namespace only for socket() and leave at once. */
static int nft_open(int netns_fd, size_t n_msgs, struct mnl_socket **ret, struct nsl_err *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	int one = 1, fd;
	size_t rcvbuf;

	fd = nsl_netns_socket(netns_fd, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER, err);
	if (fd < 0) {
		nsl_err_prefix(err, "nft");
		return fd;
	}
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		int e = errno;
		close(fd);
		return nsl_err_set(err, e, "nft: netlink socket: %s", strerror(e));
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return nsl_err_set(err, errno, "nft: bind netlink socket: %m");

	fd = mnl_socket_get_fd(nl);
	rcvbuf = n_msgs * NFT_RCVBUF_PER_MSG;
	if (rcvbuf < NFT_RCVBUF_MIN)
		rcvbuf = NFT_RCVBUF_MIN;
	if (rcvbuf > (1u << 30))
		rcvbuf = 1u << 30;
	nft_set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, (int)rcvbuf);
	/* Errors are more useful with the kernel's own words; and with CAP_ACK the kernel does
	 * not echo our request back in every ACK. Both are best effort on old kernels. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	*ret = TAKE_PTR(nl);
	return 0;
}

/* ---- building messages ---- */

struct nft_buf {
	char *data;
	size_t len, cap;
	uint32_t seq0;  /* sequence number of the first message */
	uint32_t n_msg; /* messages so far; message i carries seq0 + i */
};

static void nft_buf_freep(struct nft_buf *b) { free(b->data); }

/* Room for one more message at the end of the buffer. */
static char *nft_buf_reserve(struct nft_buf *b)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= NFT_MSG_ROOM)
		return b->data + b->len;
	cap = b->cap ? b->cap * 2 : 8 * NFT_MSG_ROOM;
	while (cap - b->len < NFT_MSG_ROOM)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return NULL;
	/* Cheap, and keeps every byte we might send defined. */
	memset(p + b->len, 0, cap - b->len);
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

static uint32_t nft_buf_seq(const struct nft_buf *b) { return b->seq0 + b->n_msg; }

static void nft_buf_commit(struct nft_buf *b, const struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->n_msg++;
}

/* Sequence numbers only have to be unique on our own socket, but distinct values per call
 * make a trace (nlmon, strace) readable. */
static uint32_t nft_first_seq(void) { return (uint32_t)(nsl_now_ns() / 1000) | 1; }

static int nft_batch_mark(struct nft_buf *b, bool begin)
{
	char *p = nft_buf_reserve(b);
	struct nlmsghdr *nlh;

	if (!p)
		return -ENOMEM;
	nlh = begin ? nftnl_batch_begin(p, nft_buf_seq(b)) : nftnl_batch_end(p, nft_buf_seq(b));
	nft_buf_commit(b, nlh);
	return 0;
}

/* A table message; mark (a comment, as `nft list` shows it) proves later that the table is
 * ours; handle (non-zero) names exactly one table, never one re-created under its name. */
static int nft_put_table(struct nft_buf *b, uint16_t type, uint16_t flags, const char *name,
                         const char *mark, uint64_t handle)
{
	struct nftnl_udata_buf *ud = NULL;
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	char *p;

	p = nft_buf_reserve(b);
	t = nftnl_table_alloc();
	if (mark)
		ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!p || !t ||
	    (mark && (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, mark)))) {
		nftnl_table_free(t);
		if (ud)
			nftnl_udata_buf_free(ud);
		return -ENOMEM;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (ud)
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
		                     nftnl_udata_buf_len(ud));
	if (handle)
		nftnl_table_set_u64(t, NFTNL_TABLE_HANDLE, handle);
	nlh = nftnl_nlmsg_build_hdr(p, type, NFT_FAMILY, flags, nft_buf_seq(b));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (ud)
		nftnl_udata_buf_free(ud);
	nft_buf_commit(b, nlh);
	return 0;
}

static int nft_put_chain(struct nft_buf *b, const char *table)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	char *p;

	p = nft_buf_reserve(b);
	c = nftnl_chain_alloc();
	if (!p || !c) {
		nftnl_chain_free(c);
		return -ENOMEM;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NSL_NFT_CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_SRCNAT_PRIO);
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWCHAIN, NFT_FAMILY,
	                            NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, nft_buf_seq(b));
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	nft_buf_commit(b, nlh);
	return 0;
}

/* Append one expression to the rule, which then owns it; NULL when out of memory. The
 * setters used on it copy their data, so callers may pass stack buffers. */
static struct nftnl_expr *nft_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

static bool nft_meta_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nft_expr(r, "meta");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return true;
}

static bool nft_cmp_eq(struct nftnl_rule *r, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nft_expr(r, "cmp");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
	return true;
}

static bool nft_immediate(struct nftnl_rule *r, uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nft_expr(r, "immediate");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set_data(e, NFTNL_EXPR_IMM_DATA, data, len);
	return true;
}

static uint32_t nft_addr_len(int family) { return family == AF_INET ? 4 : 16; }

/* "ip saddr 10.0.0.0/16": load the source address, mask it, compare with the network. */
static bool nft_match_source(struct nftnl_rule *r, const struct nsl_prefix *p)
{
	uint32_t len = nft_addr_len(p->ip.family), bits = p->len, i;
	uint8_t mask[16] = {0}, net[16] = {0}, zero[16] = {0};
	struct nftnl_expr *e;

	/* A /0 matches everything: the nfproto match already says all there is. */
	if (bits == 0)
		return true;
	for (i = 0; i < len; i++) {
		if (bits >= 8)
			mask[i] = 0xff;
		else if (bits > 0)
			mask[i] = (uint8_t)(0xff << (8 - bits));
		bits = bits >= 8 ? bits - 8 : 0;
		/* The model keeps host bits ("10.0.1.2/24"): the match must not. */
		net[i] = p->ip.bytes[i] & mask[i];
	}

	e = nft_expr(r, "payload");
	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	/* saddr: byte 12 of the IPv4 header, byte 8 of the IPv6 header */
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, p->ip.family == AF_INET ? 12 : 8);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);

	/* A full-length prefix is a plain comparison, as nft itself would emit. */
	if (p->len < len * 8) {
		e = nft_expr(r, "bitwise");
		if (!e)
			return false;
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
	return nft_cmp_eq(r, net, len);
}

static int nft_put_rule(struct nft_buf *b, const char *table, const struct nsl_nat *nat)
{
	uint8_t nfproto = nat->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	uint32_t alen = nft_addr_len(nat->family);
	struct nftnl_rule *r;
	struct nftnl_expr *e;
	struct nlmsghdr *nlh;
	bool ok = true;
	char *p;

	p = nft_buf_reserve(b);
	r = nftnl_rule_alloc();
	if (!p || !r) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NSL_NFT_CHAIN);

	/* In an inet table both families pass through the chain: every rule says its own. */
	ok = ok && nft_meta_load(r, NFT_META_NFPROTO) && nft_cmp_eq(r, &nfproto, sizeof(nfproto));
	if (ok && nat->has_source)
		ok = nft_match_source(r, &nat->source);
	if (ok && nat->out[0]) {
		/* oifname compares the whole IFNAMSIZ buffer, zero padded: an exact match, not
		 * a prefix ("eth1" must not match "eth10"). */
		char name[IFNAMSIZ] = {0};

		memcpy(name, nat->out, strnlen(nat->out, IFNAMSIZ - 1));
		ok = nft_meta_load(r, NFT_META_OIFNAME) && nft_cmp_eq(r, name, sizeof(name));
	}
	if (ok) {
		switch (nat->to) {
		case NSL_NAT_MASQUERADE:
			ok = nft_expr(r, "masq") != NULL;
			break;
		case NSL_NAT_ADDRESS:
		case NSL_NAT_RANGE:
			ok = nft_immediate(r, NFT_REG_1, nat->to_min.bytes, alen);
			if (ok && nat->to == NSL_NAT_RANGE)
				ok = nft_immediate(r, NFT_REG_2, nat->to_max.bytes, alen);
			e = ok ? nft_expr(r, "nat") : NULL;
			if (!e) {
				ok = false;
				break;
			}
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
#ifdef NSL_NFT_TEST
			/* tests/kernel/test_nft.c compiles this file with a hook that makes the
			 * kernel refuse one chosen rule (a NAT type it does not know), to prove
			 * that errors are mapped back to the rule that caused them. */
			if (nat == nft_test_refused_rule)
				nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, 0x7f);
#endif
			/* An inet table's nat must say which family it rewrites. */
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nfproto);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
			if (nat->to == NSL_NAT_RANGE)
				nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_2);
			break;
		}
	}
	if (!ok) {
		nftnl_rule_free(r);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWRULE, NFT_FAMILY,
	                            NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, nft_buf_seq(b));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	nft_buf_commit(b, nlh);
	return 0;
}

/* ---- talking ---- */

/* What came back for the messages of one request. */
struct nft_reply {
	int error;          /* first error (negative errno), 0 if none */
	uint32_t error_msg; /* index of the message it answers */
	char ext_msg[256];  /* kernel's extended-ACK text, "" if none */
	bool found_table;   /* a NEWTABLE came back (answer to GETTABLE) */
	uint64_t handle;    /* its handle */
	char mark[128];     /* its comment, "" if none */
};

static int nft_udata_cb(const struct nftnl_udata *attr, void *data)
{
	char *mark = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT) {
		const char *v = nftnl_udata_get(attr);
		uint8_t len = nftnl_udata_len(attr);
		if (len && len < 128 && v[len - 1] == 0)
			memcpy(mark, v, len);
	}
	return 0;
}

/* The handle and mark of a table the kernel described. */
static void nft_parse_table(const struct nlmsghdr *nlh, struct nft_reply *rep)
{
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t len = 0;
	const void *ud;

	rep->found_table = true;
	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return;
	}
	if (nftnl_table_is_set(t, NFTNL_TABLE_HANDLE))
		rep->handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (ud && len)
		nftnl_udata_parse(ud, len, nft_udata_cb, rep->mark);
	nftnl_table_free(t);
}

static void nft_parse_ext_msg(const struct nlmsghdr *nlh, char *out, size_t size)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e), plen = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *a;

	out[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without CAP_ACK honoured, the original request's payload sits between. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&e->msg);
	if (off > plen)
		return;
	mnl_attr_for_each(a, nlh, off)
	{
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			nsl_fmt(out, size, "%s", mnl_attr_get_str(a));
			return;
		}
	}
}

/* Send the buffer, then read replies until each message in [first_ack, end_ack) is answered
 * (or, after an error, until nothing more is queued). The batch markers ask for no ACK and
 * get none. Only transport problems are returned here; the kernel's verdict on each message
 * lands in *rep. */
static int nft_talk(struct mnl_socket *nl, const struct nft_buf *b, uint32_t first_ack,
                    uint32_t end_ack, struct nft_reply *rep, struct nsl_err *err)
{
	_cleanup_free_ bool *answered = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t bufsize = NFT_RECV_SIZE;
	uint32_t pending = end_ack - first_ack;
	uint32_t portid = mnl_socket_get_portid(nl);
	int fd = mnl_socket_get_fd(nl);
	ssize_t got;

	memset(rep, 0, sizeof(*rep));
	answered = calloc(b->n_msg, sizeof(*answered));
	buf = malloc(bufsize);
	if (!answered || !buf)
		return nsl_err_set(err, ENOMEM, "nft: out of memory");

	/* A big batch needs a send buffer that holds it whole: it must reach the kernel as one
	 * message to be one transaction. */
	if (b->len > 64 * 1024)
		nft_set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, (int)b->len + 4096);
	if (mnl_socket_sendto(nl, b->data, b->len) < 0)
		return nsl_err_set(err, errno, "nft: send: %m");

	while (pending > 0) {
		const struct nlmsghdr *nlh;
		int len;

		got = recv(fd, buf, bufsize, MSG_DONTWAIT);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int r;

			/* After an error the kernel may drop the ACKs of other messages (a
			 * batch-level failure answers only the BEGIN): what is queued is all. */
			if (rep->error)
				break;
			r = poll(&pfd, 1, NFT_REPLY_TIMEOUT_MS);
			if (r < 0 && errno != EINTR)
				return nsl_err_set(err, errno, "nft: poll: %m");
			if (r == 0)
				return nsl_err_set(err, ETIMEDOUT, "nft: %u of %u replies missing",
				                   pending, end_ack - first_ack);
			continue;
		}
		if (got < 0 && errno == ENOBUFS)
			return nsl_err_set(
			    err, ENOBUFS,
			    "nft: replies lost (receive buffer overrun): state unknown");
		if (got < 0)
			return nsl_err_set(err, errno, "nft: receive: %m");

		len = (int)got;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			uint32_t i = nlh->nlmsg_seq - b->seq0;
			const struct nlmsgerr *e;

			/* Not an answer to this request: nothing else talks on this fresh
			 * socket, but be strict. (Replies carry our port id, not 0.) */
			if (i >= b->n_msg || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != portid))
				continue;
			if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE)) {
				nft_parse_table(nlh, rep);
				continue;
			}
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				return nsl_err_set(err, EPROTO, "nft: truncated netlink error");
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error && !rep->error) {
				/* Replies come in message order: the first error is the cause,
				 * later ones are usually its echo. */
				rep->error = e->error < 0 ? e->error : -e->error;
				rep->error_msg = i;
				nft_parse_ext_msg(nlh, rep->ext_msg, sizeof(rep->ext_msg));
			}
			if (i >= first_ack && i < end_ack && !answered[i]) {
				answered[i] = true;
				pending--;
			}
		}
		if (len > 0)
			return nsl_err_set(err, EPROTO, "nft: malformed netlink reply");
	}
	return 0;
}

/* ---- describing messages in errors ---- */

static const char *nft_ip_str(int family, const uint8_t *bytes, char *buf, size_t size)
{
	if (!inet_ntop(family, bytes, buf, (socklen_t)size))
		nsl_fmt(buf, size, "?");
	return buf;
}

static void nft_describe_nat(const struct nsl_nat *nat, size_t i, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN], z[INET6_ADDRSTRLEN];

	switch (nat->to) {
	case NSL_NAT_MASQUERADE:
		nsl_fmt(out, size, "nat[%zu]: masquerade", i);
		break;
	case NSL_NAT_ADDRESS:
		nsl_fmt(out, size, "nat[%zu]: snat to %s", i,
		        nft_ip_str(nat->to_min.family, nat->to_min.bytes, a, sizeof(a)));
		break;
	case NSL_NAT_RANGE:
		nsl_fmt(out, size, "nat[%zu]: snat to %s-%s", i,
		        nft_ip_str(nat->to_min.family, nat->to_min.bytes, a, sizeof(a)),
		        nft_ip_str(nat->to_max.family, nat->to_max.bytes, z, sizeof(z)));
		break;
	default:
		nsl_fmt(out, size, "nat[%zu]", i);
		break;
	}
}

/* The kernel's errno, with its own explanation when it gave one. */
static int nft_reply_err(struct nsl_err *err, const struct nft_reply *rep, const char *what)
{
	if (rep->ext_msg[0])
		return nsl_err_set(err, -rep->error, "%s: %s (%s)", what, strerror(-rep->error),
		                   rep->ext_msg);
	return nsl_err_set(err, -rep->error, "%s: %s", what, strerror(-rep->error));
}

/* ---- the API ---- */

static int nft_check_table(const char *table, struct nsl_err *err)
{
	size_t len = table ? strnlen(table, NFT_NAME_MAXLEN) : 0;

	if (len == 0 || len >= NFT_NAME_MAXLEN)
		return nsl_err_set(err, EINVAL, "nft: table name must be 1 to %d bytes",
		                   NFT_NAME_MAXLEN - 1);
	return 0;
}

static bool nft_family_ok(int family) { return family == AF_INET || family == AF_INET6; }

/* What must hold before a rule is sent: the address lengths in the messages come from the
 * family, so a mixed rule would be silently misencoded; and a reversed range is accepted by
 * the kernel as is. Whether the interface exists is not asked: nft matches names, and the
 * interface may come later. */
static int nft_check_rule(const struct nsl_nat *nat, size_t i, struct nsl_err *err)
{
	char what[160];
	const char *why = NULL;

	nft_describe_nat(nat, i, what, sizeof(what));
	if (nat->to != NSL_NAT_MASQUERADE && nat->to != NSL_NAT_ADDRESS && nat->to != NSL_NAT_RANGE)
		why = "unknown action";
	else if (!nft_family_ok(nat->family))
		why = "family is neither IPv4 nor IPv6";
	else if (nat->has_source && (nat->source.ip.family != nat->family ||
	                             nat->source.len > nft_addr_len(nat->family) * 8))
		why = "source prefix does not match the rule's family";
	else if (nat->to != NSL_NAT_MASQUERADE && nat->to_min.family != nat->family)
		why = "address does not match the rule's family";
	else if (nat->to == NSL_NAT_RANGE && nat->to_max.family != nat->family)
		why = "range end does not match the rule's family";
	else if (nat->to == NSL_NAT_RANGE &&
	         memcmp(nat->to_min.bytes, nat->to_max.bytes, nft_addr_len(nat->family)) > 0)
		/* The kernel takes such a range without a word and then NATs nonsense. */
		why = "range start is above its end";
	else if (strnlen(nat->out, sizeof(nat->out)) >= sizeof(nat->out))
		why = "output interface name too long";
	if (why)
		return nsl_err_set(err, EINVAL, "%s: %s", what, why);
	return 0;
}

int nsl_nft_apply(int netns_fd, const char *table, const char *mark, const struct nsl_nat *rules,
                  size_t n, struct nsl_err *err)
{
	__attribute__((cleanup(nft_buf_freep))) struct nft_buf b = {0};
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	struct nft_reply rep;
	char what[320];
	size_t i;
	int r;

	r = nft_check_table(table, err);
	if (r < 0)
		return r;
	if (n > UINT32_MAX - 8)
		return nsl_err_set(err, E2BIG, "nft: too many rules");
	for (i = 0; i < n; i++) {
		r = nft_check_rule(&rules[i], i, err);
		if (r < 0)
			return r;
	}

	/* Message i: 0 BEGIN, 1 table, 2 chain, 3 + k rule k, 3 + n END. */
	b.seq0 = nft_first_seq();
	r = nft_batch_mark(&b, true);
	/* EXCL on the table: an existing table of that name is someone's (or a previous
	 * lab's) and must not be extended behind its owner's back. */
	if (r >= 0)
		r = nft_put_table(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
		                  table, mark, 0);
	if (r >= 0)
		r = nft_put_chain(&b, table);
	for (i = 0; r >= 0 && i < n; i++)
		r = nft_put_rule(&b, table, &rules[i]);
	if (r >= 0)
		r = nft_batch_mark(&b, false);
	if (r < 0)
		return nsl_err_set(err, -r, "table inet %s: build batch: %s", table, strerror(-r));

	r = nft_open(netns_fd, b.n_msg, &nl, err);
	if (r < 0)
		return r;
	r = nft_talk(nl, &b, 1, b.n_msg - 1, &rep, err);
	if (r < 0) {
		nsl_err_prefix(err, "table inet %s", table);
		return r;
	}
	if (!rep.error)
		return 0;

	if (rep.error_msg == 1)
		nsl_fmt(what, sizeof(what), "table inet %s", table);
	else if (rep.error_msg == 2)
		nsl_fmt(what, sizeof(what), "table inet %s: chain %s", table, NSL_NFT_CHAIN);
	else if (rep.error_msg >= 3 && rep.error_msg - 3 < n)
		nft_describe_nat(&rules[rep.error_msg - 3], rep.error_msg - 3, what, sizeof(what));
	else
		nsl_fmt(what, sizeof(what), "table inet %s: batch", table);
	return nft_reply_err(err, &rep, what);
}

/* One message about a whole table (delete in a batch, or a plain look-up); the kernel's
 * answer in *rep. Transport failures are errors here; the answer is the caller's. */
static int nft_table_request(int netns_fd, const char *table, uint64_t handle, int type, bool batch,
                             struct nft_reply *rep, struct nsl_err *err)
{
	__attribute__((cleanup(nft_buf_freep))) struct nft_buf b = {0};
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	int r;

	r = nft_check_table(table, err);
	if (r < 0)
		return r;
	b.seq0 = nft_first_seq();
	r = batch ? nft_batch_mark(&b, true) : 0;
	if (r >= 0)
		r = nft_put_table(&b, type, NLM_F_ACK, table, NULL, handle);
	if (r >= 0 && batch)
		r = nft_batch_mark(&b, false);
	if (r < 0)
		return nsl_err_set(err, -r, "table inet %s: build request: %s", table,
		                   strerror(-r));
	r = nft_open(netns_fd, b.n_msg, &nl, err);
	if (r < 0)
		return r;
	/* In a batch, the answer that counts is the one to the message between the marks. */
	r = batch ? nft_talk(nl, &b, 1, b.n_msg - 1, rep, err) : nft_talk(nl, &b, 0, 1, rep, err);
	if (r < 0)
		nsl_err_prefix(err, "table inet %s", table);
	return r;
}

/* Look a table up: 1 found (its handle and mark filled), 0 absent. */
static int nft_lookup(int netns_fd, const char *table, struct nft_reply *rep, struct nsl_err *err)
{
	char what[320];
	/* A lookup is not a change: a plain request outside any batch. */
	int r = nft_table_request(netns_fd, table, 0, NFT_MSG_GETTABLE, false, rep, err);

	if (r < 0)
		return r;
	if (rep->error == -ENOENT)
		return 0;
	if (rep->error) {
		nsl_fmt(what, sizeof(what), "table inet %s: look up", table);
		return nft_reply_err(err, rep, what);
	}
	return rep->found_table ? 1 : 0;
}

int nsl_nft_delete(int netns_fd, const char *table, const char *mark, struct nsl_err *err)
{
	struct nft_reply rep;
	char what[320];
	int r = nft_lookup(netns_fd, table, &rep, err);

	if (r <= 0)
		return r;
	if (mark && strcmp(rep.mark, mark))
		return 0; /* someone else's table of that name: not ours to delete */
	/* By handle: a table re-created under that name since the look-up is not this one. */
	r = nft_table_request(netns_fd, table, rep.handle, NFT_MSG_DELTABLE, true, &rep, err);
	if (r < 0)
		return r;
	/* Already gone is what we wanted: teardown is idempotent. */
	if (!rep.error || rep.error == -ENOENT)
		return 1;
	nsl_fmt(what, sizeof(what), "table inet %s: delete", table);
	return nft_reply_err(err, &rep, what);
}

int nsl_nft_exists(int netns_fd, const char *table, struct nsl_err *err)
{
	struct nft_reply rep;

	return nft_lookup(netns_fd, table, &rep, err);
}
