/* http_chunked.h - a chunked body decoded in place, in the buffer it arrives
 * in: the server's request bodies now, the client's and the proxy's later.
 * The byte-level decoder (struct http_chunked, http_chunked_decode) is
 * declared in http_parse.h; this adds the loop every reader of a whole body
 * writes around it. No allocation, no socket. */
#ifndef CAMADA_HTTP_CHUNKED_H
#define CAMADA_HTTP_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

/* Too many decoded bytes for the caller's bound (413 for a server). */
#define HTTP_CHUNKED_TOO_BIG (-3)

/* One body being read. A zeroed struct (or http_chunked_body_init) is ready
 * for a new body. */
struct http_chunked_body {
	struct http_chunked ck;
	size_t len;		/* decoded bytes, at the region's start */
};

void http_chunked_body_init(struct http_chunked_body *b);

/*
 * The region p[0..*n) begins at the body's first byte: its first b->len
 * bytes are the body decoded by earlier calls, the rest is input not yet
 * decoded (more may have been appended since the last call). Decodes what
 * is there, moving each run of data down over the framing it came in and
 * dropping the framing, so that tiny chunks cannot fill the buffer with it.
 * On return the region is the decoded body p[0..b->len) followed by the
 * input not yet decoded (a partial size line, or after the end the bytes of
 * the next message), and *n is its new length (never larger).
 *
 * Returns 1 when the body has ended (the next message starts at
 * p + b->len), 0 when it needs more input (call again with the region
 * grown), PARSE_ERR on malformed framing (see http_chunked_decode), or
 * HTTP_CHUNKED_TOO_BIG when the body would pass max bytes. After an error
 * the region's contents are unspecified.
 */
int http_chunked_body_decode(struct http_chunked_body *b, uint8_t *p,
    size_t *n, uint64_t max) __attribute__((warn_unused_result));

#endif
