/* http_parse.c - HTTP/1.x request and response heads (RFC 9112 §2-§6) and
 * the framing they imply; the method and status tables; header lookup.
 * Bodies are http_chunked.c's; paths, dates and ranges live beside it.
 */
#include <limits.h>
#include <string.h>

#include "http/http_parse.h"
#include "http/http_names.h"

#define DEFAULT_REQUEST_LINE (8 * 1024)
#define DEFAULT_HEADER_SIZE (32 * 1024)
#define DEFAULT_HEADERS 100

struct http_limits
http_limits_default(void)
{
	struct http_limits l = {
		.max_request_line = DEFAULT_REQUEST_LINE,
		.max_header_size = DEFAULT_HEADER_SIZE,
		.max_headers = DEFAULT_HEADERS,
	};
	return l;
}

static struct http_limits
limits_resolve(const struct http_limits *lim)
{
	struct http_limits l = http_limits_default();

	if (lim != NULL) {
		if (lim->max_request_line)
			l.max_request_line = lim->max_request_line;
		if (lim->max_header_size)
			l.max_header_size = lim->max_header_size;
		if (lim->max_headers)
			l.max_headers = lim->max_headers;
	}
	if (l.max_headers > HTTP_MAX_HEADERS)
		l.max_headers = HTTP_MAX_HEADERS;
	/* The head's length must fit the int we return. */
	if (l.max_header_size > INT_MAX)
		l.max_header_size = INT_MAX;
	return l;
}

bool
http_is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return true;
	default:
		return false;
	}
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* field-vchar / SP / HTAB: what a field value may hold. obs-text (0x80-0xff)
 * is allowed, as RFC 9110 §5.5 says; every CTL but HTAB is not. */
static bool
is_value_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* A request-target byte: visible ASCII or obs-text (raw UTF-8 from curl is
 * common; http_path_decode validates it). '#' never belongs on the wire. */
static bool
is_target_char(uint8_t c)
{
	return c > 0x20 && c != 0x7f && c != '#';
}

/* Consumes one line ending at *q: CRLF or a bare LF. Returns 1, PARSE_AGAIN
 * or PARSE_ERR (anything else, a bare CR included). */
static int
eat_eol(const uint8_t **q, const uint8_t *end)
{
	const uint8_t *s = *q;

	if (s == end)
		return PARSE_AGAIN;
	if (*s == '\n') {
		*q = s + 1;
		return 1;
	}
	if (*s != '\r')
		return PARSE_ERR;
	if (end - s < 2)
		return PARSE_AGAIN;
	if (s[1] != '\n')
		return PARSE_ERR;
	*q = s + 2;
	return 1;
}

/* RFC 9112 §2.2: a server SHOULD ignore empty lines before the start line
 * (old clients send a CRLF after a POST body). Returns 1, AGAIN or ERR. */
static int
skip_empty_lines(const uint8_t **q, const uint8_t *end)
{
	while (*q < end && (**q == '\r' || **q == '\n')) {
		int rc = eat_eol(q, end);
		if (rc != 1)
			return rc;
	}
	return *q < end ? 1 : PARSE_AGAIN;
}

/* Matches the literal lit at *q, possibly cut short by end. */
static int
eat_literal(const uint8_t **q, const uint8_t *end, const char *lit)
{
	const uint8_t *s = *q;

	for (; *lit != '\0'; lit++, s++) {
		if (s == end)
			return PARSE_AGAIN;
		if (*s != (uint8_t)*lit)
			return PARSE_ERR;
	}
	*q = s;
	return 1;
}

/* "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3). */
static int
eat_version(const uint8_t **q, const uint8_t *end, int *major, int *minor)
{
	const uint8_t *s;
	int rc = eat_literal(q, end, "HTTP/");

	if (rc != 1)
		return rc;
	s = *q;
	for (int i = 0; i < 3; i++) {
		if (s + i == end)
			return PARSE_AGAIN;
		if (i == 1 ? s[i] != '.' : !is_digit(s[i]))
			return PARSE_ERR;
	}
	*major = s[0] - '0';
	*minor = s[2] - '0';
	*q = s + 3;
	return 1;
}

/*
 * Parses header lines up to and including the empty line. Returns 1 with *q
 * past the empty line, PARSE_AGAIN, or PARSE_ERR with *status 400 or 431.
 * Strict: a name is one or more tchars directly followed by ':' (no space
 * before the colon, RFC 9112 §5.1); a line starting with SP/HTAB is obs-fold
 * and refused (§5.2); a value holds no CTL but HTAB.
 */
static int
parse_headers(const uint8_t **q, const uint8_t *end, struct http_header *hs,
    size_t max, size_t *nh, int *status)
{
	const uint8_t *s = *q;
	int rc;

	*status = 400;
	for (;;) {
		const uint8_t *name, *vstart, *vend;

		if (s == end)
			return PARSE_AGAIN;
		if (*s == '\r' || *s == '\n') {
			rc = eat_eol(&s, end);
			if (rc == 1)
				*q = s;
			return rc;
		}
		if (is_ows(*s))
			return PARSE_ERR;
		if (*nh == max) {
			*status = 431;
			return PARSE_ERR;
		}
		name = s;
		while (s < end && http_is_tchar(*s))
			s++;
		if (s == end)
			return PARSE_AGAIN;
		if (*s != ':' || s == name)
			return PARSE_ERR;
		hs[*nh].name = slice_make(name, (size_t)(s - name));
		s++;
		while (s < end && is_ows(*s))
			s++;
		vstart = vend = s;
		while (s < end && is_value_char(*s)) {
			if (!is_ows(*s))
				vend = s + 1;
			s++;
		}
		rc = eat_eol(&s, end);
		if (rc != 1)
			return rc;
		hs[*nh].value = slice_make(vstart, (size_t)(vend - vstart));
		(*nh)++;
	}
}

/*
 * Walks a comma-separated list (RFC 9110 §5.6.1): sets *elem to the next
 * non-empty element with surrounding OWS removed. Commas inside a quoted
 * string do not split. Returns false at the end of the list.
 */
static bool
list_next(const uint8_t **q, const uint8_t *end, struct slice *elem)
{
	const uint8_t *s = *q;

	for (;;) {
		const uint8_t *start, *last;
		bool quoted = false;

		while (s < end && (is_ows(*s) || *s == ','))
			s++;
		if (s == end) {
			*q = s;
			return false;
		}
		start = last = s;
		while (s < end && (quoted || *s != ',')) {
			if (*s == '"')
				quoted = !quoted;
			else if (*s == '\\' && quoted && end - s > 1)
				s++;
			if (!is_ows(*s))
				last = s + 1;
			s++;
		}
		if (last > start) {
			*elem = slice_make(start, (size_t)(last - start));
			*q = s;
			return true;
		}
	}
}

/* The leading token of a list element ("chunked" of "chunked;x=1"). */
static struct slice
elem_token(struct slice e)
{
	size_t i = 0;

	while (i < e.n && http_is_tchar(e.p[i]))
		i++;
	return slice_make(e.p, i);
}

bool
http_token_list_has(struct slice v, const char *token)
{
	const uint8_t *q = v.p, *end = v.p + v.n;
	struct slice e;

	if (v.n == 0)
		return false;
	while (list_next(&q, end, &e))
		if (slice_caseeq(elem_token(e), token))
			return true;
	return false;
}

/* Content-Length = 1*DIGIT, but RFC 9110 §8.6 lets a recipient take
 * "5, 5" (a list of identical values, from a merged duplicate) as 5. Any
 * difference, here or with an earlier line (*have), is an error. */
static int
content_length_add(struct slice v, bool *have, uint64_t *cl)
{
	const uint8_t *q = v.p, *end = v.p + v.n;

	if (v.n == 0)
		return PARSE_ERR;
	for (;;) {
		uint64_t x = 0;

		if (q == end || !is_digit(*q))
			return PARSE_ERR;
		while (q < end && is_digit(*q)) {
			unsigned d = (unsigned)(*q - '0');
			if (x > (HTTP_CONTENT_LENGTH_MAX - d) / 10)
				return PARSE_ERR;
			x = x * 10 + d;
			q++;
		}
		if (*have && x != *cl)
			return PARSE_ERR;
		*have = true;
		*cl = x;
		while (q < end && is_ows(*q))
			q++;
		if (q == end)
			return 0;
		if (*q++ != ',')
			return PARSE_ERR;
		while (q < end && is_ows(*q))
			q++;
	}
}

/* What the framing headers of a head say, before request/response rules. */
struct framing {
	bool has_cl;
	uint64_t cl;
	bool has_te;
	unsigned te_codings;	/* codings listed over all TE lines */
	unsigned te_chunked;	/* how many of them are chunked */
	bool te_last_chunked;
	bool te_bad;		/* an element that is not a coding, or
				 * chunked with parameters */
	bool conn_close, conn_keep_alive, conn_upgrade;
	unsigned nhost;
	struct slice host;
	bool expect_continue, expect_other;
};

static void
te_add(struct slice v, struct framing *f)
{
	const uint8_t *q = v.p, *end = v.p + v.n;
	struct slice e;

	f->has_te = true;
	if (v.n == 0)
		return;
	while (list_next(&q, end, &e)) {
		struct slice t = elem_token(e);
		size_t i = t.n;

		while (i < e.n && is_ows(e.p[i]))
			i++;
		/* After the token only parameters may come. */
		if (t.n == 0 || (i < e.n && e.p[i] != ';')) {
			f->te_bad = true;
			return;
		}
		f->te_codings++;
		f->te_last_chunked = slice_caseeq(t, "chunked");
		if (f->te_last_chunked) {
			f->te_chunked++;
			/* chunked takes no parameters; "chunked;x" is someone
			 * probing how we split the value. */
			if (i < e.n)
				f->te_bad = true;
		}
	}
}

static void
connection_add(struct slice v, struct framing *f)
{
	const uint8_t *q = v.p, *end = v.p + v.n;
	struct slice e;

	if (v.n == 0)
		return;
	while (list_next(&q, end, &e)) {
		if (slice_caseeq(e, "close"))
			f->conn_close = true;
		else if (slice_caseeq(e, "keep-alive"))
			f->conn_keep_alive = true;
		else if (slice_caseeq(e, "upgrade"))
			f->conn_upgrade = true;
	}
}

static void
expect_add(struct slice v, struct framing *f)
{
	const uint8_t *q = v.p, *end = v.p + v.n;
	struct slice e;

	if (v.n == 0) {
		f->expect_other = true;
		return;
	}
	while (list_next(&q, end, &e)) {
		if (slice_caseeq(e, "100-continue"))
			f->expect_continue = true;
		else
			f->expect_other = true;
	}
}

/* One pass over the headers collecting what framing needs. Returns
 * PARSE_ERR for a malformed Content-Length; the rest is judged later. */
static int
framing_scan(const struct http_header *hs, size_t nh, struct framing *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < nh; i++) {
		struct slice name = hs[i].name, v = hs[i].value;

		/* Cheap first filter on length before the case-folding
		 * compares: most headers are none of these. */
		switch (name.n) {
		case 4:
			if (slice_caseeq(name, "host")) {
				f->nhost++;
				f->host = v;
			}
			break;
		case 6:
			if (slice_caseeq(name, "expect"))
				expect_add(v, f);
			break;
		case 10:
			if (slice_caseeq(name, "connection"))
				connection_add(v, f);
			break;
		case 14:
			if (slice_caseeq(name, "content-length") &&
			    content_length_add(v, &f->has_cl, &f->cl) != 0)
				return PARSE_ERR;
			break;
		case 17:
			if (slice_caseeq(name, "transfer-encoding"))
				te_add(v, f);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* uri-host [":" port], as in Host (RFC 9110 §7.2) and authorities: a
 * reg-name or an IP literal. No userinfo, no '/', nothing a file system or a
 * virtual-host map could misread. Sets *port if ":digits" follows. */
static bool
host_valid(struct slice v, bool *port)
{
	const uint8_t *q = v.p, *end = v.p + v.n;

	*port = false;
	if (v.n == 0)
		return true;
	if (*q == '[') {
		const uint8_t *start = ++q;
		while (q < end && *q != ']') {
			uint8_t c = *q;
			if (!(is_digit(c) || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
				return false;
			q++;
		}
		if (q == end || q == start)
			return false;
		q++;
	} else {
		while (q < end && *q != ':') {
			uint8_t c = *q;
			bool ok = (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || is_digit(c) ||
			    strchr("-._~%!$&'()*+,;=", c) != NULL;
			if (!ok || c == '\0')
				return false;
			q++;
		}
	}
	if (q == end)
		return true;
	if (*q++ != ':')
		return false;
	if (q == end)
		return true;	/* port = *DIGIT may be empty */
	while (q < end) {
		if (!is_digit(*q))
			return false;
		q++;
	}
	*port = true;
	return true;
}

/* Splits "/path?query" starting at s into r->path and r->query. */
static void
split_path(struct http_request *r, const uint8_t *s, const uint8_t *end)
{
	const uint8_t *qm = memchr(s, '?', (size_t)(end - s));

	if (qm == NULL) {
		r->path = slice_make(s, (size_t)(end - s));
		return;
	}
	r->path = slice_make(s, (size_t)(qm - s));
	r->query = slice_make(qm + 1, (size_t)(end - qm - 1));
	r->has_query = true;
}

static bool
is_scheme_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* RFC 9112 §3.2: sorts the target into its form and checks that the form
 * fits the method. Returns 0 or PARSE_ERR (400). */
static int
classify_target(struct http_request *r)
{
	const uint8_t *s = r->target.p, *end = s + r->target.n;
	const uint8_t *auth;
	bool port;

	if (r->method == HTTP_METHOD_CONNECT) {
		r->form = HTTP_TARGET_AUTHORITY;
		r->authority = r->target;
		if (!host_valid(r->authority, &port) || !port ||
		    r->authority.p[0] == ':')
			return PARSE_ERR;
		return 0;
	}
	if (*s == '/') {
		r->form = HTTP_TARGET_ORIGIN;
		split_path(r, s, end);
		return 0;
	}
	if (*s == '*' && r->target.n == 1) {
		r->form = HTTP_TARGET_ASTERISK;
		return r->method == HTTP_METHOD_OPTIONS ? 0 : PARSE_ERR;
	}

	/* absolute-form: scheme "://" authority [path] ["?" query] */
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return PARSE_ERR;
	while (s < end && is_scheme_char(*s))
		s++;
	r->scheme = slice_make(r->target.p, (size_t)(s - r->target.p));
	if (end - s < 3 || memcmp(s, "://", 3) != 0)
		return PARSE_ERR;
	auth = s += 3;
	while (s < end && *s != '/' && *s != '?')
		s++;
	r->authority = slice_make(auth, (size_t)(s - auth));
	if (r->authority.n == 0 || !host_valid(r->authority, &port))
		return PARSE_ERR;
	r->form = HTTP_TARGET_ABSOLUTE;
	if (s < end)
		split_path(r, s, end);
	return 0;
}

/*
 * method SP request-target SP HTTP-version, then the line end (RFC 9112 §3).
 * Exactly one SP between the parts. On 1, *q is past the line ending and
 * *line_end at its first byte. On PARSE_ERR, r->status is 400 or 505.
 */
static int
parse_request_line(const uint8_t **q, const uint8_t *end,
    struct http_request *r, const uint8_t **line_end)
{
	const uint8_t *s = *q, *tok;
	int major = 0, minor = 0, rc;

	r->status = 400;
	tok = s;
	while (s < end && http_is_tchar(*s))
		s++;
	if (s == end)
		return PARSE_AGAIN;
	if (s == tok || *s != ' ')
		return PARSE_ERR;
	r->method_name = slice_make(tok, (size_t)(s - tok));
	r->method = http_method_from(r->method_name);
	s++;

	tok = s;
	while (s < end && is_target_char(*s))
		s++;
	if (s == end)
		return PARSE_AGAIN;
	if (s == tok || *s != ' ')
		return PARSE_ERR;
	r->target = slice_make(tok, (size_t)(s - tok));
	s++;

	rc = eat_version(&s, end, &major, &minor);
	if (rc != 1)
		return rc;
	*line_end = s;
	rc = eat_eol(&s, end);
	if (rc != 1)
		return rc;
	/* Only now, with the whole line well-formed, is "HTTP/2.0" a
	 * version we do not speak rather than garbage. */
	if (major != 1) {
		r->status = 505;
		return PARSE_ERR;
	}
	/* RFC 9110 §2.5: a higher minor is handled as the highest we know. */
	r->version_minor = minor >= 1 ? 1 : 0;
	if (classify_target(r) != 0)
		return PARSE_ERR;
	r->status = 0;
	*q = s;
	return 1;
}

static int
fail(struct http_request *r, int status)
{
	r->status = status;
	return PARSE_ERR;
}

/* RFC 9112 §6.1, §6.3 and RFC 9110 §7.2, §8.6 applied to a request. */
static int
request_framing(struct http_request *r)
{
	struct framing f;
	bool port;

	if (framing_scan(r->headers, r->nheaders, &f) != 0)
		return fail(r, 400);
	if (f.nhost > 1 || (f.nhost == 0 && r->version_minor == 1))
		return fail(r, 400);
	if (f.nhost == 1 && !host_valid(f.host, &port))
		return fail(r, 400);
	if (f.has_te) {
		/* Any of these could be read two ways by two parsers. */
		if (f.has_cl || r->version_minor == 0 || f.te_bad ||
		    f.te_codings == 0 || !f.te_last_chunked ||
		    f.te_chunked > 1)
			return fail(r, 400);
		if (f.te_codings > 1)
			return fail(r, 501);
		r->chunked = true;
	}
	r->has_content_length = f.has_cl;
	r->content_length = f.cl;
	r->has_host = f.nhost == 1;
	r->host = f.host;
	r->conn_close = f.conn_close;
	r->conn_keep_alive = f.conn_keep_alive;
	r->conn_upgrade = f.conn_upgrade;
	r->keep_alive = !f.conn_close &&
	    (r->version_minor == 1 || f.conn_keep_alive);
	/* RFC 9110 §10.1.1: 100-continue in HTTP/1.0 is ignored. */
	r->expect_continue = f.expect_continue && r->version_minor == 1;
	r->expect_other = f.expect_other;
	return 0;
}

/* Zeroes everything but the header array, which is 3 KiB and only valid up
 * to nheaders anyway: a re-parse per read should not pay for it. */
static void
request_reset(struct http_request *r)
{
	size_t tail = offsetof(struct http_request, nheaders);

	memset(r, 0, offsetof(struct http_request, headers));
	memset((char *)r + tail, 0, sizeof(*r) - tail);
}

/* Incomplete input: either wait, or refuse if it can no longer fit. */
static int
again(struct http_request *r, size_t n, const struct http_limits *l)
{
	if (n > l->max_header_size)
		return fail(r, 431);
	return PARSE_AGAIN;
}

int
http_parse_request(const uint8_t *p, size_t n, struct http_request *r,
    const struct http_limits *lim)
{
	struct http_limits l = limits_resolve(lim);
	const uint8_t *q, *end, *line, *lend, *line_end = NULL;
	int rc, hstatus;

	request_reset(r);
	if (n == 0)
		return PARSE_AGAIN;
	/* Nothing past max_header_size can be part of an acceptable head, so
	 * never scan further: a slow client costs at most this much per call. */
	q = p;
	end = p + (n < l.max_header_size ? n : l.max_header_size);

	rc = skip_empty_lines(&q, end);
	if (rc == PARSE_AGAIN)
		return again(r, n, &l);
	if (rc != 1)
		return fail(r, 400);

	/* The request line is scanned only up to its limit and the CRLF. */
	line = q;
	lend = (size_t)(end - line) > l.max_request_line + 2 ?
	    line + l.max_request_line + 2 : end;
	rc = parse_request_line(&q, lend, r, &line_end);
	if (rc == PARSE_AGAIN) {
		size_t have = (size_t)(lend - line);
		if (lend[-1] == '\r')
			have--;
		if (have > l.max_request_line)
			return fail(r, 414);
		return again(r, n, &l);
	}
	if (rc != 1)
		return PARSE_ERR;
	if ((size_t)(line_end - line) > l.max_request_line)
		return fail(r, 414);

	rc = parse_headers(&q, end, r->headers, l.max_headers, &r->nheaders,
	    &hstatus);
	if (rc == PARSE_AGAIN)
		return again(r, n, &l);
	if (rc != 1)
		return fail(r, hstatus);
	if (request_framing(r) != 0)
		return PARSE_ERR;
	return (int)(q - p);
}

/* reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) */
static int
parse_status_line(const uint8_t **q, const uint8_t *end,
    struct http_response *r)
{
	const uint8_t *s = *q, *reason;
	int major = 0, minor = 0, rc;

	rc = eat_version(&s, end, &major, &minor);
	if (rc != 1)
		return rc;
	if (major != 1)
		return PARSE_ERR;
	r->version_minor = minor >= 1 ? 1 : 0;
	if (s == end)
		return PARSE_AGAIN;
	if (*s++ != ' ')
		return PARSE_ERR;
	r->status = 0;
	for (int i = 0; i < 3; i++, s++) {
		if (s == end)
			return PARSE_AGAIN;
		if (!is_digit(*s))
			return PARSE_ERR;
		r->status = r->status * 10 + (*s - '0');
	}
	if (r->status < 100 || r->status > 599)
		return PARSE_ERR;
	if (s == end)
		return PARSE_AGAIN;
	if (*s == ' ') {
		reason = ++s;
		while (s < end && is_value_char(*s))
			s++;
		r->reason = slice_make(reason, (size_t)(s - reason));
	}
	rc = eat_eol(&s, end);
	if (rc != 1)
		return rc;
	*q = s;
	return 1;
}

static void
response_reset(struct http_response *r)
{
	size_t tail = offsetof(struct http_response, nheaders);

	memset(r, 0, offsetof(struct http_response, headers));
	memset((char *)r + tail, 0, sizeof(*r) - tail);
}

static int
response_framing(struct http_response *r)
{
	struct framing f;

	if (framing_scan(r->headers, r->nheaders, &f) != 0)
		return PARSE_ERR;
	if (f.has_te) {
		/* Both framings, TE in HTTP/1.0, chunked twice: faulty framing
		 * (RFC 9112 §6.1, §6.3). Refuse rather than guess. */
		if (f.has_cl || r->version_minor == 0 || f.te_bad ||
		    f.te_codings == 0 || f.te_chunked > 1)
			return PARSE_ERR;
		r->chunked = f.te_last_chunked;
		r->te_unsupported = f.te_codings > 1 || !f.te_last_chunked;
	}
	r->has_content_length = f.has_cl;
	r->content_length = f.cl;
	r->close_delimited = !r->chunked && !r->has_content_length;
	r->conn_close = f.conn_close;
	r->conn_keep_alive = f.conn_keep_alive;
	r->keep_alive = !f.conn_close &&
	    (r->version_minor == 1 || f.conn_keep_alive);
	return 0;
}

int
http_parse_response(const uint8_t *p, size_t n, struct http_response *r,
    const struct http_limits *lim)
{
	struct http_limits l = limits_resolve(lim);
	const uint8_t *q, *end;
	int rc, hstatus;

	response_reset(r);
	if (n == 0)
		return PARSE_AGAIN;
	q = p;
	end = p + (n < l.max_header_size ? n : l.max_header_size);
	rc = skip_empty_lines(&q, end);
	if (rc == 1)
		rc = parse_status_line(&q, end, r);
	if (rc == 1)
		rc = parse_headers(&q, end, r->headers, l.max_headers,
		    &r->nheaders, &hstatus);
	if (rc == PARSE_AGAIN)
		return n > l.max_header_size ? PARSE_ERR : PARSE_AGAIN;
	if (rc != 1 || response_framing(r) != 0)
		return PARSE_ERR;
	return (int)(q - p);
}

bool
http_response_has_body(bool method_was_head, int status)
{
	if (method_was_head)
		return false;
	return !(status < 200 || status == 204 || status == 304);
}
