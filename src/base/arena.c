/* Bump arena: chunks of CHUNK_SIZE carved front to back; big requests get their own chunk. */
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"

#define CHUNK_SIZE (64u * 1024)

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct nsl_arena {
	struct chunk *head; /* the chunk being carved; big chunks are linked after it */
};

struct nsl_arena *nsl_arena_new(void) { return calloc(1, sizeof(struct nsl_arena)); }

void nsl_arena_free(struct nsl_arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct chunk *chunk_new(size_t size)
{
	struct chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	/* calloc: every allocation is handed out zeroed and chunks are never reused */
	c = calloc(1, sizeof(*c) + size);
	if (c)
		c->size = size;
	return c;
}

void *nsl_arena_alloc(struct nsl_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c;
	void *p;

	if (!a)
		return NULL;
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - align)
		return NULL;
	size = (size + align - 1) & ~(align - 1);

	if (size > CHUNK_SIZE / 4) {
		/* a big block of its own, linked behind the head so the head keeps its space */
		c = chunk_new(size);
		if (!c)
			return NULL;
		c->used = size;
		if (a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			a->head = c;
		}
		return c->data;
	}
	c = a->head;
	if (!c || c->size - c->used < size) {
		c = chunk_new(CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

void *nsl_arena_array(struct nsl_arena *a, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	return nsl_arena_alloc(a, total);
}

static char *dup_len(struct nsl_arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = nsl_arena_alloc(a, len + 1);
	if (p)
		memcpy(p, s, len); /* already zeroed, so terminated */
	return p;
}

char *nsl_arena_strndup(struct nsl_arena *a, const char *s, size_t n)
{
	return dup_len(a, s, strnlen(s, n));
}

char *nsl_arena_strdup(struct nsl_arena *a, const char *s) { return dup_len(a, s, strlen(s)); }

char *nsl_arena_printf(struct nsl_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = nsl_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
