/* Tests for the client's pure parts: URI splitting and reference resolution
 * (RFC 3986 §5.4's examples), http URL parsing, the HTML scanner, and the
 * cache's metadata header. */
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"
#include "test.h"

static const char *
resolve(const char *base, const char *ref)
{
	static char out[HTTP_CLIENT_URL_MAX];
	size_t n = strlen(ref);

	if (http_client_url_resolve(base, test_guard(ref, n), n, out,
	    sizeof(out)) < 0)
		return "(error)";
	return out;
}

TEST(http_client_resolve_rfc3986_normal)
{
	static const char *const t[][2] = {
		{ "g:h", "g:h" }, { "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" }, { "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" }, { "//g", "http://g" },
		{ "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
		{ "#s", "http://a/b/c/d;p?q" }, { "g#s", "http://a/b/c/g" },
		{ "g?y#s", "http://a/b/c/g?y" }, { ";x", "http://a/b/c/;x" },
		{ "g;x", "http://a/b/c/g;x" }, { "g;x?y#s",
		    "http://a/b/c/g;x?y" },
		{ "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" },
		{ "./", "http://a/b/c/" }, { "..", "http://a/b/" },
		{ "../", "http://a/b/" }, { "../g", "http://a/b/g" },
		{ "../..", "http://a/" }, { "../../", "http://a/" },
		{ "../../g", "http://a/g" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *r = resolve("http://a/b/c/d;p?q", t[i][0]);
		ok(strcmp(r, t[i][1]) == 0, "'%s' -> '%s', want '%s'",
		    t[i][0], r, t[i][1]);
	}
}

TEST(http_client_resolve_rfc3986_abnormal)
{
	static const char *const t[][2] = {
		{ "../../../g", "http://a/g" }, { "../../../../g",
		    "http://a/g" },
		{ "/./g", "http://a/g" }, { "/../g", "http://a/g" },
		{ "g.", "http://a/b/c/g." }, { ".g", "http://a/b/c/.g" },
		{ "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
		{ "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" },
		{ "g/./h", "http://a/b/c/g/h" }, { "g/../h", "http://a/b/c/h" },
		{ "g;x=1/./y", "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", "http://a/b/c/y" },
		{ "g?y/./x", "http://a/b/c/g?y/./x" },
		{ "g?y/../x", "http://a/b/c/g?y/../x" },
		{ "g#s/./x", "http://a/b/c/g" }, { "g#s/../x",
		    "http://a/b/c/g" },
		{ "http:g", "http:g" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *r = resolve("http://a/b/c/d;p?q", t[i][0]);
		ok(strcmp(r, t[i][1]) == 0, "'%s' -> '%s', want '%s'",
		    t[i][0], r, t[i][1]);
	}
}

TEST(http_client_resolve_extra)
{
	ok(strcmp(resolve("http://h", "x.png"), "http://h/x.png") == 0,
	    "base with an empty path (§5.2.3)");
	ok(strcmp(resolve("http://h:8080/a/b.html", "  img/1.png\n"),
	    "http://h:8080/a/img/1.png") == 0, "spaces around are ignored");
	ok(strcmp(resolve("http://h/a/", "i\tm\ng.png"),
	    "http://h/a/img.png") == 0, "tab and newline inside removed");
	ok(strcmp(resolve("http://[::1]:8080/p/q", "../r?s=1&t=2"),
	    "http://[::1]:8080/r?s=1&t=2") == 0, "IPv6 base");
	ok(strcmp(resolve("http://h/a/b", "//other:81/x"),
	    "http://other:81/x") == 0, "network-path reference");
	ok(strcmp(resolve("http://h/a/b", "https://s/x"), "https://s/x") == 0,
	    "another scheme");
	ok(strcmp(resolve("no-scheme", "x"), "(error)") == 0,
	    "a base without scheme is refused");

	char small[10];
	ok(http_client_url_resolve("http://host/", "averylongpath", 13, small,
	    sizeof(small)) == -1, "too long for out");
}

TEST(http_client_remove_dot_segments)
{
	char out[64];

	ok(http_client_remove_dot_segments("/a/b/c/./../../g", 16, out,
	    sizeof(out)) == 4 && strcmp(out, "/a/g") == 0, "RFC example 1");
	ok(http_client_remove_dot_segments("mid/content=5/../6", 18, out,
	    sizeof(out)) == 5 && strcmp(out, "mid/6") == 0, "RFC example 2");
	ok(http_client_remove_dot_segments("/..", 3, out, sizeof(out)) == 1 &&
	    strcmp(out, "/") == 0, "/.. is /");
	ok(http_client_remove_dot_segments("", 0, out, sizeof(out)) == 0 &&
	    out[0] == '\0', "empty");
	ok(http_client_remove_dot_segments("/abc", 4, out, 3) == -1,
	    "does not fit");
}

TEST(http_client_uri_split)
{
	struct http_client_uri u;
	const char *s = "http://u@h:1/p/q?x=1#frag";

	http_client_uri_split(s, strlen(s), &u);
	ok(u.has_scheme && slice_eq(u.scheme, "http"), "scheme");
	ok(u.has_authority && slice_eq(u.authority, "u@h:1"), "authority");
	ok(slice_eq(u.path, "/p/q"), "path");
	ok(u.has_query && slice_eq(u.query, "x=1"), "query");
	ok(u.has_fragment && slice_eq(u.fragment, "frag"), "fragment");
	s = "1x:y";
	http_client_uri_split(s, strlen(s), &u);
	ok(!u.has_scheme && slice_eq(u.path, "1x:y"), "not a scheme");
	s = "?";
	http_client_uri_split(s, 1, &u);
	ok(u.has_query && u.query.n == 0 && u.path.n == 0, "empty query");
}

static int
url(const char *s, struct http_client_url *u)
{
	size_t n = strlen(s);

	return http_client_url_parse(test_guard(s, n), n, u);
}

TEST(http_client_url_parse_good)
{
	static struct http_client_url u;

	ok(url("http://example.com", &u) == 0 && strcmp(u.host,
	    "example.com") == 0 && u.port == 80 && strcmp(u.target, "/") == 0 &&
	    strcmp(u.hostport, "example.com") == 0 &&
	    strcmp(u.str, "http://example.com/") == 0, "no path");
	ok(url("HTTP://Example.COM:8080/A/b?q=1&r=%20#top", &u) == 0 &&
	    strcmp(u.scheme, "http") == 0 && strcmp(u.host,
	        "example.com") == 0 &&
	    u.port == 8080 && strcmp(u.target, "/A/b?q=1&r=%20") == 0 &&
	    strcmp(u.hostport, "example.com:8080") == 0 &&
	    strcmp(u.str, "http://example.com:8080/A/b?q=1&r=%20") == 0,
	    "case, port, query, fragment dropped");
	ok(url("http://[::1]:8080/x", &u) == 0 && u.ipv6 &&
	    strcmp(u.host, "::1") == 0 && u.port == 8080 &&
	    strcmp(u.hostport, "[::1]:8080") == 0, "IPv6 literal");
	ok(url("http://[2001:db8::1]/", &u) == 0 &&
	    strcmp(u.hostport, "[2001:db8::1]") == 0, "IPv6, port 80");
	ok(url("http://127.0.0.1:80/", &u) == 0 &&
	    strcmp(u.hostport, "127.0.0.1") == 0, "port 80 left out");
	ok(url("http://user:pw@h/", &u) == 0 && strcmp(u.host, "h") == 0,
	    "userinfo ignored");
	ok(url("http://h:/", &u) == 0 && u.port == 80, "empty port");
	ok(url("  http://h/a b\"c<d>é  ", &u) == 0 &&
	    strcmp(u.target, "/a%20b%22c%3Cd%3E%C3%A9") == 0,
	    "spaces trimmed, unsafe bytes encoded: %s", u.target);
	ok(url("http://h/a/./b/../c", &u) == 0 && strcmp(u.target, "/a/c") == 0,
	    "dot segments removed");
	ok(url("http://h?x", &u) == 0 && strcmp(u.target, "/?x") == 0,
	    "query without path");
	ok(url("http://h:65535/", &u) == 0 && u.port == 65535, "top port");
	ok(url("http://h/", &u) == 0 && !u.tls, "http is not tls");
}

TEST(http_client_url_parse_https)
{
	static struct http_client_url u;

	ok(url("https://Example.com/a?b", &u) == 0 && u.tls &&
	    strcmp(u.scheme, "https") == 0 && u.port == 443 &&
	    strcmp(u.hostport, "example.com") == 0 &&
	    strcmp(u.target, "/a?b") == 0 &&
	    strcmp(u.str, "https://example.com/a?b") == 0, "default port 443");
	ok(url("HTTPS://h:443/", &u) == 0 && u.tls && u.port == 443 &&
	    strcmp(u.hostport, "h") == 0 && strcmp(u.str, "https://h/") == 0,
	    "443 left out");
	ok(url("https://h:80/", &u) == 0 && u.port == 80 &&
	    strcmp(u.hostport, "h:80") == 0 &&
	    strcmp(u.str, "https://h:80/") == 0, "80 kept for https");
	ok(url("http://h:443/", &u) == 0 && !u.tls && u.port == 443 &&
	    strcmp(u.str, "http://h:443/") == 0, "443 kept for http");
	ok(url("https://[::1]:8443/x", &u) == 0 && u.tls && u.ipv6 &&
	    strcmp(u.hostport, "[::1]:8443") == 0 &&
	    strcmp(u.str, "https://[::1]:8443/x") == 0, "IPv6 literal");
	ok(url("https://h:/", &u) == 0 && u.port == 443, "empty port");
	ok(url("https://", &u) == HTTP_CLIENT_URL_BAD, "no host");
	ok(url("httpx://h/", &u) == HTTP_CLIENT_URL_SCHEME &&
	    strcmp(u.scheme, "httpx") == 0, "httpx is another scheme");
	ok(strcmp(resolve("https://h/a/b", "//o/c"), "https://o/c") == 0,
	    "a network-path reference keeps https");
	ok(strcmp(resolve("https://h/a/b", "http://h/c"), "http://h/c") == 0,
	    "https to http");
}

TEST(http_client_url_parse_bad)
{
	static struct http_client_url u;
	static const char *const bad[] = {
		"", "example.com", "/path", "http:/h/", "http:h", "http://",
		"http:///x", "http://h:0/", "http://h:65536/", "http://h:8o/",
		"http://h:123456/", "http://[::1/", "http://[zz]/",
		"http://[::1]x/", "http://h\x01/", "http://a b/", "http://h%41/",
		"http://h/\x7f", "http://h/a\nb",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(url(bad[i], &u) == HTTP_CLIENT_URL_BAD, "bad: '%s'", bad[i]);
	ok(url("FTP://h/", &u) == HTTP_CLIENT_URL_SCHEME &&
	    strcmp(u.scheme, "ftp") == 0, "ftp");
}

/* ---- HTML ---------------------------------------------------------------- */

struct refs {
	char s[8192];
	size_t n;
};

static void
collect(void *arg, const char *tag, const char *attr, const char *u, size_t n)
{
	struct refs *r = arg;
	size_t l = strlen(r->s);

	ok(strlen(u) == n, "NUL-terminated value");
	snprintf(r->s + l, sizeof(r->s) - l, "%s%s.%s=%.*s", l ? " " : "",
	    tag, attr, (int)n, u);
	r->n++;
}

static const char *
scan(const char *html)
{
	static struct refs r;
	size_t n = strlen(html);

	memset(&r, 0, sizeof(r));
	size_t k = http_client_html_scan(test_guard(html, n), n, collect, &r);
	ok(k == r.n, "count matches");
	return r.s;
}

#define SCAN(html, want)                                                   \
	do {                                                               \
		const char *got_ = scan(html);                             \
		ok(strcmp(got_, want) == 0, "%s\n  got:  %s\n  want: %s",  \
		    html, got_, want);                                     \
	} while (0)

TEST(http_client_html_basic)
{
	SCAN("<img src=\"a.png\"><IMG SRC='b.png'><img src=c.png>",
	    "img.src=a.png img.src=b.png img.src=c.png");
	SCAN("<script src=\"s.js\"></script><link rel=stylesheet href=st.css>"
	    "<link rel=\"alternate\" href=feed.xml>"
	    "<link href=fav.ico rel='shortcut ICON'>",
	    "script.src=s.js link.href=st.css link.href=fav.ico");
	SCAN("<video src=v.mp4 poster=p.jpg><source src=v.webm></video>"
	    "<audio src=a.ogg></audio><object data=o.svg></object>"
	    "<iframe src=f.html></iframe><embed src=e.swf>"
	    "<input type=image src=btn.png><input type=text src=no.png>",
	    "video.src=v.mp4 video.poster=p.jpg source.src=v.webm "
	    "audio.src=a.ogg object.data=o.svg iframe.src=f.html "
	    "embed.src=e.swf input.src=btn.png");
	SCAN("<img srcset=\" big.png 2x, small.png 1x\">"
	    "<picture><source srcset=\"w.webp 100w\"><img src=x.png "
	    "srcset=y.png></picture>",
	    "img.srcset=big.png source.srcset=w.webp img.src=x.png");
	SCAN("<base href=\"/root/\"><img src=i.png>",
	    "base.href=/root/ img.src=i.png");
	SCAN("<a href=page.html>link</a><img alt=x>", "");
	SCAN("<img src=\"\"><img src=\"   \">", "");
}

TEST(http_client_html_entities)
{
	SCAN("<img src=\"/i?a=1&amp;b=2\">", "img.src=/i?a=1&b=2");
	SCAN("<img src=\"/i?a=1&amp b=2\">", "img.src=/i?a=1& b=2");
	SCAN("<img src=\"/i?a=1&copy=2&lt=3\">", "img.src=/i?a=1&copy=2&lt=3");
	SCAN("<img src=\"&#x2F;x&#47;y&#104;.png\">", "img.src=/x/yh.png");
	SCAN("<img src='a&quot;b&apos;c&#39;d'>", "img.src=a\"b'c'd");
	SCAN("<img src=\"&#0;&#xD800;&#99999999;\">",
	    "img.src=\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	SCAN("<img src=\"a&#;b&unknown;c&\">", "img.src=a&#;b&unknown;c&");
}

TEST(http_client_html_hostile)
{
	SCAN("<!-- <img src=no1.png> --><img src=yes.png>", "img.src=yes.png");
	SCAN("<!--><img src=a.png><!---><img src=b.png>",
	    "img.src=a.png img.src=b.png");
	SCAN("<!-- a --!><img src=c.png>", "img.src=c.png");
	SCAN("<!DOCTYPE html><?xml x?><img src=d.png>", "img.src=d.png");
	SCAN("<script>document.write('<img src=no.png>')</script >"
	    "<img src=yes.png>", "img.src=yes.png");
	SCAN("<SCRIPT src=s.js>var x = '</scriptx><img src=no.png>';"
	    "</SCRIPT><img src=yes.png>", "script.src=s.js img.src=yes.png");
	SCAN("<style>a{background:url(<img src=no.png>)}</style>"
	    "<textarea><img src=no2.png></textarea><title><img src=n3>"
	    "</title><img src=ok.png>", "img.src=ok.png");
	SCAN("<img src=\"a>b.png\" alt='x>y'>", "img.src=a>b.png");
	SCAN("<img\nsrc\n=\n'ws.png'\n>", "img.src=ws.png");
	SCAN("<img src=a.png src=b.png>", "img.src=a.png");
	SCAN("<img alt src=v.png>", "img.src=v.png");
	SCAN("<img/src=slash.png>", "img.src=slash.png");
	SCAN("</img src=no.png><img src=yes.png>", "img.src=yes.png");
	SCAN("</a title='>'><img src=q.png>", "img.src=q.png");
	SCAN("a < b <3 <img src=t.png>", "img.src=t.png");
	SCAN("<img src=\"unterminated.png>", "");
	SCAN("<img src=nogt.png", "");
	SCAN("<!-- never ends <img src=x.png>", "");
	SCAN("<script><img src=x.png>", "");
	SCAN("<plaintext><img src=x.png>", "");
	SCAN("<imgsrc=x.png><imgx src=y.png>", "");
	SCAN("<", "");
	SCAN("", "");
}

TEST(http_client_html_every_prefix)
{
	const char *doc =
	    "<!DOCTYPE html><html><head><link rel=stylesheet href=\"s.css\">"
	    "<script src=j.js></script><!-- c --></head><body>"
	    "<img src='1.png'><IMG SRC=\"2.png?a=1&amp;b=2\"><video src=v "
	    "poster=p></video><style>x</style><img srcset=\"s 1x\"></body>";
	size_t n = strlen(doc);
	struct refs r;
	size_t full;

	memset(&r, 0, sizeof(r));
	full = http_client_html_scan((const uint8_t *)doc, n, collect, &r);
	ok(full == 7, "full document: %zu", full);
	for (size_t k = 0; k <= n; k++) {
		memset(&r, 0, sizeof(r));
		size_t got = http_client_html_scan(test_guard(doc, k), k,
		    collect, &r);
		ok(got <= full, "prefix %zu", k);
	}
}

TEST(http_client_html_long_values)
{
	size_t n = HTTP_CLIENT_HTML_VALUE_MAX + 100;
	char *doc = malloc(n + 64);
	struct refs r;

	memcpy(doc, "<img src=\"", 10);
	memset(doc + 10, 'a', n);
	memcpy(doc + 10 + n, "\"><img src=ok>", 15);
	memset(&r, 0, sizeof(r));
	ok(http_client_html_scan((const uint8_t *)doc, strlen(doc), collect,
	    &r) == 1 && strcmp(r.s, "img.src=ok") == 0,
	    "an over-long value is skipped: %s", r.s);
	free(doc);
}

/* ---- the cache header ---------------------------------------------------- */

TEST(http_client_cache_meta)
{
	static struct http_client_cache_meta m;
	const char *h = "camada-cache 1\nurl: http://h/x\netag: \"abc\"\n"
	    "last-modified: Sun, 06 Nov 1994 08:49:37 GMT\n"
	    "content-type: text/plain\nstored: 1700000000\nfuture: ignored\n"
	    "\nBODY";
	size_t n = strlen(h);

	ok(http_client_cache_meta_parse(test_guard(h, n), n, &m) == (int)n - 4,
	    "header length");
	ok(strcmp(m.url, "http://h/x") == 0 && strcmp(m.etag, "\"abc\"") == 0 &&
	    strcmp(m.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT") == 0 &&
	    strcmp(m.content_type, "text/plain") == 0 &&
	    m.stored == 1700000000, "fields");
	for (size_t k = 0; k < n - 4; k++)
		ok(http_client_cache_meta_parse(test_guard(h, k), k, &m) ==
		    PARSE_AGAIN, "prefix %zu", k);
	ok(http_client_cache_meta_parse((const uint8_t *)"camada-cache 2\n\n",
	    16, &m) == PARSE_ERR, "other version");
	ok(http_client_cache_meta_parse((const uint8_t *)"camada-cache 1\n\n",
	    16, &m) == PARSE_ERR, "no url");
	ok(http_client_cache_meta_parse(
	    (const uint8_t *)"camada-cache 1\nurl\n\n", 20, &m) == PARSE_ERR, "no colon");
	h = "camada-cache 1\nurl: a\x01\n\n";
	ok(http_client_cache_meta_parse((const uint8_t *)h, strlen(h), &m) ==
	    PARSE_ERR, "control");
}

TEST(http_client_cache_key)
{
	char hex[65];

	http_client_cache_key("abc", hex);
	ok(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff6"
	    "1f20015ad") == 0, "SHA-256 of abc: %s", hex);
}

TEST(http_client_nul_bytes)
{
	static const char doc[] = "<img src=\"a\0b\">";
	struct refs r;
	char out[64];

	memset(&r, 0, sizeof(r));
	ok(http_client_html_scan(test_guard(doc, sizeof(doc) - 1),
	    sizeof(doc) - 1, collect, &r) == 1 &&
	    strcmp(r.s, "img.src=a\xEF\xBF\xBD" "b") == 0,
	    "a NUL in a value becomes U+FFFD: %s", r.s);
	ok(http_client_url_resolve("http://h/", "a\0b", 3, out, sizeof(out)) ==
	    -1, "a NUL in a reference is refused");
}
