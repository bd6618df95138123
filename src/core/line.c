/* line.c - see line.h. */
#include <stdbool.h>
#include <string.h>

#include "core/line.h"

/* Both splitters: strict refuses a LF that is not the end of a CRLF. */
static int
line_take(struct buf *in, size_t max, struct slice *line, bool strict)
{
	const uint8_t *p = buf_data(in);
	size_t scan = in->len < max + 2 ? in->len : max + 2;
	const uint8_t *lf;
	size_t n;

	if (in->len == 0)
		return 0; /* p may be NULL: never allocated */
	lf = memchr(p, '\n', scan);
	if (lf == NULL) {
		if (in->len <= max + 1)
			return 0;
		/* Too long. When its LF is already here, drop the line so
		 * that the next call returns the one after it (line.h). */
		lf = memchr(p + scan, '\n', in->len - scan);
		if (lf != NULL)
			buf_consume(in, (size_t)(lf - p) + 1);
		return LINE_TOO_LONG;
	}
	n = (size_t)(lf - p);
	buf_consume(in, n + 1);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	else if (strict && n <= max)
		return LINE_BARE_LF; /* too long wins: one error per line */
	if (n > max)
		return LINE_TOO_LONG;
	line->p = p;
	line->n = n;
	return 1;
}

int
line_next(struct buf *in, size_t max, struct slice *line)
{
	return line_take(in, max, line, false);
}

int
line_next_crlf(struct buf *in, size_t max, struct slice *line)
{
	return line_take(in, max, line, true);
}

int
line_skip(struct buf *in)
{
	const uint8_t *p = buf_data(in);
	const uint8_t *lf;

	if (in->len == 0)
		return 0;
	lf = memchr(p, '\n', in->len);
	if (lf == NULL) {
		buf_consume(in, in->len);
		return 0;
	}
	buf_consume(in, (size_t)(lf - p) + 1);
	return 1;
}
