/* sysctls: /proc/sys of the caller's current network namespace (enter one with
 * nsl_netns_call to reach a node's). Keys are written with dots; a per-interface key names
 * its interface by path, since an interface name may hold dots itself. */
#ifndef NSL_SYSCTL_H
#define NSL_SYSCTL_H

#include "base/util.h"

/* "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward"; -ENAMETOOLONG. */
int nsl_sysctl_path(const char *key, char *buf, size_t size);
/* Write a whole small file: 0 or -errno. */
int nsl_file_write(const char *path, const char *value) NSL_MUST_USE;
/* Write or read one key here; *ret is malloc'd, trailing blanks removed. */
int nsl_sysctl_write(const char *key, const char *value, struct nsl_err *err) NSL_MUST_USE;
int nsl_sysctl_read(const char *key, char **ret, struct nsl_err *err) NSL_MUST_USE;
/* The same for a per-interface key given as family ("ipv4"/"ipv6"), interface and leaf. */
int nsl_sysctl_iface_write(const char *family, const char *ifname, const char *leaf,
                           const char *value) NSL_MUST_USE;
/* A per-interface integer (not negative): 0 with *ret, or -errno (-ENOENT: no such key, or no such
 * family). */
int nsl_sysctl_iface_read_int(const char *family, const char *ifname, const char *leaf,
                              int *ret) NSL_MUST_USE;

#endif
