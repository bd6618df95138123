/* libFuzzer target: http URL parsing and reference resolution. A parsed
 * URL's normalised form must parse again to the same thing. */
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct http_client_url u, v;
	static char out[HTTP_CLIENT_URL_MAX * 2];
	size_t half = n / 2;
	int r;

	r = http_client_url_parse((const char *)p, n, &u);
	if (r == HTTP_CLIENT_URL_OK) {
		if (u.port < 1 || u.port > 65535 || u.target[0] != '/' ||
		    u.host[0] == '\0')
			abort();
		if (http_client_url_parse(u.str, strlen(u.str), &v) !=
		    HTTP_CLIENT_URL_OK || strcmp(u.str, v.str) != 0)
			abort();
	} else if (r != HTTP_CLIENT_URL_BAD && r != HTTP_CLIENT_URL_SCHEME) {
		abort();
	}
	/* the first half as a base (made absolute), the rest as a reference */
	memcpy(out, "http://h/", 9);
	memcpy(out + 9, p, half);
	out[9 + half] = '\0';
	if (strlen(out) == 9 + half) {
		static char res[HTTP_CLIENT_URL_MAX * 2];
		int k = http_client_url_resolve(out, (const char *)p + half,
		    n - half, res, sizeof(res));
		if (k >= 0 && (size_t)k != strlen(res))
			abort();
	}
	return 0;
}
