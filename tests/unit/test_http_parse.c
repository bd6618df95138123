/* Tests for the HTTP request and response head parsers. Every input goes
 * through test_guard, so any read past the end faults. */
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"
#include "test.h"
#include "http/http_field.h"

static struct http_request rq;
static struct http_response rs;

static int
req_lim(const char *s, const struct http_limits *lim)
{
	size_t n = strlen(s);

	return http_parse_request(test_guard(s, n), n, &rq, lim);
}

static int
req(const char *s)
{
	return req_lim(s, NULL);
}

static int
resp(const char *s)
{
	size_t n = strlen(s);

	return http_parse_response(test_guard(s, n), n, &rs, NULL);
}

/* Whole input must be the head: returns whether it parsed to its length. */
#define REQ_OK(s) (req(s) == (int)strlen(s))
/* Refused with this status. */
#define REQ_ERR(s, code) (req(s) == PARSE_ERR && rq.status == (code))

TEST(http_req_simple)
{
	const char *s = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
	    "User-Agent: t\r\n\r\n";

	ok(REQ_OK(s), "simple GET");
	ok(rq.status == 0, "status 0 on success");
	ok(rq.method == HTTP_METHOD_GET, "method");
	ok(slice_eq(rq.method_name, "GET"), "method name");
	ok(slice_eq(rq.target, "/index.html"), "target");
	ok(rq.form == HTTP_TARGET_ORIGIN, "origin-form");
	ok(slice_eq(rq.path, "/index.html"), "path");
	ok(!rq.has_query && rq.query.n == 0, "no query");
	ok(rq.version_minor == 1, "HTTP/1.1");
	ok(rq.nheaders == 2, "two headers");
	ok(slice_eq(rq.headers[0].name, "Host"), "name as sent");
	ok(slice_eq(rq.headers[1].value, "t"), "value");
	ok(rq.has_host && slice_eq(rq.host, "example.com"), "host");
	ok(rq.keep_alive && !rq.conn_close, "1.1 keeps alive");
	ok(!rq.has_content_length && !rq.chunked, "no body");
}

TEST(http_req_query)
{
	ok(REQ_OK("GET /a/b?x=1&y HTTP/1.1\r\nHost: h\r\n\r\n"), "query");
	ok(slice_eq(rq.path, "/a/b"), "path before ?");
	ok(rq.has_query && slice_eq(rq.query, "x=1&y"), "query after ?");
	ok(REQ_OK("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n"), "empty query");
	ok(rq.has_query && rq.query.n == 0 && slice_eq(rq.path, "/p"),
	    "has_query with empty query");
	ok(REQ_OK("GET /a?b?c HTTP/1.1\r\nHost: h\r\n\r\n"), "? in query");
	ok(slice_eq(rq.query, "b?c"), "first ? splits");
}

TEST(http_req_http10)
{
	ok(REQ_OK("GET / HTTP/1.0\r\n\r\n"), "1.0 without Host");
	ok(rq.version_minor == 0 && !rq.has_host, "1.0");
	ok(!rq.keep_alive, "1.0 closes by default");
	ok(REQ_OK("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
	    "1.0 keep-alive");
	ok(rq.keep_alive && rq.conn_keep_alive, "1.0 keep-alive honoured");
	ok(REQ_OK("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), "1.2");
	ok(rq.version_minor == 1, "1.2 handled as 1.1 (RFC 9110 2.5)");
}

TEST(http_req_connection)
{
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
	    "close");
	ok(rq.conn_close && !rq.keep_alive, "close wins");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\r\n"
	    "Connection: keep-alive, Upgrade\r\n\r\n"), "list");
	ok(rq.conn_keep_alive && rq.conn_upgrade && rq.keep_alive, "tokens");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\r\nConnection: x\r\n"
	    "Connection: CLOSE\r\n\r\n"), "two lines");
	ok(rq.conn_close, "second line counts, case-insensitive");
}

TEST(http_req_lf_only)
{
	ok(REQ_OK("GET / HTTP/1.1\nHost: h\nX: y\n\n"), "bare LF lines");
	ok(rq.nheaders == 2 && slice_eq(rq.headers[1].value, "y"), "headers");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\n\r\n"), "mixed endings");
	ok(REQ_OK("GET / HTTP/1.1\nHost: h\r\n\n"), "mixed endings 2");
}

TEST(http_req_leading_empty_lines)
{
	const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";

	ok(REQ_OK(s), "leading CRLFs skipped (RFC 9112 2.2)");
	ok(slice_eq(rq.target, "/"), "target after skip");
	ok(REQ_OK("\nGET / HTTP/1.0\n\n"), "leading LF");
	ok(req("\r\n") == PARSE_AGAIN, "only CRLF: wait");
	ok(REQ_ERR("\rGET / HTTP/1.0\r\n\r\n", 400), "leading bare CR");
}

TEST(http_req_methods)
{
	static const struct {
		const char *name;
		enum http_method m;
	} ms[] = {
		{ "GET", HTTP_METHOD_GET }, { "HEAD", HTTP_METHOD_HEAD },
		{ "POST", HTTP_METHOD_POST }, { "PUT", HTTP_METHOD_PUT },
		{ "DELETE", HTTP_METHOD_DELETE },
		{ "TRACE", HTTP_METHOD_TRACE },
		{ "PATCH", HTTP_METHOD_PATCH },
		{ "PROPFIND", HTTP_METHOD_UNKNOWN },
		{ "get", HTTP_METHOD_UNKNOWN },
		{ "X-Y_Z!", HTTP_METHOD_UNKNOWN },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		size_t l = strlen(ms[i].name);
		memcpy(buf, ms[i].name, l);
		memcpy(buf + l, " / HTTP/1.1\r\nHost: h\r\n\r\n", 25);
		ok(REQ_OK(buf), "%s parses", ms[i].name);
		ok(rq.method == ms[i].m, "%s enum", ms[i].name);
		ok(slice_eq(rq.method_name, ms[i].name), "%s name",
		    ms[i].name);
	}
	ok(REQ_OK("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), "OPTIONS *");
	ok(rq.method == HTTP_METHOD_OPTIONS &&
	    rq.form == HTTP_TARGET_ASTERISK && rq.path.n == 0, "asterisk");
	ok(REQ_OK("OPTIONS / HTTP/1.1\r\nHost: h\r\n\r\n"), "OPTIONS /");
}

TEST(http_req_target_forms)
{
	ok(REQ_OK("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\n"
	    "Host: example.com:8080\r\n\r\n"), "absolute-form");
	ok(rq.form == HTTP_TARGET_ABSOLUTE, "form");
	ok(slice_eq(rq.scheme, "http"), "scheme");
	ok(slice_eq(rq.authority, "example.com:8080"), "authority");
	ok(slice_eq(rq.path, "/a/b") && slice_eq(rq.query, "c=d"), "path");
	ok(REQ_OK("GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n"),
	    "absolute without path");
	ok(rq.path.n == 0 && slice_eq(rq.authority, "example.com"),
	    "empty path");
	ok(REQ_OK("GET http://h?q HTTP/1.1\r\nHost: x\r\n\r\n"),
	    "absolute with query, no path");
	ok(rq.path.n == 0 && slice_eq(rq.query, "q"), "query only");
	ok(REQ_OK("GET HTTPS://[::1]:443/ HTTP/1.1\r\nHost: x\r\n\r\n"),
	    "IPv6 authority");
	ok(slice_eq(rq.authority, "[::1]:443"), "v6 authority");
	ok(REQ_OK("CONNECT example.com:443 HTTP/1.1\r\n"
	    "Host: example.com:443\r\n\r\n"), "CONNECT");
	ok(rq.form == HTTP_TARGET_AUTHORITY &&
	    slice_eq(rq.authority, "example.com:443"), "authority-form");
}

TEST(http_req_target_errors)
{
	const char *bad[] = {
		"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT a:b HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET ftp:/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://user@host/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http:/// HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET mailto:x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET ** HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET a/b HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(REQ_ERR(bad[i], 400), "target %zu refused", i);
	{
		static const char nul[] = "GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n";
		int rc = http_parse_request(test_guard(nul, sizeof(nul) - 1),
		    sizeof(nul) - 1, &rq, NULL);
		ok(rc == PARSE_ERR && rq.status == 400, "NUL in target");
	}
}

TEST(http_req_line_errors)
{
	const char *bad[] = {
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / \r\n\r\n",
		"GET / http/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1x\r\nHost: h\r\n\r\n",
		"GET / HTTP/11.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.10\r\nHost: h\r\n\r\n",
		"GET / HTTP/1,1\r\nHost: h\r\n\r\n",
		"GET / HTTP/a.1\r\nHost: h\r\n\r\n",
		"GET / HTTPS/1.1\r\nHost: h\r\n\r\n",
		"G@T / HTTP/1.1\r\nHost: h\r\n\r\n",
		"G\"T / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\rHost: h\r\n\r\n",
		"GET /\r HTTP/1.1\r\nHost: h\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(REQ_ERR(bad[i], 400), "request line %zu refused", i);
}

TEST(http_req_version_505)
{
	ok(REQ_ERR("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505), "2.0");
	ok(rq.method == HTTP_METHOD_GET, "method kept for the log");
	ok(REQ_ERR("GET / HTTP/0.9\r\n\r\n", 505), "0.9");
	ok(REQ_ERR("GET / HTTP/3.0\r\n\r\n", 505), "3.0");
	ok(REQ_ERR("GET / HTTP/9.9\r\n\r\n", 505), "9.9");
	/* Well-formed version but garbage after: 400, not 505. */
	ok(REQ_ERR("GET / HTTP/2.0 x\r\n\r\n", 400), "2.0 then junk");
}

TEST(http_req_host)
{
	ok(REQ_ERR("GET / HTTP/1.1\r\n\r\n", 400), "1.1 without Host");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
	    "two Hosts");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400),
	    "two identical Hosts");
	ok(REQ_ERR("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
	    "two Hosts in 1.0");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400), "space");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400), "slash");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", 400), "userinfo");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: h:8x\r\n\r\n", 400), "bad port");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400), "open [");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400), "empty []");
	ok(REQ_ERR("GET / HTTP/1.1\r\nHost: h\\x\r\n\r\n", 400), "backslash");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "empty Host is valid");
	ok(rq.has_host && rq.host.n == 0, "empty host");
	ok(REQ_OK("GET / HTTP/1.1\r\nHOST: [::1]:8080\r\n\r\n"), "v6 Host");
	ok(slice_eq(rq.host, "[::1]:8080"), "v6 host value");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: a-b.c_d~e:\r\n\r\n"), "reg-name");
}

TEST(http_req_content_length)
{
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"),
	    "CL");
	ok(rq.has_content_length && rq.content_length == 5, "CL 5");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"),
	    "CL 0");
	ok(rq.has_content_length && rq.content_length == 0, "has CL 0");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n"),
	    "CL list of equal values");
	ok(rq.content_length == 5, "5, 5 is 5");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "content-length: 5\r\n\r\n"), "repeated equal CL");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n"),
	    "leading zeros");
	ok(rq.content_length == 7, "007");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 9223372036854775807\r\n\r\n"), "INT64_MAX");
	ok(rq.content_length == HTTP_CONTENT_LENGTH_MAX, "max value");
}

TEST(http_req_content_length_errors)
{
	const char *bad[] = {
		"5\r\nContent-Length: 6",
		"5, 6",
		"5,",
		",5",
		"5,,5",
		"",
		"abc",
		"-1",
		"+5",
		"5a",
		"0x10",
		"1 2",
		"1.0",
		"9223372036854775808",
		"99999999999999999999999999",
		"18446744073709551616",
		"5\r\nContent-Length: 5, 6",
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t l;
		const char *pre = "POST / HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: ";
		l = strlen(pre);
		memcpy(buf, pre, l);
		memcpy(buf + l, bad[i], strlen(bad[i]));
		l += strlen(bad[i]);
		memcpy(buf + l, "\r\n\r\n", 5);
		ok(REQ_ERR(buf, 400), "Content-Length \"%s\" refused", bad[i]);
	}
}

TEST(http_req_transfer_encoding)
{
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), "chunked");
	ok(rq.chunked && !rq.has_content_length, "chunked flag");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\n"
	    "transfer-encoding: Chunked\r\n\r\n"), "case-insensitive");
	ok(rq.chunked, "Chunked");
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: , chunked\r\n\r\n"), "empty list element");
	ok(REQ_ERR("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", 501), "gzip 501");
	ok(REQ_ERR("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	    501), "gzip then chunked over two lines: 501");
	ok(REQ_ERR("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: x-new, chunked\r\n\r\n", 501), "unknown 501");
}

/* The request smuggling shapes of RFC 9112 §6.3 and §11.2, and the classic
 * CL.TE / TE.CL / TE.TE probes. All must be 400. */
TEST(http_req_smuggling)
{
	const char *bad[] = {
		"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n",
		"Transfer-Encoding: chunked, chunked\r\n",
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: chunked, gzip\r\n",
		"Transfer-Encoding: gzip\r\n",
		"Transfer-Encoding: identity\r\n",
		"Transfer-Encoding: \r\n",
		"Transfer-Encoding: ,\r\n",
		"Transfer-Encoding: chunked;q=1\r\n",
		"Transfer-Encoding: chunked x\r\n",
		"Transfer-Encoding: xchunked\r\n",
		"Transfer-Encoding: chunk\r\n",
		"Transfer-Encoding: \"chunked\"\r\n",
		"Transfer-Encoding : chunked\r\n",
		"Transfer-Encoding\t: chunked\r\n",
		" Transfer-Encoding: chunked\r\n",
		"X: y\r\n Transfer-Encoding: chunked\r\n",
		"Transfer-Encoding:\r\n chunked\r\n",
		"Transfer-Encoding: \013chunked\r\n",
		"Transfer-Encoding: chunked\x0c\r\n",
		"Transfer-Encoding: chu\rnked\r\n",
		"Transfer-Encoding: chunked\r\r\n",
		"Transfer-Encoding: chunked\rX: y\r\n",
		"Content-Length: 5\rX: y\r\n",
		"Content-Length : 5\r\n",
		"Content-Length: 5\r\nContent-Length: 6\r\n",
		"Content-Length: 5 6\r\n",
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n",
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *pre = "POST / HTTP/1.1\r\nHost: h\r\n";
		size_t l = strlen(pre), m = strlen(bad[i]);
		memcpy(buf, pre, l);
		memcpy(buf + l, bad[i], m);
		memcpy(buf + l + m, "\r\n", 3);
		ok(REQ_ERR(buf, 400), "smuggling shape %zu refused", i);
	}
	ok(REQ_ERR("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400), "TE in HTTP/1.0");
	/* A differently-named field is just a field. */
	ok(REQ_OK("POST / HTTP/1.1\r\nHost: h\r\nContent_Length: 5\r\n\r\n"),
	    "Content_Length is not Content-Length");
	ok(!rq.has_content_length, "and has no effect");
}

TEST(http_req_header_syntax)
{
	const char *bad[] = {
		"X: a\r\n b\r\n",		/* obs-fold */
		"X: a\r\n\tb\r\n",
		"X : a\r\n",			/* space before colon */
		"X\t: a\r\n",
		": a\r\n",			/* empty name */
		"X@Y: a\r\n",
		"X Y: a\r\n",
		"(x): a\r\n",
		"\"x\": a\r\n",
		"X/Y: a\r\n",
		"X[: a\r\n",
		"X{: a\r\n",
		"X=Y: a\r\n",
		"X\r\n",			/* no colon */
		"X\n",
		"X: a\rb\r\n",			/* bare CR in value */
		"X: a\x01\r\n",
		"X: a\x7f\r\n",
		"X: a\x1b[31m\r\n",
		"X: \x0b\r\n",
		"\x80X: a\r\n",			/* obs-text in a name */
		"X\x80: a\r\n",
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *pre = "GET / HTTP/1.1\r\nHost: h\r\n";
		size_t l = strlen(pre), m = strlen(bad[i]);
		memcpy(buf, pre, l);
		memcpy(buf + l, bad[i], m);
		memcpy(buf + l + m, "\r\n", 3);
		ok(REQ_ERR(buf, 400), "header %zu refused", i);
	}
	{
		static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b"
		    "\r\n\r\n";
		int rc = http_parse_request(test_guard(nul, sizeof(nul) - 1),
		    sizeof(nul) - 1, &rq, NULL);
		ok(rc == PARSE_ERR && rq.status == 400, "NUL in value");
	}
	{
		static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX\0: a"
		    "\r\n\r\n";
		int rc = http_parse_request(test_guard(nul, sizeof(nul) - 1),
		    sizeof(nul) - 1, &rq, NULL);
		ok(rc == PARSE_ERR && rq.status == 400, "NUL in name");
	}
	ok(REQ_ERR("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400),
	    "whitespace line after request line");
}

TEST(http_req_header_values)
{
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\r\nX:   a b \t \r\n"
	    "Y:\r\nZ:\t\r\nW:v\r\n\r\n"), "OWS");
	ok(slice_eq(rq.headers[1].value, "a b"), "trimmed both sides");
	ok(rq.headers[2].value.n == 0, "empty value");
	ok(rq.headers[3].value.n == 0, "only OWS");
	ok(slice_eq(rq.headers[4].value, "v"), "no space after colon");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9 \xff\r\n\r\n"),
	    "obs-text");
	ok(slice_eq(rq.headers[1].value, "caf\xc3\xa9 \xff"), "kept");
	ok(REQ_OK("GET / HTTP/1.1\r\nHost: h\r\n"
	    "!#$%&'*+-.^_`|~09az: x\r\n\r\n"), "all tchars in a name");
}

TEST(http_req_expect)
{
	ok(REQ_OK("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 10\r\n\r\n"), "expect");
	ok(rq.expect_continue && !rq.expect_other, "100-continue");
	ok(REQ_OK("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"), "1.0");
	ok(!rq.expect_continue, "ignored in 1.0 (RFC 9110 10.1.1)");
	ok(REQ_OK("PUT / HTTP/1.1\r\nHost: h\r\nExpect: foo\r\n\r\n"), "foo");
	ok(rq.expect_other && !rq.expect_continue, "other expectation");
}

/* Builds pre + fill bytes of c + post in buf (NUL-terminated). */
static const char *
build(char *buf, const char *pre, char c, size_t fill, const char *post)
{
	size_t a = strlen(pre), b = strlen(post);

	memcpy(buf, pre, a);
	memset(buf + a, c, fill);
	memcpy(buf + a + fill, post, b + 1);
	return buf;
}

TEST(http_req_limits)
{
	struct http_limits l = http_limits_default();
	char *buf = malloc(70000);
	size_t n;

	if (buf == NULL)
		abort();
	ok(l.max_request_line == 8192 && l.max_header_size == 32768 &&
	    l.max_headers == 100, "defaults");

	/* Request line of exactly max_request_line bytes: fine; one more:
	 * 414, whether or not the line is complete yet. "GET /" and
	 * " HTTP/1.0" are 14 bytes around the filler. */
	l.max_request_line = 64;
	ok(req_lim(build(buf, "GET /", 'a', 50, " HTTP/1.0\r\n\r\n"), &l) ==
	    68, "line of exactly the limit");
	ok(req_lim(build(buf, "GET /", 'a', 51, " HTTP/1.0\r\n\r\n"), &l) ==
	    PARSE_ERR && rq.status == 414, "one over: 414");
	ok(req_lim(build(buf, "GET /", 'a', 51, " HTTP/1.0\n\n"), &l) ==
	    PARSE_ERR && rq.status == 414, "one over with bare LF: 414");
	ok(req_lim(build(buf, "GET /", 'a', 59, ""), &l) == PARSE_AGAIN,
	    "partial line at the limit waits");
	ok(req_lim(build(buf, "GET /", 'a', 60, ""), &l) == PARSE_ERR &&
	    rq.status == 414, "partial line over the limit: 414 at once");
	ok(req_lim(build(buf, "GET /", 'a', 50, " HTTP/1.0\r"), &l) ==
	    PARSE_AGAIN, "limit plus CR waits for the LF");
	ok(req_lim(build(buf, "GET /", 'a', 50, " HTTP/1.0\r\n"), &l) ==
	    PARSE_AGAIN, "limit plus CRLF waits for headers");
	ok(req(build(buf, "GET /", 'a', 9000, " HTTP/1.1\r\nHost: h\r\n\r\n"))
	    == PARSE_ERR && rq.status == 414, "9 KB target: 414 by default");

	/* Head size: "GET / HTTP/1.1\r\nHost: h\r\nX: " is 28 bytes, the
	 * final CRLFCRLF 4. Exactly the limit passes, one byte more is 431. */
	l = http_limits_default();
	l.max_header_size = 100;
	ok(req_lim(build(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 'v', 68,
	    "\r\n\r\n"), &l) == 100, "head of exactly the limit");
	ok(req_lim(build(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 'v', 69,
	    "\r\n\r\n"), &l) == PARSE_ERR && rq.status == 431, "one over");
	ok(req_lim(build(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 'v', 72,
	    ""), &l) == PARSE_AGAIN, "incomplete at the limit waits");
	ok(req_lim(build(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 'v', 73,
	    ""), &l) == PARSE_ERR && rq.status == 431,
	    "incomplete and over: 431 at once");
	ok(req_lim(build(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: ", 'v', 70,
	    "\r\n\r"), &l) == PARSE_ERR && rq.status == 431,
	    "the final LF past the limit: 431");

	/* Huge head against defaults. */
	memcpy(buf, "GET / HTTP/1.1\r\nHost: h\r\n", 25);
	n = 25;
	while (n < 40000) {
		memcpy(buf + n, "X-Filler: 0123456789012345678901234567\r\n",
		    40);
		n += 40;
	}
	buf[n] = '\0';
	ok(req(buf) == PARSE_ERR && rq.status == 431, "40 KB head: 431");
	memcpy(buf + n, "\r\n", 3);
	ok(req(buf) == PARSE_ERR && rq.status == 431, "complete 40 KB head");

	/* Header count. */
	l = http_limits_default();
	l.max_headers = 3;
	ok(req_lim("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", &l)
	    > 0, "3 headers with max 3");
	ok(req_lim("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
	    "\r\n", &l) == PARSE_ERR && rq.status == 431, "4 with max 3");
	l.max_headers = 1000;
	n = 25;
	memcpy(buf, "GET / HTTP/1.1\r\nHost: h\r\n", 25);
	for (int i = 0; i < HTTP_MAX_HEADERS; i++) {
		memcpy(buf + n, "A: b\r\n", 6);
		n += 6;
	}
	memcpy(buf + n, "\r\n", 3);
	ok(req_lim(buf, &l) == PARSE_ERR && rq.status == 431,
	    "max_headers is clamped to HTTP_MAX_HEADERS");
	n -= 6;
	memcpy(buf + n, "\r\n", 3);
	ok(req_lim(buf, &l) == (int)n + 2 && rq.nheaders == HTTP_MAX_HEADERS,
	    "exactly HTTP_MAX_HEADERS fit");
	free(buf);
}

/* Two pipelined requests, the first with a body: every prefix of the first
 * head waits, every longer prefix returns exactly the first head. */
TEST(http_req_pipelined_split)
{
	const char *a = "POST /form HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 3\r\n\r\n";
	const char *all = "POST /form HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 3\r\n\r\nabc"
	    "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t alen = strlen(a), n = strlen(all);
	int bad = 0;

	for (size_t k = 0; k <= n; k++) {
		int rc = http_parse_request(test_guard(all, k), k, &rq, NULL);
		if (k < alen ? rc != PARSE_AGAIN : rc != (int)alen) {
			bad++;
			ok(0, "split at %zu: %d", k, rc);
		}
	}
	ok(bad == 0, "every split of the first request");
	ok(rq.content_length == 3, "first request's body length");

	/* The second request starts after the body. */
	all += alen + 3;
	n = strlen(all);
	bad = 0;
	for (size_t k = 0; k <= n; k++) {
		int rc = http_parse_request(test_guard(all, k), k, &rq, NULL);
		if (k < n ? rc != PARSE_AGAIN : rc != (int)n)
			bad++;
	}
	ok(bad == 0, "every split of the second request");
	ok(slice_eq(rq.target, "/next"), "second target");
}

/* Each prefix of a good request is AGAIN and never an error, and each
 * prefix is read through the guard page. */
TEST(http_req_prefixes)
{
	const char *good[] = {
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\nGET /a?b HTTP/1.0\n\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\nX:\r\n\r\n",
		"CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n\r\n",
		"GET http://[::1]:80/x HTTP/1.1\r\nHost: x\r\n\r\n",
		("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		    "Connection: keep-alive, te\r\n\r\n"),
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n = strlen(good[i]);
		int bad = 0;
		for (size_t k = 0; k < n; k++)
			if (http_parse_request(test_guard(good[i], k), k, &rq,
			    NULL) != PARSE_AGAIN)
				bad++;
		ok(bad == 0, "request %zu: every prefix waits", i);
		ok(REQ_OK(good[i]), "request %zu: whole parses", i);
	}
}

TEST(http_req_error_early)
{
	/* Garbage is refused before its line is complete, so a TLS hello
	 * or a binary protocol on the HTTP port gets its 400 at once. */
	ok(REQ_ERR("GET /\x01", 400), "CTL in a partial target");
	ok(REQ_ERR("\x16\x03", 400), "TLS record header");
	ok(req("GET / HTTP/2") == PARSE_AGAIN, "partial version waits");
	ok(REQ_ERR("GET / HTTX", 400), "bad version prefix");
	ok(req("GET / HTTP/1.1\r\nX") == PARSE_AGAIN, "partial header waits");
	ok(REQ_ERR("GET / HTTP/1.1\r\nX Y", 400), "bad partial header");
	ok(REQ_ERR("GET / HTTP/1.1\r\nX: a\rb", 400), "bare CR, partial");
}

TEST(http_resp_simple)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Content-Type: text/plain\r\n\r\nhello";
	int rc = resp(s);

	ok(rc == (int)strlen(s) - 5, "head length");
	ok(rs.version_minor == 1 && rs.status == 200, "status");
	ok(slice_eq(rs.reason, "OK"), "reason");
	ok(rs.nheaders == 2, "headers");
	ok(rs.has_content_length && rs.content_length == 5, "CL");
	ok(!rs.close_delimited && !rs.chunked && rs.keep_alive, "framing");
	ok(http_header_find(rs.headers, rs.nheaders, "content-type") != NULL,
	    "find");
}

TEST(http_resp_framing)
{
	ok(resp("HTTP/1.0 200 OK\r\n\r\n") > 0, "1.0");
	ok(rs.close_delimited && !rs.keep_alive, "1.0 close-delimited");
	ok(resp("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	    "Content-Length: 0\r\n\r\n") > 0, "1.0 keep-alive");
	ok(rs.keep_alive && !rs.close_delimited, "1.0 keep-alive with CL");
	ok(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") > 0,
	    "chunked");
	ok(rs.chunked && !rs.te_unsupported && !rs.close_delimited, "flags");
	ok(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n") > 0, "gzip, chunked");
	ok(rs.chunked && rs.te_unsupported, "needs gzip");
	ok(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") > 0,
	    "gzip alone");
	ok(!rs.chunked && rs.close_delimited && rs.te_unsupported,
	    "read to close (RFC 9112 6.3 rule 4)");
	ok(resp("HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    "Content-Length: 2\r\n\r\n") > 0, "close");
	ok(rs.conn_close && !rs.keep_alive, "close");
	ok(resp("HTTP/1.1 200 OK\r\n\r\n") > 0 && rs.close_delimited,
	    "1.1 without length");
}

TEST(http_resp_reason)
{
	ok(resp("HTTP/1.1 204\r\n\r\n") > 0, "no reason, no space");
	ok(rs.status == 204 && rs.reason.n == 0, "204");
	ok(resp("HTTP/1.1 404 \r\n\r\n") > 0, "empty reason");
	ok(rs.status == 404 && rs.reason.n == 0, "404");
	ok(resp("HTTP/1.1 500 Internal Server Error\n\n") > 0, "LF only");
	ok(slice_eq(rs.reason, "Internal Server Error"), "spaces in reason");
	ok(resp("HTTP/1.1 200 \xc3\x93timo\r\n\r\n") > 0, "obs-text reason");
	ok(resp("HTTP/1.2 200 OK\r\n\r\n") > 0 && rs.version_minor == 1,
	    "1.2 as 1.1");
}

TEST(http_resp_errors)
{
	const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/0.9 200 OK\r\n\r\n",
		"HTTP/1.1 99 x\r\n\r\n",
		"HTTP/1.1 099 x\r\n\r\n",
		"HTTP/1.1 600 x\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1 200 OK\r\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(resp(bad[i]) == PARSE_ERR, "response %zu refused", i);
}

TEST(http_resp_interim_and_split)
{
	const char *all = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n";
	size_t first = strlen("HTTP/1.1 100 Continue\r\n\r\n");
	size_t n = strlen(all);
	int bad = 0;

	for (size_t k = 0; k <= n; k++) {
		int rc = http_parse_response(test_guard(all, k), k, &rs, NULL);
		if (k < first ? rc != PARSE_AGAIN : rc != (int)first)
			bad++;
	}
	ok(bad == 0, "every split of the interim response");
	ok(rs.status == 100, "100 first");
	ok(resp(all + first) == (int)(n - first), "final response");
	ok(rs.status == 201, "201 next");
}

TEST(http_resp_limits)
{
	struct http_limits l = { 0, 64, 2 };
	const char *big = "HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *many = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";

	ok(http_parse_response(test_guard(big, strlen(big)), strlen(big), &rs,
	    &l) == PARSE_ERR, "incomplete head over the limit");
	ok(http_parse_response(test_guard(many, strlen(many)), strlen(many),
	    &rs, &l) == PARSE_ERR, "too many headers");
}

TEST(http_resp_has_body)
{
	ok(http_response_has_body(false, 200), "200");
	ok(!http_response_has_body(true, 200), "HEAD");
	ok(!http_response_has_body(false, 100), "100");
	ok(!http_response_has_body(false, 101), "101");
	ok(!http_response_has_body(false, 204), "204");
	ok(!http_response_has_body(false, 304), "304");
	ok(http_response_has_body(false, 404), "404");
	ok(http_response_has_body(false, 206), "206");
}
