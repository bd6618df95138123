/* libFuzzer target: the client's HTML scanner over hostile pages, and
 * reference resolution of every URL it reports. */
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"

static void
check(void *arg, const char *tag, const char *attr, const char *url, size_t n)
{
	char out[HTTP_CLIENT_URL_MAX + 300];
	int k;

	if (n == 0 || n > HTTP_CLIENT_HTML_VALUE_MAX || strlen(url) != n ||
	    tag[0] == '\0' || attr[0] == '\0')
		abort();
	k = http_client_url_resolve("http://example.com/a/b/c?q", url, n, out,
	    sizeof(out));
	if (k >= 0 && (size_t)k != strlen(out))
		abort();
	(*(size_t *)arg)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	size_t seen = 0;

	if (http_client_html_scan(p, n, check, &seen) != seen)
		abort();
	return 0;
}
