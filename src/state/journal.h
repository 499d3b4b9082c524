/* The journal: one text line per change nslab makes outside a node, written before the
 * change, read by rollback and by `down` (even after a crash) to undo exactly that. This
 * module owns the format: typed records, formatted and parsed here and nowhere else. The
 * first line names the format's version, so a newer nslab can tear down an older lab.
 *
 *   nslab-journal 1 LAB TOPOLOGY         the header
 *   keeper PID START DEV INO             a rootless lab's keeper (kernel/keeper.h), and its
 *                                        user namespace (dev, inode): every process in it is
 *                                        the lab's
 *   uplink PID START                     a rootless lab's slirp4netns (host.uplink)
 *   node NAME PID START DEV INO          a holder, and its network namespace (dev, inode):
 *                                        /run/netns/LAB.NAME is ours only if it is that one
 *   device NODE KEY ORIG IFINDEX MTU UP MAC ALIAS [CIDR...]
 *                                        a host device moved in as KEY, with what it had
 *   hostlink NAME NODE                   a host end of a link whose peer is in NODE: ours if
 *                                        it carries alias nslab:LAB, or its peer is there
 *   hostsysctl KEY TIME VALUE            a host sysctl about to be set, and its old value
 *   hostsysctl-orig KEY VALUE            an original value inherited from a lab that went
 *                                        down first (see teardown)
 *   hostsysctl-done KEY                  teardown handled KEY (restored it, or handed its
 *                                        original on): no lab hands an original to this one
 *   hostnft TABLE                        the host nft table, created carrying our mark
 *   hostdev NAME KIND MAC                a device made in the host (a bridge, a vxlan) with
 *                                        that MAC: ours if it carries alias nslab:LAB, or it
 *                                        is of that kind with that MAC
 *   cgroup PATH MARK                     a cgroup (v2) about to be made, with the mark (its
 *                                        xattr trusted.nslab) that proves it is the lab's
 *   committed                            up finished: the holders outlive it
 *
 * Strings are escaped (%XX for blanks, '%' and anything not printable); "%" alone is the
 * empty string. Pure: no I/O here (the lab's directory appends and reads the text). */
#ifndef NSL_JOURNAL_H
#define NSL_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"
#include "model/topology.h"

#define NSL_JOURNAL_VERSION 1
#define NSL_REC_LINE_MAX 8192

enum nsl_rec_kind {
	NSL_REC_HEADER,
	NSL_REC_NODE,
	NSL_REC_DEVICE,
	NSL_REC_HOSTLINK,
	NSL_REC_HOSTSYSCTL,
	NSL_REC_HOSTSYSCTL_ORIG,
	NSL_REC_HOSTSYSCTL_DONE,
	NSL_REC_HOSTNFT,
	NSL_REC_COMMITTED,
	NSL_REC_HOSTDEV,
	NSL_REC_CGROUP,
	NSL_REC_KEEPER,
	NSL_REC_UPLINK,
};

/* Strings point into the parsed text (or the caller's memory when formatting). */
struct nsl_rec {
	enum nsl_rec_kind kind;
	union {
		struct {
			int version;
			const char *lab, *topology;
		} header;
		struct {
			const char *name;
			pid_t pid;
			uint64_t start_time;
			uint64_t netns_dev, netns_ino; /* dev 0: unknown (older journals) */
		} node;
		struct {
			const char *node, *key, *orig, *alias;
			int ifindex;
			uint32_t mtu;
			bool up;
			uint8_t mac[6];
			const struct nsl_prefix *addrs;
			size_t n_addrs;
		} device;
		struct {
			const char *name;
			const char *node; /* the peer's; NULL in older journals */
		} hostlink;
		struct {
			const char *name;
		} hostnft;
		struct {
			const char *path, *mark;
		} cgroup;
		struct {
			const char *name, *kind; /* kind: "bridge", "vxlan" (IFLA_INFO_KIND) */
			uint8_t mac[6];
		} hostdev;
		struct {
			pid_t pid;
			uint64_t start_time;
			uint64_t userns_dev, userns_ino;
		} keeper;
		struct {
			pid_t pid;
			uint64_t start_time;
		} uplink;
		struct {
			const char *key, *value;
			uint64_t time; /* when it was set: orders labs that set one key */
		} sysctl;              /* HOSTSYSCTL; HOSTSYSCTL_ORIG has no time */
	};
};

/* One line, with its newline, into buf; the length, or -ENAMETOOLONG. */
int nsl_rec_format(const struct nsl_rec *r, char *buf, size_t size);

/* A journal's text parsed into records. The text is owned and modified (unescaped in place);
 * the records point into it. Lines that do not parse are errors: a journal is only ever
 * written by nslab. A journal cut short by a crash mid-line loses that line only. */
struct nsl_journal {
	char *text;
	struct nsl_rec *recs;
	size_t n;
	int version;
	struct nsl_prefix *addrs; /* every device record's addresses */
	size_t n_addrs;
};
int nsl_journal_parse(char *text, struct nsl_journal *ret, struct nsl_err *err) NSL_MUST_USE;
void nsl_journal_free(struct nsl_journal *j);

/* Escape s for a journal field into buf; false if it does not fit. */
bool nsl_rec_escape(const char *s, char *buf, size_t size);

#endif
