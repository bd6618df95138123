/* conn.c - connections on the loop (see conn.h for the life cycle).
 *
 * The fd is registered once, edge-triggered, for reading and writing; the
 * conn remembers readiness in `readable`/`writable` and does its I/O from the
 * epoll callback or from its deferred task. Handlers are only ever called
 * from those two places, never from inside a conn_* call they made, so a
 * handler may write, close or pause at any time without reentrancy.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "core/log.h"

#define CONN_READ_CHUNK 16384
#define CONN_READ_BUDGET (256 * 1024)
#define NEVER UINT64_MAX

static uint64_t next_conn_id = 1;
static struct conn *all_conns;
static size_t nconns;

static void conn_task(struct loop *loop, void *arg);
static void on_io(struct loop *loop, struct loop_io *io, uint32_t ev);
static void on_timer(struct loop *loop, struct timer *t, void *arg);
static void conn_finish(struct conn *c);
static void begin_transport(struct conn *c);
static void shut_write(struct conn *c);
static void conn_handshake(struct conn *c, int expired);

/* --- plain TCP transport --- */

static ssize_t
tcp_recv(struct conn *c, void *p, size_t n)
{
	return recv(c->fd, p, n, 0);
}

static ssize_t
tcp_send(struct conn *c, const void *p, size_t n)
{
	return send(c->fd, p, n, MSG_NOSIGNAL);
}

static ssize_t
tcp_sendfile(struct conn *c, int fd, off_t *off, size_t n)
{
	return sendfile(c->fd, fd, off, n);
}

static int
tcp_shutdown_write(struct conn *c)
{
	return shutdown(c->fd, SHUT_WR);
}

const struct conn_transport conn_tcp = {
	"tcp", tcp_recv, tcp_send, tcp_sendfile, tcp_shutdown_write, NULL,
	NULL, NULL, 1,
};

void
conn_limits_default(struct conn_limits *l)
{
	l->in_max = 64 * 1024;
	l->out_max = 4 * 1024 * 1024;
	l->out_high = 256 * 1024;
	l->timeout_ms = 60000;
	l->write_timeout_ms = 60000;
	l->linger_ms = 2000;
	l->lazy_nodelay = 0;
}

static struct conn *
conn_new(struct loop *loop, int fd, const struct conn_limits *lim, conn_cb *cb,
    void *user)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->fd = fd;
	c->cb = cb;
	c->user = user;
	c->tr = &conn_tcp;
	if (lim)
		c->lim = *lim;
	else
		conn_limits_default(&c->lim);
	buf_init(&c->in, c->lim.in_max);
	buf_init(&c->out, c->lim.out_max);
	timer_init(&c->timer, on_timer, c);
	c->id = next_conn_id++;
	c->last_read = c->last_write = loop_now(loop);
	if (loop_io_add(loop, &c->io, fd, LOOP_READ | LOOP_WRITE | LOOP_EDGE,
	    on_io, c) < 0) {
		free(c);
		return NULL;
	}
	c->all_next = all_conns;
	if (all_conns)
		all_conns->all_prev = c;
	all_conns = c;
	nconns++;
	return c;
}

uint64_t
conn_pending(const struct conn *c)
{
	uint64_t n = c->out.len;

	for (int i = 0; i < c->nfiles; i++)
		n += c->files[i].left;
	return n;
}

/* Sets the timer for the earliest thing that can happen. The timer is lazy:
 * reads and writes only move deadlines later, and on_timer re-checks. */
static void
conn_arm(struct conn *c)
{
	uint64_t d = NEVER;

	if (c->dead)
		return;
	if (c->connecting || c->lingering || c->handshaking) {
		d = c->last_read; /* holds the connect, linger or handshake
		                   * deadline */
	} else {
		if (!c->closing && c->lim.timeout_ms)
			d = c->last_read + c->lim.timeout_ms;
		if (c->lim.write_timeout_ms && conn_pending(c)) {
			uint64_t w = c->last_write + c->lim.write_timeout_ms;
			if (w < d)
				d = w;
		}
	}
	if (d == NEVER) {
		loop_timer_stop(c->loop, &c->timer);
		return;
	}
	if (!timer_active(&c->timer) || c->timer.when > d) {
		uint64_t now = loop_now(c->loop);
		loop_timer_start(c->loop, &c->timer, d > now ? d - now : 0, 0);
	}
}

static void
schedule(struct conn *c)
{
	loop_defer(c->loop, &c->task, conn_task, c);
}

static void
deliver(struct conn *c, enum conn_ev ev)
{
	if (c->detached || (c->closing && ev != CONN_EV_CLOSED))
		return;
	c->in_cb = 1;
	c->cb(c, ev, c->user);
	c->in_cb = 0;
}

struct conn *
conn_accept(struct loop *loop, int fd, const struct sock_addr *peer,
    const struct conn_limits *lim, conn_cb *cb, void *user, int *live)
{
	struct conn *c = conn_new(loop, fd, lim, cb, user);

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->peer = *peer;
	c->writable = 1;
	if (!c->lim.lazy_nodelay)
		conn_nodelay(c);
	c->live_counter = live;
	if (live)
		(*live)++;
	conn_arm(c);
	return c;
}

struct conn *
conn_connect(struct loop *loop, const struct sock_addr *to, uint64_t timeout_ms,
    const struct conn_limits *lim, conn_cb *cb, void *user, char *err)
{
	int fd = sock_connect_tcp(to, err);
	struct conn *c;

	if (fd < 0)
		return NULL;
	c = conn_new(loop, fd, lim, cb, user);
	if (c == NULL) {
		close(fd);
		if (err)
			snprintf(err, SOCK_ERR_LEN, "out of memory");
		return NULL;
	}
	c->peer = *to;
	c->connecting = 1;
	c->last_read = loop_now(loop) + (timeout_ms ? timeout_ms : 30000);
	conn_arm(c);
	return c;
}

void
conn_nodelay(struct conn *c)
{
	int one = 1;

	if (c->nodelay || c->fd < 0)
		return;
	c->nodelay = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
conn_backlogged(const struct conn *c)
{
	return conn_pending(c) > c->lim.out_high || c->nfiles >= CONN_FILES - 1;
}

int
conn_closing(const struct conn *c)
{
	return c->closing;
}

uint64_t
conn_timeout(const struct conn *c)
{
	return c->lim.timeout_ms;
}

const struct sock_addr *
conn_local(struct conn *c)
{
	if (c->local.len == 0 && c->fd >= 0)
		sock_local_addr(c->fd, &c->local);
	return &c->local;
}

void
conn_set_linger(struct conn *c, uint64_t ms)
{
	c->lim.linger_ms = ms;
}

const char *
conn_peer_str(const struct conn *c, char *out, size_t n)
{
	return sock_addr_str(&c->peer, out, n);
}

/* --- output --- */

static void
note_output(struct conn *c, uint64_t before)
{
	if (before == 0) {
		c->last_write = loop_now(c->loop);
		conn_arm(c);
	}
	schedule(c);
}

int
conn_write(struct conn *c, const void *p, size_t n)
{
	uint64_t before;

	if (c->closing || c->dead || c->wr_shut)
		return -1;
	before = conn_pending(c);
	if (buf_append(&c->out, p, n) < 0)
		return -1;
	if (c->nfiles)
		c->tail_bytes += n;
	note_output(c, before);
	return 0;
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	size_t len = c->out.len;
	uint64_t before;
	int rc;

	if (c->closing || c->dead || c->wr_shut)
		return -1;
	before = conn_pending(c);
	va_start(ap, fmt);
	rc = buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	if (c->nfiles)
		c->tail_bytes += c->out.len - len;
	note_output(c, before);
	return 0;
}

uint8_t *
conn_reserve(struct conn *c, size_t n)
{
	if (c->closing || c->dead || c->wr_shut)
		return NULL;
	return buf_reserve(&c->out, n);
}

void
conn_commit(struct conn *c, size_t n)
{
	uint64_t before = conn_pending(c);

	buf_commit(&c->out, n);
	if (c->nfiles)
		c->tail_bytes += n;
	note_output(c, before);
}

int
conn_sendfile(struct conn *c, int fd, off_t off, uint64_t n, int owned)
{
	struct conn_file *f;
	uint64_t before;

	if (c->closing || c->dead || c->wr_shut || c->nfiles == CONN_FILES)
		return -1;
	if (n == 0) {
		if (owned)
			close(fd);
		return 0;
	}
	if (c->files == NULL &&
	    (c->files = malloc(CONN_FILES * sizeof(*c->files))) == NULL)
		return -1;
	before = conn_pending(c);
	f = &c->files[c->nfiles];
	f->fd = fd;
	f->owned = owned;
	f->off = off;
	f->left = n;
	f->mem_before = c->nfiles ? c->tail_bytes : c->out.len;
	c->tail_bytes = 0;
	c->nfiles++;
	note_output(c, before);
	return 0;
}

void
conn_want_drained(struct conn *c)
{
	c->want_drained = 1;
	if (conn_pending(c) == 0)
		schedule(c);
}

static void
drop_file(struct conn *c)
{
	if (c->files[0].owned)
		close(c->files[0].fd);
	c->nfiles--;
	memmove(&c->files[0], &c->files[1], (size_t)c->nfiles * sizeof(c->files[0]));
	if (c->nfiles == 0) {
		free(c->files);
		c->files = NULL;
	}
}

/* A transport without sendfile (TLS) gets the file through memory. */
static ssize_t
send_file_via_memory(struct conn *c, struct conn_file *f)
{
	uint8_t tmp[16384];
	size_t want = f->left < sizeof(tmp) ? (size_t)f->left : sizeof(tmp);
	ssize_t r = pread(f->fd, tmp, want, f->off);

	if (r <= 0)
		return r < 0 ? -1 : 0;
	ssize_t w = c->tr->send(c, tmp, (size_t)r);
	if (w > 0)
		f->off += w;
	return w;
}

/* Writes as much as the socket takes. Returns -1 when the connection broke. */
static int
conn_flush(struct conn *c)
{
	uint64_t was = conn_pending(c);
	int progress = 0;

	if (c->handshaking)
		return 0; /* what is queued goes out encrypted, after it */
	while (c->writable) {
		c->want = CONN_WANT_WRITE;
		ssize_t w;
		if (c->nfiles && c->files[0].mem_before == 0) {
			struct conn_file *f = &c->files[0];
			size_t want = f->left > (1u << 30) ? (1u << 30) : (size_t)f->left;
			if (c->tr->sendfile)
				w = c->tr->sendfile(c, f->fd, &f->off, want);
			else
				w = send_file_via_memory(c, f);
			if (w == 0) {
				/* the file shrank under us: the length we promised
				 * can no longer be met, so the stream is broken */
				log_warn("conn %llu: file ended early",
				    (unsigned long long)c->id);
				return -1;
			}
			if (w > 0) {
				f->left -= (uint64_t)w;
				if (f->left == 0)
					drop_file(c);
			}
		} else {
			size_t want = c->nfiles ? c->files[0].mem_before : c->out.len;
			if (want == 0)
				break;
			w = c->tr->send(c, buf_data(&c->out), want);
			if (w > 0) {
				buf_consume(&c->out, (size_t)w);
				if (c->nfiles)
					c->files[0].mem_before -= (size_t)w;
			}
		}
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->writable = 0;
				/* TLS: the write waits for a record to read */
				if (c->want == CONN_WANT_READ)
					c->wr_needs_rd = 1;
				break;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->bytes_out += (uint64_t)w;
		progress = 1;
	}
	if (progress)
		c->last_write = loop_now(c->loop);
	if (conn_pending(c) == 0) {
		if (c->out.len == 0)
			buf_free(&c->out);
		if (c->shut_after_flush && !c->wr_shut)
			shut_write(c);
		if (c->next_tr && !c->closing)
			begin_transport(c);
		if (c->want_drained && !c->closing) {
			c->want_drained = 0;
			deliver(c, CONN_EV_DRAINED);
		}
	} else if (was > c->lim.out_high && conn_pending(c) <= c->lim.out_high &&
	    c->readable) {
		schedule(c); /* backpressure released: read again */
	}
	return 0;
}

/* Our side is done sending. A TLS transport may need the socket writable
 * for its close_notify (EAGAIN): then it is tried again at the next
 * writable edge, before the FIN. */
static void
shut_write(struct conn *c)
{
	if (c->tr->shutdown_write(c) < 0 && errno == EAGAIN) {
		c->shut_retry = 1;
		return;
	}
	c->shut_retry = 0;
	c->wr_shut = 1;
}

/* --- input --- */

static int
can_read(const struct conn *c)
{
	if (c->dead || c->rd_eof || c->connecting || c->handshaking)
		return 0;
	if (c->closing)
		return 1; /* read and drop, so that closing sends FIN, not RST */
	/* no plaintext is read once TLS is asked for (STARTTLS) */
	return !c->paused && conn_pending(c) <= c->lim.out_high &&
	    c->next_tr == NULL;
}

/* A recv said EAGAIN: the socket is drained, or (TLS) the read waits for
 * the socket to take a write first. */
static void
read_blocked(struct conn *c)
{
	c->readable = 0;
	if (c->want == CONN_WANT_WRITE) {
		c->rd_needs_wr = 1;
		c->writable = 0;
	}
}

static void
discard_input(struct conn *c)
{
	uint8_t tmp[4096];

	while (c->readable && !c->rd_eof) {
		c->want = CONN_WANT_READ;
		ssize_t r = c->tr->recv(c, tmp, sizeof(tmp));
		if (r > 0)
			continue;
		if (r == 0) {
			c->rd_eof = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			read_blocked(c);
		} else if (errno != EINTR) {
			c->rd_eof = 1;
		}
	}
	buf_reset(&c->in);
}

/* Tells the handler that the peer finished sending, once it is not paused
 * (requests buffered behind a paused response must still be answered). A
 * handler that pauses again from the EOF callback hears it again after
 * resuming; one that neither pauses nor closes gets a graceful close. */
static void
maybe_eof(struct conn *c)
{
	if (!c->rd_eof || c->eof_told || c->closing || c->paused || c->dead)
		return;
	c->eof_told = 1;
	deliver(c, CONN_EV_EOF);
	if (c->closing || c->dead)
		return;
	if (c->paused)
		c->eof_told = 0;
	else
		conn_close(c);
}

static void
conn_read(struct conn *c)
{
	size_t total = 0;
	int got = 0, broken = 0;

	if (c->closing) {
		discard_input(c);
		return;
	}
	while (c->readable && can_read(c)) {
		size_t room = c->lim.in_max - c->in.len;
		if (room == 0)
			break;
		/* Small first (most requests and lines are short, and idle
		 * connections hold no buffer at all), then doubling. */
		size_t want = c->in.cap == 0 ? 2048 :
		    c->in.cap - c->in.len >= 1024 ? c->in.cap - c->in.len :
		    c->in.cap < CONN_READ_CHUNK ? c->in.cap : CONN_READ_CHUNK;
		if (want > room)
			want = room;
		uint8_t *dst = buf_reserve(&c->in, want);
		if (dst == NULL) {
			broken = 1;
			break;
		}
		c->want = CONN_WANT_READ;
		ssize_t r = c->tr->recv(c, dst, want);
		if (r > 0) {
			buf_commit(&c->in, (size_t)r);
			c->bytes_in += (uint64_t)r;
			total += (size_t)r;
			got = 1;
			/* Edge-triggered: a short read emptied the socket and
			 * new bytes raise a new edge, saving a recv that would
			 * only say EAGAIN. But a FIN that came with the data
			 * raises no new edge: once epoll has said RDHUP, read
			 * on until 0 so that the EOF is not lost. TLS
			 * hands out a record at a time: a short read
			 * says nothing, read on until EAGAIN. */
			if ((size_t)r < want && !c->hup_seen &&
			    c->tr->short_read_drains)
				c->readable = 0;
			if (total >= CONN_READ_BUDGET) {
				schedule(c); /* let other connections run */
				break;
			}
		} else if (r == 0) {
			c->rd_eof = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			read_blocked(c);
		} else if (errno != EINTR) {
			broken = 1;
			break;
		}
	}
	if (got) {
		c->last_read = loop_now(c->loop);
		deliver(c, CONN_EV_DATA);
		/* an idle connection keeps no input memory */
		if (c->in.len == 0 && c->in.cap > 0 && !c->closing)
			buf_free(&c->in);
		if (!c->closing && !c->paused && c->in.len >= c->lim.in_max) {
			log_warn("conn %llu: input over %zu bytes not consumed, closing",
			    (unsigned long long)c->id, c->lim.in_max);
			conn_abort(c);
			return;
		}
		if (c->readable && can_read(c))
			schedule(c);
	}
	if (broken) {
		conn_finish(c);
		return;
	}
	maybe_eof(c);
}

/* --- closing --- */

/* The fd is done; CLOSED and the free happen in the task. */
static void
conn_finish(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	c->closing = 1;
	/* no EPOLL_CTL_DEL: the fd is ours alone, and close() removes it */
	loop_timer_stop(c->loop, &c->timer);
	close(c->fd);
	c->fd = -1;
	schedule(c);
}

static void
begin_linger(struct conn *c)
{
	if (c->lingering || c->dead)
		return;
	if (c->rd_eof || c->lim.linger_ms == 0) {
		/* TLS owes the peer a close_notify even when it closed first */
		if (!c->wr_shut && c->tr->handshake)
			shut_write(c);
		conn_finish(c);
		return;
	}
	c->lingering = 1;
	if (!c->wr_shut)
		shut_write(c);
	c->last_read = loop_now(c->loop) + c->lim.linger_ms;
	conn_arm(c);
	discard_input(c);
	if (c->rd_eof)
		conn_finish(c);
}

void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	if (c->handshaking) {
		/* nothing was said over TLS yet: nothing to flush */
		conn_finish(c);
		return;
	}
	c->closing = 1;
	buf_reset(&c->in);
	conn_arm(c);
	schedule(c);
}

void
conn_abort(struct conn *c)
{
	c->closing = 1;
	buf_reset(&c->out);
	while (c->nfiles)
		drop_file(c);
	conn_finish(c);
}

void
conn_shutdown_write(struct conn *c)
{
	c->shut_after_flush = 1;
	schedule(c);
}

static void
conn_free(struct conn *c)
{
	while (c->nfiles)
		drop_file(c);
	free(c->files);
	loop_timer_stop(c->loop, &c->timer);
	loop_defer_cancel(c->loop, &c->task);
	if (c->next_tr && c->next_tr->free)
		c->next_tr->free(c);
	else if (c->tr->free)
		c->tr->free(c);
	if (c->fd >= 0) {
		loop_io_del(c->loop, &c->io);
		close(c->fd);
	}
	if (c->live_counter)
		(*c->live_counter)--;
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		all_conns = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	nconns--;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

size_t
conn_count(void)
{
	return nconns;
}

void
conn_abort_all(void)
{
	for (struct conn *c = all_conns; c; c = c->all_next)
		if (!c->dead)
			conn_abort(c);
}

void
conn_close_all(void)
{
	for (struct conn *c = all_conns; c; c = c->all_next)
		conn_close(c);
}

void
conn_set_timeout(struct conn *c, uint64_t ms)
{
	c->lim.timeout_ms = ms;
	/* while connecting, lingering or in a handshake last_read holds that
	 * phase's deadline; the new timeout counts from its end */
	if (!c->connecting && !c->lingering && !c->handshaking)
		c->last_read = loop_now(c->loop);
	conn_arm(c);
}

void
conn_pause(struct conn *c)
{
	c->paused = 1;
}

void
conn_resume(struct conn *c)
{
	if (!c->paused)
		return;
	c->paused = 0;
	if (c->in.len)
		c->pending_data = 1;
	if (c->tr->pending && c->tr->pending(c) > 0)
		c->readable = 1;
	schedule(c);
}

/* --- switching to TLS --- */

int
conn_start_transport(struct conn *c, const struct conn_transport *tr,
    uint64_t timeout_ms, int client)
{
	if (c->closing || c->dead || c->next_tr || c->handshaking ||
	    c->tr != &conn_tcp || c->connecting)
		return -1;
	/* bytes pipelined after a STARTTLS came in plaintext: they must
	 * never be taken as if they had come over TLS */
	buf_reset(&c->in);
	c->pending_data = 0;
	c->next_tr = tr;
	c->tls_client = client ? 1 : 0;
	c->tls_timeout_ms = timeout_ms ? timeout_ms : 10000;
	if (conn_pending(c) == 0)
		begin_transport(c);
	return 0;
}

/* The plaintext is out: from here on every byte goes through TLS. */
static void
begin_transport(struct conn *c)
{
	c->tr = c->next_tr;
	c->next_tr = NULL;
	c->handshaking = 1;
	c->last_read = loop_now(c->loop) + c->tls_timeout_ms;
	conn_arm(c);
	schedule(c);
}

/* One step of the handshake, from the loop. */
static void
conn_handshake(struct conn *c, int expired)
{
	int r;

	c->want = 0;
	r = c->tr->handshake(c, expired);
	if (r == 0) {
		if (c->want == CONN_WANT_READ)
			c->readable = 0;
		else if (c->want == CONN_WANT_WRITE)
			c->writable = 0;
		return;
	}
	c->handshaking = 0;
	if (r < 0) {
		if (c->tls_client) {
			errno = expired ? ETIMEDOUT : EPROTO;
			deliver(c, CONN_EV_ERROR);
		}
		conn_finish(c);
		return;
	}
	c->last_read = c->last_write = loop_now(c->loop);
	conn_arm(c);
	deliver(c, CONN_EV_TLS);
	schedule(c); /* what was queued, and what came with the handshake */
}

/* --- the two entry points from the loop --- */

static void
conn_task(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	if (c->closing && !c->detached) {
		c->detached = 1;
		c->cb(c, CONN_EV_CLOSED, c->user);
	}
	if (c->dead) {
		conn_free(c);
		return;
	}
	if (c->handshaking) {
		conn_handshake(c, 0);
		if (c->dead || c->handshaking)
			return;
	}
	if (c->writable && conn_pending(c) && conn_flush(c) < 0) {
		conn_abort(c);
		return;
	}
	if (c->want_drained && conn_pending(c) == 0 && !c->closing) {
		c->want_drained = 0;
		deliver(c, CONN_EV_DRAINED);
	}
	if (c->pending_data && !c->paused && !c->closing) {
		c->pending_data = 0;
		deliver(c, CONN_EV_DATA);
	}
	maybe_eof(c);
	if (c->shut_after_flush && !c->wr_shut && conn_pending(c) == 0)
		shut_write(c);
	if (c->readable && can_read(c))
		conn_read(c);
	if (c->dead)
		return;
	if (c->closing && conn_pending(c) == 0)
		begin_linger(c);
	if (c->closing && !c->detached)
		schedule(c);
}

static void
on_io(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct conn *c = io->arg;

	if (c->dead)
		return;
	if (c->connecting) {
		if (!(ev & (LOOP_WRITE | LOOP_ERR | LOOP_HUP)))
			return;
		int e = sock_connect_result(c->fd);
		c->connecting = 0;
		if (e != 0) {
			errno = e;
			deliver(c, CONN_EV_ERROR);
			conn_finish(c);
			return;
		}
		c->last_read = c->last_write = loop_now(loop);
		conn_arm(c);
		deliver(c, CONN_EV_CONNECTED);
		if (c->closing) {
			schedule(c);
			return;
		}
	}
	if (ev & LOOP_WRITE) {
		c->writable = 1;
		if (c->shut_retry && !c->wr_shut)
			shut_write(c);
		if (c->rd_needs_wr) {
			c->rd_needs_wr = 0;
			c->readable = 1;
		}
	}
	if (ev & LOOP_READ) {
		c->readable = 1;
		if (c->wr_needs_rd) {
			c->wr_needs_rd = 0;
			c->writable = 1;
		}
	}
	if (ev & LOOP_HUP)
		c->hup_seen = 1;
	if (c->handshaking) {
		conn_handshake(c, 0);
		if (c->dead || c->handshaking)
			return;
	}
	if (ev & LOOP_ERR) {
		/* a reset: nothing more can be sent */
		buf_reset(&c->out);
		while (c->nfiles)
			drop_file(c);
	}
	if (c->writable && conn_pending(c)) {
		if (conn_flush(c) < 0) {
			conn_abort(c);
			return;
		}
	}
	if (c->readable && can_read(c))
		conn_read(c);
	if (!c->dead && c->closing) {
		if (c->lingering && c->rd_eof)
			conn_finish(c);
		else
			schedule(c);
	}
	if (!c->dead && (ev & LOOP_ERR) && !c->closing)
		conn_abort(c);
}

static void
on_timer(struct loop *loop, struct timer *t, void *arg)
{
	struct conn *c = arg;
	uint64_t now = loop_now(loop);

	if (c->dead)
		return;
	if (c->connecting) {
		if (now >= c->last_read) {
			c->connecting = 0;
			errno = ETIMEDOUT;
			deliver(c, CONN_EV_ERROR);
			conn_finish(c);
			return;
		}
	} else if (c->lingering) {
		if (now >= c->last_read) {
			conn_finish(c);
			return;
		}
	} else if (c->handshaking) {
		if (now >= c->last_read) {
			conn_handshake(c, 1);
			return;
		}
	} else {
		if (c->lim.write_timeout_ms && conn_pending(c) &&
		    now - c->last_write >= c->lim.write_timeout_ms) {
			log_debug("conn %llu: write timeout",
			    (unsigned long long)c->id);
			conn_abort(c);
			return;
		}
		if (!c->closing && c->lim.timeout_ms &&
		    now - c->last_read >= c->lim.timeout_ms) {
			uint64_t before = c->last_read;
			deliver(c, CONN_EV_TIMEOUT);
			if (!c->closing && c->last_read == before)
				conn_close(c);
		}
	}
	conn_arm(c);
}

/* --- for core/upstream.h --- */

void
conn_set_handler(struct conn *c, conn_cb *cb, void *user)
{
	c->cb = cb;
	c->user = user;
}

int
conn_is_open(const struct conn *c)
{
	return !c->closing && !c->dead && !c->rd_eof && !c->connecting;
}

