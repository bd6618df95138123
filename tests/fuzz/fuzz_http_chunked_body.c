/* libFuzzer target: the in-place body reader. The first byte picks the size
 * of the pieces appended to the buffer between calls; the body, the error
 * and where the next message starts must not depend on it, and must agree
 * with the plain decoder fed the whole input at once. */
#include <stdlib.h>
#include <string.h>

#include "http/http_chunked.h"

/* Appends p[0..n) to buf step bytes at a time, decoding after each piece.
 * Returns 1 done (body in buf[0..*blen), *len bytes held), or < 0. */
static int
in_place(const uint8_t *p, size_t n, size_t step, uint8_t *buf,
    size_t *blen, size_t *len)
{
	struct http_chunked_body b;
	size_t off = 0;
	int r = 0;

	http_chunked_body_init(&b);
	*len = 0;
	while (off < n && r == 0) {
		size_t k = n - off < step ? n - off : step;
		memcpy(buf + *len, p + off, k);
		*len += k;
		off += k;
		r = http_chunked_body_decode(&b, buf, len, 1 << 20);
		if (r >= 0 && (b.len > *len || *len > off))
			abort(); /* the region never grows past its input */
	}
	if (r == 1) {
		/* what follows the body is the rest of the input, in order */
		memcpy(buf + *len, p + off, n - off);
		*len += n - off;
	}
	*blen = b.len;
	return r == 0 ? -2 : r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	uint8_t *a, *b;
	size_t al, an, bl, bn;
	int ra, rb;

	if (n == 0)
		return 0;
	a = malloc(n);
	b = malloc(n);
	if (a == NULL || b == NULL)
		abort();
	ra = in_place(p + 1, n - 1, (size_t)p[0] % 16 + 1, a, &al, &an);
	rb = in_place(p + 1, n - 1, n, b, &bl, &bn);
	if (ra != rb || (ra == 1 && (al != bl || an != bn ||
	    memcmp(a, b, an) != 0)))
		abort();
	if (ra == 1) {
		/* the plain decoder agrees on the body and on its end */
		struct http_chunked st;
		size_t off = 0, got = 0;
		http_chunked_init(&st);
		while (!st.done) {
			struct slice d;
			int k = http_chunked_decode(&st, p + 1 + off,
			    n - 1 - off, &d);
			if (k <= 0 || got + d.n > al ||
			    memcmp(a + got, d.p, d.n) != 0)
				abort();
			got += d.n;
			off += (size_t)k;
		}
		if (got != al || an - al != n - 1 - off ||
		    memcmp(a + al, p + 1 + off, an - al) != 0)
			abort();
	}
	free(a);
	free(b);
	return 0;
}
