/* test_core_buf.c - struct buf: bounded growth, reserve/commit, consume,
 * compaction and printf, checked against what a caller sees. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "test.h"

static int
buf_is(const struct buf *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(buf_data(b), p, n) == 0);
}

TEST(core_buf_grow_to_max)
{
	struct buf b;
	uint8_t chunk[1000];

	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 4096);
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "init allocates nothing");
	for (int i = 0; i < 4; i++)
		ok(buf_append(&b, chunk, sizeof(chunk)) == 0, "append %d", i);
	ok(b.len == 4000, "len 4000, got %zu", b.len);
	ok(buf_append(&b, chunk, 96) == 0, "append up to exactly max");
	ok(b.len == 4096, "len is max");
	ok(b.cap <= 4096, "cap %zu never passes max", b.cap);
	ok(buf_append(&b, chunk, 1) == -1, "one byte past max refused");
	ok(buf_reserve(&b, 1) == NULL, "reserve past max refused");
	ok(b.len == 4096, "a refused append changes nothing");
	for (size_t i = 0; i < b.len; i++)
		if (buf_data(&b)[i] != 'x') {
			ok(0, "byte %zu changed", i);
			break;
		}
	/* Consuming makes room again, within the same bound. */
	buf_consume(&b, 100);
	ok(buf_append(&b, chunk, 100) == 0, "room again after consume");
	ok(buf_append(&b, chunk, 1) == -1, "and max still holds");
	buf_free(&b);
	ok(b.p == NULL && b.len == 0 && b.cap == 0, "free resets");
}

TEST(core_buf_refuse_huge)
{
	struct buf b;

	buf_init(&b, 1024);
	ok(buf_reserve(&b, 1025) == NULL, "reserve over max");
	ok(buf_reserve(&b, SIZE_MAX) == NULL, "reserve SIZE_MAX");
	ok(b.p == NULL, "nothing allocated for a refused reserve");
	ok(buf_append(&b, "a", 1) == 0, "small append");
	ok(buf_reserve(&b, SIZE_MAX) == NULL, "SIZE_MAX with data (no overflow)");
	ok(buf_reserve(&b, 1024) == NULL, "len + n > max");
	ok(buf_reserve(&b, 1023) != NULL, "len + n == max");
	buf_free(&b);

	buf_init(&b, 0);
	ok(buf_append(&b, "a", 1) == -1, "max 0 takes nothing");
	ok(buf_append(&b, "", 0) == 0, "but an empty append is fine");
	buf_free(&b);
}

TEST(core_buf_reserve_commit)
{
	struct buf b;
	uint8_t *p;

	buf_init(&b, 1 << 20);
	p = buf_reserve(&b, 10);
	ok(p != NULL, "reserve 10");
	ok(buf_space(&b) >= 10, "space %zu >= 10", buf_space(&b));
	ok(b.len == 0, "reserve does not change len");
	memcpy(p, "0123456789", 10);
	buf_commit(&b, 4);
	ok(buf_is(&b, "0123", 4), "commit 4 of 10");
	p = buf_reserve(&b, 3);
	ok(p == buf_data(&b) + 4, "free space follows the data");
	memcpy(p, "abc", 3);
	buf_commit(&b, 3);
	ok(buf_is(&b, "0123abc", 7), "second commit appends");

	/* A reserve that must grow keeps the data. */
	p = buf_reserve(&b, 5000);
	ok(p != NULL && b.cap >= 5007, "grown to %zu", b.cap);
	ok(buf_is(&b, "0123abc", 7), "data kept across growth");
	memset(p, 'z', 5000);
	buf_commit(&b, 5000);
	ok(b.len == 5007 && buf_data(&b)[5006] == 'z', "big commit");
	buf_free(&b);
}

TEST(core_buf_consume)
{
	struct buf b;

	buf_init(&b, 4096);
	ok(buf_append_str(&b, "hello world") == 0, "append");
	const uint8_t *before = buf_data(&b);
	buf_consume(&b, 6);
	ok(buf_is(&b, "world", 5), "consume 6");
	ok(buf_data(&b) == before + 6, "consume only moves off");
	buf_consume(&b, 0);
	ok(buf_is(&b, "world", 5), "consume 0");
	buf_consume(&b, 5);
	ok(b.len == 0 && b.off == 0, "consume all resets off");
	ok(buf_append_str(&b, "again") == 0, "append after consuming all");
	ok(buf_is(&b, "again", 5), "data after reuse");
	buf_consume(&b, 100);
	ok(b.len == 0 && b.off == 0, "consume more than len empties");
	ok(buf_append_str(&b, "xy") == 0 && buf_is(&b, "xy", 2), "and reuse");
	buf_reset(&b);
	ok(b.len == 0 && b.off == 0 && b.cap > 0, "reset keeps memory");
	buf_free(&b);
}

TEST(core_buf_compaction_keeps_data)
{
	struct buf b;
	uint8_t src[1000];
	uint8_t *p;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7);
	buf_init(&b, 1 << 20);
	ok(buf_append(&b, src, sizeof(src)) == 0, "append 1000");
	size_t cap = b.cap;
	buf_consume(&b, 600);
	ok(b.off == 600, "off 600");
	/* 400 bytes left; 500 more do not fit after off but fit in cap. */
	p = buf_reserve(&b, 500);
	ok(p != NULL, "reserve 500");
	ok(b.cap == cap, "compacted instead of growing (cap %zu -> %zu)", cap,
	    b.cap);
	ok(b.off == 0, "data moved to the front");
	ok(buf_is(&b, src + 600, 400), "data survived the move");
	ok(p == b.p + 400, "space right after the data");

	/* Growth with consumed bytes in front keeps the data too. */
	buf_consume(&b, 100);
	p = buf_reserve(&b, 5000);
	ok(p != NULL, "grow with off > 0");
	ok(buf_is(&b, src + 700, 300), "data survived growth");
	buf_free(&b);
}

TEST(core_buf_append_after_consume)
{
	struct buf b;
	char expect[64 * 1024];
	size_t elen = 0;
	unsigned seed = 42;

	/* A model check: random appends and consumes must always leave the
	 * buffer holding exactly the bytes a plain array says it holds. */
	buf_init(&b, sizeof(expect));
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		size_t k = (seed >> 16) % 700;
		if ((seed >> 8) & 1) {
			char tmp[700];
			for (size_t i = 0; i < k; i++)
				tmp[i] = (char)('a' + (step + i) % 26);
			int rc = buf_append(&b, tmp, k);
			if (elen + k > sizeof(expect)) {
				if (rc != -1) {
					ok(0, "step %d: append past max", step);
					break;
				}
				continue;
			}
			if (rc != 0) {
				ok(0, "step %d: append refused", step);
				break;
			}
			memcpy(expect + elen, tmp, k);
			elen += k;
		} else {
			if (k > elen)
				k = elen;
			buf_consume(&b, k);
			memmove(expect, expect + k, elen - k);
			elen -= k;
		}
		if (!buf_is(&b, expect, elen)) {
			ok(0, "step %d: contents differ", step);
			break;
		}
		if (b.cap > b.max) {
			ok(0, "step %d: cap %zu over max", step, b.cap);
			break;
		}
	}
	ok(buf_is(&b, expect, elen), "model agrees after 20000 steps");
	buf_free(&b);
}

TEST(core_buf_printf)
{
	struct buf b;
	char big[3000];

	buf_init(&b, 1 << 16);
	ok(buf_printf(&b, "%d-%s", 42, "x") == 0, "small printf");
	ok(buf_is(&b, "42-x", 4), "small printf text");
	ok(buf_printf(&b, "%s", "") == 0 && b.len == 4, "empty printf");

	/* Growth: far more than the first allocation. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(buf_printf(&b, "[%s]", big) == 0, "printf that must grow");
	ok(b.len == 4 + 2 + 2999, "len %zu", b.len);
	ok(memcmp(buf_data(&b), "42-x[qqq", 8) == 0, "prefix kept");
	ok(buf_data(&b)[b.len - 1] == ']', "suffix written");

	/* After consume, printf appends to what is left. */
	buf_consume(&b, 4);
	ok(buf_printf(&b, "%05u", 7u) == 0, "printf after consume");
	ok(memcmp(buf_data(&b) + b.len - 6, "]00007", 6) == 0, "appended");
	buf_free(&b);

	/* Many small printfs across several growths. */
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		if (buf_printf(&b, "%d,", i % 10) != 0) {
			ok(0, "printf %d failed", i);
			break;
		}
	ok(b.len == 20000, "10000 printfs, len %zu", b.len);
	ok(memcmp(buf_data(&b) + 19990, "5,6,7,8,9,", 10) == 0, "tail right");
	buf_free(&b);
}

TEST(core_buf_printf_max)
{
	struct buf b;

	buf_init(&b, 16);
	ok(buf_printf(&b, "%s", "0123456789abcdefX") == -1, "17 bytes into 16");
	ok(b.len == 0, "refused printf leaves nothing");
	ok(buf_printf(&b, "%s", "0123456789") == 0, "10 bytes");
	ok(buf_printf(&b, "%s", "abcdefg") == -1, "17 in total refused");
	ok(buf_is(&b, "0123456789", 10), "refused printf changes nothing");
	/* The result fits max exactly: buf.h promises -1 only past max. */
	ok(buf_printf(&b, "%s", "abcdef") == 0, "printf filling max exactly");
	ok(buf_is(&b, "0123456789abcdef", 16), "exact fill text");
	buf_free(&b);

	buf_init(&b, 5);
	ok(buf_printf(&b, "%d", 12345) == 0, "first printf filling max exactly");
	ok(buf_is(&b, "12345", 5), "text");
	buf_free(&b);
}

TEST(core_buf_slice)
{
	struct buf b;

	buf_init(&b, 100);
	ok(buf_append_str(&b, "GET /x") == 0, "append");
	buf_consume(&b, 4);
	struct slice s = buf_slice(&b);
	ok(slice_eq(s, "/x"), "slice is the unread bytes");
	buf_free(&b);
}
