/* Capturing packets (libpcap) on an interface of a network namespace: the packet socket is
 * made inside the namespace and stays bound to it, so the process that reads it stays where
 * it is (its files, its mount namespace) and no tool runs in the node. */
#ifndef NSL_CAPTURE_DOOR_H
#define NSL_CAPTURE_DOOR_H

#include <stdbool.h>

#include "kernel/pcap_lib.h"

#include "base/util.h"

#define NSL_SNAPLEN 262144 /* tcpdump's default: whole packets */

/* A live capture on ifname in the namespace of netns_fd (-1: ours): immediate delivery,
 * non-blocking, with a BPF filter as tcpdump takes it (NULL or "": every packet). */
int nsl_pcap_open(int netns_fd, const char *ifname, bool promisc, const char *filter, pcap_t **ret,
                  struct nsl_err *err) NSL_MUST_USE;

#endif
