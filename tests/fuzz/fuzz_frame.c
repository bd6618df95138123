/* libFuzzer target: frame_next on the three layouts and on one read from
 * the input's first bytes. Checks that a frame fits the input and its
 * bound, that a proper prefix of a frame is "need more", and that
 * frame_put_len writes back the header it read. */
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"

static void
check(const struct frame_fmt *f, const uint8_t *p, size_t n)
{
	struct frame fr, t;
	uint8_t h[64];
	int k = frame_next(f, p, n, &fr);

	if (!(k == PARSE_AGAIN || k == PARSE_ERR || (k > 0 && (size_t)k <= n &&
	    (uint32_t)k <= f->max)))
		abort();
	if (k <= 0)
		return;
	if (fr.hdr.n + fr.payload.n != (size_t)k ||
	    frame_next(f, p, (size_t)k - 1, &t) != PARSE_AGAIN)
		abort();
	if (f->hdr_len <= sizeof(h)) {
		memcpy(h, p, f->hdr_len);
		if (frame_put_len(f, h, fr.payload.n) != 0 ||
		    memcmp(h, p, f->hdr_len) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static const struct frame_fmt dns = FRAME_FMT_DNS_TCP(65537);
	static const struct frame_fmt bt = FRAME_FMT_BT(1 << 17);
	static const struct frame_fmt stun = FRAME_FMT_STUN_TCP(2048);

	check(&dns, p, n);
	check(&bt, p, n);
	check(&stun, p, n);
	if (n >= 4) {
		/* a layout from the input itself: hdr 1..32, the field in it */
		struct frame_fmt f;
		f.hdr_len = 1u + (p[0] & 31);
		f.len_width = 1u + (p[1] & 3);
		f.len_off = p[2] % 32;
		f.adjust = (int8_t)p[3];
		f.min_payload = p[1] >> 4;
		f.max = 4096;
		check(&f, p + 4, n - 4);
	}
	return 0;
}
