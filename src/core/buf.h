/* buf.h - a growable byte buffer with a hard upper bound.
 *
 * The bytes live in p[off .. off+len); cap is what is allocated. Growth stops
 * at max, a named config limit: past it buf_reserve fails and the protocol
 * answers "too large". buf_consume only moves off, so slices into the buffer
 * stay valid until the next call that can move or grow it (buf_reserve and
 * everything that appends).
 */
#ifndef CAMADA_BUF_H
#define CAMADA_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/parse.h"

#define BUF_WUR __attribute__((warn_unused_result))

struct buf {
	uint8_t *p;
	size_t off;
	size_t len;
	size_t cap;
	size_t max;
};

/* An empty buffer that may grow to max bytes; allocates nothing yet. */
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);

/* The unread bytes. */
static inline uint8_t *
buf_data(const struct buf *b)
{
	return b->p + b->off;
}

/* Makes room for n more bytes after the data, moving the data to the front
 * or growing. Returns a pointer to the free space, or NULL when that would
 * pass max or memory ran out. */
uint8_t *buf_reserve(struct buf *b, size_t n) BUF_WUR;

/* Free space after the data without moving anything. */
static inline size_t
buf_space(const struct buf *b)
{
	return b->cap - b->off - b->len;
}

/* Records that n bytes were written into the space buf_reserve gave. */
static inline void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

/* Drops n bytes from the front. */
void buf_consume(struct buf *b, size_t n);

/* Empties the buffer, keeping its memory. */
static inline void
buf_reset(struct buf *b)
{
	b->off = 0;
	b->len = 0;
}

/* Append; each returns 0, or -1 when the result would pass max. */
int buf_append(struct buf *b, const void *p, size_t n) BUF_WUR;
int buf_append_str(struct buf *b, const char *s) BUF_WUR;
int buf_printf(struct buf *b, const char *fmt, ...) BUF_WUR
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) BUF_WUR
	__attribute__((format(printf, 2, 0)));

static inline struct slice
buf_slice(const struct buf *b)
{
	return slice_make(b->p + b->off, b->len);
}

#endif
