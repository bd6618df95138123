/* http_server.c - the HTTP/1.0 and 1.1 origin server: connections, request
 * framing, keep-alive and pipelining, limits and timeouts, method dispatch,
 * error responses and /metrics. Files are http_server_static.c's job; the
 * cookie and form demos are http_server_demo.c's.
 *
 * Requests on one connection are answered strictly in order: a request is
 * parsed only when the previous response has been queued, and parsing stops
 * while a large response is still going out (backpressure), so a pipelining
 * client can never make the server buffer without bound.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/clock.h"
#include "core/cli.h"
#include "core/log.h"
#include "core/tls.h"
#include "http/http_mime.h"
#include "http/http_server.h"
#include "http/http_server_alog.h"
#include "http/http_server_demo.h"
#include "http/http_server_static.h"
#include "http/http_server_tls.h"
#include "http/http_chunked.h"
#include "http/http_date.h"
#include "http/http_names.h"

#define CAMADA_SERVER "camada/0.1"

#define H(f) offsetof(struct http_conf, f)
static const struct conf_key http_keys[] = {
	{ "listen", CONF_ADDRS, H(listen), "0.0.0.0:8080", 0, 0,
	    "address to listen on (repeat for more)", 'l' },
	{ "tls-listen", CONF_ADDRS, H(tls_listen), NULL, 0, 0,
	    "address to serve HTTPS on (repeat for more)", 0 },
	{ "tls-cert", CONF_PATH, H(tls_cert), NULL, 0, 0,
	    "the default certificate chain (PEM, leaf first)", 0 },
	{ "tls-key", CONF_PATH, H(tls_key), NULL, 0, 0,
	    "the default certificate's private key (PEM)", 0 },
	{ "tls-handshake-timeout", CONF_MS, H(tls_handshake_timeout), "10s",
	    0, 0, "time a client has to finish the TLS handshake", 0 },
	{ "tls-ciphers", CONF_STR, H(tls_ciphers), TLS_CIPHERS_INTERMEDIATE,
	    0, 0, "TLS 1.2 cipher list (OpenSSL syntax)", 0 },
	{ "tls-protocols", CONF_STR, H(tls_protocols), TLS_PROTOCOLS_DEFAULT,
	    0, 0, "TLS versions accepted: TLSv1.2, TLSv1.3 or both", 0 },
	{ "tls-session-cache", CONF_INT, H(tls_session_cache), "20480", 1,
	    10000000, "TLS 1.2 sessions each worker remembers", 0 },
	{ "redirect-to-https", CONF_BOOL, H(redirect_to_https), "off", 0, 0,
	    "answer plain-HTTP requests with 301 to https:// (not /metrics)",
	    0 },
	{ "hsts", CONF_STR, H(hsts), "off", 0, 0,
	    "off, or the Strict-Transport-Security value sent over TLS "
	    "('max-age=31536000')", 0 },
	{ "root", CONF_PATH, H(root), ".", 0, 0,
	    "directory the files are served from", 'r' },
	{ "index", CONF_STR, H(index), "index.html", 0, 0,
	    "file served for a directory", 0 },
	{ "autoindex", CONF_BOOL, H(autoindex), "off", 0, 0,
	    "list directories that have no index file", 0 },
	{ "dotfiles", CONF_BOOL, H(dotfiles), "off", 0, 0,
	    "serve names that begin with '.'", 0 },
	{ "symlinks-outside-root", CONF_BOOL, H(symlinks_outside), "off", 0, 0,
	    "follow symbolic links that leave the root", 0 },
	{ "vhost", CONF_PATHS, H(vhost), NULL, 0, 0,
	    "a virtual host: 'NAME ROOT [CERT KEY]' (repeat for more)", 0 },
	{ "redirect", CONF_STRS, H(redirect), NULL, 0, 0,
	    "'FROM TO [301|302|307|308]': redirect a path (repeat)", 0 },
	{ "max-request-line", CONF_SIZE, H(max_request_line), "8k", 0, 0,
	    "longest request line (414 past it)", 0 },
	{ "max-header-size", CONF_SIZE, H(max_header_size), "32k", 0, 0,
	    "largest request head (431 past it)", 0 },
	{ "max-headers", CONF_INT, H(max_headers), "100", 1, HTTP_MAX_HEADERS,
	    "most header lines in a request (431 past it)", 0 },
	{ "max-body", CONF_SIZE, H(max_body), "64k", 0, 0,
	    "largest request body (413 past it)", 0 },
	{ "header-timeout", CONF_MS, H(header_timeout), "10s", 0, 0,
	    "time to send a whole request head (408 past it)", 0 },
	{ "body-timeout", CONF_MS, H(body_timeout), "30s", 0, 0,
	    "silence allowed while a body arrives", 0 },
	{ "keepalive-timeout", CONF_MS, H(keepalive_timeout), "30s", 0, 0,
	    "idle time before a persistent connection is closed", 0 },
	{ "send-timeout", CONF_MS, H(send_timeout), "60s", 0, 0,
	    "a client that takes nothing for this long is cut", 0 },
	{ "max-requests", CONF_INT, H(max_requests), "10000", 1, 100000000,
	    "requests per connection before it is closed", 0 },
	{ "max-connections", CONF_INT, H(max_connections), "20000", 1, 10000000,
	    "connections at once per worker", 0 },
	{ "access-log", CONF_PATH, H(access_log), "off", 0, 0,
	    "off, stderr or a file: one line per request", 0 },
	{ "access-log-format", CONF_STR, H(access_log_format), "auto", 0, 0,
	    "combined (Apache/nginx), json, or auto: combined unless on "
	    "stderr with log-format = json", 0 },
	{ "metrics", CONF_BOOL, H(metrics), "on", 0, 0,
	    "serve /metrics (Prometheus text format)", 0 },
	{ "metrics-allow", CONF_STRS, H(metrics_allow), "127.0.0.0/8 ::1/128", 0, 0,
	    "address prefixes allowed to read /metrics (repeat)", 0 },
	{ "demo", CONF_BOOL, H(demo), "off", 0, 0,
	    "the /visits cookie demo and the /post form demo", 0 },
	{ "sessions-max", CONF_INT, H(sessions_max), "10000", 16, 10000000,
	    "cookie sessions the demo keeps", 0 },
	{ "session-ttl", CONF_MS, H(session_ttl), "30m", 0, 0,
	    "a demo session unused this long is forgotten", 0 },
	{ "server-name", CONF_STR, H(server_name), CAMADA_SERVER, 0, 0,
	    "the Server header", 0 },
	{ "file-cache", CONF_BOOL, H(file_cache), "on", 0, 0,
	    "keep small files (up to 16k) in memory", 0 },
	{ "file-cache-valid", CONF_MS, H(file_cache_valid), "1s", 0, 0,
	    "how long a cached file is used before it is checked again", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

static struct {
	int req[6][6];   /* [method][status class] */
	int bytes, bad, duration;
} m;
static struct session_metrics sm;
static const struct session_names names = {
	"http_connections_total", "HTTP connections accepted",
	"http_connections_refused_total",
	"HTTP connections refused over max-connections",
	"http_connections_open", "HTTP connections open now",
};

static const char *const method_labels[6] = {
	"GET", "HEAD", "POST", "OPTIONS", "other", "none"
};

/* --- setup (parent) --- */

/* Set by `camada http`, the quick server of a folder: it says where to point
 * a browser, as `python3 -m http.server` does ("serve" stays quiet). */
static int http_cmd;

/* "camada: serving HTTP on 0.0.0.0 port 8080 (http://0.0.0.0:8080/) from
 * /srv/site" for each listener, after its "listening on" line ("HTTPS" and
 * https:// for a tls-listen one): on stderr, or as a log line when the log
 * is JSON (every line of it an object). */
static void
announce(const struct instance *in, const struct http_state *st)
{
	const struct http_conf *cf = st->cf;
	char as[SOCK_ADDR_STRLEN], host[SOCK_ADDR_STRLEN], dir[PATH_MAX];
	const char *root = realpath(cf->root, dir) ? dir : cf->root;

	for (int i = 0; i < in->nls; i++) {
		int port = sock_addr_port(&in->ls[i].addr);
		const char *what = st->is_tls[i] ? "HTTPS" : "HTTP";
		const char *scheme = st->is_tls[i] ? "https" : "http";

		sock_addr_str(&in->ls[i].addr, as, sizeof(as));
		sock_addr_host(&in->ls[i].addr, host, sizeof(host));
		if (log_get_format() == LOG_JSON)
			log_info("http: serving %s on %s port %d "
			    "(%s://%s/) from %s", what, host, port, scheme, as,
			    root);
		else
			fprintf(stderr, "camada: serving %s on %s port %d "
			    "(%s://%s/) from %s\n", what, host, port, scheme,
			    as, root);
	}
}

/* What the config names beyond its keys, except the TLS files: the roots,
 * the vhost and redirect syntax, metrics-allow, the access log's format,
 * hsts. */
static int
check_conf(const struct http_conf *cf, char *err)
{
	int fd;

	fd = open(cf->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, CONF_ERR_LEN, "http: root %s: %s", cf->root,
		    strerror(errno));
		return -1;
	}
	close(fd);
	for (int i = 0; i < cf->vhost.n; i++) {
		struct http_vhost_words *w = malloc(sizeof(*w));
		if (w == NULL) {
			snprintf(err, CONF_ERR_LEN, "http: out of memory");
			return -1;
		}
		if (http_vhost_parse(cf->vhost.v[i], w, err) < 0) {
			free(w);
			return -1;
		}
		fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, CONF_ERR_LEN, "http: vhost %s root %s: %s",
			    w->name, w->root, strerror(errno));
			free(w);
			return -1;
		}
		close(fd);
		free(w);
	}
	for (int i = 0; i < cf->redirect.n; i++) {
		char from[1024], to[1024];
		int status = 301, k;
		k = sscanf(cf->redirect.v[i], "%1023s %1023s %d", from, to, &status);
		if (k < 2 || from[0] != '/' || (status != 301 && status != 302 &&
		    status != 307 && status != 308)) {
			snprintf(err, CONF_ERR_LEN, "http: redirect '%s': expected "
			    "'FROM TO [301|302|307|308]'", cf->redirect.v[i]);
			return -1;
		}
	}
	char why[160];
	struct acl check;
	memset(&check, 0, sizeof(check));
	if (acl_from_strs(&check, &cf->metrics_allow, why, sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "http: metrics-allow %s", why);
		return -1;
	}
	if (strcmp(cf->access_log_format, "combined") != 0 &&
	    strcmp(cf->access_log_format, "json") != 0 &&
	    strcmp(cf->access_log_format, "auto") != 0) {
		snprintf(err, CONF_ERR_LEN,
		    "http: access-log-format '%s': combined, json or auto",
		    cf->access_log_format);
		return -1;
	}
	for (const char *p = cf->hsts; p && *p; p++) {
		if (!isprint((unsigned char)*p)) {
			snprintf(err, CONF_ERR_LEN,
			    "http: hsts: a header value, such as "
			    "'max-age=31536000'");
			return -1;
		}
	}
	return http_server_tls_conf_check(cf, err);
}

/* The TLS files are read only where tls-listen would use them. */
static int
http_check(struct instance *in, char *err)
{
	const struct http_conf *cf = in->conf;

	if (check_conf(cf, err) < 0)
		return -1;
	return cf->tls_listen.n ? http_server_tls_check(cf, err) : 0;
}

/* The state setup makes for the workers: the TLS context and which
 * listeners it serves. */
static struct http_state *
state_new(struct instance *in)
{
	struct http_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->in = in;
	st->cf = in->conf;
	st->rootfd = -1;
	st->alog_fd = -1;
	return st;
}

static int
http_setup(struct instance *in, char *err)
{
	struct http_conf *cf = in->conf;
	struct http_state *st;

	for (int mi = 0; mi < 6; mi++) {
		for (int ci = 1; ci <= 5; ci++) {
			char labels[64];
			snprintf(labels, sizeof(labels),
			    "method=\"%s\",code=\"%dxx\"", method_labels[mi], ci);
			m.req[mi][ci] = metric_counter("http_requests_total", labels,
			    "HTTP requests answered, by method and status class");
		}
	}
	m.bytes = metric_counter("http_response_bytes_total", "",
	    "body bytes of HTTP responses");
	session_metrics_register(&sm, &names);
	m.bad = metric_counter("http_bad_requests_total", "",
	    "requests refused as malformed or over a limit");
	static const double lat[] = { 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
		0.1, 0.5, 1, 5 };
	m.duration = metric_histogram("http_request_duration_seconds", "",
	    "time from a request's head to its response being queued", lat,
	    (int)(sizeof(lat) / sizeof(lat[0])));

	if (check_conf(cf, err) < 0)
		return -1;
	if ((st = state_new(in)) == NULL) {
		snprintf(err, CONF_ERR_LEN, "http: out of memory");
		return -1;
	}
	in->state = st;
	if (cf->tls_listen.n) {
		/* before any listener: a bad certificate stops the start
		 * without a "listening on" line; the workers inherit it */
		tls_metrics_register();
		if ((st->tls = http_server_tls_new(cf, err)) == NULL)
			return -1;
	}
	if (cf->demo && http_server_demo_setup(cf, err) < 0)
		return -1;
	http_mime_load();
	for (int i = 0; i < cf->listen.n; i++)
		if (server_listen(in, &cf->listen.a[i], 0, err) < 0)
			return -1;
	for (int i = 0; i < cf->tls_listen.n; i++) {
		int k = server_listen(in, &cf->tls_listen.a[i], 0, err);
		if (k < 0)
			return -1;
		st->is_tls[k] = true;
		if (!st->tls_port)
			st->tls_port = sock_addr_port(&in->ls[k].addr);
	}
	if (http_cmd)
		announce(in, st);
	return 0;
}

/* --- responses --- */

static const char *
date_now(void)
{
	static char date[HTTP_DATE_LEN + 1];
	static time_t cached = -1;
	time_t now = time(NULL);

	if (now != cached) {
		http_date_format(now, date);
		cached = now;
	}
	return date;
}

/* The head is built by copying, without printf: it is on every response's
 * path, and formatting was a tenth of the cost of a small one. */
static char *
put(char *d, const char *s)
{
	size_t n = strlen(s);

	memcpy(d, s, n);
	return d + n;
}

static char *
put_u64(char *d, uint64_t v)
{
	char tmp[24];
	int i = 0;

	do
		tmp[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i)
		*d++ = tmp[--i];
	return d;
}

int
http_send_head(struct http_txn *t, int status, const char *ctype, int64_t len,
    const char *extra)
{
	struct conn *c = t->s->base.c;
	const struct http_request *r = t->req;
	const char *reason = http_status_reason(status);
	const char *server = t->s->st->cf->server_name;
	const char *hsts = t->s->tls ? t->s->st->cf->hsts : NULL;
	int minor = r ? r->version_minor : 1;
	size_t need;
	char *d, *start;

	t->status = status;
	if (len == HTTP_LEN_CHUNKED && minor == 0)
		t->keep_alive = false; /* 1.0: the close ends the body */
	if (hsts && (!hsts[0] || strcmp(hsts, "off") == 0))
		hsts = NULL;
	need = 160 + strlen(reason) + strlen(server) +
	    (ctype ? strlen(ctype) : 0) + (extra ? strlen(extra) : 0) +
	    (hsts ? 32 + strlen(hsts) : 0);
	start = d = (char *)conn_reserve(c, need);
	if (d == NULL) {
		conn_abort(c); /* no response: the answers would shift by one */
		return -1;
	}
	d = put(d, minor ? "HTTP/1.1 " : "HTTP/1.0 ");
	d = put_u64(d, (uint64_t)(status > 0 ? status : 500));
	*d++ = ' ';
	d = put(d, reason);
	d = put(d, "\r\nServer: ");
	d = put(d, server);
	d = put(d, "\r\nDate: ");
	d = put(d, date_now());
	d = put(d, "\r\n");
	if (ctype) {
		d = put(d, "Content-Type: ");
		d = put(d, ctype);
		d = put(d, "\r\n");
	}
	if (len >= 0) {
		d = put(d, "Content-Length: ");
		d = put_u64(d, (uint64_t)len);
		d = put(d, "\r\n");
	} else if (len == HTTP_LEN_CHUNKED && minor >= 1) {
		d = put(d, "Transfer-Encoding: chunked\r\n");
	}
	if (!t->keep_alive)
		d = put(d, "Connection: close\r\n");
	else if (minor == 0)
		d = put(d, "Connection: keep-alive\r\n");
	if (hsts) {
		/* RFC 6797 7.2: only over a secure transport */
		d = put(d, "Strict-Transport-Security: ");
		d = put(d, hsts);
		d = put(d, "\r\n");
	}
	if (extra)
		d = put(d, extra);
	d = put(d, "\r\n");
	conn_commit(c, (size_t)(d - start));
	return 0;
}

int
http_send_body(struct http_txn *t, int status, const char *ctype,
    const void *body, size_t n, const char *extra)
{
	if (http_send_head(t, status, ctype, (int64_t)n, extra) < 0)
		return -1;
	if (t->req && t->req->method == HTTP_METHOD_HEAD)
		return 0;
	t->bytes = n;
	if (conn_write(t->s->base.c, body, n) < 0) {
		/* the head promised n bytes: the stream cannot be saved */
		conn_abort(t->s->base.c);
		return -1;
	}
	return 0;
}

int
http_send_error(struct http_txn *t, int status, const char *extra)
{
	char body[512];
	const char *reason = http_status_reason(status);
	int n = snprintf(body, sizeof(body),
	    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
	    "<body><h1>%d %s</h1><hr><p>%s</p></body></html>\n",
	    status, reason, status, reason, t->s->st->cf->server_name);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	/* an error on a request whose framing we could not read ends it */
	return http_send_body(t, status, "text/html; charset=utf-8", body,
	    (size_t)n, extra);
}

int
http_html_escape(struct buf *b, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep ? buf_append_str(b, rep) < 0 : buf_append(b, &s[i], 1) < 0)
			return -1;
	}
	return 0;
}

/* --- requests --- */

static int
method_index(const struct http_request *r)
{
	if (r == NULL)
		return 5;
	switch (r->method) {
	case HTTP_METHOD_GET: return 0;
	case HTTP_METHOD_HEAD: return 1;
	case HTTP_METHOD_POST: return 2;
	case HTTP_METHOD_OPTIONS: return 3;
	default: return 4;
	}
}

static void
account(struct http_txn *t)
{
	struct http_session *s = t->s;
	int cls = t->status / 100;

	if (cls < 1 || cls > 5)
		cls = 5;
	metric_inc(m.req[method_index(t->req)][cls]);
	metric_add(m.bytes, t->bytes);
	if (s->t_start)
		metric_observe(m.duration, (double)(clock_mono_us() - s->t_start) / 1e6);
	http_server_alog_write(s->st, t);
}

/* The root for the request's Host (virtual hosts), or the default one. */
static void
pick_root(struct http_txn *t)
{
	struct http_state *st = t->s->st;
	const struct http_request *r = t->req;
	struct slice host = r->host;

	t->root = st->cf->root;
	t->rootfd = st->rootfd;
	if (r->form == HTTP_TARGET_ABSOLUTE && r->authority.n)
		host = r->authority;
	if (!host.n || !st->nvhosts)
		return;
	size_t n = host.n;
	if (host.p[0] != '[') {
		const uint8_t *colon = memchr(host.p, ':', host.n);
		if (colon)
			n = (size_t)(colon - host.p);
	}
	if (n && host.p[n - 1] == '.')
		n--; /* "example.com." is "example.com" */
	for (int i = 0; i < st->nvhosts; i++) {
		if (strlen(st->vhosts[i].name) == n &&
		    strncasecmp(st->vhosts[i].name, (const char *)host.p, n) == 0) {
			t->root = st->vhosts[i].root;
			t->rootfd = st->vhosts[i].rootfd;
			return;
		}
	}
}

static int
serve_metrics(struct http_txn *t)
{
	struct http_state *st = t->s->st;
	struct buf b;
	int rc;

	if (!acl_match(&st->allow, &t->s->base.c->peer))
		return http_send_error(t, 403, NULL);
	buf_init(&b, 8 * 1024 * 1024);
	if (metrics_render(&b) < 0) {
		buf_free(&b);
		return http_send_error(t, 500, NULL);
	}
	rc = http_send_body(t, 200, "text/plain; version=0.0.4; charset=utf-8",
	    buf_data(&b), b.len, NULL);
	buf_free(&b);
	return rc;
}

static int
try_redirect(struct http_txn *t)
{
	struct http_state *st = t->s->st;
	const struct http_request *r = t->req;

	for (int i = 0; i < st->nredirects; i++) {
		if (!slice_eq(r->path, st->redirects[i].from))
			continue;
		char extra[1200];
		snprintf(extra, sizeof(extra), "Location: %s\r\n",
		    st->redirects[i].to);
		http_send_error(t, st->redirects[i].status, extra);
		return 1;
	}
	return 0;
}

static void
answer(struct http_txn *t)
{
	const struct http_request *r = t->req;
	static const char allow[] = "Allow: GET, HEAD, POST, OPTIONS\r\n";

	pick_root(t);
	switch (r->method) {
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
	case HTTP_METHOD_POST:
		break;
	case HTTP_METHOD_OPTIONS:
		http_send_head(t, 204, NULL, HTTP_LEN_NONE, allow);
		return;
	case HTTP_METHOD_UNKNOWN:
		http_send_error(t, 501, NULL);
		return;
	default:
		/* known methods this server does not allow on its resources */
		http_send_error(t, 405, allow);
		return;
	}
	if (r->form == HTTP_TARGET_ASTERISK || r->form == HTTP_TARGET_AUTHORITY) {
		http_send_error(t, 400, NULL);
		return;
	}
	if (http_server_tls_redirect(t) || try_redirect(t))
		return;
	if (t->s->st->cf->metrics && slice_eq(r->path, "/metrics") &&
	    r->method != HTTP_METHOD_POST) {
		serve_metrics(t);
		return;
	}
	if (t->s->st->cf->demo && http_server_demo_handle(t))
		return;
	if (r->method == HTTP_METHOD_POST) {
		http_send_error(t, 405, "Allow: GET, HEAD, OPTIONS\r\n");
		return;
	}
	http_server_static_serve(t);
}

static void session_close_with(struct http_session *s, int status);

/* Ends a connection whose request could not be framed: answer, then close. */
static void
session_close_with(struct http_session *s, int status)
{
	struct http_txn t;
	char peer[SOCK_ADDR_STRLEN];

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.keep_alive = false;
	metric_inc(m.bad);
	log_info("http: %s: %d %s",
	    conn_peer_str(s->base.c, peer, sizeof(peer)),
	    status, http_status_reason(status));
	if (status && http_send_error(&t, status, NULL) == 0)
		account(&t);
	loop_timer_stop(s->base.c->loop, &s->head_timer);
	conn_close(s->base.c);
}

static void
reset_request(struct http_session *s)
{
	s->discard = 0;
	http_chunked_body_init(&s->cb);
	s->sent_continue = false;
	s->t_start = 0;
}

static void
send_continue(struct http_session *s, const struct http_request *r)
{
	if (r->expect_continue && !s->sent_continue) {
		s->sent_continue = true;
		if (conn_write(s->base.c, "HTTP/1.1 100 Continue\r\n\r\n",
		    25) < 0)
			conn_abort(s->base.c);
	}
}

/* Whether the request's body is read at all: only the form demo's is. */
static int
wants_body(const struct http_state *st, const struct http_request *r)
{
	return st->cf->demo && r->method == HTTP_METHOD_POST &&
	    slice_eq(r->path, "/post");
}

/* Waiting for a body: silence is bounded by body-timeout, and the whole body
 * by it too (the head timer again), so a trickle cannot hold memory. */
static void
enter_body(struct http_session *s)
{
	if (s->phase == HTTP_BODY)
		return;
	s->phase = HTTP_BODY;
	conn_set_timeout(s->base.c, s->st->cf->body_timeout);
	if (s->st->cf->body_timeout)
		loop_timer_start(s->base.c->loop, &s->head_timer,
		    s->st->cf->body_timeout, 0);
}

/* Parses and answers the requests in the input buffer, in order. */
static void
process(struct http_session *s)
{
	struct conn *c = s->base.c;
	struct http_state *st = s->st;
	const struct http_conf *cf = st->cf;

	while (!conn_closing(c) && s->phase != HTTP_DRAIN) {
		struct http_request req;
		if (s->phase == HTTP_DISCARD) {
			size_t k = c->in.len < s->discard ? c->in.len :
			    (size_t)s->discard;
			buf_consume(&c->in, k);
			s->discard -= k;
			if (s->discard)
				return;
			loop_timer_stop(c->loop, &s->head_timer);
			s->phase = HTTP_IDLE;
			conn_set_timeout(c, cf->keepalive_timeout);
			continue;
		}
		struct slice body = { NULL, 0 };
		size_t total;
		int k;

		if (c->in.len == 0) {
			/* between requests (also right after answering one,
			 * when phase is already IDLE): the keep-alive timeout,
			 * not the header timeout the request began with */
			s->phase = HTTP_IDLE;
			break;
		}
		if (s->phase == HTTP_IDLE) {
			s->phase = HTTP_HEAD;
			s->t_start = clock_mono_us();
			conn_set_timeout(c, cf->header_timeout);
			if (cf->header_timeout)
				loop_timer_start(c->loop, &s->head_timer,
				    cf->header_timeout, 0);
		}
		uint8_t *p = buf_data(&c->in);
		k = http_parse_request(p, c->in.len, &req, &st->lim);
		if (k == PARSE_AGAIN)
			return;
		if (k == PARSE_ERR) {
			session_close_with(s, req.status ? req.status : 400);
			return;
		}
		total = (size_t)k;
		if (req.expect_other) {
			session_close_with(s, 417);
			return;
		}
		int has_body = req.chunked ||
		    (req.has_content_length && req.content_length > 0);
		int skip_body = has_body && !wants_body(st, &req);
		if (s->phase == HTTP_HEAD) /* the head is in: its timer ends */
			loop_timer_stop(c->loop, &s->head_timer);
		if (skip_body) {
			/* Only the form demo reads a body. Any other is not held
			 * in memory: it is answered at once and its bytes are
			 * dropped as they come (a chunked one ends the
			 * connection: the lingering close drops it). */
		} else if (req.has_content_length && req.content_length > 0) {
			if (req.content_length > cf->max_body) {
				session_close_with(s, 413);
				return;
			}
			if (c->in.len - total < req.content_length) {
				enter_body(s);
				send_continue(s, &req);
				return;
			}
			body = slice_make(p + total, (size_t)req.content_length);
			total += (size_t)req.content_length;
		} else if (req.chunked) {
			/* decoded in place: the data moves down over the framing
			 * it came in, right after the head */
			size_t n = c->in.len - total;
			int r = http_chunked_body_decode(&s->cb, p + total, &n,
			    cf->max_body);
			c->in.len = total + n;
			if (r < 0) {
				session_close_with(s,
				    r == HTTP_CHUNKED_TOO_BIG ? 413 : 400);
				return;
			}
			if (r == 0) {
				enter_body(s);
				send_continue(s, &req);
				return;
			}
			body = slice_make(p + total, s->cb.len);
			total += s->cb.len;
		}

		struct http_txn t;
		memset(&t, 0, sizeof(t));
		t.s = s;
		t.req = &req;
		t.body = body;
		s->nreq++;
		t.keep_alive = req.keep_alive && s->nreq < cf->max_requests &&
		    !session_stopping(&st->set) && !(skip_body && req.chunked);
		answer(&t);
		account(&t);
		buf_consume(&c->in, total);
		reset_request(s);
		s->phase = HTTP_IDLE;
		if (skip_body && !req.chunked && t.keep_alive &&
		    !conn_closing(c)) {
			s->discard = req.content_length;
			s->phase = HTTP_DISCARD;
			conn_set_timeout(c, cf->body_timeout);
			if (cf->body_timeout)
				loop_timer_start(c->loop, &s->head_timer,
				    cf->body_timeout, 0);
		}
		/* a connection that goes on wants its responses out at once;
		 * one that ends here is pushed out by the close */
		if (t.keep_alive)
			conn_nodelay(c);
		if (!t.keep_alive) {
			/* the request was read whole: nothing more can come
			 * that a reset would be answering, so no lingering */
			if (c->in.len == 0 && !skip_body)
				conn_set_linger(c, 0);
			conn_close(c);
			return;
		}
		if (conn_backlogged(c)) {
			/* let this response go out before reading the next */
			s->phase = HTTP_DRAIN;
			conn_pause(c);
			conn_want_drained(c);
			return;
		}
	}
	if (s->phase == HTTP_IDLE && c->in.len == 0 && !conn_closing(c))
		conn_set_timeout(c, cf->keepalive_timeout);
}

static void
on_head_timeout(struct loop *loop, struct timer *tm, void *arg)
{
	struct http_session *s = arg;

	if (s->phase == HTTP_HEAD || s->phase == HTTP_BODY)
		session_close_with(s, 408);
	else if (s->phase == HTTP_DISCARD)
		/* answered already; the rest never came */
		conn_close(s->base.c);
}

static void
http_sess_free(struct session *base)
{
	struct http_session *s = (struct http_session *)base;

	loop_timer_stop(base->set->w->loop, &s->head_timer);
}

static void
on_conn(struct session *base, enum conn_ev ev)
{
	struct http_session *s = (struct http_session *)base;
	struct conn *c = base->c;

	switch (ev) {
	case CONN_EV_TLS:
		/* the handshake's bound ends: now the keep-alive timeout
		 * waits for the first request, as on a plain connection */
		s->tls = true;
		conn_set_timeout(c, s->st->cf->keepalive_timeout);
		break;
	case CONN_EV_DATA:
		process(s);
		break;
	case CONN_EV_DRAINED:
		if (s->phase == HTTP_DRAIN) {
			/* a body still to drop comes before the next request */
			s->phase = s->discard ? HTTP_DISCARD : HTTP_IDLE;
			conn_resume(c);
			conn_set_timeout(c, s->discard ? s->st->cf->body_timeout :
			    s->st->cf->keepalive_timeout);
		}
		break;
	case CONN_EV_TIMEOUT:
		if (conn_pending(c)) {
			/* still sending: the send timeout guards that */
			conn_set_timeout(c, conn_timeout(c));
		} else if (s->phase == HTTP_HEAD || s->phase == HTTP_BODY) {
			session_close_with(s, 408);
		} else {
			conn_close(c); /* an idle keep-alive connection */
		}
		break;
	case CONN_EV_EOF:
		/* a client that half-closes after its request still gets the
		 * answer: process what is buffered, then close */
		process(s);
		if (s->phase != HTTP_DRAIN)
			conn_close(c);
		break;
	default:
		break; /* CLOSED: the set frees the session */
	}
}

/* Stop: idle connections go now; busy ones after their response. */
static void
http_sess_stop(struct session *base)
{
	struct http_session *s = (struct http_session *)base;

	if (s->phase == HTTP_IDLE && conn_pending(base->c) == 0)
		conn_close(base->c);
}

static void
http_sess_init(struct session *base, void *owner)
{
	struct http_session *s = (struct http_session *)base;

	s->st = owner;
	s->phase = HTTP_IDLE;
	s->tls = conn_is_tls(base->c);
	reset_request(s);
	timer_init(&s->head_timer, on_head_timeout, s);
}

static const struct session_ops ops = {
	sizeof(struct http_session), on_conn, http_sess_stop, http_sess_free,
	http_sess_init,
};

/* --- the worker side --- */

/* The parts of st made from the config's paths and lists: the root's and
 * each vhost's descriptor, the redirects, metrics-allow. */
static void
routes_free(struct http_state *st)
{
	for (int i = 0; i < st->nvhosts; i++) {
		free(st->vhosts[i].name);
		free(st->vhosts[i].root);
		if (st->vhosts[i].rootfd >= 0)
			close(st->vhosts[i].rootfd);
	}
	for (int i = 0; i < st->nredirects; i++) {
		free(st->redirects[i].from);
		free(st->redirects[i].to);
	}
	free(st->vhosts);
	free(st->redirects);
	st->vhosts = NULL;
	st->redirects = NULL;
	st->nvhosts = st->nredirects = 0;
	if (st->rootfd >= 0)
		close(st->rootfd);
	st->rootfd = -1;
}

/* Fills st's routes from cf; st's were empty. 0, or -1 with err and
 * st's routes empty again. */
static int
routes_build(struct http_state *st, const struct http_conf *cf, char *err)
{
	st->rootfd = open(cf->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0) {
		snprintf(err, CONF_ERR_LEN, "root %s: %s", cf->root, strerror(errno));
		return -1;
	}
	st->vhosts = calloc((size_t)cf->vhost.n + 1, sizeof(*st->vhosts));
	st->redirects = calloc((size_t)cf->redirect.n + 1, sizeof(*st->redirects));
	if (!st->vhosts || !st->redirects) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		goto fail;
	}
	for (int i = 0; i < cf->vhost.n; i++) {
		struct http_vhost_words *w = malloc(sizeof(*w));
		char why[CONF_ERR_LEN];
		if (w == NULL) {
			snprintf(err, CONF_ERR_LEN, "out of memory");
			goto fail;
		}
		if (http_vhost_parse(cf->vhost.v[i], w, why) < 0) {
			free(w);
			continue; /* check said so */
		}
		struct http_vhost *v = &st->vhosts[st->nvhosts];
		v->name = strdup(w->name);
		v->root = strdup(w->root);
		v->rootfd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (!v->name || !v->root || v->rootfd < 0) {
			snprintf(err, CONF_ERR_LEN, "vhost %s: %s", w->name,
			    strerror(errno));
			free(v->name);
			free(v->root);
			if (v->rootfd >= 0)
				close(v->rootfd);
			free(w);
			goto fail;
		}
		free(w);
		st->nvhosts++;
	}
	for (int i = 0; i < cf->redirect.n; i++) {
		char from[1024], to[1024];
		int status = 301;
		if (sscanf(cf->redirect.v[i], "%1023s %1023s %d", from, to,
		    &status) < 2)
			continue;
		struct http_redirect *r = &st->redirects[st->nredirects];
		r->from = strdup(from);
		r->to = strdup(to);
		r->status = status;
		if (!r->from || !r->to) {
			free(r->from);
			free(r->to);
			snprintf(err, CONF_ERR_LEN, "out of memory");
			goto fail;
		}
		st->nredirects++;
	}
	memset(&st->allow, 0, sizeof(st->allow));
	if (acl_from_strs(&st->allow, &cf->metrics_allow, err, CONF_ERR_LEN) < 0)
		goto fail;
	return 0;
fail:
	routes_free(st);
	return -1;
}

static int
http_start(struct instance *in, struct worker *w, char *err)
{
	struct http_state *st = in->state; /* setup's, inherited */
	struct http_conf *cf = in->conf;
	struct conn_limits lim;

	if (st == NULL && (st = in->state = state_new(in)) == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	st->started = true;
	st->lim.max_request_line = cf->max_request_line;
	st->lim.max_header_size = cf->max_header_size;
	st->lim.max_headers = (size_t)cf->max_headers;
	if (routes_build(st, cf, err) < 0)
		return -1;
	if (http_server_alog_open(st) < 0) {
		snprintf(err, CONF_ERR_LEN, "access-log %s: %s", cf->access_log,
		    strerror(errno));
		return -1;
	}
	conn_limits_default(&lim);
	lim.in_max = cf->max_header_size + cf->max_body + 16384;
	lim.timeout_ms = cf->keepalive_timeout;
	lim.write_timeout_ms = cf->send_timeout;
	lim.lazy_nodelay = 1; /* set at the first keep-alive response */
	session_set_init(&st->set, w, &ops, &sm, cf->max_connections, &lim,
	    NULL);
	for (int i = 0; i < in->nls; i++)
		if (st->is_tls[i])
			session_set_tls(&st->set, i, st->tls,
			    cf->tls_handshake_timeout);
	return session_set_listen(&st->set, in, NULL, 0, st, err);
}

static void
http_release(struct instance *in)
{
	struct http_state *st = in->state;

	if (st == NULL)
		return;
	if (st->started) {
		session_set_free(&st->set);
		routes_free(st);
		if (st->alog_fd > 2)
			close(st->alog_fd);
	}
	tls_server_unref(st->tls);
	free(st);
	in->state = NULL;
}

static void
http_reopen(struct instance *in)
{
	struct http_state *st = in->state;

	if (st && st->alog_fd > 2) {
		close(st->alog_fd);
		st->alog_fd = -1;
		if (http_server_alog_open(st) < 0)
			log_error("http: reopening %s: %s", st->cf->access_log,
			    strerror(errno));
	}
}

/* SIGHUP with new values in st->cf: new routes, limits, access log and
 * certificates for what comes next; a request in flight keeps what it
 * opened (a file being sent has its own descriptor, a TLS connection its
 * context). */
static int
http_reload(struct instance *in, char *err)
{
	struct http_state *st = in->state, nw;
	const struct http_conf *cf = in->conf;
	struct tls_server *ts = NULL;
	int fd;

	if (st == NULL)
		return 0;
	/* the certificates first: a bad file keeps everything as it was
	 * (the core logs err and puts the old values back) */
	if (st->tls && (ts = http_server_tls_new(cf, err)) == NULL)
		return -1;
	memset(&nw, 0, sizeof(nw));
	nw.rootfd = -1;
	if (routes_build(&nw, cf, err) < 0) {
		tls_server_unref(ts);
		return -1;
	}
	/* the access log: its fd is swapped in once it is open */
	nw.cf = st->cf;
	if (http_server_alog_open(&nw) < 0) {
		snprintf(err, CONF_ERR_LEN, "access-log %s: %s", cf->access_log,
		    strerror(errno));
		routes_free(&nw);
		tls_server_unref(ts);
		return -1;
	}
	if (ts) {
		/* new handshakes get ts; open connections keep their own */
		for (int i = 0; i < in->nls; i++)
			if (st->is_tls[i])
				session_set_tls(&st->set, i, ts,
				    cf->tls_handshake_timeout);
		tls_server_unref(st->tls);
		st->tls = ts;
	}
	routes_free(st);
	st->rootfd = nw.rootfd;
	st->vhosts = nw.vhosts;
	st->nvhosts = nw.nvhosts;
	st->redirects = nw.redirects;
	st->nredirects = nw.nredirects;
	st->allow = nw.allow;
	fd = st->alog_fd;
	st->alog_fd = nw.alog_fd;
	st->alog_json = nw.alog_json;
	if (fd > 2)
		close(fd);
	/* a descriptor number may come back for another directory: cached
	 * files are keyed by it */
	http_server_static_forget();
	st->lim.max_request_line = cf->max_request_line;
	st->lim.max_header_size = cf->max_header_size;
	st->lim.max_headers = (size_t)cf->max_headers;
	st->set.limit = cf->max_connections;
	st->set.lim.in_max = cf->max_header_size + cf->max_body + 16384;
	st->set.lim.timeout_ms = cf->keepalive_timeout;
	st->set.lim.write_timeout_ms = cf->send_timeout;
	return 0;
}

/* The listeners (which of them are TLS), and the demo's session table,
 * sized and made in setup. */
static const char *const http_restart_keys[] = {
	"listen", "tls-listen", "demo", "sessions-max", "session-ttl", NULL,
};

const struct service http_service = {
	"http", http_keys, sizeof(struct http_conf), http_setup, http_start,
	NULL, http_release, http_reopen, http_check, http_reload,
	http_restart_keys, NULL, NULL,
};

/* `camada http [DIR]` is the quick server of a folder too: it serves DIR (a
 * bare argument, the root key) or the current directory, and its access log
 * goes to stderr unless a config file or a flag says otherwise. Its keys are
 * the service's with that one default changed. */
static struct conf_key http_cmd_keys[sizeof(http_keys) / sizeof(http_keys[0])];
static struct service http_cmd_service;

int
http_server_main(int argc, char **argv)
{
	memcpy(http_cmd_keys, http_keys, sizeof(http_keys));
	for (struct conf_key *k = http_cmd_keys; k->name; k++)
		if (strcmp(k->name, "access-log") == 0)
			k->def = "stderr";
	http_cmd_service = http_service;
	http_cmd_service.keys = http_cmd_keys;
	http_cmd = 1;
	return cli_run_server(&http_cmd_service, argc, argv,
	    "camada http [DIR]: the HTTP/1.1 origin server on DIR (or -r ROOT; "
	    "default: the current directory): static files, keep-alive, "
	    "conditional and range requests, /metrics. Requests are logged to "
	    "stderr (--access-log FILE|off).", "root");
}
