/* session.c - accept, limit, list, metrics, stop and the hold count (see
 * session.h). It knows nothing of any protocol. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/server.h"
#include "core/session.h"
#include "core/tls.h"

void
session_metrics_register(struct session_metrics *m,
    const struct session_names *n)
{
	m->accepted = n->accepted ? metric_counter(n->accepted, "",
	    n->accepted_help) : -1;
	m->refused = n->refused ? metric_counter(n->refused, "",
	    n->refused_help) : -1;
	m->open = n->open ? metric_gauge(n->open, "", n->open_help) : -1;
}

void
session_set_init(struct session_set *set, struct worker *w,
    const struct session_ops *ops, const struct session_metrics *m,
    long limit, const struct conn_limits *lim, const char *refusal)
{
	memset(set, 0, sizeof(*set));
	set->w = w;
	set->ops = ops;
	set->m = m;
	set->limit = limit;
	set->lim = *lim;
	set->refusal = refusal;
	set->refusal_len = refusal ? strlen(refusal) : 0;
}

int
session_stopping(const struct session_set *set)
{
	return set->w->stopping;
}

static void
count(int id, int64_t v)
{
	if (id >= 0)
		metric_add(id, (uint64_t)v);
}

static void
gauge(int id, int64_t v)
{
	if (id >= 0)
		metric_gauge_add(id, v);
}

static void
destroy(struct session *s)
{
	struct session_set *set = s->set;

	list_unlink(&set->list, &s->node);
	set->count--;
	if (set->ops->free)
		set->ops->free(s);
	free(s);
}

static void
on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	struct session *s = arg;

	s->set->ops->event(s, ev);
	if (ev == CONN_EV_CLOSED) {
		s->c = NULL;
		gauge(s->set->m->open, -1);
		session_release(s);
	}
}

struct session *
session_accept(struct session_set *set, int fd, const struct sock_addr *peer)
{
	struct session *s;

	if (set->live >= set->limit || session_stopping(set)) {
		count(set->m->refused, 1);
		/* best effort, on a fresh socket whose buffer is empty: a
		 * refused client is owed no more */
		if (set->refusal_len &&
		    write(fd, set->refusal, set->refusal_len) < 0) {
		}
		close(fd);
		return NULL;
	}
	s = calloc(1, set->ops->size);
	if (s == NULL) {
		close(fd);
		return NULL;
	}
	s->set = set;
	s->holds = 1; /* the connection's, until CLOSED */
	s->c = conn_accept(set->w->loop, fd, peer, &set->lim, on_conn, s,
	    &set->live);
	if (s->c == NULL) {
		free(s);
		return NULL;
	}
	list_push(&set->list, &s->node);
	set->count++;
	count(set->m->accepted, 1);
	gauge(set->m->open, 1);
	return s;
}

static void
on_accept(struct listener *l, int fd, const struct sock_addr *peer, void *arg)
{
	struct session_set *set = arg;
	struct session *s = session_accept(set, fd, peer);
	long i = l - set->watch.tcp;

	if (s == NULL)
		return;
	if (set->ops->init)
		set->ops->init(s, set->owner);
	/* no event comes before the loop runs again: the order is free */
	if (i >= 0 && i < SERVER_MAX_LISTEN && set->tls[i] &&
	    conn_tls_accept(s->c, set->tls[i], set->tls_timeout_ms) < 0)
		conn_abort(s->c);
}

int
session_set_listen(struct session_set *set, struct instance *in,
    udp_cb *on_datagram, size_t max_dgram, void *owner, char *err)
{
	set->owner = owner;
	if (server_watch_start(&set->watch, in, set->w, on_accept, on_datagram,
	    max_dgram, set, owner, err) < 0)
		return -1;
	set->in = in;
	in->sessions = set;
	return 0;
}

void
session_hold(struct session *s)
{
	s->holds++;
}

void
session_release(struct session *s)
{
	if (--s->holds == 0)
		destroy(s);
}

void
session_set_stop(struct session_set *set)
{
	if (set->in) {
		server_watch_stop(&set->watch, set->in);
		set->in = NULL;
	}
	/* neither hook nor conn_close delivers an event from inside it, so
	 * the list stays as it is while we walk it */
	for (struct list_node *n = set->list.first; n; n = n->next) {
		struct session *s = LIST_ENTRY(n, struct session, node);
		if (s->c == NULL)
			continue;
		if (set->ops->stop)
			set->ops->stop(s);
		else
			conn_close(s->c);
	}
}

void
session_set_free(struct session_set *set)
{
	for (int i = 0; i < SERVER_MAX_LISTEN; i++) {
		tls_server_unref(set->tls[i]);
		set->tls[i] = NULL;
	}
	while (set->list.first)
		destroy(LIST_ENTRY(set->list.first, struct session, node));
}

void
session_set_tls(struct session_set *set, int ls_index, struct tls_server *ts,
    uint64_t timeout_ms)
{
	if (ls_index < 0 || ls_index >= SERVER_MAX_LISTEN)
		return;
	if (ts)
		tls_server_ref(ts);
	tls_server_unref(set->tls[ls_index]);
	set->tls[ls_index] = ts;
	set->tls_timeout_ms = timeout_ms;
}
