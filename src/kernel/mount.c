/* Mounts of a node. Each returns 0 or -errno. */
#include <sys/mount.h>
#include <sys/statvfs.h>

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

	/* The node's root's (uid 0 where the holder mounts it: in a node with "user", the
	 * holder is still the host's uid 0 then, which the node does not map). */
	if (m->tmpfs)
		rc = SYS(mount("tmpfs", m->target, "tmpfs", MS_NOSUID | MS_NODEV,
		               "mode=0755,uid=0,gid=0"));
	else
		rc = SYS(mount(m->source, m->target, NULL, MS_BIND | MS_REC, NULL));
	if (rc == 0 && m->read_only) {
		/* A remount keeps what the mount had: in a rootless lab, flags the host's mount
		 * carries (noexec on /tmp, say) are locked, and leaving one out is refused. */
		struct statvfs sv;
		unsigned long keep = 0;
		if (statvfs(m->target, &sv) == 0)
			keep = (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
			       (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
			       (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) |
			       (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
		rc = SYS(mount(NULL, m->target, NULL,
		               MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | keep,
		               NULL));
	}
	return rc;
}
