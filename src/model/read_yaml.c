/* YAML text -> document tree, from libyaml's events. The same tree as JSON gives, with the
 * same strictness: YAML 1.2 core schema (yes/no/on/off are strings, quoted scalars are
 * strings), exactly one document, no tags, no merge keys, keys are text. Aliases are
 * expanded, bounded: the document may not grow past what a JSON file of the size limit
 * could hold, nor nest deeper than JSON may. Every problem with libyaml's line and column. */
#include <string.h>

#include <yaml.h>

#include "base/arena.h"
#include "model/doc.h"

/* A 4 MiB JSON file holds at most about 2 million values ("0,0,0,..."). */
#define EXPANDED_MAX (NSL_FILE_MAX / 2)

struct frame {
	struct nsl_dnode node; /* the container being built */
	char *anchor;          /* its anchor, NULL if none */
	struct nsl_dnode *kids;
	size_t n, cap;
	bool have_key; /* a mapping whose next value is a member's */
	const char *key;
	struct nsl_dpos key_pos;
};

struct anchor {
	char *name; /* NULL: a free slot */
	bool open;  /* its container is still being read */
	struct nsl_dnode node;
};

struct yb {
	struct nsl_arena *a;
	struct nsl_diags *d;
	struct frame *st;
	size_t depth, cap;
	struct nsl_dnode root;
	bool have_root;
	size_t docs;
	uint64_t total; /* values read, aliases counted at their full size */
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	bool failed, oom;
};

static struct nsl_dpos mark_pos(const yaml_mark_t *m)
{
	return (struct nsl_dpos){(uint32_t)m->line + 1, (uint32_t)m->column + 1};
}

static void fail(struct yb *b, struct nsl_dpos at, const char *fmt, ...) NSL_PRINTF(3, 4);
static void fail(struct yb *b, struct nsl_dpos at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nsl_diags_add_at(b->d, at.line, at.col, "", "%s", msg);
	b->failed = true;
}

/* Text for messages: printable ASCII, the rest escaped, cut. */
static const char *shown(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 8 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o > 48) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\'') {
			buf[o++] = (char)ch;
		} else {
			nsl_fmt(buf + o, size - o, "\\x%02x", ch);
			o += 4;
		}
	}
	buf[o] = '\0';
	return buf;
}

static bool refuse_tag(struct yb *b, const yaml_char_t *tag, const yaml_mark_t *m)
{
	static const char core[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;
	char buf[96];

	if (!tag)
		return false;
	if (!strncmp(t, core, sizeof(core) - 1))
		fail(b, mark_pos(m),
		     "tags are not allowed (here '!!%s'): values are typed by how they are "
		     "written; quote a value to make it a string",
		     shown(buf, sizeof(buf), t + sizeof(core) - 1));
	else
		fail(b, mark_pos(m),
		     "tags are not allowed (here '%s'): values are typed by how they are written",
		     shown(buf, sizeof(buf), t));
	return true;
}

/* ---- anchors: an open-addressing table, name -> value ---- */

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct anchor *anchor_slot(struct anchor *tab, size_t cap, const char *name)
{
	size_t i = hash(name) & (cap - 1);

	while (tab[i].name && strcmp(tab[i].name, name))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static struct anchor *anchor_find(struct yb *b, const char *name)
{
	struct anchor *s;

	if (!b->cap_anchors)
		return NULL;
	s = anchor_slot(b->anchors, b->cap_anchors, name);
	return s->name ? s : NULL;
}

/* Define (or redefine: YAML allows it, the later wins) an anchor. */
static struct anchor *anchor_set(struct yb *b, const char *name)
{
	struct anchor *s;

	if ((b->n_anchors + 1) * 2 > b->cap_anchors) {
		size_t cap = b->cap_anchors ? b->cap_anchors * 2 : 64;
		struct anchor *tab = calloc(cap, sizeof(*tab));

		if (!tab) {
			b->oom = true;
			return NULL;
		}
		for (size_t i = 0; i < b->cap_anchors; i++)
			if (b->anchors[i].name)
				*anchor_slot(tab, cap, b->anchors[i].name) = b->anchors[i];
		free(b->anchors);
		b->anchors = tab;
		b->cap_anchors = cap;
	}
	s = anchor_slot(b->anchors, b->cap_anchors, name);
	if (!s->name) {
		s->name = strdup(name);
		if (!s->name) {
			b->oom = true;
			return NULL;
		}
		b->n_anchors++;
	}
	return s;
}

/* ---- building ---- */

/* Whether the next value of the current mapping is a key. */
static bool want_key(const struct yb *b)
{
	const struct frame *f = b->depth ? &b->st[b->depth - 1] : NULL;

	return f && f->node.kind == NSL_D_OBJECT && !f->have_key;
}

/* A finished value goes into its parent (or becomes the root). */
static void add_value(struct yb *b, struct nsl_dnode v)
{
	struct frame *f;

	v.dup = false;
	v.key = NULL;
	v.key_pos = (struct nsl_dpos){0, 0};
	if (!b->depth) {
		b->root = v;
		b->have_root = true;
		return;
	}
	f = &b->st[b->depth - 1];
	if (f->node.kind == NSL_D_OBJECT) {
		v.key = f->key;
		v.key_pos = f->key_pos;
		f->have_key = false;
	}
	if (!nsl_grow(&f->kids, &f->cap, f->n, sizeof(*f->kids))) {
		b->oom = true;
		return;
	}
	f->kids[f->n++] = v;
	f->node.weight += v.weight;
	if (v.height + 1 > f->node.height)
		f->node.height = (uint8_t)(v.height + 1);
}

/* A key (scalar text) of the current mapping. */
static void add_key(struct yb *b, const char *text, struct nsl_dpos at)
{
	struct frame *f = &b->st[b->depth - 1];

	f->key = nsl_arena_strdup(b->a, text);
	if (!f->key)
		b->oom = true;
	f->key_pos = at;
	f->have_key = true;
}

static bool count(struct yb *b, uint64_t n, struct nsl_dpos at)
{
	b->total += n;
	if (b->total > EXPANDED_MAX) {
		fail(b, at,
		     "the document holds more than %u values (aliases count each time they are "
		     "used)",
		     (unsigned)EXPANDED_MAX);
		return false;
	}
	return true;
}

/* YAML 1.2 core schema for a plain scalar: null, bool, int (also 0o, 0x), float, or text. */
static void resolve(struct nsl_dnode *n, const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	static const char *const trues[] = {"true", "True", "TRUE"};
	static const char *const falses[] = {"false", "False", "FALSE"};
	static const char *const specials[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF",
	                                       "-.inf", "-.Inf", "-.INF", ".nan",  ".NaN",  ".NAN"};

	for (size_t i = 0; i < NSL_ARRAY_SIZE(nulls); i++)
		if (!strcmp(s, nulls[i])) {
			n->kind = NSL_D_NULL;
			return;
		}
	for (size_t i = 0; i < NSL_ARRAY_SIZE(trues); i++)
		if (!strcmp(s, trues[i]) || !strcmp(s, falses[i])) {
			n->kind = NSL_D_BOOL;
			n->boolean = s[0] == 't' || s[0] == 'T';
			return;
		}
	if (nsl_doc_number(n, s, true))
		return;
	for (size_t i = 0; i < NSL_ARRAY_SIZE(specials); i++)
		if (!strcmp(s, specials[i])) {
			n->kind = NSL_D_NUMBER;
			n->is_int = n->neg = n->big = false;
			return;
		}
	n->kind = NSL_D_STRING;
	n->is_int = n->neg = n->big = false;
	n->mag = 0;
}

static void on_scalar(struct yb *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct nsl_dpos at = mark_pos(&ev->start_mark);
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	struct nsl_dnode v = {.pos = at, .weight = 1};
	char *text;

	if (refuse_tag(b, ev->data.scalar.tag, &ev->start_mark))
		return;
	if (memchr(value, '\0', len)) {
		fail(b, at, "NUL characters are not allowed");
		return;
	}
	text = nsl_arena_strndup(b->a, value, len);
	if (!text) {
		b->oom = true;
		return;
	}
	if (want_key(b)) {
		if (plain && !strcmp(text, "<<")) {
			fail(b, at,
			     "merge keys ('<<') are not supported: write the keys out (an alias "
			     "can stand for a whole value)");
			return;
		}
		add_key(b, text, at);
	} else {
		if (!count(b, 1, at))
			return;
		v.text = text;
		if (plain)
			resolve(&v, text);
		else
			v.kind = NSL_D_STRING;
		add_value(b, v);
	}
	if (ev->data.scalar.anchor) {
		struct anchor *s = anchor_set(b, (const char *)ev->data.scalar.anchor);

		if (s) {
			if (!v.kind && !v.text) /* a key: its text, as a string */
				v = (struct nsl_dnode){
				    .kind = NSL_D_STRING, .text = text, .pos = at, .weight = 1};
			s->node = v;
			s->open = false;
		}
	}
}

static void on_alias(struct yb *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct nsl_dpos at = mark_pos(&ev->start_mark);
	struct anchor *s = anchor_find(b, name);
	char buf[96];
	struct nsl_dnode v;

	if (!s) {
		fail(b, at, "alias '*%s' names no anchor defined before it",
		     shown(buf, sizeof(buf), name));
		return;
	}
	if (s->open) {
		fail(b, at, "alias '*%s' is inside the value it names (a recursive structure)",
		     shown(buf, sizeof(buf), name));
		return;
	}
	v = s->node;
	if (want_key(b)) {
		if (v.kind == NSL_D_OBJECT || v.kind == NSL_D_ARRAY || !v.text) {
			fail(b, at, "a key must be text, but '*%s' names a %s",
			     shown(buf, sizeof(buf), name),
			     v.kind == NSL_D_OBJECT ? "mapping" : "sequence");
			return;
		}
		add_key(b, v.text, at);
		return;
	}
	if (b->depth + v.height > NSL_DEPTH_MAX) {
		fail(b, at, "alias '*%s' nests the document deeper than %d levels",
		     shown(buf, sizeof(buf), name), NSL_DEPTH_MAX);
		return;
	}
	if (!count(b, v.weight, at))
		return;
	v.pos = at; /* the value's place is where the alias uses it; inside, where written */
	add_value(b, v);
}

static void on_start(struct yb *b, const yaml_event_t *ev, bool mapping)
{
	const yaml_char_t *tag = mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
	const yaml_char_t *anchor =
	    mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct nsl_dpos at = mark_pos(&ev->start_mark);
	struct frame *f;

	if (refuse_tag(b, tag, &ev->start_mark))
		return;
	if (want_key(b)) {
		fail(b, at, "a key must be text, not a %s", mapping ? "mapping" : "sequence");
		return;
	}
	if (b->depth + 1 > NSL_DEPTH_MAX) {
		fail(b, at, "nesting deeper than %d levels", NSL_DEPTH_MAX);
		return;
	}
	if (!count(b, 1, at))
		return;
	if (!nsl_grow(&b->st, &b->cap, b->depth, sizeof(*b->st))) {
		b->oom = true;
		return;
	}
	f = &b->st[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node.kind = mapping ? NSL_D_OBJECT : NSL_D_ARRAY;
	f->node.pos = at;
	f->node.weight = 1;
	f->node.height = 1;
	if (anchor) {
		struct anchor *s = anchor_set(b, (const char *)anchor);

		f->anchor = strdup((const char *)anchor);
		if (!s || !f->anchor) {
			b->oom = true;
			return;
		}
		s->open = true;
	}
}

static void on_end(struct yb *b)
{
	struct frame *f = &b->st[b->depth - 1];
	struct nsl_dnode v = f->node;

	v.n = (uint32_t)f->n;
	if (f->n) {
		v.kids = nsl_arena_array(b->a, f->n, sizeof(*v.kids));
		if (!v.kids) {
			b->oom = true;
			return;
		}
		memcpy(v.kids, f->kids, f->n * sizeof(*v.kids));
	}
	if (v.kind == NSL_D_OBJECT && !nsl_doc_mark_dups(&v)) {
		b->oom = true;
		return;
	}
	if (f->anchor) {
		struct anchor *s = anchor_find(b, f->anchor);

		if (s) {
			s->node = v;
			s->open = false;
		}
	}
	free(f->kids);
	free(f->anchor);
	b->depth--;
	add_value(b, v);
}

static void on_document(struct yb *b, const yaml_event_t *ev)
{
	const yaml_version_directive_t *ver = ev->data.document_start.version_directive;
	struct nsl_dpos at = mark_pos(&ev->start_mark);

	if (++b->docs > 1) {
		fail(b, at, "a second document: a topology file holds exactly one");
		return;
	}
	if (ver && (ver->major != 1 || ver->minor != 2)) {
		fail(b, at, "%%YAML %d.%d: nslab reads YAML 1.2", ver->major, ver->minor);
		return;
	}
	if (ev->data.document_start.tag_directives.start !=
	    ev->data.document_start.tag_directives.end)
		fail(b, at, "%%TAG directives are not allowed (tags are not)");
}

static void syntax_error(struct yb *b, const yaml_parser_t *p, const char *text, size_t len)
{
	struct nsl_dpos at;

	if (p->error == YAML_MEMORY_ERROR) {
		b->oom = true;
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		at = nsl_doc_pos_of(text, p->problem_offset < len ? p->problem_offset : len);
		fail(b, at, "invalid YAML: %s", p->problem ? p->problem : "unreadable text");
		return;
	}
	at = mark_pos(&p->problem_mark);
	if (p->context)
		fail(b, at, "invalid YAML: %s (%s at %zu:%zu)", p->problem ? p->problem : "?",
		     p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	else
		fail(b, at, "invalid YAML: %s", p->problem ? p->problem : "?");
}

int nsl_doc_read_yaml(struct nsl_arena *a, const char *text, size_t len, struct nsl_diags *d,
                      struct nsl_dnode **ret)
{
	struct yb b = {.a = a, .d = d};
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;

	/* libyaml finds bad UTF-8 too, but reports the byte after the sequence's start: check
	 * first, as the JSON reader does (UTF-16, which YAML allows, starts with its BOM) */
	if (!(len >= 2 && ((unsigned char)text[0] == 0xff || (unsigned char)text[0] == 0xfe)))
		for (size_t i = 0, u; i < len; i += u) {
			u = nsl_doc_utf8_len((const unsigned char *)text + i, len - i);
			if (!u) {
				struct nsl_dpos at = nsl_doc_pos_of(text, i);

				nsl_diags_add_at(d, at.line, at.col, "", "invalid UTF-8");
				return -EINVAL;
			}
		}
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && !b.failed && !b.oom) {
		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(&b, &p, text, len);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			on_document(&b, &ev);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(&b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(&b, &ev);
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			on_start(&b, &ev, ev.type == YAML_MAPPING_START_EVENT);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (b.depth)
				on_end(&b);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	for (size_t i = 0; i < b.depth; i++) {
		free(b.st[i].kids);
		free(b.st[i].anchor);
	}
	free(b.st);
	for (size_t i = 0; i < b.cap_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (b.oom)
		return -ENOMEM;
	if (b.failed)
		return -EINVAL;
	if (!b.have_root) {
		nsl_diags_add_at(d, 1, 1, "", "invalid YAML (the file is empty)");
		return -EINVAL;
	}
	*ret = nsl_arena_alloc(a, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	**ret = b.root;
	return 0;
}
