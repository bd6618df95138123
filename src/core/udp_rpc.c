/* udp_rpc.c - UDP request/response with retries (see udp_rpc.h). Calls are
 * allocated here and freed from a deferred task, after the batch that ended
 * them, since their socket may still have an event pending in it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/udp_rpc.h"

#define TAB_MIN 64
#define RECV_ROUNDS 64	/* datagrams read per readiness, per call */

struct udp_rpc_call {
	struct udp_rpc *r;
	struct loop *loop;
	struct udp_rpc_req q;
	uint8_t txid[UDP_RPC_TXID_MAX];
	int try_no;
	uint64_t wait_ms;		/* this try's */
	int fd;				/* connected mode: this try's socket */
	struct loop_io io;
	struct timer timer;
	struct loop_task task;
	int in_tab;
	int on_list;			/* in r->calls */
	int finished;			/* done ran or cancelled */
	struct udp_rpc_call *next;	/* hash chain */
	struct list_node node;		/* r->calls */
};

/* One loop per thread and no callback re-enters a read: one buffer each
 * for what is read and what is built is enough. */
static uint8_t rbuf[UDP_RPC_DGRAM_MAX + 1];
static uint8_t sbuf[UDP_RPC_DGRAM_MAX];

/* n bytes from /dev/urandom: 0, or -1. */
static int
urandom_read(uint8_t *b, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	close(fd);
	return 0;
}

void
udp_rpc_random(void *p, size_t n)
{
	uint8_t *b = p;

	/* Blocking getrandom (no GRND_NONBLOCK): it waits only while the
	 * pool is unseeded at boot, and ids from an unseeded pool would be
	 * guessable. Only EINTR is worth retrying: ENOSYS or EPERM (seccomp)
	 * would fail the same way forever. */
	while (n > 0) {
		ssize_t r = getrandom(b, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		b += r;
		n -= (size_t)r;
	}
	if (n > 0 && urandom_read(b, n) < 0) {
		/* no fallback to anything weaker: predictable ids and ports
		 * would let anyone forge answers */
		fprintf(stderr, "camada: no random bytes (getrandom and "
		    "/dev/urandom both failed); stopping\n");
		abort();
	}
}

void
udp_rpc_init(struct udp_rpc *r, const struct udp_rpc_proto *proto,
    enum udp_rpc_mode mode)
{
	memset(r, 0, sizeof(*r));
	r->proto = proto;
	r->mode = mode;
}

int
udp_rpc_add_sock(struct udp_rpc *r, struct udp_sock *u)
{
	struct sock_addr a;

	if (r->nsocks == UDP_RPC_MAX_SOCKS || sock_local_addr(u->fd, &a) < 0)
		return -1;
	r->family[r->nsocks] = a.ss.ss_family;
	r->socks[r->nsocks++] = u;
	return 0;
}

/* ---- the transaction-id table (shared mode) ---- */

static size_t
tab_slot(const struct udp_rpc *r, const uint8_t *txid)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < r->proto->txid_len; i++)
		h = (h ^ txid[i]) * 16777619u;
	return h & (r->tab_cap - 1);
}

static struct udp_rpc_call *
tab_find(const struct udp_rpc *r, const uint8_t *txid)
{
	if (r->tab_cap == 0)
		return NULL;
	for (struct udp_rpc_call *c = r->tab[tab_slot(r, txid)]; c; c = c->next)
		if (memcmp(c->txid, txid, r->proto->txid_len) == 0)
			return c;
	return NULL;
}

static int
tab_add(struct udp_rpc *r, struct udp_rpc_call *c)
{
	if (r->tab_count + 1 > r->tab_cap) {
		size_t cap = r->tab_cap ? r->tab_cap * 2 : TAB_MIN;
		struct udp_rpc_call **t = calloc(cap, sizeof(*t));
		size_t old = r->tab_cap;
		struct udp_rpc_call **ot = r->tab;

		if (t == NULL)
			return -1;
		r->tab = t;
		r->tab_cap = cap;
		for (size_t i = 0; i < old; i++)
			while (ot[i]) {
				struct udp_rpc_call *x = ot[i];
				size_t s = tab_slot(r, x->txid);
				ot[i] = x->next;
				x->next = t[s];
				t[s] = x;
			}
		free(ot);
	}
	size_t s = tab_slot(r, c->txid);
	c->next = r->tab[s];
	r->tab[s] = c;
	c->in_tab = 1;
	r->tab_count++;
	return 0;
}

static void
tab_del(struct udp_rpc *r, struct udp_rpc_call *c)
{
	struct udp_rpc_call **pp;

	if (!c->in_tab)
		return;
	for (pp = &r->tab[tab_slot(r, c->txid)]; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->in_tab = 0;
	c->next = NULL;
	r->tab_count--;
}

/* ---- the end of a call ---- */

static void
close_fd(struct udp_rpc_call *c)
{
	if (c->fd >= 0) {
		loop_io_del(c->loop, &c->io);
		close(c->fd);
		c->fd = -1;
	}
}

/* Off the engine: no table, list, socket or timer refers to c after it,
 * and c no longer touches c->r. */
static void
detach(struct udp_rpc_call *c)
{
	tab_del(c->r, c);
	if (c->on_list) {
		list_unlink(&c->r->calls, &c->node);
		c->on_list = 0;
	}
	close_fd(c);
	loop_timer_stop(c->loop, &c->timer);
}

static void
free_task(struct loop *loop, void *arg)
{
	free(arg);
}

static void
finish(struct udp_rpc_call *c, enum udp_rpc_status st, const uint8_t *p,
    size_t n)
{
	if (c->finished)
		return;
	c->finished = 1;
	detach(c);
	/* c->r stays valid here: done may free the engine, but only after
	 * these counts */
	if (st == UDP_RPC_OK)
		c->r->stats.answered++;
	else if (st == UDP_RPC_TIMEOUT)
		c->r->stats.timeouts++;
	else
		c->r->stats.errors++;
	c->q.done(c->q.arg, st, p, n);
	loop_defer(c->loop, &c->task, free_task, c);
}

void
udp_rpc_cancel(struct udp_rpc_call *c)
{
	if (c == NULL || c->finished)
		return;
	c->finished = 1;
	detach(c);
	loop_defer(c->loop, &c->task, free_task, c);
}

const uint8_t *
udp_rpc_txid(const struct udp_rpc_call *c)
{
	return c->txid;
}

/* ---- answers ---- */

/* Whether p[0..n) from `from`, with txid (NULL: not a response), answers
 * c; counts and reports it if not. */
static int
answers(struct udp_rpc_call *c, const uint8_t *p, size_t n,
    const struct sock_addr *from, const uint8_t *txid)
{
	int yes = txid && sock_addr_equal(from, &c->q.to) &&
	    memcmp(txid, c->txid, c->r->proto->txid_len) == 0;

	if (yes && c->q.match)
		yes = c->q.match(c->q.arg, p, n);
	/* match may have cancelled c: then the datagram is nobody's, and c
	 * is off the engine (its memory stays until the deferred free) */
	if (c->finished)
		return 0;
	if (yes)
		return 1;
	c->r->stats.mismatch++;
	if (c->q.drop)
		c->q.drop(c->q.arg, from);
	return 0;
}

int
udp_rpc_input(struct udp_rpc *r, const uint8_t *p, size_t n,
    const struct sock_addr *from)
{
	uint8_t txid[UDP_RPC_TXID_MAX];
	struct udp_rpc_call *c;

	if (!r->proto->txid_of(p, n, txid))
		return 0;
	c = tab_find(r, txid);
	if (c == NULL) {
		r->stats.late++;
		return 1;
	}
	if (answers(c, p, n, from, txid))
		finish(c, UDP_RPC_OK, p, n);
	return 1;
}

static void next_try(struct udp_rpc_call *c, enum udp_rpc_status last);

static void
on_readable(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct udp_rpc_call *c = io->arg;
	uint8_t txid[UDP_RPC_TXID_MAX];

	for (int i = 0; i < RECV_ROUNDS && !c->finished && c->fd >= 0; i++) {
		struct sock_addr from;
		ssize_t k;

		from.len = sizeof(from.ss);
		k = recvfrom(c->fd, rbuf, sizeof(rbuf), MSG_TRUNC,
		    (struct sockaddr *)&from.ss, &from.len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* ECONNREFUSED, EHOSTUNREACH, EMSGSIZE: an ICMP error,
			 * which anyone who guesses the port can send; it
			 * ends this try, not the call */
			c->r->stats.icmp++;
			next_try(c, UDP_RPC_ERROR);
			return;
		}
		size_t n = (size_t)k > UDP_RPC_DGRAM_MAX ?
		    UDP_RPC_DGRAM_MAX + 1 : (size_t)k;
		int resp = c->r->proto->txid_of(rbuf, n, txid);
		if (answers(c, rbuf, n, &from, resp ? txid : NULL)) {
			finish(c, UDP_RPC_OK, rbuf, n);
			return;
		}
	}
}

/* ---- tries ---- */

/* A fresh socket bound to a random port and connected to c->q.to. */
static int
open_connected(struct udp_rpc_call *c)
{
	const struct sock_addr *to = &c->q.to;
	struct sock_addr local;
	int fd, bound = 0;

	fd = socket(to->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* a random source port (RFC 5452 9.2), not the kernel's next one */
	memset(&local, 0, sizeof(local));
	local.ss.ss_family = to->ss.ss_family;
	local.len = to->len;
	for (int i = 0; i < 16 && !bound; i++) {
		uint16_t port;
		udp_rpc_random(&port, sizeof(port));
		sock_addr_set_port(&local, 1024 + port % (65536 - 1024));
		bound = bind(fd, (struct sockaddr *)&local.ss, local.len) == 0;
	}
	if (!bound) {
		sock_addr_set_port(&local, 0);
		if (bind(fd, (struct sockaddr *)&local.ss, local.len) < 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct udp_sock *
pick_sock(struct udp_rpc *r, const struct sock_addr *to)
{
	for (int i = 0; i < r->nsocks; i++) {
		unsigned k = (r->next_sock + (unsigned)i) % (unsigned)r->nsocks;
		if (r->family[k] == to->ss.ss_family) {
			r->next_sock = k + 1;
			return r->socks[k];
		}
	}
	return NULL;
}

/* Sends try c->try_no; 0 or -1. */
static int
send_try(struct udp_rpc_call *c)
{
	struct udp_rpc *r = c->r;
	int len;

	if (r->mode == UDP_RPC_CONNECTED) {
		close_fd(c);
		udp_rpc_random(c->txid, r->proto->txid_len);
		len = c->q.build(c->q.arg, c->txid, c->try_no, sbuf,
		    sizeof(sbuf));
		if (len < 0 || (c->fd = open_connected(c)) < 0)
			return -1;
		if (send(c->fd, sbuf, (size_t)len, 0) != len ||
		    loop_io_add(c->loop, &c->io, c->fd, LOOP_READ, on_readable,
		    c) < 0) {
			close(c->fd);
			c->fd = -1;
			return -1;
		}
	} else {
		struct udp_sock *u = pick_sock(r, &c->q.to);
		len = c->q.build(c->q.arg, c->txid, c->try_no, sbuf,
		    sizeof(sbuf));
		if (u == NULL || len < 0 ||
		    udp_send(u, sbuf, (size_t)len, &c->q.to) < 0)
			return -1;
	}
	r->stats.sent++;
	return loop_timer_start(c->loop, &c->timer, c->wait_ms, 0);
}

/* The current try ended without an answer (last says how: a timeout or
 * an ICMP error): the next one, at once, or the end with last. */
static void
next_try(struct udp_rpc_call *c, enum udp_rpc_status last)
{
	if (c->try_no + 1 >= c->q.tries) {
		finish(c, last, NULL, 0);
		return;
	}
	c->try_no++;
	c->r->stats.retries++;
	/* only a try that timed out makes the next one wait longer */
	if (last == UDP_RPC_TIMEOUT && c->q.backoff > 1)
		c->wait_ms *= c->q.backoff;
	if (c->q.max_timeout_ms && c->wait_ms > c->q.max_timeout_ms)
		c->wait_ms = c->q.max_timeout_ms;
	if (send_try(c) < 0)
		finish(c, UDP_RPC_ERROR, NULL, 0);
}

static void
on_timer(struct loop *loop, struct timer *t, void *arg)
{
	struct udp_rpc_call *c = arg;

	if (c->finished)
		return;
	next_try(c, UDP_RPC_TIMEOUT);
}

struct udp_rpc_call *
udp_rpc_start(struct udp_rpc *r, struct loop *loop,
    const struct udp_rpc_req *q)
{
	struct udp_rpc_call *c;

	if (r->proto->txid_len < 1 || r->proto->txid_len > UDP_RPC_TXID_MAX ||
	    q->build == NULL || q->done == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->r = r;
	c->loop = loop;
	c->q = *q;
	if (c->q.tries < 1)
		c->q.tries = 1;
	c->wait_ms = c->q.timeout_ms ? c->q.timeout_ms : 1000;
	if (c->q.max_timeout_ms && c->wait_ms > c->q.max_timeout_ms)
		c->wait_ms = c->q.max_timeout_ms;
	c->fd = -1;
	timer_init(&c->timer, on_timer, c);
	if (r->mode == UDP_RPC_SHARED) {
		int tries = 0;
		do
			udp_rpc_random(c->txid, r->proto->txid_len);
		while (tab_find(r, c->txid) && ++tries < 32);
		if (tries == 32 || tab_add(r, c) < 0) {
			free(c);
			return NULL;
		}
	}
	list_push(&r->calls, &c->node);
	c->on_list = 1;
	if (send_try(c) < 0) {
		detach(c);
		free(c);
		return NULL;
	}
	r->stats.calls++;
	return c;
}

void
udp_rpc_free(struct udp_rpc *r)
{
	struct list_node *n;

	while ((n = r->calls.first) != NULL) {
		struct udp_rpc_call *c = LIST_ENTRY(n, struct udp_rpc_call,
		    node);
		int had_io = r->mode == UDP_RPC_CONNECTED;

		c->finished = 1;
		detach(c);
		/* A call with a socket may have an event pending in this
		 * batch (on_readable sees finished and leaves it alone): its
		 * memory goes after the batch. A shared-mode call has none. */
		if (had_io)
			loop_defer(c->loop, &c->task, free_task, c);
		else
			free(c);
	}
	free(r->tab);
	r->tab = NULL;
	r->tab_cap = r->tab_count = 0;
}
