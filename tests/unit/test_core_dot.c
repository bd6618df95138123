/* test_core_dot.c - the dot-stuffed body codec: what ends DATA and what does
 * not (the 2023 smuggling sequences), unstuffing, bare LF/CR counts and
 * normalising, the size limit, every split point, a guard page, tight output
 * bounds, and the round trip decode(encode(x)) over every short body. */
#include <stdlib.h>
#include <string.h>

#include "core/dot.h"
#include "test.h"

#define BIG 4096

struct dec_case {
	const char *in;
	unsigned opts;
	const char *out;	/* the body decoded */
	int done;
	size_t used;		/* consumed: the rest is the next command */
	unsigned bare_lf, bare_cr;
};

static const struct dec_case dec_cases[] = {
	{ ".\r\n", 0, "", 1, 3, 0, 0 },
	{ "a\r\n.\r\n", 0, "a\r\n", 1, 6, 0, 0 },
	{ "a\r\n.\r\nQUIT\r\n", 0, "a\r\n", 1, 6, 0, 0 },
	{ "..a\r\n.\r\n", 0, ".a\r\n", 1, 8, 0, 0 },
	{ ".a\r\n.\r\n", 0, "a\r\n", 1, 7, 0, 0 },
	{ "a\r\n..\r\n.\r\n", 0, "a\r\n.\r\n", 1, 10, 0, 0 },
	{ "a\r\n...\r\n.\r\n", 0, "a\r\n..\r\n", 1, 11, 0, 0 },
	{ "\r\n\r\n.\r\n", 0, "\r\n\r\n", 1, 7, 0, 0 },
	{ "a.b\r\n .\r\n.\r\n", 0, "a.b\r\n .\r\n", 1, 12, 0, 0 },
	/* SMTP smuggling: none of these ends DATA. */
	{ "a\n.\nMAIL", 0, "a\n.\nMAIL", 0, 8, 2, 0 },
	{ "a\r\n.\nMAIL", 0, "a\r\n\nMAIL", 0, 9, 1, 0 },
	{ "a\n.\r\nMAIL", 0, "a\n.\r\nMAIL", 0, 9, 1, 0 },
	{ "a\r.\nMAIL", 0, "a\r.\nMAIL", 0, 8, 1, 1 },
	{ "a\r.\r\nMAIL", 0, "a\r.\r\nMAIL", 0, 9, 0, 1 },
	{ "a\r\n.\r.\r\nMAIL", 0, "a\r\n\r.\r\nMAIL", 0, 12, 0, 1 },
	{ "a\r\n.\r\r\nx", 0, "a\r\n\r\r\nx", 0, 8, 0, 1 },
	{ "\n.\n", 0, "\n.\n", 0, 3, 2, 0 },
	{ "a\n.\r\n.\r\n", 0, "a\n.\r\n", 1, 8, 1, 0 },
	{ "a\n.\nb\r\n.\r\nQUIT", 0, "a\n.\nb\r\n", 1, 10, 2, 0 },
	/* Normalised: the bytes change, where DATA ends does not. */
	{ "a\nb\rc\r\n.\r\n", DOT_DEC_NORMALISE, "a\r\nb\r\nc\r\n", 1, 10,
	    1, 1 },
	{ "a\n.\r\n.\r\n", DOT_DEC_NORMALISE, "a\r\n.\r\n", 1, 8, 1, 0 },
	{ "a\r\r\n.\r\n", DOT_DEC_NORMALISE, "a\r\n\r\n", 1, 7, 0, 1 },
	{ "a\r\n.\nb", DOT_DEC_NORMALISE, "a\r\n\r\nb", 0, 6, 1, 0 },
	{ "a\r\n.\rb", DOT_DEC_NORMALISE, "a\r\n\r\nb", 0, 6, 0, 1 },
	{ "", 0, "", 0, 0, 0, 0 },
	{ ".", 0, "", 0, 1, 0, 0 },
	{ ".\r", 0, "", 0, 2, 0, 0 },
};

/* Feeds p[0..n) to a decoder in the pieces cut at cuts[], into out (BIG
 * bytes). Returns the bytes consumed; -1 if a piece was left unconsumed
 * before the end (out is never full here). */
static long
dec_feed(struct dot_dec *d, const uint8_t *p, size_t n, const size_t *cuts,
    int ncuts, uint8_t *out, size_t *outn)
{
	size_t pos = 0;

	*outn = 0;
	for (int c = 0; c <= ncuts && !dot_dec_done(d); c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		size_t k = dot_decode(d, p + pos, end - pos, out, BIG, outn);

		pos += k;
		if (pos < end && !dot_dec_done(d))
			return -1;
	}
	return (long)pos;
}

/* Decodes one case with the given cuts; 1 if all of it is as expected. */
static int
dec_check(const struct dec_case *t, const size_t *cuts, int ncuts)
{
	static uint8_t out[BIG];
	struct dot_dec d;
	size_t n = strlen(t->in), on;
	const uint8_t *g = test_guard(t->in, n);
	long k;

	dot_dec_init(&d, 0, t->opts);
	k = dec_feed(&d, g, n, cuts, ncuts, out, &on);
	return k == (long)t->used && dot_dec_done(&d) == (t->done != 0) &&
	    on == strlen(t->out) && memcmp(out, t->out, on) == 0 &&
	    d.bare_lf == t->bare_lf && d.bare_cr == t->bare_cr &&
	    d.size == on && !d.too_large;
}

TEST(core_dot_decode_cases)
{
	for (size_t i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++)
		ok(dec_check(&dec_cases[i], NULL, 0), "case %zu whole", i);
}

TEST(core_dot_decode_every_split)
{
	size_t cuts[64];
	int bad = 0;

	for (size_t i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		const struct dec_case *t = &dec_cases[i];
		size_t n = strlen(t->in);

		for (size_t a = 0; a <= n; a++)
			for (size_t b = a; b <= n; b++) {
				cuts[0] = a;
				cuts[1] = b;
				if (!dec_check(t, cuts, 2) && bad++ < 5)
					ok(0, "case %zu split %zu,%zu", i, a,
					    b);
			}
		for (size_t j = 0; j < n; j++)
			cuts[j] = j + 1;
		if (!dec_check(t, cuts, (int)n - 1 > 0 ? (int)n - 1 : 0) &&
		    bad++ < 5)
			ok(0, "case %zu byte at a time", i);
	}
	ok(bad == 0, "every 1-, 2-way and byte split decodes the same");
}

TEST(core_dot_decode_prefix_never_ends)
{
	static uint8_t out[BIG];
	int bad = 0;

	for (size_t i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		const struct dec_case *t = &dec_cases[i];

		for (size_t k = 0; t->done && k < t->used; k++) {
			struct dot_dec d;
			size_t on = 0;
			const uint8_t *g = test_guard(t->in, k);

			dot_dec_init(&d, 0, t->opts);
			if (dot_decode(&d, g, k, out, BIG, &on) != k ||
			    dot_dec_done(&d))
				bad++;
		}
	}
	ok(bad == 0, "no proper prefix of a body reports the end");
}

/* A caller with a small output array: flush it whenever the decoder stops. */
TEST(core_dot_decode_small_output)
{
	static const char in[] = "hello\r\n..dots\r\nbare\nlf and\rcr\r\n"
	    "\r\n.\r\nQUIT\r\n";
	size_t n = sizeof(in) - 1;
	uint8_t whole[BIG], got[BIG];
	int bad = 0;

	for (unsigned opts = 0; opts <= DOT_DEC_NORMALISE; opts++) {
		struct dot_dec d;
		size_t wn = 0, used;

		dot_dec_init(&d, 0, opts);
		used = dot_decode(&d, (const uint8_t *)in, n, whole, BIG, &wn);
		ok(dot_dec_done(&d) && used == n - 6, "whole (opts %u)", opts);
		for (size_t cap = DOT_STEP_MAX; cap < 12; cap++) {
			uint8_t *small = malloc(cap); /* ASan: exact bound */
			size_t pos = 0, gn = 0, on;
			int calls = 0;

			dot_dec_init(&d, 0, opts);
			while (!dot_dec_done(&d) && pos < n && calls++ < 1000) {
				on = 0;
				pos += dot_decode(&d, (const uint8_t *)in + pos,
				    n - pos, small, cap, &on);
				if (on > cap)
					bad++;
				memcpy(got + gn, small, on);
				gn += on;
			}
			if (pos != used || gn != wn || memcmp(got, whole, wn))
				bad++;
			free(small);
		}
		/* Below DOT_STEP_MAX it may stall, never overflow. */
		for (size_t cap = 0; cap < DOT_STEP_MAX; cap++) {
			uint8_t buf[DOT_STEP_MAX + 4];
			size_t on = 0;

			memset(buf, 'Z', sizeof(buf));
			dot_dec_init(&d, 0, opts);
			if (dot_decode(&d, (const uint8_t *)in, n, buf, cap,
			    &on) > n)
				bad++;
			for (size_t j = cap; j < sizeof(buf); j++)
				if (buf[j] != 'Z')
					bad++;
			if (on > cap)
				bad++;
		}
	}
	ok(bad == 0, "small outputs: the same body, never past the bound");
}

TEST(core_dot_decode_size_limit)
{
	static const char in[] = "hello world\r\nmore\r\n.\r\nQUIT\r\n";
	size_t n = sizeof(in) - 1;
	uint8_t out[BIG];
	struct dot_dec d;
	size_t on = 0, used;

	dot_dec_init(&d, 5, 0);
	used = dot_decode(&d, (const uint8_t *)in, n, out, BIG, &on);
	ok(dot_dec_done(&d) && used == n - 6, "scanned to the end");
	ok(d.too_large, "too large reported");
	ok(on <= 5, "nothing past the limit written (%zu)", on);
	ok(d.size == 19, "size counted to the end (%llu)",
	    (unsigned long long)d.size);

	/* Byte at a time, the same. */
	dot_dec_init(&d, 5, 0);
	on = 0;
	used = 0;
	for (size_t i = 0; i < n && !dot_dec_done(&d); i++)
		used += dot_decode(&d, (const uint8_t *)in + i, 1, out, BIG,
		    &on);
	ok(dot_dec_done(&d) && used == n - 6 && d.too_large && on <= 5 &&
	    d.size == 19, "byte at a time: the same");

	/* Exactly at the limit is not too large; one byte more is. */
	dot_dec_init(&d, 5, 0);
	on = 0;
	used = dot_decode(&d, (const uint8_t *)"abc\r\n.\r\n", 8, out, BIG,
	    &on);
	ok(used == 8 && dot_dec_done(&d) && !d.too_large && on == 5,
	    "5 bytes, limit 5");
	dot_dec_init(&d, 4, 0);
	on = 0;
	used = dot_decode(&d, (const uint8_t *)"abc\r\n.\r\n", 8, out, BIG,
	    &on);
	ok(used == 8 && dot_dec_done(&d) && d.too_large, "5 bytes, limit 4");

	/* Past the limit the output may be full: it still scans. */
	dot_dec_init(&d, 2, 0);
	on = 0;
	used = dot_decode(&d, (const uint8_t *)in, n, out, 2, &on);
	ok(dot_dec_done(&d) && used == n - 6 && on == 2 &&
	    memcmp(out, "he", 2) == 0, "no room needed once too large");
}

TEST(core_dot_decode_after_end)
{
	uint8_t out[16];
	struct dot_dec d;
	size_t on = 0;

	dot_dec_init(&d, 0, 0);
	ok(dot_decode(&d, (const uint8_t *)".\r\n.\r\n", 6, out, 16, &on) == 3,
	    "stops at the first end");
	ok(dot_decode(&d, (const uint8_t *)"x", 1, out, 16, &on) == 0 &&
	    on == 0, "consumes nothing after it");
}

struct enc_case {
	const char *in;
	unsigned opts;
	const char *out;
};

static const struct enc_case enc_cases[] = {
	{ "", 0, ".\r\n" },
	{ "a\r\n", 0, "a\r\n.\r\n" },
	{ "a", 0, "a\r\n.\r\n" },
	{ ".x\r\n", 0, "..x\r\n.\r\n" },
	{ "a\r\n.\r\nb\r\n", 0, "a\r\n..\r\nb\r\n.\r\n" },
	{ "a\n.\n", 0, "a\r\n..\r\n.\r\n" },
	{ "a\rb", 0, "a\r\nb\r\n.\r\n" },
	{ "a\r", 0, "a\r\n.\r\n" },
	{ "a\r.", 0, "a\r\n..\r\n.\r\n" },
	{ "a\r\r\n", 0, "a\r\n\r\n.\r\n" },
	{ "a\n.\n", DOT_ENC_RAW, "a\n.\n\r\n.\r\n" },
	{ "a\r", DOT_ENC_RAW, "a\r\r\n.\r\n" },
	{ "a\r\n.", DOT_ENC_RAW, "a\r\n..\r\n.\r\n" },
	{ ".", DOT_ENC_RAW, "..\r\n.\r\n" },
};

static size_t
enc_all(const uint8_t *p, size_t n, unsigned opts, size_t step, uint8_t *out,
    size_t cap)
{
	struct dot_enc e;
	size_t pos = 0, on = 0;

	dot_enc_init(&e, opts);
	while (pos < n) {
		size_t len = n - pos < step ? n - pos : step;
		size_t k = dot_encode(&e, p + pos, len, out, cap, &on);

		if (k == 0)
			return (size_t)-1;
		pos += k;
	}
	if (dot_encode_end(&e, out, cap, &on) != 0)
		return (size_t)-1;
	return on;
}

TEST(core_dot_encode_cases)
{
	uint8_t out[BIG];

	for (size_t i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		const struct enc_case *t = &enc_cases[i];
		size_t n = strlen(t->in);

		for (size_t step = 1; step <= n + 1; step++) {
			size_t on = enc_all(test_guard(t->in, n), n, t->opts,
			    step, out, BIG);
			ok(on == strlen(t->out) && memcmp(out, t->out, on) == 0,
			    "encode case %zu in pieces of %zu", i, step);
		}
	}

	/* The end needs its room; with less nothing is written. */
	struct dot_enc e;
	size_t on = 0;
	uint8_t small[DOT_END_MAX];
	dot_enc_init(&e, 0);
	ok(dot_encode(&e, (const uint8_t *)"abc", 3, small, 3, &on) == 3 &&
	    on == 3, "fills exactly");
	ok(dot_encode_end(&e, small, DOT_END_MAX, &on) == -1 && on == 3,
	    "no room for the end: -1, nothing written");
	on = 0;
	ok(dot_encode_end(&e, small, DOT_END_MAX, &on) == 0 && on == 5 &&
	    memcmp(small, "\r\n.\r\n", 5) == 0, "then the end");
	ok(dot_encode_end(&e, small, DOT_END_MAX, &on) == -1,
	    "only one end");
}

/* norm(x): each bare CR and bare LF as CRLF. */
static size_t
norm(const uint8_t *x, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (x[i] == '\r' && i + 1 < n && x[i + 1] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			i++;
		} else if (x[i] == '\r' || x[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = x[i];
		}
	}
	return o;
}

/* decode(encode(x)) for every body of up to 7 bytes over ". \r \n a". */
TEST(core_dot_round_trip)
{
	static const uint8_t alpha[] = { '.', '\r', '\n', 'a' };
	uint8_t x[8], enc[BIG], dec[BIG], want[BIG];
	int bad = 0;
	unsigned long bodies = 0;

	for (size_t len = 0; len <= 7; len++) {
		unsigned long total = 1UL << (2 * len);

		for (unsigned long v = 0; v < total; v++) {
			for (size_t i = 0; i < len; i++)
				x[i] = alpha[(v >> (2 * i)) & 3];
			for (unsigned opts = 0; opts <= DOT_ENC_RAW; opts++) {
				struct dot_dec d;
				size_t en, dn = 0, wn, k;

				en = enc_all(x, len, opts, len + 1, enc, BIG);
				if (en == (size_t)-1) {
					bad++;
					continue;
				}
				if (opts & DOT_ENC_RAW) {
					memcpy(want, x, len);
					wn = len;
				} else {
					wn = norm(x, len, want);
				}
				if (wn > 0 && (wn < 2 || want[wn - 2] != '\r' ||
				    want[wn - 1] != '\n')) {
					want[wn++] = '\r';
					want[wn++] = '\n';
				}
				dot_dec_init(&d, 0, 0);
				k = dot_decode(&d, enc, en, dec, BIG, &dn);
				if (k != en || !dot_dec_done(&d) || dn != wn ||
				    memcmp(dec, want, wn) != 0 ||
				    (!(opts & DOT_ENC_RAW) &&
				    (d.bare_lf || d.bare_cr))) {
					if (bad++ < 3)
						ok(0, "round trip len %zu v %lu"
						    " opts %u", len, v, opts);
				}
				bodies++;
			}
		}
	}
	ok(bad == 0, "decode(encode(x)) == x (+CRLF) for %lu bodies", bodies);
}

TEST(core_dot_guard_page)
{
	static const char *cases[] = { "", ".", ".\r", "a\r", "a\r\n.",
		"a\r\n.\r", "\n", "\r", "..", "x\r\n.\r\n" };
	uint8_t out[BIG];
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		for (unsigned opts = 0; opts <= 1; opts++) {
			struct dot_dec d;
			struct dot_enc e;
			size_t on = 0;

			dot_dec_init(&d, 0, opts);
			if (dot_decode(&d, test_guard(cases[i], n), n, out, BIG,
			    &on) > n)
				bad++;
			on = 0;
			dot_enc_init(&e, opts);
			if (dot_encode(&e, test_guard(cases[i], n), n, out, BIG,
			    &on) != n)
				bad++;
		}
	}
	ok(bad == 0, "decoder and encoder read no byte past the input");
}
