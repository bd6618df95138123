/* test_core_session.c - the session set on a real loop and loopback sockets:
 * a session is freed only after its connection is CLOSED and its last hold
 * released (in either order), clients past the limit get the refusal bytes
 * and a closed socket, stop closes every open session, and a stopping set
 * refuses. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "core/server.h"
#include "core/session.h"
#include "test.h"

struct tsess {
	struct session base;
	int *freed;           /* bumped by ops.free */
	int closed_seen;      /* CLOSED delivered, with base.c still set */
	int data;
};

static int stop_calls;

static void
t_event(struct session *s, enum conn_ev ev)
{
	struct tsess *t = (struct tsess *)s;

	if (ev == CONN_EV_DATA) {
		t->data++;
		buf_consume(&s->c->in, s->c->in.len);
	}
	if (ev == CONN_EV_EOF)
		conn_close(s->c);
	if (ev == CONN_EV_CLOSED)
		t->closed_seen += s->c != NULL;
}

static void
t_free(struct session *s)
{
	struct tsess *t = (struct tsess *)s;

	if (t->freed)
		(*t->freed)++;
}

/* A stop hook that closes only sessions that have seen data. */
static void
t_stop(struct session *s)
{
	stop_calls++;
	if (((struct tsess *)s)->data)
		conn_close(s->c);
}

static const struct session_ops ops = {
	sizeof(struct tsess), t_event, NULL, t_free, NULL,
};
static const struct session_ops ops_hook = {
	sizeof(struct tsess), t_event, t_stop, t_free, NULL,
};
static const struct session_metrics nom = { -1, -1, -1 };

static int lfd = -1;
static struct sockaddr_in laddr;

static void
listen_once(void)
{
	socklen_t len = sizeof(laddr);

	if (lfd >= 0)
		return;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&laddr, 0, sizeof(laddr));
	laddr.sin_family = AF_INET;
	laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0 ||
	    listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&laddr, &len) < 0) {
		close(lfd);
		lfd = -1;
	}
}

/* One connected pair: *cli is the client's blocking fd; returns the
 * server's non-blocking fd (as the listener hands it), or -1. */
static int
pair(int *cli, struct sock_addr *peer)
{
	int fd;

	listen_once();
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || *cli < 0 ||
	    connect(*cli, (struct sockaddr *)&laddr, sizeof(laddr)) < 0)
		return -1;
	memset(peer, 0, sizeof(*peer));
	peer->len = sizeof(peer->ss);
	fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	return fd;
}

static void
spin(struct loop *loop, int n)
{
	for (int i = 0; i < n; i++)
		loop_once(loop, 5);
}

static struct tsess *
accept_one(struct session_set *set, int *cli, int *freed)
{
	struct sock_addr peer;
	int fd = pair(cli, &peer);
	struct tsess *t;

	if (fd < 0)
		return NULL;
	t = (struct tsess *)session_accept(set, fd, &peer);
	if (t)
		t->freed = freed;
	return t;
}

static void
setup(struct worker *w, struct session_set *set,
    const struct session_ops *o, long limit, const char *refusal)
{
	struct conn_limits lim;

	memset(w, 0, sizeof(*w));
	w->loop = loop_new();
	conn_limits_default(&lim);
	lim.linger_ms = 0;
	session_set_init(set, w, o, &nom, limit, &lim, refusal);
}

TEST(core_session_hold_outlives_close)
{
	struct worker w;
	struct session_set set;
	int cli, freed = 0;
	struct tsess *t;

	setup(&w, &set, &ops, 10, NULL);
	t = accept_one(&set, &cli, &freed);
	ok(t != NULL && t->base.c != NULL && set.count == 1, "accepted");
	ok(set.live == 1, "one connection live");
	session_hold(&t->base);            /* a pool job, a query ... */
	close(cli);                        /* the peer goes: EOF, close */
	spin(w.loop, 20);
	ok(t->closed_seen == 1, "CLOSED delivered with the conn still set");
	ok(freed == 0 && set.count == 1, "held: not freed after CLOSED");
	ok(session_closed(&t->base), "closed: s->c is NULL");
	session_release(&t->base);
	ok(freed == 1 && set.count == 0 && set.list.first == NULL,
	    "the last release frees it");
	spin(w.loop, 5);
	ok(conn_count() == 0 && set.live == 0, "no connection left");
	loop_free(w.loop);
}

TEST(core_session_release_before_close)
{
	struct worker w;
	struct session_set set;
	int cli, freed = 0;
	struct tsess *t;

	setup(&w, &set, &ops, 10, NULL);
	t = accept_one(&set, &cli, &freed);
	ok(t != NULL, "accepted");
	session_hold(&t->base);
	session_hold(&t->base);
	session_release(&t->base);
	session_release(&t->base);
	ok(freed == 0 && !session_closed(&t->base),
	    "holds gone, connection open: alive");
	ok(write(cli, "x", 1) == 1, "client writes");
	spin(w.loop, 5);
	ok(t->data == 1, "still served");
	close(cli);
	spin(w.loop, 20);
	ok(freed == 1 && set.count == 0, "CLOSED frees it (no hold left)");
	ok(conn_count() == 0, "no connection left");
	loop_free(w.loop);
}

TEST(core_session_refusal_past_limit)
{
	struct worker w;
	struct session_set set;
	int cli[3], freed = 0;
	struct tsess *t[3];
	char buf[64];
	ssize_t n;

	setup(&w, &set, &ops, 2, "ERROR too many connections\n");
	t[0] = accept_one(&set, &cli[0], &freed);
	t[1] = accept_one(&set, &cli[1], &freed);
	t[2] = accept_one(&set, &cli[2], &freed);
	ok(t[0] && t[1], "two under the limit");
	ok(t[2] == NULL && set.count == 2, "the third refused");
	n = read(cli[2], buf, sizeof(buf));
	ok(n == 27 && memcmp(buf, "ERROR too many connections\n", 27) == 0,
	    "refused client got the refusal (%zd)", n);
	ok(read(cli[2], buf, sizeof(buf)) == 0, "then EOF: its socket closed");
	close(cli[2]);
	close(cli[0]);
	spin(w.loop, 20);
	ok(freed == 1 && set.live == 1, "one gone: room again");
	t[2] = accept_one(&set, &cli[2], &freed);
	ok(t[2] != NULL, "accepted once under the limit");
	close(cli[1]);
	close(cli[2]);
	spin(w.loop, 20);
	ok(freed == 3 && set.count == 0 && conn_count() == 0, "all freed");
	loop_free(w.loop);

	/* no refusal bytes: closed without a word */
	setup(&w, &set, &ops, 1, NULL);
	t[0] = accept_one(&set, &cli[0], &freed);
	t[1] = accept_one(&set, &cli[1], &freed);
	ok(t[0] && !t[1], "limit 1");
	ok(read(cli[1], buf, sizeof(buf)) == 0, "silent refusal: EOF only");
	close(cli[1]);
	close(cli[0]);
	spin(w.loop, 20);
	ok(conn_count() == 0, "no connection left");
	loop_free(w.loop);
}

TEST(core_session_close_all_on_stop)
{
	struct worker w;
	struct session_set set;
	int cli[4], freed = 0;
	struct tsess *t[4];
	char buf[8];

	setup(&w, &set, &ops, 10, NULL);
	for (int i = 0; i < 4; i++)
		t[i] = accept_one(&set, &cli[i], &freed);
	ok(t[0] && t[1] && t[2] && t[3] && set.count == 4, "four open");
	session_hold(&t[3]->base); /* one with work out */
	w.stopping = 1;
	ok(session_stopping(&set), "the worker's flag is the set's");
	session_set_stop(&set);
	spin(w.loop, 20);
	int eofs = 0;
	for (int i = 0; i < 4; i++)
		eofs += read(cli[i], buf, sizeof(buf)) == 0;
	ok(eofs == 4, "every client sees its connection closed (%d)", eofs);
	ok(freed == 3 && set.count == 1, "three freed, the held one waits");
	session_release(&t[3]->base);
	ok(freed == 4 && set.count == 0, "freed at its release");
	t[0] = accept_one(&set, &cli[0], &freed);
	ok(t[0] == NULL, "a stopping set refuses");
	for (int i = 0; i < 4; i++)
		close(cli[i]);
	spin(w.loop, 5);
	ok(conn_count() == 0, "no connection left");
	loop_free(w.loop);

	/* a stop hook decides per session (HTTP: idle ones only) */
	stop_calls = 0;
	freed = 0;
	setup(&w, &set, &ops_hook, 10, NULL);
	t[0] = accept_one(&set, &cli[0], &freed);
	t[1] = accept_one(&set, &cli[1], &freed);
	ok(write(cli[0], "x", 1) == 1, "first one busy");
	spin(w.loop, 5);
	session_set_stop(&set);
	spin(w.loop, 20);
	ok(stop_calls == 2, "hook ran for each open session");
	ok(freed == 1 && set.count == 1, "the hook closed only one");
	w.stopping = 1;
	session_set_stop(&set);
	ok(stop_calls == 3, "closed sessions are skipped");
	close(cli[1]);
	close(cli[0]);
	spin(w.loop, 20);
	ok(freed == 2 && conn_count() == 0, "the other ends with its client");
	session_set_free(&set);
	loop_free(w.loop);
}

TEST(core_session_free_at_exit)
{
	struct worker w;
	struct session_set set;
	int cli, freed = 0;
	struct tsess *t;

	setup(&w, &set, &ops, 10, NULL);
	t = accept_one(&set, &cli, &freed);
	ok(t != NULL, "accepted");
	session_hold(&t->base);
	close(cli);
	spin(w.loop, 20);
	ok(freed == 0, "held after CLOSED");
	session_set_free(&set); /* exit: holds no longer matter */
	ok(freed == 1 && set.count == 0, "freed by session_set_free");
	loop_free(w.loop);
}
