/* http_chunked.h - a chunked body decoded in place, in the buffer it arrives
 * in: the server's request bodies now, the client's and the proxy's later.
 * First the byte-level decoder (struct http_chunked, http_chunked_decode),
 * then the loop every reader of a whole body writes around it. No
 * allocation, no socket. */
#ifndef CAMADA_HTTP_CHUNKED_H
#define CAMADA_HTTP_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "core/parse.h"

/* Chunked body bounds: one chunk-size line with its extensions, and the whole
 * trailer section. Both are skipped, never returned. */
#define HTTP_CHUNK_LINE_MAX 4096
#define HTTP_CHUNK_TRAILER_MAX 16384

/*
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally with
 * explicit state, so the body may arrive in pieces split anywhere. A zeroed
 * struct (or http_chunked_init) is ready for a new body.
 */
struct http_chunked {
	int state;		/* private */
	uint64_t remaining;	/* bytes left in the current chunk's data */
	size_t line_bytes;	/* private: length of the current size or
				 * trailer line */
	size_t trailer_bytes;	/* trailer section so far */
	unsigned ndigits;	/* private */
	bool done;		/* the last chunk and trailers have ended */
};

void
http_chunked_init(struct http_chunked *st);

/*
 * Consumes framing and data from p[0..n) and returns the number of bytes
 * consumed (0 < k <= n). *data is set to the body bytes among them (a slice
 * into p; data->n may be 0 when only framing was consumed); one call returns
 * at most one run of data, so loop:
 *
 *	while (n > 0 && !st.done) {
 *		k = http_chunked_decode(&st, p, n, &data);
 *		if (k < 0) -> 400 and close
 *		deliver data; p += k; n -= k;
 *	}
 *
 * The decoder stops exactly after the body's final empty line, so when
 * st.done is set the bytes that follow belong to the next message.
 * Returns PARSE_AGAIN if n == 0, 0 if st->done already, PARSE_ERR on
 * malformed input: a missing or bad chunk size, a size over 64 bits, data
 * not followed by CRLF, a bare CR, a CTL in an extension or trailer, a size
 * line over HTTP_CHUNK_LINE_MAX or trailers over HTTP_CHUNK_TRAILER_MAX.
 * After PARSE_ERR the state is unspecified. Chunk extensions and trailer
 * fields are validated and skipped. Lines may end in a bare LF.
 */
int
http_chunked_decode(struct http_chunked *st, const uint8_t *p, size_t n,
    struct slice *data);

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
