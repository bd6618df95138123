/* Tests for HTTP dates, ranges, entity tags and the small helpers. */
#include <string.h>

#include "http/http_parse.h"
#include "test.h"
#include "http/http_date.h"
#include "http/http_field.h"
#include "http/http_names.h"

#define SLICE_INIT(s) { (const uint8_t *)(s), sizeof(s) - 1 }

static int
date(const char *s, time_t *t)
{
	size_t n = strlen(s);

	return http_date_parse(slice_make(test_guard(s, n), n), t);
}

TEST(http_date_format)
{
	char buf[HTTP_DATE_LEN + 1];

	ok(http_date_format(784111777, buf) == 29 &&
	    strcmp(buf, "Sun, 06 Nov 1994 08:49:37 GMT") == 0, "RFC example");
	ok(http_date_format(0, buf) == 29 &&
	    strcmp(buf, "Thu, 01 Jan 1970 00:00:00 GMT") == 0, "epoch");
	ok(http_date_format(951782400, buf) == 29 &&
	    strcmp(buf, "Tue, 29 Feb 2000 00:00:00 GMT") == 0, "leap day");
	ok(http_date_format((time_t)253402300799LL, buf) == 29 &&
	    strcmp(buf, "Fri, 31 Dec 9999 23:59:59 GMT") == 0, "year 9999");
	ok(http_date_format((time_t)253402300800LL, buf) == -1, "year 10000");
}

TEST(http_date_parse_forms)
{
	time_t t = 0;

	ok(date("Sun, 06 Nov 1994 08:49:37 GMT", &t) == 0 && t == 784111777,
	    "IMF-fixdate");
	ok(date("Sunday, 06-Nov-94 08:49:37 GMT", &t) == 0 && t == 784111777,
	    "RFC 850");
	ok(date("Sun Nov  6 08:49:37 1994", &t) == 0 && t == 784111777,
	    "asctime");
	ok(date("Sun Nov 16 08:49:37 1994", &t) == 0 && t == 784111777 +
	    10 * 86400, "asctime, two-digit day");
	ok(date("Thu, 01 Jan 1970 00:00:00 GMT", &t) == 0 && t == 0, "epoch");
	ok(date("Wed, 31 Dec 1969 23:59:59 GMT", &t) == 0 && t == -1,
	    "one second before the epoch is not an error");
	ok(date("Tue, 29 Feb 2000 00:00:00 GMT", &t) == 0 && t == 951782400,
	    "leap day");
	ok(date("Wednesday, 01-Jan-20 00:00:00 GMT", &t) == 0 &&
	    t == 1577836800, "RFC 850 in this century");
	/* The weekday is not cross-checked: a wrong one is still a date. */
	ok(date("Mon, 06 Nov 1994 08:49:37 GMT", &t) == 0 && t == 784111777,
	    "weekday not checked");
}

TEST(http_date_parse_errors)
{
	const char *bad[] = {
		"",
		"Sun",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 gmt",
		"sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49 GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 23:60:00 GMT",
		"Sun, 06 Nov 1994 23:59:61 GMT",
		"Sun, 31 Feb 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 32 Jan 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		" Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun,  06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMTX",
		"Sun, 06 Nov 1994 08:49:37",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sunday, 06 Nov 94 08:49:37 GMT",
		"Sundae, 06-Nov-94 08:49:37 GMT",
		"Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 94",
		"Sun Nov 06 08:49:37 1994 GMT",
		"Sun Nov  6 08:49:37 1994 ",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 0x Nov 1994 08:49:37 GMT",
		"Sun, -6 Nov 1994 08:49:37 GMT",
		"1994-11-06T08:49:37Z",
		"784111777",
	};
	time_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(date(bad[i], &t) == -1, "date %zu \"%s\" refused", i, bad[i]);
}

TEST(http_date_round_trip)
{
	static const long long ts[] = {
		0, 1, 59, 86399, 86400, 784111777, 951782400, 951868799,
		1234567890, 2147483647, 2147483648LL, 4102444800LL,
		4107542399LL, 253402300799LL,
	};
	char buf[HTTP_DATE_LEN + 1];

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		time_t t = (time_t)ts[i], back = 0;
		ok(http_date_format(t, buf) == 29 &&
		    http_date_parse(slice_cstr(buf), &back) == 0 && back == t,
		    "round trip %lld (%s)", ts[i], buf);
	}
	/* Every day of four years, at a varying time of day. */
	{
		int bad = 0;
		for (long long d = 0; d < 4 * 366; d++) {
			time_t t = (time_t)(946684800LL + d * 86400 + d * 37 %
			    86400), back = 0;
			if (http_date_format(t, buf) != 29 ||
			    http_date_parse(slice_cstr(buf), &back) != 0 ||
			    back != t)
				bad++;
		}
		ok(bad == 0, "every day of 2000-2003");
	}
}

static int
range(const char *v, uint64_t size, uint64_t *a, uint64_t *b)
{
	size_t n = strlen(v);

	*a = *b = 12345;
	return http_parse_range(slice_make(test_guard(v, n), n), size, a, b);
}

TEST(http_range)
{
	uint64_t a, b;

	ok(range("bytes=0-499", 1000, &a, &b) == 1 && a == 0 && b == 499,
	    "first 500");
	ok(range("bytes=500-999", 1000, &a, &b) == 1 && a == 500 && b == 999,
	    "second 500");
	ok(range("bytes=500-", 1000, &a, &b) == 1 && a == 500 && b == 999,
	    "open end");
	ok(range("bytes=-200", 1000, &a, &b) == 1 && a == 800 && b == 999,
	    "suffix");
	ok(range("bytes=-2000", 1000, &a, &b) == 1 && a == 0 && b == 999,
	    "suffix longer than the file");
	ok(range("bytes=900-5000", 1000, &a, &b) == 1 && a == 900 &&
	    b == 999, "last clamped");
	ok(range("bytes=0-0", 1000, &a, &b) == 1 && a == 0 && b == 0,
	    "one byte");
	ok(range("bytes=999-999", 1000, &a, &b) == 1 && a == 999 && b == 999,
	    "last byte");
	ok(range("Bytes=1-2", 1000, &a, &b) == 1 && a == 1 && b == 2,
	    "unit is case-insensitive");
	ok(range("bytes=0-99999999999999999999999", 1000, &a, &b) == 1 &&
	    a == 0 && b == 999, "huge last clamps");
	ok(range("bytes=-99999999999999999999999", 1000, &a, &b) == 1 &&
	    a == 0 && b == 999, "huge suffix is the whole file");
	ok(range("bytes=0-", 1, &a, &b) == 1 && a == 0 && b == 0, "size 1");
}

TEST(http_range_unsatisfiable)
{
	uint64_t a, b;

	ok(range("bytes=1000-", 1000, &a, &b) == -1, "first == size");
	ok(range("bytes=1000-2000", 1000, &a, &b) == -1, "past the end");
	ok(range("bytes=99999999999999999999-", 1000, &a, &b) == -1,
	    "huge first");
	ok(range("bytes=-0", 1000, &a, &b) == -1, "empty suffix");
	ok(range("bytes=0-", 0, &a, &b) == -1, "empty file");
	ok(range("bytes=-5", 0, &a, &b) == -1, "suffix of an empty file");
}

TEST(http_range_ignored)
{
	const char *ign[] = {
		"", "bytes", "bytes=", "bytes=-", "bytes=5-2", "bytes=0-1,5-6",
		"bytes=0-1, 5-6", "bytes=-1,0-0", "items=0-1", "bytes 0-1",
		"bytes=0-1x", "bytes=1", "bytes=a-b", "bytes= 0-1",
		"bytes=0 -1", "bytes=0- 1", "bytes=--1", "bytes=-1-2",
		"bytes=+1-2", "bytes=0x1-2", "bytes0-1", "bytes==0-1",
		"bytesx=0-1",
	};
	uint64_t a, b;

	for (size_t i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		ok(range(ign[i], 1000, &a, &b) == 0 && a == 12345,
		    "range \"%s\" ignored", ign[i]);
}

static bool
etag(const char *list, const char *tag, bool weak)
{
	return http_etag_match(slice_cstr(list), slice_cstr(tag), weak);
}

TEST(http_etag)
{
	ok(etag("\"abc\"", "\"abc\"", true), "same");
	ok(etag("\"abc\"", "\"abc\"", false), "same, strong");
	ok(!etag("\"abd\"", "\"abc\"", true), "different");
	ok(!etag("\"ab\"", "\"abc\"", true), "prefix");
	ok(!etag("\"abcd\"", "\"abc\"", true), "longer");
	ok(etag("W/\"abc\"", "\"abc\"", true), "weak list, strong tag");
	ok(etag("\"abc\"", "W/\"abc\"", true), "strong list, weak tag");
	ok(!etag("W/\"abc\"", "\"abc\"", false), "weak never matches strong");
	ok(!etag("W/\"abc\"", "W/\"abc\"", false), "even two weak");
	ok(etag("\"x\", \"abc\"", "\"abc\"", true), "list");
	ok(etag("\"x\",W/\"abc\" ,\"y\"", "\"abc\"", true), "list, no spaces");
	ok(etag("\"a,b\", \"c\"", "\"a,b\"", true), "comma inside a tag");
	ok(!etag("\"a,b\"", "\"a\"", true), "comma does not split a tag");
	ok(etag("*", "\"abc\"", true), "star");
	ok(etag(" *", "\"abc\"", false), "star, strong");
	ok(etag("\"\"", "\"\"", true), "empty tag");
	ok(!etag("abc", "\"abc\"", true), "unquoted list");
	ok(!etag("\"abc", "\"abc\"", true), "unterminated");
	ok(!etag("\"abc\"", "abc", true), "bad server tag");
	ok(!etag("", "\"abc\"", true), "empty list");
	ok(!etag("w/\"abc\"", "\"abc\"", true), "lower-case w/");
	ok(!etag("\"x\" \"abc\"", "\"abc\"", true), "missing comma");
	ok(!etag("\"x\", *", "\"abc\"", true), "star inside a list");
	ok(!etag("\"a b\"", "\"a b\"", true), "space is not etagc");
}

TEST(http_token_list)
{
	ok(http_token_list_has(slice_cstr("keep-alive, Upgrade"), "upgrade"),
	    "second");
	ok(http_token_list_has(slice_cstr("keep-alive, Upgrade"), "KEEP-ALIVE"),
	    "first");
	ok(!http_token_list_has(slice_cstr("keep-alive, Upgrade"), "close"),
	    "absent");
	ok(http_token_list_has(slice_cstr(" , ,close ,"), "close"), "empties");
	ok(http_token_list_has(slice_cstr("gzip;q=0.5, br"), "gzip"),
	    "parameters ignored");
	ok(http_token_list_has(slice_cstr("gzip;q=0.5, br"), "br"), "br");
	ok(!http_token_list_has(slice_cstr("gzipx"), "gzip"), "prefix");
	ok(!http_token_list_has(slice_cstr("x; a=\"gzip, br\""), "br"),
	    "quoted comma");
	ok(!http_token_list_has(slice_cstr(""), "x"), "empty");
}

TEST(http_header_lookup)
{
	struct http_header h[4] = {
		{ SLICE_INIT("Host"), SLICE_INIT("a") },
		{ SLICE_INIT("Accept"), SLICE_INIT("x") },
		{ SLICE_INIT("accept"), SLICE_INIT("y") },
		{ SLICE_INIT("Cookie"), SLICE_INIT("z") },
	};
	const struct http_header *f;
	size_t i;

	f = http_header_find(h, 4, "ACCEPT");
	ok(f == &h[1], "first match, any case");
	ok(http_header_find(h, 4, "Accep") == NULL, "no prefix match");
	ok(http_header_find(h, 0, "Host") == NULL, "empty array");
	i = http_header_next(h, 4, 0, "accept");
	ok(i == 1, "next from 0");
	i = http_header_next(h, 4, i + 1, "accept");
	ok(i == 2, "next repeated");
	i = http_header_next(h, 4, i + 1, "accept");
	ok(i == 4, "then none");
}

TEST(http_names)
{
	ok(strcmp(http_status_reason(200), "OK") == 0, "200");
	ok(strcmp(http_status_reason(404), "Not Found") == 0, "404");
	ok(strcmp(http_status_reason(416), "Range Not Satisfiable") == 0,
	    "416");
	ok(strcmp(http_status_reason(431),
	    "Request Header Fields Too Large") == 0, "431");
	ok(strcmp(http_status_reason(505), "HTTP Version Not Supported") == 0,
	    "505");
	ok(strcmp(http_status_reason(799), "Unknown") == 0, "unknown");
	ok(strcmp(http_status_reason(-1), "Unknown") == 0, "negative");
	for (int m = HTTP_METHOD_GET; m < HTTP_METHOD_UNKNOWN; m++) {
		const char *name = http_method_name((enum http_method)m);
		ok(http_method_from(slice_cstr(name)) == (enum http_method)m,
		    "method %s round trip", name);
	}
	ok(strcmp(http_method_name(HTTP_METHOD_UNKNOWN), "UNKNOWN") == 0,
	    "unknown");
	ok(http_method_from(slice_cstr("get")) == HTTP_METHOD_UNKNOWN,
	    "case-sensitive");
	ok(http_method_from(slice_cstr("GETX")) == HTTP_METHOD_UNKNOWN,
	    "no prefix");
	ok(http_method_from(slice_cstr("")) == HTTP_METHOD_UNKNOWN, "empty");
	ok(http_is_tchar('!') && http_is_tchar('~') && !http_is_tchar(':') &&
	    !http_is_tchar(' ') && !http_is_tchar(0x80) &&
	    !http_is_tchar('\0'), "tchar");
}
