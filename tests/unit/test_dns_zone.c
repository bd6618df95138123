/* Tests for the zone-file reader: a BIND-style zone checked against what
 * NSD + dig serve from it, then each feature and each error one by one. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_zone.h"
#include "test.h"

/* tests/fuzz/corpus/dns_zone/example.com.zone */
static const char fixture[] =
	"; example.com, as named-compilezone -s relative writes it, with comments\n"
	"$ORIGIN .\n"
	"$TTL 3600\t; 1 hour\n"
	"example.com\t\tIN SOA\tns1.example.com. hostmaster.example.com. (\n"
	"\t\t\t\t2024010101 ; serial\n"
	"\t\t\t\t7200       ; refresh (2 hours)\n"
	"\t\t\t\t1h         ; retry (1 hour)\n"
	"\t\t\t\t2w         ; expire (2 weeks)\n"
	"\t\t\t\t300        ; minimum (5 minutes)\n"
	"\t\t\t\t)\n"
	"\t\t\tNS\tns1.example.com.\n"
	"\t\t\tNS\tns2.example.com.\n"
	"\t\t\tA\t192.0.2.1\n"
	"\t\t\tAAAA\t2001:db8::1\n"
	"\t\t\tMX\t10 mail.example.com.\n"
	"\t\t\tMX\t20 mail.backup.example.net.\n"
	"\t\t\tTXT\t\"v=spf1 mx -all\"\n"
	"\t\t\tTXT\t\"hello world\" \"with \\\"quotes\\\" and \\\\ backslash\" \"\\011tab\\255\"\n"
	"\t\t\tCAA\t0 issue \"letsencrypt.org\"\n"
	"$ORIGIN example.com.\n"
	"*\t\t\tA\t192.0.2.99\n"
	"\t\t\tTXT\t\"wildcard\"\n"
	"_sip._tcp\t\tSRV\t0 5 5060 sipserver\n"
	"ftp\t\t\tCNAME\twww\n"
	"mail\t\t\tA\t192.0.2.25\n"
	"\t\t\tAAAA\t2001:db8::25\n"
	"ns1\t\t\tA\t192.0.2.53\n"
	"\t\t\tAAAA\t2001:db8::53\n"
	"ns2\t86400\t\tA\t192.0.2.54 ; longer TTL\n"
	"sipserver\tIN 300\tA\t192.0.2.60\n"
	"sub\t\t\tNS\tns.sub\n"
	"\t\t\tNS\tns.other.example.net.\n"
	"\t\t\tDS\t60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n"
	"$ORIGIN sub.example.com.\n"
	"ns\t\t\tA\t192.0.2.77\n"
	"$ORIGIN example.com.\n"
	"unknown\t\t\tTYPE65534 \\# 4 0A000001\n"
	"www\t\t\tA\t192.0.2.80\n"
	"\t\t\tAAAA\t2001:db8::80\n";

/* dig AXFR of the fixture served by NSD 4.6, sorted (LC_ALL=C) */
static const char fixture_axfr[] =
	"*.example.com.\t\t3600\tIN\tA\t192.0.2.99\n"
	"*.example.com.\t\t3600\tIN\tTXT\t\"wildcard\"\n"
	"_sip._tcp.example.com.\t3600\tIN\tSRV\t0 5 5060 sipserver.example.com.\n"
	"example.com.\t\t3600\tIN\tA\t192.0.2.1\n"
	"example.com.\t\t3600\tIN\tAAAA\t2001:db8::1\n"
	"example.com.\t\t3600\tIN\tCAA\t0 issue \"letsencrypt.org\"\n"
	"example.com.\t\t3600\tIN\tMX\t10 mail.example.com.\n"
	"example.com.\t\t3600\tIN\tMX\t20 mail.backup.example.net.\n"
	"example.com.\t\t3600\tIN\tNS\tns1.example.com.\n"
	"example.com.\t\t3600\tIN\tNS\tns2.example.com.\n"
	"example.com.\t\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300\n"
	"example.com.\t\t3600\tIN\tTXT\t\"hello world\" \"with \\\"quotes\\\" and \\\\ backslash\" \"\\011tab\\255\"\n"
	"example.com.\t\t3600\tIN\tTXT\t\"v=spf1 mx -all\"\n"
	"ftp.example.com.\t3600\tIN\tCNAME\twww.example.com.\n"
	"mail.example.com.\t3600\tIN\tA\t192.0.2.25\n"
	"mail.example.com.\t3600\tIN\tAAAA\t2001:db8::25\n"
	"ns.sub.example.com.\t3600\tIN\tA\t192.0.2.77\n"
	"ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n"
	"ns1.example.com.\t3600\tIN\tAAAA\t2001:db8::53\n"
	"ns2.example.com.\t86400\tIN\tA\t192.0.2.54\n"
	"sipserver.example.com.\t300\tIN\tA\t192.0.2.60\n"
	"sub.example.com.\t3600\tIN\tDS\t60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n"
	"sub.example.com.\t3600\tIN\tNS\tns.other.example.net.\n"
	"sub.example.com.\t3600\tIN\tNS\tns.sub.example.com.\n"
	"unknown.example.com.\t3600\tIN\tTYPE65534 \\# 4 0A000001\n"
	"www.example.com.\t3600\tIN\tA\t192.0.2.80\n"
	"www.example.com.\t3600\tIN\tAAAA\t2001:db8::80\n";

/* What the callbacks saw: each record as dig prints it, one per line. */
struct seen {
	char text[16384];
	size_t len;
	unsigned lines[64];
	unsigned n;
	int reject_at;		/* reject the record with this index + 1 */
	const char *files[64];
};

static int
collect(struct dns_zone *z, void *arg, const struct dns_rr *rr,
    const char *file, unsigned line)
{
	struct seen *s = arg;
	char t[2048];
	int tl = dns_rr_to_text(rr, t, sizeof(t));

	if (s->reject_at && (int)s->n + 1 == s->reject_at) {
		snprintf(z->err, sizeof(z->err), "rejected %u", s->n);
		return 1;
	}
	if (tl > 0 && s->len + (size_t)tl + 2 < sizeof(s->text)) {
		memcpy(s->text + s->len, t, (size_t)tl);
		s->len += (size_t)tl;
		s->text[s->len++] = '\n';
		s->text[s->len] = '\0';
	}
	if (s->n < 64) {
		s->lines[s->n] = line;
		s->files[s->n] = file;
	}
	s->n++;
	return 0;
}

static struct dns_zone zone;

/* Parses text with origin example.com. (or none); fills s. */
static int
load(const char *text, const char *origin, struct seen *s)
{
	uint8_t o[DNS_NAME_MAX];

	memset(s, 0, sizeof(*s));
	if (origin)
		dns_name_from_text(origin, strlen(origin), NULL, o, NULL);
	dns_zone_init(&zone, origin ? o : NULL, collect, s);
	return dns_zone_parse(&zone, "test.zone", text, strlen(text));
}

static int
cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(dns_zone_fixture_matches_nsd)
{
	static struct seen s;
	char *lines[64];
	size_t n = 0;

	int r = load(fixture, NULL, &s);
	ok(r == DNS_OK, "fixture loads: %u: %s", zone.err_line, zone.err);
	ok(zone.nrecords == 27 && s.n == 27, "27 records, got %lu",
	    zone.nrecords);
	/* sort our listing like `LC_ALL=C sort -u` and compare */
	for (char *p = s.text; *p && n < 64; n++) {
		lines[n] = p;
		p = strchr(p, '\n');
		*p++ = '\0';
	}
	qsort(lines, n, sizeof(lines[0]), cmp_lines);
	static char sorted[16384];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(sorted + o, lines[i], l);
		o += l;
		sorted[o++] = '\n';
	}
	sorted[o] = '\0';
	ok(strcmp(sorted, fixture_axfr) == 0,
	    "same records as NSD serves:\n%s---- want:\n%s", sorted,
	    fixture_axfr);
	/* the SOA starts on line 4; the omitted-owner NS on line 11 */
	ok(s.lines[0] == 4 && s.lines[1] == 11, "record lines %u %u",
	    s.lines[0], s.lines[1]);
}

/* Loads text expecting success and the given listing. */
static void
expect(const char *text, const char *origin, const char *want)
{
	static struct seen s;
	int r = load(text, origin, &s);

	ok(r == DNS_OK && strcmp(s.text, want) == 0,
	    "zone:\n%s\ngot (%d, %u: %s):\n%s---- want:\n%s", text, r,
	    zone.err_line, zone.err, s.text, want);
}

/* Loads text expecting an error at line with msg in the message. */
static void
expect_err(const char *text, unsigned line, const char *msg)
{
	static struct seen s;
	int r = load(text, "example.com.", &s);

	ok(r == DNS_ERR && zone.err_line == line && strstr(zone.err, msg) &&
	    zone.err_file && strcmp(zone.err_file, "test.zone") == 0,
	    "zone:\n%s\nwant error '%s' at %u, got %d at %u: %s", text, msg,
	    line, r, zone.err_line, zone.err);
}

TEST(dns_zone_names_and_origin)
{
	expect("@ 1 A 192.0.2.1\n"
	    "www 1 A 192.0.2.2\n"
	    "abs.example.net. 1 A 192.0.2.3\n"
	    "$ORIGIN sub\n"
	    "x 1 CNAME @\n"
	    "$ORIGIN other.test.\n"
	    "@ 1 MX 10 mail\n"
	    "\\@odd\\.name\\032x 1 A 192.0.2.4\n",
	    "example.com.",
	    "example.com.\t\t1\tIN\tA\t192.0.2.1\n"
	    "www.example.com.\t1\tIN\tA\t192.0.2.2\n"
	    "abs.example.net.\t1\tIN\tA\t192.0.2.3\n"
	    "x.sub.example.com.\t1\tIN\tCNAME\tsub.example.com.\n"
	    "other.test.\t\t1\tIN\tMX\t10 mail.other.test.\n"
	    "\\@odd\\.name\\032x.other.test. 1\tIN\tA\t192.0.2.4\n");
	/* no origin at all: absolute names only */
	expect("a. 1 A 192.0.2.1\n", NULL, "a.\t\t\t1\tIN\tA\t192.0.2.1\n");
	expect_err("a 1 A 192.0.2.1\n$ORIGIN .\nb 1 A 192.0.2.1\n"
	    "c.. 1 A 192.0.2.1\n", 4, "empty label");
}

TEST(dns_zone_owner_ttl_class)
{
	/* omitted owner, TTL and class in either order, units, $TTL */
	expect("$TTL 1h\n"
	    "a A 192.0.2.1\n"
	    "  300 IN A 192.0.2.2\n"
	    "  IN 1h30m A 192.0.2.3\n"
	    "\tIN A 192.0.2.4\n"
	    "b 1w2d A 192.0.2.5\n"
	    "  CLASS1 TYPE1 192.0.2.6\n"
	    "  in a 192.0.2.7\n",
	    "example.com.",
	    "a.example.com.\t\t3600\tIN\tA\t192.0.2.1\n"
	    "a.example.com.\t\t300\tIN\tA\t192.0.2.2\n"
	    "a.example.com.\t\t5400\tIN\tA\t192.0.2.3\n"
	    "a.example.com.\t\t3600\tIN\tA\t192.0.2.4\n"
	    "b.example.com.\t\t777600\tIN\tA\t192.0.2.5\n"
	    "b.example.com.\t\t3600\tIN\tA\t192.0.2.6\n"
	    "b.example.com.\t\t3600\tIN\tA\t192.0.2.7\n");
	/* no $TTL: the SOA takes its minimum, later records the SOA
	 * minimum or the last explicit TTL (BIND) */
	expect("@ SOA ns host 1 2 3 4 300\n"
	    "a A 192.0.2.1\n"
	    "b 60 A 192.0.2.2\n"
	    "c A 192.0.2.3\n",
	    "example.com.",
	    "example.com.\t\t300\tIN\tSOA\tns.example.com. host.example.com. "
	    "1 2 3 4 300\n"
	    "a.example.com.\t\t300\tIN\tA\t192.0.2.1\n"
	    "b.example.com.\t\t60\tIN\tA\t192.0.2.2\n"
	    "c.example.com.\t\t60\tIN\tA\t192.0.2.3\n");
	/* $TTL wins over the SOA minimum */
	expect("$TTL 99\n@ SOA ns host 1 2 3 4 300\na A 192.0.2.1\n",
	    "example.com.",
	    "example.com.\t\t99\tIN\tSOA\tns.example.com. host.example.com. "
	    "1 2 3 4 300\n"
	    "a.example.com.\t\t99\tIN\tA\t192.0.2.1\n");
	/* a default TTL from the caller */
	static struct seen s;
	uint8_t o[DNS_NAME_MAX];
	dns_name_from_text("example.com.", 12, NULL, o, NULL);
	dns_zone_init(&zone, o, collect, &s);
	memset(&s, 0, sizeof(s));
	zone.have_ttl = 1;
	zone.ttl = 42;
	ok(dns_zone_parse(&zone, "x", "a A 192.0.2.1\n", 14) == DNS_OK &&
	    strstr(s.text, "\t42\t"), "caller's default TTL: %s", s.text);

	expect_err("a A 192.0.2.1\n", 1, "no TTL");
	expect_err(" 1 A 192.0.2.1\n", 1, "no owner");
	expect_err("a 1 CH TXT \"x\"\n", 1, "class");
	expect_err("a 1 IN\n", 1, "missing RR type");
	expect_err("a 1 2 A 192.0.2.1\n", 1, "unknown RR type '2'");
	expect_err("a 2147483648 A 192.0.2.1\n", 1, "out of range");
	expect_err("$TTL 1y\n", 1, "bad TTL");
	expect_err("a 1 AXFR\n", 1, "not allowed");
	expect_err("a 1 OPT \\# 0\n", 1, "not allowed");
}

TEST(dns_zone_syntax)
{
	/* parentheses, comments, quotes, \#, CRLF, no final newline */
	expect_err("@ 1 IN SOA ns1 hostmaster ( ; the SOA\r\n"
	    "\t2024010101 ; serial\r\n"
	    "\t2h 1h ( 2w\r\n", 3, "nested");
	expect("@ 1 IN SOA ns1 hostmaster ( ; the SOA\r\n"
	    "\t2024010101 ; serial\r\n"
	    "\t2h 1h 2w 5m ) ; done\r\n"
	    "t 1 TXT \"a ; not a comment\" \"(\" \"\\\"q\\\"\" plain ; comment\n"
	    "g 1 TYPE65534 \\# 3 ( 0102\n"
	    "  03 )\n"
	    "h 1 A \\# 4 C0000201\n"
	    "last 1 AAAA 2001:db8::1",
	    "example.com.",
	    "example.com.\t\t1\tIN\tSOA\tns1.example.com. hostmaster.example.com."
	    " 2024010101 7200 3600 1209600 300\n"
	    "t.example.com.\t\t1\tIN\tTXT\t\"a ; not a comment\" \"(\" "
	    "\"\\\"q\\\"\" \"plain\"\n"
	    "g.example.com.\t\t1\tIN\tTYPE65534 \\# 3 010203\n"
	    "h.example.com.\t\t1\tIN\tA\t192.0.2.1\n"
	    "last.example.com.\t1\tIN\tAAAA\t2001:db8::1\n");
	expect("", "example.com.", "");
	expect("; nothing\n\n   \n", "example.com.", "");
}

TEST(dns_zone_syntax_errors)
{
	expect_err("a 1 A 192.0.2.1\n"
	    "b 1 FOO 1\n", 2, "unknown RR type 'FOO'");
	expect_err("a 1 A 192.0.2.1\n"
	    "\n"
	    "b 1 A 192.0.2\n", 3, "IPv4");
	expect_err("a 1 A 192.0.2.1\n"
	    "@ 1 SOA ns host (\n"
	    "  1 2 3 4 5\n", 2, "unbalanced '('");
	expect_err("a 1 A 192.0.2.1 )\n", 1, "unbalanced ')'");
	expect_err("a 1 TXT \"abc\n", 1, "newline in quoted");
	expect_err("a 1 TXT \"abc", 1, "unterminated");
	expect_err("$GENERATE 1-10 h$ A 192.0.2.$\n", 1, "unknown directive");
	expect_err("$ORIGIN\n", 1, "$ORIGIN");
	expect_err("$TTL\n", 1, "$TTL");
	expect_err("@ 1 SOA ns host (\n 1 2\n 3x 4 5 )\n", 3, "time");
	expect_err("@ 1 MX 10\n", 1, "missing");
	expect_err("@ 1 MX ( 10\n\n mail extra )\n", 3, "too many");
	expect_err("@ 1 DNSKEY 257 3 8 AwEAAQ==\n", 1, "only \\#");
	expect_err("$INCLUDE other.zone\n", 1, "not allowed");
	expect_err("\"q\" 1 A 192.0.2.1\n", 1, "quoted");
}

TEST(dns_zone_callback_reject)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	uint8_t o[DNS_NAME_MAX];
	dns_name_from_text("example.com.", 12, NULL, o, NULL);
	dns_zone_init(&zone, o, collect, &s);
	s.reject_at = 2;
	static const char z[] = "a 1 A 192.0.2.1\n\nb 1 A 192.0.2.2\n"
	    "c 1 A 192.0.2.3\n";
	ok(dns_zone_parse(&zone, "r.zone", z, sizeof(z) - 1) == DNS_ERR &&
	    zone.err_line == 3 && strcmp(zone.err, "rejected 1") == 0 &&
	    zone.nrecords == 1, "callback stops the parse at line %u: %s",
	    zone.err_line, zone.err);
}

/* $INCLUDE: a small virtual file system. */
static const struct {
	const char *path;
	const char *data;
} vfs[] = {
	{ "hosts.inc", "h1 1 A 192.0.2.11\n  1 A 192.0.2.12\n$ORIGIN x.\n"
	    "h2 1 A 192.0.2.13\n" },
	{ "owner.inc", "  1 TXT \"same owner\"\n" },
	{ "bad.inc", "ok 1 A 192.0.2.1\nbad 1 A 300.0.0.1\n" },
	{ "self.inc", "$INCLUDE self.inc\n" },
	{ "dir/a.inc", "$INCLUDE \"b.inc\"\n" },
	{ "dir/b.inc", "deep 1 A 192.0.2.99\n" },
};

struct vfs_state {
	struct seen s;
	int opened, closed;
	char from[8][64];
};

static int
vfs_open(void *arg, const char *path, const char *from, const char **data,
    size_t *len, void **handle, char *err, size_t errlen)
{
	struct vfs_state *v = arg;
	char full[128];

	/* relative to the including file's directory, as a server would */
	const char *slash = strrchr(from, '/');
	if (slash != NULL && path[0] != '/')
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - from),
		    from, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	for (size_t i = 0; i < sizeof(vfs) / sizeof(vfs[0]); i++) {
		if (strcmp(vfs[i].path, full) == 0) {
			*data = vfs[i].data;
			*len = strlen(vfs[i].data);
			*handle = (void *)&vfs[i];
			if (v->opened < 8)
				snprintf(v->from[v->opened], 64, "%s", from);
			v->opened++;
			return 0;
		}
	}
	snprintf(err, errlen, "no such file");
	return 1;
}

static void
vfs_close(void *arg, void *handle)
{
	struct vfs_state *v = arg;

	v->closed++;
}

static int
collect_vfs(struct dns_zone *z, void *arg, const struct dns_rr *rr,
    const char *file, unsigned line)
{
	struct vfs_state *v = arg;

	return collect(z, &v->s, rr, file, line);
}

static int
load_vfs(const char *file, const char *text, struct vfs_state *v)
{
	uint8_t o[DNS_NAME_MAX];

	memset(v, 0, sizeof(*v));
	dns_name_from_text("example.com.", 12, NULL, o, NULL);
	dns_zone_init(&zone, o, collect_vfs, v);
	zone.open = vfs_open;
	zone.close = vfs_close;
	return dns_zone_parse(&zone, file, text, strlen(text));
}

TEST(dns_zone_include)
{
	static struct vfs_state v;
	int r;

	/* the include reads with our origin; its $ORIGIN stays inside it */
	r = load_vfs("main.zone", "a 1 A 192.0.2.1\n"
	    "$INCLUDE hosts.inc ; with a comment\n"
	    "b 1 A 192.0.2.2\n"
	    "$INCLUDE hosts.inc sub\n"
	    "  1 A 192.0.2.3\n", &v);
	ok(r == DNS_OK && strcmp(v.s.text,
	    "a.example.com.\t\t1\tIN\tA\t192.0.2.1\n"
	    "h1.example.com.\t\t1\tIN\tA\t192.0.2.11\n"
	    "h1.example.com.\t\t1\tIN\tA\t192.0.2.12\n"
	    "h2.x.\t\t\t1\tIN\tA\t192.0.2.13\n"
	    "b.example.com.\t\t1\tIN\tA\t192.0.2.2\n"
	    "h1.sub.example.com.\t1\tIN\tA\t192.0.2.11\n"
	    "h1.sub.example.com.\t1\tIN\tA\t192.0.2.12\n"
	    "h2.x.\t\t\t1\tIN\tA\t192.0.2.13\n"
	    "b.example.com.\t\t1\tIN\tA\t192.0.2.3\n") == 0,
	    "includes (%d %u %s):\n%s", r, zone.err_line, zone.err, v.s.text);
	ok(v.opened == 2 && v.closed == 2, "opened %d closed %d", v.opened,
	    v.closed);
	ok(v.s.n == 9 && strcmp(v.s.files[1], "hosts.inc") == 0 &&
	    v.s.lines[1] == 1 && v.s.lines[3] == 4 &&
	    strcmp(v.s.files[4], "main.zone") == 0 && v.s.lines[4] == 3,
	    "file and line of each record");

	/* the included file continues the current owner */
	r = load_vfs("main.zone", "o 1 A 192.0.2.1\n$INCLUDE owner.inc\n", &v);
	ok(r == DNS_OK && strstr(v.s.text, "o.example.com.\t\t1\tIN\tTXT"),
	    "owner carried into the include: %s", v.s.text);

	/* nested, relative to the including file's directory */
	r = load_vfs("main.zone", "$INCLUDE dir/a.inc\n", &v);
	ok(r == DNS_OK && v.s.n == 1 && strcmp(v.from[1], "dir/a.inc") == 0,
	    "nested include: %d %s", r, zone.err);

	/* errors name the included file and its line */
	r = load_vfs("main.zone", "x 1 A 192.0.2.1\n$INCLUDE bad.inc\n", &v);
	ok(r == DNS_ERR && zone.err_line == 2 &&
	    strcmp(zone.err_file, "bad.inc") == 0 && strstr(zone.err, "IPv4")
	    && v.closed == v.opened, "error inside include: %s:%u: %s",
	    zone.err_file, zone.err_line, zone.err);
	r = load_vfs("main.zone", "\n$INCLUDE nothere.inc\n", &v);
	ok(r == DNS_ERR && zone.err_line == 2 &&
	    strcmp(zone.err_file, "main.zone") == 0 &&
	    strstr(zone.err, "nothere.inc: no such file"),
	    "open failure: %s", zone.err);
	r = load_vfs("main.zone", "$INCLUDE self.inc\n", &v);
	ok(r == DNS_ERR && strstr(zone.err, "nested") &&
	    v.opened == DNS_ZONE_MAX_DEPTH && v.closed == v.opened,
	    "include depth guarded: %s (%d opened)", zone.err, v.opened);
	static char wide[300 * 20];
	size_t o = 0;
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(wide + o, sizeof(wide) - o,
		    "$INCLUDE hosts.inc\n");
	r = load_vfs("main.zone", wide, &v);
	ok(r == DNS_ERR && strstr(zone.err, "more than 256") &&
	    v.opened == DNS_ZONE_MAX_INCLUDES && zone.err_line == 257,
	    "include count guarded: %u: %s", zone.err_line, zone.err);
	r = load_vfs("main.zone", "$INCLUDE\n", &v);
	ok(r == DNS_ERR && strstr(zone.err, "file name"), "no file name");
	r = load_vfs("main.zone", "$INCLUDE \"\"\n", &v);
	ok(r == DNS_ERR && strstr(zone.err, "empty"), "empty file name");
	r = load_vfs("main.zone", "$INCLUDE \"dir/\\a.inc\"\n", &v);
	ok(r == DNS_OK && v.s.n == 1, "quoted path with an escape: %s",
	    zone.err);
	r = load_vfs("main.zone", "$INCLUDE a b c\n", &v);
	ok(r == DNS_ERR && strstr(zone.err, "file name"), "too many args");
}

TEST(dns_zone_guard)
{
	static struct seen s;
	size_t n = strlen(fixture);

	/* the fixture cut at every length, at the end of a page */
	int crashes_would_show = 0;
	for (size_t k = 0; k <= n; k++) {
		const char *g = test_guard(fixture, k);
		memset(&s, 0, sizeof(s));
		dns_zone_init(&zone, NULL, collect, &s);
		int r = dns_zone_parse(&zone, "cut", g, k);
		if (r != DNS_OK && r != DNS_ERR)
			crashes_would_show++;
	}
	ok(crashes_would_show == 0, "every prefix parses or fails cleanly");
	memset(&s, 0, sizeof(s));
	dns_zone_init(&zone, NULL, collect, &s);
	ok(dns_zone_parse(&zone, "x", test_guard(fixture, n), n) == DNS_OK &&
	    s.n == 27, "whole fixture at a page end");
}
