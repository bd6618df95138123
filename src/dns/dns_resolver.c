/* dns_resolver.c - the recursive caching resolver as a camada service.
 *
 * One cache for all workers, made by setup in the parent (a dns_cache over
 * shared memory: a name one worker fetched is a hit on the others, and its
 * TTL counts down whichever worker answers). Per worker: one arena to parse
 * messages in, and the client queries in flight. A client query is a stack
 * of dns_iter state machines: the question, and the sub-resolutions of name
 * server addresses it needed (glueless delegations), sharing one budget of
 * upstream queries and one deadline. The loop is never blocked: upstream
 * queries are dns_query objects on the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/cli.h"
#include "core/conn.h"
#include "core/file.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/session.h"
#include "core/udp.h"
#include "dns/dns_cache.h"
#include "dns/dns_iter.h"
#include "dns/dns_query.h"
#include "dns/dns_resolver.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define MAX_DEPTH 4		/* the question and nested NS look-ups */
#define CLIENT_DGRAM_MAX 4096

struct resolver_conf {
	struct conf_addrs listen;
	char *root_hints;
	long upstream_port;
	struct conf_strs allow;
	struct conf_addrs forward;
	size_t cache_size;
	uint64_t max_ttl;
	uint64_t max_negative_ttl;
	uint64_t upstream_timeout;
	long upstream_tries;
	uint64_t query_timeout;
	long max_referrals;
	long max_queries;
	long max_clients;
	uint64_t tcp_timeout;
	long edns_size;
	int tcp;
	int log_queries;
};

#define R(f) offsetof(struct resolver_conf, f)
static const struct conf_key resolver_keys[] = {
	{ "listen", CONF_ADDRS, R(listen), "127.0.0.1:5301", 0, 0,
	    "address to listen on, UDP and TCP (repeat for more)", 'l' },
	{ "root-hints", CONF_PATH, R(root_hints), NULL, 0, 0,
	    "the root name servers, in the named.root format (default: "
	    RESOLVER_SYSTEM_HINTS ", else the IANA hints built in)", 0 },
	{ "upstream-port", CONF_INT, R(upstream_port), "53", 1, 65535,
	    "the port every name server is asked on", 0 },
	{ "allow", CONF_STRS, R(allow), "127.0.0.0/8 ::1", 0, 0,
	    "clients served, ADDRESS[/BITS] (repeat); others get REFUSED", 0 },
	{ "forward", CONF_ADDRS, R(forward), NULL, 0, 0,
	    "send queries to this resolver (RD) instead of iterating (repeat)",
	    0 },
	{ "cache-size", CONF_SIZE, R(cache_size), "64m", 0, 0,
	    "memory for cached records, shared by all workers (LRU past it)",
	    0 },
	{ "max-ttl", CONF_MS, R(max_ttl), "1d", 0, 0,
	    "longest time a record is cached", 0 },
	{ "max-negative-ttl", CONF_MS, R(max_negative_ttl), "1h", 0, 0,
	    "longest time NXDOMAIN and NODATA are cached", 0 },
	{ "upstream-timeout", CONF_MS, R(upstream_timeout), "800ms", 0, 0,
	    "wait this long for a name server before a retry", 0 },
	{ "upstream-tries", CONF_INT, R(upstream_tries), "2", 1, 10,
	    "UDP tries per name server", 0 },
	{ "query-timeout", CONF_MS, R(query_timeout), "10s", 0, 0,
	    "a client query not resolved by then gets SERVFAIL", 0 },
	{ "max-referrals", CONF_INT, R(max_referrals), "16", 1, 100,
	    "referrals followed per name", 0 },
	{ "max-queries", CONF_INT, R(max_queries), "64", 1, 1000,
	    "upstream queries per client query (sub-resolutions included)", 0 },
	{ "max-clients", CONF_INT, R(max_clients), "10000", 1, 1000000,
	    "client queries in flight per worker (more get SERVFAIL)", 0 },
	{ "tcp-timeout", CONF_MS, R(tcp_timeout), "10s", 0, 0,
	    "close a TCP client silent for this long", 0 },
	{ "edns-size", CONF_INT, R(edns_size), "1232", 512, 4096,
	    "EDNS payload size advertised upstream and to clients", 0 },
	{ "tcp", CONF_BOOL, R(tcp), "on", 0, 0, "serve clients over TCP too", 0 },
	{ "log-queries", CONF_BOOL, R(log_queries), "off", 0, 0,
	    "log every query answered at info (off: at debug, as Unbound)", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

struct tsess;
struct rreq;

struct resolver_state {
	/* made by setup (parent), inherited by the workers */
	struct resolver_conf *cf;
	struct dns_iter_hints hints;
	struct dns_iter_conf icf;
	struct acl allow;
	/* per worker */
	struct loop *loop;
	struct dns_cache *cache;	/* made by setup, shared by workers */
	uint8_t *arena_mem;
	struct dns_arena arena;
	struct rreq *reqs;
	int nreqs;
	struct session_set set;		/* TCP clients */
};

/* A TCP client. Each of its queries in flight holds it (session_hold), so
 * it outlives its connection until the last answer is dropped. */
struct tsess {
	struct session base;		/* first; base.c is its conn */
	struct resolver_state *st;
	int pending;
	int eof;
};

struct rreq {
	struct resolver_state *st;
	struct rreq *prev, *next;
	struct tsess *ts;		/* TCP client, or NULL */
	struct udp_sock *u;		/* UDP: the listener it came on */
	struct sock_addr from;
	uint16_t id, cflags;
	uint8_t opcode;
	int has_edns;
	uint16_t payload;
	uint8_t qname[DNS_NAME_MAX];	/* as the client wrote it */
	uint16_t qtype, qclass;
	struct dns_iter *it[MAX_DEPTH];
	int depth;
	int sent;
	struct dns_query *q;
	struct timer deadline;
	uint64_t start;
};

static struct {
	int queries, hits, misses, upstream, entries, servfail, refused;
	int spoofed, bytes, evictions, repairs;
} m;
static uint64_t spoofed_seen; /* dns_query_dropped() already counted */

/* ---- set-up ---- */

/* The caches of the resolver instances, for the whole-cache metrics: read
 * when the metrics are rendered (in the parent or a worker), never summed
 * over workers, since every worker sees the same cache. */
static struct dns_cache *caches[SERVER_MAX_INSTANCES];

/* arg is the m field of the metric asking: which figure to sum. */
static int64_t
cache_figure(void *arg)
{
	uint64_t v = 0;

	for (int i = 0; i < SERVER_MAX_INSTANCES; i++) {
		struct shcache_stats cs;
		if (caches[i] == NULL)
			continue;
		dns_cache_stats(caches[i], &cs);
		v += arg == &m.entries ? cs.entries : arg == &m.bytes ?
		    cs.bytes : arg == &m.evictions ? cs.evictions : cs.repairs;
	}
	return (int64_t)v;
}

static int
allowed(const struct resolver_state *st, const struct sock_addr *a)
{
	return acl_match(&st->allow, a);
}

/* The IANA root hints, for a machine without Debian's dns-root-data: the
 * records of its named.root (2024071801, b.root's 2023 addresses). */
static const char builtin_hints[] =
    ".                    3600000  NS    A.ROOT-SERVERS.NET.\n"
    "A.ROOT-SERVERS.NET.  3600000  A     198.41.0.4\n"
    "A.ROOT-SERVERS.NET.  3600000  AAAA  2001:503:ba3e::2:30\n"
    ".                    3600000  NS    B.ROOT-SERVERS.NET.\n"
    "B.ROOT-SERVERS.NET.  3600000  A     170.247.170.2\n"
    "B.ROOT-SERVERS.NET.  3600000  AAAA  2801:1b8:10::b\n"
    ".                    3600000  NS    C.ROOT-SERVERS.NET.\n"
    "C.ROOT-SERVERS.NET.  3600000  A     192.33.4.12\n"
    "C.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:2::c\n"
    ".                    3600000  NS    D.ROOT-SERVERS.NET.\n"
    "D.ROOT-SERVERS.NET.  3600000  A     199.7.91.13\n"
    "D.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:2d::d\n"
    ".                    3600000  NS    E.ROOT-SERVERS.NET.\n"
    "E.ROOT-SERVERS.NET.  3600000  A     192.203.230.10\n"
    "E.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:a8::e\n"
    ".                    3600000  NS    F.ROOT-SERVERS.NET.\n"
    "F.ROOT-SERVERS.NET.  3600000  A     192.5.5.241\n"
    "F.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:2f::f\n"
    ".                    3600000  NS    G.ROOT-SERVERS.NET.\n"
    "G.ROOT-SERVERS.NET.  3600000  A     192.112.36.4\n"
    "G.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:12::d0d\n"
    ".                    3600000  NS    H.ROOT-SERVERS.NET.\n"
    "H.ROOT-SERVERS.NET.  3600000  A     198.97.190.53\n"
    "H.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:1::53\n"
    ".                    3600000  NS    I.ROOT-SERVERS.NET.\n"
    "I.ROOT-SERVERS.NET.  3600000  A     192.36.148.17\n"
    "I.ROOT-SERVERS.NET.  3600000  AAAA  2001:7fe::53\n"
    ".                    3600000  NS    J.ROOT-SERVERS.NET.\n"
    "J.ROOT-SERVERS.NET.  3600000  A     192.58.128.30\n"
    "J.ROOT-SERVERS.NET.  3600000  AAAA  2001:503:c27::2:30\n"
    ".                    3600000  NS    K.ROOT-SERVERS.NET.\n"
    "K.ROOT-SERVERS.NET.  3600000  A     193.0.14.129\n"
    "K.ROOT-SERVERS.NET.  3600000  AAAA  2001:7fd::1\n"
    ".                    3600000  NS    L.ROOT-SERVERS.NET.\n"
    "L.ROOT-SERVERS.NET.  3600000  A     199.7.83.42\n"
    "L.ROOT-SERVERS.NET.  3600000  AAAA  2001:500:9f::42\n"
    ".                    3600000  NS    M.ROOT-SERVERS.NET.\n"
    "M.ROOT-SERVERS.NET.  3600000  A     202.12.27.33\n"
    "M.ROOT-SERVERS.NET.  3600000  AAAA  2001:dc3::35\n";

/* A hints file is a page of text; a bigger one is not a hints file. */
#define HINTS_MAX (1024 * 1024)

int
resolver_hints_load(struct dns_iter_hints *h, const char *file,
    const char *system, int port, const char **from, char *err)
{
	char why[128], *text;
	size_t len;
	int rc;

	if (file == NULL || file[0] == '\0') {
		if (system == NULL || access(system, F_OK) < 0) {
			*from = "built-in";
			return dns_iter_hints_parse(h, "built-in root hints",
			    builtin_hints, sizeof(builtin_hints) - 1, port, err,
			    CONF_ERR_LEN);
		}
		file = system;
	}
	*from = file;
	if (file_read_all(file, HINTS_MAX, &text, &len, NULL, why,
	    sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "root-hints %s: %s", file, why);
		return -1;
	}
	rc = dns_iter_hints_parse(h, file, text, len, port, err, CONF_ERR_LEN);
	free(text);
	return rc;
}

static int
resolver_setup(struct instance *in, char *err)
{
	struct resolver_conf *cf = in->conf;
	struct resolver_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	in->state = st;
	st->cf = cf;
	m.queries = metric_counter("resolver_queries_total", "",
	    "client queries received by the resolver");
	m.hits = metric_counter("resolver_cache_hits_total", "",
	    "client queries answered from the cache alone");
	m.misses = metric_counter("resolver_cache_misses_total", "",
	    "client queries that needed upstream queries");
	m.upstream = metric_counter("resolver_upstream_queries_total", "",
	    "queries sent to name servers or forwarders");
	m.entries = metric_shared(METRIC_GAUGE, "resolver_cache_entries", "",
	    "entries in the resolver cache (all workers)", cache_figure,
	    &m.entries);
	m.bytes = metric_shared(METRIC_GAUGE, "resolver_cache_bytes", "",
	    "memory the resolver cache's entries take (all workers)",
	    cache_figure, &m.bytes);
	m.evictions = metric_shared(METRIC_COUNTER,
	    "resolver_cache_evictions_total", "",
	    "live entries dropped from the resolver cache to make room",
	    cache_figure, &m.evictions);
	m.repairs = metric_shared(METRIC_COUNTER,
	    "resolver_cache_repairs_total", "",
	    "cache shards wiped because a worker died holding their lock",
	    cache_figure, &m.repairs);
	m.servfail = metric_counter("resolver_servfail_total", "",
	    "client queries answered with SERVFAIL");
	m.refused = metric_counter("resolver_refused_total", "",
	    "client queries refused (client not allowed)");
	m.spoofed = metric_counter("resolver_upstream_dropped_total", "",
	    "datagrams dropped for not answering the query asked (wrong ID, "
	    "source or question)");
	{
		char why[CONF_ERR_LEN - 32];
		if (acl_from_strs(&st->allow, &cf->allow, why, sizeof(why)) < 0) {
			snprintf(err, CONF_ERR_LEN, "resolver: allow: %s", why);
			return -1;
		}
	}
	if (cf->forward.n == 0) {
		const char *from;
		if (resolver_hints_load(&st->hints, cf->root_hints,
		    RESOLVER_SYSTEM_HINTS, (int)cf->upstream_port, &from,
		    err) < 0)
			return -1;
		/* which root a resolver starts from is the first thing to
		 * know when every answer is SERVFAIL */
		log_info("resolver: root hints %s (%d server%s), name servers "
		    "asked on port %ld", from, st->hints.nns,
		    st->hints.nns == 1 ? "" : "s", cf->upstream_port);
	} else {
		for (int i = 0; i < cf->forward.n; i++)
			if (sock_addr_port(&cf->forward.a[i]) == 0)
				sock_addr_set_port(&cf->forward.a[i], 53);
	}
	st->cache = dns_cache_new(cf->cache_size, (uint32_t)(cf->max_ttl / 1000),
	    (uint32_t)(cf->max_negative_ttl / 1000));
	if (st->cache == NULL) {
		snprintf(err, CONF_ERR_LEN, "resolver: cache of %zu bytes: %s",
		    cf->cache_size, strerror(errno));
		return -1;
	}
	for (int i = 0; i < SERVER_MAX_INSTANCES; i++)
		if (caches[i] == NULL) {
			caches[i] = st->cache;
			break;
		}
	st->icf.hints = &st->hints;
	st->icf.port = (int)cf->upstream_port;
	st->icf.forward = cf->forward.a;
	st->icf.nforward = cf->forward.n;
	st->icf.max_referrals = (int)cf->max_referrals;
	st->icf.max_cname = DNS_ITER_MAX_CNAME;
	st->icf.max_queries = (int)cf->max_queries;
	for (int i = 0; i < cf->listen.n; i++) {
		if ((cf->tcp ? server_listen_both(in, &cf->listen.a[i], err) :
		    server_listen(in, &cf->listen.a[i], 1, err)) < 0)
			return -1;
	}
	return 0;
}

/* ---- answering clients ---- */

static void tsess_unref(struct tsess *ts);
/* Queries one TCP client may have in flight at once. */
#define TSESS_PENDING_MAX 32

static void
req_free(struct rreq *r)
{
	struct resolver_state *st = r->st;

	dns_query_cancel(r->q);
	r->q = NULL;
	loop_timer_stop(st->loop, &r->deadline);
	for (int i = 0; i < r->depth; i++) {
		dns_iter_free(r->it[i]);
		free(r->it[i]);
	}
	if (r->prev)
		r->prev->next = r->next;
	else
		st->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	st->nreqs--;
	if (r->ts)
		tsess_unref(r->ts);
	free(r);
}

static void
send_reply(struct rreq *r, const uint8_t *p, size_t n)
{
	if (r->ts) {
		uint8_t hdr[2];
		if (session_closed(&r->ts->base))
			return;
		dns_put16(hdr, (uint16_t)n);
		if (conn_write(r->ts->base.c, hdr, 2) < 0 ||
		    conn_write(r->ts->base.c, p, n) < 0)
			conn_abort(r->ts->base.c);
	} else if (r->u && r->u->active) {
		udp_send(r->u, p, n, &r->from);
	}
}

/* Builds and sends the answer; it (may be NULL) holds the records. */
static void
respond(struct rreq *r, uint16_t rcode, const struct dns_iter *it)
{
	struct resolver_state *st = r->st;
	uint8_t *buf = st->arena_mem; /* the arena is free between parses */
	struct dns_msg_builder b;
	struct dns_build_mark mk;
	/* over UDP: the client's EDNS size, but never more than our own
	 * edns-size (a large payload would make us an amplifier) */
	size_t max = DNS_UDP_MAX;
	if (r->ts)
		max = DNS_MSG_MAX;
	else if (r->has_edns && r->payload > DNS_UDP_MAX)
		max = r->payload < (size_t)st->cf->edns_size ? r->payload :
		    (size_t)st->cf->edns_size;
	struct dns_edns e;
	int len, full = 0;

	if (dns_build_init(&b, buf, max) != DNS_OK)
		return;
	b.id = r->id;
	b.opcode = r->opcode;
	b.flags = DNS_FLAG_QR | DNS_FLAG_RA | (r->cflags & (DNS_FLAG_RD |
	    DNS_FLAG_CD));
	b.rcode = rcode;
	if (r->has_edns && dns_build_reserve(&b, 11) != DNS_OK)
		return;
	if (r->qtype || r->qname[0] || r->qclass)
		if (dns_build_question(&b, r->qname, r->qtype, r->qclass) !=
		    DNS_OK)
			return;
	mk = dns_build_mark(&b);
	if (it) {
		size_t pos = 0;
		enum dns_section sec;
		struct dns_rr rr;
		/* answers first, then authority: the result is in that order */
		while (dns_iter_result_next(it, &pos, &sec, &rr)) {
			if (dns_build_rr(&b, sec, &rr) != DNS_OK) {
				full = 1;
				break;
			}
		}
		if (full) {
			dns_build_rollback(&b, &mk);
			b.flags |= DNS_FLAG_TC;
		}
	}
	if (r->has_edns) {
		memset(&e, 0, sizeof(e));
		e.udp_size = (uint16_t)st->cf->edns_size;
		if (dns_build_edns(&b, &e) != DNS_OK)
			return;
	}
	len = dns_build_finish(&b);
	if (len > 0)
		send_reply(r, buf, (size_t)len);
}

/* One line per answer, at info with log-queries = on; otherwise at debug,
 * since a busy resolver's log would be little else (Unbound's default). */
static void
log_query(struct rreq *r, uint16_t rcode, size_t nans, const char *why)
{
	char name[DNS_NAME_TEXT_MAX], type[16], rc[16], peer[SOCK_ADDR_STRLEN];
	enum log_level lv = r->st->cf->log_queries ? LOG_INFO : LOG_DEBUG;

	if (lv > log_get_level())
		return;
	dns_name_to_text(r->qname, name, sizeof(name));
	dns_type_to_text(r->qtype, type, sizeof(type));
	dns_rcode_to_text(rcode, rc, sizeof(rc));
	log_msg(lv, "resolver: %s %s %s %s answers=%zu upstream=%d %llums%s%s",
	    sock_addr_str(&r->from, peer, sizeof(peer)), name, type, rc, nans,
	    r->sent < 0 ? 0 : r->sent,
	    (unsigned long long)(loop_now(r->st->loop) - r->start),
	    why ? " " : "", why ? why : "");
}

static void
finish_req(struct rreq *r, uint16_t rcode, const struct dns_iter *it,
    const char *why)
{
	if (rcode == DNS_RCODE_SERVFAIL) {
		metric_inc(m.servfail);
		it = NULL;
	}
	if (r->sent >= 0)
		metric_inc(r->sent ? m.misses : m.hits);
	respond(r, rcode, it);
	log_query(r, rcode, it ? dns_iter_result_count(it, DNS_SEC_ANSWER) : 0,
	    why);
	req_free(r);
}

static void drive(struct rreq *r);

static void
on_upstream(void *arg, enum dns_query_status status, const uint8_t *msg,
    size_t n, int tcp)
{
	struct rreq *r = arg;
	struct resolver_state *st = r->st;
	struct dns_iter *top = r->it[r->depth - 1];
	struct dns_msg dm;

	r->q = NULL;
	if (dns_query_dropped() != spoofed_seen) {
		metric_add(m.spoofed, dns_query_dropped() - spoofed_seen);
		spoofed_seen = dns_query_dropped();
	}
	if (status != DNS_QUERY_OK) {
		dns_iter_fail(top);
	} else {
		dns_arena_reset(&st->arena);
		if (dns_msg_parse(msg, n, &dm, &st->arena) < 0)
			dns_iter_fail(top);
		else
			dns_iter_answer(top, &dm, loop_now(st->loop));
		dns_arena_reset(&st->arena);
	}
	drive(r);
}

static void
drive(struct rreq *r)
{
	struct resolver_state *st = r->st;

	for (;;) {
		struct dns_iter *top = r->it[r->depth - 1];
		struct dns_iter_out out;
		enum dns_iter_action act = dns_iter_next(top, loop_now(st->loop),
		    &out);

		if (act == DNS_ITER_SEND && !(r->cflags & DNS_FLAG_RD)) {
			/* RD clear: what the cache has, nothing more */
			metric_inc(m.misses);
			r->sent = -1; /* counted */
			finish_req(r, DNS_RCODE_SERVFAIL, NULL,
			    "not cached and recursion not desired");
			return;
		}
		if (act == DNS_ITER_SEND) {
			struct dns_query_opts o;
			memset(&o, 0, sizeof(o));
			o.timeout_ms = st->cf->upstream_timeout;
			o.tries = (int)st->cf->upstream_tries;
			o.edns_size = (uint16_t)st->cf->edns_size;
			o.rd = out.rd;
			metric_inc(m.upstream);
			r->q = dns_query_start(st->loop, &out.addr, out.qname,
			    out.qtype, out.qclass, &o, on_upstream, r);
			if (r->q)
				return;
			dns_iter_fail(top);
			continue;
		}
		if (act == DNS_ITER_SUB) {
			struct dns_iter *sub;
			if (r->depth == MAX_DEPTH ||
			    (sub = malloc(sizeof(*sub))) == NULL) {
				dns_iter_sub_done(top, NULL, loop_now(st->loop));
				continue;
			}
			dns_iter_init(sub, &st->icf, st->cache, out.qname,
			    out.qtype, out.qclass);
			sub->sent = &r->sent;
			r->it[r->depth++] = sub;
			continue;
		}
		/* done */
		if (r->depth > 1) {
			r->depth--;
			dns_iter_sub_done(r->it[r->depth - 1], top,
			    loop_now(st->loop));
			dns_iter_free(top);
			free(top);
			continue;
		}
		finish_req(r, top->rcode, top,
		    top->rcode == DNS_RCODE_SERVFAIL ? top->why : NULL);
		return;
	}
}

static void
on_deadline(struct loop *loop, struct timer *t, void *arg)
{
	struct rreq *r = arg;

	finish_req(r, DNS_RCODE_SERVFAIL, NULL, "query-timeout");
}

/* A reply made without resolving (errors, REFUSED). */
static void
quick_reply(struct resolver_state *st, struct rreq *tmpl, uint16_t rcode,
    const char *why)
{
	respond(tmpl, rcode, NULL);
	if (why)
		log_query(tmpl, rcode, 0, why);
}

/* One client query p[0..n); ts for TCP, else u and from. */
static void
client_query(struct resolver_state *st, const uint8_t *p, size_t n,
    struct tsess *ts, struct udp_sock *u, const struct sock_addr *from)
{
	struct dns_msg dm;
	struct rreq tmp, *r;
	int rc;

	metric_inc(m.queries);
	memset(&tmp, 0, sizeof(tmp));
	tmp.st = st;
	tmp.ts = ts;
	tmp.u = u;
	tmp.from = *from;
	tmp.start = loop_now(st->loop);
	dns_arena_reset(&st->arena);
	rc = dns_msg_parse(p, n, &dm, &st->arena);
	if (rc < 0 && !dm.hdr_ok)
		return;
	if (dm.flags & DNS_FLAG_QR)
		return; /* never answer a response */
	tmp.id = dm.id;
	tmp.cflags = dm.flags;
	tmp.opcode = dm.opcode;
	if (rc >= 0) {
		tmp.has_edns = dm.has_edns;
		tmp.payload = dm.has_edns ? dns_edns_payload(&dm.edns) : 0;
		if (dm.qdcount == 1) {
			memcpy(tmp.qname, dm.qd[0].name, dm.qd[0].name_len);
			tmp.qtype = dm.qd[0].qtype;
			tmp.qclass = dm.qd[0].qclass;
		}
	}
	dns_arena_reset(&st->arena);
	if (rc < 0) {
		quick_reply(st, &tmp, dm.err_rcode, dm.err);
		return;
	}
	if (!allowed(st, from)) {
		metric_inc(m.refused);
		quick_reply(st, &tmp, DNS_RCODE_REFUSED, "client not allowed");
		return;
	}
	if (dm.opcode != DNS_OP_QUERY) {
		quick_reply(st, &tmp, DNS_RCODE_NOTIMP, "opcode");
		return;
	}
	if (dm.qdcount != 1) {
		quick_reply(st, &tmp, DNS_RCODE_FORMERR, "qdcount");
		return;
	}
	if (tmp.has_edns && dm.edns.version > DNS_EDNS_VERSION) {
		quick_reply(st, &tmp, DNS_RCODE_BADVERS, "EDNS version");
		return;
	}
	if (tmp.qtype == DNS_T_AXFR || tmp.qtype == DNS_T_IXFR ||
	    tmp.qtype == DNS_T_OPT) {
		quick_reply(st, &tmp, DNS_RCODE_REFUSED, "zone transfer");
		return;
	}
	if (session_stopping(&st->set) || st->nreqs >= st->cf->max_clients) {
		metric_inc(m.servfail);
		quick_reply(st, &tmp, DNS_RCODE_SERVFAIL, "busy");
		return;
	}
	r = malloc(sizeof(*r));
	if (r == NULL || (r->it[0] = malloc(sizeof(struct dns_iter))) == NULL) {
		free(r);
		quick_reply(st, &tmp, DNS_RCODE_SERVFAIL, "out of memory");
		return;
	}
	{
		struct dns_iter *it0 = r->it[0];
		*r = tmp;
		r->it[0] = it0;
	}
	r->depth = 1;
	dns_iter_init(r->it[0], &st->icf, st->cache, r->qname, r->qtype,
	    r->qclass);
	r->it[0]->sent = &r->sent;
	timer_init(&r->deadline, on_deadline, r);
	loop_timer_start(st->loop, &r->deadline, st->cf->query_timeout, 0);
	r->prev = NULL;
	r->next = st->reqs;
	if (st->reqs)
		st->reqs->prev = r;
	st->reqs = r;
	st->nreqs++;
	if (ts) {
		ts->pending++;
		session_hold(&ts->base);
	}
	drive(r);
}

static void
on_datagram(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	if (n > CLIENT_DGRAM_MAX)
		return;
	client_query(arg, p, n, NULL, u, from);
}

/* ---- TCP clients ---- */

static void
tsess_unref(struct tsess *ts)
{
	struct conn *c = ts->base.c;

	ts->pending--;
	if (c && ts->pending < TSESS_PENDING_MAX)
		conn_resume(c);
	if (c && ts->pending == 0 &&
	    (ts->eof || session_stopping(&ts->st->set)))
		conn_close(c);
	session_release(&ts->base); /* the last one frees a closed client */
}

static void
on_tcp(struct session *base, enum conn_ev ev)
{
	struct tsess *ts = (struct tsess *)base;
	struct conn *c = base->c;
	struct slice msg;
	int r;

	switch (ev) {
	case CONN_EV_DATA:
		while ((r = dns_tcp_frame(buf_data(&c->in), c->in.len, &msg)) !=
		    0) {
			if (r == PARSE_AGAIN)
				break;
			if (ts->pending >= TSESS_PENDING_MAX) {
				/* one client, a bounded share: read on when
				 * its answers have gone out */
				conn_pause(c);
				break;
			}
			if (r < 0) {
				conn_close(c);
				return;
			}
			client_query(ts->st, msg.p, msg.n, ts, NULL, &c->peer);
			buf_consume(&c->in, (size_t)r);
		}
		break;
	case CONN_EV_EOF:
		ts->eof = 1;
		if (ts->pending == 0)
			conn_close(c);
		break;
	case CONN_EV_TIMEOUT:
		if (ts->pending == 0)
			conn_close(c);
		else	/* answers still due: they end the wait */
			conn_set_timeout(c, ts->st->cf->tcp_timeout);
		break;
	default:
		break;	/* CLOSED: the set drops the connection's hold */
	}
}

static void
tsess_init(struct session *base, void *owner)
{
	((struct tsess *)base)->st = owner;
}

static const struct session_ops tsess_ops = {
	sizeof(struct tsess), on_tcp, NULL, NULL, tsess_init,
};

/* No answer and no count for a client refused over max-clients. */
static const struct session_metrics tsess_metrics = { -1, -1, -1 };

/* ---- the service ---- */

static int
resolver_start(struct instance *in, struct worker *w, char *err)
{
	struct resolver_state *st = in->state;
	struct resolver_conf *cf = st->cf;
	struct conn_limits lim;

	st->loop = w->loop;
	st->arena_mem = malloc(DNS_ARENA_SIZE);
	if (st->arena_mem == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	dns_arena_init(&st->arena, st->arena_mem, DNS_ARENA_SIZE);
	conn_limits_default(&lim);
	lim.in_max = DNS_MSG_MAX + 2;
	lim.out_max = 16 * (DNS_MSG_MAX + 2);
	lim.timeout_ms = cf->tcp_timeout;
	session_set_init(&st->set, w, &tsess_ops, &tsess_metrics,
	    cf->max_clients, &lim, NULL);
	return session_set_listen(&st->set, in, on_datagram, CLIENT_DGRAM_MAX,
	    st, err);
}

static void
resolver_stop(struct instance *in, struct worker *w)
{
	struct resolver_state *st = in->state;

	/* called once, with the worker's stopping flag already set */
	if (st == NULL || st->loop == NULL)
		return;
	while (st->reqs)
		finish_req(st->reqs, DNS_RCODE_SERVFAIL, NULL, "shutting down");
	/* the core closes the TCP clients next */
}

static void
resolver_release(struct instance *in)
{
	struct resolver_state *st = in->state;

	if (st == NULL)
		return;
	while (st->reqs)
		req_free(st->reqs);
	session_set_free(&st->set);
	for (int i = 0; i < SERVER_MAX_INSTANCES; i++)
		if (caches[i] == st->cache)
			caches[i] = NULL;
	dns_cache_free(st->cache);
	free(st->arena_mem);
	free(st);
	in->state = NULL;
}

/* ---- check and reload ---- */

/* allow, and the root hints when there is no forwarder: "camada check",
 * and the parent before a reload. Forwarders without a port get 53 here
 * as in setup. */
static int
resolver_check(struct instance *in, char *err)
{
	struct resolver_conf *cf = in->conf;
	struct resolver_state *st;
	char why[CONF_ERR_LEN - 32];
	int rc = 0;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	st->cf = cf;
	if (acl_from_strs(&st->allow, &cf->allow, why, sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "resolver: allow: %s", why);
		rc = -1;
	} else if (cf->forward.n == 0) {
		const char *from;
		rc = resolver_hints_load(&st->hints, cf->root_hints,
		    RESOLVER_SYSTEM_HINTS, (int)cf->upstream_port, &from, err);
	}
	/* as setup does, so that a reload compares like with like */
	for (int i = 0; i < cf->forward.n; i++)
		if (sock_addr_port(&cf->forward.a[i]) == 0)
			sock_addr_set_port(&cf->forward.a[i], 53);
	free(st);
	return rc;
}

/* SIGHUP with new values in st->cf: the clients allowed, and the bounds of
 * the queries to come (timeouts, tries, referrals, upstream queries,
 * clients at once, the EDNS size are read where they are used). */
static int
resolver_reload(struct instance *in, char *err)
{
	struct resolver_state *st = in->state;
	struct acl allow;
	char why[CONF_ERR_LEN - 32];

	if (st == NULL)
		return 0;
	memset(&allow, 0, sizeof(allow));
	if (acl_from_strs(&allow, &st->cf->allow, why, sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "allow: %s", why);
		return -1;
	}
	st->allow = allow;
	st->icf.max_referrals = (int)st->cf->max_referrals;
	st->icf.max_queries = (int)st->cf->max_queries;
	st->set.limit = st->cf->max_clients;
	st->set.lim.timeout_ms = st->cf->tcp_timeout;
	return 0;
}

/* What setup read or sized: the listeners, the hints, the forwarders
 * (their ports were filled in), the shared cache and its TTL bounds. */
static const char *const resolver_restart_keys[] = {
	"listen", "root-hints", "upstream-port", "forward", "cache-size",
	"max-ttl", "max-negative-ttl", "tcp", NULL,
};

const struct service resolver_service = {
	"resolver", resolver_keys, sizeof(struct resolver_conf), resolver_setup,
	resolver_start, resolver_stop, resolver_release, NULL, resolver_check,
	resolver_reload, resolver_restart_keys, NULL, NULL,
};

int
resolver_main(int argc, char **argv)
{
	return cli_run_server(&resolver_service, argc, argv,
	    "The recursive caching resolver: resolves from the root hints (or "
	    "through a forwarder) and answers allowed clients from its cache.",
	    NULL);
}
