/* What a holder asks of its node's kernel from the inside (see holder_impl.h): lo up and
 * marked, the highest interface index the namespace was born with, its clocks' offsets. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "kernel/holder_impl.h"
#include "kernel/sysctl.h"

#define NSL_MARK_MAX_LEN 256

int nsl_holder_lo_up(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!rc && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* lo's alias by rtnetlink, where its sysfs file is closed to us: in a user namespace of the
 * node's own, lo was born before the namespace had its id maps, so its sysfs files belong to
 * the host's root (CAP_NET_ADMIN over the namespace is what netlink asks). */
int nsl_holder_lo_mark(const char *mark)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[RTA_SPACE(NSL_MARK_MAX_LEN)];
	} req = {0};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr e;
	} ack;
	size_t len = strlen(mark) + 1;
	int fd, rc = 0;

	if (len > NSL_MARK_MAX_LEN)
		return -ENAMETOOLONG;
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)if_nametoindex("lo");
	struct rtattr *a = (struct rtattr *)req.attrs;
	a->rta_type = IFLA_IFALIAS;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), mark, len);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(a->rta_len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		rc = -errno;
	else if (recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		rc = -EIO;
	else if (ack.nh.nlmsg_type == NLMSG_ERROR && ack.e.error)
		rc = ack.e.error;
	close(fd);
	return rc;
}

/* A new namespace is not always empty: with sit, ip_gre or ip6_tunnel loaded, the kernel puts
 * fallback devices in every one, and they hold the first indexes. */
int nsl_holder_highest_ifindex(void)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	int max = 1;

	while (d && (e = readdir(d))) {
		char path[300], buf[16];
		uint64_t v;
		ssize_t n;
		int fd;
		if (e->d_name[0] == '.')
			continue;
		nsl_fmt(path, sizeof(path), "/sys/class/net/%s/ifindex", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (nsl_parse_u64(buf, INT32_MAX, &v) && (int)v > max)
			max = (int)v;
	}
	if (d)
		closedir(d);
	return max;
}

/* A time namespace for the node's clocks: offsets can be set only before anyone is in it, so
 * the holder makes it for its children, sets them, then joins it itself. */
int nsl_holder_time_ns(const struct nsl_holder_spec *s)
{
	char buf[96];
	int fd, rc;

	if (unshare(CLONE_NEWTIME) < 0)
		return -errno;
	nsl_fmt(buf, sizeof(buf), "monotonic %lld 0\nboottime %lld 0\n",
	        (long long)s->time_monotonic, (long long)s->time_boottime);
	rc = nsl_file_write("/proc/self/timens_offsets", buf);
	if (rc < 0)
		return rc;
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = setns(fd, CLONE_NEWTIME) < 0 ? -errno : 0;
	close(fd);
	return rc;
}
