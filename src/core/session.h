/* session.h - the scaffolding every TCP service shares: accept under a limit
 * (answering a refused client with the service's own bytes), one session per
 * connection kept in a list, the standard metrics, closing them all on stop,
 * and a hold count so that a session outlives its connection while work on
 * its behalf is still out (a pool job, a DNS query, FTP's data connection).
 *
 * A service embeds one struct session_set in its per-process state and puts
 * struct session FIRST in its own session struct; the set allocates that
 * struct (ops->size bytes, zeroed) at accept and frees it:
 *
 *   setup (parent)  session_metrics_register(&m, &names)   once, before fork
 *   start (worker)  session_set_init(&set, w, &ops, &m, limit, &lim, refusal)
 *                   session_set_listen(&set, in, on_datagram, max, st, err)
 *   ops->init       a new session: init your fields (owner: st)
 *   ops->event      every conn event; at CONN_EV_CLOSED s->c is still set
 *                   for the last time, then becomes NULL
 *   stop            (the core, after the service's stop, if any)
 *                   session_set_stop(&set)   stops listening, then
 *                                            ops->stop or conn_close on each
 *   release         session_set_free(&set)   at exit: frees what is left
 *
 * Life cycle of one session: session_accept gives it one hold, the
 * connection's, dropped when the connection is CLOSED. session_hold adds one
 * for each piece of work started on its behalf; session_release drops one.
 * When the last hold goes (the connection CLOSED and every hold released, in
 * either order) ops->free runs and the memory is freed, in that call. After
 * CLOSED the session must not touch s->c (NULL): work that ends later checks
 * session_closed(s) and drops its answer.
 *
 * The shapes to come: FTP's data connection is a second conn whose handler
 * is the service's own; making it takes a hold, its CLOSED releases it, and
 * ops->stop closes it with the control connection. SMTP hands an fsync to
 * the worker's pool (server_pool): session_hold, pool_submit; the job's done
 * answers if !session_closed(s) and releases; a session that goes away first
 * may pool_cancel the job, and done still runs (with POOL_CANCELLED) to
 * release the hold.
 *
 * Stopping: one flag per process, the worker's (struct worker.stopping, set
 * before any service's stop runs), read with session_stopping(). A stopping
 * set refuses new connections.
 */
#ifndef CAMADA_SESSION_H
#define CAMADA_SESSION_H

#include <stddef.h>

#include "core/conn.h"
#include "core/list.h"
#include "core/server.h"

struct worker;
struct session;

/* The standard metrics' names and help texts; a NULL name: not counted
 * (each service keeps the names /metrics has always shown). */
struct session_names {
	const char *accepted, *accepted_help;   /* counter */
	const char *refused, *refused_help;     /* counter */
	const char *open, *open_help;           /* gauge */
};

/* Metric ids, -1 for one not counted. Filled in the parent, read by the
 * workers (a static of the service's file). */
struct session_metrics {
	int accepted, refused, open;
};

struct session_ops {
	size_t size;    /* of the service's struct, which begins with a
	                 * struct session */
	/* Every event of the session's connection. Required. */
	void (*event)(struct session *s, enum conn_ev ev);
	/* session_set_stop, for each session whose connection is open: NULL
	 * means conn_close (queued replies still go out). */
	void (*stop)(struct session *s);
	/* Just before the memory is freed: stop timers, drop references.
	 * May be NULL. s->c is NULL by then. */
	void (*free)(struct session *s);
	/* A session session_set_listen accepted, before any event: set the
	 * protocol's fields (owner is what session_set_listen was given).
	 * May be NULL. */
	void (*init)(struct session *s, void *owner);
};

struct session_set {
	struct worker *w;
	const struct session_ops *ops;
	const struct session_metrics *m;
	struct conn_limits lim;     /* every accepted connection's */
	long limit;                 /* connections at once, in this process */
	const char *refusal;        /* answered to a refused client, or NULL */
	size_t refusal_len;
	int live;                   /* connections open (until each is freed) */
	size_t count;               /* sessions allocated, closed ones with
	                             * holds included */
	struct list_head list;      /* every session of count */
	struct instance *in;        /* set by session_set_listen */
	void *owner;
	struct server_watch watch;  /* the instance's listeners, while in */
	/* TLS per listener (in->ls index), a reference each; NULL: plain */
	struct tls_server *tls[SERVER_MAX_LISTEN];
	uint64_t tls_timeout_ms;
};

struct session {
	struct session_set *set;
	struct conn *c;             /* NULL once CLOSED */
	struct list_node node;      /* in set->list */
	int holds;
};

/* In setup: registers the metrics whose names are set. */
void session_metrics_register(struct session_metrics *m,
    const struct session_names *n);

/* In start. w, ops, m and lim are kept by pointer or copied (lim); ops and m
 * must outlive the set. refusal (may be NULL) is written, best effort and
 * without blocking, to a client refused over limit; it must outlive the set
 * too (a string literal). */
void session_set_init(struct session_set *set, struct worker *w,
    const struct session_ops *ops, const struct session_metrics *m,
    long limit, const struct conn_limits *lim, const char *refusal);

/* In start, after session_set_init: watches the instance's listening
 * sockets for this set. Each TCP connection goes through session_accept and
 * then ops->init(s, owner); each datagram of a UDP listener goes to
 * on_datagram (NULL: the service has none) with owner as its arg, max_dgram
 * bytes at most. session_set_stop stops the watch. 0, or -1 with err. */
int session_set_listen(struct session_set *set, struct instance *in,
    udp_cb *on_datagram, size_t max_dgram, void *owner, char *err);

/* The accept path: over the limit (live connections >= limit) or stopping,
 * the client gets the refusal, the fd is closed, refused is counted and NULL
 * is returned; out of memory, the fd is closed and NULL returned. Else a
 * zeroed session of ops->size bytes with s->c the new connection, one hold,
 * in the list, accepted and open counted. No event arrives before the
 * caller returns to the loop, so it may initialise its fields after. */
struct session *session_accept(struct session_set *set, int fd,
    const struct sock_addr *peer);

/* Keeps s allocated until a matching session_release. */
/* TLS on the listener in->ls[ls_index] (server_listen's return value):
 * each connection accepted there runs conn_tls_accept(c, ts, timeout_ms)
 * before ops->init, so the service sees only plaintext that came over TLS
 * (and CONN_EV_TLS first). The set takes a reference on ts and drops the
 * one it had there: a reload swaps certificates for new connections while
 * the connections already open keep theirs. ts NULL: plain again.
 * session_set_free drops them. */
void session_set_tls(struct session_set *set, int ls_index,
    struct tls_server *ts, uint64_t timeout_ms);

void session_hold(struct session *s);
/* Drops one hold; the last one frees s (ops->free, then the memory), so s
 * must not be used after this call unless the caller knows a hold remains. */
void session_release(struct session *s);
/* Whether the connection has been CLOSED (s->c is NULL). */
static inline int
session_closed(const struct session *s)
{
	return s->c == NULL;
}

/* Whether this process is stopping (SIGTERM): the worker's flag. */
int session_stopping(const struct session_set *set);

/* In stop: stops listening (if session_set_listen was called), then
 * ops->stop (or conn_close) on every session whose connection is open.
 * Connections end through their CLOSED events, later. */
void session_set_stop(struct session_set *set);

/* At exit, after the loop has delivered its last events: frees every
 * session left (ops->free runs; holds are ignored). */
void session_set_free(struct session_set *set);

#endif
