/* http_field.c - header lookup, and the field values a server acts on
 * beyond framing: Range (RFC 9110 §14.1-14.2) and entity-tag lists for
 * conditional requests (RFC 9110 §8.8.3, §13.1). Anything malformed in
 * those means "ignore the field".
 */
#include <string.h>

#include "http/http_parse.h"
#include "http/http_field.h"

const struct http_header *
http_header_find(const struct http_header *h, size_t n, const char *name)
{
	size_t i = http_header_next(h, n, 0, name);

	return i < n ? &h[i] : NULL;
}

size_t
http_header_next(const struct http_header *h, size_t n, size_t from,
    const char *name)
{
	for (size_t i = from; i < n; i++)
		if (slice_caseeq(h[i].name, name))
			return i;
	return n;
}

/* *DIGIT, saturating at UINT64_MAX: a huge number is still a number, and
 * "past the end" is the right reading of it. The caller checks that *q
 * moved. */
static void
eat_u64(const uint8_t **q, const uint8_t *end, uint64_t *v)
{
	const uint8_t *s = *q;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
		s++;
	}
	*q = s;
}

int
http_parse_range(struct slice v, uint64_t size, uint64_t *first,
    uint64_t *last)
{
	const uint8_t *q, *end;
	const uint8_t *mark;
	uint64_t a, b;

	if (v.n < 6 || !slice_caseeq(slice_make(v.p, 5), "bytes") ||
	    v.p[5] != '=')
		return 0;
	q = v.p + 6;
	end = v.p + v.n;
	/* Several ranges would need multipart/byteranges; a whole 200 is
	 * always an allowed answer (RFC 9110 §14.2). */
	if (memchr(q, ',', (size_t)(end - q)) != NULL)
		return 0;

	if (q < end && *q == '-') {
		/* suffix-range: the last b bytes */
		q++;
		mark = q;
		eat_u64(&q, end, &b);
		if (q == mark || q != end)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*first = size - (b < size ? b : size);
		*last = size - 1;
		return 1;
	}

	mark = q;
	eat_u64(&q, end, &a);
	if (q == mark || q == end || *q != '-')
		return 0;
	q++;
	mark = q;
	eat_u64(&q, end, &b);
	if (q != end)
		return 0;
	if (q > mark && b < a)
		return 0;	/* invalid range-spec: ignore the field */
	if (a >= size)
		return -1;
	*first = a;
	*last = q > mark && b < size - 1 ? b : size - 1;
	return 1;
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool
is_etagc(uint8_t c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, at *q. Sets *weak and the
 * opaque-tag (quotes included). */
static bool
eat_etag(const uint8_t **q, const uint8_t *end, bool *weak,
    struct slice *opaque)
{
	const uint8_t *s = *q, *start;

	*weak = false;
	if (end - s >= 2 && s[0] == 'W' && s[1] == '/') {
		*weak = true;
		s += 2;
	}
	if (s == end || *s != '"')
		return false;
	start = s++;
	while (s < end && is_etagc(*s))
		s++;
	if (s == end || *s != '"')
		return false;
	s++;
	*opaque = slice_make(start, (size_t)(s - start));
	*q = s;
	return true;
}

static bool
slice_same(struct slice a, struct slice b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool
http_etag_match(struct slice list, struct slice etag, bool weak)
{
	const uint8_t *q = etag.p, *end = etag.p + etag.n;
	struct slice mine, theirs;
	bool mine_weak, theirs_weak;

	if (etag.n == 0 || !eat_etag(&q, end, &mine_weak, &mine) || q != end)
		return false;
	if (list.n == 0)
		return false;
	q = list.p;
	end = list.p + list.n;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (end - q == 1 && *q == '*')
		return true;

	for (;;) {
		while (q < end && (*q == ' ' || *q == '\t' || *q == ','))
			q++;
		if (q == end)
			return false;
		if (!eat_etag(&q, end, &theirs_weak, &theirs))
			return false;
		if (slice_same(mine, theirs) &&
		    (weak || (!mine_weak && !theirs_weak)))
			return true;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q != ',')
			return false;
	}
}
