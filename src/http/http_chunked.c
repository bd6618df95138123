/* http_chunked.c - the chunked transfer coding (RFC 9112 §7.1) decoded as a
 * byte-at-a-time state machine, so a body may arrive split anywhere. Data
 * comes back as slices of the input; extensions and trailers are checked
 * and skipped, within bounds. http_chunked_body_decode reads a whole body
 * in place on top of it (http_chunked.h).
 */
#include <limits.h>
#include <string.h>

#include "core/hex.h"
#include "http/http_chunked.h"
#include "http/http_parse.h"

enum {
	CH_SIZE,	/* hex digits of chunk-size (state 0: a zeroed struct) */
	CH_SIZE_WS,	/* BWS after the size: only ';' may follow */
	CH_EXT,		/* chunk-ext, up to the line end */
	CH_SIZE_LF,	/* CR seen after the size line */
	CH_DATA,	/* remaining bytes of chunk data */
	CH_DATA_END,	/* the CRLF after chunk data */
	CH_DATA_LF,
	CH_TRAILER,	/* start of a trailer line, or of the final empty line */
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_END_LF,	/* CR of the final empty line seen */
	CH_DONE
};

void
http_chunked_init(struct http_chunked *st)
{
	memset(st, 0, sizeof(*st));
}

/* Same classes as the head parser: no CTL but HTAB, obs-text allowed. */
static bool
is_text(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The size line is over: data follows, or the trailer section if 0. */
static void
size_line_done(struct http_chunked *st)
{
	st->state = st->remaining == 0 ? CH_TRAILER : CH_DATA;
	st->line_bytes = 0;
	st->ndigits = 0;
}

/* The CRLF after chunk data is over: a new size line starts. */
static void
next_chunk(struct http_chunked *st)
{
	st->state = CH_SIZE;
	st->line_bytes = 0;
}

/* One framing byte. Returns 0 or PARSE_ERR. */
static int
step(struct http_chunked *st, uint8_t c)
{
	int h;

	switch (st->state) {
	case CH_SIZE:
		h = hex_digit(c);
		if (h >= 0) {
			/* Refuse rather than wrap: a wrapped size is the
			 * classic way to make two parsers disagree. */
			if (st->remaining > (UINT64_MAX >> 4))
				return PARSE_ERR;
			st->remaining = (st->remaining << 4) | (uint64_t)h;
			st->ndigits++;
			break;
		}
		if (st->ndigits == 0)
			return PARSE_ERR;
		if (c == ' ' || c == '\t')
			st->state = CH_SIZE_WS;
		else if (c == ';')
			st->state = CH_EXT;
		else if (c == '\r')
			st->state = CH_SIZE_LF;
		else if (c == '\n')
			size_line_done(st);
		else
			return PARSE_ERR;
		break;
	case CH_SIZE_WS:
		if (c == ';')
			st->state = CH_EXT;
		else if (c != ' ' && c != '\t')
			return PARSE_ERR;
		break;
	case CH_EXT:
		if (c == '\r')
			st->state = CH_SIZE_LF;
		else if (c == '\n')
			size_line_done(st);
		else if (!is_text(c))
			return PARSE_ERR;
		break;
	case CH_SIZE_LF:
		if (c != '\n')
			return PARSE_ERR;
		size_line_done(st);
		break;
	case CH_DATA_END:
		if (c == '\r')
			st->state = CH_DATA_LF;
		else if (c == '\n')
			next_chunk(st);
		else
			return PARSE_ERR;
		break;
	case CH_DATA_LF:
		if (c != '\n')
			return PARSE_ERR;
		next_chunk(st);
		break;
	case CH_TRAILER:
		if (c == '\r')
			st->state = CH_END_LF;
		else if (c == '\n')
			st->state = CH_DONE;
		else if (http_is_tchar(c))
			st->state = CH_TRAILER_NAME;
		else
			return PARSE_ERR;	/* obs-fold, ':' first, CTL */
		break;
	case CH_TRAILER_NAME:
		if (c == ':')
			st->state = CH_TRAILER_VALUE;
		else if (!http_is_tchar(c))
			return PARSE_ERR;
		break;
	case CH_TRAILER_VALUE:
		if (c == '\r')
			st->state = CH_TRAILER_LF;
		else if (c == '\n')
			st->state = CH_TRAILER;
		else if (!is_text(c))
			return PARSE_ERR;
		break;
	case CH_TRAILER_LF:
		if (c != '\n')
			return PARSE_ERR;
		st->state = CH_TRAILER;
		break;
	case CH_END_LF:
		if (c != '\n')
			return PARSE_ERR;
		st->state = CH_DONE;
		break;
	default:
		return PARSE_ERR;
	}
	return 0;
}

int
http_chunked_decode(struct http_chunked *st, const uint8_t *p, size_t n,
    struct slice *data)
{
	size_t i = 0;

	*data = slice_make(p, 0);
	if (st->done)
		return 0;
	if (n == 0)
		return PARSE_AGAIN;
	/* The count must fit the int we return; the rest waits a call. */
	if (n > INT_MAX)
		n = INT_MAX;
	while (i < n) {
		if (st->state == CH_DATA) {
			size_t take = n - i;
			if ((uint64_t)take > st->remaining)
				take = (size_t)st->remaining;
			*data = slice_make(p + i, take);
			st->remaining -= take;
			if (st->remaining == 0)
				st->state = CH_DATA_END;
			return (int)(i + take);
		}
		if (st->state >= CH_TRAILER) {
			if (++st->trailer_bytes > HTTP_CHUNK_TRAILER_MAX)
				return PARSE_ERR;
		} else if (++st->line_bytes > HTTP_CHUNK_LINE_MAX) {
			return PARSE_ERR;
		}
		if (step(st, p[i++]) != 0)
			return PARSE_ERR;
		if (st->state == CH_DONE) {
			st->done = true;
			break;
		}
	}
	return (int)i;
}

void
http_chunked_body_init(struct http_chunked_body *b)
{
	http_chunked_init(&b->ck);
	b->len = 0;
}

int
http_chunked_body_decode(struct http_chunked_body *b, uint8_t *p, size_t *n,
    uint64_t max)
{
	size_t raw = b->len; /* input consumed: the body so far, then framing */
	int rc = 0;

	while (!b->ck.done && raw < *n) {
		struct slice d;
		int k = http_chunked_decode(&b->ck, p + raw, *n - raw, &d);
		if (k < 0)
			return PARSE_ERR;
		if (d.n) {
			if ((uint64_t)b->len + d.n > max)
				return HTTP_CHUNKED_TOO_BIG;
			memmove(p + b->len, d.p, d.n);
			b->len += d.n;
		}
		raw += (size_t)k;
	}
	if (raw > b->len) {
		memmove(p + b->len, p + raw, *n - raw);
		*n -= raw - b->len;
	}
	if (b->ck.done)
		rc = 1;
	return rc;
}
