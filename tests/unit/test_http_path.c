/* Tests for http_path_decode: normal paths, dot segments, and every
 * traversal spelling we know of. */
#include <string.h>

#include "http/http_parse.h"
#include "test.h"
#include "http/http_path.h"

static char out[256];

static int
dec(const char *s)
{
	size_t n = strlen(s);

	return http_path_decode(slice_make(test_guard(s, n), n), out,
	    sizeof(out));
}

/* Decodes to exactly want. */
static int
dec_is(const char *s, const char *want)
{
	int n = dec(s);

	return n == (int)strlen(want) && strcmp(out, want) == 0;
}

TEST(http_path_plain)
{
	ok(dec_is("/", "/"), "root");
	ok(dec_is("", "/"), "empty is root");
	ok(dec_is("/index.html", "/index.html"), "file");
	ok(dec_is("/a/b/c.txt", "/a/b/c.txt"), "nested");
	ok(dec_is("/dir/", "/dir/"), "trailing slash kept");
	ok(dec_is("/%7Euser/a%20b", "/~user/a b"), "decoding");
	ok(dec_is("/caf%C3%A9", "/caf\xc3\xa9"), "UTF-8 encoded");
	ok(dec_is("/caf\xc3\xa9", "/caf\xc3\xa9"), "UTF-8 raw");
	ok(dec_is("/%E2%82%AC%F0%9F%98%80", "/\xe2\x82\xac\xf0\x9f\x98\x80"),
	    "3 and 4 byte sequences");
	ok(dec_is("/a%3Fb", "/a?b"), "encoded ? is a name byte");
	ok(dec_is("/a+b", "/a+b"), "+ is not a space in paths");
	ok(dec_is("/...", "/..."), "three dots is a name");
	ok(dec_is("/..a/a..", "/..a/a.."), "dots inside names");
	ok(dec_is("/%2e%2ea", "/..a"), "encoded dots in a name");
}

TEST(http_path_normalize)
{
	ok(dec_is("//", "/"), "double slash");
	ok(dec_is("/a//b///c", "/a/b/c"), "collapse");
	ok(dec_is("/a/./b", "/a/b"), "dot");
	ok(dec_is("/./a", "/a"), "leading dot");
	ok(dec_is("/a/.", "/a/"), "trailing dot keeps the slash");
	ok(dec_is("/.", "/"), "root dot");
	ok(dec_is("/a/b/../c", "/a/c"), "dot-dot");
	ok(dec_is("/a/b/..", "/a/"), "trailing dot-dot");
	ok(dec_is("/a/..", "/"), "back to root");
	ok(dec_is("/a/../", "/"), "back to root, slash");
	ok(dec_is("/a/b/c/../../d", "/a/d"), "two up");
	ok(dec_is("/a/%2e/b", "/a/b"), "encoded dot");
	ok(dec_is("/a/b/%2E%2e/c", "/a/c"), "encoded dot-dot inside root");
	ok(dec_is("/a//../b", "/b"), "empty segment then dot-dot");
}

TEST(http_path_traversal)
{
	const char *bad[] = {
		"/..",
		"/../",
		"/../etc/passwd",
		"/a/../..",
		"/a/../../b",
		"/./../x",
		"//..",
		"/%2e%2e",
		"/%2e%2e/",
		"/%2E%2e/etc/passwd",
		"/.%2e/",
		"/%2e./",
		"/a/%2e%2e/%2e%2e/etc/passwd",
		"/%2f",
		"/%2F",
		"/a%2Fb",
		"/..%2f",
		"/..%2F..%2Fetc",
		"/a\\b",
		"/..\\..\\x",
		"/%5c",
		"/%5C..%5C",
		"/%00",
		"/a%00.html",
		"/%0a",
		"/%0d%0aSet-Cookie:x",
		"/%1f",
		"/%7f",
		"/a\x01",
		"/%c0%ae%c0%ae/",		/* overlong '.' */
		"/%c0%af",			/* overlong '/' */
		"/%c1%9c",			/* overlong '\\' */
		"/%e0%80%ae",			/* 3-byte overlong '.' */
		"/%f0%80%80%ae",		/* 4-byte overlong '.' */
		"/\xc0\xae\xc0\xae/",		/* raw overlong */
		"/%ed%a0%80",			/* surrogate */
		"/%f4%90%80%80",		/* above U+10FFFF */
		"/%f5%80%80%80",
		"/%c3",				/* truncated */
		"/%e2%82",
		"/%80",				/* lone continuation */
		"/%ff",
		"/%fe",
		"/\xff",
		"/%zz",
		"/%4",
		"/%",
		"/%%41",
		"/%g0",
		"%41",				/* not absolute */
		"a/b",
		"../x",
		".",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(dec(bad[i]) == -1, "path %zu \"%s\" refused", i, bad[i]);
	{
		static const char nul[] = "/a\0b";
		ok(http_path_decode(slice_make(test_guard(nul, 4), 4), out,
		    sizeof(out)) == -1, "raw NUL");
	}
}

TEST(http_path_bounds)
{
	char small[8];
	const char *s = "/abcdef";	/* 7 bytes + NUL: fits exactly */

	ok(http_path_decode(slice_cstr(s), small, sizeof(small)) == 7 &&
	    strcmp(small, s) == 0, "exact fit");
	ok(http_path_decode(slice_cstr("/abcdefg"), small, sizeof(small)) ==
	    -1, "one over");
	ok(http_path_decode(slice_cstr("/a/../abcdef"), small,
	    sizeof(small)) == -1, "the decoded length before dots counts");
	ok(http_path_decode(slice_cstr("/%41%42%43%44%45%46"), small,
	    sizeof(small)) == 7, "decoded size is what counts");
	ok(http_path_decode(slice_cstr("/"), small, 1) == -1, "outsz 1");
	ok(http_path_decode(slice_cstr(""), small, 2) == 1, "outsz 2");
}

TEST(http_path_dotfile)
{
	ok(http_path_has_dotfile("/.git/config"), ".git");
	ok(http_path_has_dotfile("/a/.htpasswd"), ".htpasswd");
	ok(http_path_has_dotfile("/a/.../b"), "...");
	ok(http_path_has_dotfile("/.well-known/x"), ".well-known");
	ok(!http_path_has_dotfile("/a/b.txt"), "dot inside");
	ok(!http_path_has_dotfile("/a.b/c"), "dot in directory");
	ok(!http_path_has_dotfile("/"), "root");
	ok(!http_path_has_dotfile("/a/b/"), "dir");
}
