/* ICMP and ICMPv6 echo from inside a network namespace, without any tool in the node. A raw
 * socket (nslab runs as root: CAP_NET_RAW): the datagram "ping" sockets need the node's
 * net.ipv4.ping_group_range, which a new namespace sets to "1 0" (nobody, root included), and
 * nslab changes no setting of a node to look at it. The socket is filtered to echo replies;
 * a reply is ours when it comes from the target with our identifier. */
#ifndef NSL_ICMP_H
#define NSL_ICMP_H

#include <stdint.h>

#include "base/util.h"
#include "model/topology.h"

/* A non-blocking echo socket of a family in the network namespace of netns_fd (-1: here). */
int nsl_echo_open(int netns_fd, int family, struct nsl_err *err) NSL_MUST_USE;
/* Send an echo request (id, seq) to dst: 0 or a negative errno (no route, filtered: the
 * kernel's word). */
int nsl_echo_send(int fd, const struct nsl_ip *dst, uint16_t id, uint16_t seq);
/* Read one packet: 1 when it is an echo reply from dst with our id (its seq in *ret_seq), 0
 * when it is not ours, -EAGAIN when nothing is left, another negative errno on error. */
int nsl_echo_recv(int fd, const struct nsl_ip *dst, uint16_t id, uint16_t *ret_seq);

#endif
