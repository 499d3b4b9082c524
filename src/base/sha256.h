/* SHA-256 (FIPS 180-4), to name a topology's version: the same digest `sha256sum` prints. */
#ifndef NSL_SHA256_H
#define NSL_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of data as 64 lowercase hex digits and a NUL. */
void nsl_sha256_hex(const void *data, size_t len, char out[65]);

#endif
