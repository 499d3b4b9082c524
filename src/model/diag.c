/* Diagnostics: every problem of a topology file, with its place, printed once by the CLI. */
#include <stdio.h>
#include <string.h>

#include "model/topology.h"

/* Hostile files can hold millions of errors; past this many, one last note and silence. */
#define DIAGS_MAX 200

static bool diags_push(struct nsl_diags *d, unsigned line, unsigned col, char *path, char *message)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct nsl_diag *items = reallocarray(d->items, cap, sizeof(*items));

		if (!items)
			return false;
		d->items = items;
		d->cap = cap;
	}
	d->items[d->n].path = path;
	d->items[d->n].message = message;
	d->items[d->n].line = line;
	d->items[d->n].col = col;
	d->n++;
	return true;
}

void nsl_diags_addv_at(struct nsl_diags *d, unsigned line, unsigned col, const char *path,
                       const char *fmt, va_list ap)
{
	char *p, *m = NULL;

	if (!d || d->n > DIAGS_MAX)
		return;
	if (d->n == DIAGS_MAX) {
		p = strdup("");
		m = strdup("too many problems, stopping here");
		line = col = 0;
	} else {
		p = strdup(path ? path : "");
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
	}
	/* out of memory: the caller still counts the problem and fails, only the text is lost */
	if (!p || !m || !diags_push(d, line, col, p, m)) {
		free(p);
		free(m);
	}
}

void nsl_diags_addv(struct nsl_diags *d, const char *path, const char *fmt, va_list ap)
{
	nsl_diags_addv_at(d, 0, 0, path, fmt, ap);
}

void nsl_diags_add_at(struct nsl_diags *d, unsigned line, unsigned col, const char *path,
                      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsl_diags_addv_at(d, line, col, path, fmt, ap);
	va_end(ap);
}

void nsl_diags_add(struct nsl_diags *d, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsl_diags_addv(d, path, fmt, ap);
	va_end(ap);
}

void nsl_diags_clear(struct nsl_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].path);
		free(d->items[i].message);
	}
	free(d->items);
	d->items = NULL;
	d->n = d->cap = 0;
}

void nsl_diags_print(const struct nsl_diags *d, FILE *out)
{
	const char *file;

	if (!d)
		return;
	file = d->file ? d->file : "<topology>";
	for (size_t i = 0; i < d->n; i++) {
		const struct nsl_diag *g = &d->items[i];

		fputs(file, out);
		if (g->line)
			fprintf(out, ":%u:%u", g->line, g->col);
		if (g->path && g->path[0])
			fprintf(out, ": %s", g->path);
		fprintf(out, ": %s\n", g->message);
	}
}
