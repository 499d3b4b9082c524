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

static int hex4(const char *s, size_t n)
{
	int v = 0;

	if (n < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char ch = s[k];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string from its opening quote at text[*i]: checked to the end (UTF-8, escapes, control
 * characters, \u0000, lone surrogates), *i past the closing quote. 1, or 0 reported. */
static int scan_string(struct scan *s, const char *text, size_t len, size_t *i, struct nsl_diags *d)
{
	size_t k = *i + 1;

	s->col++;
	while (k < len) {
		unsigned char ch = (unsigned char)text[k];
		size_t u = nsl_doc_utf8_len((const unsigned char *)text + k, len - k);

		if (!u) {
			err_at(d, s->line, s->col, "invalid UTF-8");
			return 0;
		}
		if (ch == '"') {
			*i = k + 1;
			s->col++;
			return 1;
		}
		if (ch < 0x20) {
			err_at(d, s->line, s->col, "control character in a string (escape it)");
			return 0;
		}
		if (ch != '\\') {
			k += u;
			s->col++;
			continue;
		}
		if (k + 1 >= len)
			break;
		if (text[k + 1] == 'u') {
			int cp = hex4(text + k + 2, len - k - 2), lo;

			if (cp < 0) {
				err_at(d, s->line, s->col,
				       "invalid JSON: \\u needs four hex digits");
				return 0;
			}
			/* cJSON would cut the string at \u0000 and hide the rest */
			if (cp == 0) {
				err_at(d, s->line, s->col, "\\u0000 is not allowed in strings");
				return 0;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				err_at(d, s->line, s->col,
				       "invalid JSON: a lone UTF-16 low surrogate in \\u escapes");
				return 0;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				lo = k + 7 < len && text[k + 6] == '\\' && text[k + 7] == 'u'
				         ? hex4(text + k + 8, len - k - 8)
				         : -1;
				if (lo < 0xdc00 || lo > 0xdfff) {
					err_at(
					    d, s->line, s->col,
					    "invalid JSON: a UTF-16 high surrogate without its low "
					    "half in \\u escapes");
					return 0;
				}
				k += 6;
				s->col += 6;
			}
			k += 6;
			s->col += 6;
			continue;
		}
		if (!strchr("\"\\/bfnrt", text[k + 1]) || !text[k + 1]) {
			err_at(d, s->line, s->col, "invalid JSON: unknown escape in a string");
			return 0;
		}
		k += 2;
		s->col += 2;
	}
	err_at(d, s->line, s->col, "invalid JSON: unexpected end of file in a string");
	return 0;
}

enum want { W_VALUE, W_VALUE_OR_END, W_KEY, W_KEY_OR_END, W_COLON, W_COMMA_OR_END, W_DONE };

static const char *want_text(enum want w, bool in_obj)
{
	switch (w) {
	case W_VALUE:
		return "a value";
	case W_VALUE_OR_END:
		return "a value or ']'";
	case W_KEY:
		return "a key in double quotes";
	case W_KEY_OR_END:
		return "a key in double quotes or '}'";
	case W_COLON:
		return "':'";
	case W_COMMA_OR_END:
		return in_obj ? "',' or '}'" : "',' or ']'";
	case W_DONE:
		break;
	}
	return "nothing more";
}

static void unexpected(struct scan *s, struct nsl_diags *d, const char *text, size_t len, size_t i,
                       enum want w, bool in_obj)
{
	char what[32], msg[160];

	if (w == W_DONE) {
		err_at(d, s->line, s->col, "invalid JSON: data after the end");
		return;
	}
	if (i >= len)
		nsl_fmt(what, sizeof(what), "end of file");
	else if (text[i] > 0x20 && text[i] < 0x7f)
		nsl_fmt(what, sizeof(what), "'%c'", text[i]);
	else
		nsl_fmt(what, sizeof(what), "byte 0x%02x", (unsigned char)text[i]);
	nsl_fmt(msg, sizeof(msg), "invalid JSON: unexpected %s (expected %s)", what,
	        want_text(w, in_obj));
	err_at(d, s->line, s->col, msg);
}

/* The whole JSON grammar (RFC 8259), so that cJSON only ever sees valid JSON and every
 * syntax error has its exact place and what was expected there; plus what cJSON would let
 * through or misread, and the depth limit. Records where each key and value starts.
 * 1: fine, 0: a problem reported, -ENOMEM. */
static int prescan(struct scan *s, const char *text, size_t len, struct nsl_diags *d)
{
	bool obj[NSL_DEPTH_MAX + 1]; /* the open containers: object or array */
	enum want w = W_VALUE;
	unsigned depth = 0;
	size_t i = 0;

	s->line = s->col = 1;
	/* a byte order mark (RFC 8259 lets parsers skip it; cJSON does) takes no column */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	for (;;) {
		bool value = false;
		unsigned char ch;

		/* white space */
		while (i < len && strchr(" \t\r\n", text[i]) && text[i]) {
			if (text[i] == '\n') {
				s->line++;
				s->col = 1;
			} else {
				s->col++;
			}
			i++;
		}
		if (i >= len)
			break;
		ch = (unsigned char)text[i];
		if (!nsl_doc_utf8_len((const unsigned char *)text + i, len - i)) {
			err_at(d, s->line, s->col, "invalid UTF-8");
			return 0;
		}
		if (ch < 0x20 || ch == 0x7f) {
			err_at(d, s->line, s->col, "control character outside a string");
			return 0;
		}
		if (ch == '"') {
			bool key = w == W_KEY || w == W_KEY_OR_END;

			if (!key && w != W_VALUE && w != W_VALUE_OR_END)
				goto unexpected;
			if (!tok_add(s, i))
				return -ENOMEM;
			if (!scan_string(s, text, len, &i, d))
				return 0;
			if (key)
				w = W_COLON;
			else
				value = true;
		} else if (ch == '{' || ch == '[') {
			if (w != W_VALUE && w != W_VALUE_OR_END)
				goto unexpected;
			if (depth + 1 > NSL_DEPTH_MAX) {
				char msg[64];

				nsl_fmt(msg, sizeof(msg), "nesting deeper than %d levels",
				        NSL_DEPTH_MAX);
				err_at(d, s->line, s->col, msg);
				return 0;
			}
			if (!tok_add(s, i))
				return -ENOMEM;
			obj[++depth] = ch == '{';
			w = ch == '{' ? W_KEY_OR_END : W_VALUE_OR_END;
			i++;
			s->col++;
		} else if (ch == '}' || ch == ']') {
			bool ok = depth && obj[depth] == (ch == '}') &&
			          (w == W_COMMA_OR_END ||
			           w == (ch == '}' ? W_KEY_OR_END : W_VALUE_OR_END));

			if (!ok)
				goto unexpected;
			depth--;
			i++;
			s->col++;
			value = true;
		} else if (ch == ',') {
			if (w != W_COMMA_OR_END)
				goto unexpected;
			w = obj[depth] ? W_KEY : W_VALUE;
			i++;
			s->col++;
		} else if (ch == ':') {
			if (w != W_COLON)
				goto unexpected;
			w = W_VALUE;
			i++;
			s->col++;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			size_t n;

			if (w != W_VALUE && w != W_VALUE_OR_END)
				goto unexpected;
			n = number_len(text + i, len - i);
			if (!n) {
				err_at(d, s->line, s->col, "invalid number");
				return 0;
			}
			if (!tok_add(s, i))
				return -ENOMEM;
			i += n;
			s->col += (uint32_t)n;
			value = true;
		} else if (ch >= 'a' && ch <= 'z') {
			size_t n = 0;

			if (w != W_VALUE && w != W_VALUE_OR_END)
				goto unexpected;
			while (i + n < len && text[i + n] >= 'a' && text[i + n] <= 'z')
				n++;
			if (!((n == 4 &&
			       (!memcmp(text + i, "true", 4) || !memcmp(text + i, "null", 4))) ||
			      (n == 5 && !memcmp(text + i, "false", 5))))
				goto unexpected;
			if (!tok_add(s, i))
				return -ENOMEM;
			i += n;
			s->col += (uint32_t)n;
			value = true;
		} else {
			goto unexpected;
		}
		if (value)
			w = depth ? W_COMMA_OR_END : W_DONE;
		continue;
	unexpected:
		unexpected(s, d, text, len, i, w, depth && obj[depth]);
		return 0;
	}
	if (w != W_DONE) {
		if (w == W_VALUE && !depth && !s->n) {
			err_at(d, 1, 1, "invalid JSON (the file is empty)");
			return 0;
		}
		unexpected(s, d, text, len, len, w, depth && obj[depth]);
		return 0;
	}
	return 1;
}

struct conv {
	struct nsl_arena *a;
	struct scan *s;
	const char *text;
	size_t len;
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
		size_t len = number_len(c->text + off, c->len - off);
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
	struct conv c = {.a = a, .s = &s, .text = text, .len = len};
	struct nsl_dnode *root;
	cJSON *tree = NULL;
	int r;

	r = prescan(&s, text, len, d);
	if (r <= 0) {
		free(s.toks);
		return r < 0 ? r : -EINVAL;
	}
	/* the scan checked the grammar: cJSON fails only when out of memory */
	tree = cJSON_ParseWithLengthOpts(text, len, NULL, false);
	if (!tree) {
		free(s.toks);
		return -ENOMEM;
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
