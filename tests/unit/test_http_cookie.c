/* Tests for the cookie jar (RFC 6265): Set-Cookie parsing, cookie-dates,
 * domain and path matching, storage rules, the Cookie header, and the
 * Netscape cookie file that curl reads and writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http_client.h"
#include "test.h"

static int
parse(const char *s, struct http_client_cookie_set *c)
{
	size_t n = strlen(s);

	return http_client_cookie_parse(test_guard(s, n), n, c);
}

TEST(http_client_cookie_parse_basic)
{
	struct http_client_cookie_set c;

	ok(parse("sid=abc123", &c) == 0 && slice_eq(c.name, "sid") &&
	    slice_eq(c.value, "abc123") && !c.has_domain && !c.has_path &&
	    !c.has_expires && !c.has_max_age && !c.secure && !c.http_only,
	    "name=value");
	ok(parse(" a = b c ; Path=/x ; Domain=.Example.com; Secure; "
	    "HttpOnly; SameSite=Lax", &c) == 0 && slice_eq(c.name, "a") &&
	    slice_eq(c.value, "b c") && c.has_path && slice_eq(c.path, "/x") &&
	    c.has_domain && slice_eq(c.domain, "Example.com") && c.secure &&
	    c.http_only, "attributes, whitespace, leading dot");
	ok(parse("a=", &c) == 0 && c.value.n == 0, "empty value");
	ok(parse("a=b=c", &c) == 0 && slice_eq(c.value, "b=c"),
	    "'=' in the value");
	ok(parse("a=\"quoted\"", &c) == 0 && slice_eq(c.value, "\"quoted\""),
	    "quotes kept");
	ok(parse("noequals", &c) == -1, "no '=' is ignored");
	ok(parse("=value", &c) == -1, "empty name is ignored");
	ok(parse(" =value; Path=/", &c) == -1, "blank name is ignored");
	ok(parse("a=b\x01", &c) == -1, "control in the value");
	ok(parse("a\tb=c", &c) == -1, "tab in the name");
	ok(parse("", &c) == -1, "empty");
	ok(parse(";", &c) == -1, "only ';'");
}

TEST(http_client_cookie_parse_attrs)
{
	struct http_client_cookie_set c;

	ok(parse("a=b; Max-Age=3600", &c) == 0 && c.has_max_age &&
	    c.max_age == 3600, "Max-Age");
	ok(parse("a=b; max-age=-5", &c) == 0 && c.has_max_age &&
	    c.max_age == -5, "negative Max-Age");
	ok(parse("a=b; Max-Age=12x", &c) == 0 && !c.has_max_age,
	    "bad Max-Age ignored");
	ok(parse("a=b; Max-Age=", &c) == 0 && !c.has_max_age,
	    "empty Max-Age ignored");
	ok(parse("a=b; Max-Age=-", &c) == 0 && !c.has_max_age, "bare '-'");
	ok(parse("a=b; Max-Age=99999999999999999999999", &c) == 0 &&
	    c.has_max_age && c.max_age > 0, "huge Max-Age does not wrap");
	ok(parse("a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT", &c) == 0 &&
	    c.has_expires && c.expires == 1445412480, "Expires");
	ok(parse("a=b; Expires=never", &c) == 0 && !c.has_expires,
	    "bad Expires ignored");
	ok(parse("a=b; Domain=", &c) == 0 && !c.has_domain,
	    "empty Domain ignored");
	ok(parse("a=b; Domain=.", &c) == 0 && !c.has_domain, "Domain=.");
	ok(parse("a=b; Path=relative", &c) == 0 && !c.has_path,
	    "a relative Path means default-path");
	ok(parse("a=b; Path=/one; Path=/two", &c) == 0 &&
	    slice_eq(c.path, "/two"), "the last attribute wins");
	ok(parse("a=b; Path=/x; Path=", &c) == 0 && !c.has_path,
	    "a later empty Path resets to default-path");
	ok(parse("a=b; ;;; Secure", &c) == 0 && c.secure, "empty attributes");
}

static time_t
date(const char *s)
{
	time_t t = -1;
	size_t n = strlen(s);

	if (http_client_cookie_date_parse(test_guard(s, n), n, &t) < 0)
		return -1;
	return t;
}

TEST(http_client_cookie_dates)
{
	ok(date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777, "IMF-fixdate");
	ok(date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777, "RFC 850");
	ok(date("Sun Nov  6 08:49:37 1994") == 784111777, "asctime");
	ok(date("6 nov 1994 8:49:37") == 784111777, "loose, one digit");
	ok(date("Thu, 01-Jan-1970 00:00:00 GMT") == 0, "epoch");
	ok(date("Wed, 01 Jan 2070 00:00:00 GMT") == 3155760000LL, "2070");
	ok(date("01 Jan 69 00:00:00") == 3124224000LL, "69 is 2069");
	ok(date("01 Jan 70 00:00:00") == 0, "70 is 1970");
	ok(date("Fri, 31 Dec 9999 23:59:59 GMT") == 253402300799LL,
	    "year 9999");
	ok(date("Mon, 29 Feb 2016 00:00:00 GMT") > 0, "leap day");
	ok(date("Tue, 29 Feb 2015 00:00:00 GMT") == -1, "no such leap day");
	ok(date("Tue, 30 Feb 2016 00:00:00 GMT") == -1, "Feb 30");
	ok(date("Tue, 32 Jan 2016 00:00:00 GMT") == -1, "day 32");
	ok(date("Tue, 01 Jan 2016 24:00:00 GMT") == -1, "hour 24");
	ok(date("Tue, 01 Jan 1600 00:00:00 GMT") == -1, "before 1601");
	ok(date("Tue, 01 Jan 2016") == -1, "no time");
	ok(date("01:02:03") == -1, "only a time");
	ok(date("") == -1, "empty");
	ok(date("00:00:00 1 January 2000 extra words") == 946684800,
	    "month name prefix and trailing words");
}

TEST(http_client_cookie_domain_match)
{
	ok(http_client_cookie_domain_match("example.com", "example.com"),
	    "same");
	ok(http_client_cookie_domain_match("www.example.com", "example.com"),
	    "subdomain");
	ok(http_client_cookie_domain_match("WWW.Example.COM", "example.com"),
	    "case");
	ok(!http_client_cookie_domain_match("badexample.com", "example.com"),
	    "not at a dot");
	ok(!http_client_cookie_domain_match("example.com", "www.example.com"),
	    "parent of the domain");
	ok(!http_client_cookie_domain_match("1.2.3.4", "2.3.4"), "IPv4 suffix");
	ok(http_client_cookie_domain_match("127.0.0.1", "127.0.0.1"),
	    "same IPv4");
	ok(!http_client_cookie_domain_match("x", ""), "empty domain");
}

TEST(http_client_cookie_path_match)
{
	ok(http_client_cookie_path_match("/", 1, "/"), "root");
	ok(http_client_cookie_path_match("/anything/x", 11, "/"),
	    "root prefix");
	ok(http_client_cookie_path_match("/foo", 4, "/foo"), "same");
	ok(http_client_cookie_path_match("/foo/bar", 8, "/foo"), "next is '/'");
	ok(http_client_cookie_path_match("/foo/bar", 8, "/foo/"),
	    "ends with '/'");
	ok(!http_client_cookie_path_match("/foobar", 7, "/foo"),
	    "not a segment");
	ok(!http_client_cookie_path_match("/fo", 3, "/foo"), "shorter");
	ok(!http_client_cookie_path_match("/Foo", 4, "/foo"), "case-sensitive");
}

TEST(http_client_cookie_default_path)
{
	struct slice s;

	s = http_client_cookie_default_path("", 0);
	ok(slice_eq(s, "/"), "empty");
	s = http_client_cookie_default_path("x", 1);
	ok(slice_eq(s, "/"), "relative");
	s = http_client_cookie_default_path("/", 1);
	ok(slice_eq(s, "/"), "root");
	s = http_client_cookie_default_path("/a", 2);
	ok(slice_eq(s, "/"), "one segment");
	s = http_client_cookie_default_path("/a/b", 4);
	ok(slice_eq(s, "/a"), "two segments");
	s = http_client_cookie_default_path("/a/b/", 5);
	ok(slice_eq(s, "/a/b"), "trailing slash");
}

static int
jset(struct http_client_cookie_jar *j, const char *host, const char *path,
    const char *v, time_t now)
{
	return http_client_cookie_jar_set(j, host, path, strlen(path),
	    (const uint8_t *)v, strlen(v), now);
}

static const char *
jget(struct http_client_cookie_jar *j, const char *host, const char *path,
    bool secure, time_t now)
{
	static char out[4096];

	if (http_client_cookie_jar_header(j, host, path, strlen(path), secure,
	    now, out, sizeof(out)) < 0)
		return "(error)";
	return out;
}

TEST(http_client_cookie_jar_rules)
{
	struct http_client_cookie_jar j;
	time_t now = 1700000000;

	http_client_cookie_jar_init(&j);
	ok(jset(&j, "www.example.com", "/dir/page", "a=1", now) == 1,
	    "host-only with default path");
	ok(j.n == 1 && j.c[0].host_only && strcmp(j.c[0].path, "/dir") == 0 &&
	    strcmp(j.c[0].domain, "www.example.com") == 0 &&
	    j.c[0].expires == 0, "stored fields");
	ok(strcmp(jget(&j, "www.example.com", "/dir/x", false, now),
	    "a=1") == 0,
	    "sent on its path");
	ok(strcmp(jget(&j, "www.example.com", "/other", false, now), "") == 0,
	    "not on another path");
	ok(strcmp(jget(&j, "sub.www.example.com", "/dir", false, now), "") == 0,
	    "host-only: not to a subdomain");

	ok(jset(&j, "www.example.com", "/", "b=2; Domain=EXAMPLE.com; "
	    "Path=/", now) == 1, "domain cookie");
	ok(strcmp(jget(&j, "x.example.com", "/", false, now), "b=2") == 0,
	    "domain cookie to a sibling");
	ok(jset(&j, "www.example.com", "/", "c=3; Domain=other.com", now) == 0,
	    "a foreign Domain is refused");
	ok(jset(&j, "www.example.com", "/", "c=3; Domain=com", now) == 0,
	    "a dotless Domain is refused");
	ok(jset(&j, "www.example.com", "/", "c=3; Domain=ww.example.com",
	    now) == 0, "a Domain the host does not end in");
	ok(jset(&j, "localhost", "/", "c=3; Domain=localhost", now) == 1 &&
	    j.c[j.n - 1].host_only, "Domain equal to a dotless host");
	ok(jset(&j, "www.example.com", "/", "s=1; Secure", now) == 1,
	    "secure cookie stored");
	ok(strcmp(jget(&j, "www.example.com", "/", false, now), "b=2") == 0,
	    "secure cookie not sent over http");
	ok(strcmp(jget(&j, "www.example.com", "/", true, now), "b=2; s=1") == 0,
	    "secure cookie sent over https");

	/* ordering: longer paths first, then older first */
	ok(jset(&j, "www.example.com", "/", "z=0; Path=/dir/deeper", now) == 1,
	    "deep path");
	ok(strcmp(jget(&j, "www.example.com", "/dir/deeper/x", false, now),
	    "z=0; a=1; b=2") == 0, "order: %s",
	    jget(&j, "www.example.com", "/dir/deeper/x", false, now));

	/* replacement keeps the creation order; deletion */
	ok(jset(&j, "www.example.com", "/dir/q", "a=new", now) == 1 &&
	    strcmp(jget(&j, "www.example.com", "/dir/deeper/x", false, now),
	    "z=0; a=new; b=2") == 0, "replaced in place");
	size_t before = j.n;
	ok(jset(&j, "www.example.com", "/dir/q", "a=gone; Max-Age=0",
	    now) == 0 &&
	    j.n == before - 1, "Max-Age=0 deletes");
	ok(jset(&j, "www.example.com", "/", "b=x; Domain=example.com; "
	    "Expires=Thu, 01 Jan 1970 00:00:01 GMT", now) == 0 &&
	    j.n == before - 2, "a past Expires deletes");

	/* expiry */
	ok(jset(&j, "h", "/", "t=1; Max-Age=10", now) == 1 &&
	    j.c[j.n - 1].expires == now + 10, "Max-Age sets the expiry");
	ok(strcmp(jget(&j, "h", "/", false, now + 9), "t=1") == 0 &&
	    strcmp(jget(&j, "h", "/", false, now + 10), "") == 0,
	    "expired cookies are not sent");
	ok(jset(&j, "h", "/", "u=1; Expires=Wed, 01 Jan 2070 00:00:00 GMT; "
	    "Max-Age=5", now) == 1 && j.c[j.n - 1].expires == now + 5,
	    "Max-Age wins over Expires");
	http_client_cookie_jar_free(&j);
}

TEST(http_client_cookie_jar_full)
{
	struct http_client_cookie_jar j;
	char v[64];

	http_client_cookie_jar_init(&j);
	for (int i = 0; i < HTTP_CLIENT_COOKIE_JAR_MAX + 10; i++) {
		snprintf(v, sizeof(v), "c%d=%d", i, i);
		jset(&j, "h", "/", v, 1);
	}
	ok(j.n == HTTP_CLIENT_COOKIE_JAR_MAX, "bounded: %zu", j.n);
	ok(strcmp(j.c[j.n - 1].name, "c3009") == 0, "newest kept");
	bool oldest = false;
	for (size_t i = 0; i < j.n; i++)
		oldest |= strcmp(j.c[i].name, "c0") == 0;
	ok(!oldest, "oldest evicted");
	http_client_cookie_jar_free(&j);
}

static int
line(const char *s, struct http_client_cookie_line *l)
{
	size_t n = strlen(s);

	return http_client_cookie_file_line(test_guard(s, n), n, l);
}

TEST(http_client_cookie_file_lines)
{
	struct http_client_cookie_line l;

	ok(line(".example.com\tTRUE\t/\tFALSE\t2147483647\tsid\tabc",
	    &l) == 1 &&
	    slice_eq(l.domain, ".example.com") && l.subdomains &&
	    slice_eq(l.path, "/") && !l.secure && l.expires == 2147483647 &&
	    slice_eq(l.name, "sid") && slice_eq(l.value, "abc") &&
	    !l.http_only, "curl's domain cookie");
	ok(line("#HttpOnly_127.0.0.1\tFALSE\t/p\tTRUE\t0\tn\tv\r", &l) == 1 &&
	    l.http_only && slice_eq(l.domain, "127.0.0.1") && !l.subdomains &&
	    l.secure && l.expires == 0 && slice_eq(l.value, "v"),
	    "HttpOnly, session, CR");
	ok(line("h\tFALSE\t/\tFALSE\t0\tempty\t", &l) == 1 && l.value.n == 0,
	    "empty value");
	ok(line("h\tFALSE\t/\tFALSE\t0\tempty", &l) == 1 && l.value.n == 0,
	    "six fields (curl writes no value)");
	ok(line("# Netscape HTTP Cookie File", &l) == 0, "comment");
	ok(line("", &l) == 0 && line("   ", &l) == 0, "blank");
	ok(line("h\tFALSE\t/\tFALSE\t0", &l) == -1, "five fields");
	ok(line("h\tMAYBE\t/\tFALSE\t0\tn\tv", &l) == -1, "bad flag");
	ok(line("h\tFALSE\t/\tFALSE\t-1\tn\tv", &l) == -1, "negative expiry");
	ok(line("h\tFALSE\t/\tFALSE\t12x\tn\tv", &l) == -1, "bad expiry");
	ok(line("h\tFALSE\trel\tFALSE\t0\tn\tv", &l) == -1, "relative path");
	ok(line("\tFALSE\t/\tFALSE\t0\tn\tv", &l) == -1, "empty domain");
	ok(line("h\tFALSE\t/\tFALSE\t0\t\tv", &l) == -1, "empty name");
	ok(line("h\tFALSE\t/\tFALSE\t0\tn\tv\textra", &l) == -1,
	    "a tab in the value");
}

TEST(http_client_cookie_file_format)
{
	struct http_client_cookie c = { "sid", "abc", "example.com", "/", 0, 1,
	    false, false, false };
	char out[256];

	ok(http_client_cookie_file_format(&c, out, sizeof(out)) > 0 &&
	    strcmp(out, ".example.com\tTRUE\t/\tFALSE\t0\tsid\tabc") == 0,
	    "domain cookie: %s", out);
	c.host_only = true;
	c.http_only = true;
	c.secure = true;
	c.expires = 1999999999;
	ok(http_client_cookie_file_format(&c, out, sizeof(out)) > 0 &&
	    strcmp(out, "#HttpOnly_example.com\tFALSE\t/\tTRUE\t1999999999\t"
	    "sid\tabc") == 0, "host-only, HttpOnly, secure: %s", out);
	ok(http_client_cookie_file_format(&c, out, 10) == -1, "does not fit");

	/* the round trip: format, parse, add */
	struct http_client_cookie_line l;
	struct http_client_cookie_jar j;
	ok(http_client_cookie_file_format(&c, out, sizeof(out)) > 0 &&
	    http_client_cookie_file_line((const uint8_t *)out, strlen(out),
	        &l) == 1,
	    "parses back");
	http_client_cookie_jar_init(&j);
	ok(http_client_cookie_jar_add_line(&j, &l, 1700000000) == 1 &&
	    j.n == 1 &&
	    j.c[0].host_only && j.c[0].http_only && j.c[0].secure &&
	    j.c[0].expires == 1999999999 &&
	    strcmp(j.c[0].domain, "example.com") == 0, "same cookie");
	l.expires = 5;
	ok(http_client_cookie_jar_add_line(&j, &l, 1700000000) == 0 && j.n == 0,
	    "an expired line replaces and is dropped");
	http_client_cookie_jar_free(&j);
}

TEST(http_client_cookie_file_roundtrip)
{
	char path[] = "/tmp/camada-cookie-XXXXXX";
	char err[256];
	struct http_client_cookie_jar j, k;
	int fd = mkstemp(path);
	FILE *f;

	ok(fd >= 0, "temp file");
	f = fdopen(fd, "w");
	fputs("# Netscape HTTP Cookie File\n"
	    "# https://curl.se/docs/http-cookies.html\n\n"
	    "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\t1\n"
	    ".example.com\tTRUE\t/x\tFALSE\t4102444800\tlong\tlived\n"
	    "#HttpOnly_example.com\tFALSE\t/\tFALSE\t4102444800\thid\tden\n"
	    "old.example\tFALSE\t/\tFALSE\t1000\texpired\tx\n"
	    "garbage line\n", f);
	fclose(f);
	http_client_cookie_jar_init(&j);
	ok(http_client_cookie_jar_load(&j, path, 1700000000, err,
	    sizeof(err)) == 3, "three loaded");
	ok(strcmp(jget(&j, "127.0.0.1", "/", false, 1700000000),
	    "session=1") == 0, "session cookie");
	ok(strcmp(jget(&j, "a.example.com", "/x/y", false, 1700000000),
	    "long=lived") == 0, "domain cookie");
	ok(strcmp(jget(&j, "example.com", "/x", false, 1700000000),
	    "long=lived; hid=den") == 0, "both");
	ok(http_client_cookie_jar_save(&j, path, 1700000000, err,
	    sizeof(err)) == 0, "saved");
	http_client_cookie_jar_init(&k);
	ok(http_client_cookie_jar_load(&k, path, 1700000000, err,
	    sizeof(err)) == 3, "loaded again");
	ok(k.n == 3 && strcmp(jget(&k, "example.com", "/x", false, 1700000000),
	    "long=lived; hid=den") == 0, "same cookies");
	http_client_cookie_jar_free(&j);
	http_client_cookie_jar_free(&k);
	unlink(path);
	http_client_cookie_jar_init(&j);
	ok(http_client_cookie_jar_load(&j, path, 1, err, sizeof(err)) == 0,
	    "a missing file is an empty jar");
	http_client_cookie_jar_free(&j);
}
