/* libFuzzer target: the dot-stuffed body codec. The first byte picks the
 * decoder's options, the size of the input pieces and of the output array;
 * the result must not depend on them. Checks: no write past the output bound
 * (exact mallocs under ASan), a proper prefix of a body never ends it, a size
 * limit changes only what is written, and decode(encode(x)) gives x back
 * (x + CRLF when it does not end in one; with bare CR/LF made CRLF unless
 * raw). */
#include <stdlib.h>
#include <string.h>

#include "core/dot.h"

struct res {
	size_t used, outn;
	int done, too_large;
	uint64_t size, lf, cr;
};

/* Decodes p[0..n) in pieces of step bytes through an output of cap bytes,
 * gathered into all (n * 2 + 8 bytes are enough: a byte makes at most 2). */
static void
decode(const uint8_t *p, size_t n, unsigned opts, uint64_t max, size_t step,
    size_t cap, uint8_t *all, struct res *r)
{
	uint8_t *out = malloc(cap);
	struct dot_dec d;

	dot_dec_init(&d, max, opts);
	r->used = r->outn = 0;
	while (r->used < n && !dot_dec_done(&d)) {
		size_t len = n - r->used < step ? n - r->used : step, on = 0;
		size_t k = dot_decode(&d, p + r->used, len, out, cap, &on);

		if (k > len || on > cap || (k == 0 && on == 0))
			abort(); /* over the bounds, or no progress */
		memcpy(all + r->outn, out, on);
		r->outn += on;
		r->used += k;
	}
	r->done = dot_dec_done(&d);
	r->too_large = d.too_large;
	r->size = d.size;
	r->lf = d.bare_lf;
	r->cr = d.bare_cr;
	free(out);
}

/* x -> encoded -> decoded must be want (x, or x normalised, plus CRLF). */
static void
round_trip(const uint8_t *x, size_t n, unsigned opts, uint8_t *enc,
    uint8_t *dec, uint8_t *want)
{
	struct dot_enc e;
	struct res r;
	size_t en = 0, wn = 0;

	dot_enc_init(&e, opts);
	if (dot_encode(&e, x, n, enc, n * 3 + DOT_END_MAX, &en) != n ||
	    dot_encode_end(&e, enc, n * 3 + DOT_END_MAX, &en) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		int lf = i + 1 < n && x[i] == '\r' && x[i + 1] == '\n';
		if (!(opts & DOT_ENC_RAW) && (lf || x[i] == '\r' ||
		    x[i] == '\n')) {
			want[wn++] = '\r';
			want[wn++] = '\n';
			i += (size_t)lf;
		} else {
			want[wn++] = x[i];
		}
	}
	if (wn > 0 &&
	    (wn < 2 || want[wn - 2] != '\r' || want[wn - 1] != '\n')) {
		want[wn++] = '\r';
		want[wn++] = '\n';
	}
	decode(enc, en, 0, 0, en, en * 2 + 8, dec, &r);
	if (!r.done || r.used != en || r.outn != wn ||
	    memcmp(dec, want, wn) != 0 ||
	    (!(opts & DOT_ENC_RAW) && (r.lf || r.cr)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t n = size - 1, big = n * 3 + 16;
	uint8_t *a, *b, *c;
	struct res ra, rb;
	unsigned opts;

	if (size == 0)
		return 0;
	opts = data[0] & 1;
	a = malloc(big);
	b = malloc(big);
	c = malloc(big);
	if (a == NULL || b == NULL || c == NULL)
		abort();
	decode(p, n, opts, 0, n + 1, big, a, &ra);
	decode(p, n, opts, 0, (size_t)(data[0] >> 1) % 8 + 1,
	    (size_t)(data[0] >> 4) + DOT_STEP_MAX, b, &rb);
	if (ra.used != rb.used || ra.done != rb.done || ra.outn != rb.outn ||
	    memcmp(a, b, ra.outn) != 0 || ra.lf != rb.lf || ra.cr != rb.cr ||
	    ra.size != ra.outn || ra.too_large)
		abort();
	if (ra.done && ra.used > 0) {
		decode(p, ra.used - 1, opts, 0, n + 1, big, b, &rb);
		if (rb.done)
			abort(); /* a proper prefix ended the body */
	}
	/* A limit: the same scan, a prefix of the same output. */
	decode(p, n, opts, data[0] % 32 + 1, n + 1, big, b, &rb);
	if (rb.used != ra.used || rb.done != ra.done || rb.size != ra.size ||
	    rb.too_large != (ra.size > data[0] % 32 + 1) ||
	    rb.outn > ra.outn || memcmp(a, b, rb.outn) != 0 ||
	    (!rb.too_large && rb.outn != ra.outn))
		abort();
	round_trip(p, n, 0, a, b, c);
	round_trip(p, n, DOT_ENC_RAW, a, b, c);
	free(a);
	free(b);
	free(c);
	return 0;
}
