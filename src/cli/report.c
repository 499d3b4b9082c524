/* Check results as TAP 13, JUnit XML and JSON (see report.h). Whatever a command printed is
 * carried as text: invalid UTF-8 becomes U+FFFD, and each format escapes what it must (TAP's
 * YAML: double-quoted scalars, a list of lines for output; XML: the five entities, no control
 * characters; JSON: cJSON's escapes). The JUnit file keeps to what both common schemas accept,
 * Jenkins' (xunit's junit-10) and Ant's: no attributes on testsuites (Ant takes none), the
 * counts on the testsuite, properties, system-out and system-err always there and package
 * and id on the testsuite (Ant), nothing but a failure or an error inside a testcase. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/report.h"

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* s as valid UTF-8 (malloc'd); NULL out of memory. */
static char *utf8_clean(const char *s, size_t n)
{
	char *o = malloc(n * 3 + 1);
	size_t k = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len((const unsigned char *)s + i, n - i);
		if (!l) {
			memcpy(o + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
			continue;
		}
		memcpy(o + k, s + i, l);
		k += l;
		i += l;
	}
	o[k] = 0;
	return o;
}

static double secs(uint64_t ns) { return (double)ns / 1e9; }

void nsl_report_counts(const struct nsl_report *r, size_t *passed, size_t *failed, size_t *errors)
{
	*passed = *failed = *errors = 0;
	for (size_t i = 0; i < r->n; i++) {
		switch (r->probes[i].verdict) {
		case NSL_VERDICT_PASS:
			(*passed)++;
			break;
		case NSL_VERDICT_FAIL:
			(*failed)++;
			break;
		default:
			(*errors)++;
		}
	}
}

static const char *verdict_name(enum nsl_verdict v)
{
	switch (v) {
	case NSL_VERDICT_PASS:
		return "pass";
	case NSL_VERDICT_FAIL:
		return "fail";
	case NSL_VERDICT_ERROR:
		return "error";
	case NSL_VERDICT_PENDING:
		break;
	}
	return "pending";
}

/* The one line that says why a check did not pass. */
static void message(const struct nsl_report *r, size_t i, char *buf, size_t size)
{
	const struct nsl_probe *p = &r->probes[i];
	char took[64] = "";

	if (p->check->within_ms && p->attempts > 1)
		nsl_fmt(took, sizeof(took), " (%u attempts in %.1f s)", p->attempts,
		        secs(p->end_ns - p->begin_ns));
	nsl_fmt(buf, size, "%s: %s%s", p->node ? p->node : "?", p->saw, took);
}

/* ---- TAP ---- */

void nsl_tap_begin(FILE *out, size_t n)
{
	fprintf(out, "TAP version 13\n1..%zu\n", n);
	fflush(out);
}

void nsl_tap_bail_out(FILE *out, const char *reason)
{
	fputs("Bail out! ", out);
	for (const char *s = reason; *s && *s != '\n'; s++)
		fputc(*s, out);
	fputc('\n', out);
	fflush(out);
}

/* A YAML double-quoted scalar: printable as is; control characters (C0, DEL, C1) and the
 * non-characters U+FFFE, U+FFFF escaped, since YAML readers refuse them raw. */
static void yaml_qq(FILE *out, const char *s, size_t n)
{
	_cleanup_free_ char *c = utf8_clean(s, n);
	const unsigned char *p = (const unsigned char *)(c ? c : "");
	const unsigned char *end = p + strlen((const char *)p);

	fputc('"', out);
	while (*p) {
		size_t l = utf8_len(p, (size_t)(end - p));
		if (l > 1) {
			uint32_t cp = l == 2   ? (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f)
			              : l == 3 ? (uint32_t)(p[0] & 0x0f) << 12 |
			                             (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f)
			                       : 0x10000;
			if (cp >= 0x80 && cp <= 0x9f)
				fprintf(out, "\\x%02x", (unsigned)cp); /* U+0080..U+009F */
			else if (cp == 0xfffe || cp == 0xffff)
				fprintf(out, "\\u%04x", (unsigned)cp);
			else
				fwrite(p, 1, l, out);
			p += l;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
		p++;
	}
	fputc('"', out);
}

static void yaml_kv(FILE *out, const char *key, const char *s)
{
	fprintf(out, "  %s: ", key);
	yaml_qq(out, s, strlen(s));
	fputc('\n', out);
}

/* TAP: "#" starts a directive and "\" escapes; a name has no newline (names have no control
 * characters). */
static void tap_name(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

void nsl_tap_result(FILE *out, const struct nsl_report *r, size_t i)
{
	const struct nsl_probe *p = &r->probes[i];
	const struct nsl_check *k = p->check;
	char buf[1024], path[32];

	fprintf(out, "%sok %zu - ", p->verdict == NSL_VERDICT_PASS ? "" : "not ", i + 1);
	tap_name(out, k->name);
	fputc('\n', out);
	if (p->verdict != NSL_VERDICT_PASS) {
		fputs("  ---\n", out);
		message(r, i, buf, sizeof(buf));
		yaml_kv(out, "message", buf);
		fprintf(out, "  severity: %s\n", p->verdict == NSL_VERDICT_FAIL ? "fail" : "error");
		nsl_fmt(path, sizeof(path), "tests[%zu]", i);
		yaml_kv(out, "check", path);
		yaml_kv(out, "kind", nsl_check_kind_name(k->kind));
		yaml_kv(out, "node", k->node_name);
		nsl_check_describe(k, buf, sizeof(buf));
		yaml_kv(out, "ran", buf);
		yaml_kv(out, "saw", p->saw);
		fprintf(out, "  attempts: %u\n", p->attempts);
		fprintf(out, "  duration_ms: %.0f\n", (double)(p->end_ns - p->begin_ns) / 1e6);
		if (k->kind == NSL_CHECK_CMD && p->attempts) {
			if (p->status >= 0)
				fprintf(out, "  status: %d\n", p->status);
			fprintf(out, "  expected_status: %d\n", k->status);
			if (k->match)
				yaml_kv(out, "match", k->match);
			if (p->output_len) {
				/* a list of lines: readable, and what every YAML reader takes */
				const char *s = p->output, *end = s + p->output_len;
				fprintf(out, "  output%s:\n", p->output_cut ? "_end" : "");
				while (s < end) {
					const char *nl = memchr(s, '\n', (size_t)(end - s));
					size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
					fputs("    - ", out);
					yaml_qq(out, s, len);
					fputc('\n', out);
					s += len + (nl ? 1 : 0);
				}
			}
		}
		fputs("  ...\n", out);
	}
	fflush(out);
}

void nsl_tap_end(FILE *out, const struct nsl_report *r)
{
	size_t passed, failed, errors;

	nsl_report_counts(r, &passed, &failed, &errors);
	fprintf(out, "# lab %s: %zu passed, %zu failed, %zu errors in %.2f s\n", r->lab, passed,
	        failed, errors, secs(r->end_ns - r->begin_ns));
	fflush(out);
}

/* ---- JUnit ---- */

/* Escape valid UTF-8 for XML; in an attribute, line breaks and tabs become references. */
static void xml_escape(FILE *out, const char *s, bool attr)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		case '\n':
			fputs(attr ? "&#10;" : "\n", out);
			break;
		case '\t':
			fputs(attr ? "&#9;" : "\t", out);
			break;
		case '\r':
			fputs("&#13;", out);
			break;
		default:
			/* XML 1.0 has no other control characters, not even escaped */
			if (*p < 0x20 || *p == 0x7f)
				fputs("\xef\xbf\xbd", out);
			else
				fputc(*p, out);
		}
	}
}

static void xml_text(FILE *out, const char *s, size_t n)
{
	_cleanup_free_ char *c = utf8_clean(s, n);

	xml_escape(out, c ? c : "", false);
}

static void xml_attr(FILE *out, const char *name, const char *value)
{
	_cleanup_free_ char *c = utf8_clean(value, strlen(value));

	fprintf(out, " %s=\"", name);
	xml_escape(out, c ? c : "", true);
	fputc('"', out);
}

int nsl_junit_write(FILE *out, const struct nsl_report *r)
{
	size_t passed, failed, errors;
	char buf[1024], num[32], stamp[32], host[256] = "localhost";
	struct tm tm;

	nsl_report_counts(r, &passed, &failed, &errors);
	gmtime_r(&r->started, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		nsl_fmt(host, sizeof(host), "localhost");
	/* testsuites without attributes: Ant's schema takes none, Jenkins' needs none */
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite", out);
	xml_attr(out, "name", r->lab);
	nsl_fmt(num, sizeof(num), "%zu", r->n);
	xml_attr(out, "tests", num);
	nsl_fmt(num, sizeof(num), "%zu", failed);
	xml_attr(out, "failures", num);
	nsl_fmt(num, sizeof(num), "%zu", errors);
	xml_attr(out, "errors", num);
	xml_attr(out, "skipped", "0");
	nsl_fmt(num, sizeof(num), "%.3f", secs(r->end_ns - r->begin_ns));
	xml_attr(out, "time", num);
	xml_attr(out, "timestamp", stamp);
	xml_attr(out, "hostname", host);
	xml_attr(out, "id", "0");
	xml_attr(out, "package", "nslab");
	fputs(">\n    <properties>\n      <property", out);
	xml_attr(out, "name", "topology");
	xml_attr(out, "value", r->topology ? r->topology : "");
	fputs("/>\n    </properties>\n", out);
	for (size_t i = 0; i < r->n; i++) {
		const struct nsl_probe *p = &r->probes[i];
		const struct nsl_check *k = p->check;
		const char *tag = p->verdict == NSL_VERDICT_FAIL ? "failure" : "error";
		char cls[NSL_NAME_MAX + 16];

		nsl_fmt(cls, sizeof(cls), "nslab.%s", r->lab);
		fputs("    <testcase", out);
		xml_attr(out, "name", k->name);
		xml_attr(out, "classname", cls);
		nsl_fmt(num, sizeof(num), "%.3f", secs(p->end_ns - p->begin_ns));
		xml_attr(out, "time", num);
		if (p->verdict == NSL_VERDICT_PASS) {
			fputs("/>\n", out);
			continue;
		}
		fprintf(out, ">\n      <%s", tag);
		message(r, i, buf, sizeof(buf));
		xml_attr(out, "message", buf);
		xml_attr(out, "type", nsl_check_kind_name(k->kind));
		fputs(">", out);
		nsl_fmt(buf, sizeof(buf), "check: tests[%zu]\nran: ", i);
		xml_text(out, buf, strlen(buf));
		nsl_check_describe(k, buf, sizeof(buf));
		xml_text(out, buf, strlen(buf));
		fputs("\nsaw: ", out);
		xml_text(out, p->saw, strlen(p->saw));
		fprintf(out, "\nattempts: %u", p->attempts);
		if (p->output_len) {
			fputs(p->output_cut ? "\noutput (its end):\n" : "\noutput:\n", out);
			xml_text(out, p->output, p->output_len);
		}
		fprintf(out, "</%s>\n", tag);
		fputs("    </testcase>\n", out);
	}
	/* (the Ant form wants both, even empty; a command's output is in its failure) */
	nsl_fmt(buf, sizeof(buf), "lab %s: %zu passed, %zu failed, %zu errors\n", r->lab, passed,
	        failed, errors);
	fputs("    <system-out>", out);
	xml_text(out, buf, strlen(buf));
	fputs("</system-out>\n    <system-err/>\n  </testsuite>\n</testsuites>\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

/* ---- JSON ---- */

static void json_str(cJSON *o, const char *key, const char *s, size_t n)
{
	_cleanup_free_ char *c = utf8_clean(s, n);

	cJSON_AddStringToObject(o, key, c ? c : "");
}

int nsl_json_write(FILE *out, const struct nsl_report *r)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	size_t passed, failed, errors;
	char buf[1024], path[32], *text;

	if (!root)
		return -ENOMEM;
	nsl_report_counts(r, &passed, &failed, &errors);
	cJSON_AddNumberToObject(root, "version", NSL_REPORT_JSON_VERSION);
	cJSON_AddStringToObject(root, "lab", r->lab);
	json_str(root, "topology", r->topology ? r->topology : "",
	         r->topology ? strlen(r->topology) : 0);
	cJSON_AddNumberToObject(root, "tests", (double)r->n);
	cJSON_AddNumberToObject(root, "passed", (double)passed);
	cJSON_AddNumberToObject(root, "failed", (double)failed);
	cJSON_AddNumberToObject(root, "errors", (double)errors);
	cJSON_AddBoolToObject(root, "ok", passed == r->n);
	cJSON_AddNumberToObject(root, "duration_ms", (double)(r->end_ns - r->begin_ns) / 1e6);
	arr = cJSON_AddArrayToObject(root, "results");
	for (size_t i = 0; arr && i < r->n; i++) {
		const struct nsl_probe *p = &r->probes[i];
		const struct nsl_check *k = p->check;
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddItemToArray(arr, o);
		cJSON_AddNumberToObject(o, "index", (double)i);
		nsl_fmt(path, sizeof(path), "tests[%zu]", i);
		cJSON_AddStringToObject(o, "check", path);
		json_str(o, "name", k->name, strlen(k->name));
		cJSON_AddStringToObject(o, "kind", nsl_check_kind_name(k->kind));
		cJSON_AddStringToObject(o, "node", k->node_name);
		cJSON_AddStringToObject(o, "result", verdict_name(p->verdict));
		nsl_check_describe(k, buf, sizeof(buf));
		json_str(o, "ran", buf, strlen(buf));
		json_str(o, "saw", p->saw, strlen(p->saw));
		cJSON_AddNumberToObject(o, "attempts", p->attempts);
		cJSON_AddNumberToObject(o, "duration_ms", (double)(p->end_ns - p->begin_ns) / 1e6);
		if (k->kind == NSL_CHECK_CMD) {
			if (p->status >= 0)
				cJSON_AddNumberToObject(o, "status", p->status);
			else
				cJSON_AddNullToObject(o, "status");
			cJSON_AddNumberToObject(o, "expected_status", k->status);
			if (k->match)
				json_str(o, "match", k->match, strlen(k->match));
			json_str(o, "output", p->output ? p->output : "", p->output_len);
			cJSON_AddBoolToObject(o, "output_cut", p->output_cut);
		}
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	fprintf(out, "%s\n", text);
	free(text);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
