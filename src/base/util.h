/* Small helpers shared by every file: cleanup attributes, errors, checked numbers. */
#ifndef NSL_UTIL_H
#define NSL_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define NSL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NSL_MUST_USE __attribute__((warn_unused_result))
#define NSL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void nsl_freep(void *p) { free(*(void **)p); }
static inline void nsl_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_free_ __attribute__((cleanup(nsl_freep)))
#define _cleanup_close_ __attribute__((cleanup(nsl_closep)))

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})

/* An error: a negative errno plus one message with its context.
 *
 * The rule, everywhere: a function that returns a negative errno has filled err (unless err
 * is NULL) with the message of that very failure, and err->code equals what it returned. An
 * expected outcome is not an error: a look-up that finds nothing, a delete of what is already
 * gone, return a non-negative value (0 absent, 1 found; 0 done) and leave err untouched, so a
 * caller never prints a message that belongs to a failure it did not have. Callers add
 * context with nsl_err_prefix ("node r1: " + "route ...: Network is unreachable"); only the
 * CLI prints, once. */
struct nsl_err {
	int code; /* negative errno, 0 when no error */
	char msg[1024];
};

/* Fill err (overwriting) and return -code (code is a positive errno). */
int nsl_err_set(struct nsl_err *err, int code, const char *fmt, ...) NSL_PRINTF(3, 4);
/* Put "prefix: " in front of the current message. */
void nsl_err_prefix(struct nsl_err *err, const char *fmt, ...) NSL_PRINTF(2, 3);

/* Checked string to number; false on junk, overflow or out of [min, max]. */
bool nsl_parse_u64(const char *s, uint64_t max, uint64_t *ret);

/* Like snprintf but reports truncation as false. */
bool nsl_fmt(char *buf, size_t size, const char *fmt, ...) NSL_PRINTF(3, 4);

/* Make room for one more element in a growing array (*v holds n of size elem, *cap
 * allocated): doubles the allocation when full. false when out of memory. */
bool nsl_grow(void *v, size_t *cap, size_t n, size_t elem) NSL_MUST_USE;

/* Free n strings and the array; NULL is fine. */
void nsl_strv_free(char **v, size_t n);

/* Monotonic clock in nanoseconds. */
uint64_t nsl_now_ns(void);

#endif
