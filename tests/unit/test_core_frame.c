/* test_core_frame.c - length-prefixed frames: DNS over TCP, BitTorrent and
 * STUN over TCP layouts, every split point, the bound, adjust, the writer. */
#include <string.h>

#include "core/frame.h"
#include "test.h"

/* Feeds every prefix of p[0..n) (at the end of a guard page): each proper
 * prefix must be PARSE_AGAIN, the whole must be one frame of size n. */
static int
all_splits(const struct frame_fmt *f, const uint8_t *p, size_t n)
{
	struct frame fr;

	for (size_t k = 0; k < n; k++)
		if (frame_next(f, test_guard(p, k), k, &fr) != PARSE_AGAIN)
			return 0;
	return frame_next(f, test_guard(p, n), n, &fr) == (int)n;
}

TEST(frame_dns_tcp)
{
	static const struct frame_fmt f = FRAME_FMT_DNS_TCP(65537);
	uint8_t b[64] = { 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 1 };
	struct frame fr;

	ok(all_splits(&f, b, 7), "every split of a 5-byte message");
	ok(frame_next(&f, b, 9, &fr) == 7, "the first of two frames");
	ok(fr.payload.n == 5 && memcmp(fr.payload.p, "hello", 5) == 0,
	    "payload");
	ok(fr.hdr.p == b && fr.hdr.n == 2, "header slice");
	b[1] = 0;
	ok(frame_next(&f, b, 2, &fr) == PARSE_ERR, "length 0 is an error");
}

TEST(frame_bound)
{
	static const struct frame_fmt f = FRAME_FMT_DNS_TCP(514);
	static const struct frame_fmt bt = FRAME_FMT_BT(1024);
	uint8_t b[8] = { 0x02, 0x00 };	/* 512 + 2 = 514: fits */
	uint8_t big[4] = { 0xff, 0xff, 0xff, 0xff };
	struct frame fr;

	ok(frame_next(&f, b, 2, &fr) == PARSE_AGAIN, "at the bound");
	b[1] = 1;
	ok(frame_next(&f, b, 2, &fr) == PARSE_ERR, "one past the bound");
	ok(frame_next(&f, b, 1, &fr) == PARSE_AGAIN, "field not whole yet");
	ok(frame_next(&bt, big, 4, &fr) == PARSE_ERR, "4 GiB frame refused");
	big[0] = big[1] = big[2] = big[3] = 0;
	ok(frame_next(&bt, big, 4, &fr) == 4 && fr.payload.n == 0,
	    "BitTorrent keep-alive: an empty payload");
}

TEST(frame_bittorrent_splits)
{
	static const struct frame_fmt f = FRAME_FMT_BT(1 << 20);
	uint8_t b[4 + 13] = { 0, 0, 0, 13, 6 };	/* request: id 6 + 12 bytes */
	struct frame fr;

	ok(all_splits(&f, b, sizeof(b)), "every split of a request message");
	ok(frame_next(&f, b, sizeof(b), &fr) == 17 && fr.payload.n == 13 &&
	    fr.payload.p[0] == 6, "its payload");
}

TEST(frame_stun_tcp)
{
	static const struct frame_fmt f = FRAME_FMT_STUN_TCP(1500);
	uint8_t b[28];
	struct frame fr;

	memset(b, 0, sizeof(b));
	b[1] = 0x01;			/* Binding request */
	b[3] = 8;			/* 8 bytes of attributes */
	b[4] = 0x21; b[5] = 0x12; b[6] = 0xa4; b[7] = 0x42;
	ok(all_splits(&f, b, sizeof(b)), "every split of a 28-byte message");
	ok(frame_next(&f, b, sizeof(b), &fr) == 28 && fr.hdr.n == 20 &&
	    fr.payload.n == 8 && fr.payload.p == b + 20, "header and payload");
}

TEST(frame_adjust)
{
	/* a length that counts its own 4-byte header */
	static const struct frame_fmt f = { 4, 0, 4, -4, 0, 100 };
	static const struct frame_fmt bad = { 1, 0, 2, 0, 0, 100 };
	uint8_t b[10] = { 0, 0, 0, 10, 'a', 'b', 'c', 'd', 'e', 'f' };
	uint8_t h[4] = { 0 };
	struct frame fr;

	ok(all_splits(&f, b, 10), "every split");
	ok(frame_next(&f, b, 10, &fr) == 10 && fr.payload.n == 6, "size 10");
	b[3] = 3;
	ok(frame_next(&f, b, 10, &fr) == PARSE_ERR, "shorter than its header");
	ok(frame_put_len(&f, h, 6) == 0 && h[3] == 10,
	    "the writer adds the header");
	ok(frame_next(&bad, b, 10, &fr) == PARSE_ERR,
	    "a field past the header");
}

TEST(frame_put_len)
{
	static const struct frame_fmt f = FRAME_FMT_DNS_TCP(70000);
	static const struct frame_fmt one = { 1, 0, 1, 0, 0, 1000 };
	static const struct frame_fmt stun = FRAME_FMT_STUN_TCP(1500);
	uint8_t h[20];

	memset(h, 0xaa, sizeof(h));
	ok(frame_put_len(&f, h, 0x1234) == 0 && h[0] == 0x12 && h[1] == 0x34,
	    "big-endian");
	ok(frame_put_len(&f, h, 65536) == -1, "past the field's width");
	ok(frame_put_len(&f, h, 0) == -1, "below min_payload");
	ok(frame_put_len(&one, h, 255) == 0 && h[0] == 255, "one byte");
	ok(frame_put_len(&one, h, 256) == -1, "one byte, too large");
	memset(h, 0xaa, sizeof(h));
	ok(frame_put_len(&stun, h, 8) == 0 && h[2] == 0 && h[3] == 8 &&
	    h[0] == 0xaa && h[4] == 0xaa, "only the field is written");
	ok(frame_put_len(&stun, h, 1481) == -1, "STUN past the bound");
}
