/* sysctls through /proc/sys. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "kernel/sysctl.h"

int nsl_sysctl_path(const char *key, char *buf, size_t size)
{
	size_t len = strlen(key);

	if (len + sizeof("/proc/sys/") > size)
		return -ENAMETOOLONG;
	memcpy(buf, "/proc/sys/", 10);
	for (size_t i = 0; i <= len; i++)
		buf[10 + i] = key[i] == '.' ? '/' : key[i];
	return 0;
}

int nsl_file_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int nsl_sysctl_write(const char *key, const char *value, struct nsl_err *err)
{
	char path[512];
	int rc = nsl_sysctl_path(key, path, sizeof(path));

	if (rc == 0)
		rc = nsl_file_write(path, value);
	if (rc < 0)
		return nsl_err_set(err, rc, "sysctl %s=%s: %s", key, value, strerror(-rc));
	return 0;
}

int nsl_sysctl_read(const char *key, char **ret, struct nsl_err *err)
{
	char path[512], buf[256];
	int rc = nsl_sysctl_path(key, path, sizeof(path)), fd;
	ssize_t n;

	if (rc < 0)
		return nsl_err_set(err, rc, "sysctl %s: name too long", key);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nsl_err_set(err, errno, "sysctl %s: %m", key);
	n = read(fd, buf, sizeof(buf) - 1);
	rc = errno;
	close(fd);
	if (n < 0)
		return nsl_err_set(err, rc, "sysctl %s: %s", key, strerror(rc));
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	*ret = strdup(buf);
	return *ret ? 0 : nsl_err_set(err, ENOMEM, "out of memory");
}

int nsl_sysctl_iface_write(const char *family, const char *ifname, const char *leaf,
                           const char *value)
{
	char path[256];

	if (!nsl_fmt(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, leaf))
		return -ENAMETOOLONG;
	return nsl_file_write(path, value);
}

int nsl_sysctl_iface_read_int(const char *family, const char *ifname, const char *leaf, int *ret)
{
	char path[256], buf[32];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	uint64_t v;

	if (!nsl_fmt(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, leaf))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (!nsl_parse_u64(buf, INT32_MAX, &v))
		return -EBADMSG;
	*ret = (int)v;
	return 0;
}
