/* JSON text -> document tree. cJSON parses; a scan of the raw text before it enforces what
 * cJSON lets through (UTF-8, the number grammar, control characters, \u0000, depth) and
 * records where every key and value starts, in document order. cJSON keeps members in
 * that same order, so a walk of its tree takes the positions one by one: linear, exact. */
#include <string.h>

#include <cjson/cJSON.h>

#include "base/arena.h"
#include "model/doc.h"

struct tok {
	uint32_t off, line, col;
};

struct scan {
	struct tok *toks;
	size_t n, cap, next;
	uint32_t line, col; /* of text[i] */
};

static bool tok_add(struct scan *s, size_t off)
{
	if (!nsl_grow(&s->toks, &s->cap, s->n, sizeof(*s->toks)))
		return false;
	s->toks[s->n++] = (struct tok){(uint32_t)off, s->line, s->col};
	return true;
}

static void err_at(struct nsl_diags *d, uint32_t line, uint32_t col, const char *msg)
{
	nsl_diags_add_at(d, line, col, "", "%s", msg);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
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

/* A JSON number at s: the grammar cJSON does not enforce (it takes "01", "1.", "-"). */
static size_t number_len(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t d;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && strchr("0123456789+-.eE", s[i]))
		return 0;
	return i;
}

/* 1: fine, 0: a problem reported, -ENOMEM. */
static int prescan(struct scan *s, const char *text, size_t len, struct nsl_diags *d)
{
	bool in_str = false;
	unsigned depth = 0;
	size_t i = 0;

	s->line = s->col = 1;
	/* a byte order mark (RFC 8259 lets parsers skip it; cJSON does) takes no column */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len) {
		unsigned char ch = (unsigned char)text[i];
		size_t u = utf8_len((const unsigned char *)text + i, len - i);

		if (!u) {
			err_at(d, s->line, s->col, "invalid UTF-8");
			return 0;
		}
		if (in_str) {
			if (ch == '"') {
				in_str = false;
			} else if (ch == '\\' && i + 1 < len) {
				/* cJSON would cut the string at \u0000 and hide the rest */
				if (text[i + 1] == 'u' && i + 6 <= len &&
				    !memcmp(text + i + 2, "0000", 4)) {
					err_at(d, s->line, s->col,
					       "\\u0000 is not allowed in strings");
					return 0;
				}
				/* skip the escaped character when it is ASCII; anything else is
				 * no valid escape, left to the next round and to cJSON */
				if ((unsigned char)text[i + 1] < 0x80) {
					i += 2;
					s->col += 2;
				} else {
					i++;
					s->col++;
				}
				continue;
			} else if (ch < 0x20) {
				err_at(d, s->line, s->col,
				       "control character in a string (escape it)");
				return 0;
			}
			i += u;
			s->col++;
			continue;
		}
		if (ch == '"') {
			if (!tok_add(s, i))
				return -ENOMEM;
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > NSL_DEPTH_MAX) {
				char msg[64];

				nsl_fmt(msg, sizeof(msg), "nesting deeper than %d levels",
				        NSL_DEPTH_MAX);
				err_at(d, s->line, s->col, msg);
				return 0;
			}
			if (!tok_add(s, i))
				return -ENOMEM;
		} else if (ch == '}' || ch == ']') {
			if (depth)
				depth--;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			size_t n = number_len(text + i, len - i);

			if (!n) {
				err_at(d, s->line, s->col, "invalid number");
				return 0;
			}
			if (!tok_add(s, i))
				return -ENOMEM;
			i += n;
			s->col += (uint32_t)n;
			continue;
		} else if (ch >= 'a' && ch <= 'z') {
			/* true, false, null (cJSON refuses any other word) */
			size_t n = 0;

			if (!tok_add(s, i))
				return -ENOMEM;
			while (i + n < len && text[i + n] >= 'a' && text[i + n] <= 'z')
				n++;
			i += n;
			s->col += (uint32_t)n;
			continue;
		} else if (ch == '\n') {
			s->line++;
			s->col = 1;
			i++;
			continue;
		} else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			err_at(d, s->line, s->col, "control character outside a string");
			return 0;
		}
		i += u;
		s->col++;
	}
	return 1;
}

struct conv {
	struct nsl_arena *a;
	struct scan *s;
	const char *text;
	bool oom;
};

static struct nsl_dpos next_pos(struct conv *c, size_t *off)
{
	struct scan *s = c->s;

	/* cJSON accepted the text, so every key and value has its token; be safe anyway */
	if (s->next >= s->n) {
		*off = 0;
		return (struct nsl_dpos){0, 0};
	}
	*off = s->toks[s->next].off;
	s->next++;
	return (struct nsl_dpos){s->toks[s->next - 1].line, s->toks[s->next - 1].col};
}

static void convert(struct conv *c, const cJSON *v, struct nsl_dnode *out)
{
	size_t off, n = 0, i = 0;
	const cJSON *ch;

	out->pos = next_pos(c, &off);
	out->weight = 1;
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		out->kind = cJSON_IsObject(v) ? NSL_D_OBJECT : NSL_D_ARRAY;
		for (ch = v->child; ch; ch = ch->next)
			n++;
		out->n = (uint32_t)n;
		out->height = 1;
		if (!n)
			return;
		out->kids = nsl_arena_array(c->a, n, sizeof(*out->kids));
		if (!out->kids) {
			c->oom = true;
			out->n = 0;
			return;
		}
		for (ch = v->child; ch; ch = ch->next, i++) {
			struct nsl_dnode *k = &out->kids[i];

			if (out->kind == NSL_D_OBJECT) {
				size_t koff;

				k->key_pos = next_pos(c, &koff);
				k->key = nsl_arena_strdup(c->a, ch->string ? ch->string : "");
				if (!k->key)
					c->oom = true;
			}
			convert(c, ch, k);
			if (c->oom)
				return;
			out->weight += k->weight;
			if (k->height + 1 > out->height)
				out->height = (uint8_t)(k->height + 1);
		}
		if (out->kind == NSL_D_OBJECT && !nsl_doc_mark_dups(out))
			c->oom = true;
	} else if (cJSON_IsString(v)) {
		out->kind = NSL_D_STRING;
		out->text = nsl_arena_strdup(c->a, v->valuestring);
		if (!out->text)
			c->oom = true;
	} else if (cJSON_IsNumber(v)) {
		size_t len = number_len(c->text + off, strlen(c->text + off));
		char *t = nsl_arena_strndup(c->a, c->text + off, len);

		if (!t || !nsl_doc_number(out, t, false))
			c->oom = true; /* the scan checked the grammar: only memory can fail */
	} else if (cJSON_IsBool(v)) {
		out->kind = NSL_D_BOOL;
		out->boolean = cJSON_IsTrue(v);
	} else {
		out->kind = NSL_D_NULL;
	}
}

int nsl_doc_read_json(struct nsl_arena *a, const char *text, size_t len, struct nsl_diags *d,
                      struct nsl_dnode **ret)
{
	struct scan s = {0};
	struct conv c = {.a = a, .s = &s, .text = text};
	const char *end = NULL, *p;
	struct nsl_dnode *root;
	cJSON *tree = NULL;
	int r;

	r = prescan(&s, text, len, d);
	if (r <= 0) {
		free(s.toks);
		return r < 0 ? r : -EINVAL;
	}
	for (p = text; p < text + len && strchr(" \t\r\n", *p) && *p; p++)
		;
	if (p == text + len || (len - (size_t)(p - text) == 3 && !memcmp(p, "\xef\xbb\xbf", 3))) {
		err_at(d, 1, 1, "invalid JSON (the file is empty)");
		free(s.toks);
		return -EINVAL;
	}
	tree = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!tree) {
		size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		struct nsl_dpos at = nsl_doc_pos_of(text, off);
		char msg[64];

		if (off >= len)
			nsl_fmt(msg, sizeof(msg), "invalid JSON (unexpected end of file)");
		else if (text[off] > 0x20 && text[off] < 0x7f)
			nsl_fmt(msg, sizeof(msg), "invalid JSON (unexpected '%c')", text[off]);
		else
			nsl_fmt(msg, sizeof(msg), "invalid JSON");
		err_at(d, at.line, at.col, msg);
		free(s.toks);
		return -EINVAL;
	}
	/* cJSON stops after the first value; anything but white space after it is junk */
	while (end < text + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end < text + len) {
		struct nsl_dpos at = nsl_doc_pos_of(text, (size_t)(end - text));

		err_at(d, at.line, at.col, "invalid JSON: data after the end");
		cJSON_Delete(tree);
		free(s.toks);
		return -EINVAL;
	}
	root = nsl_arena_alloc(a, sizeof(*root));
	if (root)
		convert(&c, tree, root);
	cJSON_Delete(tree);
	free(s.toks);
	if (!root || c.oom)
		return -ENOMEM;
	*ret = root;
	return 0;
}
