/* test_core_line.c - line_next / line_skip: LF and CRLF, partial lines, the
 * too-long cases of line.h, every split point, and a guard page; the same for
 * line_next_crlf, with its bare-LF error. */
#include <stdlib.h>
#include <string.h>

#include "core/line.h"
#include "test.h"

static void
fill(struct buf *b, const char *s)
{
	buf_init(b, 1 << 16);
	if (buf_append_str(b, s) != 0)
		abort();
}

TEST(core_line_lf_crlf)
{
	struct buf b;
	struct slice l;

	fill(&b, "abc\n");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "abc"), "LF line");
	ok(b.len == 0, "LF consumed");
	ok(line_next(&b, 100, &l) == 0, "then nothing");
	buf_free(&b);

	fill(&b, "abc\r\n");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "abc"), "CRLF line");
	ok(b.len == 0, "CRLF consumed");
	buf_free(&b);

	fill(&b, "\n\r\n");
	ok(line_next(&b, 100, &l) == 1 && l.n == 0, "empty LF line");
	ok(line_next(&b, 100, &l) == 1 && l.n == 0, "empty CRLF line");
	ok(line_next(&b, 100, &l) == 0, "end");
	buf_free(&b);

	fill(&b, "a\rb\n\r\r\n");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "a\rb"), "inner CR kept");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "\r"),
	    "only the last CR before LF is dropped");
	buf_free(&b);
}

TEST(core_line_several)
{
	struct buf b;
	struct slice l;

	fill(&b, "one\ntwo\r\nthree\nfour");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "one"), "one");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "two"), "two");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "three"), "three");
	ok(line_next(&b, 100, &l) == 0, "partial 'four' -> 0");
	ok(b.len == 4 && memcmp(buf_data(&b), "four", 4) == 0,
	    "partial line left in the buffer");
	ok(buf_append_str(&b, "\r") == 0, "append CR");
	ok(line_next(&b, 100, &l) == 0, "'four\\r' still partial");
	ok(buf_append_str(&b, "\n") == 0, "append LF");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "four"), "four");
	buf_free(&b);
}

TEST(core_line_at_max)
{
	struct buf b;
	struct slice l;

	fill(&b, "abcd\n");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "abcd"), "max bytes + LF");
	buf_free(&b);
	fill(&b, "abcd\r\n");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "abcd"), "max bytes + CRLF");
	buf_free(&b);
	/* max+1 bytes may still be a max-byte line plus the CR of a CRLF. */
	fill(&b, "abcd\r");
	ok(line_next(&b, 4, &l) == 0, "max bytes + CR: wait");
	ok(b.len == 5, "left alone");
	buf_free(&b);
	fill(&b, "abcde");
	ok(line_next(&b, 4, &l) == 0, "max+1 bytes without LF: wait");
	buf_free(&b);
}

TEST(core_line_too_long_lf_arrived)
{
	struct buf b;
	struct slice l;

	/* LF right after max+1 bytes. */
	fill(&b, "abcde\nok\n");
	ok(line_next(&b, 4, &l) == -1, "max+1 bytes + LF -> -1");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "ok"),
	    "the long line was dropped, the next one comes");
	buf_free(&b);

	fill(&b, "abcde\r\nok\n");
	ok(line_next(&b, 4, &l) == -1, "max+1 bytes + CRLF -> -1");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "ok"), "next line");
	buf_free(&b);

	/* LF far beyond max: it has arrived, so line.h says the line is
	 * dropped and the next call returns the line after it. */
	fill(&b, "0123456789abcdefghij\nok\n");
	ok(line_next(&b, 4, &l) == -1, "long line with LF -> -1");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "ok"),
	    "long line whose LF arrived was dropped");
	ok(b.len == 0, "all consumed");
	buf_free(&b);

	/* A caller that loops until 0 must terminate. */
	fill(&b, "0123456789\n0123456789\nfine\n");
	int r, longs = 0, lines = 0, guard = 0;
	while ((r = line_next(&b, 4, &l)) != 0 && guard++ < 10) {
		if (r < 0)
			longs++;
		else
			lines++;
	}
	ok(guard < 10, "loop over line_next terminates");
	ok(longs == 2 && lines == 1, "2 long, 1 good (got %d, %d)", longs,
	    lines);
	buf_free(&b);
}

TEST(core_line_too_long_no_lf)
{
	struct buf b;
	struct slice l;

	fill(&b, "abcdefg");
	ok(line_next(&b, 4, &l) == -1, "over max+1 without LF -> -1");
	ok(b.len == 7, "buffer left as it is");
	ok(line_skip(&b) == 0, "skip: no LF yet");
	ok(b.len == 0, "skip dropped everything");
	/* the rest of the long line arrives, then a good one */
	ok(buf_append_str(&b, "hij\r\nok\r\n") == 0, "more");
	ok(line_skip(&b) == 1, "skip found the LF");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "ok"), "line after it");
	buf_free(&b);

	fill(&b, "x\ny\n");
	ok(line_skip(&b) == 1 && b.len == 2, "skip one line only");
	ok(line_next(&b, 4, &l) == 1 && slice_eq(l, "y"), "then y");
	ok(line_skip(&b) == 0 && b.len == 0, "skip on empty");
	buf_free(&b);
}

typedef int next_fn(struct buf *, size_t, struct slice *);

/* Feeds `in` in the pieces cut at the given points and collects the lines
 * (as "line|", "!|" for one too long, "~|" for a bare LF) into out. It
 * handles -1 the way line.h tells a caller to: when the splitter left the
 * buffer as it was (the LF has not arrived), skip to the LF, across later
 * pieces if need be. */
static void
feed_with(next_fn *next, const char *in, size_t n, const size_t *cuts,
    int ncuts, size_t max, char *out, size_t outlen)
{
	struct buf b;
	struct slice l;
	size_t pos = 0, o = 0;
	int r, skipping = 0;

	buf_init(&b, 1 << 16);
	out[0] = '\0';
	for (int c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		if (buf_append(&b, in + pos, end - pos) != 0)
			abort();
		pos = end;
		if (skipping) {
			if (line_skip(&b) == 0)
				continue;
			skipping = 0;
		}
		for (;;) {
			size_t before = b.len;
			r = next(&b, max, &l);
			if (r == 0)
				break;
			if (r > 0) {
				o += (size_t)snprintf(out + o, outlen - o,
				    "%.*s|", (int)l.n, (const char *)l.p);
				continue;
			}
			if (r == LINE_BARE_LF) {
				o += (size_t)snprintf(out + o, outlen - o,
				    "~|");
				continue;
			}
			o += (size_t)snprintf(out + o, outlen - o, "!|");
			if (b.len == before && line_skip(&b) == 0) {
				skipping = 1;
				break;
			}
		}
	}
	buf_free(&b);
}

static void
feed(const char *in, size_t n, const size_t *cuts, int ncuts, size_t max,
    char *out, size_t outlen)
{
	feed_with(line_next, in, n, cuts, ncuts, max, out, outlen);
}

TEST(core_line_every_split)
{
	static const char in[] = "HELO a\r\nMAIL FROM:<x>\n\r\nQUIT\r\n";
	size_t n = sizeof(in) - 1;
	char whole[512], part[512];
	int bad = 0;

	feed(in, n, NULL, 0, 64, whole, sizeof(whole));
	ok(strcmp(whole, "HELO a|MAIL FROM:<x>||QUIT|") == 0, "whole: %s",
	    whole);
	for (size_t i = 0; i <= n; i++) {
		size_t cut[1] = { i };
		feed(in, n, cut, 1, 64, part, sizeof(part));
		if (strcmp(part, whole) != 0 && bad++ < 3)
			ok(0, "split at %zu: %s", i, part);
	}
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i; j <= n; j++) {
			size_t cut[2] = { i, j };
			feed(in, n, cut, 2, 64, part, sizeof(part));
			if (strcmp(part, whole) != 0 && bad++ < 3)
				ok(0, "split at %zu,%zu: %s", i, j, part);
		}
	ok(bad == 0, "every 1- and 2-way split gives the same lines");

	/* byte at a time */
	size_t cuts[sizeof(in)];
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	feed(in, n, cuts, (int)n - 1, 64, part, sizeof(part));
	ok(strcmp(part, whole) == 0, "byte at a time: %s", part);
}

TEST(core_line_every_split_too_long)
{
	/* A too-long line between good ones, with max 4. */
	static const char in[] = "ab\r\n0123456789\r\ncd\n";
	size_t n = sizeof(in) - 1;
	char part[256];
	int bad = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t cut[1] = { i };
		feed(in, n, cut, 1, 4, part, sizeof(part));
		if (strcmp(part, "ab|!|cd|") != 0 && bad++ < 3)
			ok(0, "split at %zu: %s", i, part);
	}
	size_t cuts[sizeof(in)];
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	feed(in, n, cuts, (int)n - 1, 4, part, sizeof(part));
	if (strcmp(part, "ab|!|cd|") != 0)
		bad++;
	ok(bad == 0, "long line handled the same at every split (%s)", part);
}

TEST(core_line_guard_page)
{
	static const char *cases[] = { "abc", "abc\r", "abc\n", "a\r\nb",
		"0123456789012345", "" };
	struct slice l;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		for (size_t max = 0; max < 20; max++) {
			const uint8_t *g = test_guard(cases[i], n);
			struct buf b = { (uint8_t *)g, 0, n, n, n };
			int guard = 0;
			for (;;) {
				size_t before = b.len;
				int r = line_next(&b, max, &l);
				if (r == 0 || guard++ >= 20)
					break;
				if (r < 0 && b.len == before)
					(void)line_skip(&b);
			}
			ok(guard < 20, "terminates on '%s' max %zu", cases[i],
			    max);
			g = test_guard(cases[i], n);
			struct buf b2 = { (uint8_t *)g, 0, n, n, n };
			while (line_skip(&b2) == 1)
				;
		}
	}
}

TEST(core_line_crlf_basic)
{
	struct buf b;
	struct slice l;

	fill(&b, "abc\r\n\r\n");
	ok(line_next_crlf(&b, 100, &l) == 1 && slice_eq(l, "abc"), "CRLF line");
	ok(line_next_crlf(&b, 100, &l) == 1 && l.n == 0, "empty CRLF line");
	ok(b.len == 0 && line_next_crlf(&b, 100, &l) == 0, "then nothing");
	buf_free(&b);

	fill(&b, "abc\nnext\r\n");
	ok(line_next_crlf(&b, 100, &l) == LINE_BARE_LF, "bare LF -> error");
	ok(b.len == 6, "the bad line and its LF dropped");
	ok(line_next_crlf(&b, 100, &l) == 1 && slice_eq(l, "next"),
	    "the line after it comes next");
	buf_free(&b);

	fill(&b, "\n\r\n");
	ok(line_next_crlf(&b, 100, &l) == LINE_BARE_LF, "empty bare LF line");
	ok(line_next_crlf(&b, 100, &l) == 1 && l.n == 0, "then an empty line");
	buf_free(&b);

	fill(&b, "a\rb\r\n\r\r\n");
	ok(line_next_crlf(&b, 100, &l) == 1 && slice_eq(l, "a\rb"),
	    "inner CR is a byte of the line");
	ok(line_next_crlf(&b, 100, &l) == 1 && slice_eq(l, "\r"),
	    "only the CR of CRLF is taken off");
	buf_free(&b);

	fill(&b, "abc\r");
	ok(line_next_crlf(&b, 100, &l) == 0 && b.len == 4,
	    "CR at the end: wait");
	ok(buf_append_str(&b, "\n") == 0, "LF");
	ok(line_next_crlf(&b, 100, &l) == 1 && slice_eq(l, "abc"),
	    "CR and LF in two reads");
	buf_free(&b);

	/* The lenient splitter still takes it (echo and HTTP rely on it). */
	fill(&b, "abc\n");
	ok(line_next(&b, 100, &l) == 1 && slice_eq(l, "abc"),
	    "line_next: LF ok");
	buf_free(&b);
}

TEST(core_line_crlf_limits)
{
	struct buf b;
	struct slice l;

	fill(&b, "abcd\r\n");
	ok(line_next_crlf(&b, 4, &l) == 1 && slice_eq(l, "abcd"),
	    "max bytes + CRLF");
	buf_free(&b);
	fill(&b, "abcd\nok\r\n");
	ok(line_next_crlf(&b, 4, &l) == LINE_BARE_LF, "max bytes + bare LF");
	ok(line_next_crlf(&b, 4, &l) == 1 && slice_eq(l, "ok"), "next");
	buf_free(&b);
	fill(&b, "abcde\nok\r\n");
	ok(line_next_crlf(&b, 4, &l) == LINE_TOO_LONG,
	    "max+1 bytes + bare LF: too long wins");
	ok(line_next_crlf(&b, 4, &l) == 1 && slice_eq(l, "ok"), "next");
	buf_free(&b);
	fill(&b, "abcde\r\nok\r\n");
	ok(line_next_crlf(&b, 4, &l) == LINE_TOO_LONG, "max+1 + CRLF");
	ok(line_next_crlf(&b, 4, &l) == 1 && slice_eq(l, "ok"), "next");
	buf_free(&b);
	fill(&b, "0123456789\nok\r\n");
	ok(line_next_crlf(&b, 4, &l) == LINE_TOO_LONG, "far LF, bare");
	ok(line_next_crlf(&b, 4, &l) == 1 && slice_eq(l, "ok"), "next");
	buf_free(&b);
	fill(&b, "abcdefg");
	ok(line_next_crlf(&b, 4, &l) == LINE_TOO_LONG && b.len == 7,
	    "no LF yet: left as it is");
	ok(line_skip(&b) == 0 && b.len == 0, "skip");
	buf_free(&b);
}

TEST(core_line_crlf_every_split)
{
	/* SMTP commands with bare LFs among them, and a too-long one. */
	static const char in[] = "HELO a\r\nMAIL FROM:<x>\n\r\nDATA\r\n"
	    "x\ny\r\n01234567890123456789\nQUIT\r\n";
	static const char want[] = "HELO a|~||DATA|~|y|!|QUIT|";
	size_t n = sizeof(in) - 1;
	char part[512];
	int bad = 0;

	feed_with(line_next_crlf, in, n, NULL, 0, 16, part, sizeof(part));
	ok(strcmp(part, want) == 0, "whole: %s", part);
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i; j <= n; j++) {
			size_t cut[2] = { i, j };
			feed_with(line_next_crlf, in, n, cut, 2, 16, part,
			    sizeof(part));
			if (strcmp(part, want) != 0 && bad++ < 3)
				ok(0, "split at %zu,%zu: %s", i, j, part);
		}
	size_t cuts[sizeof(in)];
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	feed_with(line_next_crlf, in, n, cuts, (int)n - 1, 16, part,
	    sizeof(part));
	if (strcmp(part, want) != 0 && bad++ < 3)
		ok(0, "byte at a time: %s", part);
	ok(bad == 0, "every 1-, 2-way and byte split gives the same lines");
}

TEST(core_line_crlf_guard_page)
{
	static const char *cases[] = { "abc", "abc\r", "abc\n", "a\r\nb",
		"\n", "\r", "a\nb\r\n", "0123456789012345", "" };
	struct slice l;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		for (size_t max = 0; max < 20; max++) {
			const uint8_t *g = test_guard(cases[i], n);
			struct buf b = { (uint8_t *)g, 0, n, n, n };
			int guard = 0;
			for (;;) {
				size_t before = b.len;
				int r = line_next_crlf(&b, max, &l);
				if (r == 0 || guard++ >= 20)
					break;
				if (r == 1 && (l.p < g || l.p + l.n > g + n))
					ok(0, "slice outside the input");
				if (r == LINE_TOO_LONG && b.len == before)
					(void)line_skip(&b);
			}
			ok(guard < 20, "terminates on case %zu max %zu", i,
			    max);
		}
	}
}
