/* libFuzzer target: the response head parser; a head's proper prefix must
 * be "need more". */
#include <stdlib.h>

#include "http/http_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct http_response r;
	int k = http_parse_response(p, n, &r, NULL);

	if (!(k == PARSE_AGAIN || k == PARSE_ERR || (k > 0 && (size_t)k <= n)))
		abort();
	if (k > 0 && (r.status < 100 || r.status > 599 ||
	    (r.chunked && r.has_content_length)))
		abort();
	if (k > 0 && http_parse_response(p, (size_t)k - 1, &r, NULL) !=
	    PARSE_AGAIN)
		abort();
	return 0;
}
