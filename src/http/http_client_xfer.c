/* http_client_xfer.c - the client's engine, on the loop: the run's context
 * (the loop, the pools of connections of core/upstream, names through
 * dns_stub, the TLS context, the --max-time deadline), the TLS handshake of
 * a new https connection, one exchange on a connection (the
 * request out; the response in as it arrives: 1xx skipped, Content-Length,
 * chunked or close-delimited bodies; cookies stored, a 304 served from the
 * cache and a 200 stored in it), and the lanes that carry exchanges one by
 * one or pipelined, follow redirects and send a request again when a kept
 * connection turns out closed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/conn.h"
#include "core/sock.h"
#include "core/tls.h"
#include "http/http_client_int.h"
#include "http/http_chunked.h"
#include "http/http_field.h"

#define HC_CONNECT_TIMEOUT_DEFAULT 30.0	/* seconds */

struct hc_conn;
static void lane_task(struct loop *loop, void *arg);

double
hc_now_ms(void)
{
	return (double)clock_mono_us() / 1e3;
}

static void __attribute__((format(printf, 3, 4)))
xerr(struct hc_xfer *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->code = code;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
}

/* ---- verbose output ------------------------------------------------------ */

void
hc_verbose(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fputs("* ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
hc_verbose_block(const char *prefix, const uint8_t *p, size_t n)
{
	flockfile(stderr);
	while (n > 0) {
		const uint8_t *lf = memchr(p, '\n', n);
		size_t l = lf ? (size_t)(lf - p) : n;
		size_t show = l;

		if (show > 0 && p[show - 1] == '\r')
			show--;
		fputs(prefix, stderr);
		for (size_t i = 0; i < show; i++)
			fputc(p[i] < 0x20 && p[i] != '\t' ? '.' : p[i], stderr);
		fputc('\n', stderr);
		if (lf == NULL)
			break;
		p += l + 1;
		n -= l + 1;
	}
	funlockfile(stderr);
}

/* ---- one exchange: the request ----------------------------------------- */

void
hc_xfer_init(struct hc_xfer *x, const char *method)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->method, sizeof(x->method), "%s", method);
	x->hit.fd = -1;
	buf_init(&x->req, HC_MAX_REQUEST);
}

void
hc_xfer_clear_response(struct hc_xfer *x)
{
	free(x->head);
	x->head = NULL;
	x->head_len = 0;
	x->status = 0;
	x->from_cache = false;
	x->has_location = false;
	x->code = 0;
	x->err[0] = '\0';
	http_client_cache_hit_close(&x->hit);
	x->conditional = false;
	buf_reset(&x->req);
}

void
hc_xfer_reset(struct hc_xfer *x)
{
	hc_xfer_clear_response(x);
	buf_free(&x->req);
}

int
hc_xfer_set_url(struct hc_xfer *x, const char *url)
{
	int r = http_client_url_parse(url, strlen(url), &x->url);

	if (r == HTTP_CLIENT_URL_SCHEME)
		return xerr(x, HC_UNSUPPORTED, "%s: protocol \"%s\" not "
		    "supported", url, x->url.scheme), HC_UNSUPPORTED;
	if (r != HTTP_CLIENT_URL_OK)
		return xerr(x, HC_URL, "malformed URL: %s", url), HC_URL;
	return HC_OK;
}

/* Whether the user gave header name with -H (so ours is left out). */
static bool
user_has_header(const struct hc_opts *o, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < o->nheaders; i++)
		if (strncasecmp(o->headers[i], name, l) == 0 &&
		    (o->headers[i][l] == ':' || o->headers[i][l] == ';'))
			return true;
	return false;
}

/* The path part of a request-target (no query), for cookies. */
static size_t
target_path_len(const char *t)
{
	const char *q = strchr(t, '?');

	return q ? (size_t)(q - t) : strlen(t);
}

int
hc_xfer_prepare(struct hc_ctx *ctx, struct hc_xfer *x)
{
	const struct hc_opts *o = ctx->o;
	struct buf *b = &x->req;
	bool ok = true;

	buf_reset(b);
	http_client_cache_hit_close(&x->hit);
	x->conditional = false;
	if (o->cache_dir && strcmp(x->method, "GET") == 0 &&
	    http_client_cache_lookup(o->cache_dir, x->url.str, &x->hit) == 1)
		x->conditional = true;

	ok &= buf_printf(b, "%s %s HTTP/1.1\r\n", x->method,
	    x->url.target) == 0;
	if (!user_has_header(o, "Host"))
		ok &= buf_printf(b, "Host: %s\r\n", x->url.hostport) == 0;
	if (!user_has_header(o, "User-Agent"))
		ok &= buf_printf(b, "User-Agent: " HC_USER_AGENT "\r\n") == 0;
	if (!user_has_header(o, "Accept"))
		ok &= buf_printf(b, "Accept: */*\r\n") == 0;
	if (o->no_keepalive && !user_has_header(o, "Connection"))
		ok &= buf_printf(b, "Connection: close\r\n") == 0;
	if (o->cookie_jar && !user_has_header(o, "Cookie")) {
		static char cookie[64 * 1024];
		int k;

		/* Secure cookies go over https only (RFC 6265 §5.4) */
		k = http_client_cookie_jar_header(&ctx->jar, x->url.host,
		    x->url.target, target_path_len(x->url.target), x->url.tls,
		    time(NULL), cookie, sizeof(cookie));
		if (k > 0)
			ok &= buf_printf(b, "Cookie: %s\r\n", cookie) == 0;
	}
	if (x->conditional) {
		if (x->hit.meta.etag[0] && !user_has_header(o, "If-None-Match"))
			ok &= buf_printf(b, "If-None-Match: %s\r\n",
			    x->hit.meta.etag) == 0;
		if (x->hit.meta.last_modified[0] &&
		    !user_has_header(o, "If-Modified-Since"))
			ok &= buf_printf(b, "If-Modified-Since: %s\r\n",
			    x->hit.meta.last_modified) == 0;
	}
	if (x->has_body) {
		if (!user_has_header(o, "Content-Type"))
			ok &= buf_printf(b, "Content-Type: "
			    "application/x-www-form-urlencoded\r\n") == 0;
		ok &= buf_printf(b, "Content-Length: %zu\r\n",
		    x->body_len) == 0;
	}
	for (size_t i = 0; i < o->nheaders; i++) {
		const char *h = o->headers[i];
		const char *sep = h + strcspn(h, ":;");
		const char *v = sep + 1;
		size_t nl = (size_t)(sep - h);

		/* credentials stay with the host they were given for (curl) */
		if (x->cross_host && ((nl == 13 && strncasecmp(h,
		    "Authorization", 13) == 0) || (nl == 6 &&
		    strncasecmp(h, "Cookie", 6) == 0)))
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*sep == ':' && *v == '\0')
			continue;	/* "Name:" removes a header */
		ok &= buf_printf(b, "%.*s: %s\r\n", (int)(sep - h), h,
		    *sep == ';' ? "" : v) == 0;
	}
	ok &= buf_append_str(b, "\r\n") == 0;
	if (!ok)
		return xerr(x, HC_NOMEM, "out of memory: the request head is "
		    "over %d bytes", HC_MAX_REQUEST), HC_NOMEM;
	return HC_OK;
}

static bool
is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

static void
store_cookies(struct hc_ctx *ctx, struct hc_xfer *x)
{
	const struct http_response *r = &x->r;
	size_t pl = target_path_len(x->url.target);
	time_t now = time(NULL);

	if (ctx->o->cookie_jar == NULL)
		return;
	for (size_t i = http_header_next(r->headers, r->nheaders, 0,
	    "Set-Cookie"); i < r->nheaders; i = http_header_next(r->headers,
	    r->nheaders, i + 1, "Set-Cookie"))
		http_client_cookie_jar_set(&ctx->jar, x->url.host,
		    x->url.target, pl,
		    r->headers[i].value.p, r->headers[i].value.n, now);
}

static void
header_copy(const struct http_response *r, const char *name, char *out,
    size_t outsz)
{
	const struct http_header *h = http_header_find(r->headers, r->nheaders,
	    name);

	out[0] = '\0';
	if (h && h->value.n < outsz) {
		memcpy(out, h->value.p, h->value.n);
		out[h->value.n] = '\0';
	}
}

/* Whether a 200 may be stored: it has a validator and no "no-store". */
static bool
cacheable(const struct hc_xfer *x)
{
	const struct http_response *r = &x->r;
	const struct http_header *cc = http_header_find(r->headers,
	    r->nheaders, "Cache-Control");

	if (r->status != 200 || strcmp(x->method, "GET") != 0)
		return false;
	if (cc && http_token_list_has(cc->value, "no-store"))
		return false;
	return http_header_find(r->headers, r->nheaders, "ETag") != NULL ||
	    http_header_find(r->headers, r->nheaders, "Last-Modified") != NULL;
}

/* The method for the next hop of a redirect (RFC 9110 §15.4: what browsers
 * and curl do): 303 makes anything but HEAD a GET; 301 and 302 make POST a
 * GET; 307 and 308 keep both method and body. */
static void
redirect_method(struct hc_xfer *x)
{
	bool to_get = false;

	if (x->status == 303 && strcmp(x->method, "HEAD") != 0)
		to_get = true;
	if ((x->status == 301 || x->status == 302) &&
	    strcmp(x->method, "POST") == 0)
		to_get = true;
	if (to_get) {
		snprintf(x->method, sizeof(x->method), "GET");
		x->has_body = false;
		x->body = NULL;
		x->body_len = 0;
	}
}

/* ---- the run: loop, pool, lookup, deadline ------------------------------- */

static void lane_timeout(struct hc_lane *l);
static void lane_step(struct hc_lane *l);

static void
on_deadline(struct loop *loop, struct timer *t, void *arg)
{
	struct hc_ctx *ctx = arg;

	ctx->timed_out = true;
	while (ctx->lanes)
		lane_timeout(ctx->lanes);
}

int
hc_ctx_init(struct hc_ctx *ctx, const struct hc_opts *o)
{
	struct upstream_conf uc;
	size_t per_host = (size_t)o->parallel > HC_IDLE_MAX ?
	    (size_t)o->parallel : HC_IDLE_MAX;

	memset(ctx, 0, sizeof(*ctx));
	ctx->o = o;
	ctx->t0 = hc_now_ms();
	http_client_cookie_jar_init(&ctx->jar);
	ctx->loop = loop_new();
	if (ctx->loop == NULL) {
		fprintf(stderr, "camada get: cannot make the event loop\n");
		return -1;
	}
	if (o->use_resolver)
		ctx->stub.server = o->resolver;
	memset(&uc, 0, sizeof(uc));
	uc.connect_timeout_ms = (uint64_t)((o->connect_timeout > 0 ?
	    o->connect_timeout : HC_CONNECT_TIMEOUT_DEFAULT) * 1000);
	ctx->connect_timeout_ms = uc.connect_timeout_ms;
	uc.idle_per_dest = per_host;
	uc.idle_max = 2 * per_host;
	conn_limits_default(&uc.lim);
	uc.lim.in_max = HC_MAX_HEAD + 2 * HC_READ_CHUNK;
	uc.lim.out_max = (size_t)1 << 30;	/* a -d body, whole */
	uc.lim.out_high = uc.lim.out_max;
	uc.lim.timeout_ms = 0;			/* --max-time is the run's */
	uc.lim.write_timeout_ms = 0;
	uc.lim.linger_ms = 0;
	dns_stub_as_lookup(&uc.lookup, &ctx->stub);
	ctx->up = upstream_new(ctx->loop, &uc);
	ctx->up_tls = upstream_new(ctx->loop, &uc);
	if (ctx->up == NULL || ctx->up_tls == NULL) {
		fprintf(stderr, "camada get: out of memory\n");
		return -1;
	}
	timer_init(&ctx->deadline_timer, on_deadline, ctx);
	if (o->max_time > 0) {
		ctx->deadline = ctx->t0 + o->max_time * 1000;
		loop_timer_start(ctx->loop, &ctx->deadline_timer,
		    (uint64_t)(o->max_time * 1000), 0);
	}
	return 0;
}

void
hc_ctx_run(struct hc_ctx *ctx)
{
	while (ctx->busy > 0)
		if (loop_once(ctx->loop, -1) < 0)
			break;
}

void
hc_ctx_free(struct hc_ctx *ctx)
{
	if (ctx->loop == NULL)
		return;
	loop_timer_stop(ctx->loop, &ctx->deadline_timer);
	if (ctx->up)
		upstream_free(ctx->up);
	if (ctx->up_tls)
		upstream_free(ctx->up_tls);
	/* the aborted connections' CLOSED, and their frees, come from the
	 * loop */
	conn_abort_all();
	for (int i = 0; i < 100 && conn_count() > 0; i++)
		loop_once(ctx->loop, 10);
	loop_free(ctx->loop);
	ctx->loop = NULL;
	/* after the connections, which held references */
	tls_client_unref(ctx->tls);
	ctx->tls = NULL;
}

/* ---- a connection of a lane ---------------------------------------------- */

enum hc_rd { RD_HEAD, RD_BODY };
enum hc_frame { FR_NONE, FR_LENGTH, FR_CHUNKED, FR_CLOSE };

struct hc_conn {
	struct hc_ctx *ctx;
	struct conn *c;			/* NULL after CLOSED */
	struct hc_lane *lane;		/* NULL once let go */
	struct upstream *up;		/* its pool: it goes back there */
	char host[256];
	int port;
	bool tls;			/* https: ctx->up_tls's */
	bool handshaking;		/* TLS: nothing is sent until it ends */
	double t_tcp;			/* TLS: when the TCP connect ended */
	int id;				/* "Connection #N", counted from 0 */
	bool reusable;			/* the last response allows another */
	bool used;			/* a response was read since taken */
	bool gone;			/* EOF or reset: nothing more comes */
	bool stop;			/* read no more responses on it */
	bool spoiled;			/* a request went out in part: send
					 * nothing more, never park it */
	unsigned served;		/* responses read on it, in all */
	/* the response being read, for lane->xs[lane->next] */
	enum hc_rd rd;
	bool any;			/* a byte of it came */
	unsigned interim;		/* 1xx responses skipped */
	size_t interim_bytes;
	enum hc_frame fr;
	uint64_t left;			/* FR_LENGTH */
	struct http_chunked ch;
	bool deliver;			/* the body goes to the sink */
	bool cw_open;
	struct http_client_cache_writer cw;
	uint64_t body_read;		/* read, delivered or not */
};

static void
lane_kick(struct hc_lane *l)
{
	if (l->running)
		loop_defer(l->ctx->loop, &l->task, lane_task, l);
}

static void
hc_body_abort(struct hc_conn *hc)
{
	if (hc->cw_open)
		http_client_cache_abort(&hc->cw);
	hc->cw_open = false;
}

/* Gives the connection back to the pool (park) or closes it; the lane
 * forgets it. */
static void
hc_let_go(struct hc_conn *hc, bool park)
{
	struct hc_ctx *ctx = hc->ctx;

	if (hc->lane)
		hc->lane->hc = NULL;
	hc->lane = NULL;
	hc_body_abort(hc);
	if (hc->c == NULL) {
		free(hc);
		return;
	}
	if (park && hc->reusable && !hc->gone && !hc->stop &&
	    !hc->handshaking && hc->c->in.len == 0 &&
	    conn_pending(hc->c) == 0 && conn_is_open(hc->c)) {
		if (ctx->o->verbose)
			hc_verbose("Connection #%d to host %s left intact",
			    hc->id, hc->host);
		upstream_put(hc->up, hc->c, hc->host, hc->port,
		    (uint64_t)hc->id);
		free(hc);
		return;
	}
	if (ctx->o->verbose && !hc->gone)
		hc_verbose("Closing connection #%d", hc->id);
	conn_abort(hc->c);	/* hc goes at CLOSED */
}

static void
body_reset(struct hc_conn *hc)
{
	hc->rd = RD_HEAD;
	hc->any = false;
	hc->interim = 0;
	hc->interim_bytes = 0;
	hc->fr = FR_NONE;
	hc->left = 0;
	hc->body_read = 0;
	hc->deliver = true;
	hc_body_abort(hc);
}

static void follow_hop(struct hc_lane *l, struct hc_xfer *x);

/* The front exchange is over with rc (HC_STALE: nothing came back on a
 * reused connection, send it again on a new one). */
static void
hc_finish(struct hc_conn *hc, int rc)
{
	struct hc_lane *l = hc->lane;
	struct hc_xfer *x = l->xs[l->next];
	const struct hc_opts *o = hc->ctx->o;

	body_reset(hc);
	if (rc == HC_STALE) {
		hc->stop = true;
		hc->reusable = false;
		l->fresh = true;
		if (o->verbose)
			hc_verbose("Connection #%d was closed by the server; "
			    "retrying on a new one", hc->id);
		if (++x->stale > 1) {
			xerr(x, HC_EMPTY, "empty reply from server");
			l->next++;
		}
		lane_kick(l);
		return;
	}
	x->code = rc;
	if (rc != HC_OK) {
		hc->reusable = false;
		hc->stop = true;
	} else {
		hc->served++;
		hc->used = true;
	}
	if (rc == HC_OK && x->has_location && x->follow && l->depth == 1)
		follow_hop(l, x);
	else
		l->next++;
	if (!hc->reusable)
		hc->stop = true;
	lane_kick(l);
}

static int
body_put(struct hc_conn *hc, struct hc_xfer *x, const uint8_t *p, size_t n)
{
	hc->body_read += n;
	if (n == 0 || !hc->deliver)
		return HC_OK;	/* a redirect's body: read and dropped */
	x->bytes += n;
	if (hc->cw_open && http_client_cache_write(&hc->cw, p, n) < 0)
		hc_body_abort(hc);	/* the cache is best effort */
	if (x->sink && x->sink(x->sink_arg, p, n) < 0)
		return xerr(x, HC_WRITE, "failed writing the body"), HC_WRITE;
	return HC_OK;
}

/* Serves the cached body for a 304. */
static int
serve_cached(struct hc_conn *hc, struct hc_xfer *x)
{
	uint8_t tmp[65536];
	ssize_t got;

	while ((got = read(x->hit.fd, tmp, sizeof(tmp))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return xerr(x, HC_WRITE, "reading the cache: %s",
			    strerror(errno)), HC_WRITE;
		int rc = body_put(hc, x, tmp, (size_t)got);
		if (rc)
			return rc;
	}
	return HC_OK;
}

/* The body is whole. */
static void
body_done(struct hc_conn *hc, struct hc_xfer *x)
{
	int rc = HC_OK;

	if (x->from_cache)
		rc = serve_cached(hc, x);
	http_client_cache_hit_close(&x->hit);
	x->t_done = hc_now_ms();
	if (hc->cw_open && rc == HC_OK) {
		http_client_cache_commit(&hc->cw);
		hc->cw_open = false;
	}
	hc_finish(hc, rc);
}

/* The head of the final response is in x: what to do with the body. 0 to
 * read it, or an HC_* code (the exchange is over). */
static int
head_done(struct hc_conn *hc, struct hc_xfer *x)
{
	struct hc_ctx *ctx = hc->ctx;
	const struct http_response *r = &x->r;

	hc->reusable = r->keep_alive && !hc->spoiled;
	store_cookies(ctx, x);
	if (x->print_head && x->sink &&
	    x->sink(x->sink_arg, (const uint8_t *)x->head, x->head_len) < 0)
		return xerr(x, HC_WRITE, "failed writing the output"), HC_WRITE;
	if (is_redirect(x->status)) {
		const struct http_header *loc = http_header_find(r->headers,
		    r->nheaders, "Location");
		if (loc && http_client_url_resolve(x->url.str,
		    (const char *)loc->value.p, loc->value.n, x->location,
		    sizeof(x->location)) > 0)
			x->has_location = true;
	}
	hc->deliver = true;
	if (x->has_location && x->follow) {
		hc->deliver = false;
	} else if (x->fail && x->status >= 400) {
		hc->reusable = false;	/* the body is left unread */
		return xerr(x, HC_HTTP, "the requested URL returned error: %d",
		    x->status), HC_HTTP;
	} else if (x->status == 304 && x->conditional) {
		x->from_cache = true;	/* no body, by the rules */
	} else if (ctx->o->cache_dir && cacheable(x)) {
		struct http_client_cache_meta m;

		memset(&m, 0, sizeof(m));
		snprintf(m.url, sizeof(m.url), "%s", x->url.str);
		header_copy(r, "ETag", m.etag, sizeof(m.etag));
		header_copy(r, "Last-Modified", m.last_modified,
		    sizeof(m.last_modified));
		header_copy(r, "Content-Type", m.content_type,
		    sizeof(m.content_type));
		m.stored = (int64_t)time(NULL);
		if (http_client_cache_begin(&hc->cw, ctx->o->cache_dir,
		    &m) == 0)
			hc->cw_open = true;
	}
	if (!x->from_cache)
		http_client_cache_hit_close(&x->hit);
	if (!http_response_has_body(strcmp(x->method, "HEAD") == 0,
	    r->status)) {
		hc->fr = FR_NONE;
	} else if (r->te_unsupported) {
		hc->reusable = false;
		return xerr(x, HC_WEIRD, "unsupported transfer coding"),
		    HC_WEIRD;
	} else if (r->chunked) {
		hc->fr = FR_CHUNKED;
		http_chunked_init(&hc->ch);
	} else if (r->has_content_length) {
		hc->fr = FR_LENGTH;
		hc->left = r->content_length;
	} else {
		hc->fr = FR_CLOSE;	/* HTTP/1.0 style */
		hc->reusable = false;
	}
	hc->rd = RD_BODY;
	return HC_OK;
}

/* Reads the head of the final response (1xx skipped) from c->in: 1 when
 * it is in x, 0 for more bytes, or an HC_* error. */
static int
read_head(struct hc_conn *hc, struct hc_xfer *x)
{
	struct http_limits lim = { 0, HC_MAX_HEAD, HTTP_MAX_HEADERS };
	struct buf *in = &hc->c->in;

	for (;;) {
		if (in->len == 0)
			return 0;
		if (x->t_first == 0)
			x->t_first = hc_now_ms();
		hc->any = true;
		int k = http_parse_response(buf_data(in), in->len, &x->r, &lim);
		if (k == PARSE_ERR) {
			hc->reusable = false;
			return xerr(x, HC_WEIRD, "weird server reply from %s: "
			    "not an HTTP/1.x response", x->url.hostport),
			    HC_WEIRD;
		}
		if (k == PARSE_AGAIN)
			return 0;
		if (hc->ctx->o->verbose)
			hc_verbose_block("< ", buf_data(in), (size_t)k);
		if (x->r.status >= 100 && x->r.status < 200) {
			if (x->r.status == 101) {
				hc->reusable = false;
				return xerr(x, HC_WEIRD, "the server switched "
				    "protocols (101) unasked"), HC_WEIRD;
			}
			/* an endless stream of them would keep us forever */
			hc->interim_bytes += (size_t)k;
			if (++hc->interim > HC_MAX_INTERIM ||
			    hc->interim_bytes > HC_MAX_HEAD) {
				hc->reusable = false;
				return xerr(x, HC_WEIRD, "weird server reply "
				    "from %s: more than %d 1xx responses (or "
				    "%d bytes of them)", x->url.hostport,
				    HC_MAX_INTERIM, HC_MAX_HEAD), HC_WEIRD;
			}
			buf_consume(in, (size_t)k);
			continue;
		}
		free(x->head);
		x->head = malloc((size_t)k);
		if (x->head == NULL)
			return xerr(x, HC_RECV, "out of memory"), HC_RECV;
		memcpy(x->head, buf_data(in), (size_t)k);
		x->head_len = (size_t)k;
		buf_consume(in, (size_t)k);
		/* parse the copy so that the slices outlive the buffer */
		http_parse_response((const uint8_t *)x->head, x->head_len,
		    &x->r, &lim);
		x->status = x->r.status;
		return 1;
	}
}

/* Body bytes from c->in: 1 when the body is whole, 0 for more, or an HC_*
 * error. */
static int
read_body(struct hc_conn *hc, struct hc_xfer *x)
{
	struct buf *in = &hc->c->in;
	int rc;

	switch (hc->fr) {
	case FR_NONE:
		return 1;
	case FR_CHUNKED:
		while (in->len > 0 && !hc->ch.done) {
			struct slice d;
			int k = http_chunked_decode(&hc->ch, buf_data(in),
			    in->len, &d);
			if (k < 0) {
				hc->reusable = false;
				return xerr(x, HC_WEIRD, "bad chunked "
				    "encoding"), HC_WEIRD;
			}
			/* d points into c->in: deliver before consuming,
			 * which may not move bytes */
			rc = body_put(hc, x, d.p, d.n);
			buf_consume(in, (size_t)k);
			if (rc)
				return rc;
		}
		return hc->ch.done ? 1 : 0;
	case FR_LENGTH: {
		size_t take = in->len < hc->left ? in->len : (size_t)hc->left;
		rc = body_put(hc, x, buf_data(in), take);
		buf_consume(in, take);
		hc->left -= take;
		if (rc)
			return rc;
		return hc->left == 0 ? 1 : 0;
	}
	case FR_CLOSE:
		rc = body_put(hc, x, buf_data(in), in->len);
		buf_consume(in, in->len);
		return rc ? rc : 0;	/* whole at EOF */
	}
	return 0;
}

/* Reads what c->in holds: responses to the exchanges in flight, in order. */
static void
hc_read(struct hc_conn *hc)
{
	while (hc->lane && !hc->stop && hc->c &&
	    hc->lane->next < hc->lane->sent) {
		struct hc_lane *l = hc->lane;
		struct hc_xfer *x = l->xs[l->next];
		int r;

		if (hc->rd == RD_HEAD) {
			r = read_head(hc, x);
			if (r == 0)
				return;
			if (r > 1) {
				hc_finish(hc, r);
				return;
			}
			if ((r = head_done(hc, x)) != HC_OK) {
				hc_finish(hc, r);
				return;
			}
		}
		r = read_body(hc, x);
		if (r == 0)
			return;
		if (r > 1) {
			hc_finish(hc, r);
			return;
		}
		body_done(hc, x);
	}
}

/* Nothing more comes on hc: the front exchange ends here, well (a body
 * delimited by the close) or not. reset: no EOF, the connection broke. */
static void
hc_ended(struct hc_conn *hc, bool reset)
{
	struct hc_lane *l = hc->lane;
	struct hc_xfer *x;

	hc->gone = true;
	if (l == NULL || hc->stop || l->next >= l->sent)
		return;
	x = l->xs[l->next];
	if (hc->rd == RD_BODY && hc->fr == FR_CLOSE && !reset) {
		body_done(hc, x);
	} else if (hc->rd == RD_HEAD && !hc->any && hc->served > 0) {
		hc_finish(hc, HC_STALE);
	} else if (reset) {
		xerr(x, HC_RECV, "recv failure: %s", strerror(ECONNRESET));
		hc_finish(hc, HC_RECV);
	} else if (hc->rd == RD_HEAD && !hc->any) {
		xerr(x, HC_EMPTY, "empty reply from server %s",
		    x->url.hostport);
		hc_finish(hc, HC_EMPTY);
	} else if (hc->rd == RD_HEAD) {
		xerr(x, HC_WEIRD, "the server closed in the middle of the "
		    "response head");
		hc_finish(hc, HC_WEIRD);
	} else if (hc->fr == FR_LENGTH) {
		xerr(x, HC_PARTIAL, "transfer closed with %llu bytes "
		    "remaining to read", (unsigned long long)hc->left);
		hc_finish(hc, HC_PARTIAL);
	} else {
		xerr(x, HC_PARTIAL, "transfer closed with outstanding read "
		    "data remaining");
		hc_finish(hc, HC_PARTIAL);
	}
}

static void hc_tls_done(struct hc_conn *hc);
static void hc_tls_failed(struct hc_conn *hc, int err);

static void
hc_on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	struct hc_conn *hc = arg;
	int err = errno;	/* what CONN_EV_ERROR came with */

	if (hc->handshaking) {
		/* the handshake's end, one way or another: no DATA comes
		 * before TLS (conn.h) */
		if (ev == CONN_EV_TLS) {
			hc_tls_done(hc);
			return;
		}
		if (ev == CONN_EV_ERROR || ev == CONN_EV_EOF ||
		    ev == CONN_EV_CLOSED)
			hc_tls_failed(hc, ev == CONN_EV_ERROR ? err :
			    ev == CONN_EV_EOF ? 0 : ECONNRESET);
		if (ev != CONN_EV_CLOSED)
			return;
	}
	switch (ev) {
	case CONN_EV_DATA:
		hc_read(hc);
		break;
	case CONN_EV_EOF:
		hc_read(hc);
		hc_ended(hc, false);
		if (hc->lane)
			lane_kick(hc->lane);
		conn_abort(c);
		break;
	case CONN_EV_CLOSED:
		hc->c = NULL;
		if (!hc->gone)
			hc_ended(hc, true);
		if (hc->lane) {
			struct hc_lane *l = hc->lane;
			l->hc = NULL;
			l->sent = l->next;	/* unanswered: again */
			lane_kick(l);
		}
		hc_body_abort(hc);
		free(hc);
		break;
	default:
		break;
	}
}

/* ---- lanes --------------------------------------------------------------- */

static void
lane_end(struct hc_lane *l)
{
	struct hc_ctx *ctx = l->ctx;

	if (!l->running)
		return;
	if (l->req)
		upstream_cancel(l->req);
	l->req = NULL;
	if (l->hc)
		hc_let_go(l->hc, l->sent == l->next);
	l->running = false;
	loop_defer_cancel(ctx->loop, &l->task);
	if (l->lprev)
		l->lprev->lnext = l->lnext;
	else
		ctx->lanes = l->lnext;
	if (l->lnext)
		l->lnext->lprev = l->lprev;
	ctx->busy--;
	l->done(l);
}

static int
timeout_err(struct hc_ctx *ctx, struct hc_xfer *x, const char *what)
{
	return xerr(x, HC_TIMEOUT, "%s: operation timed out after %.0f ms",
	    what, hc_now_ms() - ctx->t0), HC_TIMEOUT;
}

/* --max-time: every exchange without its code ends now. */
static void
lane_timeout(struct hc_lane *l)
{
	struct hc_conn *hc = l->hc;

	/* a pipelined lane's redirects not followed yet are not done */
	for (size_t i = 0; !l->follow_phase && l->depth > 1 && i < l->next;
	    i++) {
		struct hc_xfer *x = l->xs[i];
		if (x->code == HC_OK && x->has_location && x->follow)
			timeout_err(l->ctx, x, "following the redirect");
	}
	for (size_t i = l->next; i < l->n; i++) {
		const char *what = "connect";
		if (i == l->next && hc && i < l->sent)
			what = hc->rd == RD_HEAD ? "waiting for the response" :
			    "reading the body";
		else if (i == l->next && hc && hc->handshaking)
			what = "TLS handshake";
		if (i == l->next && hc == NULL &&
		    upstream_req_resolving(l->req)) {
			/* curl's words */
			xerr(l->xs[i], HC_TIMEOUT, "Resolving timed out after "
			    "%.0f milliseconds", hc_now_ms() - l->ctx->t0);
			continue;
		}
		timeout_err(l->ctx, l->xs[i], what);
	}
	l->next = l->n;
	if (hc) {
		hc->stop = true;
		hc->reusable = false;
	}
	lane_end(l);
}

/* The next hop of a redirect, in place: x is sent again. */
static void
follow_hop(struct hc_lane *l, struct hc_xfer *x)
{
	const struct hc_opts *o = l->ctx->o;
	char loc[sizeof(x->location)];
	char prev[sizeof(x->url.hostport)];
	bool prev_tls = x->url.tls;

	if (++x->hops > o->max_redirs) {
		xerr(x, HC_REDIRS, "maximum (%d) redirects followed",
		    o->max_redirs);
		l->next++;
		return;
	}
	if (o->verbose)
		hc_verbose("Issue another request to this URL: '%s'",
		    x->location);
	snprintf(loc, sizeof(loc), "%s", x->location);
	snprintf(prev, sizeof(prev), "%s", x->url.hostport);
	redirect_method(x);
	hc_xfer_clear_response(x);
	x->stale = 0;
	if ((x->code = hc_xfer_set_url(x, loc)) != HC_OK) {
		l->next++;
		return;
	}
	/* another host, port or scheme: curl's rule since CVE-2022-27776
	 * (https to http would send them in the clear) */
	if (strcmp(prev, x->url.hostport) != 0 || prev_tls != x->url.tls)
		x->cross_host = true;
	l->sent = l->next;
}

/* The front exchange x could get no connection (x->err says why): it
 * ends with code, and so does the rest of a pipelined lane, which is one
 * host. */
static void
lane_conn_failed(struct hc_lane *l, struct hc_xfer *x, int code)
{
	x->code = code;
	for (size_t i = l->next + 1; l->depth > 1 && i < l->n; i++) {
		snprintf(l->xs[i]->err, sizeof(l->xs[i]->err), "%s", x->err);
		l->xs[i]->code = code;
	}
	l->next = l->depth > 1 ? l->n : l->next + 1;
	l->sent = l->next;
	lane_kick(l);
}

/* The run's TLS context, made at its first use: the trust store is read
 * once per run, and only when an https connection needs it (after the TCP
 * connect, as curl: a refused connection is 7 whatever --cacert says).
 * NULL with x->err and x->code. */
static struct tls_client *
hc_tls_client(struct hc_ctx *ctx, struct hc_xfer *x)
{
	static const char *const alpn[] = { "http/1.1", NULL };
	struct tls_client_conf tc;
	char err[TLS_ERR_LEN];

	if (ctx->tls == NULL && ctx->tls_err[0] == '\0') {
		memset(&tc, 0, sizeof(tc));
		tc.cafile = ctx->o->cacert;
		tc.insecure = ctx->o->insecure;
		tc.alpn = alpn;
		ctx->tls = tls_client_new(&tc, err);
		if (ctx->tls == NULL) {
			/* tls.h's words name the file: "tls: FILE: why" */
			const char *w = strncmp(err, "tls: ", 5) == 0 ?
			    err + 5 : err;
			if (ctx->o->cacert && strstr(w, ctx->o->cacert))
				snprintf(ctx->tls_err, sizeof(ctx->tls_err),
				    "%s", w);
			else
				snprintf(ctx->tls_err, sizeof(ctx->tls_err),
				    "%s: %s", ctx->o->cacert ? ctx->o->cacert :
				    "the system's trust store", w);
		}
	}
	if (ctx->tls == NULL)
		xerr(x, HC_CACERT, "error setting certificate file: %s",
		    ctx->tls_err);
	return ctx->tls;
}

/* CONN_EV_TLS on a new https connection: the exchange may go. */
static void
hc_tls_done(struct hc_conn *hc)
{
	struct hc_lane *l = hc->lane;
	struct conn_tls_info ti;
	double now = hc_now_ms();

	hc->handshaking = false;
	if (l == NULL)
		return;		/* the lane ended meanwhile (it was stopped) */
	if (l->next < l->n) {
		struct hc_xfer *x = l->xs[l->next];
		x->tls_ms += now - hc->t_tcp;
		x->t_tls = now;
	}
	if (hc->ctx->o->verbose && conn_tls_info(hc->c, &ti) == 0) {
		hc_verbose("SSL connection using %s / %s",
		    ti.version ? ti.version : "?", ti.cipher ? ti.cipher : "?");
		if (ti.alpn)
			hc_verbose("ALPN: server accepted %s", ti.alpn);
		else
			hc_verbose("ALPN: server did not agree to a protocol");
		if (hc->ctx->o->insecure)
			hc_verbose("  the certificate was not verified (-k)");
	}
	lane_step(l);
}

/* The handshake of a new https connection failed: err is the errno the
 * error came with (ETIMEDOUT past the bound), 0 for an EOF. */
static void
hc_tls_failed(struct hc_conn *hc, int err)
{
	struct hc_lane *l = hc->lane;
	const char *why = hc->c ? conn_tls_error(hc->c) : NULL;
	struct hc_xfer *x;
	int code;

	hc->handshaking = false;
	hc->gone = true;
	hc->stop = true;
	hc->reusable = false;
	if (l == NULL || l->next >= l->n)
		return;
	x = l->xs[l->next];
	/* conn_tls_error's words say which failure it was: curl's 60 for the
	 * certificate, 28 for the time, 35 for the rest */
	if (why && strncmp(why, "certificate verify failed", 25) == 0)
		code = HC_VERIFY;
	else if (err == ETIMEDOUT || (why && strstr(why, "timed out")))
		code = HC_TIMEOUT;
	else
		code = HC_TLS;
	if (code == HC_VERIFY)
		xerr(x, code, "%s: %s", x->url.str, why);
	else if (code == HC_TIMEOUT)
		xerr(x, code, "%s: TLS handshake timed out after %llu ms",
		    x->url.str,
		    (unsigned long long)hc->ctx->connect_timeout_ms);
	else if (why)
		xerr(x, code, "%s: TLS handshake failed: %s", x->url.str, why);
	else
		xerr(x, code, "%s: TLS handshake failed: %s", x->url.str,
		    err ? strerror(err) : "the server closed the connection");
	lane_conn_failed(l, x, code);
}

static void
on_upstream(void *arg, enum upstream_ev ev, const struct upstream_result *r)
{
	struct hc_lane *l = arg;
	struct hc_ctx *ctx = l->ctx;
	struct hc_xfer *x = l->xs[l->next];
	const struct http_client_url *u = &x->url;
	char as[SOCK_ADDR_STRLEN];

	if (ev == UPSTREAM_EV_TRYING) {
		if (ctx->o->verbose)
			hc_verbose("  Trying %s...", sock_addr_str(r->addr, as,
			    sizeof(as)));
		l->t_connect = hc_now_ms();
		return;
	}
	l->req = NULL;
	if (ev == UPSTREAM_EV_ERROR) {
		int code = HC_CONNECT;

		if (r->err == UPSTREAM_ERR_RESOLVE)
			xerr(x, code = HC_RESOLVE, "could not resolve host: "
			    "%s (%s)", u->host, r->errstr);
		else
			xerr(x, code = r->err == UPSTREAM_ERR_TIMEOUT ?
			    HC_TIMEOUT : HC_CONNECT, "failed to connect to %s "
			    "port %d: %s", u->host, u->port, r->errstr);
		lane_conn_failed(l, x, code);
		return;
	}
	struct hc_conn *hc = calloc(1, sizeof(*hc));
	if (hc == NULL) {
		conn_abort(r->c);
		xerr(x, HC_CONNECT, "out of memory");
		x->code = HC_CONNECT;
		l->next++;
		lane_kick(l);
		return;
	}
	hc->ctx = ctx;
	hc->c = r->c;
	hc->lane = l;
	hc->tls = u->tls;
	hc->up = u->tls ? ctx->up_tls : ctx->up;
	snprintf(hc->host, sizeof(hc->host), "%s", u->host);
	hc->port = u->port;
	hc->reusable = true;
	body_reset(hc);
	conn_set_handler(r->c, hc_on_conn, hc);
	if (r->reused) {
		hc->id = (int)r->tag;
		hc->served = 1;		/* it was parked after a response */
		x->reused = true;
		if (ctx->o->verbose)
			hc_verbose("Re-using existing connection #%d with host "
			    "%s", hc->id, hc->host);
	} else {
		hc->id = (int)ctx->conns_opened++;
		x->connect_ms += hc_now_ms() - l->t_connect;
		x->reused = false;
		conn_nodelay(r->c);
		if (ctx->o->verbose)
			hc_verbose("Connected to %s (%s) port %d (#%d)",
			    u->host, sock_addr_host(r->addr, as, sizeof(as)),
			    u->port, hc->id);
	}
	x->t_connected = hc_now_ms();
	l->hc = hc;
	if (hc->tls && !r->reused) {
		/* nothing goes out before the handshake is done: CONN_EV_TLS
		 * (hc_tls_done) sends the request */
		struct tls_client *tc = hc_tls_client(ctx, x);

		hc->handshaking = true;
		hc->t_tcp = x->t_connected;
		if (tc == NULL || conn_tls_connect(r->c, tc, u->host,
		    ctx->connect_timeout_ms) < 0) {
			hc->handshaking = false;
			hc->stop = true;
			hc->reusable = false;
			if (tc != NULL)
				xerr(x, HC_TLS, "%s: cannot start the TLS "
				    "handshake", u->str);
			lane_conn_failed(l, x, x->code);
		}
		return;
	}
	if (hc->tls)
		x->t_tls = x->t_connected;
	/* send now, not a pass later: this runs from the loop (a task or
	 * the conn's own CONNECTED), where writing to it is allowed */
	lane_step(l);
}

static void
lane_acquire(struct hc_lane *l, struct hc_xfer *x)
{
	unsigned flags = 0;

	if (l->fresh || (!l->acquired && !l->pool_first))
		flags = UPSTREAM_FRESH;
	l->acquired = true;
	l->fresh = false;
	l->t_connect = hc_now_ms();
	l->req = upstream_connect(x->url.tls ? l->ctx->up_tls : l->ctx->up,
	    x->url.host, x->url.port, flags, on_upstream, l);
	if (l->req == NULL) {
		xerr(x, HC_CONNECT, "failed to connect to %s port %d: out of "
		    "memory", x->url.host, x->url.port);
		x->code = HC_CONNECT;
		l->next++;
		lane_kick(l);
	}
}

/* Writes the prepared request and body; sets t_sent. */
static int
lane_send(struct hc_lane *l, struct hc_xfer *x)
{
	struct conn *c = l->hc->c;

	if (l->ctx->o->verbose)
		hc_verbose_block("> ", buf_data(&x->req), x->req.len);
	if (conn_write(c, buf_data(&x->req), x->req.len) < 0 ||
	    (x->has_body && x->body_len > 0 &&
	    conn_write(c, x->body, x->body_len) < 0))
		return xerr(x, HC_SEND, "send failure: %s",
		    strerror(ENOBUFS)), HC_SEND;
	x->t_sent = hc_now_ms();
	x->remote = c->peer;		/* for -w %{remote_ip} */
	x->has_remote = true;
	return HC_OK;
}

/* The pipelined lane is through: its redirects, one by one. */
static bool
lane_follow_phase(struct hc_lane *l)
{
	size_t k = 0;

	l->follow_phase = true;
	for (size_t i = 0; i < l->n; i++) {
		struct hc_xfer *x = l->xs[i];
		if (x->code == HC_OK && x->has_location && x->follow)
			l->xs[k++] = x;	/* the array is the lane's */
	}
	if (k == 0)
		return false;
	l->n = k;
	l->depth = 1;
	l->next = 0;
	l->sent = 0;
	for (size_t i = 0; i < k; i++) {
		struct hc_xfer *x = l->xs[i];
		char loc[sizeof(x->location)];

		snprintf(loc, sizeof(loc), "%s", x->location);
		hc_xfer_clear_response(x);
		x->hops = 1;
		x->stale = 0;
		x->code = hc_xfer_set_url(x, loc);
	}
	while (l->next < l->n && l->xs[l->next]->code != HC_OK)
		l->next++;
	return true;
}

/* Whether hc may carry a request for u: the same host, port and scheme
 * (a TLS connection was verified for its host name). */
static bool
hc_conn_fits(const struct hc_conn *hc, const struct http_client_url *u)
{
	return hc->port == u->port && hc->tls == u->tls &&
	    strcasecmp(hc->host, u->host) == 0;
}

static void
lane_step(struct hc_lane *l)
{
	struct hc_ctx *ctx = l->ctx;

	while (l->running) {
		struct hc_conn *hc = l->hc;

		if (ctx->timed_out) {
			lane_timeout(l);
			return;
		}
		/* nothing more on this connection: what is unanswered goes
		 * again on another */
		if (hc && (hc->gone || hc->stop)) {
			l->sent = l->next;
			hc_let_go(hc, false);
			continue;
		}
		if (l->next >= l->n) {
			if (!l->follow_phase && l->depth > 1 &&
			    lane_follow_phase(l))
				continue;
			lane_end(l);
			return;
		}
		struct hc_xfer *x = l->xs[l->next];
		if (hc == NULL) {
			if (l->req == NULL)
				lane_acquire(l, x);
			return;
		}
		if (hc->handshaking)
			return;		/* CONN_EV_TLS steps again */
		/* one by one, the same host again: the connection is kept
		 * (a round trip through the pool would hand back this very
		 * one); -v tells it as the pool would */
		if (l->sent == l->next && hc->used && l->depth == 1 &&
		    hc->reusable && hc_conn_fits(hc, &x->url) &&
		    conn_is_open(hc->c) && hc->c->in.len == 0) {
			if (ctx->o->verbose) {
				hc_verbose("Connection #%d to host %s left "
				    "intact", hc->id, hc->host);
				hc_verbose("Re-using existing connection #%d "
				    "with host %s", hc->id, hc->host);
			}
			hc->used = false;
			x->reused = true;
		}
		/* another host, or a connection that cannot go on: back to
		 * the pool (or closed), and one for x is taken */
		if (l->sent == l->next && (hc->used || !hc->reusable ||
		    !hc_conn_fits(hc, &x->url)) && (l->depth == 1 ||
		    !hc->reusable)) {
			hc_let_go(hc, true);
			continue;
		}
		bool again = false;
		while (l->sent < l->n && l->sent - l->next < l->depth &&
		    hc->reusable) {
			struct hc_xfer *y = l->xs[l->sent];
			int rc;

			if (y->code != HC_OK) {
				/* failed before it was sent (a bad URL in
				 * the follow phase): skip it in order */
				if (l->sent == l->next)
					l->next++;
				l->sent++;
				continue;
			}
			if (l->sent > l->next) {
				y->reused = true;
				y->connect_ms = 0;
			}
			if (l->depth > 1)
				hc_xfer_clear_response(y);
			rc = hc_xfer_prepare(ctx, y);
			if (rc == HC_OK)
				rc = lane_send(l, y);
			if (rc && l->sent > l->next) {
				/* answers are in flight: read them first (their
				 * hc_finish kicks the lane), y fails at the
				 * front, on its own. A failed send may have
				 * queued part of y: nothing more goes here */
				if (rc == HC_SEND) {
					hc->spoiled = true;
					hc->reusable = false;
				}
				break;
			}
			if (rc) {
				/* nothing in flight: y is over, the lane goes
				 * on (a failed send leaves the connection
				 * unusable) */
				y->code = rc;
				if (rc == HC_SEND)
					hc->stop = true;
				l->next++;
				l->sent++;
				again = true;
				break;
			}
			l->sent++;
		}
		if (again)
			continue;
		return;
	}
}

static void
lane_task(struct loop *loop, void *arg)
{
	lane_step(arg);
}

static void
run_one_done(struct hc_lane *l)
{
}

int
hc_run_one(struct hc_ctx *ctx, struct hc_xfer *x)
{
	struct hc_lane lane;

	memset(&lane, 0, sizeof(lane));
	lane.ctx = ctx;
	lane.xs = &x;
	lane.n = 1;
	lane.depth = 1;
	lane.pool_first = true;
	lane.done = run_one_done;
	hc_lane_start(&lane);
	hc_ctx_run(ctx);
	return x->code;
}

void
hc_lane_start(struct hc_lane *l)
{
	struct hc_ctx *ctx = l->ctx;

	l->next = l->sent = 0;
	l->follow_phase = l->acquired = l->fresh = false;
	l->hc = NULL;
	l->req = NULL;
	l->running = true;
	l->lprev = NULL;
	l->lnext = ctx->lanes;
	if (ctx->lanes)
		ctx->lanes->lprev = l;
	ctx->lanes = l;
	ctx->busy++;
	for (size_t i = 0; i < l->n; i++)
		l->xs[i]->code = HC_OK;
	lane_kick(l);
}
