/* ICMP and ICMPv6 echo from inside a network namespace, without any tool in the node. A raw
 * socket (nslab runs as root: CAP_NET_RAW): the datagram "ping" sockets need the node's
 * net.ipv4.ping_group_range, which a new namespace sets to "1 0" (nobody, root included), and
 * nslab changes no setting of a node to look at it. The socket is connected to the target,
 * so it hears nothing but that address, and filtered to echo replies; replies are told apart
 * from other pings by their identifier. */
#ifndef NSL_ICMP_H
#define NSL_ICMP_H

#include <stdint.h>

#include "base/util.h"
#include "model/topology.h"

/* A non-blocking echo socket in the network namespace of netns_fd (-1: here). */
int nsl_echo_open(int netns_fd, const struct nsl_ip *dst, struct nsl_err *err) NSL_MUST_USE;
/* Send echo request (id, seq): 0 or a negative errno (no route, filtered: the kernel's word). */
int nsl_echo_send(int fd, int family, uint16_t id, uint16_t seq);
/* Read one packet: 1 when it is our echo reply (its seq in *ret_seq), 0 when it is not ours,
 * -EAGAIN when nothing is left, another negative errno on error. */
int nsl_echo_recv(int fd, int family, uint16_t id, uint16_t *ret_seq);

#endif
