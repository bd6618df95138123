/* http_client_xfer.c - the client's engine: connections (connect with a
 * timeout, an idle list per worker, liveness checks), and one exchange on a
 * connection: the request out, the response in (1xx skipped; Content-Length,
 * chunked or close-delimited bodies), cookies stored, a 304 served from the
 * cache and a 200 stored in it, redirects followed, a stale connection
 * retried once. Blocking-style I/O: non-blocking sockets and poll, against
 * one deadline for the whole run (--max-time). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/sock.h"
#include "dns/dns_stub.h"
#include "http/http_client_int.h"

#define HC_CONNECT_TIMEOUT_DEFAULT 30.0	/* seconds */

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

/* ---- waiting ------------------------------------------------------------- */

/* Waits for ev on fd until the earlier of limit (absolute ms, 0: none) and
 * the run's deadline. 1 ready, 0 timed out, -1 error. */
static int
hc_wait(const struct hc_ctx *ctx, int fd, short ev, double limit)
{
	double dl = ctx->deadline;

	if (limit > 0 && (dl == 0 || limit < dl))
		dl = limit;
	for (;;) {
		struct pollfd p = { fd, ev, 0 };
		int ms = -1, r;

		if (dl > 0) {
			double left = dl - hc_now_ms();
			if (left <= 0)
				return 0;
			ms = (int)left + 1;
		}
		r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			return 1;
	}
}

static int
timeout_err(const struct hc_ctx *ctx, struct hc_xfer *x, const char *what)
{
	return xerr(x, HC_TIMEOUT, "%s: operation timed out after %.0f ms",
	    what, hc_now_ms() - ctx->t0), HC_TIMEOUT;
}

/* ---- connections --------------------------------------------------------- */

struct stub_wait {
	int done, n;
	struct sock_addr *out;
	char *err;
	size_t errlen;
};

static void
stub_done(void *arg, int n, const struct sock_addr *a, const char *err)
{
	struct stub_wait *w = arg;

	w->done = 1;
	w->n = n;
	for (int i = 0; i < n; i++)
		w->out[i] = a[i];
	snprintf(w->err, w->errlen, "%s", err ? err : "");
}

static int
stub_lookup(const struct sock_addr *server, const char *name, int port,
    struct sock_addr *out, char *err, size_t errlen)
{
	struct loop *loop = loop_new();
	struct dns_stub_conf sc;
	struct stub_wait w = { 0, -1, out, err, errlen };

	memset(&sc, 0, sizeof(sc));
	sc.server = *server;
	if (loop == NULL || dns_stub_start(loop, &sc, name, port, stub_done,
	    &w) == NULL) {
		snprintf(err, errlen, "out of memory");
		loop_free(loop);
		return -1;
	}
	while (!w.done)
		loop_once(loop, 100);
	loop_free(loop);
	return w.n;
}

void
hc_conn_close(struct hc_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->in);
	free(c);
}

/* Whether a parked connection still looks usable: nothing to read (no
 * early close, no stray bytes). */
static bool
conn_alive(struct hc_conn *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 0 && c->in.len == 0;
}

static int
conn_open(struct hc_ctx *ctx, struct hc_xfer *x, struct hc_conn **out)
{
	const struct http_client_url *u = &x->url;
	struct sock_addr addrs[16];
	size_t na = 0;
	char port[8], as[SOCK_ADDR_STRLEN], err[SOCK_ERR_LEN];
	double ct = ctx->o->connect_timeout > 0 ? ctx->o->connect_timeout :
	    HC_CONNECT_TIMEOUT_DEFAULT;
	int last = 0;
	bool timed_out = false;
	struct hc_conn *c;

	snprintf(port, sizeof(port), "%d", u->port);
	/* IP literals need no lookup; names go through getaddrinfo */
	if (sock_parse_host(u->ipv6 ? u->hostport : u->host, u->port,
	    &addrs[0], NULL) == 0) {
		sock_addr_set_port(&addrs[0], u->port);
		na = 1;
	} else if (ctx->o->use_resolver) {
		char derr[160];
		int n = stub_lookup(&ctx->o->resolver, u->host, u->port,
		    addrs, derr, sizeof(derr));
		if (n < 0)
			return xerr(x, HC_RESOLVE, "could not resolve host: "
			    "%s (%s)", u->host, derr), HC_RESOLVE;
		if (n == 0)
			return xerr(x, HC_RESOLVE, "could not resolve host: "
			    "%s (no address)", u->host), HC_RESOLVE;
		na = (size_t)n;
	} else {
		struct addrinfo hints, *res, *ai;
		int rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_family = AF_UNSPEC;
		rc = getaddrinfo(u->host, port, &hints, &res);
		if (rc != 0)
			return xerr(x, HC_RESOLVE, "could not resolve host: "
			    "%s (%s)", u->host, gai_strerror(rc)), HC_RESOLVE;
		for (ai = res; ai && na < 16; ai = ai->ai_next) {
			if (ai->ai_addrlen > sizeof(addrs[na].ss))
				continue;
			memcpy(&addrs[na].ss, ai->ai_addr, ai->ai_addrlen);
			addrs[na].len = ai->ai_addrlen;
			na++;
		}
		freeaddrinfo(res);
		if (na == 0)
			return xerr(x, HC_RESOLVE, "could not resolve host: "
			    "%s", u->host), HC_RESOLVE;
	}

	for (size_t i = 0; i < na; i++) {
		double start = hc_now_ms();
		int fd, w;

		sock_addr_str(&addrs[i], as, sizeof(as));
		if (ctx->o->verbose)
			hc_verbose("  Trying %s...", as);
		fd = sock_connect_tcp(&addrs[i], err);
		if (fd < 0) {
			last = errno;
			continue;
		}
		w = hc_wait(ctx, fd, POLLOUT, start + ct * 1000);
		if (w == 0) {
			close(fd);
			timed_out = true;
			continue;
		}
		int e = w < 0 ? errno : sock_connect_result(fd);
		if (e != 0) {
			last = e;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return xerr(x, HC_CONNECT, "out of memory"), HC_CONNECT;
		}
		c->fd = fd;
		snprintf(c->host, sizeof(c->host), "%s", u->host);
		c->port = u->port;
		buf_init(&c->in, HC_MAX_HEAD + 2 * HC_READ_CHUNK);
		pthread_mutex_lock(&ctx->mu);
		c->id = (int)ctx->conns_opened++;
		pthread_mutex_unlock(&ctx->mu);
		x->connect_ms += hc_now_ms() - start;
		x->reused = false;
		if (ctx->o->verbose)
			hc_verbose("Connected to %s (%s) port %d (#%d)",
			    u->host,
			    sock_addr_host(&addrs[i], as, sizeof(as)), u->port,
			    c->id);
		*out = c;
		return HC_OK;
	}
	if (ctx->deadline > 0 && hc_now_ms() >= ctx->deadline)
		return timeout_err(ctx, x, "connect");
	if (timed_out && last == 0)
		return xerr(x, HC_TIMEOUT, "failed to connect to %s port %d: "
		    "connection timed out after %.0f ms", u->host, u->port,
		    ct * 1000), HC_TIMEOUT;
	return xerr(x, HC_CONNECT, "failed to connect to %s port %d: %s",
	    u->host, u->port, strerror(last ? last : ECONNREFUSED)), HC_CONNECT;
}

int
hc_conn_get(struct hc_ctx *ctx, struct hc_xfer *x, bool fresh,
    struct hc_conn **out)
{
	struct hc_conn **home = x->idle ? x->idle : &ctx->idle;
	struct hc_conn **pp, *c = NULL;
	int rc;

	*out = NULL;
	if (!fresh) {
		pthread_mutex_lock(&ctx->mu);
		for (pp = home; *pp;) {
			struct hc_conn *i = *pp;
			if (i->port == x->url.port &&
			    strcmp(i->host, x->url.host) == 0) {
				*pp = i->next;
				if (conn_alive(i)) {
					c = i;
					break;
				}
				hc_conn_close(i);
				continue;
			}
			pp = &i->next;
		}
		pthread_mutex_unlock(&ctx->mu);
	}
	if (c) {
		c->next = NULL;
		x->reused = true;
		if (ctx->o->verbose)
			hc_verbose("Re-using existing connection #%d with host "
			    "%s", c->id, c->host);
		*out = c;
		return HC_OK;
	}
	rc = conn_open(ctx, x, out);
	if (rc == HC_OK)
		(*out)->home = home;
	return rc;
}

void
hc_conn_put(struct hc_ctx *ctx, struct hc_conn *c)
{
	struct hc_conn *old = NULL;
	size_t n = 0;

	if (c == NULL)
		return;
	if (!c->reusable || c->in.len != 0) {
		if (ctx->o->verbose)
			hc_verbose("Closing connection #%d", c->id);
		hc_conn_close(c);
		return;
	}
	if (ctx->o->verbose)
		hc_verbose("Connection #%d to host %s left intact", c->id,
		    c->host);
	pthread_mutex_lock(&ctx->mu);
	c->next = *c->home;
	*c->home = c;
	for (struct hc_conn *i = *c->home; i; i = i->next)
		if (++n == HC_IDLE_MAX && i->next) {
			old = i->next;
			i->next = NULL;
			break;
		}
	pthread_mutex_unlock(&ctx->mu);
	while (old) {
		struct hc_conn *nx = old->next;
		hc_conn_close(old);
		old = nx;
	}
}

void
hc_conn_drain(struct hc_ctx *ctx)
{
	struct hc_conn *c;

	pthread_mutex_lock(&ctx->mu);
	c = ctx->idle;
	ctx->idle = NULL;
	pthread_mutex_unlock(&ctx->mu);
	while (c) {
		struct hc_conn *nx = c->next;
		hc_conn_close(c);
		c = nx;
	}
}

/* Reads more bytes into c->in. Returns > 0, 0 at EOF, -1 on error (errno),
 * -2 on timeout. */
static ssize_t
conn_fill(struct hc_ctx *ctx, struct hc_conn *c)
{
	for (;;) {
		uint8_t *p = buf_reserve(&c->in, HC_READ_CHUNK);
		ssize_t got;

		if (p == NULL) {
			errno = ENOBUFS;
			return -1;
		}
		got = recv(c->fd, p, HC_READ_CHUNK, 0);
		if (got > 0) {
			buf_commit(&c->in, (size_t)got);
			return got;
		}
		if (got == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int w = hc_wait(ctx, c->fd, POLLIN, 0);
		if (w == 0)
			return -2;
		if (w < 0)
			return -1;
	}
}

static int
send_all(struct hc_ctx *ctx, struct hc_conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = hc_wait(ctx, c->fd, POLLOUT, 0);
			if (r == 0)
				return -2;
			if (r < 0)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

/* ---- one exchange -------------------------------------------------------- */

void
hc_xfer_init(struct hc_xfer *x, const char *method)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->method, sizeof(x->method), "%s", method);
	x->hit.fd = -1;
	buf_init(&x->req, HTTP_CLIENT_URL_MAX + 64 * 1024);
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

	if (r == HTTP_CLIENT_URL_SCHEME) {
		if (strcmp(x->url.scheme, "https") == 0)
			return xerr(x, HC_UNSUPPORTED, "%s: https is not "
			    "supported yet", url), HC_UNSUPPORTED;
		return xerr(x, HC_UNSUPPORTED, "%s: protocol \"%s\" not "
		    "supported", url, x->url.scheme), HC_UNSUPPORTED;
	}
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
		static __thread char cookie[64 * 1024];
		int k;

		pthread_mutex_lock(&ctx->mu);
		k = http_client_cookie_jar_header(&ctx->jar, x->url.host,
		    x->url.target, target_path_len(x->url.target), false,
		    time(NULL), cookie, sizeof(cookie));
		pthread_mutex_unlock(&ctx->mu);
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
		return xerr(x, HC_URL, "request too large"), HC_URL;
	return HC_OK;
}

int
hc_xfer_send(struct hc_ctx *ctx, struct hc_conn *c, struct hc_xfer *x)
{
	int r;

	if (ctx->o->verbose)
		hc_verbose_block("> ", buf_data(&x->req), x->req.len);
	r = send_all(ctx, c, buf_data(&x->req), x->req.len);
	if (r == 0 && x->has_body && x->body_len > 0)
		r = send_all(ctx, c, x->body, x->body_len);
	x->t_sent = hc_now_ms();
	if (r == -2)
		return timeout_err(ctx, x, "send");
	if (r < 0) {
		c->reusable = false;
		if (c->served > 0)
			return HC_STALE;
		return xerr(x, HC_SEND, "send failure: %s", strerror(errno)),
		    HC_SEND;
	}
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
	pthread_mutex_lock(&ctx->mu);
	for (size_t i = http_header_next(r->headers, r->nheaders, 0,
	    "Set-Cookie"); i < r->nheaders; i = http_header_next(r->headers,
	    r->nheaders, i + 1, "Set-Cookie"))
		http_client_cookie_jar_set(&ctx->jar, x->url.host,
		    x->url.target, pl,
		    r->headers[i].value.p, r->headers[i].value.n, now);
	pthread_mutex_unlock(&ctx->mu);
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

/* Reads the head of the final response (1xx skipped). */
static int
read_head(struct hc_ctx *ctx, struct hc_conn *c, struct hc_xfer *x,
    bool *any)
{
	struct http_limits lim = { 0, HC_MAX_HEAD, HTTP_MAX_HEADERS };

	for (;;) {
		int k = c->in.len ? http_parse_response(buf_data(&c->in),
		    c->in.len, &x->r, &lim) : PARSE_AGAIN;

		if (c->in.len > 0 && x->t_first == 0)
			x->t_first = hc_now_ms();
		if (c->in.len > 0)
			*any = true;
		if (k == PARSE_ERR) {
			c->reusable = false;
			return xerr(x, HC_WEIRD, "weird server reply from %s: "
			    "not an HTTP/1.x response", x->url.hostport),
			    HC_WEIRD;
		}
		if (k == PARSE_AGAIN) {
			ssize_t got = conn_fill(ctx, c);
			if (got > 0)
				continue;
			c->reusable = false;
			if (got == -2)
				return timeout_err(ctx, x, "waiting for the "
				    "response");
			if (!*any && c->served > 0)
				return HC_STALE;
			if (got == 0 && !*any)
				return xerr(x, HC_EMPTY, "empty reply from "
				    "server %s", x->url.hostport), HC_EMPTY;
			if (got == 0)
				return xerr(x, HC_WEIRD, "the server closed "
				    "in the middle of the response head"),
				    HC_WEIRD;
			return xerr(x, HC_RECV, "recv failure: %s",
			    strerror(errno)), HC_RECV;
		}
		if (ctx->o->verbose)
			hc_verbose_block("< ", buf_data(&c->in), (size_t)k);
		if (x->r.status >= 100 && x->r.status < 200) {
			if (x->r.status == 101) {
				c->reusable = false;
				return xerr(x, HC_WEIRD, "the server switched "
				    "protocols (101) unasked"), HC_WEIRD;
			}
			buf_consume(&c->in, (size_t)k);
			continue;
		}
		free(x->head);
		x->head = malloc((size_t)k);
		if (x->head == NULL)
			return xerr(x, HC_RECV, "out of memory"), HC_RECV;
		memcpy(x->head, buf_data(&c->in), (size_t)k);
		x->head_len = (size_t)k;
		buf_consume(&c->in, (size_t)k);
		/* parse the copy so that the slices outlive the buffer */
		http_parse_response((const uint8_t *)x->head, x->head_len,
		    &x->r, &lim);
		x->status = x->r.status;
		return HC_OK;
	}
}

/* Where the body goes: the sink, the cache entry, or nowhere. */
struct body_out {
	struct hc_xfer *x;
	bool deliver;
	struct http_client_cache_writer *cw;
	uint64_t read;		/* body bytes read, delivered or not */
};

static int
body_put(struct body_out *bo, const uint8_t *p, size_t n)
{
	struct hc_xfer *x = bo->x;

	bo->read += n;
	if (n == 0 || !bo->deliver)
		return HC_OK;	/* a redirect's body: read and dropped */
	x->bytes += n;
	if (bo->cw && http_client_cache_write(bo->cw, p, n) < 0)
		bo->cw = NULL;		/* the cache is best effort */
	if (x->sink && x->sink(x->sink_arg, p, n) < 0)
		return xerr(x, HC_WRITE, "failed writing the body"), HC_WRITE;
	return HC_OK;
}

static int
read_body(struct hc_ctx *ctx, struct hc_conn *c, struct hc_xfer *x,
    struct body_out *bo)
{
	const struct http_response *r = &x->r;
	bool head = strcmp(x->method, "HEAD") == 0;
	ssize_t got;
	int rc;

	if (!http_response_has_body(head, r->status))
		return HC_OK;
	if (r->te_unsupported) {
		c->reusable = false;
		return xerr(x, HC_WEIRD, "unsupported transfer coding"),
		    HC_WEIRD;
	}
	if (r->chunked) {
		struct http_chunked st;

		http_chunked_init(&st);
		while (!st.done) {
			while (c->in.len > 0 && !st.done) {
				struct slice d;
				int k = http_chunked_decode(&st,
				    buf_data(&c->in), c->in.len, &d);
				if (k < 0) {
					c->reusable = false;
					return xerr(x, HC_WEIRD, "bad chunked "
					    "encoding"), HC_WEIRD;
				}
				/* d points into c->in: deliver before
				 * consuming, which may not move bytes */
				rc = body_put(bo, d.p, d.n);
				buf_consume(&c->in, (size_t)k);
				if (rc)
					return rc;
			}
			if (st.done)
				break;
			got = conn_fill(ctx, c);
			if (got <= 0)
				goto short_body;
		}
		return HC_OK;
	}
	if (r->has_content_length) {
		uint64_t left = r->content_length;

		for (;;) {
			size_t take = c->in.len < left ? c->in.len :
			    (size_t)left;
			rc = body_put(bo, buf_data(&c->in), take);
			buf_consume(&c->in, take);
			left -= take;
			if (rc)
				return rc;
			if (left == 0)
				return HC_OK;
			got = conn_fill(ctx, c);
			if (got <= 0)
				goto short_body;
		}
	}
	/* close-delimited (HTTP/1.0 style) */
	c->reusable = false;
	for (;;) {
		rc = body_put(bo, buf_data(&c->in), c->in.len);
		buf_consume(&c->in, c->in.len);
		if (rc)
			return rc;
		got = conn_fill(ctx, c);
		if (got == 0)
			return HC_OK;
		if (got < 0)
			goto short_body;
	}

short_body:
	c->reusable = false;
	if (got == -2)
		return timeout_err(ctx, x, "reading the body");
	if (got < 0)
		return xerr(x, HC_RECV, "recv failure: %s", strerror(errno)),
		    HC_RECV;
	if (r->has_content_length)
		return xerr(x, HC_PARTIAL, "transfer closed with %llu bytes "
		    "remaining to read", (unsigned long long)(
		    r->content_length - bo->read)), HC_PARTIAL;
	return xerr(x, HC_PARTIAL, "transfer closed with outstanding read "
	    "data remaining"), HC_PARTIAL;
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

/* Serves the cached body for a 304. */
static int
serve_cached(struct hc_xfer *x, struct body_out *bo)
{
	uint8_t tmp[65536];
	ssize_t got;

	while ((got = read(x->hit.fd, tmp, sizeof(tmp))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return xerr(x, HC_WRITE, "reading the cache: %s",
			    strerror(errno)), HC_WRITE;
		int rc = body_put(bo, tmp, (size_t)got);
		if (rc)
			return rc;
	}
	return HC_OK;
}

int
hc_xfer_read(struct hc_ctx *ctx, struct hc_conn *c, struct hc_xfer *x)
{
	struct http_client_cache_writer cw;
	struct body_out bo = { x, true, NULL, 0 };
	bool any = false;
	int rc;

	x->t_first = 0;
	rc = read_head(ctx, c, x, &any);
	if (rc)
		return rc;
	c->reusable = x->r.keep_alive;
	store_cookies(ctx, x);
	if (x->print_head && x->sink &&
	    x->sink(x->sink_arg, (const uint8_t *)x->head, x->head_len) < 0)
		return xerr(x, HC_WRITE, "failed writing the output"), HC_WRITE;

	if (is_redirect(x->status)) {
		const struct http_header *loc = http_header_find(x->r.headers,
		    x->r.nheaders, "Location");
		if (loc && http_client_url_resolve(x->url.str,
		    (const char *)loc->value.p, loc->value.n, x->location,
		    sizeof(x->location)) > 0)
			x->has_location = true;
	}
	if (x->has_location && x->follow) {
		bo.deliver = false;
	} else if (x->fail && x->status >= 400) {
		c->reusable = false;	/* the body is left unread */
		return xerr(x, HC_HTTP, "the requested URL returned error: %d",
		    x->status), HC_HTTP;
	} else if (x->status == 304 && x->conditional) {
		x->from_cache = true;
		rc = read_body(ctx, c, x, &bo);	/* none, by the rules */
		if (rc == HC_OK)
			rc = serve_cached(x, &bo);
		http_client_cache_hit_close(&x->hit);
		x->t_done = hc_now_ms();
		return rc ? rc : HC_OK;
	} else if (ctx->o->cache_dir && cacheable(x)) {
		struct http_client_cache_meta m;

		memset(&m, 0, sizeof(m));
		snprintf(m.url, sizeof(m.url), "%s", x->url.str);
		header_copy(&x->r, "ETag", m.etag, sizeof(m.etag));
		header_copy(&x->r, "Last-Modified", m.last_modified,
		    sizeof(m.last_modified));
		header_copy(&x->r, "Content-Type", m.content_type,
		    sizeof(m.content_type));
		m.stored = (int64_t)time(NULL);
		if (http_client_cache_begin(&cw, ctx->o->cache_dir, &m) == 0)
			bo.cw = &cw;
	}
	http_client_cache_hit_close(&x->hit);
	rc = read_body(ctx, c, x, &bo);
	x->t_done = hc_now_ms();
	if (bo.cw) {
		if (rc == HC_OK)
			http_client_cache_commit(bo.cw);
		else
			http_client_cache_abort(bo.cw);
	}
	if (rc == HC_OK)
		c->served++;
	return rc;
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

int
hc_fetch(struct hc_ctx *ctx, struct hc_xfer *x)
{
	int hops = 0, rc;

	for (;;) {
		struct hc_conn *c = NULL;

		rc = hc_xfer_prepare(ctx, x);
		/* A parked connection the server has closed meanwhile shows up
		 * as HC_STALE: the request goes again, once, on a new one. */
		for (int attempt = 0; rc == HC_OK; attempt++) {
			rc = hc_conn_get(ctx, x, attempt > 0, &c);
			if (rc)
				break;
			rc = hc_xfer_send(ctx, c, x);
			if (rc == HC_OK)
				rc = hc_xfer_read(ctx, c, x);
			if (rc != HC_STALE)
				break;
			if (ctx->o->verbose)
				hc_verbose("Connection #%d was closed by the "
				    "server; retrying on a new one", c->id);
			hc_conn_close(c);
			c = NULL;
			if (attempt == 1) {
				xerr(x, HC_EMPTY, "empty reply from server");
				rc = HC_EMPTY;
				break;
			}
			rc = HC_OK;
		}
		if (c) {
			if (rc)
				c->reusable = false;
			hc_conn_put(ctx, c);
		}
		if (rc)
			return x->code = rc;
		if (!(x->follow && x->has_location))
			return HC_OK;
		if (++hops > ctx->o->max_redirs)
			return xerr(x, HC_REDIRS, "maximum (%d) redirects "
			    "followed", ctx->o->max_redirs), HC_REDIRS;
		if (ctx->o->verbose)
			hc_verbose("Issue another request to this URL: '%s'",
			    x->location);
		char loc[sizeof(x->location)];
		char prev[sizeof(x->url.hostport)];
		snprintf(loc, sizeof(loc), "%s", x->location);
		snprintf(prev, sizeof(prev), "%s", x->url.hostport);
		redirect_method(x);
		hc_xfer_clear_response(x);
		rc = hc_xfer_set_url(x, loc);
		if (rc)
			return rc;
		if (strcmp(prev, x->url.hostport) != 0)
			x->cross_host = true;
	}
}

