/* Tests for the chunked body decoder: whole, byte by byte, split at every
 * point, and every error shape. Each piece is fed through test_guard. */
#include <stdlib.h>
#include <string.h>

#include "http/http_chunked.h"
#include "http/http_parse.h"
#include "test.h"

/* Feeds s in pieces of at most step bytes (step 0: split once at split).
 * Collects the data into out. Returns the bytes consumed when done, -1 on
 * PARSE_ERR, -2 if the input ran out first. */
static long
feed(const char *s, size_t n, size_t step, size_t split, char *out,
    size_t *outn)
{
	struct http_chunked st;
	size_t off = 0;

	http_chunked_init(&st);
	*outn = 0;
	while (off < n && !st.done) {
		size_t len = step ? step : (off < split ? split - off : n - off);
		size_t piece_off = 0;
		const uint8_t *p;

		if (len > n - off)
			len = n - off;
		p = test_guard(s + off, len);
		/* The caller's loop, as the header documents it. */
		while (piece_off < len && !st.done) {
			struct slice d;
			int k = http_chunked_decode(&st, p + piece_off,
			    len - piece_off, &d);
			if (k == PARSE_ERR)
				return -1;
			if (k <= 0 || (size_t)k > len - piece_off)
				return -3;
			if (d.n > 0) {
				if (d.p < p + piece_off ||
				    d.p + d.n > p + piece_off + (size_t)k)
					return -4;
				memcpy(out + *outn, d.p, d.n);
				*outn += d.n;
			}
			piece_off += (size_t)k;
		}
		off += piece_off;
	}
	return st.done ? (long)off : -2;
}

static long
feed_all(const char *s, char *out, size_t *outn)
{
	return feed(s, strlen(s), 0, strlen(s), out, outn);
}

TEST(http_chunked_basic)
{
	const char *s = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nNEXT";
	char out[64];
	size_t outn;
	long k = feed_all(s, out, &outn);

	ok(k == (long)strlen(s) - 4, "stops right before the next message");
	ok(outn == 11 && memcmp(out, "hello world", 11) == 0, "data");
}

TEST(http_chunked_api)
{
	struct http_chunked st;
	struct slice d;
	const uint8_t *p;

	http_chunked_init(&st);
	p = test_guard("3\r\nabc\r\n0\r\n\r\n", 13);
	ok(http_chunked_decode(&st, p, 0, &d) == PARSE_AGAIN, "n == 0");
	ok(http_chunked_decode(&st, p, 13, &d) == 6, "framing + data");
	ok(d.p == p + 3 && d.n == 3, "data slice points into input");
	ok(st.remaining == 0 && !st.done, "chunk over");
	ok(http_chunked_decode(&st, p + 6, 7, &d) == 7 && d.n == 0, "rest");
	ok(st.done, "done");
	ok(http_chunked_decode(&st, p, 13, &d) == 0, "0 once done");

	/* Zeroed is as good as init. */
	memset(&st, 0, sizeof(st));
	p = test_guard("0\r\n\r\n", 5);
	ok(http_chunked_decode(&st, p, 5, &d) == 5 && st.done, "zeroed");

	/* Large size: the decoder only says how much remains. */
	http_chunked_init(&st);
	p = test_guard("ffffffffffffffff\r\nab", 20);
	ok(http_chunked_decode(&st, p, 20, &d) == 20 && d.n == 2,
	    "16 hex digits");
	ok(st.remaining == UINT64_MAX - 2, "remaining counts down");
}

TEST(http_chunked_split_every_point)
{
	const char *s = "4\r\nWiki\r\n5;a=b;c=\"d;e\"\r\npedia\r\n"
	    "E\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX-A:\r\n\r\n"
	    "GET /";
	const char *want = "Wikipedia in\r\n\r\nchunks.";
	size_t n = strlen(s), end = n - 5;
	char out[128];
	size_t outn;
	int bad = 0;

	for (size_t split = 0; split <= n; split++) {
		long k = feed(s, n, 0, split, out, &outn);
		if (k != (long)end || outn != strlen(want) ||
		    memcmp(out, want, outn) != 0) {
			bad++;
			ok(0, "split at %zu: %ld", split, k);
		}
	}
	ok(bad == 0, "all %zu split points", n + 1);
	for (size_t step = 1; step <= 7; step++) {
		long k = feed(s, n, step, 0, out, &outn);
		ok(k == (long)end && outn == strlen(want) &&
		    memcmp(out, want, outn) == 0, "pieces of %zu bytes", step);
	}
}

TEST(http_chunked_lf_only)
{
	char out[64];
	size_t outn;

	const char *a = "5\nhello\n0\n\n";
	const char *b = "5\r\nhello\n0\nA: b\n\r\n";

	ok(feed_all(a, out, &outn) == (long)strlen(a) && outn == 5,
	    "LF-only lines");
	ok(feed_all(b, out, &outn) == (long)strlen(b), "mixed");
}

TEST(http_chunked_trailers)
{
	char out[64];
	size_t outn;

	const char *t = "1\r\na\r\n0\r\nA: b\r\nC-D: e f\r\n\r\n";

	ok(feed_all(t, out, &outn) == (long)strlen(t) && outn == 1,
	    "trailers skipped");
	ok(feed_all("0\r\nA:\r\n\r\n", out, &outn) == 9, "empty trailer value");
	ok(feed_all("0;x\r\n\r\n", out, &outn) == 7, "ext on last chunk");
	ok(feed_all("000\r\n\r\n", out, &outn) == 7, "zeros");
	ok(feed_all("0\r\nX: caf\xc3\xa9\r\n\r\n", out, &outn) > 0, "obs-text");
}

TEST(http_chunked_extensions)
{
	char out[64];
	size_t outn;

	ok(feed_all("1;a\r\nx\r\n0\r\n\r\n", out, &outn) > 0, "bare name");
	ok(feed_all("1 ;a=1\r\nx\r\n0\r\n\r\n", out, &outn) > 0, "BWS");
	ok(feed_all("1\t; a = \"q\\\"\"\r\nx\r\n0\r\n\r\n", out, &outn) > 0,
	    "quoted");
	ok(feed_all("1A\r\n0123456789abcdef0123456789\r\n0\r\n\r\n", out,
	    &outn) > 0 && outn == 26, "hex upper");
	ok(feed_all("1a\r\n0123456789abcdef0123456789\r\n0\r\n\r\n", out,
	    &outn) > 0 && outn == 26, "hex lower");
}

TEST(http_chunked_errors)
{
	const char *bad[] = {
		"x\r\n",			/* not hex */
		"\r\n",				/* no size */
		";a\r\n",
		"-5\r\n",
		"+5\r\n",
		"0x5\r\n",
		" 5\r\n",			/* leading space */
		"5 \r\nhello\r\n",		/* BWS without ';' */
		"5 x\r\n",
		"5\r\r\n",			/* bare CR */
		"5\rhello",
		"5\r\nhelloX\r\n",		/* data not followed by CRLF */
		"5\r\nhello\rX",
		"5\r\nhello\r\r\n",
		"5\r\nhello0\r\n\r\n",		/* size too small */
		"3\r\nhello\r\n",
		"10000000000000000\r\n",	/* 2^64: overflow */
		"fffffffffffffffff\r\n",
		"1;a\x01\r\n",			/* CTL in extension */
		"1;a\x7f\r\n",
		"1;a\rb\r\n",
		"0\r\n a: b\r\n\r\n",		/* obs-fold in trailers */
		"0\r\n\ta\r\n\r\n",
		"0\r\nabc\r\n\r\n",		/* no colon */
		"0\r\n: b\r\n\r\n",		/* empty name */
		"0\r\na b: c\r\n\r\n",
		"0\r\na: b\x01\r\n\r\n",
		"0\r\na: b\rc\r\n\r\n",
		"0\r\n\rx",
		"0\r\nA: b\r\r\n",
	};
	char out[64];
	size_t outn;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(feed_all(bad[i], out, &outn) == -1, "chunked %zu refused", i);
	{
		static const char nul[] = "1;\0\r\nx\r\n0\r\n\r\n";
		ok(feed(nul, sizeof(nul) - 1, 0, sizeof(nul), out, &outn) == -1,
		    "NUL in extension");
	}
	{
		static const char nul[] = "1\r\nx\r\n0\r\nA: \0\r\n\r\n";
		ok(feed(nul, sizeof(nul) - 1, 0, sizeof(nul), out, &outn) == -1,
		    "NUL in trailer");
	}
}

TEST(http_chunked_bounds)
{
	size_t n = HTTP_CHUNK_LINE_MAX + HTTP_CHUNK_TRAILER_MAX + 100;
	char *s = malloc(n), *out = malloc(n);
	size_t outn, k;

	if (s == NULL || out == NULL)
		abort();
	/* An extension that fits, then one that does not. */
	memcpy(s, "1;", 2);
	memset(s + 2, 'e', HTTP_CHUNK_LINE_MAX - 4);
	memcpy(s + HTTP_CHUNK_LINE_MAX - 2, "\r\nx\r\n0\r\n\r\n", 11);
	ok(feed_all(s, out, &outn) > 0, "size line of exactly the limit");
	memcpy(s, "1;", 2);
	memset(s + 2, 'e', HTTP_CHUNK_LINE_MAX - 3);
	memcpy(s + HTTP_CHUNK_LINE_MAX - 1, "\r\nx\r\n0\r\n\r\n", 11);
	ok(feed_all(s, out, &outn) == -1, "size line over the limit");
	/* Leading zeros count too, so a size line cannot be endless. */
	memset(s, '0', HTTP_CHUNK_LINE_MAX + 10);
	memcpy(s + HTTP_CHUNK_LINE_MAX + 10, "1\r\n", 4);
	ok(feed_all(s, out, &outn) == -1, "endless zeros");

	/* Trailers: one byte over the bound. */
	memcpy(s, "0\r\nX: ", 6);
	memset(s + 6, 't', HTTP_CHUNK_TRAILER_MAX);
	memcpy(s + 6 + HTTP_CHUNK_TRAILER_MAX, "\r\n\r\n", 5);
	ok(feed_all(s, out, &outn) == -1, "trailers over the limit");
	memcpy(s, "0\r\nX: ", 6);
	memset(s + 6, 't', HTTP_CHUNK_TRAILER_MAX - 7);
	memcpy(s + HTTP_CHUNK_TRAILER_MAX - 1, "\r\n\r\n", 5);
	ok(feed_all(s, out, &outn) > 0, "trailers of exactly the limit");

	/* Many small chunks: the per-line bound must reset for each. */
	k = 0;
	for (int i = 0; i < 3000; i++) {
		memcpy(s + k, "1\r\nz\r\n", 6);
		k += 6;
	}
	memcpy(s + k, "0\r\n\r\n", 6);
	ok(feed_all(s, out, &outn) == (long)k + 5 && outn == 3000,
	    "3000 chunks");
	free(s);
	free(out);
}

TEST(http_chunked_incomplete)
{
	const char *s = "5\r\nhello\r\n0\r\n\r\n";
	size_t n = strlen(s);
	char out[64];
	size_t outn;
	int bad = 0;

	/* Every proper prefix is consumed entirely and is not done. */
	for (size_t k = 1; k < n; k++)
		if (feed(s, k, 0, k, out, &outn) != -2)
			bad++;
	ok(bad == 0, "prefixes wait for more");
}

/* http_chunked_body_decode: the input arrives in two pieces split at every
 * point, appended to one buffer the way conn appends to c->in; the body ends
 * up contiguous at the start and the next message right after it. */
TEST(http_chunked_body_in_place_split_every_point)
{
	const char *s = "4\r\nWiki\r\n5;a=b\r\npedia\r\n1\r\n \r\n"
	    "3\r\nin \r\n0\r\nX: y\r\n\r\nGET /";
	const char *want = "Wikipedia in ";
	size_t n = strlen(s), wl = strlen(want);
	int bad = 0;

	for (size_t split = 0; split <= n; split++) {
		struct http_chunked_body b;
		uint8_t buf[128];
		size_t len = split;
		int r;

		http_chunked_body_init(&b);
		memcpy(buf, s, split);
		r = http_chunked_body_decode(&b, buf, &len, 1000);
		if (r != 0 && !(r == 1 && split >= n - 5)) {
			bad++;
			continue;
		}
		if (r == 0) {
			/* what is left is the decoded body and a tail that is
			 * never longer than the input that followed it */
			if (len > split || b.len > len ||
			    memcmp(buf, want, b.len) != 0) {
				bad++;
				continue;
			}
		}
		/* the rest arrives, after the body's end or not */
		memcpy(buf + len, s + split, n - split);
		len += n - split;
		if (r == 0)
			r = http_chunked_body_decode(&b, buf, &len, 1000);
		if (r != 1 || b.len != wl || memcmp(buf, want, wl) != 0 ||
		    len != wl + 5 || memcmp(buf + wl, "GET /", 5) != 0) {
			bad++;
			ok(0, "split at %zu: r %d len %zu body %zu", split, r,
			    len, b.len);
		}
	}
	ok(bad == 0, "all %zu split points in place", n + 1);
}

TEST(http_chunked_body_byte_by_byte_and_limits)
{
	const char *s = "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n";
	struct http_chunked_body b;
	uint8_t buf[64];
	size_t len = 0, most = 0;
	int r = 0;

	http_chunked_body_init(&b);
	for (size_t i = 0; s[i] && r == 0; i++) {
		buf[len++] = (uint8_t)s[i];
		r = http_chunked_body_decode(&b, buf, &len, 100);
		if (len > most)
			most = len;
	}
	ok(r == 1 && b.len == 3 && memcmp(buf, "abc", 3) == 0 && len == 3,
	    "byte by byte: %d %zu %zu", r, b.len, len);
	ok(most <= 3 + 3, "framing dropped as it comes (held at most %zu)",
	    most);
	ok(http_chunked_body_decode(&b, buf, &len, 100) == 1,
	    "done stays done");

	http_chunked_body_init(&b);
	memcpy(buf, "5\r\nhello\r\n0\r\n\r\n", 15);
	len = 15;
	ok(http_chunked_body_decode(&b, buf, &len, 4) == HTTP_CHUNKED_TOO_BIG,
	    "past max");
	http_chunked_body_init(&b);
	memcpy(buf, "5\r\nhello\r\n0\r\n\r\n", 15);
	len = 15;
	ok(http_chunked_body_decode(&b, buf, &len, 5) == 1 && b.len == 5,
	    "exactly max");
	http_chunked_body_init(&b);
	memcpy(buf, "5\r\nhelloX", 9);
	len = 9;
	ok(http_chunked_body_decode(&b, buf, &len, 100) == PARSE_ERR,
	    "malformed");
	http_chunked_body_init(&b);
	len = 0;
	ok(http_chunked_body_decode(&b, buf, &len, 100) == 0 && len == 0,
	    "empty region: more needed");
}
