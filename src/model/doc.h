/* The document tree: what a topology file says, format-free, each value with its place.
 * The JSON reader (read_json.c) and the YAML reader (read_yaml.c) build it; the parser
 * (parse_*.c) turns it into the model; validation finds places in it by JSON path.
 * Private to src/model. Nodes live in the topology's arena and never change once read. */
#ifndef NSL_DOC_H
#define NSL_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/topology.h"

struct nsl_arena;

enum nsl_dkind { NSL_D_NULL, NSL_D_BOOL, NSL_D_NUMBER, NSL_D_STRING, NSL_D_OBJECT, NSL_D_ARRAY };

struct nsl_dpos {
	uint32_t line, col; /* 1-based; col counts characters; 0: unknown */
};

struct nsl_dnode {
	uint8_t kind;     /* enum nsl_dkind */
	bool dup;         /* a later occurrence of a key its object already has */
	bool boolean;     /* NSL_D_BOOL: the value */
	bool is_int;      /* NSL_D_NUMBER: its exact value is an integer */
	bool neg;         /* is_int: below zero */
	bool big;         /* is_int: the magnitude does not fit 64 bits */
	uint8_t height;   /* nesting of containers below and including this one */
	uint32_t n;       /* NSL_D_OBJECT, NSL_D_ARRAY: number of kids */
	uint32_t weight;  /* values in this subtree, itself included (aliases expanded) */
	uint64_t mag;     /* is_int && !big: the magnitude */
	const char *key;  /* a member of an object: its key; NULL otherwise */
	const char *text; /* NSL_D_STRING: the value; NSL_D_NUMBER: as written */
	struct nsl_dnode *kids;
	struct nsl_dpos pos, key_pos;
};

/* The readers: text -> tree in arena a, or problems in diags (file-level positions).
 * Both return 0, -EINVAL (problems reported) or -ENOMEM. */
int nsl_doc_read_json(struct nsl_arena *a, const char *text, size_t len, struct nsl_diags *d,
                      struct nsl_dnode **ret);
int nsl_doc_read_yaml(struct nsl_arena *a, const char *text, size_t len, struct nsl_diags *d,
                      struct nsl_dnode **ret);

/* For the readers: mark later duplicates among an object's kids (sorted, O(n log n)). */
bool nsl_doc_mark_dups(struct nsl_dnode *obj);
/* For the readers: a number's exact text -> is_int, neg, big, mag. Decimal with optional
 * fraction and exponent (JSON, YAML); hex and octal when allow_radix (YAML's 0x, 0o).
 * False when the text is no number of that grammar. */
bool nsl_doc_number(struct nsl_dnode *n, const char *text, bool allow_radix);
/* The place of a JSON path ("nodes.r1.routes[0].via") in the tree: the node, or its deepest
 * ancestor the path names when the rest is not written in the file (NULL: not even that). */
const struct nsl_dnode *nsl_doc_locate(const struct nsl_dnode *root, const char *path);

/* The position of byte off of text (lines end at \n; a leading byte order mark takes no
 * column). Linear in off: for the one syntax error of a file. */
struct nsl_dpos nsl_doc_pos_of(const char *text, size_t off);

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid (overlong forms,
 * surrogates and code points past U+10FFFF included). */
size_t nsl_doc_utf8_len(const unsigned char *s, size_t n);

/* A position as the diagnostics want it. */
static inline void nsl_doc_where(const struct nsl_dnode *n, bool key, unsigned *line, unsigned *col)
{
	const struct nsl_dpos *p = n ? (key && n->key ? &n->key_pos : &n->pos) : NULL;

	*line = p ? p->line : 0;
	*col = p ? p->col : 0;
}

#endif
