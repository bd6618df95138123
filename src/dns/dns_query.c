/* dns_query.c - outgoing queries: UDP tries through the core's udp_rpc
 * (connected mode: a fresh port and ID per try), TCP on TC through frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conn.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/udp_rpc.h"
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
	uint16_t id;		/* the current try's */
	struct udp_rpc_call *call; /* the UDP tries, until they end */
	struct timer timer;	/* the TCP exchange's deadline */
	struct loop_task task;
	struct conn *c;
	int finished;		/* callback done or cancelled */
	int conn_open;		/* c not yet CLOSED */
	int freed_pending;
};

/* The id is the first two bytes of a response (QR set). */
static int
dns_txid_of(const uint8_t *p, size_t n, uint8_t *txid)
{
	if (n < DNS_HDR_LEN || !(dns_get16(p + 2) & DNS_FLAG_QR))
		return 0;
	memcpy(txid, p, 2);
	return 1;
}

static const struct udp_rpc_proto dns_proto = { 2, dns_txid_of };
/* Every query of this process goes through one engine in connected mode:
 * it holds no socket, only the protocol and the counts. */
static struct udp_rpc rpc;
static int rpc_ready;

static const struct frame_fmt tcp_fmt = FRAME_FMT_DNS_TCP(DNS_MSG_MAX + 2);

uint64_t
dns_query_dropped(void)
{
	return rpc.stats.mismatch + rpc.stats.late;
}

uint16_t
dns_random16(void)
{
	uint16_t v;

	udp_rpc_random(&v, sizeof(v));
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
end(struct dns_query *q)
{
	udp_rpc_cancel(q->call);
	q->call = NULL;
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

/* ---- UDP, through udp_rpc ---- */

static int
udp_build(void *arg, const uint8_t *txid, int try_no, uint8_t *buf,
    size_t max)
{
	struct dns_query *q = arg;
	int len;

	q->id = dns_get16(txid);
	len = dns_query_build(buf, max, q->id, q->qname, q->qtype, q->qclass,
	    q->o.rd, q->o.edns_size);
	if (len >= 0 && log_get_level() >= LOG_DEBUG) {
		char name[DNS_NAME_TEXT_MAX], type[16], dst[SOCK_ADDR_STRLEN];
		dns_name_to_text(q->qname, name, sizeof(name));
		dns_type_to_text(q->qtype, type, sizeof(type));
		log_debug("resolver: upstream query %s %s to %s id %u (udp)",
		    name, type, sock_addr_str(&q->to, dst, sizeof(dst)), q->id);
	}
	return len;
}

static int
udp_match(void *arg, const uint8_t *p, size_t n)
{
	struct dns_query *q = arg;

	return dns_query_matches(p, n, q->id, q->qname, q->qtype, q->qclass);
}

static void
udp_drop(void *arg, const struct sock_addr *from)
{
	struct dns_query *q = arg;
	char a[SOCK_ADDR_STRLEN];

	log_debug("resolver: dropped a datagram from %s that does not answer "
	    "query id %u", sock_addr_str(from, a, sizeof(a)), q->id);
}

static int tcp_open(struct dns_query *q);

static void
udp_done(void *arg, enum udp_rpc_status st, const uint8_t *p, size_t n)
{
	struct dns_query *q = arg;

	q->call = NULL;
	if (st == UDP_RPC_TIMEOUT) {
		deliver(q, DNS_QUERY_TIMEOUT, NULL, 0, 0);
	} else if (st != UDP_RPC_OK) {
		deliver(q, DNS_QUERY_ERROR, NULL, 0, 0);
	} else if (dns_get16(p + 2) & DNS_FLAG_TC) {
		if (tcp_open(q) < 0)
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
	} else {
		deliver(q, DNS_QUERY_OK, p, n, 0);
	}
}

/* ---- TCP (RFC 1035 4.2.2 framing, through frame) ---- */

static void on_tcp(struct conn *c, enum conn_ev ev, void *arg);

static int
tcp_open(struct dns_query *q)
{
	struct conn_limits lim;
	char err[SOCK_ERR_LEN];

	conn_limits_default(&lim);
	lim.in_max = DNS_MSG_MAX + 2;
	lim.timeout_ms = q->o.timeout_ms;
	q->id = dns_random16();
	/* the exchange's deadline first: a conn with no deadline could
	 * trickle bytes forever (conn's own timeout is per read) */
	if (loop_timer_start(q->loop, &q->timer, q->o.timeout_ms * 2, 0) < 0)
		return -1;
	q->c = conn_connect(q->loop, &q->to, q->o.timeout_ms, &lim, on_tcp, q,
	    err);
	if (q->c == NULL) {
		loop_timer_stop(q->loop, &q->timer);
		return -1;
	}
	q->conn_open = 1;
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
	struct frame fr;
	int len, r;

	switch (ev) {
	case CONN_EV_CONNECTED:
		len = dns_query_build(pkt, sizeof(pkt), q->id, q->qname,
		    q->qtype, q->qclass, q->o.rd, q->o.edns_size);
		if (len < 0 || frame_write(c, &tcp_fmt, NULL, pkt,
		    (size_t)len) < 0)
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
		break;
	case CONN_EV_DATA:
		if (q->finished)
			break;
		r = frame_next(&tcp_fmt, buf_data(&c->in), c->in.len, &fr);
		if (r == PARSE_AGAIN)
			break;
		if (r < 0 || !dns_query_matches(fr.payload.p, fr.payload.n,
		    q->id, q->qname, q->qtype, q->qclass)) {
			deliver(q, DNS_QUERY_ERROR, NULL, 0, 1);
			break;
		}
		deliver(q, DNS_QUERY_OK, fr.payload.p, fr.payload.n, 1);
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
on_timer(struct loop *loop, struct timer *t, void *arg)
{
	struct dns_query *q = arg;

	deliver(q, DNS_QUERY_TIMEOUT, NULL, 0, 1);
}

struct dns_query *
dns_query_start(struct loop *loop, const struct sock_addr *to,
    const uint8_t *qname, uint16_t qtype, uint16_t qclass,
    const struct dns_query_opts *o, dns_query_cb *cb, void *arg)
{
	struct dns_query *q = calloc(1, sizeof(*q));
	int n = dns_name_len(qname, DNS_NAME_MAX);
	struct udp_rpc_req req;

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
	q->cb = cb;
	q->arg = arg;
	timer_init(&q->timer, on_timer, q);
	if (q->o.tcp) {
		/* connect errors come back through the callback */
		if (tcp_open(q) < 0) {
			free(q);
			return NULL;
		}
		return q;
	}
	if (!rpc_ready) {
		udp_rpc_init(&rpc, &dns_proto, UDP_RPC_CONNECTED);
		rpc_ready = 1;
	}
	memset(&req, 0, sizeof(req));
	req.to = *to;
	req.timeout_ms = q->o.timeout_ms;
	req.backoff = 1;	/* the resolver's timing, as it always was */
	req.tries = q->o.tries;
	req.build = udp_build;
	req.match = udp_match;
	req.done = udp_done;
	req.drop = udp_drop;
	req.arg = q;
	q->call = udp_rpc_start(&rpc, loop, &req);
	if (q->call == NULL) {
		free(q);
		return NULL;
	}
	return q;
}
