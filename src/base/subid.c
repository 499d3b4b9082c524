/* Subordinate id ranges (see subid.h). */
#include <stdio.h>
#include <string.h>

#include "base/subid.h"
#include "base/util.h"

/* "NAME:START:COUNT" in [line, end): the owner field and the range. */
static bool parse_line(const char *line, const char *end, char *owner, size_t size,
                       struct nsl_subid *ret)
{
	const char *c1 = memchr(line, ':', (size_t)(end - line)), *c2;
	char num[24];
	uint64_t start, count;

	if (!c1 || (size_t)(c1 - line) >= size || c1 == line)
		return false;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2 || (size_t)(c2 - c1 - 1) >= sizeof(num) || (size_t)(end - c2 - 1) >= sizeof(num))
		return false;
	memcpy(owner, line, (size_t)(c1 - line));
	owner[c1 - line] = 0;
	memcpy(num, c1 + 1, (size_t)(c2 - c1 - 1));
	num[c2 - c1 - 1] = 0;
	if (!nsl_parse_u64(num, UINT32_MAX, &start))
		return false;
	memcpy(num, c2 + 1, (size_t)(end - c2 - 1));
	num[end - c2 - 1] = 0;
	/* The range must stay within 32 bits: ids are 32-bit, 4294967295 is no id. */
	if (!nsl_parse_u64(num, UINT32_MAX, &count) || !count || start + count > UINT32_MAX)
		return false;
	ret->start = (uint32_t)start;
	ret->count = (uint32_t)count;
	return true;
}

bool nsl_subid_find(const char *text, const char *name, uint32_t id, struct nsl_subid *ret)
{
	char idbuf[16], owner[256];

	nsl_fmt(idbuf, sizeof(idbuf), "%u", id);
	for (const char *p = text; p && *p;) {
		const char *end = strchrnul(p, '\n'), *e = end;
		struct nsl_subid r;
		while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (parse_line(p, e, owner, sizeof(owner), &r) &&
		    ((name && !strcmp(owner, name)) || !strcmp(owner, idbuf))) {
			*ret = r;
			return true;
		}
		p = *end ? end + 1 : end;
	}
	return false;
}
