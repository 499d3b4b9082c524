/* libpcap loaded at run time (see pcap_lib.h). */
#include <dlfcn.h>
#include <stddef.h>

#include "kernel/pcap_lib.h"

struct nsl_pcap_lib nsl_pcap;

/* Each entry of the table and the symbol that fills it, in order. */
static const struct {
	const char *symbol;
	size_t offset;
} symbols[] = {
#define SYM(f)                                                                                     \
	{                                                                                          \
		"pcap_" #f, offsetof(struct nsl_pcap_lib, f)                                       \
	}
    SYM(create),
    SYM(set_snaplen),
    SYM(set_promisc),
    SYM(set_immediate_mode),
    SYM(set_timeout),
    SYM(activate),
    SYM(compile),
    SYM(setfilter),
    SYM(freecode),
    SYM(setnonblock),
    SYM(geterr),
    SYM(statustostr),
    SYM(close),
    SYM(datalink),
    SYM(datalink_val_to_name),
    SYM(datalink_val_to_description),
    SYM(dump_fopen),
    SYM(dump),
    SYM(dump_flush),
    SYM(dump_close),
    SYM(dispatch),
    SYM(get_selectable_fd),
    SYM(stats),
    SYM(open_dead),
#undef SYM
};

int nsl_pcap_load(struct nsl_err *err)
{
	/* the run-time names: Debian's soname, upstream's, then the development link */
	static const char *const names[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"};
	static void *lib;
	void *h = lib;

	for (size_t i = 0; !h && i < NSL_ARRAY_SIZE(names); i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return nsl_err_set(err, ENOENT, "capture needs libpcap (Debian: libpcap0.8): %s",
		                   dlerror());
	for (size_t i = 0; i < NSL_ARRAY_SIZE(symbols); i++) {
		void *f = dlsym(h, symbols[i].symbol);
		if (!f) {
			int rc = nsl_err_set(err, ENOENT, "libpcap has no %s", symbols[i].symbol);
			dlclose(h);
			return rc;
		}
		*(void **)((char *)&nsl_pcap + symbols[i].offset) = f;
	}
	lib = h;
	return 0;
}
