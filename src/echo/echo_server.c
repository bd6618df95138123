/* echo_server.c - the uppercase server over TCP and UDP.
 *
 * Unlike the textbook server, which serves one client at a time, this one
 * serves every client at once on the workers' loops. TCP is line by line:
 * each line comes back upper-cased with the terminator it came with, in
 * order, until the client closes or sends "bye". A partial line that sits
 * unanswered for partial-timeout is answered as it is, so that a client that
 * sends without a newline (the textbook's) still gets its reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/conn.h"
#include "core/line.h"
#include "core/session.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/udp.h"
#include "echo/echo.h"

struct echo_conf {
	struct conf_addrs listen;
	int tcp;
	int udp;
	size_t max_line;
	uint64_t idle_timeout;
	uint64_t partial_timeout;
	long max_connections;
};

#define E(f) offsetof(struct echo_conf, f)
static const struct conf_key echo_keys[] = {
	{ "listen", CONF_ADDRS, E(listen), "0.0.0.0:12000", 0, 0,
	    "address to listen on (repeat for more)", 'l' },
	{ "tcp", CONF_BOOL, E(tcp), "on", 0, 0, "serve TCP", 0 },
	{ "udp", CONF_BOOL, E(udp), "off", 0, 0, "serve UDP as well", 0 },
	{ "max-line", CONF_SIZE, E(max_line), "8k", 0, 0,
	    "longest line or datagram answered; longer ones are refused", 0 },
	{ "idle-timeout", CONF_MS, E(idle_timeout), "60s", 0, 0,
	    "close a TCP client silent for this long", 0 },
	{ "partial-timeout", CONF_MS, E(partial_timeout), "200ms", 0, 0,
	    "answer a line without newline after this long (0: never)", 0 },
	{ "max-connections", CONF_INT, E(max_connections), "10000", 1, 1000000,
	    "TCP clients at once per worker", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

/* per process */
struct echo_state {
	struct instance *in;
	struct echo_conf *cf;
	struct session_set set;
	uint8_t *dgram;
};

struct echo_session {
	struct session base;     /* first: the core's part */
	struct echo_state *st;
	struct timer partial;
};

static struct {
	int lines, bytes, datagrams, errors;
} m;
static struct session_metrics sm;
static const struct session_names names = {
	"echo_connections_total", "TCP connections accepted by the echo server",
	"echo_connections_refused_total",
	"TCP connections refused over max-connections",
	"echo_connections_open", "TCP connections open now",
};

void
echo_upper(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = src[i];
		dst[i] = (ch >= 'a' && ch <= 'z') ? (uint8_t)(ch - 32) : ch;
	}
}

static int
echo_check(struct instance *in, char *err)
{
	const struct echo_conf *cf = in->conf;

	if (!cf->tcp && !cf->udp) {
		snprintf(err, CONF_ERR_LEN, "both tcp and udp are off");
		return -1;
	}
	return 0;
}

static int
echo_setup(struct instance *in, char *err)
{
	struct echo_conf *cf = in->conf;

	session_metrics_register(&sm, &names);
	m.lines = metric_counter("echo_lines_total", "", "lines answered over TCP");
	m.bytes = metric_counter("echo_bytes_total", "", "bytes answered");
	m.datagrams = metric_counter("echo_datagrams_total", "",
	    "UDP datagrams answered");
	m.errors = metric_counter("echo_errors_total", "",
	    "lines or datagrams refused (too long)");
	if (echo_check(in, err) < 0)
		return -1;
	for (int i = 0; i < cf->listen.n; i++) {
		const struct sock_addr *a = &cf->listen.a[i];
		if ((cf->tcp && cf->udp ? server_listen_both(in, a, err) :
		    server_listen(in, a, cf->udp, err)) < 0)
			return -1;
	}
	return 0;
}

static void
echo_sess_free(struct session *base)
{
	struct echo_session *s = (struct echo_session *)base;

	loop_timer_stop(base->set->w->loop, &s->partial);
}

/* Queues the upper-cased copy of p[0..n) and its terminator. */
static int
answer(struct conn *c, const uint8_t *p, size_t n, const char *term)
{
	size_t tl = strlen(term);
	uint8_t *dst = conn_reserve(c, n + tl);

	if (dst == NULL)
		return -1;
	echo_upper(dst, p, n);
	memcpy(dst + n, term, tl);
	conn_commit(c, n + tl);
	metric_add(m.bytes, n + tl);
	return 0;
}

static void
on_data(struct echo_session *s)
{
	struct conn *c = s->base.c;
	struct slice line;
	int r;

	while ((r = line_next(&c->in, s->st->cf->max_line, &line)) != 0) {
		if (r < 0) {
			char peer[SOCK_ADDR_STRLEN];
			metric_inc(m.errors);
			log_info("echo: %s sent a line over %zu bytes; closing",
			    conn_peer_str(c, peer, sizeof(peer)),
			    s->st->cf->max_line);
			if (conn_printf(c, "ERROR line too long (max %zu bytes)\n",
			    s->st->cf->max_line) < 0)
				conn_abort(c);
			else
				conn_close(c);
			return;
		}
		metric_inc(m.lines);
		/* the byte after the slice is the LF or the CR of a CRLF */
		const char *term = line.p[line.n] == '\r' ? "\r\n" : "\n";
		if (answer(c, line.p, line.n, term) < 0) {
			conn_abort(c);
			return;
		}
		if (slice_caseeq(line, "bye")) {
			conn_close(c);
			return;
		}
	}
	if (c->in.len && s->st->cf->partial_timeout)
		loop_timer_start(c->loop, &s->partial, s->st->cf->partial_timeout, 0);
	else
		loop_timer_stop(c->loop, &s->partial);
}

static void
on_partial(struct loop *loop, struct timer *t, void *arg)
{
	struct echo_session *s = arg;
	struct conn *c = s->base.c;

	if (c->in.len == 0)
		return;
	metric_inc(m.lines);
	if (answer(c, buf_data(&c->in), c->in.len, "") < 0)
		conn_abort(c);
	buf_consume(&c->in, c->in.len);
}

static void
on_conn(struct session *base, enum conn_ev ev)
{
	struct echo_session *s = (struct echo_session *)base;
	struct conn *c = base->c;

	switch (ev) {
	case CONN_EV_DATA:
		on_data(s);
		break;
	case CONN_EV_EOF:
		/* answer what is left without a newline, then close */
		if (c->in.len && answer(c, buf_data(&c->in), c->in.len, "") == 0)
			metric_inc(m.lines);
		conn_close(c);
		break;
	default:
		break; /* TIMEOUT: the core closes an idle client; CLOSED:
		        * the set frees the session */
	}
}

static void
echo_sess_init(struct session *base, void *owner)
{
	struct echo_session *s = (struct echo_session *)base;

	s->st = owner;
	timer_init(&s->partial, on_partial, s);
}

static const struct session_ops ops = {
	sizeof(struct echo_session), on_conn, NULL, echo_sess_free,
	echo_sess_init,
};

static void
on_datagram(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	struct echo_state *st = arg;

	if (n > st->cf->max_line) {
		static const char msg[] = "ERROR datagram too long";
		char peer[SOCK_ADDR_STRLEN];
		metric_inc(m.errors);
		log_info("echo: %s sent a datagram over %zu bytes",
		    sock_addr_str(from, peer, sizeof(peer)), st->cf->max_line);
		udp_send(u, msg, sizeof(msg) - 1, from);
		return;
	}
	echo_upper(st->dgram, p, n);
	if (udp_send(u, st->dgram, n, from) == 0) {
		metric_inc(m.datagrams);
		metric_add(m.bytes, n);
	}
}

static int
echo_start(struct instance *in, struct worker *w, char *err)
{
	struct echo_state *st = calloc(1, sizeof(*st));
	struct conn_limits lim;

	if (st == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	in->state = st;
	st->in = in;
	st->cf = in->conf;
	st->dgram = malloc(st->cf->max_line + 1);
	if (st->dgram == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	conn_limits_default(&lim);
	/* room for a line of max-line bytes and its CRLF, and one more byte
	 * to tell that a line is too long */
	lim.in_max = st->cf->max_line + 3;
	lim.timeout_ms = st->cf->idle_timeout;
	session_set_init(&st->set, w, &ops, &sm, st->cf->max_connections, &lim,
	    "ERROR too many connections\n");
	return session_set_listen(&st->set, in, on_datagram,
	    st->cf->max_line + 1, st, err);
}

static void
echo_release(struct instance *in)
{
	struct echo_state *st = in->state;

	if (st) {
		session_set_free(&st->set);
		free(st->dgram);
		free(st);
		in->state = NULL;
	}
}

/* SIGHUP: the limits of the connections to come; idle-timeout and
 * partial-timeout are read where they are used. */
static int
echo_reload(struct instance *in, char *err)
{
	struct echo_state *st = in->state;

	(void)err;
	if (st == NULL)
		return 0;
	st->set.limit = st->cf->max_connections;
	st->set.lim.timeout_ms = st->cf->idle_timeout;
	return 0;
}

/* The listeners, and max-line: it sized the datagram buffer and the UDP
 * sockets' reads at start. */
static const char *const echo_restart_keys[] = {
	"listen", "tcp", "udp", "max-line", NULL,
};

const struct service echo_service = {
	"echo", echo_keys, sizeof(struct echo_conf), echo_setup, echo_start,
	NULL, echo_release, NULL, /* stop: the core closes the sessions after
	                           * their replies are flushed */
	echo_check, echo_reload, echo_restart_keys, NULL, NULL,
};

int
echo_server_main(int argc, char **argv)
{
	return cli_run_server(&echo_service, argc, argv,
	    "The uppercase echo server: each line (TCP) or datagram (UDP) comes "
	    "back in upper case.", NULL);
}
