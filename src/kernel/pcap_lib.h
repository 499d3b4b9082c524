/* libpcap, loaded when a capture starts rather than when nslab starts: linked, it and what it
 * links (libdbus, libsystemd, libgcrypt, lz4, zstd...: ten libraries) would be mapped and
 * relocated at every launch of nslab, `exec` included, for the one command that captures. The
 * types come from <pcap/pcap.h>; the functions from this table once nsl_pcap_load succeeded. */
#ifndef NSL_PCAP_LIB_H
#define NSL_PCAP_LIB_H

#include <pcap/pcap.h>

#include "base/util.h"

struct nsl_pcap_lib {
	pcap_t *(*create)(const char *, char *);
	int (*set_snaplen)(pcap_t *, int);
	int (*set_promisc)(pcap_t *, int);
	int (*set_immediate_mode)(pcap_t *, int);
	int (*set_timeout)(pcap_t *, int);
	int (*activate)(pcap_t *);
	int (*compile)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
	int (*setfilter)(pcap_t *, struct bpf_program *);
	void (*freecode)(struct bpf_program *);
	int (*setnonblock)(pcap_t *, int, char *);
	char *(*geterr)(pcap_t *);
	const char *(*statustostr)(int);
	void (*close)(pcap_t *);
	int (*datalink)(pcap_t *);
	const char *(*datalink_val_to_name)(int);
	const char *(*datalink_val_to_description)(int);
	pcap_dumper_t *(*dump_fopen)(pcap_t *, FILE *);
	void (*dump)(u_char *, const struct pcap_pkthdr *, const u_char *);
	int (*dump_flush)(pcap_dumper_t *);
	void (*dump_close)(pcap_dumper_t *);
	int (*dispatch)(pcap_t *, int, pcap_handler, u_char *);
	int (*get_selectable_fd)(pcap_t *);
	int (*stats)(pcap_t *, struct pcap_stat *);
	pcap_t *(*open_dead)(int, int);
};

extern struct nsl_pcap_lib nsl_pcap;

/* Loads libpcap (Debian's libpcap0.8) once: 0, or negative with err saying what is missing. */
int nsl_pcap_load(struct nsl_err *err) NSL_MUST_USE;

#endif
