/* dns_dig.c - "camada dig": one query printed in dig's layout, +short, +tcp,
 * +norec, -x, -f batch files, AXFR and IXFR over TCP (every message of the
 * stream printed), and +trace (dns_iter from the root hints, each response
 * it takes printed); dig's exit codes. Every query goes through dns_query
 * (a transfer through its own conn and frame) on the command's own loop,
 * which runs until the query is done.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/conn.h"
#include "core/file.h"
#include "core/frame.h"
#include "core/loop.h"
#include "core/sock.h"
#include "dns/dns_cache.h"
#include "dns/dns_dig.h"
#include "dns/dns_iter.h"
#include "dns/dns_query.h"
#include "dns/dns_resolver.h"
#include "dns/dns_stub.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define DEFAULT_HINTS "etc/zones/root.hints"
#define TRACE_MAX_STEPS 32		/* referrals */
#define TRACE_MAX_QUERIES 64		/* with the name servers' look-ups */
#define TRACE_DEPTH 4			/* nested look-ups of name servers */
#define TRACE_CACHE_BYTES (4 * 1024 * 1024)

struct dig {
	const char *server;		/* as given, NULL: resolv.conf */
	int port;
	struct sock_addr addr;
	char server_host[SOCK_ADDR_STRLEN];
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	int trace, tcp, norec, shortf;
	int ixfr;			/* ixfr=N given */
	uint32_t ixfr_serial;
	const char *hints;
	long timeout_ms;
	int tries;
	char cmdline[1024];
	struct loop *loop;
	uint8_t *arena_mem;
	struct dns_arena arena;
	uint8_t resp[DNS_MSG_MAX];
};

int
dns_dig_reverse_name(const char *addr, uint8_t out[DNS_NAME_MAX])
{
	char text[DNS_NAME_TEXT_MAX];
	uint8_t b[16];
	size_t off = 0;

	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa.", b[3],
		    b[2], b[1], b[0]);
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		static const char hex[] = "0123456789abcdef";
		for (int i = 15; i >= 0; i--) {
			text[off++] = hex[b[i] & 0xf];
			text[off++] = '.';
			text[off++] = hex[b[i] >> 4];
			text[off++] = '.';
		}
		snprintf(text + off, sizeof(text) - off, "ip6.arpa.");
	} else {
		return -1;
	}
	return dns_name_from_text(text, strlen(text), (const uint8_t *)"",
	    out, NULL);
}

/* The first nameserver of /etc/resolv.conf (dns_stub's reader), or
 * 127.0.0.1 when there is none, as dig does. */
static void
resolv_conf_server(struct sock_addr *out)
{
	char err[DNS_STUB_ERR_LEN];

	if (dns_stub_system_server(NULL, out, err, sizeof(err)) < 0 &&
	    sock_parse_host("127.0.0.1", 53, out, err) < 0)
		memset(out, 0, sizeof(*out));
}

/* @SERVER given as a name: dns_stub on the command's loop (the hosts
 * file, then the system's resolver), as getaddrinfo would. */
struct server_lookup {
	int done, n;
	struct sock_addr addr;
};

static void
on_server(void *arg, int n, const struct sock_addr *a, const char *err)
{
	struct server_lookup *l = arg;

	l->done = 1;
	l->n = n;
	if (n > 0)
		l->addr = a[0];
}

/* 0 and *out, or -1 (not found, or the loop failed). */
static int
lookup_server(struct loop *loop, const char *name, int port,
    struct sock_addr *out)
{
	struct dns_stub_conf conf;
	struct server_lookup l;
	struct dns_stub *s;

	memset(&conf, 0, sizeof(conf));
	memset(&l, 0, sizeof(l));
	s = dns_stub_start(loop, &conf, name, port, on_server, &l);
	if (s == NULL)
		return -1;
	while (!l.done)
		if (loop_once(loop, 1000) < 0) {
			/* the lookup must not outlive l */
			dns_stub_cancel(s);
			return -1;
		}
	/* the lookup's queries free themselves from the loop */
	for (int i = 0; i < 100 && conn_count() > 0; i++)
		loop_once(loop, 10);
	loop_once(loop, 0);
	if (l.n <= 0)
		return -1;
	*out = l.addr;
	return 0;
}

/* ---- asking: dns_query on the command's own loop ---- */

struct ask {
	struct dig *d;
	int done;
	enum dns_query_status st;
	int len;
	int via_tcp;
};

static void
on_answer(void *arg, enum dns_query_status st, const uint8_t *msg, size_t n,
    int tcp)
{
	struct ask *a = arg;

	a->done = 1;
	a->st = st;
	a->via_tcp = tcp;
	if (st == DNS_QUERY_OK && n <= sizeof(a->d->resp)) {
		memcpy(a->d->resp, msg, n);
		a->len = (int)n;
	}
}

/* Sends a query for name/type to `to` through dns_query (UDP tries, TCP
 * on TC or with +tcp) and runs the loop until it ends; the response lands
 * in d->resp. Returns its length, or -1 (no answer: *st says why).
 * *via_tcp tells how it came. */
static int
exchange(struct dig *d, const struct sock_addr *to, const uint8_t *name,
    uint16_t type, int rd, int *via_tcp, enum dns_query_status *st)
{
	struct dns_query_opts o;
	struct dns_query *q;
	struct ask a;

	memset(&a, 0, sizeof(a));
	a.d = d;
	a.len = -1;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = (uint64_t)d->timeout_ms;
	o.tries = d->tries;
	o.edns_size = 1232;
	o.rd = rd;
	o.tcp = d->tcp;
	*via_tcp = d->tcp;
	*st = DNS_QUERY_ERROR;
	q = dns_query_start(d->loop, to, name, type, d->qclass, &o, on_answer,
	    &a);
	if (q == NULL)
		return -1;
	while (!a.done)
		if (loop_once(d->loop, 1000) < 0) {
			/* the query must not outlive a (on this stack) */
			dns_query_cancel(q);
			return -1;
		}
	/* let the query free itself (and a TCP conn reach CLOSED) */
	for (int i = 0; i < 100 && conn_count() > 0; i++)
		loop_once(d->loop, 10);
	loop_once(d->loop, 0);
	*via_tcp = a.via_tcp;
	*st = a.st;
	if (a.st != DNS_QUERY_OK)
		return -1;
	if (a.via_tcp && !d->tcp)
		fprintf(stderr, ";; Truncated, retrying in TCP mode.\n");
	return a.len;
}

/* ---- printing ---- */

static void
print_rrs(const struct dns_msg *m, enum dns_section sec, int shortf)
{
	static char line[DNS_RR_TEXT_MAX];

	for (unsigned i = 0; i < m->count[sec]; i++) {
		const struct dns_rr *rr = &m->rr[sec][i];
		if (shortf) {
			if (dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen,
			    line, sizeof(line)) >= 0)
				printf("%s\n", line);
		} else if (dns_rr_to_text(rr, line, sizeof(line)) >= 0) {
			printf("%s\n", line);
		}
	}
}

static void
print_full(struct dig *d, const struct dns_msg *m, int len, uint64_t ms,
    int via_tcp)
{
	static const char *secname[3] = { "ANSWER", "AUTHORITY", "ADDITIONAL" };
	char op[16], rc[16], when[128], q[DNS_RR_TEXT_MAX];
	time_t now = time(NULL);
	struct tm tm;

	dns_opcode_to_text(m->opcode, op, sizeof(op));
	dns_rcode_to_text(m->rcode, rc, sizeof(rc));
	printf(";; Got answer:\n");
	printf(";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n", op, rc, m->id);
	printf(";; flags:%s%s%s%s%s%s%s; QUERY: %u, ANSWER: %u, AUTHORITY: %u, "
	    "ADDITIONAL: %u\n",
	    m->flags & DNS_FLAG_QR ? " qr" : "",
	    m->flags & DNS_FLAG_AA ? " aa" : "",
	    m->flags & DNS_FLAG_TC ? " tc" : "",
	    m->flags & DNS_FLAG_RD ? " rd" : "",
	    m->flags & DNS_FLAG_RA ? " ra" : "",
	    m->flags & DNS_FLAG_AD ? " ad" : "",
	    m->flags & DNS_FLAG_CD ? " cd" : "",
	    m->qdcount, m->count[0], m->count[1],
	    m->count[2] + (m->has_edns ? 1 : 0));
	if (d->norec == 0 && !(m->flags & DNS_FLAG_RA))
		printf(";; WARNING: recursion requested but not available\n");
	printf("\n");
	if (m->has_edns) {
		printf(";; OPT PSEUDOSECTION:\n");
		printf("; EDNS: version: %u, flags:%s; udp: %u\n",
		    m->edns.version, m->edns.flags & DNS_EDNS_DO ? " do" : "",
		    m->edns.udp_size);
	}
	if (m->qdcount) {
		printf(";; QUESTION SECTION:\n");
		for (unsigned i = 0; i < m->qdcount; i++)
			if (dns_question_to_text(&m->qd[i], q, sizeof(q)) >= 0)
				printf("%s\n", q);
		printf("\n");
	}
	for (int s = 0; s < 3; s++) {
		if (m->count[s] == 0)
			continue;
		printf(";; %s SECTION:\n", secname[s]);
		print_rrs(m, (enum dns_section)s, 0);
		printf("\n");
	}
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Z %Y", &tm);
	printf(";; Query time: %llu msec\n", (unsigned long long)ms);
	printf(";; SERVER: %s#%d(%s) (%s)\n", d->server_host,
	    sock_addr_port(&d->addr), d->server ? d->server : d->server_host,
	    via_tcp ? "TCP" : "UDP");
	printf(";; WHEN: %s\n", when);
	printf(";; MSG SIZE  rcvd: %d\n\n", len);
}

/* ---- one query ---- */

static int
dig_one(struct dig *d)
{
	enum dns_query_status st;
	struct dns_msg m;
	uint64_t t0 = clock_mono_ms();
	int via_tcp, n;

	n = exchange(d, &d->addr, d->qname, d->qtype, !d->norec, &via_tcp,
	    &st);
	if (n < 0) {
		char qn[DNS_NAME_TEXT_MAX];
		/* dig 9.18's words. DNS_QUERY_ERROR is the last try refused
		 * (ICMP, or the TCP connect), or an exchange that could not
		 * be made at all; either way nobody answered there. */
		if (st == DNS_QUERY_TIMEOUT) {
			printf(";; communications error to %s#%d: timed out\n",
			    d->server_host, sock_addr_port(&d->addr));
		} else if (via_tcp) {
			dns_name_to_text(d->qname, qn, sizeof(qn));
			if (strcmp(qn, ".") != 0 && qn[0] != '\0')
				qn[strlen(qn) - 1] = '\0';
			printf(";; Connection to %s#%d(%s) for %s failed: "
			    "connection refused.\n", d->server_host,
			    sock_addr_port(&d->addr), d->server ? d->server :
			    d->server_host, qn);
		} else {
			printf(";; communications error to %s#%d: connection "
			    "refused\n", d->server_host,
			    sock_addr_port(&d->addr));
		}
		printf(";; no servers could be reached\n");
		return 9;
	}
	dns_arena_reset(&d->arena);
	if (dns_msg_parse(d->resp, (size_t)n, &m, &d->arena) < 0) {
		printf(";; Got bad packet: %s\n", m.err ? m.err : "malformed");
		return 9;
	}
	if (d->shortf)
		print_rrs(&m, DNS_SEC_ANSWER, 1);
	else
		print_full(d, &m, n, clock_mono_ms() - t0, via_tcp);
	return 0;
}

/* ---- AXFR and IXFR: a stream of messages on one TCP connection ---- */

static const struct frame_fmt xfr_fmt = FRAME_FMT_DNS_TCP(DNS_MSG_MAX + 2);

struct xfr {
	struct dig *d;
	struct conn *c;			/* NULL after CLOSED */
	uint16_t id;
	int done;			/* rc is set */
	int rc;
	const char *why;		/* the failure, for dig's message */
	unsigned records, messages;
	uint64_t bytes;
	uint32_t serial;		/* the first SOA's */
	int soas;			/* SOAs with that serial seen */
	int incremental;		/* IXFR: the second record is an SOA */
	int up_to_date;			/* IXFR: the server's serial is not
					 * newer than ours */
};

/* The query: AXFR, or IXFR with the client's SOA in the authority
 * section (RFC 1995 §3; only the serial matters to the server). */
static int
xfr_build(const struct xfr *x, uint8_t *buf, size_t max)
{
	struct dns_msg_builder b;
	uint8_t soa[22];
	struct dns_rr rr;

	if (dns_build_init(&b, buf, max) != DNS_OK)
		return -1;
	b.id = x->id;
	if (dns_build_question(&b, x->d->qname, x->d->qtype,
	    x->d->qclass) != DNS_OK)
		return -1;
	if (x->d->qtype == DNS_T_IXFR) {
		memset(soa, 0, sizeof(soa));	/* mname ".", rname "." */
		soa[2] = (uint8_t)(x->d->ixfr_serial >> 24);
		soa[3] = (uint8_t)(x->d->ixfr_serial >> 16);
		soa[4] = (uint8_t)(x->d->ixfr_serial >> 8);
		soa[5] = (uint8_t)x->d->ixfr_serial;
		memset(&rr, 0, sizeof(rr));
		rr.owner = x->d->qname;
		rr.owner_len = (uint16_t)dns_name_len(x->d->qname,
		    DNS_NAME_MAX);
		rr.type = DNS_T_SOA;
		rr.rclass = x->d->qclass;
		rr.rdlen = sizeof(soa);
		rr.rdata = soa;
		if (dns_build_rr(&b, DNS_SEC_AUTHORITY, &rr) != DNS_OK)
			return -1;
	}
	return dns_build_finish(&b);
}

/* Serial a <= b in RFC 1982 arithmetic. */
static int
serial_le(uint32_t a, uint32_t b)
{
	return a == b || (int32_t)(b - a) > 0;
}

static void
xfr_end(struct xfr *x, int rc, const char *why)
{
	if (x->done)
		return;
	x->done = 1;
	x->rc = rc;
	x->why = why;
	if (x->c)
		conn_abort(x->c);
}

/* One message of the transfer: its answer records printed; 1 when the
 * transfer is over, 0 for more, -1 (x ended) when it failed. */
static int
xfr_message(struct xfr *x, const uint8_t *p, size_t n)
{
	struct dig *d = x->d;
	struct dns_msg m;

	dns_arena_reset(&d->arena);
	if (dns_msg_parse(p, n, &m, &d->arena) < 0 || m.id != x->id ||
	    !(m.flags & DNS_FLAG_QR)) {
		xfr_end(x, 9, "bad packet");
		return -1;
	}
	if (m.rcode != DNS_RCODE_NOERROR) {
		/* REFUSED, NOTAUTH...: dig says only this */
		printf("; Transfer failed.\n");
		xfr_end(x, 0, NULL);
		return -1;
	}
	x->messages++;
	x->bytes += n;
	for (unsigned i = 0; i < m.count[DNS_SEC_ANSWER]; i++) {
		const struct dns_rr *rr = &m.rr[DNS_SEC_ANSWER][i];
		static char line[DNS_RR_TEXT_MAX];
		int soa = rr->type == DNS_T_SOA && rr->rdlen >= 20;
		uint32_t serial = 0;

		if (soa) {
			const uint8_t *s = rr->rdata + rr->rdlen - 20;
			serial = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
			    (uint32_t)s[2] << 8 | s[3];
		}
		if (x->records == 0) {
			if (!soa) {
				xfr_end(x, 9, "the first record is not the "
				    "zone's SOA");
				return -1;
			}
			x->serial = serial;
			/* as dig: the transfer ends at this record, though
			 * the rest of the message is printed */
			x->up_to_date = d->qtype == DNS_T_IXFR &&
			    serial_le(serial, d->ixfr_serial);
		} else if (x->records == 1 && d->qtype == DNS_T_IXFR &&
		    soa && serial != x->serial) {
			x->incremental = 1;
		}
		if (x->records == 0 || !x->up_to_date)
			x->records++;
		if (d->shortf) {
			if (dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen,
			    line, sizeof(line)) >= 0)
				printf("%s\n", line);
		} else if (dns_rr_to_text(rr, line, sizeof(line)) >= 0) {
			printf("%s\n", line);
		}
		if (soa && serial == x->serial)
			x->soas++;
	}
	/* AXFR (and IXFR answered with the whole zone): SOA ... SOA.
	 * IXFR: new SOA, then (old SOA, deletions, SOA, additions)..., new
	 * SOA; or one SOA not newer than ours (we are up to date). */
	if (x->soas >= (x->incremental ? 3 : 2) || x->up_to_date)
		return 1;
	return 0;
}

static void
on_xfr(struct conn *c, enum conn_ev ev, void *arg)
{
	struct xfr *x = arg;
	uint8_t pkt[DNS_NAME_MAX * 2 + 64];
	struct frame fr;
	int len, r;

	switch (ev) {
	case CONN_EV_CONNECTED:
		len = xfr_build(x, pkt, sizeof(pkt));
		if (len < 0 || frame_write(c, &xfr_fmt, NULL, pkt,
		    (size_t)len) < 0)
			xfr_end(x, 10, "cannot build the query");
		break;
	case CONN_EV_DATA:
		while (!x->done && (r = frame_next(&xfr_fmt, buf_data(&c->in),
		    c->in.len, &fr)) != PARSE_AGAIN) {
			if (r < 0) {
				xfr_end(x, 9, "bad length");
				break;
			}
			int k = xfr_message(x, fr.payload.p, fr.payload.n);
			if (k != 0) {
				if (k > 0)
					xfr_end(x, 0, NULL);
				break;
			}
			buf_consume(&c->in, (size_t)r);
		}
		break;
	case CONN_EV_TIMEOUT:
		xfr_end(x, 9, "timed out");
		break;
	case CONN_EV_EOF:
		xfr_end(x, 9, x->messages ? "end of file" :
		    "connection refused");
		break;
	case CONN_EV_ERROR:
		xfr_end(x, 9, x->messages ? "connection reset" :
		    "connection refused");
		break;
	case CONN_EV_CLOSED:
		x->c = NULL;
		xfr_end(x, 9, "end of file");
		break;
	default:
		break;
	}
}

static int
dig_xfr(struct dig *d)
{
	struct conn_limits lim;
	char err[SOCK_ERR_LEN], qn[DNS_NAME_TEXT_MAX];
	uint64_t t0 = clock_mono_ms();
	struct xfr x;

	memset(&x, 0, sizeof(x));
	x.d = d;
	x.id = dns_random16();
	conn_limits_default(&lim);
	lim.in_max = 4 * (DNS_MSG_MAX + 2);
	lim.timeout_ms = (uint64_t)d->timeout_ms * 5;	/* between reads */
	lim.linger_ms = 0;
	x.c = conn_connect(d->loop, &d->addr, (uint64_t)d->timeout_ms, &lim,
	    on_xfr, &x, err);
	if (x.c == NULL) {
		x.done = 1;
		x.rc = 9;
		x.why = err;	/* no socket, no route: before any packet */
	}
	/* until the end and the conn's CLOSED: x is on this stack */
	while (!x.done || x.c)
		if (loop_once(d->loop, 1000) < 0) {
			if (x.c)
				conn_abort(x.c);
			for (int i = 0; i < 100 && x.c; i++)
				loop_once(d->loop, 10);
			return 10;
		}
	if (x.rc == 9) {
		dns_name_to_text(d->qname, qn, sizeof(qn));
		if (strcmp(qn, ".") != 0 && qn[0] != '\0')
			qn[strlen(qn) - 1] = '\0';
		if (x.messages == 0 && strcmp(x.why, "timed out") != 0)
			printf(";; Connection to %s#%d(%s) for %s failed: "
			    "%s.\n", d->server_host, sock_addr_port(&d->addr),
			    d->server ? d->server : d->server_host, qn, x.why);
		else
			printf(";; communications error to %s#%d: %s\n",
			    d->server_host, sock_addr_port(&d->addr), x.why);
		/* dig's words: nobody answered, or a stream broke */
		printf(x.messages == 0 ? ";; no servers could be reached\n" :
		    "; Transfer failed.\n");
		return 9;
	}
	if (x.rc == 0 && x.records > 0 && !d->shortf) {
		char when[128];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Z %Y", &tm);
		printf(";; Query time: %llu msec\n",
		    (unsigned long long)(clock_mono_ms() - t0));
		printf(";; SERVER: %s#%d(%s) (TCP)\n", d->server_host,
		    sock_addr_port(&d->addr), d->server ? d->server :
		    d->server_host);
		printf(";; WHEN: %s\n", when);
		printf(";; XFR size: %u records (messages %u, bytes %llu)\n\n",
		    x.records, x.messages, (unsigned long long)x.bytes);
	}
	return x.rc;
}

/* ---- +trace: dns_iter, the resolver's iterator, step by step ---- */

/* One response of the walk, as dig +trace shows it. */
static void
print_step(struct dig *d, const struct dns_msg *m, int n,
    const struct dns_iter_out *out, uint64_t dt)
{
	char host[SOCK_ADDR_STRLEN], nm[DNS_NAME_TEXT_MAX];

	for (int s = 0; s < 3; s++)
		print_rrs(m, (enum dns_section)s, 0);
	sock_addr_host(&out->addr, host, sizeof(host));
	if (out->ns_name)
		dns_name_to_text(out->ns_name, nm, sizeof(nm));
	else
		snprintf(nm, sizeof(nm), "%s", host);
	printf(";; Received %d bytes from %s#%d(%s) in %llu ms\n\n", n, host,
	    sock_addr_port(&out->addr), nm, (unsigned long long)dt);
}

/* Drives the iterator for d's question; the name servers' own addresses
 * (glueless delegations) are looked up by sub-iterations, not shown.
 * Like dig, the walk stops at a CNAME that leads out of the zone.
 * Returns 0 for an answer or a negative answer, 9 when the walk found no
 * answer (dig's "no reply"), 1 when it could not start. */
static int
walk(struct dig *d, const struct dns_iter_conf *cf, struct dns_cache *cache)
{
	struct dns_iter *it[TRACE_DEPTH];
	int depth = 0, sent = 0, rc = 1;

	if ((it[0] = malloc(sizeof(*it[0]))) == NULL)
		return 1;
	dns_iter_init(it[0], cf, cache, d->qname, d->qtype, d->qclass);
	it[0]->sent = &sent;
	depth = 1;
	for (;;) {
		struct dns_iter *top = it[depth - 1];
		struct dns_iter_out out;
		enum dns_iter_action act = dns_iter_next(top, clock_mono_ms(),
		    &out);

		if (act == DNS_ITER_SEND) {
			enum dns_query_status st;
			struct dns_msg m;
			uint64_t t0 = clock_mono_ms();
			int via_tcp, n = exchange(d, &out.addr, out.qname,
			    out.qtype, out.rd, &via_tcp, &st);
			uint64_t dt = clock_mono_ms() - t0;

			dns_arena_reset(&d->arena);
			if (n < 0 || dns_msg_parse(d->resp, (size_t)n, &m,
			    &d->arena) < 0) {
				dns_iter_fail(top);
				continue;
			}
			if (depth == 1)
				print_step(d, &m, n, &out, dt);
			dns_iter_answer(top, &m, clock_mono_ms());
			if (depth == 1 && top->step == DNS_ITER_STEP_CNAME) {
				rc = 0;
				break;
			}
			continue;
		}
		if (act == DNS_ITER_SUB) {
			struct dns_iter *sub;
			if (depth == TRACE_DEPTH ||
			    (sub = malloc(sizeof(*sub))) == NULL) {
				dns_iter_sub_done(top, NULL, clock_mono_ms());
				continue;
			}
			dns_iter_init(sub, cf, cache, out.qname, out.qtype,
			    out.qclass);
			sub->sent = &sent;
			it[depth++] = sub;
			continue;
		}
		if (depth > 1) {
			depth--;
			dns_iter_sub_done(it[depth - 1], top, clock_mono_ms());
			dns_iter_free(top);
			free(top);
			continue;
		}
		if (top->rcode == DNS_RCODE_NOERROR ||
		    top->rcode == DNS_RCODE_NXDOMAIN) {
			rc = 0;
		} else {
			printf(";; %s\n", top->why ? top->why :
			    "no name server of the zone answered");
			rc = 9;		/* dig's "no reply" */
		}
		break;
	}
	while (depth > 0) {
		dns_iter_free(it[--depth]);
		free(it[depth]);
	}
	return rc;
}

static int
dig_trace(struct dig *d)
{
	struct dns_iter_hints *h = malloc(sizeof(*h));
	struct dns_iter_conf cf;
	struct dns_cache *cache;
	char err[CONF_ERR_LEN];
	const char *from;
	int rc;

	if (h == NULL)
		return 1;
	/* the same root as the resolver's when none is named: the system's
	 * hints file, else the built-in IANA list */
	if (resolver_hints_load(h, d->hints, RESOLVER_SYSTEM_HINTS, d->port,
	    &from, err) < 0) {
		fprintf(stderr, "camada dig: %s\n", err);
		free(h);
		return 1;
	}
	cache = dns_cache_new(TRACE_CACHE_BYTES, 86400, 3600);
	if (cache == NULL) {
		free(h);
		return 1;
	}
	for (int i = 0; i < h->nns; i++) {
		char nm[DNS_NAME_TEXT_MAX];
		dns_name_to_text(h->ns[i], nm, sizeof(nm));
		printf(".\t\t\t3600000\tIN\tNS\t%s\n", nm);
	}
	printf(";; Root hints from %s\n\n", from);
	memset(&cf, 0, sizeof(cf));
	cf.hints = h;
	cf.port = d->port;
	cf.max_referrals = TRACE_MAX_STEPS;
	cf.max_cname = DNS_ITER_MAX_CNAME;
	cf.max_queries = TRACE_MAX_QUERIES;
	rc = walk(d, &cf, cache);
	dns_cache_free(cache);
	free(h);
	return rc;
}

/* ---- the command ---- */

static void
dig_usage(FILE *f)
{
	fprintf(f,
	    "usage: camada dig [@SERVER] [-p PORT] NAME [TYPE] [CLASS] [+trace] "
	    "[+tcp] [+norec] [+short]\n"
	    "       camada dig [@SERVER] -x ADDR\n"
	    "  @SERVER          the server to ask (default: the first nameserver "
	    "of /etc/resolv.conf)\n"
	    "  -p PORT          its port (default 53; with +trace, every "
	    "server's)\n"
	    "  -x ADDR          reverse look-up (PTR) of an IPv4 or IPv6 address\n"
	    "  -t TYPE, -c CLASS  the query type and class\n"
	    "  +trace           resolve from the root hints, showing each step\n"
	    "  --root-hints F   hints for +trace (default " DEFAULT_HINTS
	    " when present,\n"
	    "                   else " RESOLVER_SYSTEM_HINTS " or the built-in "
	    "root servers)\n"
	    "  +tcp             use TCP\n"
	    "  +norec           do not ask for recursion (RD off)\n"
	    "  +short           only the answers' data\n"
	    "  +time=S, +tries=N  timeout per try (seconds) and UDP tries\n"
	    "  -f FILE          one query per line of FILE (its arguments "
	    "after these)\n"
	    "  AXFR, IXFR       zone transfers (over TCP; IXFR with "
	    "ixfr=SERIAL)\n"
	    "Exit codes (dig's): 0 an answer came (NXDOMAIN too), 1 usage "
	    "(or a server\nname with no address), 8 a batch file that cannot "
	    "be read, 9 no server\nanswered, 10 an internal error.\n");
}

/* One run of dig: argv's query (a line of -f's file, or the command's). */
static int
dig_run(int argc, char **argv)
{
	struct dig *d = calloc(1, sizeof(*d));
	const char *name = NULL, *rev = NULL;
	char err[SOCK_ERR_LEN];
	int rc = 2, have_type = 0;
	size_t off = 0;

	if (d == NULL)
		return 10;
	d->port = 53;
	d->qtype = DNS_T_A;
	d->qclass = DNS_C_IN;
	d->timeout_ms = 2000;
	d->tries = 3;
	/* in a clone, the demo's hierarchy; elsewhere the real root */
	d->hints = access(DEFAULT_HINTS, R_OK) == 0 ? DEFAULT_HINTS : NULL;
	for (int i = 1; i < argc; i++) {
		int w = snprintf(d->cmdline + off, sizeof(d->cmdline) - off, " %s",
		    argv[i]);
		if (w < 0 || (size_t)w >= sizeof(d->cmdline) - off)
			break;
		off += (size_t)w;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			dig_usage(stdout);
			rc = 0;
			goto out;
		} else if (a[0] == '@') {
			d->server = a + 1;
		} else if (strcmp(a, "-p") == 0 || strcmp(a, "-x") == 0 ||
		    strcmp(a, "-t") == 0 || strcmp(a, "-c") == 0 ||
		    strcmp(a, "--root-hints") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "camada dig: %s needs a value\n", a);
				goto usage;
			}
			const char *v = argv[++i];
			if (a[1] == 'p') {
				char *end;
				long p = strtol(v, &end, 10);
				if (*end || p < 1 || p > 65535) {
					fprintf(stderr, "camada dig: bad port '%s'\n", v);
					goto usage;
				}
				d->port = (int)p;
			} else if (a[1] == 'x') {
				rev = v;
			} else if (a[1] == 't') {
				if (dns_type_from_text(v, strlen(v), &d->qtype) < 0) {
					fprintf(stderr, "camada dig: bad type '%s'\n", v);
					goto usage;
				}
				have_type = 1;
			} else if (a[1] == 'c') {
				if (dns_class_from_text(v, strlen(v), &d->qclass) < 0) {
					fprintf(stderr, "camada dig: bad class '%s'\n", v);
					goto usage;
				}
			} else {
				d->hints = v;
			}
		} else if (a[0] == '+') {
			const char *o = a + 1;
			int no = strncmp(o, "no", 2) == 0 && strcmp(o, "norec") != 0 &&
			    strcmp(o, "norecurse") != 0;
			if (no)
				o += 2;
			if (strcmp(o, "trace") == 0)
				d->trace = !no;
			else if (strcmp(o, "tcp") == 0 || strcmp(o, "vc") == 0)
				d->tcp = !no;
			else if (strcmp(o, "norec") == 0 || strcmp(o, "norecurse") == 0)
				d->norec = 1;
			else if (strcmp(o, "rec") == 0 || strcmp(o, "recurse") == 0)
				d->norec = no;
			else if (strcmp(o, "short") == 0)
				d->shortf = !no;
			else if (strncmp(o, "time=", 5) == 0 && atol(o + 5) > 0)
				d->timeout_ms = atol(o + 5) * 1000;
			else if (strncmp(o, "tries=", 6) == 0 && atoi(o + 6) > 0)
				d->tries = atoi(o + 6);
			else if (strncmp(o, "retry=", 6) == 0 &&
			    atoi(o + 6) >= 0)
				d->tries = atoi(o + 6) + 1;
			else {
				fprintf(stderr, "camada dig: unknown option '%s'\n", a);
				goto usage;
			}
		} else if (a[0] == '-') {
			fprintf(stderr, "camada dig: unknown option '%s'\n", a);
			goto usage;
		} else if (strncasecmp(a, "ixfr=", 5) == 0 && !have_type) {
			char *end;
			unsigned long v = strtoul(a + 5, &end, 10);
			if (*end || end == a + 5 || v > 0xffffffffUL) {
				fprintf(stderr, "camada dig: bad serial in "
				    "'%s'\n", a);
				goto usage;
			}
			d->qtype = DNS_T_IXFR;
			d->ixfr = 1;
			d->ixfr_serial = (uint32_t)v;
			have_type = 1;
		} else if (name == NULL && !rev) {
			name = a;
		} else if (!have_type &&
		    dns_type_from_text(a, strlen(a), &d->qtype) == 0) {
			have_type = 1;
		} else if (dns_class_from_text(a, strlen(a), &d->qclass) == 0) {
			/* a class */
		} else if (name == NULL) {
			name = a;
		} else {
			fprintf(stderr, "camada dig: unexpected argument '%s'\n", a);
			goto usage;
		}
	}
	if (rev) {
		if (dns_dig_reverse_name(rev, d->qname) < 0) {
			fprintf(stderr, "camada dig: -x %s: not an address\n", rev);
			goto usage;
		}
		if (!have_type)
			d->qtype = DNS_T_PTR;
	} else {
		if (name == NULL)
			name = ".";
		if (!have_type && strcmp(name, ".") == 0)
			d->qtype = DNS_T_NS;
		if (dns_name_from_text(name, strlen(name), (const uint8_t *)"",
		    d->qname, NULL) < 0) {
			/* dig: fatal(), exit 10, no usage text */
			fprintf(stderr, "camada dig: '%s' is not a legal "
			    "name\n", name);
			rc = 10;
			goto out;
		}
	}
	if (d->qtype == DNS_T_IXFR && !d->ixfr) {
		/* dig's words, and it asks for A instead */
		fprintf(stderr, ";; Warning, ixfr requires a serial number\n");
		d->qtype = DNS_T_A;
	}
	/* zone transfers go over TCP by themselves, as dig's */
	if (d->qtype == DNS_T_AXFR || d->qtype == DNS_T_IXFR)
		d->tcp = 1;
	d->arena_mem = malloc(DNS_ARENA_SIZE);
	d->loop = loop_new();
	if (d->arena_mem == NULL || d->loop == NULL) {
		rc = 10;
		goto out;
	}
	dns_arena_init(&d->arena, d->arena_mem, DNS_ARENA_SIZE);
	if (d->trace) {
		if (!d->shortf)
			printf("\n; <<>> camada dig <<>>%s\n;; global options: "
			    "+cmd\n", d->cmdline);
		rc = dig_trace(d);
		goto out;
	}
	if (d->server == NULL) {
		resolv_conf_server(&d->addr);
		if (d->addr.len == 0) {
			fprintf(stderr, "camada dig: /etc/resolv.conf: no "
			    "server\n");
			rc = 1;
			goto out;
		}
	} else if (sock_parse_host(d->server, d->port, &d->addr, err) < 0 &&
	    lookup_server(d->loop, d->server, d->port, &d->addr) < 0) {
		/* not an address ("::1" and "[::1]" are: dns_stub takes IP
		 * literals too), and no address for the name */
		fprintf(stderr, "camada dig: couldn't get address for '%s': "
		    "not found\n", d->server);
		rc = 1;	/* dig 9.18 too */
		goto out;
	}
	sock_addr_set_port(&d->addr, d->port);
	sock_addr_host(&d->addr, d->server_host, sizeof(d->server_host));
	if (!d->shortf)
		printf("\n; <<>> camada dig <<>>%s\n;; global options: +cmd\n",
		    d->cmdline);
	rc = d->qtype == DNS_T_AXFR || d->qtype == DNS_T_IXFR ? dig_xfr(d) :
	    dig_one(d);
	goto out;
usage:
	dig_usage(stderr);
	rc = 1;
out:
	if (d->loop)
		loop_free(d->loop);
	free(d->arena_mem);
	free(d);
	return rc;
}

/* The longest line of a -f file, and the most words on it. */
#define DIG_BATCH_LINE 4096
#define DIG_BATCH_ARGS 64
#define DIG_BATCH_MAX (16 * 1024 * 1024)

/* -f FILE: each line is a query with its own arguments, after those of
 * the command line (as dig's batch mode). Returns the worst exit code. */
static int
dig_batch(int argc, char **argv, int fi)
{
	const char *file = argv[fi + 1];
	char err[512], *text = NULL, *line, *save = NULL;
	size_t len = 0;
	int rc = 0;

	if (file_read_all(file, DIG_BATCH_MAX, &text, &len, NULL, err,
	    sizeof(err)) < 0) {
		/* dig 9.18's words and code (its man page's 8, not the
		 * 10 of fatal()) */
		fprintf(stderr, "%s: %s\ncamada dig: couldn't open specified "
		    "batch file\n", file, err);
		return 8;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *av[DIG_BATCH_ARGS + 64], *w, *ws = NULL;
		int ac = 0, r;

		for (int i = 0; i < argc && ac < 64; i++)
			if (i != fi && i != fi + 1)
				av[ac++] = argv[i];
		for (w = strtok_r(line, " \t\r", &ws); w != NULL &&
		    ac < DIG_BATCH_ARGS + 63; w = strtok_r(NULL, " \t\r", &ws))
			av[ac++] = w;
		if (ac == argc - 2 || line[0] == '#' || line[0] == ';')
			continue;	/* a blank line or a comment */
		av[ac] = NULL;
		r = dig_run(ac, av);
		if (r > rc)
			rc = r;
	}
	free(text);
	return rc;
}

int
dig_main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") != 0)
			continue;
		if (i + 1 >= argc) {
			fprintf(stderr, "camada dig: -f needs a value\n");
			dig_usage(stderr);
			return 1;
		}
		return dig_batch(argc, argv, i);
	}
	return dig_run(argc, argv);
}
