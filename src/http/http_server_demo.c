/* http_server_demo.c - the textbook's cookie and form demos.
 *
 * /visits: on a client's first visit the server makes a random, unguessable
 * session id, sends it in Set-Cookie and keeps a visit count for it; the
 * browser sends the id back in Cookie and the count goes up. The table lives
 * in shared memory made before the workers fork (workers share nothing else):
 * whichever worker a connection lands on sees the same sessions. It is
 * bounded (sessions-max) and entries expire (session-ttl); a robust
 * process-shared mutex guards it, so a worker dying while holding the lock
 * cannot wedge the others.
 *
 * /post: shows the fields a form posted (urlencoded), decoded and escaped,
 * sent with the chunked transfer coding to HTTP/1.1 clients.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "http/http_server_demo.h"
#include "http/http_field.h"

#define SID_BYTES 16
#define SID_HEX (SID_BYTES * 2)
#define PROBE 32

struct demo_session {
	char id[SID_HEX + 1];
	uint64_t visits;
	time_t last;
};

struct demo_table {
	pthread_mutex_t lock;
	size_t n;
	uint64_t ttl_s;
	struct demo_session s[];
};

static struct demo_table *table;

int
http_server_demo_setup(const struct http_conf *cf, char *err)
{
	pthread_mutexattr_t a;
	size_t n = (size_t)cf->sessions_max;
	size_t len = sizeof(*table) + n * sizeof(table->s[0]);

	if (table)
		return 0;
	table = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (table == MAP_FAILED) {
		table = NULL;
		snprintf(err, CONF_ERR_LEN, "http: session table: %s",
		    strerror(errno));
		return -1;
	}
	table->n = n;
	table->ttl_s = cf->session_ttl / 1000 ? cf->session_ttl / 1000 : 1;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&table->lock, &a);
	pthread_mutexattr_destroy(&a);
	return 0;
}

static void
lock(void)
{
	if (pthread_mutex_lock(&table->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&table->lock);
}

static size_t
hash_id(const char *id)
{
	uint64_t h = 1469598103934665603ull;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 1099511628211ull;
	return (size_t)h;
}

/* The count after this visit; a new id is made when id is NULL or unknown.
 * Returns 0, or -1 when no random bytes could be had. */
static int
visit(const char *id, char out_id[SID_HEX + 1], uint64_t *visits)
{
	time_t now = time(NULL);
	size_t start, i;

	lock();
	if (id) {
		start = hash_id(id) % table->n;
		for (i = 0; i < PROBE; i++) {
			struct demo_session *s = &table->s[(start + i) % table->n];
			if (strcmp(s->id, id) == 0 &&
			    (uint64_t)(now - s->last) <= table->ttl_s) {
				s->visits++;
				s->last = now;
				*visits = s->visits;
				memcpy(out_id, s->id, SID_HEX + 1);
				pthread_mutex_unlock(&table->lock);
				return 0;
			}
		}
	}
	uint8_t rnd[SID_BYTES];
	static const char hex[] = "0123456789abcdef";
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		pthread_mutex_unlock(&table->lock);
		return -1;
	}
	for (i = 0; i < SID_BYTES; i++) {
		out_id[2 * i] = hex[rnd[i] >> 4];
		out_id[2 * i + 1] = hex[rnd[i] & 15];
	}
	out_id[SID_HEX] = '\0';
	/* an empty or expired slot in the probe window, else the oldest */
	start = hash_id(out_id) % table->n;
	struct demo_session *victim = NULL;
	for (i = 0; i < PROBE; i++) {
		struct demo_session *s = &table->s[(start + i) % table->n];
		if (s->id[0] == '\0' || (uint64_t)(now - s->last) > table->ttl_s) {
			victim = s;
			break;
		}
		if (victim == NULL || s->last < victim->last)
			victim = s;
	}
	memcpy(victim->id, out_id, SID_HEX + 1);
	victim->visits = 1;
	victim->last = now;
	*visits = 1;
	pthread_mutex_unlock(&table->lock);
	return 0;
}

/* The value of cookie `name` in the request's Cookie headers, if it is a
 * well-formed session id. */
static int
find_sid(const struct http_request *r, char out[SID_HEX + 1])
{
	for (size_t i = http_header_next(r->headers, r->nheaders, 0, "Cookie");
	    i < r->nheaders;
	    i = http_header_next(r->headers, r->nheaders, i + 1, "Cookie")) {
		const uint8_t *p = r->headers[i].value.p;
		const uint8_t *end = p + r->headers[i].value.n;
		while (p < end) {
			while (p < end && (*p == ' ' || *p == ';'))
				p++;
			const uint8_t *semi = memchr(p, ';', (size_t)(end - p));
			const uint8_t *e = semi ? semi : end;
			if ((size_t)(e - p) == 4 + SID_HEX && memcmp(p, "sid=", 4) == 0) {
				int ok = 1;
				for (int k = 0; k < SID_HEX; k++) {
					uint8_t c = p[4 + k];
					if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
						ok = 0;
				}
				if (ok) {
					memcpy(out, p + 4, SID_HEX);
					out[SID_HEX] = '\0';
					return 1;
				}
			}
			p = e;
		}
	}
	return 0;
}

static void
serve_visits(struct http_txn *t)
{
	char sid[SID_HEX + 1], newid[SID_HEX + 1], extra[256], body[1024];
	uint64_t visits;
	int had = find_sid(t->req, sid);
	int n;

	if (table == NULL || visit(had ? sid : NULL, newid, &visits) < 0) {
		http_send_error(t, 503, NULL);
		return;
	}
	extra[0] = '\0';
	if (!had || strcmp(sid, newid) != 0)
		snprintf(extra, sizeof(extra),
		    "Set-Cookie: sid=%s; Path=/; Max-Age=%llu; HttpOnly; "
		    "SameSite=Lax\r\n", newid,
		    (unsigned long long)table->ttl_s);
	snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
	    "Cache-Control: no-store\r\n");
	n = snprintf(body, sizeof(body),
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Visits</title><link rel=\"stylesheet\" href=\"/style.css\">"
	    "</head>\n<body><h1>Cookies</h1>\n"
	    "<p id=\"visits\">visit number %llu for session ID %s</p>\n"
	    "<p>%s</p><p><a href=\"/visits\">Visit again</a> · "
	    "<a href=\"/\">Home</a></p></body></html>\n",
	    (unsigned long long)visits, newid,
	    had && !strcmp(sid, newid) ? "Your browser sent the cookie back." :
	    "The server has just set a cookie with your new session ID.");
	http_send_body(t, 200, "text/html; charset=utf-8", body, (size_t)n,
	    extra);
}

/* Decodes one application/x-www-form-urlencoded component into b, escaped
 * for HTML. */
static int
put_form_component(struct buf *b, const uint8_t *p, size_t n)
{
	uint8_t tmp[256];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < n && hex_digit(p[i + 1]) >= 0 &&
		    hex_digit(p[i + 2]) >= 0) {
			c = (uint8_t)(hex_digit(p[i + 1]) * 16 + hex_digit(p[i + 2]));
			i += 2;
		}
		tmp[k++] = c;
		if (k == sizeof(tmp)) {
			if (http_html_escape(b, tmp, k) < 0)
				return -1;
			k = 0;
		}
	}
	return http_html_escape(b, tmp, k);
}

static void
serve_post(struct http_txn *t)
{
	const struct http_request *r = t->req;
	struct buf b;
	char chunk[32];
	int ok;

	if (r->method != HTTP_METHOD_POST) {
		http_send_error(t, 405, "Allow: POST\r\n");
		return;
	}
	buf_init(&b, 4 * 1024 * 1024);
	ok = buf_printf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Posted</title><link rel=\"stylesheet\" href=\"/style.css\">"
	    "</head>\n<body><h1>What you posted</h1>\n<p>%zu bytes of body",
	    t->body.n) == 0;
	const struct http_header *ct =
	    http_header_find(r->headers, r->nheaders, "Content-Type");
	if (ok && ct) {
		ok = buf_append_str(&b, " as ") == 0 &&
		    http_html_escape(&b, ct->value.p, ct->value.n) == 0;
	}
	ok = ok && buf_printf(&b, "%s.</p>\n<table id=\"fields\">\n",
	    r->chunked ? ", sent chunked" : "") == 0;
	const uint8_t *p = t->body.p, *end = p + t->body.n;
	while (ok && p < end) {
		const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
		const uint8_t *e = amp ? amp : end;
		const uint8_t *eq = memchr(p, '=', (size_t)(e - p));
		if (e > p) {
			ok = buf_append_str(&b, "<tr><th>") == 0 &&
			    put_form_component(&b, p, (size_t)((eq ? eq : e) - p)) == 0 &&
			    buf_append_str(&b, "</th><td>") == 0 &&
			    (eq == NULL || put_form_component(&b, eq + 1,
				(size_t)(e - eq - 1)) == 0) &&
			    buf_append_str(&b, "</td></tr>\n") == 0;
		}
		p = amp ? amp + 1 : end;
	}
	ok = ok && buf_append_str(&b, "</table>\n<p><a href=\"/form.html\">Back "
	    "to the form</a></p></body></html>\n") == 0;
	if (!ok) {
		buf_free(&b);
		http_send_error(t, 500, NULL);
		return;
	}
	if (r->version_minor == 0) {
		http_send_body(t, 200, "text/html; charset=utf-8", buf_data(&b),
		    b.len, "Cache-Control: no-store\r\n");
		buf_free(&b);
		return;
	}
	/* a dynamic page: chunked, as a generator that does not know its
	 * length in advance would send it */
	int n = snprintf(chunk, sizeof(chunk), "%zx\r\n", b.len);
	if (http_send_head(t, 200, "text/html; charset=utf-8", HTTP_LEN_CHUNKED,
	    "Cache-Control: no-store\r\n") < 0 ||
	    conn_write(t->s->base.c, chunk, (size_t)n) < 0 ||
	    conn_write(t->s->base.c, buf_data(&b), b.len) < 0 ||
	    conn_write(t->s->base.c, "\r\n0\r\n\r\n", 7) < 0)
		conn_abort(t->s->base.c);
	t->bytes = b.len;
	buf_free(&b);
}

int
http_server_demo_handle(struct http_txn *t)
{
	const struct http_request *r = t->req;

	if (slice_eq(r->path, "/visits")) {
		if (r->method == HTTP_METHOD_POST)
			http_send_error(t, 405, "Allow: GET, HEAD\r\n");
		else
			serve_visits(t);
		return 1;
	}
	if (slice_eq(r->path, "/post")) {
		serve_post(t);
		return 1;
	}
	return 0;
}
