/* frame.h - length-prefixed frames: a pure reader over bytes (a conn's input
 * buffer) and a writer that queues one frame on a conn. Lines are line.h's;
 * what a frame's payload means is the protocol's.
 *
 * One struct frame_fmt describes where the length lives:
 *   DNS over TCP (RFC 1035 4.2.2)  hdr 2, at 0, width 2: FRAME_FMT_DNS_TCP
 *   BitTorrent peer messages       hdr 4, at 0, width 4: FRAME_FMT_BT
 *   STUN over TCP (RFC 8489 6.2.2) hdr 20, at 2, width 2 (the attributes'
 *                                  length, after the 20-byte header)
 * The frame is hdr_len + value + adjust bytes long (adjust < 0 for a length
 * that counts the header too); its payload is what follows the header.
 */
#ifndef CAMADA_FRAME_H
#define CAMADA_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/parse.h"

struct conn;

struct frame_fmt {
	uint32_t hdr_len;	/* bytes before the payload, >= off + width */
	uint32_t len_off;	/* where the big-endian length field starts */
	uint32_t len_width;	/* 1 to 4 bytes */
	int32_t adjust;		/* added to hdr_len + value: the frame size */
	uint32_t min_payload;	/* smaller payloads are errors (DNS: 1) */
	uint32_t max;		/* bound on a whole frame; larger: PARSE_ERR */
};

/* max is a limit chosen by each user (a config key); these set the rest. */
#define FRAME_FMT_DNS_TCP(mx) { 2, 0, 2, 0, 1, (mx) }
#define FRAME_FMT_BT(mx) { 4, 0, 4, 0, 0, (mx) }
#define FRAME_FMT_STUN_TCP(mx) { 20, 2, 2, 0, 0, (mx) }

/* One frame read from p[0..n). */
struct frame {
	struct slice hdr;	/* the header, length field included */
	struct slice payload;	/* what follows it */
};

/* Returns the frame's size (> 0: consume that many bytes) with *out filled
 * (slices into p, valid as long as those bytes are), PARSE_AGAIN when p is a
 * proper prefix of a frame (only the header is looked at until it is whole,
 * so a too-large length fails as soon as its field is in), or PARSE_ERR when
 * the frame is larger than f->max, its payload below f->min_payload, adjust
 * makes it shorter than its header, or f itself is malformed. */
int frame_next(const struct frame_fmt *f, const uint8_t *p, size_t n,
    struct frame *out);

/* Writes the length field for a payload of payload_len bytes into hdr
 * (f->hdr_len bytes; the other header bytes are left as they are).
 * 0, or -1 when that frame would exceed f->max or the field's width. */
int frame_put_len(const struct frame_fmt *f, uint8_t *hdr, size_t payload_len)
    BUF_WUR;

/* Queues one frame on c: hdr (f->hdr_len bytes, NULL: zeros) with its
 * length field set, then the payload. Both are copied. 0, or -1 when the
 * frame is too large (nothing queued) or c's output is full. */
int frame_write(struct conn *c, const struct frame_fmt *f, const uint8_t *hdr,
    const void *payload, size_t n) BUF_WUR;

#endif
