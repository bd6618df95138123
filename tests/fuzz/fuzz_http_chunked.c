/* libFuzzer target: the chunked decoder. The first byte picks the size of
 * the pieces the rest is fed in; the result must not depend on it. */
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"
#include "http/http_chunked.h"

/* Decodes p[0..n) in pieces of step bytes into out. Returns the bytes
 * consumed when done, or -1 on error, -2 if the input ran out. */
static long
decode(const uint8_t *p, size_t n, size_t step, uint8_t *out, size_t *outn)
{
	struct http_chunked st;
	size_t off = 0;

	http_chunked_init(&st);
	*outn = 0;
	while (off < n && !st.done) {
		size_t len = n - off < step ? n - off : step;
		struct slice d;
		int k = http_chunked_decode(&st, p + off, len, &d);

		if (k == PARSE_ERR)
			return -1;
		if (k <= 0 || (size_t)k > len || d.n > (size_t)k ||
		    (d.n > 0 && (d.p < p + off || d.p + d.n > p + off + k)))
			abort();
		memcpy(out + *outn, d.p, d.n);
		*outn += d.n;
		off += (size_t)k;
	}
	return st.done ? (long)off : -2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	uint8_t *a, *b;
	size_t an, bn;
	long ka, kb;

	if (n == 0)
		return 0;
	a = malloc(n);
	b = malloc(n);
	if (a == NULL || b == NULL)
		abort();
	ka = decode(p + 1, n - 1, (size_t)p[0] % 16 + 1, a, &an);
	kb = decode(p + 1, n - 1, n, b, &bn);
	/* The decoder sees every byte once whatever the split, so errors,
	 * the end and the data must all be the same. */
	if (ka != kb || (ka >= 0 && (an != bn || memcmp(a, b, an) != 0)))
		abort();
	free(a);
	free(b);
	return 0;
}
