/* http_client.h - "camada get": an HTTP/1.1 client that fetches one URL the
 * way curl does, or a whole page the way a browser does (--page), with a
 * cookie jar in the Netscape file format and a validating cache.
 *
 * The pure parts come first: URL parsing and reference resolution (RFC
 * 3986), the HTML scanner, Set-Cookie parsing and the cookie-file lines
 * (RFC 6265), the cache's metadata header. None of them touch a socket or a
 * file, print, or keep global state. The I/O parts (jar and cache files, the
 * connections) follow, then the entry point. https goes through core/tls
 * (conn_tls_connect), http/1.1 over TLS only.
 */
#ifndef CAMADA_HTTP_CLIENT_H
#define CAMADA_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/parse.h"

/* ---- URLs (http_client_url.c) ---------------------------------------- */

/* Longest URL (and request-target) we build or accept, in bytes. */
#define HTTP_CLIENT_URL_MAX 8192

/* The five components of a URI reference (RFC 3986 §3, split the way the
 * regular expression of Appendix B does). Slices into the caller's bytes.
 * A scheme is only recognised if it is syntactically one (ALPHA followed by
 * ALPHA / DIGIT / "+" / "-" / "."); otherwise the bytes are path. */
struct http_client_uri {
	struct slice scheme, authority, path, query, fragment;
	bool has_scheme, has_authority, has_query, has_fragment;
};

void
http_client_uri_split(const char *s, size_t n, struct http_client_uri *u);

/*
 * Resolves the reference ref[0..refn) against base (an absolute URI,
 * NUL-terminated) by RFC 3986 §5.2.2, with remove_dot_segments (§5.2.4) and
 * merge (§5.2.3), "strict" (a reference with a scheme is absolute even if it
 * is the base's). Leading and trailing spaces and controls of ref are
 * ignored, and TAB, CR and LF inside it removed (what browsers do with
 * attribute values). The target's fragment is dropped: it never goes on the
 * wire. Writes the result and a NUL into out; returns its length, or -1 if
 * base has no scheme, ref holds a NUL, or the result does not fit outsz.
 */
int
http_client_url_resolve(const char *base, const char *ref, size_t refn,
    char *out, size_t outsz);

/* The path of RFC 3986 §5.2.4 with its dot segments removed, into out
 * (NUL-terminated). Returns the length, or -1 if it does not fit. */
int
http_client_remove_dot_segments(const char *path, size_t n, char *out,
    size_t outsz);

#define HTTP_CLIENT_URL_OK 0
#define HTTP_CLIENT_URL_BAD (-1)	/* malformed: exit 3 */
#define HTTP_CLIENT_URL_SCHEME (-2)	/* not http(s): exit 1 */

/* An absolute http or https URL taken apart for a request. */
struct http_client_url {
	char scheme[16];	/* lower case: "http" or "https" */
	bool tls;		/* https */
	char host[256];		/* lower case; an IPv6 literal without [] */
	bool ipv6;
	int port;		/* 1..65535; 80 (http) or 443 (https) when
				 * absent */
	/* the Host field: "h", "h:8080", "[::1]:8080" (the port left out
	 * when it is the scheme's default) */
	char hostport[272];
	/* The request-target: "/path?query", never empty. Bytes that may not
	 * appear in a URI (space, controls, non-ASCII, "<>\"^`{|}\\") are
	 * percent-encoded; '%' is kept as it is. */
	char target[HTTP_CLIENT_URL_MAX];
	/* The normalised URL without fragment ("http://h:8080/p?q",
	 * "https://h/", the port left out when it is the scheme's default):
	 * what redirects resolve against, the cache's key, and what --page
	 * prints and de-duplicates on. */
	char str[HTTP_CLIENT_URL_MAX + 300];
};

/*
 * Parses an absolute http or https URL:
 * "http[s]://host[:port]/path?query#fragment", the host a name, an IPv4
 * address or "[IPv6]". Userinfo ("user:pw@") is accepted and ignored.
 * Leading and trailing whitespace is ignored. Returns HTTP_CLIENT_URL_OK,
 * HTTP_CLIENT_URL_SCHEME for another scheme (scheme[] is set, so the
 * caller can name it), or HTTP_CLIENT_URL_BAD: no scheme, no
 * "//authority", an empty or invalid host, a port outside 1..65535, a
 * control character, a URL over HTTP_CLIENT_URL_MAX.
 */
int
http_client_url_parse(const char *s, size_t n, struct http_client_url *u);

/* ---- the HTML scanner (http_client_html.c) --------------------------- */

/* Longest attribute value reported; longer ones are skipped. */
#define HTTP_CLIENT_HTML_VALUE_MAX 8192

/* Called once per reference, in document order: tag and attribute in lower
 * case ("img", "src"), the value with character references decoded
 * (&amp; &#38; &#x26; and the common named ones; a NUL, raw or &#0;,
 * becomes U+FFFD as in HTML) as bytes url[0..n), also NUL-terminated, with
 * no NUL inside. Only valid during the call. */
typedef void http_client_html_cb(void *arg, const char *tag, const char *attr,
    const char *url, size_t n);

/*
 * Scans HTML for the objects a browser would fetch to show the page:
 * img src (or srcset's first URL when there is no src), script src, link
 * href with rel stylesheet or icon, source src (or srcset's first URL),
 * video src and poster, audio src, track src, embed src, object data,
 * iframe src, input type=image src. It also reports base href (tag "base")
 * so the caller can change the base URL (the first one counts).
 *
 * A small tokenizer after the HTML standard's, bounded and forgiving: tag
 * and attribute names are case-insensitive; values may be double-quoted,
 * single-quoted or bare; comments, <!DOCTYPE>, <?...> and end tags are
 * skipped; the content of script, style, textarea, title, xmp, noembed,
 * noframes, iframe and plaintext is raw text (no tags inside). Unterminated
 * constructs end the scan. At most 64 attributes of a tag are looked at;
 * the first of a repeated attribute wins. Returns the number of references
 * reported.
 */
size_t
http_client_html_scan(const uint8_t *p, size_t n, http_client_html_cb *cb,
    void *arg);

/* ---- cookies (http_client_cookie.c) -------------------------------------- */

/* Longest cookie (name + value) and attribute value we keep: RFC 6265 §6.1
 * asks for at least 4096 bytes per cookie. */
#define HTTP_CLIENT_COOKIE_MAX 4096
/* Most cookies in a jar (RFC 6265 §6.1: at least 3000). */
#define HTTP_CLIENT_COOKIE_JAR_MAX 3000

/* One Set-Cookie field value, parsed by RFC 6265 §5.2. Slices into the
 * caller's bytes. */
struct http_client_cookie_set {
	struct slice name, value;
	struct slice domain;	/* without a leading '.'; has_domain */
	struct slice path;	/* has_path: starts with '/' */
	bool has_domain, has_path, has_expires, has_max_age;
	bool secure, http_only;
	time_t expires;		/* has_expires */
	int64_t max_age;	/* has_max_age; <= 0 means "already expired" */
};

/* Returns 0, or -1 when the user agent must ignore the whole field (no '='
 * in the name-value pair, an empty name, a name or value over
 * HTTP_CLIENT_COOKIE_MAX, or a CTL in either). Attributes it cannot parse are
 * ignored, as §5.2 says: an Expires that is not a cookie-date, a Max-Age
 * that is not an integer, an empty Domain, a Path not starting with '/'. */
int
http_client_cookie_parse(const uint8_t *p, size_t n,
    struct http_client_cookie_set *c);

/* The cookie-date of RFC 6265 §5.1.1 (what servers put in Expires: any of
 * the HTTP date forms and many more). 0 and *t set, or -1. */
int
http_client_cookie_date_parse(const uint8_t *p, size_t n, time_t *t);

/* §5.1.3: host (lower case) equals domain, or ends with "." + domain and is
 * not an IP address. Case-insensitive. */
bool
http_client_cookie_domain_match(const char *host, const char *domain);

/* §5.1.4: whether the request path path[0..n) path-matches cookie_path. */
bool
http_client_cookie_path_match(const char *path, size_t n,
    const char *cookie_path);

/* §5.1.4 default-path of a request-target path (query excluded by the
 * caller): a prefix of path, or "/". */
struct slice
http_client_cookie_default_path(const char *path, size_t n);

/* One line of a Netscape cookie file (curl's and wget's cookies.txt):
 * domain TAB include-subdomains TAB path TAB secure TAB expiry TAB name TAB
 * value. "#HttpOnly_" before the domain marks an HttpOnly cookie. */
struct http_client_cookie_line {
	struct slice domain;	/* as written: a leading '.' is kept */
	struct slice path, name, value;
	bool subdomains, secure, http_only;
	int64_t expires;	/* 0: a session cookie */
};

/* Parses line p[0..n) (without its newline; a trailing CR is ignored).
 * Returns 1 for a cookie, 0 for a comment or a blank line, -1 for a line
 * that is neither (too few fields, a bad expiry, an empty domain or name,
 * a path not starting with '/'). A missing value (six fields) is empty. */
int
http_client_cookie_file_line(const uint8_t *p, size_t n,
    struct http_client_cookie_line *l);

/* A stored cookie (RFC 6265 §5.3), its strings owned by the jar. */
struct http_client_cookie {
	char *name, *value;
	char *domain;		/* lower case, no leading '.' */
	char *path;
	time_t expires;		/* 0: a session cookie */
	uint64_t created;	/* order of creation, for the Cookie order */
	bool host_only, secure, http_only;
};

struct http_client_cookie_jar {
	struct http_client_cookie *c;
	size_t n, cap;
	uint64_t seq;
};

void
http_client_cookie_jar_init(struct http_client_cookie_jar *j);
void
http_client_cookie_jar_free(struct http_client_cookie_jar *j);

/* Writes c as one file line and a NUL (curl's format: ".example.com" with
 * TRUE for a domain cookie, "#HttpOnly_" for HttpOnly). Returns the length,
 * or -1 if it does not fit. */
int
http_client_cookie_file_format(const struct http_client_cookie *c, char *out,
    size_t outsz);

/*
 * Applies one Set-Cookie value received from host (lower case) for a
 * request-target whose path is path[0..n), at time now (§5.3): domain
 * checks (a Domain that host does not domain-match rejects the cookie; a
 * Domain with no dot is accepted only when it is the host itself, a crude
 * public-suffix rule), default-path, replacement of a cookie with the same
 * name, domain and path (keeping its creation order), and deletion when
 * the expiry is in the past. When the jar holds HTTP_CLIENT_COOKIE_JAR_MAX
 * cookies the oldest goes. Returns 1 stored, 0 ignored or deleted, -1 out
 * of memory.
 */
int
http_client_cookie_jar_set(struct http_client_cookie_jar *j, const char *host,
    const char *path, size_t n, const uint8_t *v, size_t vn, time_t now);

/* Adds a cookie read from a file line, replacing one with the same name,
 * domain and path; an expired line only deletes. When the jar is full the
 * oldest cookie goes. Returns 1, 0 (not stored) or -1 (no memory). */
int
http_client_cookie_jar_add_line(struct http_client_cookie_jar *j,
    const struct http_client_cookie_line *l, time_t now);

/* The Cookie field value for a request to host and path over a secure
 * channel or not (§5.4): cookies that domain- and path-match and have not
 * expired, longer paths first, then older first. Secure cookies only go
 * over secure channels. Returns the length written (0: send no Cookie), or
 * -1 when it would not fit outsz. */
int
http_client_cookie_jar_header(const struct http_client_cookie_jar *j,
    const char *host, const char *path, size_t n, bool secure, time_t now,
    char *out, size_t outsz);

/* Reads a cookie file into the jar. A missing file is an empty jar (0).
 * Returns the number of cookies read, or -1 with err. */
int
http_client_cookie_jar_load(struct http_client_cookie_jar *j, const char *file,
    time_t now, char *err, size_t errsz);

/* Writes the jar (unexpired cookies, session ones with expiry 0 as curl
 * does) to file through a temporary file and rename. 0 or -1 with err. */
int
http_client_cookie_jar_save(const struct http_client_cookie_jar *j,
    const char *file, time_t now, char *err, size_t errsz);

/* ---- the cache (http_client_cache.c) ------------------------------------- */

/* Each URL is one file, DIR/<SHA-256 of the URL in hex>, holding a small
 * text header and then the body:
 *
 *	camada-cache 1
 *	url: http://host/path
 *	etag: "abc"
 *	last-modified: Tue, 15 Nov 1994 08:12:31 GMT
 *	content-type: text/html
 *	stored: 1700000000
 *	<empty line>
 *	<body bytes>
 */
#define HTTP_CLIENT_CACHE_VALUE_MAX 512

struct http_client_cache_meta {
	char url[HTTP_CLIENT_URL_MAX + 300];
	char etag[HTTP_CLIENT_CACHE_VALUE_MAX];
	char last_modified[HTTP_CLIENT_CACHE_VALUE_MAX];
	char content_type[HTTP_CLIENT_CACHE_VALUE_MAX];
	int64_t stored;
};

/* Parses the header at the start of p[0..n). Returns its length (where the
 * body starts), PARSE_AGAIN if the empty line has not come yet, or
 * PARSE_ERR (not a cache file, an over-long value, a control character). */
int
http_client_cache_meta_parse(const uint8_t *p, size_t n,
    struct http_client_cache_meta *m);

/* 64 hex digits of SHA-256(url) and a NUL. */
void
http_client_cache_key(const char *url, char hex[65]);

/* A cached entry found by http_client_cache_lookup: fd is open on its file,
 * positioned at the body, size the body's length. */
struct http_client_cache_hit {
	struct http_client_cache_meta meta;
	int fd;
	uint64_t size;
};

/* 1 and an open hit when DIR has an entry for url (with a validator),
 * 0 when not, -1 when the directory cannot be used. */
int
http_client_cache_lookup(const char *dir, const char *url,
    struct http_client_cache_hit *h);
void
http_client_cache_hit_close(struct http_client_cache_hit *h);

/* A new entry written beside the old one and renamed over it on commit. */
struct http_client_cache_writer {
	int fd;
	char tmp[4096], path[4096];
};

/* 0, or -1 (then nothing was created). meta->url, etag, last_modified and
 * content_type are written; any may be empty except url. */
int
http_client_cache_begin(struct http_client_cache_writer *w, const char *dir,
    const struct http_client_cache_meta *meta);
int
http_client_cache_write(struct http_client_cache_writer *w, const void *p,
    size_t n);
/* fsync and rename: 0 or -1 (the temporary file is removed). */
int
http_client_cache_commit(struct http_client_cache_writer *w);
void
http_client_cache_abort(struct http_client_cache_writer *w);

/* ---- the entry point (http_client.c) --------------------------------- */

/* "camada get [OPTIONS] URL". Returns the process exit code (curl's
 * numbers, listed by --help). */
int
http_client_main(int argc, char **argv);

#endif
