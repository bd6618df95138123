/* frame.c - length-prefixed frames (see frame.h). The reader touches only
 * the bytes it is given; the writer reserves the whole frame in the conn's
 * output at once, so a failure queues nothing. */
#include <string.h>

#include "core/conn.h"
#include "core/frame.h"

static int
fmt_ok(const struct frame_fmt *f)
{
	return f->len_width >= 1 && f->len_width <= 4 &&
	    (uint64_t)f->len_off + f->len_width <= f->hdr_len &&
	    f->max <= (uint32_t)INT32_MAX;
}

/* The frame size for a length field value, or -1 when out of bounds. */
static int64_t
frame_size(const struct frame_fmt *f, uint64_t v)
{
	int64_t total = (int64_t)f->hdr_len + (int64_t)v + f->adjust;

	if (total < (int64_t)f->hdr_len ||
	    total - (int64_t)f->hdr_len < (int64_t)f->min_payload ||
	    total > (int64_t)f->max)
		return -1;
	return total;
}

int
frame_next(const struct frame_fmt *f, const uint8_t *p, size_t n,
    struct frame *out)
{
	uint64_t v = 0;
	int64_t total;

	if (!fmt_ok(f))
		return PARSE_ERR;
	if (n < (size_t)f->len_off + f->len_width)
		return PARSE_AGAIN;
	for (uint32_t i = 0; i < f->len_width; i++)
		v = v << 8 | p[f->len_off + i];
	total = frame_size(f, v);
	if (total < 0)
		return PARSE_ERR;
	if (n < (size_t)total)
		return PARSE_AGAIN;
	out->hdr = slice_make(p, f->hdr_len);
	out->payload = slice_make(p + f->hdr_len, (size_t)total - f->hdr_len);
	return (int)total;
}

int
frame_put_len(const struct frame_fmt *f, uint8_t *hdr, size_t payload_len)
{
	int64_t v = (int64_t)payload_len - f->adjust;

	if (!fmt_ok(f) || payload_len > f->max || v < 0 ||
	    (f->len_width < 4 && (uint64_t)v >> (8 * f->len_width)) ||
	    (uint64_t)v > UINT32_MAX || frame_size(f, (uint64_t)v) < 0)
		return -1;
	for (uint32_t i = f->len_width; i-- > 0;) {
		hdr[f->len_off + i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	return 0;
}

int
frame_write(struct conn *c, const struct frame_fmt *f, const uint8_t *hdr,
    const void *payload, size_t n)
{
	uint8_t *w;

	if (!fmt_ok(f) || n > f->max || (w = conn_reserve(c, f->hdr_len + n)) ==
	    NULL)
		return -1;
	if (hdr)
		memcpy(w, hdr, f->hdr_len);
	else
		memset(w, 0, f->hdr_len);
	if (frame_put_len(f, w, n) < 0)
		return -1; /* reserved, not committed: nothing queued */
	if (n)
		memcpy(w + f->hdr_len, payload, n);
	conn_commit(c, f->hdr_len + n);
	return 0;
}
