/* test_core_udp_rpc.c - the UDP RPC engine over real loopback sockets in
 * one process: a tiny responder on a udp_sock that loses, repeats, spoils
 * or redirects its answers as told. Both socket modes; lost answers (retry
 * with backoff), duplicates, wrong port, wrong id, wrong payload, timeouts,
 * cancellation, refusal, and that no callback runs inside the start call. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/udp_rpc.h"
#include "test.h"

/* The test protocol: 'Q' or 'R', a 4-byte id, then a payload. */
static int
t_txid_of(const uint8_t *p, size_t n, uint8_t *txid)
{
	if (n < 5 || p[0] != 'R')
		return 0;
	memcpy(txid, p + 1, 4);
	return 1;
}

static const struct udp_rpc_proto t_proto = { 4, t_txid_of };

struct responder {
	struct udp_sock u, other;
	int fd, ofd;
	struct sock_addr addr;
	int seen;		/* requests seen */
	int drop_first;		/* answer none of the first N */
	int dup;		/* answer twice */
	int wrong_id;		/* first a reply with another id */
	int wrong_port;		/* first a reply from another port */
	int wrong_payload;	/* first a reply the match refuses */
	int silent;		/* never answer */
	uint64_t at[8];		/* when each request came */
};

static void
on_request(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	struct responder *s = arg;
	uint8_t r[16];

	if (n < 5 || p[0] != 'Q')
		return;
	if (s->seen < 8)
		s->at[s->seen] = clock_mono_ms();
	if (s->seen++ < s->drop_first || s->silent)
		return;
	memcpy(r, p, 5);
	r[0] = 'R';
	memcpy(r + 5, "ok", 2);
	if (s->wrong_port)
		(void)udp_send(&s->other, r, 7, from);
	if (s->wrong_id) {
		r[1] ^= 0xff;
		(void)udp_send(u, r, 7, from);
		r[1] ^= 0xff;
	}
	if (s->wrong_payload) {
		memcpy(r + 5, "no", 2);
		(void)udp_send(u, r, 7, from);
		memcpy(r + 5, "ok", 2);
	}
	(void)udp_send(u, r, 7, from);
	if (s->dup)
		(void)udp_send(u, r, 7, from);
}

static int
udp_open(struct loop *loop, struct udp_sock *u, udp_cb *cb, void *arg,
    struct sock_addr *bound)
{
	struct sock_addr a;
	char err[SOCK_ERR_LEN];
	int fd;

	if (sock_parse_addr("127.0.0.1:0", &a, err) < 0 ||
	    (fd = sock_bind_udp(&a, 0, err)) < 0)
		return -1;
	if (udp_start(u, loop, fd, 512, cb, arg) < 0) {
		close(fd);
		return -1;
	}
	if (bound)
		sock_local_addr(fd, bound);
	return fd;
}

static void
responder_start(struct responder *s, struct loop *loop)
{
	memset(s, 0, sizeof(*s));
	s->fd = udp_open(loop, &s->u, on_request, s, &s->addr);
	s->ofd = udp_open(loop, &s->other, on_request, s, NULL);
}

static void
responder_stop(struct responder *s)
{
	udp_stop(&s->u);
	udp_stop(&s->other);
	close(s->fd);
	close(s->ofd);
}

/* A client: what its call saw. */
struct client {
	struct udp_rpc rpc;
	struct udp_sock u;	/* shared mode */
	int fd;
	int in_start;
	int done, inside_start;
	enum udp_rpc_status st;
	char got[8];
	int builds;
	int drops;
	uint64_t t0, t_done;
};

static int
t_build(void *arg, const uint8_t *txid, int try_no, uint8_t *buf, size_t max)
{
	struct client *c = arg;

	c->builds++;
	buf[0] = 'Q';
	memcpy(buf + 1, txid, 4);
	buf[5] = (uint8_t)('0' + try_no);
	return 6;
}

static int
t_match(void *arg, const uint8_t *p, size_t n)
{
	return n == 7 && memcmp(p + 5, "ok", 2) == 0;
}

static void
t_done(void *arg, enum udp_rpc_status st, const uint8_t *p, size_t n)
{
	struct client *c = arg;

	c->done++;
	c->inside_start += c->in_start;
	c->st = st;
	c->t_done = clock_mono_ms();
	if (st == UDP_RPC_OK && n >= 7)
		memcpy(c->got, p + 5, 2);
}

static void
t_drop(void *arg, const struct sock_addr *from)
{
	((struct client *)arg)->drops++;
}

static void
on_client(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	struct client *c = arg;

	(void)udp_rpc_input(&c->rpc, p, n, from);
}

static void
client_init(struct client *c, struct loop *loop, enum udp_rpc_mode mode)
{
	memset(c, 0, sizeof(*c));
	udp_rpc_init(&c->rpc, &t_proto, mode);
	c->fd = -1;
	if (mode == UDP_RPC_SHARED) {
		c->fd = udp_open(loop, &c->u, on_client, c, NULL);
		ok(c->fd >= 0 && udp_rpc_add_sock(&c->rpc, &c->u) == 0,
		    "client socket");
	}
}

static void
client_free(struct client *c)
{
	udp_rpc_free(&c->rpc);
	if (c->fd >= 0) {
		udp_stop(&c->u);
		close(c->fd);
	}
}

static struct udp_rpc_call *
call(struct client *c, struct loop *loop, const struct responder *s,
    uint64_t timeout, unsigned backoff, int tries)
{
	struct udp_rpc_req q;
	struct udp_rpc_call *k;

	memset(&q, 0, sizeof(q));
	q.to = s->addr;
	q.timeout_ms = timeout;
	q.backoff = backoff;
	q.tries = tries;
	q.build = t_build;
	q.match = t_match;
	q.done = t_done;
	q.drop = t_drop;
	q.arg = c;
	c->t0 = clock_mono_ms();
	c->in_start = 1;
	k = udp_rpc_start(&c->rpc, loop, &q);
	c->in_start = 0;
	return k;
}

/* Runs the loop until the call ends (or ms pass), then a little more so
 * that late datagrams arrive and deferred frees run. */
static void
run(struct loop *loop, struct client *c, uint64_t ms, uint64_t linger)
{
	uint64_t end = clock_mono_ms() + ms;

	while (!c->done && clock_mono_ms() < end)
		loop_once(loop, 10);
	end = clock_mono_ms() + linger;
	do
		loop_once(loop, 5);
	while (clock_mono_ms() < end);
}

static void
lost_answers(enum udp_rpc_mode mode)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;

	responder_start(&s, loop);
	client_init(&c, loop, mode);
	s.drop_first = 2;
	ok(call(&c, loop, &s, 60, 2, 4) != NULL, "started");
	run(loop, &c, 2000, 20);
	ok(c.done == 1 && c.st == UDP_RPC_OK, "answered on the third try");
	ok(memcmp(c.got, "ok", 2) == 0, "the answer's bytes");
	ok(s.seen == 3 && c.builds == 3, "three tries sent (%d)", s.seen);
	ok(c.rpc.stats.retries == 2 && c.rpc.stats.sent == 3, "counted");
	/* backoff: 60 ms, then 120 ms between the tries */
	ok(s.at[1] - s.at[0] >= 55 && s.at[2] - s.at[1] >= 115,
	    "waits grow: %llu, %llu", (unsigned long long)(s.at[1] - s.at[0]),
	    (unsigned long long)(s.at[2] - s.at[1]));
	ok(c.inside_start == 0, "no callback inside start");
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_lost_answers_retry_with_backoff_shared)
{
	lost_answers(UDP_RPC_SHARED);
}

TEST(udp_rpc_lost_answers_retry_with_backoff_connected)
{
	lost_answers(UDP_RPC_CONNECTED);
}

TEST(udp_rpc_duplicate_answer_dropped)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;

	responder_start(&s, loop);
	client_init(&c, loop, UDP_RPC_SHARED);
	s.dup = 1;
	ok(call(&c, loop, &s, 500, 1, 2) != NULL, "started");
	run(loop, &c, 2000, 50);
	ok(c.done == 1 && c.st == UDP_RPC_OK, "answered once");
	ok(c.rpc.stats.late == 1, "the second copy dropped as late (%llu)",
	    (unsigned long long)c.rpc.stats.late);
	ok(c.rpc.stats.answered == 1 && c.rpc.stats.mismatch == 0, "counts");
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_wrong_port_dropped)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;

	responder_start(&s, loop);
	client_init(&c, loop, UDP_RPC_SHARED);
	s.wrong_port = 1;
	ok(call(&c, loop, &s, 500, 1, 1) != NULL, "started");
	run(loop, &c, 2000, 20);
	ok(c.done == 1 && c.st == UDP_RPC_OK, "the real answer taken");
	ok(c.rpc.stats.mismatch == 1 && c.drops == 1,
	    "the one from another port dropped and counted");
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

static void
wrong_id(enum udp_rpc_mode mode)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;

	responder_start(&s, loop);
	client_init(&c, loop, mode);
	s.wrong_id = 1;
	s.wrong_payload = 1;
	ok(call(&c, loop, &s, 500, 1, 1) != NULL, "started");
	run(loop, &c, 2000, 20);
	ok(c.done == 1 && c.st == UDP_RPC_OK && s.seen == 1,
	    "answered by the right one, no retry");
	/* a wrong id names no pending call in shared mode (late); on a
	 * call's own socket it is a mismatch */
	if (mode == UDP_RPC_SHARED)
		ok(c.rpc.stats.late == 1 && c.rpc.stats.mismatch == 1 &&
		    c.drops == 1, "wrong id late, wrong payload dropped");
	else
		ok(c.rpc.stats.mismatch == 2 && c.drops == 2,
		    "wrong id and wrong payload dropped (%llu)",
		    (unsigned long long)c.rpc.stats.mismatch);
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_wrong_id_dropped_shared)
{
	wrong_id(UDP_RPC_SHARED);
}

TEST(udp_rpc_wrong_id_dropped_connected)
{
	wrong_id(UDP_RPC_CONNECTED);
}

static void
timeout(enum udp_rpc_mode mode)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;

	responder_start(&s, loop);
	client_init(&c, loop, mode);
	s.silent = 1;
	ok(call(&c, loop, &s, 40, 1, 3) != NULL, "started");
	run(loop, &c, 2000, 0);
	ok(c.done == 1 && c.st == UDP_RPC_TIMEOUT, "timed out");
	ok(c.t_done - c.t0 >= 115 && c.t_done - c.t0 < 1000,
	    "after three tries of 40 ms (%llu)",
	    (unsigned long long)(c.t_done - c.t0));
	ok(s.at[2] != 0 && c.rpc.stats.timeouts == 1, "three sent, counted");
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_timeout_shared)
{
	timeout(UDP_RPC_SHARED);
}

TEST(udp_rpc_timeout_connected)
{
	timeout(UDP_RPC_CONNECTED);
}

TEST(udp_rpc_backoff_capped)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;
	struct udp_rpc_req q;

	responder_start(&s, loop);
	client_init(&c, loop, UDP_RPC_SHARED);
	s.silent = 1;
	memset(&q, 0, sizeof(q));
	q.to = s.addr;
	q.timeout_ms = 30;
	q.backoff = 10;
	q.max_timeout_ms = 50;
	q.tries = 3;
	q.build = t_build;
	q.done = t_done;
	q.arg = &c;
	c.t0 = clock_mono_ms();
	ok(udp_rpc_start(&c.rpc, loop, &q) != NULL, "started");
	run(loop, &c, 2000, 0);
	ok(c.st == UDP_RPC_TIMEOUT && c.t_done - c.t0 >= 125 &&
	    c.t_done - c.t0 < 300, "30 + 50 + 50 ms (%llu)",
	    (unsigned long long)(c.t_done - c.t0));
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

static void
cancel(enum udp_rpc_mode mode)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;
	struct udp_rpc_call *k;

	responder_start(&s, loop);
	client_init(&c, loop, mode);
	k = call(&c, loop, &s, 30, 1, 3);
	ok(k != NULL, "started");
	udp_rpc_cancel(k);
	run(loop, &c, 200, 0);
	ok(c.done == 0, "no callback after cancel");
	ok(s.seen == 1, "no retry after cancel (%d)", s.seen);
	if (mode == UDP_RPC_SHARED)
		ok(c.rpc.stats.late == 1, "its answer dropped as late");
	/* the engine freed with a call pending ends it, in both modes (its
	 * handle is invalid afterwards) */
	s.silent = 1;
	k = call(&c, loop, &s, 1000, 1, 1);
	ok(k != NULL, "a second call");
	client_free(&c);
	run(loop, &c, 0, 20);
	ok(c.done == 0, "freed without a callback");
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_cancel_shared)
{
	cancel(UDP_RPC_SHARED);
}

TEST(udp_rpc_cancel_connected)
{
	cancel(UDP_RPC_CONNECTED);
}

TEST(udp_rpc_refused_connected)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;

	responder_start(&s, loop);
	client_init(&c, loop, UDP_RPC_CONNECTED);
	/* nothing listens there any more: the kernel answers with ICMP */
	udp_stop(&s.u);
	close(s.fd);
	s.fd = -1;
	ok(call(&c, loop, &s, 1000, 1, 3) != NULL, "started");
	run(loop, &c, 2000, 0);
	/* each refusal ends one try only (ICMP is cheap to spoof); the
	 * three come at once, so the call still ends well before one wait */
	ok(c.done == 1 && c.st == UDP_RPC_ERROR && c.t_done - c.t0 < 900,
	    "refused at once");
	ok(c.rpc.stats.icmp == 3 && c.rpc.stats.sent == 3 &&
	    c.rpc.stats.retries == 2 && c.rpc.stats.errors == 1,
	    "each of the three tries refused (icmp %llu, sent %llu)",
	    (unsigned long long)c.rpc.stats.icmp,
	    (unsigned long long)c.rpc.stats.sent);
	ok(c.inside_start == 0, "not from inside start");
	client_free(&c);
	udp_stop(&s.other);
	close(s.ofd);
	loop_free(loop);
}

TEST(udp_rpc_many_pending_shared)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c[100];
	int done = 0;

	responder_start(&s, loop);
	client_init(&c[0], loop, UDP_RPC_SHARED);
	for (int i = 1; i < 100; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = -1;
	}
	/* 100 calls through one engine (the table grows past 64) */
	for (int i = 0; i < 100; i++) {
		struct udp_rpc_req q;
		memset(&q, 0, sizeof(q));
		q.to = s.addr;
		q.timeout_ms = 1000;
		q.tries = 2;
		q.build = t_build;
		q.match = t_match;
		q.done = t_done;
		q.arg = &c[i];
		ok(udp_rpc_start(&c[0].rpc, loop, &q) != NULL, "call %d", i);
	}
	for (uint64_t end = clock_mono_ms() + 3000; clock_mono_ms() < end;) {
		done = 0;
		for (int i = 0; i < 100; i++)
			done += c[i].done == 1 && c[i].st == UDP_RPC_OK;
		if (done == 100)
			break;
		loop_once(loop, 10);
	}
	ok(done == 100, "every call answered (%d)", done);
	ok(c[0].rpc.stats.answered == 100 && c[0].rpc.tab_count == 0,
	    "table empty again");
	loop_once(loop, 0);
	client_free(&c[0]);
	responder_stop(&s);
	loop_free(loop);
}

/* A refusal (a real one here; a spoofed one looks the same) ends its try
 * only: the responder comes back on the same port while the second try is
 * built, and that try is answered at once. */
static struct responder *reopen_s;
static struct loop *reopen_loop;

static int
t_build_reopen(void *arg, const uint8_t *txid, int try_no, uint8_t *buf,
    size_t max)
{
	struct responder *s = reopen_s;
	char err[SOCK_ERR_LEN];

	if (try_no == 1 && s->fd < 0) {
		s->fd = sock_bind_udp(&s->addr, 0, err);
		if (s->fd >= 0 && udp_start(&s->u, reopen_loop, s->fd, 512,
		    on_request, s) < 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
	return t_build(arg, txid, try_no, buf, max);
}

TEST(udp_rpc_refusal_ends_one_try_connected)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;
	struct udp_rpc_req q;

	responder_start(&s, loop);
	client_init(&c, loop, UDP_RPC_CONNECTED);
	udp_stop(&s.u);
	close(s.fd);
	s.fd = -1;
	reopen_s = &s;
	reopen_loop = loop;
	memset(&q, 0, sizeof(q));
	q.to = s.addr;
	q.timeout_ms = 2000;
	q.tries = 3;
	q.build = t_build_reopen;
	q.match = t_match;
	q.done = t_done;
	q.arg = &c;
	c.t0 = clock_mono_ms();
	ok(udp_rpc_start(&c.rpc, loop, &q) != NULL, "started");
	run(loop, &c, 3000, 20);
	ok(s.fd >= 0, "the responder came back");
	ok(c.done == 1 && c.st == UDP_RPC_OK, "answered on the second try");
	ok(c.t_done - c.t0 < 1500, "without waiting for a timeout (%llu)",
	    (unsigned long long)(c.t_done - c.t0));
	ok(c.rpc.stats.icmp == 1 && c.rpc.stats.sent == 2 &&
	    c.rpc.stats.retries == 1, "one refusal, two tries");
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

/* The review's case: an engine on the heap freed, and the memory gone,
 * with a call to a silent server pending; the loop runs on past the
 * call's timeout. Under ASan any touch of the engine or the call fails. */
static void
free_pending(enum udp_rpc_mode mode)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;
	struct udp_rpc *heap = malloc(sizeof(*heap));
	struct udp_rpc_req q;
	size_t timers;

	responder_start(&s, loop);
	client_init(&c, loop, mode);
	s.silent = 1;
	udp_rpc_init(heap, &t_proto, mode);
	if (mode == UDP_RPC_SHARED)
		ok(udp_rpc_add_sock(heap, &c.u) == 0, "heap engine's socket");
	memset(&q, 0, sizeof(q));
	q.to = s.addr;
	q.timeout_ms = 30;
	q.tries = 2;
	q.build = t_build;
	q.done = t_done;
	q.arg = &c;
	timers = loop_timer_count(loop);
	ok(udp_rpc_start(heap, loop, &q) != NULL, "a call");
	ok(udp_rpc_start(heap, loop, &q) != NULL, "another");
	ok(loop_timer_count(loop) == timers + 2, "their timers");
	udp_rpc_free(heap);
	free(heap);
	ok(loop_timer_count(loop) == timers, "timers stopped by the free");
	/* the engine's socket is the client's: no datagram may reach the
	 * freed engine through it */
	if (mode == UDP_RPC_SHARED) {
		udp_stop(&c.u);
		close(c.fd);
		c.fd = -1;
	}
	run(loop, &c, 0, 100);
	ok(c.done == 0, "no callback after the free");
	ok(s.seen == 2, "no retry after the free (%d)", s.seen);
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_free_with_calls_pending_shared)
{
	free_pending(UDP_RPC_SHARED);
}

TEST(udp_rpc_free_with_calls_pending_connected)
{
	free_pending(UDP_RPC_CONNECTED);
}

/* A match callback that cancels its own call: nothing more is counted or
 * reported for that datagram, and done never runs. */
static struct udp_rpc_call *self_call;

static int
t_match_cancel(void *arg, const uint8_t *p, size_t n)
{
	udp_rpc_cancel(self_call);
	return 0;
}

static void
match_cancels(enum udp_rpc_mode mode)
{
	struct loop *loop = loop_new();
	struct responder s;
	struct client c;
	struct udp_rpc_req q;

	responder_start(&s, loop);
	client_init(&c, loop, mode);
	memset(&q, 0, sizeof(q));
	q.to = s.addr;
	q.timeout_ms = 50;
	q.tries = 3;
	q.build = t_build;
	q.match = t_match_cancel;
	q.done = t_done;
	q.drop = t_drop;
	q.arg = &c;
	self_call = udp_rpc_start(&c.rpc, loop, &q);
	ok(self_call != NULL, "started");
	run(loop, &c, 0, 250);
	ok(c.done == 0 && c.drops == 0 && c.rpc.stats.mismatch == 0,
	    "not counted, not reported");
	ok(s.seen == 1, "no retry after the cancel");
	client_free(&c);
	responder_stop(&s);
	loop_free(loop);
}

TEST(udp_rpc_match_cancels_its_call_shared)
{
	match_cancels(UDP_RPC_SHARED);
}

TEST(udp_rpc_match_cancels_its_call_connected)
{
	match_cancels(UDP_RPC_CONNECTED);
}
