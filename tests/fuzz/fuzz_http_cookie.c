/* libFuzzer target: the cookie parsers - a Set-Cookie value, a cookie-date,
 * a line of a Netscape cookie file - and the jar that stores what they
 * accept and writes it back as a file line that must parse again. */
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"

static bool
inside(struct slice s, const uint8_t *p, size_t n)
{
	return s.n == 0 || (s.p >= p && s.p + s.n <= p + n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct http_client_cookie_set c;
	struct http_client_cookie_line l;
	struct http_client_cookie_jar j;
	char out[HTTP_CLIENT_COOKIE_MAX + 2048];
	time_t t;

	if (http_client_cookie_parse(p, n, &c) == 0) {
		if (c.name.n == 0 || !inside(c.name, p, n) ||
		    !inside(c.value, p, n) || !inside(c.domain, p, n) ||
		    !inside(c.path, p, n) ||
		    (c.has_path && (c.path.n == 0 || c.path.p[0] != '/')))
			abort();
	}
	(void)http_client_cookie_date_parse(p, n, &t);

	http_client_cookie_jar_init(&j);
	if (http_client_cookie_jar_set(&j, "www.example.com", "/a/b", 4, p, n,
	    1700000000) == 1) {
		if (j.n != 1 || http_client_cookie_jar_header(&j, j.c[0].domain,
		    j.c[0].path, strlen(j.c[0].path), true, 1700000000, out,
		    sizeof(out)) < 0)
			abort();
		/* what we write must read back as the same cookie */
		int k = http_client_cookie_file_format(&j.c[0], out,
		    sizeof(out));
		if (k < 0 || http_client_cookie_file_line((const uint8_t *)out,
		    (size_t)k, &l) != 1 || !slice_eq(l.name, j.c[0].name) ||
		    !slice_eq(l.value, j.c[0].value))
			abort();
	}
	http_client_cookie_jar_free(&j);

	int r = http_client_cookie_file_line(p, n, &l);
	if (r < -1 || r > 1)
		abort();
	if (r == 1 && (!inside(l.domain, p, n) || !inside(l.name, p, n) ||
	    !inside(l.value, p, n) || l.name.n == 0 || l.path.n == 0))
		abort();
	return 0;
}
