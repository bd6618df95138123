/* http_path.c - a request path made safe to join to a document root:
 * percent-decoding, UTF-8 validation, dot-segment removal (RFC 3986 §5.2.4)
 * with everything ambiguous refused rather than repaired.
 */
#include <limits.h>
#include <string.h>

#include "core/hex.h"
#include "http/http_parse.h"
#include "http/http_path.h"

/* Strict UTF-8 (RFC 3629 §4): shortest form only, no surrogates, nothing
 * above U+10FFFF. Overlong forms are how "%C0%AE%C0%AE" used to mean "..". */
static bool
utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else {
			return false;	/* continuation, 0xc0-0xc1, 0xf5-0xff */
		}
		if (n - i - 1 < more)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += more + 1;
	}
	return true;
}

/*
 * Removes "." and ".." segments and empty ones from buf[0..len), which starts
 * with '/', in place: the output never outgrows the input, so the write
 * index w stays at or behind the read index r. Returns the new length, or -1
 * if a ".." would climb above the root.
 */
static int
remove_dots(char *buf, size_t len)
{
	size_t r = 0, w = 0;

	while (r < len) {
		size_t s = r + 1, e = s;
		bool last;

		while (e < len && buf[e] != '/')
			e++;
		last = e == len;
		if (e - s == 2 && buf[s] == '.' && buf[s + 1] == '.') {
			if (w == 0)
				return -1;
			/* Back to the '/' that began the previous segment. */
			while (w > 0 && buf[--w] != '/')
				;
			if (last)
				buf[w++] = '/';
		} else if (e == s || (e - s == 1 && buf[s] == '.')) {
			/* Empty or ".": dropped, but a trailing one still says
			 * "directory". */
			if (last)
				buf[w++] = '/';
		} else {
			buf[w++] = '/';
			memmove(buf + w, buf + s, e - s);
			w += e - s;
		}
		r = e;
	}
	if (w == 0)
		buf[w++] = '/';
	buf[w] = '\0';
	return (int)w;
}

int
http_path_decode(struct slice path, char *out, size_t outsz)
{
	size_t w = 0;

	/* The length must fit the int we return. */
	if (outsz > INT_MAX)
		outsz = INT_MAX;
	if (outsz < 2)
		return -1;
	if (path.n == 0) {
		out[0] = '/';
		out[1] = '\0';
		return 1;
	}
	if (path.p[0] != '/')
		return -1;
	for (size_t i = 0; i < path.n; i++) {
		uint8_t c = path.p[i];

		if (c == '%') {
			int hi, lo;

			if (path.n - i < 3)
				return -1;
			hi = hex_digit(path.p[i + 1]);
			lo = hex_digit(path.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
			/* An encoded slash would be a separator to the file
			 * system but not to the dot-segment pass. */
			if (c == '/')
				return -1;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -1;
		if (w + 1 >= outsz)	/* keep room for the NUL */
			return -1;
		out[w++] = (char)c;
	}
	out[w] = '\0';
	if (!utf8_valid((const uint8_t *)out, w))
		return -1;
	return remove_dots(out, w);
}

bool
http_path_has_dotfile(const char *path)
{
	for (size_t i = 0; path[i] != '\0'; i++)
		if (path[i] == '.' && (i == 0 || path[i - 1] == '/'))
			return true;
	return false;
}
