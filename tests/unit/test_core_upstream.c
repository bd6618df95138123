/* test_core_upstream.c - outgoing connections on a real loop and loopback
 * sockets: refused, a name that does not resolve, the next address after a
 * failure, a listener that never accepts (its backlog full: the SYN is
 * dropped) and one that makes room late, cancel, and the pool: reuse, a
 * parked conn the peer closed is not handed out, bounds, idle timeout;
 * cancel and upstream_free from inside the callbacks; which error a mix
 * of failed tries gives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/upstream.h"
#include "test.h"

/* ---- a loopback server that accepts on demand ---- */

struct srv {
	int lfd;
	struct sock_addr addr;
	struct loop_io io;
	int accepting;
	int fds[64];
	int nfds;
};

static void
srv_accept_all(struct srv *s)
{
	struct sock_addr peer;
	int fd;

	while ((fd = sock_accept(s->lfd, &peer)) >= 0) {
		if (s->nfds < 64)
			s->fds[s->nfds++] = fd;
		else
			close(fd);
	}
}

static void
srv_io(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct srv *s = io->arg;

	if (s->accepting)
		srv_accept_all(s);
}

static int
srv_open(struct loop *loop, struct srv *s, const char *addr, int backlog,
    int accepting)
{
	char err[SOCK_ERR_LEN];

	memset(s, 0, sizeof(*s));
	if (sock_parse_addr(addr, &s->addr, err) < 0)
		return -1;
	s->lfd = sock_listen_tcp(&s->addr, backlog, 0, err);
	if (s->lfd < 0)
		return -1;
	sock_local_addr(s->lfd, &s->addr);
	s->accepting = accepting;
	return loop_io_add(loop, &s->io, s->lfd, LOOP_READ, srv_io, s);
}

static void
srv_close(struct loop *loop, struct srv *s)
{
	loop_io_del(loop, &s->io);
	close(s->lfd);
	for (int i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	s->nfds = 0;
}

/* ---- what a request saw ---- */

struct rec {
	int trying, connected, error, after_end;
	enum upstream_err err;
	char errstr[UPSTREAM_ERR_LEN];
	struct conn *c;
	int reused;
	uint64_t tag;
	uint64_t t_end;
};

static void
c_ev(struct conn *c, enum conn_ev ev, void *arg)
{
	struct rec *r = arg;

	if (ev == CONN_EV_CLOSED && r)
		r->c = NULL;
}

static void
on_up(void *arg, enum upstream_ev ev, const struct upstream_result *res)
{
	struct rec *r = arg;

	if (r->connected || r->error)
		r->after_end++;
	if (ev == UPSTREAM_EV_TRYING) {
		r->trying++;
		return;
	}
	r->t_end = clock_mono_ms();
	if (ev == UPSTREAM_EV_CONNECTED) {
		r->connected++;
		r->c = res->c;
		r->reused = res->reused;
		r->tag = res->tag;
		conn_set_handler(res->c, c_ev, r);
	} else {
		r->error++;
		r->err = res->err;
		snprintf(r->errstr, sizeof(r->errstr), "%s", res->errstr);
	}
}

static void
run_until(struct loop *loop, const int *flag, uint64_t ms)
{
	uint64_t end = clock_mono_ms() + ms;

	while ((flag == NULL || !*flag) && clock_mono_ms() < end)
		loop_once(loop, 5);
}

static int
done(const struct rec *r)
{
	return r->connected || r->error;
}

/* Waits for r's end, checking the flag the request sets. */
static void
wait_rec(struct loop *loop, struct rec *r, uint64_t ms)
{
	uint64_t end = clock_mono_ms() + ms;

	while (!done(r) && clock_mono_ms() < end)
		loop_once(loop, 5);
}

static void
drain(struct loop *loop)
{
	for (int i = 0; i < 50 && conn_count() > 0; i++)
		loop_once(loop, 5);
}

/* ---- a lookup the test scripts: "two.test" is a refused address and then
 * the server, "script.test" the addresses in fake_script, anything else
 * has no address ---- */

struct fake_lookup {
	struct loop *loop;
	struct loop_task task;
	upstream_resolved_cb *cb;
	void *arg;
	struct sock_addr a[2];
	int n;
	int cancelled;
	int started;
};

static struct sock_addr fake_good, fake_refused;
static struct sock_addr fake_script[2];
static int fake_nscript;

static void
fake_task(struct loop *loop, void *arg)
{
	struct fake_lookup *f = arg;

	f->cb(f->arg, f->n, f->a, f->n ? NULL : "no address");
	free(f);
}

static void *
fake_start(void *ctx, struct loop *loop, const char *host, int port,
    upstream_resolved_cb *cb, void *arg)
{
	struct fake_lookup *f = calloc(1, sizeof(*f));
	int *starts = ctx;

	(*starts)++;
	f->loop = loop;
	f->cb = cb;
	f->arg = arg;
	if (strcmp(host, "two.test") == 0) {
		f->a[0] = fake_refused;
		f->a[1] = fake_good;
		f->n = 2;
	} else if (strcmp(host, "script.test") == 0) {
		memcpy(f->a, fake_script, sizeof(f->a));
		f->n = fake_nscript;
	}
	loop_defer(loop, &f->task, fake_task, f);
	return f;
}

static void
fake_cancel(void *h)
{
	struct fake_lookup *f = h;

	loop_defer_cancel(f->loop, &f->task);
	free(f);
}

/* A port nobody listens on (bound and closed). */
static int
dead_addr(struct sock_addr *a)
{
	char err[SOCK_ERR_LEN];
	int fd;

	if (sock_parse_addr("127.0.0.1:0", a, err) < 0)
		return -1;
	fd = sock_listen_tcp(a, 1, 0, err);
	if (fd < 0)
		return -1;
	sock_local_addr(fd, a);
	close(fd);
	return 0;
}

static void
conf_init(struct upstream_conf *uc, int *starts)
{
	memset(uc, 0, sizeof(*uc));
	conn_limits_default(&uc->lim);
	uc->connect_timeout_ms = 2000;
	uc->idle_per_dest = 4;
	uc->idle_max = 8;
	uc->lookup.start = fake_start;
	uc->lookup.cancel = fake_cancel;
	uc->lookup.ctx = starts;
}

TEST(upstream_refused_and_unresolved)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct sock_addr dead;
	struct rec r;
	char host[64];
	int starts = 0;

	conf_init(&uc, &starts);
	u = upstream_new(loop, &uc);
	ok(dead_addr(&dead) == 0, "a dead port");

	memset(&r, 0, sizeof(r));
	sock_addr_host(&dead, host, sizeof(host));
	ok(upstream_connect(u, host, sock_addr_port(&dead), 0, on_up, &r) !=
	    NULL, "started");
	ok(r.trying == 0 && !done(&r), "nothing from inside the call");
	wait_rec(loop, &r, 2000);
	ok(r.error == 1 && r.err == UPSTREAM_ERR_REFUSED && r.trying == 1,
	    "refused: %d %d %d", r.error, r.err, r.trying);
	ok(strstr(r.errstr, "refused") != NULL, "reason: %s", r.errstr);
	ok(starts == 0, "a literal needs no lookup");

	memset(&r, 0, sizeof(r));
	upstream_connect(u, "nowhere.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 2000);
	ok(r.error == 1 && r.err == UPSTREAM_ERR_RESOLVE && r.trying == 0,
	    "resolve failed: %d %d", r.error, r.err);
	ok(strcmp(r.errstr, "no address") == 0, "why: %s", r.errstr);
	ok(r.after_end == 0, "nothing after the end");

	/* no lookup configured: only literals */
	uc.lookup.start = NULL;
	upstream_free(u);
	u = upstream_new(loop, &uc);
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "nowhere.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 2000);
	ok(r.error == 1 && r.err == UPSTREAM_ERR_RESOLVE, "no lookup");
	upstream_free(u);
	drain(loop);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

TEST(upstream_next_address)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct srv s;
	struct rec r;
	int starts = 0;

	ok(srv_open(loop, &s, "127.0.0.1:0", 16, 1) == 0, "server");
	ok(dead_addr(&fake_refused) == 0, "a dead port");
	fake_good = s.addr;
	conf_init(&uc, &starts);
	u = upstream_new(loop, &uc);
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "two.test", sock_addr_port(&s.addr), 0, on_up, &r);
	wait_rec(loop, &r, 2000);
	ok(r.connected == 1 && r.trying == 2 && !r.reused,
	    "the second address after the first refused: %d %d",
	    r.connected, r.trying);
	ok(r.c && sock_addr_equal(&r.c->peer, &s.addr), "to the server");
	ok(starts == 1, "one lookup");
	if (r.c)
		conn_abort(r.c);

	/* cancel during the lookup: no callback, no leak */
	memset(&r, 0, sizeof(r));
	struct upstream_req *q = upstream_connect(u, "two.test", 80, 0, on_up,
	    &r);
	loop_once(loop, 0);	/* the lookup starts */
	upstream_cancel(q);
	run_until(loop, NULL, 50);
	ok(!done(&r), "cancelled: nothing delivered");
	upstream_free(u);
	drain(loop);
	srv_close(loop, &s);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

/* A listener that accepts nothing, with its queue full (backlog 0 admits
 * one): further SYNs are dropped, the way a blackholed host behaves. */
static int
blackhole(struct loop *loop, struct srv *s, int fill[4])
{
	if (srv_open(loop, s, "127.0.0.1:0", 0, 0) < 0)
		return -1;
	/* sock_listen_tcp takes 0 for its default: ask again for 0 */
	if (listen(s->lfd, 0) < 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		fill[i] = sock_connect_tcp(&s->addr, NULL);
		uint64_t end = clock_mono_ms() + 50;
		while (clock_mono_ms() < end)
			loop_once(loop, 5);
	}
	return 0;
}

TEST(upstream_blackhole_timeout_and_cancel)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct srv s;
	struct rec r;
	int fill[4], starts = 0;
	char host[64];

	ok(blackhole(loop, &s, fill) == 0, "blackhole");
	conf_init(&uc, &starts);
	uc.connect_timeout_ms = 300;
	u = upstream_new(loop, &uc);
	sock_addr_host(&s.addr, host, sizeof(host));
	memset(&r, 0, sizeof(r));
	uint64_t t0 = clock_mono_ms();
	upstream_connect(u, host, sock_addr_port(&s.addr), 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error == 1 && r.err == UPSTREAM_ERR_TIMEOUT,
	    "timed out: %d %d %s", r.error, r.err, r.errstr);
	ok(r.t_end - t0 >= 250 && r.t_end - t0 < 1500, "after the timeout: "
	    "%llu ms", (unsigned long long)(r.t_end - t0));
	ok(strstr(r.errstr, "timed out") != NULL, "why: %s", r.errstr);

	/* cancelled while connecting */
	memset(&r, 0, sizeof(r));
	struct upstream_req *q = upstream_connect(u, host,
	    sock_addr_port(&s.addr), 0, on_up, &r);
	run_until(loop, NULL, 50);
	ok(r.trying == 1 && !done(&r), "connecting");
	if (!done(&r))
		upstream_cancel(q);
	run_until(loop, NULL, 400);
	ok(!done(&r), "cancelled: nothing delivered");

	upstream_free(u);
	drain(loop);
	for (int i = 0; i < 4; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	srv_close(loop, &s);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

TEST(upstream_accept_late)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct srv s;
	struct rec r;
	int fill[4], starts = 0;
	char host[64];

	ok(blackhole(loop, &s, fill) == 0, "blackhole");
	conf_init(&uc, &starts);
	uc.connect_timeout_ms = 5000;
	u = upstream_new(loop, &uc);
	sock_addr_host(&s.addr, host, sizeof(host));
	memset(&r, 0, sizeof(r));
	uint64_t t0 = clock_mono_ms();
	upstream_connect(u, host, sock_addr_port(&s.addr), 0, on_up, &r);
	run_until(loop, NULL, 200);
	ok(!done(&r), "still waiting while the queue is full");
	/* room at last: the SYN our kernel sends again gets through */
	s.accepting = 1;
	srv_accept_all(&s);
	wait_rec(loop, &r, 5000);
	ok(r.connected == 1, "connected late: %d %d %s", r.connected, r.error,
	    r.errstr);
	ok(r.t_end - t0 >= 200, "late: %llu ms",
	    (unsigned long long)(r.t_end - t0));
	if (r.c)
		conn_abort(r.c);
	upstream_free(u);
	drain(loop);
	for (int i = 0; i < 4; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	srv_close(loop, &s);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

/* Connects to the server through u; returns the conn (NULL on failure). */
static struct conn *
get_conn(struct loop *loop, struct upstream *u, struct srv *s,
    const char *host, unsigned flags, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	upstream_connect(u, host, sock_addr_port(&s->addr), flags, on_up, r);
	wait_rec(loop, r, 2000);
	/* let the server accept, so it can close its side later */
	run_until(loop, NULL, 10);
	return r->connected ? r->c : NULL;
}

TEST(upstream_pool_reuse_and_liveness)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct srv s;
	struct rec r;
	struct conn *c, *c2;
	int starts = 0;

	ok(srv_open(loop, &s, "127.0.0.1:0", 16, 1) == 0, "server");
	conf_init(&uc, &starts);
	u = upstream_new(loop, &uc);

	c = get_conn(loop, u, &s, "127.0.0.1", 0, &r);
	ok(c != NULL && !r.reused, "a new connection");
	upstream_put(u, c, "127.0.0.1", sock_addr_port(&s.addr), 7);
	ok(upstream_idle_count(u, "127.0.0.1", sock_addr_port(&s.addr)) == 1,
	    "parked");
	run_until(loop, NULL, 30);
	ok(upstream_idle_count(u, NULL, 0) == 1, "still parked when quiet");
	c2 = get_conn(loop, u, &s, "127.0.0.1", 0, &r);
	ok(c2 == c && r.reused && r.tag == 7 && r.trying == 0,
	    "the parked one again, with its tag");
	ok(upstream_idle_count(u, NULL, 0) == 0, "taken out");
	ok(conn_write(c2, "x", 1) == 0, "usable");
	run_until(loop, NULL, 20);	/* written: idle again */

	/* UPSTREAM_FRESH skips the pool */
	upstream_put(u, c2, "127.0.0.1", sock_addr_port(&s.addr), 8);
	c = get_conn(loop, u, &s, "127.0.0.1", UPSTREAM_FRESH, &r);
	ok(c && c != c2 && !r.reused, "fresh");
	ok(upstream_idle_count(u, NULL, 0) == 1, "the parked one stays");
	conn_abort(c);

	/* the peer closes a parked conn: the pool hears it and drops it */
	for (int i = 0; i < s.nfds; i++)
		close(s.fds[i]);
	s.nfds = 0;
	run_until(loop, NULL, 50);
	ok(upstream_idle_count(u, NULL, 0) == 0, "dropped on the peer's FIN");

	/* closed while the loop did not run: the check when taken sees it */
	c = get_conn(loop, u, &s, "127.0.0.1", 0, &r);
	ok(c && !r.reused, "new");
	upstream_put(u, c, "127.0.0.1", sock_addr_port(&s.addr), 9);
	for (int i = 0; i < s.nfds; i++)
		close(s.fds[i]);
	s.nfds = 0;
	usleep(20000);
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "127.0.0.1", sock_addr_port(&s.addr), 0, on_up,
	    &r);
	loop_once(loop, 0);
	wait_rec(loop, &r, 2000);
	ok(r.connected && !r.reused && r.c != c, "not handed out: a new one");
	if (r.c)
		conn_abort(r.c);

	/* stray bytes on a parked conn also end it */
	c = get_conn(loop, u, &s, "127.0.0.1", 0, &r);
	upstream_put(u, c, "127.0.0.1", sock_addr_port(&s.addr), 10);
	ok(s.nfds >= 1 && write(s.fds[s.nfds - 1], "junk", 4) == 4, "junk");
	run_until(loop, NULL, 50);
	ok(upstream_idle_count(u, NULL, 0) == 0, "dropped on stray bytes");

	upstream_free(u);
	drain(loop);
	srv_close(loop, &s);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

TEST(upstream_pool_bounds_and_idle_timeout)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct srv s;
	struct rec r;
	struct conn *cs[6];
	int starts = 0, port;

	ok(srv_open(loop, &s, "127.0.0.1:0", 16, 1) == 0, "server");
	port = sock_addr_port(&s.addr);
	conf_init(&uc, &starts);
	uc.idle_per_dest = 2;
	uc.idle_max = 3;
	uc.idle_timeout_ms = 150;
	u = upstream_new(loop, &uc);
	for (int i = 0; i < 6; i++)
		cs[i] = get_conn(loop, u, &s, "127.0.0.1", UPSTREAM_FRESH, &r);
	for (int i = 0; i < 3; i++)
		upstream_put(u, cs[i], "127.0.0.1", port, (uint64_t)i);
	ok(upstream_idle_count(u, "127.0.0.1", port) == 2, "per destination");
	/* another key for the same server: "Localhost" is another name */
	for (int i = 3; i < 6; i++)
		upstream_put(u, cs[i], "Localhost", port, (uint64_t)i);
	ok(upstream_idle_count(u, NULL, 0) == 3, "in all: %zu",
	    upstream_idle_count(u, NULL, 0));
	ok(upstream_idle_count(u, "localhost", port) == 2, "ignoring case");
	ok(upstream_idle_count(u, "127.0.0.1", port) == 1, "oldest went");
	/* the newest of a destination comes first */
	struct conn *c = get_conn(loop, u, &s, "LOCALHOST", 0, &r);
	ok(c == cs[5] && r.reused && r.tag == 5, "newest first: %llu",
	    (unsigned long long)r.tag);
	conn_abort(c);
	run_until(loop, NULL, 400);
	ok(upstream_idle_count(u, NULL, 0) == 0, "idle timeout");
	/* a pool of size 0 keeps nothing */
	upstream_free(u);
	uc.idle_per_dest = 0;
	u = upstream_new(loop, &uc);
	c = get_conn(loop, u, &s, "127.0.0.1", 0, &r);
	upstream_put(u, c, "127.0.0.1", port, 0);
	ok(upstream_idle_count(u, NULL, 0) == 0, "no pool");
	upstream_free(u);
	drain(loop);
	srv_close(loop, &s);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

/* ---- from inside the callbacks ---- */

/* A request that, at event at, cancels itself (or frees all of u). */
struct selfish {
	struct upstream *u;
	struct upstream_req *q;
	enum upstream_ev at;
	int free_all;
	int calls, acted;
};

static void
on_selfish(void *arg, enum upstream_ev ev, const struct upstream_result *res)
{
	struct selfish *sf = arg;

	sf->calls++;
	if (ev == UPSTREAM_EV_CONNECTED)
		conn_abort(res->c);	/* the conn is ours either way */
	if (ev != sf->at || sf->acted)
		return;
	sf->acted = 1;
	if (sf->free_all)
		upstream_free(sf->u);
	else
		upstream_cancel(sf->q);
	/* the result stays readable until the callback returns */
	if (ev == UPSTREAM_EV_TRYING)
		ok(res->addr != NULL, "the address is still there");
}

static void
selfish_run(struct loop *loop, struct upstream *u, struct selfish *sf,
    const char *host, int port, enum upstream_ev at, int free_all)
{
	memset(sf, 0, sizeof(*sf));
	sf->u = u;
	sf->at = at;
	sf->free_all = free_all;
	sf->q = upstream_connect(u, host, port, UPSTREAM_FRESH, on_selfish,
	    sf);
	run_until(loop, &sf->acted, 2000);
	run_until(loop, NULL, 50);	/* anything more would come now */
}

TEST(upstream_cancel_inside_callbacks)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct sock_addr dead;
	struct selfish sf;
	struct srv s;
	char host[64];
	int starts = 0, port;

	ok(srv_open(loop, &s, "127.0.0.1:0", 16, 1) == 0, "server");
	port = sock_addr_port(&s.addr);
	ok(dead_addr(&dead) == 0, "a dead port");
	conf_init(&uc, &starts);
	u = upstream_new(loop, &uc);

	selfish_run(loop, u, &sf, "127.0.0.1", port, UPSTREAM_EV_TRYING, 0);
	ok(sf.acted && sf.calls == 1, "cancelled in TRYING: %d calls",
	    sf.calls);
	drain(loop);
	ok(conn_count() == 0, "no connect after TRYING's cancel");

	selfish_run(loop, u, &sf, "127.0.0.1", port, UPSTREAM_EV_CONNECTED,
	    0);
	ok(sf.acted && sf.calls == 2, "cancelled in CONNECTED: %d calls",
	    sf.calls);

	sock_addr_host(&dead, host, sizeof(host));
	selfish_run(loop, u, &sf, host, sock_addr_port(&dead),
	    UPSTREAM_EV_ERROR, 0);
	ok(sf.acted && sf.calls == 2, "cancelled in ERROR: %d calls",
	    sf.calls);

	/* through the lookup: the second address's TRYING */
	fake_script[0] = dead;
	fake_script[1] = s.addr;
	fake_nscript = 2;
	selfish_run(loop, u, &sf, "script.test", port, UPSTREAM_EV_ERROR, 0);
	ok(!sf.acted && sf.calls == 3, "connected at the second: %d",
	    sf.calls);
	upstream_free(u);
	drain(loop);
	srv_close(loop, &s);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

TEST(upstream_free_inside_callbacks)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct sock_addr dead;
	struct selfish sf;
	struct srv s, bh;
	struct rec other;
	char host[64], bhost[64];
	int fill[4], starts = 0, port;
	enum upstream_ev evs[3] = { UPSTREAM_EV_TRYING, UPSTREAM_EV_CONNECTED,
	    UPSTREAM_EV_ERROR };

	ok(srv_open(loop, &s, "127.0.0.1:0", 16, 1) == 0, "server");
	ok(blackhole(loop, &bh, fill) == 0, "blackhole");
	port = sock_addr_port(&s.addr);
	ok(dead_addr(&dead) == 0, "a dead port");
	sock_addr_host(&dead, host, sizeof(host));
	sock_addr_host(&bh.addr, bhost, sizeof(bhost));
	conf_init(&uc, &starts);
	uc.connect_timeout_ms = 5000;
	for (int i = 0; i < 3; i++) {
		struct rec r;
		struct conn *c;

		u = upstream_new(loop, &uc);
		/* a parked conn, and another request under way: both go */
		c = get_conn(loop, u, &s, "127.0.0.1", 0, &r);
		ok(c != NULL, "a conn to park");
		upstream_put(u, c, "127.0.0.1", port, 1);
		memset(&other, 0, sizeof(other));
		upstream_connect(u, bhost, sock_addr_port(&bh.addr), 0, on_up,
		    &other);
		run_until(loop, NULL, 20);
		ok(other.trying == 1 && !done(&other), "another connecting");
		if (evs[i] == UPSTREAM_EV_ERROR)
			selfish_run(loop, u, &sf, host, sock_addr_port(&dead),
			    evs[i], 1);
		else
			selfish_run(loop, u, &sf, "127.0.0.1", port, evs[i], 1);
		ok(sf.acted, "freed in event %d", (int)evs[i]);
		ok(sf.calls == (evs[i] == UPSTREAM_EV_TRYING ? 1 : 2),
		    "nothing after the free: %d", sf.calls);
		ok(!done(&other), "the other request: nothing delivered");
		drain(loop);
		ok(conn_count() == 0, "no conn left: %zu", conn_count());
	}
	for (int i = 0; i < 4; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	srv_close(loop, &bh);
	srv_close(loop, &s);
	loop_free(loop);
}

/* With several addresses, one error for all the tries: a timeout first
 * (as curl), then a refusal, then anything else (a multicast address:
 * ENETUNREACH, at once and without a packet). */
TEST(upstream_mixed_failures)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct sock_addr dead, unreach;
	struct srv bh;
	struct rec r;
	char err[SOCK_ERR_LEN];
	int fill[4], starts = 0;

	ok(blackhole(loop, &bh, fill) == 0, "blackhole");
	ok(dead_addr(&dead) == 0, "a dead port");
	ok(sock_parse_addr("224.0.0.1:80", &unreach, err) == 0, "multicast");
	conf_init(&uc, &starts);
	uc.connect_timeout_ms = 200;
	u = upstream_new(loop, &uc);

	fake_script[0] = bh.addr;
	fake_script[1] = unreach;
	fake_nscript = 2;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.trying == 2 && r.err == UPSTREAM_ERR_TIMEOUT,
	    "timeout, then unreachable: timeout (%d %s)", r.err, r.errstr);

	fake_script[0] = unreach;
	fake_script[1] = bh.addr;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.err == UPSTREAM_ERR_TIMEOUT,
	    "unreachable, then timeout: timeout (%d %s)", r.err, r.errstr);

	fake_script[0] = bh.addr;
	fake_script[1] = dead;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.err == UPSTREAM_ERR_TIMEOUT, "timeout, then refused: "
	    "timeout (%d %s)", r.err, r.errstr);

	fake_script[0] = dead;
	fake_script[1] = bh.addr;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.err == UPSTREAM_ERR_TIMEOUT, "refused, then timeout: "
	    "timeout (%d %s)", r.err, r.errstr);

	fake_script[0] = dead;
	fake_script[1] = unreach;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.err == UPSTREAM_ERR_REFUSED &&
	    strstr(r.errstr, "refused"), "refused, then unreachable: refused "
	    "(%d %s)", r.err, r.errstr);

	fake_script[0] = unreach;
	fake_script[1] = dead;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.err == UPSTREAM_ERR_REFUSED,
	    "unreachable, then refused: refused (%d %s)", r.err, r.errstr);

	fake_script[0] = unreach;
	fake_nscript = 1;
	memset(&r, 0, sizeof(r));
	upstream_connect(u, "script.test", 80, 0, on_up, &r);
	wait_rec(loop, &r, 3000);
	ok(r.error && r.err == UPSTREAM_ERR_FAILED &&
	    strstr(r.errstr, "unreachable"), "unreachable alone: failed "
	    "(%d %s)", r.err, r.errstr);

	upstream_free(u);
	drain(loop);
	for (int i = 0; i < 4; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	srv_close(loop, &bh);
	ok(conn_count() == 0, "no conn left");
	loop_free(loop);
}

TEST(upstream_resolving)
{
	struct loop *loop = loop_new();
	struct upstream_conf uc;
	struct upstream *u;
	struct upstream_req *q;
	struct rec r;
	int starts = 0;

	conf_init(&uc, &starts);
	u = upstream_new(loop, &uc);
	memset(&r, 0, sizeof(r));
	q = upstream_connect(u, "nowhere.test", 80, 0, on_up, &r);
	ok(!upstream_req_resolving(q), "not before the first step");
	loop_once(loop, 0);
	ok(done(&r) || upstream_req_resolving(q), "resolving");
	if (!done(&r))
		upstream_cancel(q);
	ok(!upstream_req_resolving(NULL), "NULL");
	upstream_free(u);
	loop_free(loop);
}
