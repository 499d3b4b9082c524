/* ICMP and ICMPv6 echo (see icmp.h). */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/icmp.h"
#include "kernel/ns.h"

/* <linux/icmp.h>: the IPv4 raw socket's type filter (a set bit drops that type). */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
struct icmp4_filter {
	uint32_t data;
};

#define PAYLOAD "nslab-echo-check"

static void to_sockaddr(const struct nsl_ip *ip, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip->bytes, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip->bytes, 16);
		*len = sizeof(*sin6);
	}
}

int nsl_echo_open(int netns_fd, int family, struct nsl_err *err)
{
	int fd, rc = 0;

	fd = nsl_netns_socket(netns_fd, family, SOCK_RAW | SOCK_NONBLOCK,
	                      family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, err);
	if (fd < 0)
		return fd;
	if (family == AF_INET) {
		struct icmp4_filter f = {~(1u << ICMP_ECHOREPLY)};
		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) < 0)
			rc = -errno;
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		close(fd);
		return nsl_err_set(err, -rc, "echo socket: %s", strerror(-rc));
	}
	return fd;
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int nsl_echo_send(int fd, const struct nsl_ip *dst, uint16_t id, uint16_t seq)
{
	int family = dst->family;
	struct sockaddr_storage ss;
	socklen_t len;
	/* The same layout in both families: type, code, checksum, id, sequence, payload. */
	struct {
		uint8_t type, code;
		uint16_t sum, id, seq;
		char data[sizeof(PAYLOAD) - 1];
	} __attribute__((packed)) m = {
	    .type = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST,
	    .id = htons(id),
	    .seq = htons(seq),
	};

	memcpy(m.data, PAYLOAD, sizeof(m.data));
	to_sockaddr(dst, &ss, &len);
	/* ICMPv6 checksums cover a pseudo-header: the kernel fills them in. */
	if (family == AF_INET)
		m.sum = checksum(&m, sizeof(m));
	for (;;) {
		if (sendto(fd, &m, sizeof(m), MSG_NOSIGNAL, (struct sockaddr *)&ss, len) ==
		    (ssize_t)sizeof(m))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int nsl_echo_recv(int fd, const struct nsl_ip *dst, uint16_t id, uint16_t *ret_seq)
{
	int family = dst->family;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t buf[2048];
	const uint8_t *icmp = buf;
	ssize_t n;

	do
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* the raw socket hears every echo reply of the namespace: only the target's count */
	if (from.ss_family != family ||
	    (family == AF_INET
	         ? memcmp(&((struct sockaddr_in *)&from)->sin_addr, dst->bytes, 4)
	         : memcmp(&((struct sockaddr_in6 *)&from)->sin6_addr, dst->bytes, 16)))
		return 0;
	if (family == AF_INET) {
		/* An IPv4 raw socket reads the IP header too. */
		size_t ihl = n > 0 ? (size_t)(buf[0] & 0x0f) * 4 : 0;
		if (ihl < 20 || (size_t)n < ihl + 8)
			return 0;
		icmp += ihl;
		n -= (ssize_t)ihl;
		if (icmp[0] != ICMP_ECHOREPLY)
			return 0;
	} else if (n < 8 || icmp[0] != ICMP6_ECHO_REPLY) {
		return 0;
	}
	if ((icmp[4] << 8 | icmp[5]) != id)
		return 0;
	*ret_seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	return 1;
}
