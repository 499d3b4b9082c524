/* The document tree's shared parts: duplicate keys, exact numbers, places by JSON path. */
#include <stdlib.h>
#include <string.h>

#include "model/doc.h"

struct key_ref {
	const char *name;
	uint32_t idx;
};

static int key_ref_cmp(const void *x, const void *y)
{
	const struct key_ref *a = x, *b = y;
	int r = strcmp(a->name, b->name);

	if (r)
		return r;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

bool nsl_doc_mark_dups(struct nsl_dnode *obj)
{
	struct key_ref *refs;

	if (obj->n < 2)
		return true;
	refs = calloc(obj->n, sizeof(*refs));
	if (!refs)
		return false;
	for (uint32_t i = 0; i < obj->n; i++)
		refs[i] = (struct key_ref){obj->kids[i].key ? obj->kids[i].key : "", i};
	qsort(refs, obj->n, sizeof(*refs), key_ref_cmp);
	for (uint32_t i = 1; i < obj->n; i++)
		if (!strcmp(refs[i].name, refs[i - 1].name))
			obj->kids[refs[i].idx].dup = true;
	free(refs);
	return true;
}

/* Digits in base radix -> mag; false on a non-digit or nothing. Sets big on overflow. */
static bool radix_int(struct nsl_dnode *n, const char *s, unsigned radix)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (d >= radix)
			return false;
		if (n->mag > (UINT64_MAX - d) / radix)
			n->big = true;
		else
			n->mag = n->mag * radix + d;
	}
	return true;
}

/* The exact value of decimal text [-+]digits[.digits][e[-+]digits]: an integer when the
 * digits that remain after the exponent moved the point are all zeros. No double ever. */
static bool decimal(struct nsl_dnode *n, const char *s)
{
	const char *ip, *fp = NULL;
	size_t ni = 0, nf = 0;
	long long exp = 0;
	bool exp_neg = false;

	ip = s;
	while (s[ni] >= '0' && s[ni] <= '9')
		ni++;
	s += ni;
	if (*s == '.') {
		fp = ++s;
		while (s[nf] >= '0' && s[nf] <= '9')
			nf++;
		s += nf;
	}
	if (!ni && !nf)
		return false;
	if (*s == 'e' || *s == 'E') {
		size_t nd = 0;

		s++;
		if (*s == '+' || *s == '-')
			exp_neg = *s++ == '-';
		for (; s[nd] >= '0' && s[nd] <= '9'; nd++)
			if (exp < 100000000)
				exp = exp * 10 + (s[nd] - '0');
		if (!nd)
			return false;
		s += nd;
	}
	if (*s)
		return false;
	if (exp_neg)
		exp = -exp;

	/* significant digits: integer part then fraction, without leading/trailing zeros */
	size_t total = ni + nf, first = 0, last;
#define DIGIT(i) ((i) < ni ? ip[i] : fp[(i)-ni])
	while (first < total && DIGIT(first) == '0')
		first++;
	if (first == total) {
		n->is_int = true; /* zero, however written */
		return true;
	}
	last = total;
	while (DIGIT(last - 1) == '0')
		last--;
	/* the value is digits[first, last) * 10^e10 */
	long long e10 = exp - (long long)nf + (long long)(total - last);

	if (e10 < 0)
		return true; /* a non-zero digit right of the point: not an integer */
	n->is_int = true;
	if ((long long)(last - first) + e10 > 20) {
		n->big = true;
		return true;
	}
	for (size_t i = first; i < last + (size_t)e10; i++) {
		unsigned d = i < last ? (unsigned)(DIGIT(i) - '0') : 0;

		if (n->mag > (UINT64_MAX - d) / 10) {
			n->big = true;
			return true;
		}
		n->mag = n->mag * 10 + d;
	}
#undef DIGIT
	return true;
}

bool nsl_doc_number(struct nsl_dnode *n, const char *text, bool allow_radix)
{
	const char *s = text;

	n->kind = NSL_D_NUMBER;
	n->text = text;
	n->is_int = n->neg = n->big = false;
	n->mag = 0;
	if (*s == '-' || *s == '+')
		n->neg = *s++ == '-';
	if (allow_radix && s == text && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		if (!radix_int(n, s + 2, s[1] == 'x' ? 16 : 8))
			return false;
		n->is_int = true;
		return true;
	}
	if (!decimal(n, s))
		return false;
	if (n->is_int && !n->big && n->mag == 0)
		n->neg = false; /* -0 is 0 */
	return true;
}

/* Match path p against the members of n (p has no leading '.'); keys may hold '.' and '['
 * themselves, so every key that is a prefix is tried. *best: the deepest node reached. */
static const struct nsl_dnode *step(const struct nsl_dnode *n, const char *p,
                                    const struct nsl_dnode **best, unsigned *best_depth,
                                    unsigned depth)
{
	if (depth > *best_depth) {
		*best = n;
		*best_depth = depth;
	}
	if (!*p)
		return n;
	if (n->kind == NSL_D_OBJECT) {
		for (uint32_t i = 0; i < n->n; i++) {
			const struct nsl_dnode *k = &n->kids[i];
			size_t len = strlen(k->key);
			const struct nsl_dnode *r = NULL;
			const char *rest = p + len;

			if (k->dup || strncmp(p, k->key, len))
				continue;
			if (!*rest)
				r = step(k, rest, best, best_depth, depth + 1);
			else if (*rest == '.')
				r = step(k, rest + 1, best, best_depth, depth + 1);
			else if (*rest == '[')
				r = step(k, rest, best, best_depth, depth + 1);
			if (r)
				return r;
		}
	} else if (n->kind == NSL_D_ARRAY && *p == '[') {
		char *end;
		unsigned long i = strtoul(p + 1, &end, 10);

		if (end == p + 1 || *end != ']' || i >= n->n)
			return NULL;
		p = end + 1;
		if (*p == '.')
			p++;
		else if (*p && *p != '[')
			return NULL;
		return step(&n->kids[i], p, best, best_depth, depth + 1);
	}
	return NULL;
}

const struct nsl_dnode *nsl_doc_locate(const struct nsl_dnode *root, const char *path)
{
	const struct nsl_dnode *best = NULL, *r;
	unsigned best_depth = 0;

	if (!root || !path)
		return NULL;
	r = step(root, path, &best, &best_depth, 1);
	return r ? r : best;
}

struct nsl_dpos nsl_doc_pos_of(const char *text, size_t off)
{
	struct nsl_dpos p = {1, 1};
	size_t i = 0;

	if (off >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	for (; i < off; i++) {
		if (text[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			p.col++; /* columns count characters, not bytes */
		}
	}
	return p;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t nsl_doc_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}
