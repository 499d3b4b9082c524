/* Mounts of a node. Each returns 0 or -errno. */
#include <sys/mount.h>

#include "kernel/mount.h"

#define SYS(call) ((call) < 0 ? -errno : 0)

int nsl_mount_private_root(void) { return SYS(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)); }

int nsl_mount_proc(void)
{
	return SYS(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
}

int nsl_mount_sysfs(void)
{
	/* The host's /sys shows the host's interfaces: replace it, as `ip netns exec` does. */
	(void)umount2("/sys", MNT_DETACH);
	return SYS(mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
}

int nsl_mount_node(const struct nsl_mount *m)
{
	int rc;

	if (m->tmpfs)
		rc = SYS(mount("tmpfs", m->target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
	else
		rc = SYS(mount(m->source, m->target, NULL, MS_BIND | MS_REC, NULL));
	if (rc == 0 && m->read_only)
		rc = SYS(mount(NULL, m->target, NULL,
		               MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL));
	return rc;
}
