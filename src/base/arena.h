/* A bump arena: many small allocations, one free. Everything of a topology lives in one,
 * so the model needs no per-field destructors. Memory comes back zeroed. */
#ifndef NSL_ARENA_H
#define NSL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "base/util.h"

struct nsl_arena;

struct nsl_arena *nsl_arena_new(void);
/* Frees every allocation of the arena and the arena itself; NULL is fine. */
void nsl_arena_free(struct nsl_arena *a);
/* Zeroed memory aligned for any type, NULL when out of memory. */
void *nsl_arena_alloc(struct nsl_arena *a, size_t size);
/* n * size bytes, zeroed, NULL on overflow or out of memory. */
void *nsl_arena_array(struct nsl_arena *a, size_t n, size_t size);
char *nsl_arena_strdup(struct nsl_arena *a, const char *s);
char *nsl_arena_strndup(struct nsl_arena *a, const char *s, size_t n);
char *nsl_arena_printf(struct nsl_arena *a, const char *fmt, ...) NSL_PRINTF(2, 3);

#endif
