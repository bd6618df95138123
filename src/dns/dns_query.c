/* dns_query.c - outgoing queries over UDP with retries, and TCP on TC. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "core/log.h"
#include "dns/dns_query.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

struct dns_query {
	struct loop *loop;
	struct sock_addr to;
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	struct dns_query_opts o;
	dns_query_cb *cb;
	void *arg;
	uint16_t id;
	int fd;
	int tries_left;
	struct loop_io io;
	struct timer timer;
	struct loop_task task;
	struct conn *c;
	int finished;		/* callback done or cancelled */
	int conn_open;		/* c not yet CLOSED */
	int freed_pending;
};

static uint8_t rbuf[DNS_MSG_MAX + 1];
static uint64_t dropped;

uint64_t
dns_query_dropped(void)
{
	return dropped;
}

uint16_t
dns_random16(void)
{
	uint16_t v;

	while (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		;
	return v;
}

int
dns_query_build(uint8_t *buf, size_t max, uint16_t id, const uint8_t *qname,
    uint16_t qtype, uint16_t qclass, int rd, uint16_t edns_size)
{
	struct dns_msg_builder b;

	if (dns_build_init(&b, buf, max) != DNS_OK)
		return -1;
	b.id = id;
	b.flags = rd ? DNS_FLAG_RD : 0;
	if (dns_build_question(&b, qname, qtype, qclass) != DNS_OK)
		return -1;
	if (edns_size) {
		struct dns_edns e;
		memset(&e, 0, sizeof(e));
		e.udp_size = edns_size;
		if (dns_build_edns(&b, &e) != DNS_OK)
			return -1;
	}
	return dns_build_finish(&b);
}

int
dns_query_matches(const uint8_t *resp, size_t n, uint16_t id,
    const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
	uint8_t name[DNS_NAME_MAX];
	size_t pos = DNS_HDR_LEN;

	if (n < DNS_HDR_LEN || dns_get16(resp) != id ||
	    !(dns_get16(resp + 2) & DNS_FLAG_QR) || dns_get16(resp + 4) != 1)
		return 0;
	if (dns_name_read(resp, n, &pos, n, name) < 0 || pos + 4 > n)
		return 0;
	return dns_get16(resp + pos) == qtype &&
	    dns_get16(resp + pos + 2) == qclass && dns_name_equal(name, qname);
}

static void
free_task(struct loop *loop, void *arg)
{
	struct dns_query *q = arg;

	if (q->conn_open) {
		q->freed_pending = 1; /* freed at CLOSED */
		return;
	}
	free(q);
}

static void
udp_close(struct dns_query *q)
{
	if (q->fd >= 0) {
		loop_io_del(q->loop, &q->io);
		close(q->fd);
		q->fd = -1;
	}
}

static void
end(struct dns_query *q)
{
	udp_close(q);
	loop_timer_stop(q->loop, &q->timer);
	if (q->c && q->conn_open)
		conn_abort(q->c);
	loop_defer(q->loop, &q->task, free_task, q);
}

static void
deliver(struct dns_query *q, enum dns_query_status st, const uint8_t *msg,
    size_t n, int tcp)
{
	if (q->finished)
		return;
	q->finished = 1;
	q->cb(q->arg, st, msg, n, tcp);
	end(q);
}

void
dns_query_cancel(struct dns_query *q)
{
	if (q == NULL || q->finished)
		return;
	q->finished = 1;
	end(q);
}

static void on_udp(struct loop *loop, struct loop_io *io, uint32_t ev);

static int
udp_open(struct dns_query *q)
{
	struct sock_addr local;
	uint8_t pkt[DNS_NAME_MAX + 64];
	int fd, len, bound = 0;
	char dst[SOCK_ADDR_STRLEN];

	fd = socket(q->to.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* a random source port (RFC 5452 §9.2), not the kernel's next one */
	memset(&local, 0, sizeof(local));
	local.ss.ss_family = q->to.ss.ss_family;
	local.len = q->to.len;
	for (int i = 0; i < 16 && !bound; i++) {
		sock_addr_set_port(&local, 1024 + dns_random16() % (65536 - 1024));
		bound = bind(fd, (struct sockaddr *)&local.ss, local.len) == 0;
	}
	if (!bound) {
		sock_addr_set_port(&local, 0);
		if (bind(fd, (struct sockaddr *)&local.ss, local.len) < 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)&q->to.ss, q->to.len) < 0) {
		close(fd);
		return -1;
	}
	q->id = dns_random16();
	len = dns_query_build(pkt, sizeof(pkt), q->id, q->qname, q->qtype,
	    q->qclass, q->o.rd, q->o.edns_size);
	if (len < 0 || send(fd, pkt, (size_t)len, 0) != len) {
		close(fd);
		return -1;
	}
	if (loop_io_add(q->loop, &q->io, fd, LOOP_READ, on_udp, q) < 0) {
		close(fd);
		return -1;
	}
	q->fd = fd;
	if (log_get_level() >= LOG_DEBUG) {
		char name[DNS_NAME_TEXT_MAX], type[16];
		dns_name_to_text(q->qname, name, sizeof(name));
		dns_type_to_text(q->qtype, type, sizeof(type));
		log_debug("resolver: upstream query %s %s to %s id %u (udp)",
		    name, type, sock_addr_str(&q->to, dst, sizeof(dst)), q->id);
	}
	return 0;
}

static void on_tcp(struct conn *c, enum conn_ev ev, void *arg);

static int
tcp_open(struct dns_query *q)
{
	struct conn_limits lim;
	char err[SOCK_ERR_LEN];

	udp_close(q);
	conn_limits_default(&lim);
	lim.in_max = DNS_MSG_MAX + 2;
	lim.timeout_ms = q->o.timeout_ms;
	q->id = dns_random16();
	q->c = conn_connect(q->loop, &q->to, q->o.timeout_ms, &lim, on_tcp, q,
	    err);
	if (q->c == NULL)
		return -1;
	q->conn_open = 1;
	loop_timer_start(q->loop, &q->timer, q->o.timeout_ms * 2, 0);
	if (log_get_level() >= LOG_DEBUG) {
		char name[DNS_NAME_TEXT_MAX], dst[SOCK_ADDR_STRLEN];
		dns_name_to_text(q->qname, name, sizeof(name));
		log_debug("resolver: upstream query %s to %s id %u (tcp)", name,
		    sock_addr_str(&q->to, dst, sizeof(dst)), q->id);
	}
	return 0;
}

static void
on_tcp(struct conn *c, enum conn_ev ev, void *arg)
{
	struct dns_query *q = arg;
	uint8_t pkt[DNS_NAME_MAX + 64];
	struct slice msg;
	int len, r;

	switch (ev) {
	case CONN_EV_CONNECTED:
		len = dns_query_build(pkt + 2, sizeof(pkt) - 2, q->id, q->qname,
		    q->qtype, q->qclass, q->o.rd, q->o.edns_size);
		if (len < 0) {
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
			return;
		}
		dns_put16(pkt, (uint16_t)len);
		if (conn_write(c, pkt, (size_t)len + 2) < 0)
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
		break;
	case CONN_EV_DATA:
		if (q->finished)
			break;
		r = dns_tcp_frame(buf_data(&c->in), c->in.len, &msg);
		if (r == PARSE_AGAIN)
			break;
		if (r < 0 || !dns_query_matches(msg.p, msg.n, q->id, q->qname,
		    q->qtype, q->qclass)) {
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
			break;
		}
		deliver(q, DNS_QUERY_OK, msg.p, msg.n, 1);
		break;
	case CONN_EV_TIMEOUT:
		deliver(q, DNS_QUERY_TIMEOUT, NULL, 0, 1);
		break;
	case CONN_EV_EOF:
	case CONN_EV_ERROR:
		deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
		break;
	case CONN_EV_CLOSED:
		q->conn_open = 0;
		q->c = NULL;
		if (q->freed_pending)
			free(q);
		else if (!q->finished)
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
		break;
	default:
		break;
	}
}

static void
on_udp(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct dns_query *q = io->arg;

	for (int i = 0; i < 64 && !q->finished && q->fd >= 0; i++) {
		struct sock_addr from;
		ssize_t r;

		from.len = sizeof(from.ss);
		r = recvfrom(q->fd, rbuf, sizeof(rbuf), 0,
		    (struct sockaddr *)&from.ss, &from.len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* ECONNREFUSED and friends: nobody there */
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 0);
			return;
		}
		if (!sock_addr_equal(&from, &q->to) ||
		    !dns_query_matches(rbuf, (size_t)r, q->id, q->qname,
		    q->qtype, q->qclass)) {
			char a[SOCK_ADDR_STRLEN];
			dropped++;
			log_debug("resolver: dropped a datagram from %s that "
			    "does not answer query id %u",
			    sock_addr_str(&from, a, sizeof(a)), q->id);
			continue;
		}
		if (dns_get16(rbuf + 2) & DNS_FLAG_TC) {
			if (tcp_open(q) < 0)
				deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
			return;
		}
		deliver(q, DNS_QUERY_OK, rbuf, (size_t)r, 0);
		return;
	}
}

static void
on_timer(struct loop *loop, struct timer *t, void *arg)
{
	struct dns_query *q = arg;

	if (q->finished)
		return;
	if (q->c == NULL && q->tries_left > 0) {
		q->tries_left--;
		udp_close(q);
		if (udp_open(q) == 0) {
			loop_timer_start(loop, &q->timer, q->o.timeout_ms, 0);
			return;
		}
	}
	deliver(q, DNS_QUERY_TIMEOUT, NULL, 0, q->c != NULL);
}

struct dns_query *
dns_query_start(struct loop *loop, const struct sock_addr *to,
    const uint8_t *qname, uint16_t qtype, uint16_t qclass,
    const struct dns_query_opts *o, dns_query_cb *cb, void *arg)
{
	struct dns_query *q = calloc(1, sizeof(*q));
	int n = dns_name_len(qname, DNS_NAME_MAX);

	if (q == NULL || n < 0) {
		free(q);
		return NULL;
	}
	q->loop = loop;
	q->to = *to;
	memcpy(q->qname, qname, (size_t)n);
	q->qtype = qtype;
	q->qclass = qclass;
	q->o = *o;
	if (q->o.timeout_ms == 0)
		q->o.timeout_ms = 1000;
	if (q->o.tries < 1)
		q->o.tries = 1;
	q->tries_left = q->o.tries - 1;
	q->cb = cb;
	q->arg = arg;
	q->fd = -1;
	timer_init(&q->timer, on_timer, q);
	if (q->o.tcp) {
		/* connect errors come back through the callback */
		if (tcp_open(q) < 0) {
			free(q);
			return NULL;
		}
		return q;
	}
	if (udp_open(q) < 0) {
		free(q);
		return NULL;
	}
	loop_timer_start(loop, &q->timer, q->o.timeout_ms, 0);
	return q;
}
