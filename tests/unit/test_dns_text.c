/* Tests for DNS presentation format: every type in the table from text to
 * rdata and back (expected text as dig 9.18 prints it), the generic RFC 3597
 * form, RR and question lines, type/class/rcode names, TTLs, the tokenizer. */
#include <string.h>

#include "dns/dns_rr.h"
#include "dns/dns_text.h"
#include "test.h"

static const uint8_t origin[] = "\7example\3com";	/* + NUL = root */

static const struct {
	uint16_t type;
	const char *in;		/* zone-file text, origin example.com. */
	const char *out;	/* dig's text; NULL: same as in */
} cases[] = {
	{ DNS_T_A, "192.0.2.1", NULL },
	{ DNS_T_A, "\\# 4 C0000201", "192.0.2.1" },
	{ DNS_T_NS, "ns1", "ns1.example.com." },
	{ DNS_T_MD, "md.example.com.", NULL },
	{ DNS_T_MF, "mf.example.com.", NULL },
	{ DNS_T_CNAME, "@", "example.com." },
	{ DNS_T_SOA, "ns1 hostmaster ( 2024010101 2h 1h 2w 5m )",
	    "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 "
	    "1209600 300" },
	{ DNS_T_SOA, "a. b. 4294967295 0 1 2 3", NULL },
	{ DNS_T_MB, "mb.example.com.", NULL },
	{ DNS_T_MG, "mg.example.com.", NULL },
	{ DNS_T_MR, "mr.example.com.", NULL },
	{ DNS_T_PTR, "host.example.com.", NULL },
	{ DNS_T_HINFO, "INTEL-386 Unix", "\"INTEL-386\" \"Unix\"" },
	{ DNS_T_HINFO, "\"a b\" \"\"", NULL },
	{ DNS_T_MINFO, "rmail emailbx", "rmail.example.com. "
	    "emailbx.example.com." },
	{ DNS_T_MX, "10 mail", "10 mail.example.com." },
	{ DNS_T_MX, "0 .", NULL },
	{ DNS_T_TXT, "\"v=spf1 mx -all\"", NULL },
	{ DNS_T_TXT, "\"hello world\" \"with \\\"quotes\\\" and \\\\ "
	    "backslash\" \"\\011tab\\255\"", NULL },
	{ DNS_T_TXT, "\"\" \"semi;colon\" \"(paren)\" a b",
	    "\"\" \"semi;colon\" \"(paren)\" \"a\" \"b\"" },
	{ DNS_T_TXT, "\"\\0651\\t\"", "\"A1t\"" },
	{ DNS_T_RP, "admin.example.com. txt", "admin.example.com. "
	    "txt.example.com." },
	{ DNS_T_AFSDB, "1 afs", "1 afs.example.com." },
	{ DNS_T_RT, "10 relay.example.net.", NULL },
	{ DNS_T_AAAA, "2001:db8::1", NULL },
	{ DNS_T_AAAA, "2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
	{ DNS_T_AAAA, "::ffff:192.0.2.1", NULL },
	{ DNS_T_AAAA, "::", NULL },
	{ DNS_T_SRV, "0 5 5060 sipserver", "0 5 5060 sipserver.example.com." },
	{ DNS_T_NAPTR, "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\""
	    " .", NULL },
	{ DNS_T_KX, "10 kx.example.com.", NULL },
	{ DNS_T_DNAME, "other.example.net.", NULL },
	{ DNS_T_DS, "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
	    NULL },
	{ DNS_T_DS, "20326 8 2 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc6"
	    "83457104237c7f8ec8d", "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D0"
	    "8458E880409BBC683457104237 C7F8EC8D" },
	{ DNS_T_DS, "1 2 3 ( 0102 0304 )", "1 2 3 01020304" },
	{ DNS_T_SSHFP, "1 1 0123456789ABCDEF0123456789ABCDEF01234567",
	    NULL },
	{ DNS_T_TLSA, "3 1 1 00", NULL },
	/* dig 9.18 against NSD 4.6: hex in words of 56 digits */
	{ DNS_T_TLSA, "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF", "3 1 1 0123456789ABCDEF0123456789ABCDEF01234"
	    "56789ABCDEF01234567 89ABCDEF" },
	{ DNS_T_SSHFP, "4 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF", "4 2 0123456789ABCDEF0123456789ABCDEF0123456"
	    "789ABCDEF01234567 89ABCDEF" },
	{ 65000, "\\# 60 000102030405060708090A0B0C0D0E0F101112131415161718"
	    "191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738"
	    "393A3B", "\\# 60 000102030405060708090A0B0C0D0E0F1011121314151617"
	    "18191A1B 1C1D1E1F202122232425262728292A2B2C2D2E2F3031323334353637"
	    " 38393A3B" },
	{ DNS_T_SMIMEA, "3 1 1 ABCD", NULL },
	{ DNS_T_CDS, "0 0 0 00", NULL },
	{ DNS_T_SPF, "\"v=spf1 -all\"", NULL },
	{ DNS_T_CAA, "0 issue \"letsencrypt.org\"", NULL },
	{ DNS_T_CAA, "128 tbs \"some \\\"val\\\" x;y\"", NULL },
	{ DNS_T_CAA, "0 iodef mailto:a@example.com",
	    "0 iodef \"mailto:a@example.com\"" },
	{ DNS_T_CAA, "0 issue \"\"", NULL },
	{ DNS_T_DNSKEY, "\\# 4 0101 0308", "\\# 4 01010308" },
	{ DNS_T_RRSIG, "\\# 0", NULL },
	{ 65534, "\\# 4 0A000001", NULL },
	{ 65000, "\\# 40 000102030405060708090A0B0C0D0E0F101112131415161718"
	    "191A1B1C1D1E1F2021222324252627", "\\# 40 000102030405060708090A0"
	    "B0C0D0E0F101112131415161718191A1B 1C1D1E1F2021222324252627" },
	{ DNS_T_NULL, "\\# 1 ff", "\\# 1 FF" },
};

TEST(dns_text_every_type)
{
	static uint8_t rd[65535], rd2[65535];
	static char t[DNS_RDATA_TEXT_MAX];
	struct dns_text_err e;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *want = cases[c].out ? cases[c].out : cases[c].in;
		e.msg = "";
		int len = dns_rdata_from_text(cases[c].type, cases[c].in,
		    strlen(cases[c].in), origin, rd, sizeof(rd), &e);
		ok(len >= 0, "%zu: parse '%s': %s", c, cases[c].in, e.msg);
		if (len < 0)
			continue;
		ok(dns_rdata_valid(cases[c].type, rd, (size_t)len),
		    "%zu: canonical rdata is valid", c);
		int tl = dns_rdata_to_text(cases[c].type, rd, (size_t)len, t,
		    sizeof(t));
		ok(tl > 0 && strcmp(t, want) == 0, "%zu: text '%s' want '%s'",
		    c, t, want);
		/* the printed text reads back to the same bytes */
		int len2 = dns_rdata_from_text(cases[c].type, t, (size_t)tl,
		    NULL, rd2, sizeof(rd2), &e);
		ok(len2 == len && memcmp(rd, rd2, (size_t)len) == 0,
		    "%zu: text round trip", c);
	}
}

TEST(dns_text_rdata_errors)
{
	static const struct {
		uint16_t type;
		const char *in;
		const char *why;	/* part of the message */
	} bad[] = {
		{ DNS_T_A, "192.0.2", "IPv4" },
		{ DNS_T_A, "192.0.2.256", "IPv4" },
		{ DNS_T_A, "192.0.2.1 5", "too many" },
		{ DNS_T_A, "", "missing" },
		{ DNS_T_A, "\"192.0.2.1\"", "quoted" },
		{ DNS_T_AAAA, "2001:db8:::1", "IPv6" },
		{ DNS_T_MX, "70000 mail.", "number" },
		{ DNS_T_MX, "-1 mail.", "number" },
		{ DNS_T_MX, "10", "missing" },
		{ DNS_T_MX, "10 mail", "origin" },
		{ DNS_T_MX, "10 a..b.", "empty label" },
		{ DNS_T_SOA, "a. b. 1 2 3 4", "missing" },
		{ DNS_T_SOA, "a. b. 1 2 3 4 5x", "time" },
		{ DNS_T_TXT, "\"\\256\"", "escape" },
		{ DNS_T_TXT, "\"abc", "unterminated" },
		{ DNS_T_TXT, "( \"abc\"", "unbalanced" },
		{ DNS_T_TXT, "\"abc\" )", "unbalanced" },
		{ DNS_T_TXT, "a\nb", "more than one line" },
		{ DNS_T_A, "\\# 4 C00002", "less hex" },
		{ DNS_T_A, "\\# 3 C00002", "does not match" },
		{ DNS_T_A, "\\# 4 C0000201 00", "more hex" },
		{ DNS_T_A, "\\# 4 C000020", "odd" },
		{ DNS_T_A, "\\# 4 C00002G1", "hex digit" },
		{ DNS_T_A, "\\# 70000", "length" },
		{ DNS_T_A, "\\#", "length" },
		{ DNS_T_DNSKEY, "257 3 8 AwEAAQ==", "only \\#" },
		{ 65534, "abc", "only \\#" },
		{ DNS_T_OPT, "1 2", "only \\#" },
		{ DNS_T_DS, "1 2 3", "missing" },
		{ DNS_T_DS, "1 2 3 ABC", "odd" },
		{ DNS_T_CAA, "0 is-sue \"x\"", "letters" },
		{ DNS_T_CAA, "0 \"issue\" \"x\"", "quoted" },
		{ DNS_T_HINFO, "a", "missing" },
	};
	uint8_t rd[512];
	struct dns_text_err e;

	for (size_t c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
		e.msg = "";
		int r = dns_rdata_from_text(bad[c].type, bad[c].in,
		    strlen(bad[c].in), origin, rd, sizeof(rd), &e);
		if (strstr(bad[c].why, "origin"))
			r = dns_rdata_from_text(bad[c].type, bad[c].in,
			    strlen(bad[c].in), NULL, rd, sizeof(rd), &e);
		ok(r == DNS_ERR && e.msg && strstr(e.msg, bad[c].why),
		    "%zu: '%s' refused with '%s' (got %d '%s')", c, bad[c].in,
		    bad[c].why, r, e.msg ? e.msg : "");
	}

	/* a string of 255 bytes is the most */
	static char s[300];
	memset(s, 'x', 257);
	s[0] = '"';
	s[256] = '"';
	ok(dns_rdata_from_text(DNS_T_TXT, s, 257, NULL, rd, sizeof(rd), &e) ==
	    256, "255-byte string");
	s[256] = 'x';
	s[257] = '"';
	ok(dns_rdata_from_text(DNS_T_TXT, s, 258, NULL, rd, sizeof(rd), &e) ==
	    DNS_ERR && strstr(e.msg, "255"), "256-byte string refused");

	/* too small an output buffer */
	ok(dns_rdata_from_text(DNS_T_A, "192.0.2.1", 9, NULL, rd, 3, &e) ==
	    DNS_FULL, "DNS_FULL");

	/* the line of the bad token */
	ok(dns_rdata_from_text(DNS_T_SOA, "a. b. (\n1\n2\n3x\n4 5 )", 20, NULL,
	    rd, sizeof(rd), &e) == DNS_ERR && e.line == 4, "error line %u",
	    e.line);
}

TEST(dns_text_rr_lines)
{
	static const struct {
		const char *owner;
		uint32_t ttl;
		uint16_t type, rclass;
		const char *rdata;
		const char *line;
	} lines[] = {
		{ "example.com.", 3600, DNS_T_MX, DNS_C_IN, "10 mail.example.com.",
		    "example.com.\t\t3600\tIN\tMX\t10 mail.example.com." },
		{ "ns1.example.com.", 86400, DNS_T_A, DNS_C_IN, "192.0.2.53",
		    "ns1.example.com.\t86400\tIN\tA\t192.0.2.53" },
		{ ".", 0, DNS_T_NS, DNS_C_IN, "a.root-servers.net.",
		    ".\t\t\t0\tIN\tNS\ta.root-servers.net." },
		{ "long-name-for-column-testing-here.example.com.", 3600,
		    DNS_T_A, DNS_C_IN, "192.0.2.9",
		    "long-name-for-column-testing-here.example.com. 3600 IN A "
		    "192.0.2.9" },
		{ "spec\\@\\$\\\"\\(\\)\\;x.example.com.", 3600, DNS_T_A,
		    DNS_C_IN, "192.0.2.10", "spec\\@\\$\\\"\\(\\)\\;x.example.com. "
		    "3600 IN\tA\t192.0.2.10" },
		{ "unk.example.com.", 3600, 65534, DNS_C_IN, "\\# 4 0A000001",
		    "unk.example.com.\t3600\tIN\tTYPE65534 \\# 4 0A000001" },
		{ "x.", 1, DNS_T_TXT, DNS_C_CH, "\"a\"",
		    "x.\t\t\t1\tCH\tTXT\t\"a\"" },
		{ "x.", 1, DNS_T_A, 7, "192.0.2.1",
		    "x.\t\t\t1\tCLASS7\tA\t192.0.2.1" },
	};
	static char t[DNS_RR_TEXT_MAX];
	uint8_t owner[DNS_NAME_MAX], rd[512];

	for (size_t c = 0; c < sizeof(lines) / sizeof(lines[0]); c++) {
		struct dns_rr rr;
		int ol = dns_name_from_text(lines[c].owner,
		    strlen(lines[c].owner), NULL, owner, NULL);
		int len = dns_rdata_from_text(lines[c].type, lines[c].rdata,
		    strlen(lines[c].rdata), NULL, rd, sizeof(rd), NULL);
		ok(ol > 0 && len >= 0, "%zu: inputs", c);
		rr.owner = owner;
		rr.owner_len = (uint16_t)ol;
		rr.type = lines[c].type;
		rr.rclass = lines[c].rclass;
		rr.ttl = lines[c].ttl;
		rr.rdata = rd;
		rr.rdlen = (uint16_t)(len < 0 ? 0 : len);
		ok(dns_rr_to_text(&rr, t, sizeof(t)) > 0 &&
		    strcmp(t, lines[c].line) == 0, "%zu: '%s'", c, t);
	}

	/* rdata that does not match its type (an update's empty A) */
	struct dns_rr empty = { owner, 1, DNS_T_A, DNS_C_ANY, 0, 0, rd };
	owner[0] = 0;
	ok(dns_rr_to_text(&empty, t, sizeof(t)) > 0 &&
	    strcmp(t, ".\t\t\t0\tANY\tA\t\\# 0") == 0, "empty A: %s", t);

	/* questions */
	struct dns_question q;
	q.name = owner;
	dns_name_from_text("a.b.c.d.e.f.g.h.example.com.", 28, NULL, owner,
	    NULL);
	q.qtype = DNS_T_A;
	q.qclass = DNS_C_IN;
	ok(dns_question_to_text(&q, t, sizeof(t)) > 0 &&
	    strcmp(t, ";a.b.c.d.e.f.g.h.example.com.\tIN\tA") == 0, "%s", t);
	owner[0] = 0;
	q.qtype = DNS_T_SOA;
	ok(dns_question_to_text(&q, t, sizeof(t)) > 0 &&
	    strcmp(t, ";.\t\t\t\tIN\tSOA") == 0, "root question %s", t);
	ok(dns_question_to_text(&q, t, 8) == DNS_FULL, "small buffer");
}

TEST(dns_text_names_of_codes)
{
	char t[16];
	uint16_t v;

	ok(dns_type_to_text(DNS_T_AAAA, t, sizeof(t)) == 4 &&
	    strcmp(t, "AAAA") == 0, "AAAA");
	ok(dns_type_to_text(65534, t, sizeof(t)) > 0 &&
	    strcmp(t, "TYPE65534") == 0, "TYPE65534");
	ok(dns_type_to_text(65534, t, 5) == DNS_FULL, "small buffer");
	ok(dns_type_from_text("mx", 2, &v) == DNS_OK && v == DNS_T_MX, "mx");
	ok(dns_type_from_text("type65534", 9, &v) == DNS_OK && v == 65534,
	    "type65534");
	ok(dns_type_from_text("TYPE1", 5, &v) == DNS_OK && v == DNS_T_A,
	    "TYPE1 is A");
	ok(dns_type_from_text("TYPE65536", 9, &v) == DNS_ERR, "TYPE65536");
	ok(dns_type_from_text("TYPE", 4, &v) == DNS_ERR, "TYPE");
	ok(dns_type_from_text("TYPE1x", 6, &v) == DNS_ERR, "TYPE1x");
	ok(dns_type_from_text("FOO", 3, &v) == DNS_ERR, "FOO");
	ok(dns_class_from_text("in", 2, &v) == DNS_OK && v == DNS_C_IN, "in");
	ok(dns_class_from_text("CLASS4", 6, &v) == DNS_OK && v == DNS_C_HS,
	    "CLASS4");
	ok(dns_class_from_text("CHAOS", 5, &v) == DNS_OK && v == DNS_C_CH,
	    "CHAOS");
	ok(dns_class_to_text(DNS_C_HS, t, sizeof(t)) > 0 &&
	    strcmp(t, "HS") == 0, "HS");
	ok(dns_class_to_text(2, t, sizeof(t)) > 0 &&
	    strcmp(t, "CLASS2") == 0, "CLASS2");
	ok(dns_rcode_to_text(3, t, sizeof(t)) > 0 &&
	    strcmp(t, "NXDOMAIN") == 0, "NXDOMAIN");
	ok(dns_rcode_to_text(16, t, sizeof(t)) > 0 &&
	    strcmp(t, "BADVERS") == 0, "BADVERS");
	ok(dns_rcode_to_text(12, t, sizeof(t)) > 0 &&
	    strcmp(t, "RESERVED12") == 0, "RESERVED12");
	ok(dns_rcode_to_text(300, t, sizeof(t)) > 0 && strcmp(t, "300") == 0,
	    "300");
	ok(dns_opcode_to_text(4, t, sizeof(t)) > 0 &&
	    strcmp(t, "NOTIFY") == 0, "NOTIFY");
	ok(dns_opcode_to_text(3, t, sizeof(t)) > 0 &&
	    strcmp(t, "RESERVED3") == 0, "RESERVED3");

	/* the table is sorted and every entry is found by number and name */
	int bad = 0;
	for (unsigned ty = 0; ty < 65536; ty++) {
		const struct dns_rrtype *rt = dns_rrtype_find((uint16_t)ty);
		if (rt == NULL)
			continue;
		if (rt->type != ty || dns_type_from_text(rt->name,
		    strlen(rt->name), &v) != DNS_OK || v != ty)
			bad++;
	}
	ok(bad == 0, "table lookups");
}

TEST(dns_text_ttl)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t v;
	} c[] = {
		{ "3600", 1, 3600 }, { "0", 1, 0 }, { "1h30m", 1, 5400 },
		{ "1w", 1, 604800 }, { "2d", 1, 172800 }, { "1H", 1, 3600 },
		{ "1h30", 1, 3630 }, { "1w2d3h4m5s", 1, 788645 },
		{ "4294967295", 1, 4294967295u }, { "4294967296", 0, 0 },
		{ "99999999999", 0, 0 }, { "", 0, 0 }, { "h", 0, 0 },
		{ "1x", 0, 0 }, { "1hh", 0, 0 }, { "-1", 0, 0 },
		{ "7102w", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t v = 0;
		int r = dns_ttl_from_text(c[i].s, strlen(c[i].s), &v);
		ok(c[i].ok ? (r == DNS_OK && v == c[i].v) : r == DNS_ERR,
		    "ttl '%s' -> %d %lu", c[i].s, r, (unsigned long)v);
	}
}

TEST(dns_text_lexer)
{
	static const char z[] =
	    "$ORIGIN example.com. ; comment\n"
	    "@ IN SOA ns1 host (\n"
	    "   1 ; serial\n"
	    "   2 3 4 5 )\n"
	    "\n"
	    "  ; only a comment\n"
	    "\tTXT \"a \\\" b\" c\\ d \\;\r\n"
	    "last";
	struct dns_lexer lx;
	struct dns_token tok[32];
	size_t n;

	dns_lex_init(&lx, z, sizeof(z) - 1);
	ok(dns_lex_line(&lx, tok, 32, &n) == 1 && n == 2 && tok[0].bol &&
	    tok[0].n == 7 && !tok[1].bol, "directive line");
	ok(dns_lex_line(&lx, tok, 32, &n) == 1 && n == 10 &&
	    tok[0].line == 2 && tok[5].line == 3 && tok[9].line == 4 &&
	    tok[9].n == 1 && tok[9].p[0] == '5', "parentheses join lines");
	ok(dns_lex_line(&lx, tok, 32, &n) == 1 && n == 0, "blank line");
	ok(dns_lex_line(&lx, tok, 32, &n) == 1 && n == 0, "comment line");
	ok(dns_lex_line(&lx, tok, 32, &n) == 1 && n == 4 && !tok[0].bol &&
	    tok[1].quoted && tok[1].n == 6 && memcmp(tok[1].p, "a \\\" b", 6)
	    == 0 && tok[2].n == 4 && tok[3].n == 2, "quotes and escapes");
	ok(dns_lex_line(&lx, tok, 32, &n) == 1 && n == 1 && tok[0].bol &&
	    tok[0].line == 8, "last line without newline");
	ok(dns_lex_line(&lx, tok, 32, &n) == 0, "end");

	dns_lex_init(&lx, "a b c", 5);
	ok(dns_lex_line(&lx, tok, 2, &n) == DNS_ERR, "too many tokens");
	dns_lex_init(&lx, "a (\n( b", 7);
	ok(dns_lex_line(&lx, tok, 32, &n) == DNS_ERR && lx.err_line == 2,
	    "nested parens");
	dns_lex_init(&lx, "a \\", 3);
	ok(dns_lex_line(&lx, tok, 32, &n) == DNS_ERR, "backslash at end");
	dns_lex_init(&lx, "\"a\nb\"", 5);
	ok(dns_lex_line(&lx, tok, 32, &n) == DNS_ERR, "newline in quotes");
	dns_lex_init(&lx, "\"a\\", 3);
	ok(dns_lex_line(&lx, tok, 32, &n) == DNS_ERR, "escape at end of quote");
}

TEST(dns_text_guard)
{
	static const char *in[] = {
		"ns1 hostmaster ( 2024010101 2h 1h 2w 5m )",
		"\"hello world\" \"\\011tab\\255\"",
		"\\# 4 0A000001",
		"0 issue \"letsencrypt.org\"",
	};
	static const uint16_t ty[] = { DNS_T_SOA, DNS_T_TXT, 65534,
		DNS_T_CAA };
	uint8_t rd[512];
	struct dns_text_err e;

	/* every prefix at the end of a page: no read past the end */
	for (size_t c = 0; c < 4; c++) {
		size_t n = strlen(in[c]);
		for (size_t k = 0; k <= n; k++) {
			const char *g = test_guard(in[c], k);
			int r = dns_rdata_from_text(ty[c], g, k, origin, rd,
			    sizeof(rd), &e);
			ok(k == n ? r > 0 : 1, "%zu/%zu: %d", c, k, r);
		}
	}
	/* names too */
	for (size_t k = 0; k <= 12; k++) {
		uint8_t o[DNS_NAME_MAX];
		const char *g = test_guard("a\\0981.b\\.c.", k);
		int r = dns_name_from_text(g, k, origin, o, NULL);
		ok(k == 12 ? r == 9 : 1, "name prefix %zu: %d", k, r);
	}
}
