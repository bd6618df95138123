/* http_parse.h - the pure HTTP/1.x layer: request and response heads, the
 * chunked body decoder, request paths, dates, ranges, entity tags and the
 * small field helpers a server and a client need (RFC 9110, RFC 9112).
 *
 * Nothing here touches a socket, allocates, prints or keeps global state.
 * Every output slice points into the caller's bytes and stays valid as long
 * as those bytes do (for a conn's input buffer: until the next consume or
 * read that may move it). Framing is strict on purpose: anything two parsers
 * could read two ways is refused (RFC 9112 §6.3, §11.2).
 */
#ifndef CAMADA_HTTP_PARSE_H
#define CAMADA_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/parse.h"

/* Size of the header arrays below; lim->max_headers is clamped to it. */
#define HTTP_MAX_HEADERS 100

/* Chunked body bounds: one chunk-size line with its extensions, and the whole
 * trailer section. Both are skipped, never returned. */
#define HTTP_CHUNK_LINE_MAX 4096
#define HTTP_CHUNK_TRAILER_MAX 16384

/* Largest Content-Length accepted (fits off_t); larger is 400. */
#define HTTP_CONTENT_LENGTH_MAX ((uint64_t)INT64_MAX)

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_PATCH,
	/* A valid token we do not know ("PROPFIND", or "get": methods are
	 * case-sensitive). The name is in method_name; the server answers 501
	 * (or 405 if it knows the method but the resource refuses it). */
	HTTP_METHOD_UNKNOWN
};

/* RFC 9112 §3.2: the four shapes of request-target. */
enum http_target_form {
	HTTP_TARGET_ORIGIN,	/* "/path?query" */
	HTTP_TARGET_ABSOLUTE,	/* "http://authority/path?query" (proxies) */
	HTTP_TARGET_AUTHORITY,	/* "host:port", CONNECT only */
	HTTP_TARGET_ASTERISK	/* "*", OPTIONS only */
};

struct http_header {
	struct slice name;	/* a token, case as sent: compare with slice_caseeq */
	struct slice value;	/* leading and trailing SP/HTAB removed */
};

/* Bounds on a request head. A zeroed field means "use the default". */
struct http_limits {
	size_t max_request_line;	/* bytes, without CRLF; over it: 414 */
	size_t max_header_size;		/* whole head incl. request line and the
					 * final empty line; over it: 431 */
	size_t max_headers;		/* header lines; over it: 431 */
};

/* 8 KiB request line (Apache's LimitRequestLine, nginx's large buffer),
 * 32 KiB head (nginx's 4 x 8k), 100 header lines (Apache's
 * LimitRequestFields). Browsers with big cookies stay well inside. */
struct http_limits
http_limits_default(void);

struct http_request {
	/* On PARSE_ERR: the status to answer with (400, 414, 431, 501, 505).
	 * 0 otherwise. After any PARSE_ERR the server answers and closes: the
	 * framing of what follows is unknown. */
	int status;

	enum http_method method;
	struct slice method_name;
	struct slice target;		/* the request-target as sent */
	enum http_target_form form;
	struct slice scheme;		/* ABSOLUTE: "http"; else empty */
	struct slice authority;		/* ABSOLUTE and AUTHORITY; else empty */
	/* ORIGIN and ABSOLUTE: from the first '/' up to '?' (still
	 * percent-encoded; give it to http_path_decode). Empty for
	 * "http://host" with no path: treat it as "/". Empty for the
	 * AUTHORITY and ASTERISK forms. */
	struct slice path;
	struct slice query;		/* after '?', without it */
	bool has_query;			/* "/p?" has an empty query */
	int version_minor;		/* 0 or 1 ("HTTP/1.x", x >= 2, is 1) */

	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;

	/* Framing, derived from the headers; already checked for consistency.
	 * At most one of has_content_length and chunked is set. Neither set:
	 * the request has no body (RFC 9112 §6.3 rule 7). */
	bool has_content_length;
	uint64_t content_length;	/* <= HTTP_CONTENT_LENGTH_MAX */
	bool chunked;			/* Transfer-Encoding: chunked */
	/* The Host value, checked to be uri-host [":" port]: no '/', backslash,
	 * '@' or spaces. It may be empty (RFC 9112 §3.2), and a reg-name may
	 * still be "." or "..": never join it to a path unchecked. For the
	 * ABSOLUTE form, RFC 9112 §3.2.2 says to use authority instead. */
	bool has_host;
	struct slice host;
	bool conn_close;		/* Connection has "close" */
	bool conn_keep_alive;		/* Connection has "keep-alive" */
	bool conn_upgrade;		/* Connection has "upgrade" */
	/* The decision: 1.1 unless "close"; 1.0 only with "keep-alive". */
	bool keep_alive;
	bool expect_continue;		/* HTTP/1.1 and Expect: 100-continue */
	bool expect_other;		/* another expectation: answer 417 */
};

/*
 * Parses one request head from the start of p[0..n).
 *
 * Returns the length of the head (request line, headers and the empty line
 * that ends them: the body or the next pipelined request starts at p + k),
 * PARSE_AGAIN if p is a valid but incomplete head, or PARSE_ERR with
 * r->status set. lim may be NULL for http_limits_default().
 *
 * It re-parses from the start on every call (picohttpparser style): keep the
 * head's bytes in place and call again with the longer buffer when more
 * arrive. A call costs O(n) but scans at most max_header_size bytes, so a
 * slow client costs little; bound it in time with the read timeout. Limits
 * are enforced on incomplete input too, so the caller never needs to buffer
 * more than max_header_size bytes for a head.
 *
 * Leading empty lines are skipped (RFC 9112 §2.2). Lines may end in CRLF or a
 * bare LF (RFC 9112 §2.2 allows it; people type requests into netcat); a CR
 * anywhere else is 400.
 *
 * Errors, all with r->status:
 *   400  bad request line, target or header syntax; obs-fold; space before
 *        the colon; CTLs (NUL, bare CR, DEL...) in a value; HTTP/1.1 without
 *        Host, more than one Host, an invalid Host; Content-Length with
 *        Transfer-Encoding; differing or non-numeric Content-Length;
 *        Transfer-Encoding in HTTP/1.0, without chunked last, or with chunked
 *        twice; '*' target without OPTIONS, CONNECT without authority-form.
 *   414  request line over lim->max_request_line.
 *   431  head over lim->max_header_size, or over lim->max_headers lines.
 *   501  Transfer-Encoding lists a coding other than chunked (chunked last).
 *   505  "HTTP/d.d" with a major version other than 1.
 * On PARSE_ERR the fields already parsed (method, version) may be set, so a
 * 505 or 501 can still be logged with its method; the rest is unspecified.
 */
int
http_parse_request(const uint8_t *p, size_t n, struct http_request *r,
    const struct http_limits *lim);

struct http_response {
	int version_minor;		/* 0 or 1 */
	int status;			/* 100..599 */
	struct slice reason;		/* may be empty */

	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;

	/* Framing. If the response has a body (http_response_has_body), it is
	 * chunked if chunked, else content_length bytes if has_content_length,
	 * else everything until the server closes (close_delimited). */
	bool has_content_length;
	uint64_t content_length;
	bool chunked;
	bool close_delimited;
	/* Transfer-Encoding has codings other than chunked (e.g. gzip): the
	 * client cannot decode the body and should fail the request. */
	bool te_unsupported;
	bool conn_close;
	bool conn_keep_alive;
	/* The connection may carry another request after this response's body,
	 * judging by version and Connection. A close-delimited body (when
	 * there is a body) rules reuse out as well: check both. */
	bool keep_alive;
};

/*
 * Parses one response head from the start of p[0..n), for the client. Same
 * contract as http_parse_request: returns the head's length, PARSE_AGAIN, or
 * PARSE_ERR (malformed, any HTTP version but 1.x, status outside 100..599,
 * over the limits, both Content-Length and Transfer-Encoding, differing
 * Content-Lengths, chunked twice). The reason phrase may be missing along
 * with its space ("HTTP/1.1 200\r\n"), which real servers send. lim may be
 * NULL; only max_header_size and max_headers apply.
 *
 * Interim 1xx responses (100 Continue, 103 Early Hints) come before the
 * final one: skip k bytes and parse again (but 101 switches protocols).
 */
int
http_parse_response(const uint8_t *p, size_t n, struct http_response *r,
    const struct http_limits *lim);

/* Whether a response to a request can carry a body at all (RFC 9112 §6.3
 * rules 1-2): not to HEAD, not 1xx, 204 or 304. A 2xx to CONNECT is a
 * tunnel: the caller handles that before asking. */
bool
http_response_has_body(bool method_was_head, int status);

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

/*
 * Turns a request path (r->path: percent-encoded, no query) into a file-
 * system-safe path in out, NUL-terminated. Returns its length (>= 1), or -1:
 * answer 400 (or 404, so as not to say why).
 *
 * It percent-decodes, then removes dot segments (RFC 3986 §5.2.4) and
 * collapses "//". The result begins with '/', has no "." or ".." segment and
 * no empty segment except that a trailing '/' is kept ("/dir/" stays a
 * directory; "/a/b/.." becomes "/a/"). An empty path gives "/".
 *
 * Refused (-1): a path not starting with '/'; '%' not followed by two hex
 * digits; %00 or a NUL, or any other control character; an encoded slash
 * %2F (it would let "a%2F..%2F.." hide a dot segment; and files cannot
 * contain '/'); a backslash, raw or %5C (Windows path separator); bytes that
 * are not valid UTF-8 after decoding (overlong forms like %C0%AE for '.',
 * surrogates, truncated sequences); a ".." that would climb above the root;
 * a result that does not fit outsz.
 */
int
http_path_decode(struct slice path, char *out, size_t outsz);

/* Whether any segment of a decoded path begins with '.' (".git",
 * ".htpasswd", "..."): servers refuse those by default. */
bool
http_path_has_dotfile(const char *path);

/* Writes t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and a NUL.
 * Returns 29, or -1 if the year does not have four digits. */
#define HTTP_DATE_LEN 29
int
http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);

/* Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7:
 * IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT": a year that looks
 * more than 50 years ahead is taken from the past century) and asctime
 * ("Sun Nov  6 08:49:37 1994"). Returns 0 and sets *t, or -1 if s is not
 * one of them exactly (callers ignore an invalid If-Modified-Since). */
int
http_date_parse(struct slice s, time_t *t);

/*
 * A Range header value against a representation of size bytes, for one
 * range: "bytes=a-b", "bytes=a-" or "bytes=-suffix" (RFC 9110 §14.1.2).
 * Returns 1 and sets *first and *last (inclusive, last < size) if
 * satisfiable: send 206. Returns 0 if the header is to be ignored: malformed,
 * another unit, or several ranges: send the whole 200. Returns -1 if
 * unsatisfiable (first >= size, "-0", or any range of an empty file): send
 * 416 with "Content-Range: bytes * /size".
 */
int
http_parse_range(struct slice v, uint64_t size, uint64_t *first,
    uint64_t *last);

/* The first header named name (case-insensitive), or NULL. */
const struct http_header *
http_header_find(const struct http_header *h, size_t n, const char *name);

/* The index of the next header named name at or after from, or n: loop
 * with i = http_header_next(h, n, i + 1, name) to see repeated fields. */
size_t
http_header_next(const struct http_header *h, size_t n, size_t from,
    const char *name);

/* Whether a comma-separated list (Connection, Accept-Encoding, ...) has an
 * element whose token, before any ';' parameters, equals token
 * case-insensitively. "keep-alive, Upgrade" has "upgrade". Parameters
 * (q=0 included) are not looked at. */
bool
http_token_list_has(struct slice v, const char *token);

/* Whether an entity-tag list (If-None-Match, If-Match) matches etag, which
 * is the full tag as the server sends it ("\"abc\"" or "W/\"abc\"").
 * "*" matches any. weak = true is the weak comparison that If-None-Match
 * uses (W/ ignored on both sides); weak = false is the strong one (If-Match,
 * If-Range: both tags must be strong and equal). A malformed list matches
 * nothing. */
bool
http_etag_match(struct slice list, struct slice etag, bool weak);

/* "OK", "Not Found", ...; "Unknown" for a code with no registered phrase.
 * Never NULL. */
const char *
http_status_reason(int status);

/* "GET", ...; "UNKNOWN" for HTTP_METHOD_UNKNOWN (log method_name instead). */
const char *
http_method_name(enum http_method m);

/* The enum for a method token (case-sensitive), HTTP_METHOD_UNKNOWN if none. */
enum http_method
http_method_from(struct slice s);

/* RFC 9110 §5.6.2 tchar: the bytes allowed in methods and field names. */
bool
http_is_tchar(uint8_t c);

#endif
