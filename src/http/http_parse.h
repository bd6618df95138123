/* http_parse.h - the pure HTTP/1.x layer's heads: requests and responses
 * (RFC 9110, RFC 9112). Its neighbours, each with its own header, hold the
 * rest of what a server, a client and a proxy share: http_chunked.h (the
 * chunked coding), http_field.h (ranges, header lookup, entity tags),
 * http_date.h, http_path.h (request paths to file paths), http_names.h.
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

/* Whether a comma-separated list (Connection, Accept-Encoding, ...) has an
 * element whose token, before any ';' parameters, equals token
 * case-insensitively. "keep-alive, Upgrade" has "upgrade". Parameters
 * (q=0 included) are not looked at. */
bool
http_token_list_has(struct slice v, const char *token);

/* RFC 9110 §5.6.2 tchar: the bytes allowed in methods and field names. */
bool
http_is_tchar(uint8_t c);

#endif
