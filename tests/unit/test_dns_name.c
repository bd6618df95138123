/* Tests for DNS names: wire reading with compression (loops, forward
 * pointers, limits), comparisons, and presentation form both ways. */
#include <string.h>

#include "dns/dns_text.h"
#include "dns/dns_wire.h"
#include "test.h"

/* An absolute presentation name to wire form (test input must be valid). */
static int
wn(const char *s, uint8_t out[DNS_NAME_MAX])
{
	return dns_name_from_text(s, strlen(s), NULL, out, NULL);
}

/* A message buffer: 12 zero bytes of header, then body. */
static size_t
msg_with(uint8_t *m, const void *body, size_t n)
{
	memset(m, 0, 12);
	memcpy(m + 12, body, n);
	return 12 + n;
}

TEST(dns_name_read_plain)
{
	static const uint8_t body[] = "\3www\7example\3com";
	uint8_t m[64], out[DNS_NAME_MAX], want[DNS_NAME_MAX];
	size_t n = msg_with(m, body, sizeof(body)), pos = 12;

	int len = dns_name_read(m, n, &pos, n, out);
	ok(len == 17, "plain name length %d", len);
	ok(pos == 29, "pos after plain name %zu", pos);
	wn("www.example.com.", want);
	ok(len == 17 && memcmp(out, want, 17) == 0, "plain name bytes");

	/* the root */
	m[12] = 0;
	pos = 12;
	ok(dns_name_read(m, 13, &pos, 13, out) == 1 && pos == 13 &&
	    out[0] == 0, "root name");
}

TEST(dns_name_read_compressed)
{
	/* 12: www.example.com. 29: mail + ptr(16) 36: ptr(12) */
	static const uint8_t body[] = "\3www\7example\3com\0"
	    "\4mail\xc0\x10" "\xc0\x0c";
	uint8_t m[64], out[DNS_NAME_MAX], want[DNS_NAME_MAX];
	size_t n = msg_with(m, body, sizeof(body) - 1), pos = 29;

	int len = dns_name_read(m, n, &pos, n, out);
	ok(len == 18 && pos == 36, "label + pointer: len %d pos %zu", len,
	    pos);
	wn("mail.example.com.", want);
	ok(len == 18 && memcmp(out, want, 18) == 0, "label + pointer bytes");
	len = dns_name_read(m, n, &pos, n, out);
	ok(len == 17 && pos == 38, "pointer only: len %d pos %zu", len, pos);
	/* chain: 38: "a" + ptr(29) -> mail + ptr(16) */
	m[38] = 1;
	m[39] = 'a';
	m[40] = 0xc0;
	m[41] = 29;
	pos = 38;
	len = dns_name_read(m, 42, &pos, 42, out);
	wn("a.mail.example.com.", want);
	ok(len == 20 && pos == 42 && memcmp(out, want, 20) == 0,
	    "pointer chain");
}

TEST(dns_name_read_bad_pointers)
{
	uint8_t m[64], out[DNS_NAME_MAX];
	size_t pos;

	/* pointer to itself */
	static const uint8_t self[] = "\xc0\x0c";
	size_t n = msg_with(m, self, 2);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR && pos == 12,
	    "self pointer refused, pos unchanged");

	/* a loop between two names: 12: "a" ptr(16); 16: ptr(12) */
	static const uint8_t loop[] = "\1a\xc0\x10\xc0\x0c";
	n = msg_with(m, loop, 6);
	pos = 16;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "pointer loop");
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR,
	    "forward pointer in a loop");

	/* forward pointer to a valid name */
	static const uint8_t fwd[] = "\xc0\x0e\3com";
	n = msg_with(m, fwd, 7);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "forward pointer");

	/* a pointer target whose labels run into the pointing name and past
	 * its pointer: 12: label of 5 covering 13..17, 13: "ab" ptr(12),
	 * 18: a zero byte. Loop-free, but the name "borrows" its own bytes. */
	static const uint8_t into[] = "\5\2ab\xc0\x0c";
	n = msg_with(m, into, 7);
	pos = 13;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR,
	    "target run overlapping the pointing name refused");

	/* pointer cut in half */
	static const uint8_t half[] = "\xc0";
	n = msg_with(m, half, 1);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "half pointer");

	/* reserved label types 0x40 and 0x80 */
	static const uint8_t r40[] = "\x41x";
	n = msg_with(m, r40, 2);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "label type 0x40");
	m[12] = 0x81;
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "label type 0x80");
}

/* Writes labels of the given lengths (filled with 'x') and a root. */
static size_t
labels(uint8_t *p, const int *len, int n)
{
	size_t o = 0;

	for (int i = 0; i < n; i++) {
		p[o++] = (uint8_t)len[i];
		memset(p + o, 'x', (size_t)len[i]);
		o += (size_t)len[i];
	}
	p[o++] = 0;
	return o;
}

TEST(dns_name_read_limits)
{
	uint8_t m[600], out[DNS_NAME_MAX], text[DNS_NAME_TEXT_MAX];
	size_t pos, n;
	int len;

	/* a 63-byte label is fine, 64 is label type 0x40 */
	static const int l63[] = { 63 }, l64[] = { 64 };
	n = 12 + labels(m + 12, l63, 1);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == 65, "63-byte label");
	n = 12 + labels(m + 12, l64, 1);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "64-byte label");

	/* 255 bytes in all is the most */
	static const int l255[] = { 63, 63, 63, 61 }, l256[] = { 63, 63, 63,
		62 };
	n = 12 + labels(m + 12, l255, 4);
	pos = 12;
	len = dns_name_read(m, n, &pos, n, out);
	ok(len == 255 && pos == n, "255-byte name: %d", len);
	ok(dns_name_len(out, DNS_NAME_MAX) == 255, "dns_name_len 255");
	ok(dns_name_to_text(out, (char *)text, sizeof(text)) == 254,
	    "255-byte name as text");
	n = 12 + labels(m + 12, l256, 4);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "256-byte name");

	/* 256 bytes only once decompressed: 12: 63,63,63 + root (193);
	 * then 2 labels + pointer(12) that add 63 + 1 + ... */
	static const int base[] = { 63, 63, 63 };
	size_t o = 12 + labels(m + 12, base, 3);
	size_t at = o;
	m[o++] = 62;
	memset(m + o, 'y', 62);
	o += 62;
	m[o++] = 0xc0;
	m[o++] = 12;
	pos = at;
	ok(dns_name_read(m, o, &pos, o, out) == DNS_ERR,
	    "256 bytes after decompression");
	m[at] = 61;	/* now 255: shift the pointer two bytes back... */
	memmove(m + at + 62, m + at + 63, 2);
	o = at + 64;
	pos = at;
	ok(dns_name_read(m, o, &pos, o, out) == 255,
	    "255 bytes after decompression");

	/* truncated: no root label, label past the end, name past `end` */
	static const uint8_t trunc[] = "\3www";
	n = msg_with(m, trunc, 4);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n, out) == DNS_ERR, "no root label");
	pos = 12;
	ok(dns_name_read(m, 14, &pos, 14, out) == DNS_ERR, "label cut");
	static const uint8_t ok3[] = "\3www\0";
	n = msg_with(m, ok3, 5);
	pos = 12;
	ok(dns_name_read(m, n, &pos, n - 1, out) == DNS_ERR,
	    "name past end bound");
	pos = 12;
	ok(dns_name_read(m, n, &pos, n + 100, out) == 5,
	    "end bound beyond msglen is clamped");
}

TEST(dns_name_read_guard)
{
	static const uint8_t body[] = "\3www\7example\3com\0\4mail\xc0\x10";
	uint8_t m[64], out[DNS_NAME_MAX];
	size_t n = msg_with(m, body, sizeof(body) - 1);

	/* every prefix, placed just before a PROT_NONE page */
	for (size_t k = 12; k <= n; k++) {
		const uint8_t *g = test_guard(m, k);
		size_t pos = 29;
		int r = dns_name_read(g, k, &pos, k, out);
		ok(k == n ? r == 18 : r == DNS_ERR, "prefix %zu: %d", k, r);
	}
}

TEST(dns_name_compare)
{
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX];

	wn("WWW.Example.COM.", a);
	wn("www.example.com.", b);
	ok(dns_name_equal(a, b), "case-insensitive equal");
	ok(dns_name_cmp(a, b) == 0, "cmp equal");
	wn("www.example.org.", b);
	ok(!dns_name_equal(a, b), "different names");
	/* only ASCII letters fold */
	static const uint8_t x1[] = "\1\xc9", x2[] = "\1\xe9";
	ok(!dns_name_equal(x1, x2), "no folding above ASCII");

	/* RFC 4034 §6.1 canonical order */
	static const char *order[] = {
		"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
		"zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.",
		"*.z.example.", "\\200.z.example.",
	};
	for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		wn(order[i], a);
		wn(order[i + 1], b);
		ok(dns_name_cmp(a, b) < 0 && dns_name_cmp(b, a) > 0,
		    "%s < %s", order[i], order[i + 1]);
	}
	wn(".", a);
	wn("com.", b);
	ok(dns_name_cmp(a, b) < 0, "root sorts first");
}

TEST(dns_name_helpers)
{
	uint8_t a[DNS_NAME_MAX], z[DNS_NAME_MAX], w[DNS_NAME_MAX];

	wn("www.Example.com.", a);
	wn("example.COM.", z);
	ok(dns_name_is_sub(a, z), "www below example.com");
	ok(dns_name_is_sub(z, z), "a zone is below itself");
	ok(!dns_name_is_sub(z, a), "parent not below child");
	wn("wwwexample.com.", w);
	ok(!dns_name_is_sub(w, z), "label boundary respected");
	wn(".", w);
	ok(dns_name_is_sub(a, w), "everything is below the root");
	ok(dns_name_labels(a) == 3 && dns_name_labels(w) == 0, "labels");
	ok(dns_name_parent(w) == NULL, "root has no parent");
	ok(dns_name_equal(dns_name_parent(a), z), "parent");
	wn("WWW.EXAMPLE.COM.", w);
	ok(dns_name_hash(a) == dns_name_hash(w), "hash ignores case");
	ok(dns_name_hash(a) != dns_name_hash(z), "different names differ");
	dns_name_lower(a);
	ok(memcmp(a, "\3www\7example\3com", 17) == 0, "lowercase");
	ok(dns_name_len(a, 17) == 17 && dns_name_len(a, 16) == DNS_ERR,
	    "dns_name_len bound");
	static const uint8_t ptr[] = "\xc0\x0c";
	ok(dns_name_len(ptr, 2) == DNS_ERR, "dns_name_len refuses pointers");
}

TEST(dns_name_text_out)
{
	char t[DNS_NAME_TEXT_MAX];
	static const uint8_t special[] = "\x0a" "a.b\\c\"d(e)" "\3;@$"
	    "\4 \x7f\xff\x00";
	uint8_t root = 0;

	ok(dns_name_to_text(&root, t, sizeof(t)) == 1 && strcmp(t, ".") == 0,
	    "root is '.'");
	ok(dns_name_to_text(special, t, sizeof(t)) > 0 &&
	    strcmp(t, "a\\.b\\\\c\\\"d\\(e\\).\\;\\@\\$.\\032\\127\\255\\000.")
	    == 0, "escapes: %s", t);
	ok(dns_name_to_text(special, t, 5) == DNS_FULL && strlen(t) == 4,
	    "too small a buffer: DNS_FULL, truncated, NUL-ended");
}

TEST(dns_name_text_in)
{
	uint8_t o[DNS_NAME_MAX], org[DNS_NAME_MAX];
	const char *why = "";
	int len;

	wn("example.com.", org);
	len = dns_name_from_text("www", 3, org, o, &why);
	ok(len == 17 && memcmp(o, "\3www\7example\3com", 17) == 0,
	    "relative name + origin");
	ok(dns_name_from_text("@", 1, org, o, NULL) == 13 &&
	    dns_name_equal(o, org), "@ is the origin");
	ok(dns_name_from_text("@", 1, NULL, o, &why) == DNS_ERR,
	    "@ and no origin");
	len = dns_name_from_text("www", 3, NULL, o, &why);
	ok(len == DNS_ERR && strstr(why, "origin"),
	    "relative and no origin: %s", why);
	ok(dns_name_from_text(".", 1, org, o, NULL) == 1 && o[0] == 0,
	    "root");
	len = dns_name_from_text("a\\.b.c.", 7, NULL, o, NULL);
	ok(len == 7 && memcmp(o, "\3a.b\1c", 7) == 0, "escaped dot");
	len = dns_name_from_text("\\065b\\\\.", 8, NULL, o, NULL);
	ok(len == 5 && memcmp(o, "\3Ab\\", 5) == 0, "\\DDD and \\\\");
	ok(dns_name_from_text("a..b.", 5, NULL, o, &why) == DNS_ERR,
	    "empty label");
	ok(dns_name_from_text(".a.", 3, NULL, o, &why) == DNS_ERR,
	    "leading dot");
	ok(dns_name_from_text("\\256.", 5, NULL, o, &why) == DNS_ERR,
	    "\\256 refused");
	ok(dns_name_from_text("\\12.", 4, NULL, o, &why) == DNS_ERR,
	    "\\DD refused");
	ok(dns_name_from_text("a\\", 2, NULL, o, &why) == DNS_ERR,
	    "trailing backslash");

	char big[400];
	memset(big, 'x', 63);
	big[63] = '.';
	ok(dns_name_from_text(big, 64, NULL, o, NULL) == 65, "63-byte label");
	memset(big, 'x', 64);
	big[64] = '.';
	len = dns_name_from_text(big, 65, NULL, o, &why);
	ok(len == DNS_ERR && strstr(why, "63"), "64-byte label: %s", why);
	/* 4 labels 63+63+63+61: 255 bytes; one more byte is 256 */
	size_t k = 0;
	for (int i = 0; i < 4; i++) {
		int l = i < 3 ? 63 : 61;
		memset(big + k, 'y', (size_t)l);
		k += (size_t)l;
		big[k++] = '.';
	}
	ok(dns_name_from_text(big, k, NULL, o, NULL) == 255, "255-byte name");
	/* relative, then too long once the origin is added */
	ok(dns_name_from_text(big, k - 1, org, o, &why) == DNS_ERR,
	    "too long once the origin is added");
	big[k - 1] = 'y';	/* the last label grows to 62 bytes */
	big[k] = '.';
	len = dns_name_from_text(big, k + 1, NULL, o, &why);
	ok(len == DNS_ERR && strstr(why, "255"), "256-byte name: %s", why);
}

TEST(dns_name_text_roundtrip_all_bytes)
{
	uint8_t name[DNS_NAME_MAX], back[DNS_NAME_MAX];
	char t[DNS_NAME_TEXT_MAX];
	unsigned b = 0;

	/* every byte value, 63 per label, in four names */
	while (b < 256) {
		size_t o = 0;
		for (int l = 0; l < 3 && b < 256; l++) {
			size_t at = o++;
			int n = 0;
			while (n < 63 && b < 256)
				name[o + (size_t)n++] = (uint8_t)b++;
			name[at] = (uint8_t)n;
			o += (size_t)n;
		}
		name[o++] = 0;
		int tl = dns_name_to_text(name, t, sizeof(t));
		int len = dns_name_from_text(t, (size_t)tl, NULL, back, NULL);
		ok(tl > 0 && len == (int)o && memcmp(name, back, o) == 0,
		    "text round trip up to byte %u", b);
	}
}
