/* libFuzzer target: the request head parser, the path decoder on whatever
 * path it accepts, and the field parsers on every header value. Checks that tight limits agree with the
 * defaults on success, and that a head's proper prefix is "need more". */
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"
#include "http/http_date.h"
#include "http/http_field.h"
#include "http/http_path.h"

static void
check(int k, size_t n, const struct http_request *r)
{
	if (!(k == PARSE_AGAIN || k == PARSE_ERR || (k > 0 && (size_t)k <= n)))
		abort();
	if (k == PARSE_ERR && r->status != 400 && r->status != 414 &&
	    r->status != 431 && r->status != 501 && r->status != 505)
		abort();
	if (k > 0 && r->chunked && r->has_content_length)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct http_request r, t;
	static const struct http_limits tight = { 40, 200, 4 };
	char path[512];
	int k = http_parse_request(p, n, &r, NULL);
	int kt = http_parse_request(p, n, &t, &tight);

	check(k, n, &r);
	check(kt, n, &t);
	if (kt > 0 && kt != k)
		abort();
	if (k > 0 && http_parse_request(p, (size_t)k - 1, &t, NULL) !=
	    PARSE_AGAIN)
		abort();
	/* A decoded path is absolute and has no "", "." or ".." segment
	 * (only a trailing '/' may end in an empty one). */
	if (k > 0 && http_path_decode(r.path, path, sizeof(path)) > 0) {
		size_t len = strlen(path);

		if (path[0] != '/' || strstr(path, "//") ||
		    strstr(path, "/./") || strstr(path, "/../") ||
		    (len >= 2 && strcmp(path + len - 2, "/.") == 0) ||
		    (len >= 3 && strcmp(path + len - 3, "/..") == 0))
			abort();
	}
	for (int i = 0; k > 0 && i < (int)r.nheaders; i++) {
		struct slice v = r.headers[i].value;
		uint64_t a, b;
		time_t tm;

		if (http_parse_range(v, 1000, &a, &b) == 1 && (a > b || b >= 1000))
			abort();
		(void)http_date_parse(v, &tm);
		(void)http_etag_match(v, slice_cstr("W/\"x\""), true);
		(void)http_token_list_has(v, "close");
	}
	return 0;
}
