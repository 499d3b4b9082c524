/* How nslab talks (see output.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"

static enum nsl_verbosity verbosity = NSL_NORMAL;
static cJSON *json_doc; /* the --json document being built, NULL without --json */
static cJSON *json_errors;

bool nsl_cli_common_opt(const char *arg)
{
	if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet"))
		verbosity = NSL_QUIET;
	else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose"))
		verbosity = NSL_VERBOSE;
	else
		return false;
	return true;
}

enum nsl_verbosity nsl_cli_verbosity(void) { return verbosity; }

void nsl_cli_set_verbosity(enum nsl_verbosity v) { verbosity = v; }

static void vmessage(const char *fmt, va_list ap)
{
	fputs("nslab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void nsl_cli_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity == NSL_QUIET || json_doc)
		return;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void nsl_cli_note(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < NSL_VERBOSE || json_doc)
		return;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

/* ---- --json ---- */

void nsl_cli_json_begin(const char *command)
{
	if (json_doc)
		return;
	json_doc = cJSON_CreateObject();
	json_errors = cJSON_CreateArray();
	if (!json_doc || !json_errors) {
		cJSON_Delete(json_doc);
		cJSON_Delete(json_errors);
		json_doc = json_errors = NULL;
		nsl_cli_error("out of memory: --json ignored");
		return;
	}
	cJSON_AddNumberToObject(json_doc, "version", NSL_JSON_VERSION);
	cJSON_AddStringToObject(json_doc, "command", command);
}

bool nsl_cli_json(void) { return json_doc != NULL; }

cJSON *nsl_cli_json_doc(void) { return json_doc; }

void nsl_cli_json_lines(cJSON *obj, const char *key, char *text)
{
	cJSON *lines = cJSON_AddArrayToObject(obj, key);

	for (char *line = text, *nl; line && *line; line = nl + 1) {
		bool last;
		nl = strchrnul(line, '\n');
		last = !*nl;
		*nl = 0;
		cJSON_AddItemToArray(lines, cJSON_CreateString(line));
		if (last)
			break;
	}
}

int nsl_cli_json_end(int code)
{
	char *s;

	if (!json_doc)
		return code;
	cJSON_AddBoolToObject(json_doc, "ok", code == NSL_EXIT_OK);
	cJSON_AddNumberToObject(json_doc, "exit", code);
	cJSON_AddItemToObject(json_doc, "errors", json_errors);
	s = cJSON_Print(json_doc);
	cJSON_Delete(json_doc);
	json_doc = json_errors = NULL;
	if (!s) {
		nsl_cli_error("out of memory printing the JSON document");
		return code ? code : NSL_EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	if (fflush(stdout) != 0 && code == NSL_EXIT_OK)
		code = NSL_EXIT_FAIL;
	return code;
}

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_num_or_null(cJSON *o, const char *key, unsigned v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

void nsl_cli_problem(const char *file, const char *path, unsigned line, unsigned col,
                     const char *message)
{
	cJSON *o;

	if (!json_doc) {
		fprintf(stderr, "nslab: %s\n", message);
		return;
	}
	o = cJSON_CreateObject();
	if (!o)
		return;
	add_str_or_null(o, "file", file);
	add_str_or_null(o, "path", path);
	add_num_or_null(o, "line", line);
	add_num_or_null(o, "column", col);
	cJSON_AddStringToObject(o, "message", message);
	cJSON_AddItemToArray(json_errors, o);
}

void nsl_cli_diags(const struct nsl_diags *d)
{
	if (!json_doc) {
		nsl_diags_print(d, stderr);
		return;
	}
	for (size_t i = 0; i < d->n; i++)
		nsl_cli_problem(d->file, d->items[i].path, d->items[i].line, d->items[i].col,
		                d->items[i].message);
}

/* ---- the progress line ---- */

static void progress_draw(void *arg, const struct nsl_progress *pr)
{
	struct nsl_cli_progress *p = arg;
	uint64_t now = nsl_now_ns();
	char line[160];
	int n;

	if (now - p->t0 < p->after_ns)
		return;
	if (pr->total)
		n = snprintf(line, sizeof(line), "nslab: %s: %s %zu/%zu (%.1f s)", p->what,
		             pr->phase, pr->done, pr->total, (double)(now - p->t0) / 1e9);
	else
		n = snprintf(line, sizeof(line), "nslab: %s: %s (%.1f s)", p->what, pr->phase,
		             (double)(now - p->t0) / 1e9);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	/* Spaces over what a longer line left (no terminal control sequence needed). */
	fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
	fflush(stderr);
	p->width = n;
	p->drawn = true;
}

struct nsl_progress_sink *nsl_cli_progress_start(struct nsl_cli_progress *p, const char *fmt, ...)
{
	const char *after = getenv("NSLAB_PROGRESS_AFTER_MS");
	uint64_t ms = 500;
	va_list ap;

	memset(p, 0, sizeof(*p));
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	if (after && !nsl_parse_u64(after, 3600000, &ms))
		ms = 500;
	p->t0 = nsl_now_ns();
	p->after_ns = ms * 1000000ull;
	p->enabled = verbosity != NSL_QUIET && isatty(STDERR_FILENO);
	p->sink.fn = progress_draw;
	p->sink.arg = p;
	return p->enabled ? &p->sink : NULL;
}

void nsl_cli_progress_end(struct nsl_cli_progress *p)
{
	if (!p->drawn)
		return;
	fprintf(stderr, "\r%*s\r", p->width, "");
	fflush(stderr);
	p->drawn = false;
	p->width = 0;
}
