/* upstream.c - outgoing connections (see upstream.h): a request walks
 * pool -> lookup -> one conn_connect per address; the pool is one list,
 * newest first, scanned for a destination (it is bounded by idle_max, a few
 * dozen entries for a client; a proxy with thousands would want a hash). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/upstream.h"

#define UPSTREAM_CONNECT_TIMEOUT 30000
#define UPSTREAM_IDLE_TIMEOUT 60000

/* A parked connection. It lives until its conn's CLOSED, since it is the
 * conn's user while parked. */
struct upstream_idle {
	struct upstream *u;		/* NULL once out of the list */
	struct conn *c;
	char host[UPSTREAM_HOST_MAX];
	int port;
	uint64_t tag;
	struct upstream_idle *prev, *next;
};

enum req_state { REQ_START, REQ_LOOKUP, REQ_CONNECTING };

struct upstream_req {
	struct upstream *u;
	char host[UPSTREAM_HOST_MAX];
	int port;
	unsigned flags;
	upstream_cb *cb;
	void *arg;
	enum req_state st;
	struct loop_task task;
	void *lookup;			/* REQ_LOOKUP */
	struct sock_addr addrs[UPSTREAM_ADDRS];
	int naddrs, next;		/* next: the address to try next */
	struct conn *c;			/* REQ_CONNECTING */
	uint64_t t_try;			/* when the current try began */
	int last_errno;			/* of the last other failure */
	int timed_out;			/* a try timed out */
	int refused;			/* a try was refused */
	int in_cb;			/* its callback is running */
	int cancelled;			/* cancelled from inside it */
	struct upstream_req *prev, *rnext;
};

struct upstream {
	struct loop *loop;
	struct upstream_conf conf;
	struct upstream_idle *idle;	/* newest first */
	struct upstream_idle *idle_tail;
	size_t nidle;
	struct upstream_req *reqs;	/* under way, for upstream_free */
	int in_cb;			/* callbacks running (nested) */
	int freeing;			/* upstream_free came inside one */
};

static void upstream_free_now(struct upstream *u);

struct upstream *
upstream_new(struct loop *loop, const struct upstream_conf *conf)
{
	struct upstream *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->loop = loop;
	u->conf = *conf;
	if (u->conf.connect_timeout_ms == 0)
		u->conf.connect_timeout_ms = UPSTREAM_CONNECT_TIMEOUT;
	if (u->conf.idle_timeout_ms == 0)
		u->conf.idle_timeout_ms = UPSTREAM_IDLE_TIMEOUT;
	return u;
}

/* ---- the pool ------------------------------------------------------------ */

static void
idle_unlink(struct upstream_idle *e)
{
	struct upstream *u = e->u;

	if (u == NULL)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		u->idle = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		u->idle_tail = e->prev;
	u->nidle--;
	e->u = NULL;
	e->prev = e->next = NULL;
}

/* Events of a parked conn: anything but silence ends it. */
static void
idle_cb(struct conn *c, enum conn_ev ev, void *arg)
{
	struct upstream_idle *e = arg;

	if (ev == CONN_EV_CLOSED) {
		idle_unlink(e);
		free(e);
		return;
	}
	idle_unlink(e);
	conn_abort(c);
}

/* A conn between its owners (nobody took it): aborted at its next event. */
static void
orphan_cb(struct conn *c, enum conn_ev ev, void *arg)
{
	if (ev != CONN_EV_CLOSED)
		conn_abort(c);
}

/* Ends a parked conn (its entry goes at CLOSED). */
static void
idle_drop(struct upstream_idle *e)
{
	idle_unlink(e);
	conn_abort(e->c);
}

/* Whether a parked conn still looks usable: no event has told of a close,
 * and a peek finds nothing to read (the peer's FIN or stray bytes would be
 * there even before the loop has dispatched them). */
static int
idle_alive(struct upstream_idle *e)
{
	uint8_t b;
	ssize_t r;

	if (!conn_is_open(e->c) || conn_pending(e->c) || e->c->in.len)
		return 0;
	do
		r = recv(e->c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int
same_dest(const struct upstream_idle *e, const char *host, int port)
{
	return e->port == port && strcasecmp(e->host, host) == 0;
}

/* Takes the newest live parked conn for (host, port), dropping the dead
 * ones met on the way. */
static struct upstream_idle *
idle_take(struct upstream *u, const char *host, int port)
{
	struct upstream_idle *e = u->idle;

	while (e) {
		struct upstream_idle *nx = e->next;
		if (same_dest(e, host, port)) {
			if (idle_alive(e)) {
				idle_unlink(e);
				return e;
			}
			idle_drop(e);
		}
		e = nx;
	}
	return NULL;
}

void
upstream_put(struct upstream *u, struct conn *c, const char *host, int port,
    uint64_t tag)
{
	struct upstream_idle *e, *old = NULL;
	size_t same = 0;

	if (u->conf.idle_per_dest == 0 || u->conf.idle_max == 0 ||
	    !conn_is_open(c) || conn_pending(c) || c->in.len ||
	    strlen(host) >= UPSTREAM_HOST_MAX ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		/* idle, so nothing is lost: no lingering close */
		conn_set_handler(c, orphan_cb, NULL);
		conn_abort(c);
		return;
	}
	for (struct upstream_idle *i = u->idle; i; i = i->next)
		if (same_dest(i, host, port)) {
			same++;
			old = i;	/* the oldest, at the end */
		}
	if (same >= u->conf.idle_per_dest)
		idle_drop(old);
	else if (u->nidle >= u->conf.idle_max)
		idle_drop(u->idle_tail);
	e->u = u;
	e->c = c;
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->port = port;
	e->tag = tag;
	e->next = u->idle;
	if (u->idle)
		u->idle->prev = e;
	else
		u->idle_tail = e;
	u->idle = e;
	u->nidle++;
	conn_set_handler(c, idle_cb, e);
	conn_set_timeout(c, u->conf.idle_timeout_ms);
}

size_t
upstream_idle_count(const struct upstream *u, const char *host, int port)
{
	size_t n = 0;

	if (host == NULL)
		return u->nidle;
	for (const struct upstream_idle *e = u->idle; e; e = e->next)
		if (same_dest(e, host, port))
			n++;
	return n;
}

/* ---- requests ------------------------------------------------------------ */

static void
req_free(struct upstream_req *r)
{
	struct upstream *u = r->u;

	loop_defer_cancel(u->loop, &r->task);
	if (r->prev)
		r->prev->rnext = r->rnext;
	else
		u->reqs = r->rnext;
	if (r->rnext)
		r->rnext->prev = r->prev;
	free(r);
}

/* Runs r's callback. Inside it the caller may cancel r or free u: both
 * only mark, and are done here once the callback is back. 1 when r is
 * still there for the engine, 0 when it (or all of u) is gone. */
static int
req_deliver(struct upstream_req *r, enum upstream_ev ev,
    const struct upstream_result *res)
{
	struct upstream *u = r->u;

	u->in_cb++;
	r->in_cb = 1;
	r->cb(r->arg, ev, res);
	r->in_cb = 0;
	u->in_cb--;
	if (u->freeing) {
		if (u->in_cb == 0)
			upstream_free_now(u);
		else if (r->cancelled)
			req_free(r);
		return 0;	/* the outer callback's return frees u */
	}
	if (r->cancelled) {
		req_free(r);
		return 0;
	}
	return 1;
}

static void
req_connected(struct upstream_req *r, struct conn *c, int reused,
    uint64_t tag, const struct sock_addr *addr)
{
	struct upstream_result res;

	memset(&res, 0, sizeof(res));
	res.c = c;
	res.addr = addr;
	res.reused = reused;
	res.tag = tag;
	if (!reused)
		res.connect_ms = loop_now(r->u->loop) - r->t_try;
	/* the caller sets its own handler inside the callback */
	conn_set_handler(c, orphan_cb, NULL);
	conn_set_timeout(c, r->u->conf.lim.timeout_ms);
	if (req_deliver(r, UPSTREAM_EV_CONNECTED, &res))
		req_free(r);
}

static void
req_fail(struct upstream_req *r, enum upstream_err err, const char *why)
{
	struct upstream_result res;

	memset(&res, 0, sizeof(res));
	res.err = err;
	res.errstr = why;
	if (req_deliver(r, UPSTREAM_EV_ERROR, &res))
		req_free(r);
}

static void try_next(struct upstream_req *r);

/* A connect abandoned: its ERROR came, its CLOSED is still to come. */
static void
ignore_cb(struct conn *c, enum conn_ev ev, void *arg)
{
}

static void
connect_cb(struct conn *c, enum conn_ev ev, void *arg)
{
	struct upstream_req *r = arg;

	if (ev == CONN_EV_CONNECTED) {
		r->c = NULL;
		req_connected(r, c, 0, 0, &c->peer);
		return;
	}
	if (ev != CONN_EV_ERROR && ev != CONN_EV_CLOSED)
		return;
	/* ERROR (with errno), or CLOSED without one: the try failed */
	if (ev == CONN_EV_ERROR && errno == ETIMEDOUT)
		r->timed_out = 1;
	else if (ev == CONN_EV_ERROR && errno == ECONNREFUSED)
		r->refused = 1;
	else
		r->last_errno = ev == CONN_EV_ERROR && errno ? errno : EIO;
	conn_set_handler(c, ignore_cb, NULL);
	r->c = NULL;
	try_next(r);
}

static void
try_next(struct upstream_req *r)
{
	struct upstream *u = r->u;
	char err[SOCK_ERR_LEN], why[UPSTREAM_ERR_LEN];

	while (r->next < r->naddrs) {
		struct sock_addr *a = &r->addrs[r->next++];
		struct upstream_result res;

		memset(&res, 0, sizeof(res));
		res.addr = a;
		if (!req_deliver(r, UPSTREAM_EV_TRYING, &res))
			return;
		r->t_try = loop_now(u->loop);
		r->st = REQ_CONNECTING;
		errno = 0;
		r->c = conn_connect(u->loop, a, u->conf.connect_timeout_ms,
		    &u->conf.lim, connect_cb, r, err);
		if (r->c)
			return;
		if (errno == ECONNREFUSED)
			r->refused = 1;
		else
			r->last_errno = errno ? errno : EIO;
	}
	/* one answer for all the tries. A timeout first: each address has
	 * the whole connect bound, so one that timed out means the connect
	 * phase ran past it, which curl reports as 28 whatever the other
	 * addresses did (curl 7.88, a blackhole and a refusing address in
	 * either order). Then a refusal (a host is there), then the rest. */
	if (r->timed_out) {
		snprintf(why, sizeof(why), "connection timed out after %llu ms",
		    (unsigned long long)u->conf.connect_timeout_ms);
		req_fail(r, UPSTREAM_ERR_TIMEOUT, why);
		return;
	}
	if (r->refused) {
		req_fail(r, UPSTREAM_ERR_REFUSED, strerror(ECONNREFUSED));
		return;
	}
	req_fail(r, UPSTREAM_ERR_FAILED, strerror(r->last_errno ?
	    r->last_errno : EIO));
}

static void
resolved(void *arg, int n, const struct sock_addr *a, const char *err)
{
	struct upstream_req *r = arg;
	char why[UPSTREAM_ERR_LEN];

	r->lookup = NULL;
	if (n <= 0) {
		snprintf(why, sizeof(why), "%s", err && *err ? err :
		    "no address");
		req_fail(r, UPSTREAM_ERR_RESOLVE, why);
		return;
	}
	if (n > UPSTREAM_ADDRS)
		n = UPSTREAM_ADDRS;
	memcpy(r->addrs, a, (size_t)n * sizeof(*a));
	r->naddrs = n;
	try_next(r);
}

/* An IP literal, bracketed or not: 1 and *a, else 0. */
static int
literal(const char *host, int port, struct sock_addr *a)
{
	char tmp[UPSTREAM_HOST_MAX];
	size_t l = strlen(host);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		a->len = sizeof(*s4);
	} else {
		if (l >= 2 && host[0] == '[' && host[l - 1] == ']') {
			memcpy(tmp, host + 1, l - 2);
			tmp[l - 2] = '\0';
			host = tmp;
		}
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return 0;
		s6->sin6_family = AF_INET6;
		a->len = sizeof(*s6);
	}
	sock_addr_set_port(a, port);
	return 1;
}

/* The first step, from the loop: the pool, a literal, or the lookup. */
static void
req_start(struct loop *loop, void *arg)
{
	struct upstream_req *r = arg;
	struct upstream *u = r->u;
	struct upstream_idle *e;

	if (!(r->flags & UPSTREAM_FRESH) &&
	    (e = idle_take(u, r->host, r->port)) != NULL) {
		struct conn *c = e->c;
		uint64_t tag = e->tag;
		/* the entry is out of the list; it is freed here, since the
		 * conn is no longer its user */
		free(e);
		req_connected(r, c, 1, tag, &c->peer);
		return;
	}
	if (literal(r->host, r->port, &r->addrs[0])) {
		r->naddrs = 1;
		try_next(r);
		return;
	}
	if (u->conf.lookup.start == NULL) {
		req_fail(r, UPSTREAM_ERR_RESOLVE, "no name lookup configured");
		return;
	}
	r->st = REQ_LOOKUP;
	r->lookup = u->conf.lookup.start(u->conf.lookup.ctx, u->loop,
	    r->host, r->port, resolved, r);
	if (r->lookup == NULL)
		req_fail(r, UPSTREAM_ERR_RESOLVE, "cannot start the lookup");
}

struct upstream_req *
upstream_connect(struct upstream *u, const char *host, int port,
    unsigned flags, upstream_cb *cb, void *arg)
{
	struct upstream_req *r;

	if (strlen(host) >= UPSTREAM_HOST_MAX ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->u = u;
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = port;
	r->flags = flags;
	r->cb = cb;
	r->arg = arg;
	r->rnext = u->reqs;
	if (u->reqs)
		u->reqs->prev = r;
	u->reqs = r;
	loop_defer(u->loop, &r->task, req_start, r);
	return r;
}

/* Stops what r has under way; frees it unless its callback is running. */
static void
req_abort(struct upstream_req *r)
{
	if (r->lookup && r->u->conf.lookup.cancel)
		r->u->conf.lookup.cancel(r->lookup);
	r->lookup = NULL;
	if (r->c) {
		conn_set_handler(r->c, ignore_cb, NULL);
		conn_abort(r->c);
		r->c = NULL;
	}
	if (r->in_cb) {
		r->cancelled = 1;	/* req_deliver frees it */
		return;
	}
	req_free(r);
}

void
upstream_cancel(struct upstream_req *r)
{
	if (r != NULL && !r->cancelled)
		req_abort(r);
}

int
upstream_req_resolving(const struct upstream_req *r)
{
	return r != NULL && r->st == REQ_LOOKUP && r->lookup != NULL;
}

void
upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	if (u->in_cb) {
		u->freeing = 1;		/* req_deliver frees it */
		return;
	}
	upstream_free_now(u);
}

static void
upstream_free_now(struct upstream *u)
{
	while (u->reqs)
		req_abort(u->reqs);	/* none is in its callback now */
	while (u->idle)
		idle_drop(u->idle);
	free(u);
}
