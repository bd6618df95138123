/* buf.c - bounded growable byte buffers (see buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define BUF_MIN_CAP 1024

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->off = 0;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->off = b->len = b->cap = 0;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return NULL;
	if (buf_space(b) >= n)
		return b->p + b->off + b->len;
	/* Moving the data to the front is cheaper than growing when at least
	 * half of the buffer is already consumed. */
	if (b->off > 0 && b->cap - b->len >= n && b->off >= b->cap / 2) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
		return b->p + b->len;
	}
	size_t need = b->len + n;
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max)
		cap = b->max > need ? b->max : need;
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	if (cap != b->cap) {
		uint8_t *np = realloc(b->p, cap);
		if (np == NULL)
			return NULL;
		b->p = np;
		b->cap = cap;
	}
	return b->p + b->len;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = 0;
		b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	uint8_t *dst = buf_reserve(b, n);
	if (dst == NULL)
		return -1;
	memcpy(dst, p, n);
	b->len += n;
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	size_t room = buf_space(b);
	char *dst = (char *)(b->p ? b->p + b->off + b->len : NULL);
	int n;

	va_copy(aq, ap);
	n = vsnprintf(room ? dst : NULL, room, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return 0;
	}
	if (b->len + (size_t)n == b->max) {
		/* Fits max exactly, but vsnprintf also writes a NUL: format
		 * aside, then append. */
		char *tmp = malloc((size_t)n + 1);
		int rc = -1;
		if (tmp && vsnprintf(tmp, (size_t)n + 1, fmt, ap) == n)
			rc = buf_append(b, tmp, (size_t)n);
		free(tmp);
		return rc;
	}
	dst = (char *)buf_reserve(b, (size_t)n + 1);
	if (dst == NULL)
		return -1;
	n = vsnprintf(dst, (size_t)n + 1, fmt, ap);
	if (n < 0)
		return -1;
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}
