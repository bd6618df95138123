/* dns_iter.c - iterative resolution as a state machine (see dns_iter.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_iter.h"
#include "dns/dns_zone.h"

#define SET_MAX 64	/* records of one RRset we keep */

/* ---- hints ---- */

struct hints_ctx {
	struct dns_iter_hints *h;
	int port;
	/* addresses read before their NS are kept with the owner */
	uint8_t owner[DNS_ITER_MAX_SRV][DNS_NAME_MAX];
	int nown;
	struct sock_addr a[DNS_ITER_MAX_SRV];
};

static int
hints_rr(struct dns_zone *z, void *arg, const struct dns_rr *rr,
    const char *file, unsigned line)
{
	struct hints_ctx *x = arg;

	if (rr->type == DNS_T_NS && rr->owner_len == 1) {
		if (x->h->nns < DNS_ITER_MAX_NS)
			memcpy(x->h->ns[x->h->nns++], rr->rdata, rr->rdlen);
	} else if ((rr->type == DNS_T_A && rr->rdlen == 4) ||
	    (rr->type == DNS_T_AAAA && rr->rdlen == 16)) {
		struct sock_addr sa;
		memset(&sa, 0, sizeof(sa));
		if (rr->type == DNS_T_A) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&sa.ss;
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, rr->rdata, 4);
			sa.len = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa.ss;
			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, rr->rdata, 16);
			sa.len = sizeof(*s6);
		}
		sock_addr_set_port(&sa, x->port);
		if (x->nown < DNS_ITER_MAX_SRV) {
			memcpy(x->owner[x->nown], rr->owner, rr->owner_len);
			x->a[x->nown++] = sa;
		}
	}
	return 0;
}

int
dns_iter_hints_parse(struct dns_iter_hints *h, const char *file,
    const char *text, size_t len, int port, char *err, size_t errlen)
{
	struct dns_zone *z = malloc(sizeof(*z));
	struct hints_ctx *x = calloc(1, sizeof(*x));
	static const uint8_t root[1] = { 0 };
	int rc = -1;

	memset(h, 0, sizeof(*h));
	if (z == NULL || x == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto out;
	}
	x->h = h;
	x->port = port;
	dns_zone_init(z, root, hints_rr, x);
	z->have_ttl = 1;
	z->ttl = 3600000;
	if (dns_zone_parse(z, file, text, len) != DNS_OK) {
		snprintf(err, errlen, "%s:%u: %s", z->err_file ? z->err_file : file,
		    z->err_line, z->err);
		goto out;
	}
	for (int i = 0; i < x->nown; i++)
		for (int j = 0; j < h->nns; j++)
			if (dns_name_equal(x->owner[i], h->ns[j]) &&
			    h->naddr < DNS_ITER_MAX_SRV) {
				h->addr_ns[h->naddr] = (uint8_t)j;
				h->addr[h->naddr++] = x->a[i];
				break;
			}
	if (h->nns == 0 || h->naddr == 0) {
		snprintf(err, errlen, "%s: no root name server with an address",
		    file);
		goto out;
	}
	rc = 0;
out:
	free(z);
	free(x);
	return rc;
}

/* ---- result records ---- */

static void
res_add(struct dns_iter *it, enum dns_section sec, const struct dns_rr *rr,
    uint32_t ttl)
{
	size_t need = 1 + 1 + rr->owner_len + 10 + (size_t)rr->rdlen;
	uint8_t *p;

	if (it->res_len + need > DNS_ITER_RES_MAX)
		return;
	if (it->res_len + need > it->res_cap) {
		size_t cap = it->res_cap ? it->res_cap * 2 : 1024;
		while (cap < it->res_len + need)
			cap *= 2;
		p = realloc(it->res, cap);
		if (p == NULL)
			return;
		it->res = p;
		it->res_cap = cap;
	}
	p = it->res + it->res_len;
	*p++ = (uint8_t)sec;
	*p++ = (uint8_t)rr->owner_len;
	memcpy(p, rr->owner, rr->owner_len);
	p += rr->owner_len;
	dns_put16(p, rr->type);
	dns_put16(p + 2, rr->rclass);
	dns_put32(p + 4, ttl);
	dns_put16(p + 8, rr->rdlen);
	p += 10;
	if (rr->rdlen)
		memcpy(p, rr->rdata, rr->rdlen);
	it->res_len += need;
}

int
dns_iter_result_next(const struct dns_iter *it, size_t *pos,
    enum dns_section *sec, struct dns_rr *rr)
{
	const uint8_t *p;

	if (*pos >= it->res_len)
		return 0;
	p = it->res + *pos;
	*sec = (enum dns_section)p[0];
	rr->owner_len = p[1];
	rr->owner = p + 2;
	p += 2 + rr->owner_len;
	rr->type = dns_get16(p);
	rr->rclass = dns_get16(p + 2);
	rr->ttl = dns_get32(p + 4);
	rr->rdlen = dns_get16(p + 8);
	rr->rdata = p + 10;
	*pos += 2 + (size_t)rr->owner_len + 10 + rr->rdlen;
	return 1;
}

size_t
dns_iter_result_count(const struct dns_iter *it, enum dns_section sec)
{
	size_t pos = 0, n = 0;
	enum dns_section s;
	struct dns_rr rr;

	while (dns_iter_result_next(it, &pos, &s, &rr))
		if (s == sec)
			n++;
	return n;
}

/* ---- set-up ---- */

static void
name_copy(uint8_t *dst, const uint8_t *src)
{
	int n = dns_name_len(src, DNS_NAME_MAX);

	memcpy(dst, src, n > 0 ? (size_t)n : 1);
	if (n <= 0)
		dst[0] = 0;
}

void
dns_iter_init(struct dns_iter *it, const struct dns_iter_conf *cf,
    struct dns_cache *cache, const uint8_t *qname, uint16_t qtype,
    uint16_t qclass)
{
	memset(it, 0, sizeof(*it));
	it->cf = cf;
	it->cache = cache;
	name_copy(it->qname, qname);
	name_copy(it->cur, qname);
	it->qtype = qtype;
	it->qclass = qclass;
	it->restart = 1;
	it->sent = &it->own_sent;
	it->cur_srv = -1;
	it->sub_ns = -1;
}

void
dns_iter_free(struct dns_iter *it)
{
	free(it->res);
	it->res = NULL;
	it->res_len = it->res_cap = 0;
}

static void
finish(struct dns_iter *it, uint16_t rcode, const char *why)
{
	it->done = 1;
	it->rcode = rcode;
	if (why)
		it->why = why;
}

/* Adds a server address; ns is its name server's index (-1: unknown). */
static void
srv_add(struct dns_iter *it, const struct sock_addr *a, int ns)
{
	for (int i = 0; i < it->nsrv; i++)
		if (sock_addr_equal(&it->srv[i].addr, a))
			return;
	if (it->nsrv < DNS_ITER_MAX_SRV) {
		it->srv[it->nsrv].addr = *a;
		it->srv[it->nsrv].tried = 0;
		it->srv[it->nsrv].ns = (int8_t)ns;
		it->nsrv++;
	}
}

static void
addr_from_rdata(struct sock_addr *sa, uint16_t type, const uint8_t *rd,
    int port)
{
	memset(sa, 0, sizeof(*sa));
	if (type == DNS_T_A) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa->ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, rd, 4);
		sa->len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa->ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, rd, 16);
		sa->len = sizeof(*s6);
	}
	sock_addr_set_port(sa, port);
}

/* Adds the cached addresses of name server i; 1 when it has any. */
static int
ns_addrs_from_cache(struct dns_iter *it, int i, uint64_t now)
{
	static const uint16_t types[2] = { DNS_T_A, DNS_T_AAAA };
	struct dns_cache_hit h;
	int any = 0;

	for (int t = 0; t < 2; t++) {
		if (!dns_cache_get(it->cache, it->ns[i].name, types[t],
		    it->qclass, DNS_RANK_GLUE, now, &h) ||
		    h.kind != DNS_CACHE_POS)
			continue;
		for (size_t k = 0; k < h.n; k++) {
			struct sock_addr sa;
			if (h.rr[k].rdlen != (types[t] == DNS_T_A ? 4 : 16))
				continue;
			addr_from_rdata(&sa, types[t], h.rr[k].rdata,
			    it->cf->port);
			srv_add(it, &sa, i);
			any = 1;
		}
	}
	return any;
}

static void
ns_add(struct dns_iter *it, const uint8_t *name)
{
	for (int i = 0; i < it->nns; i++)
		if (dns_name_equal(it->ns[i].name, name))
			return;
	if (it->nns < DNS_ITER_MAX_NS) {
		name_copy(it->ns[it->nns].name, name);
		it->ns[it->nns].state = 0;
		it->nns++;
	}
}

/* Answers from the cache what it can: follows cached CNAMEs; 1 when done. */
static int
from_cache(struct dns_iter *it, uint64_t now)
{
	struct dns_cache_hit h;

	for (;;) {
		if (dns_cache_get(it->cache, it->cur, it->qtype, it->qclass,
		    DNS_RANK_ANSWER, now, &h)) {
			if (h.kind == DNS_CACHE_POS) {
				for (size_t k = 0; k < h.n; k++)
					res_add(it, DNS_SEC_ANSWER, &h.rr[k], h.ttl);
				finish(it, DNS_RCODE_NOERROR, NULL);
			} else {
				for (size_t k = 0; k < h.n; k++)
					res_add(it, DNS_SEC_AUTHORITY, &h.rr[k],
					    h.ttl);
				finish(it, h.kind == DNS_CACHE_NXDOMAIN ?
				    DNS_RCODE_NXDOMAIN : DNS_RCODE_NOERROR, NULL);
			}
			return 1;
		}
		/* an NXDOMAIN holds for every type (RFC 2308 §5) */
		if (dns_cache_get(it->cache, it->cur, DNS_CACHE_ANY_TYPE,
		    it->qclass, DNS_RANK_ANSWER, now, &h) &&
		    h.kind == DNS_CACHE_NXDOMAIN) {
			for (size_t k = 0; k < h.n; k++)
				res_add(it, DNS_SEC_AUTHORITY, &h.rr[k], h.ttl);
			finish(it, DNS_RCODE_NXDOMAIN, NULL);
			return 1;
		}
		if (it->qtype == DNS_T_CNAME || it->qtype == DNS_T_ANY ||
		    !dns_cache_get(it->cache, it->cur, DNS_T_CNAME, it->qclass,
		    DNS_RANK_ANSWER, now, &h) || h.kind != DNS_CACHE_POS ||
		    h.n != 1)
			return 0;
		if (++it->ncname > it->cf->max_cname) {
			finish(it, DNS_RCODE_SERVFAIL, "CNAME chain too long");
			return 1;
		}
		res_add(it, DNS_SEC_ANSWER, &h.rr[0], h.ttl);
		name_copy(it->cur, h.rr[0].rdata);
	}
}

/* Picks the zone to ask for it->cur: the closest with a cached NS set, or
 * the root from the hints. */
static void
pick_zone(struct dns_iter *it, uint64_t now)
{
	struct dns_cache_hit h;
	const uint8_t *z = it->cur;

	/* DS lives on the parent's side of a cut (RFC 4035 §3.1.4.1): ask
	 * the parent's servers, not the zone's own */
	if (it->qtype == DNS_T_DS && z[0] != 0)
		z = dns_name_parent(z);
	it->nns = 0;
	it->nsrv = 0;
	it->cur_srv = -1;
	if (it->cf->nforward) {
		it->zone[0] = 0;
		for (int i = 0; i < it->cf->nforward; i++)
			srv_add(it, &it->cf->forward[i], -1);
		return;
	}
	for (; z; z = dns_name_parent(z)) {
		if (!dns_cache_get(it->cache, z, DNS_T_NS, it->qclass,
		    DNS_RANK_GLUE, now, &h) || h.kind != DNS_CACHE_POS)
			continue;
		name_copy(it->zone, z);
		for (size_t k = 0; k < h.n; k++)
			ns_add(it, h.rr[k].rdata);
		for (int i = 0; i < it->nns; i++)
			if (ns_addrs_from_cache(it, i, now))
				it->ns[i].state = 1;
		if (it->nsrv > 0)
			return;
		if (z[0] == 0)
			break; /* the root's servers without addresses: hints */
		/* no address yet: fine if some NS can be looked up out of
		 * this zone; otherwise go up */
		for (int i = 0; i < it->nns; i++)
			if (!dns_name_is_sub(it->ns[i].name, z))
				return;
		it->nns = 0;
	}
	it->zone[0] = 0;
	it->nns = 0;
	for (int i = 0; i < it->cf->hints->nns; i++) {
		ns_add(it, it->cf->hints->ns[i]);
		it->ns[it->nns - 1].state = 1;
	}
	for (int i = 0; i < it->cf->hints->naddr; i++) {
		const struct dns_iter_hints *hi = it->cf->hints;
		const uint8_t *nm = hi->ns[hi->addr_ns[i]];
		int k = 0;
		while (k < it->nns && !dns_name_equal(it->ns[k].name, nm))
			k++;
		srv_add(it, &it->cf->hints->addr[i], k < it->nns ? k : -1);
	}
}

enum dns_iter_action
dns_iter_next(struct dns_iter *it, uint64_t now_ms, struct dns_iter_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!it->done && it->restart) {
		it->restart = 0;
		if (!from_cache(it, now_ms))
			pick_zone(it, now_ms);
	}
	if (it->done)
		return DNS_ITER_DONE;
	for (;;) {
		for (int i = 0; i < it->nsrv; i++) {
			if (it->srv[i].tried)
				continue;
			if (*it->sent >= it->cf->max_queries) {
				finish(it, DNS_RCODE_SERVFAIL,
				    "too many queries");
				return DNS_ITER_DONE;
			}
			it->srv[i].tried = 1;
			it->cur_srv = i;
			(*it->sent)++;
			out->addr = it->srv[i].addr;
			out->ns_name = it->srv[i].ns >= 0 &&
			    it->srv[i].ns < it->nns ?
			    it->ns[it->srv[i].ns].name : NULL;
			out->qname = it->cur;
			out->qtype = it->qtype;
			out->qclass = it->qclass;
			out->rd = it->cf->nforward > 0;
			out->zone = it->zone;
			return DNS_ITER_SEND;
		}
		/* every known address tried: look up another name server */
		int i;
		for (i = 0; i < it->nns; i++)
			if (it->ns[i].state == 0)
				break;
		if (i == it->nns) {
			finish(it, DNS_RCODE_SERVFAIL,
			    "no name server of the zone answered");
			return DNS_ITER_DONE;
		}
		int before = it->nsrv;
		if (ns_addrs_from_cache(it, i, now_ms) && it->nsrv > before) {
			it->ns[i].state = 1;
			continue;
		}
		if (dns_name_is_sub(it->ns[i].name, it->zone) &&
		    dns_name_is_sub(it->cur, it->ns[i].name)) {
			it->ns[i].state = 2; /* would need itself */
			continue;
		}
		it->ns[i].state = 1;
		it->sub_ns = i;
		out->qname = it->ns[i].name;
		out->qtype = DNS_T_A;
		out->qclass = it->qclass;
		return DNS_ITER_SUB;
	}
}

void
dns_iter_sub_done(struct dns_iter *it, const struct dns_iter *sub,
    uint64_t now_ms)
{
	int any = 0;

	if (it->sub_ns < 0 || it->sub_ns >= it->nns)
		return;
	if (sub && sub->rcode == DNS_RCODE_NOERROR) {
		/* the addresses it found, even if the cache could not keep
		 * them */
		size_t pos = 0;
		enum dns_section sec;
		struct dns_rr rr;
		while (dns_iter_result_next(sub, &pos, &sec, &rr)) {
			if (sec != DNS_SEC_ANSWER ||
			    !((rr.type == DNS_T_A && rr.rdlen == 4) ||
			    (rr.type == DNS_T_AAAA && rr.rdlen == 16)))
				continue;
			struct sock_addr sa;
			addr_from_rdata(&sa, rr.type, rr.rdata, it->cf->port);
			srv_add(it, &sa, it->sub_ns);
			any = 1;
		}
	}
	if (ns_addrs_from_cache(it, it->sub_ns, now_ms))
		any = 1;
	if (!any)
		it->ns[it->sub_ns].state = 2;
	it->sub_ns = -1;
}

void
dns_iter_fail(struct dns_iter *it)
{
	it->cur_srv = -1; /* the server stays tried: the next one goes */
}

/* ---- responses ---- */

/* Collects the records of (owner, type, class) in a section into set. */
static size_t
collect(const struct dns_msg *m, enum dns_section sec, const uint8_t *owner,
    uint16_t type, uint16_t rclass, struct dns_rr *set)
{
	size_t n = 0;

	for (unsigned i = 0; i < m->count[sec] && n < SET_MAX; i++) {
		const struct dns_rr *rr = &m->rr[sec][i];
		if (rr->type == type && rr->rclass == rclass &&
		    dns_name_equal(rr->owner, owner))
			set[n++] = *rr;
	}
	return n;
}

static const struct dns_rr *
find_soa(const struct dns_iter *it, const struct dns_msg *m,
    const uint8_t *bail)
{
	for (unsigned i = 0; i < m->count[DNS_SEC_AUTHORITY]; i++) {
		const struct dns_rr *rr = &m->rr[DNS_SEC_AUTHORITY][i];
		if (rr->type == DNS_T_SOA && rr->rclass == it->qclass &&
		    dns_name_is_sub(rr->owner, bail) &&
		    dns_name_is_sub(it->cur, rr->owner))
			return rr;
	}
	return NULL;
}

/* A referral in m to a zone strictly below bail that encloses cur: the
 * owner of its NS records, or NULL. */
static const uint8_t *
find_referral(const struct dns_iter *it, const struct dns_msg *m,
    const uint8_t *bail)
{
	for (unsigned i = 0; i < m->count[DNS_SEC_AUTHORITY]; i++) {
		const struct dns_rr *rr = &m->rr[DNS_SEC_AUTHORITY][i];
		if (rr->type == DNS_T_NS && rr->rclass == it->qclass &&
		    dns_name_is_sub(rr->owner, bail) &&
		    !dns_name_equal(rr->owner, bail) &&
		    dns_name_is_sub(it->cur, rr->owner))
			return rr->owner;
	}
	return NULL;
}

static void
negative(struct dns_iter *it, const struct dns_msg *m, const uint8_t *bail,
    int nx, uint64_t now)
{
	const struct dns_rr *soa = find_soa(it, m, bail);
	uint32_t ttl = 0;

	it->step = DNS_ITER_STEP_NEGATIVE;
	if (soa) {
		struct dns_rr s = *soa;
		ttl = dns_cache_cap_ttl(it->cache, dns_soa_neg_ttl(soa), 1);
		s.ttl = ttl;
		dns_cache_put(it->cache, it->cur, nx ? DNS_CACHE_ANY_TYPE :
		    it->qtype, it->qclass, nx ? DNS_CACHE_NXDOMAIN :
		    DNS_CACHE_NODATA, DNS_RANK_ANSWER, &s, 1, ttl, now);
		res_add(it, DNS_SEC_AUTHORITY, soa, ttl);
	}
	finish(it, nx ? DNS_RCODE_NXDOMAIN : DNS_RCODE_NOERROR, NULL);
}

static void
server_failed(struct dns_iter *it, const char *why)
{
	it->step = DNS_ITER_STEP_REJECTED;
	it->why = why;
	it->cur_srv = -1;
}

void
dns_iter_answer(struct dns_iter *it, const struct dns_msg *m, uint64_t now)
{
	struct dns_rr set[SET_MAX];
	uint8_t bail[DNS_NAME_MAX];
	const uint8_t *ref;
	int moved = 0;
	size_t n;

	if (it->done)
		return;
	if (!(m->flags & DNS_FLAG_QR) || m->opcode != DNS_OP_QUERY ||
	    m->qdcount != 1 || m->qd[0].qtype != it->qtype ||
	    m->qd[0].qclass != it->qclass ||
	    !dns_name_equal(m->qd[0].name, it->cur)) {
		server_failed(it, "response to another question");
		return;
	}
	if (m->rcode != DNS_RCODE_NOERROR && m->rcode != DNS_RCODE_NXDOMAIN) {
		server_failed(it, "server error");
		return;
	}
	name_copy(bail, it->zone); /* the root in forwarding mode */

	if (it->qtype == DNS_T_ANY && dns_name_is_sub(it->cur, bail)) {
		/* ANY: whatever the server gave for the name, not cached */
		size_t k = 0;
		for (unsigned i = 0; i < m->count[DNS_SEC_ANSWER]; i++) {
			const struct dns_rr *rr = &m->rr[DNS_SEC_ANSWER][i];
			if (rr->rclass == it->qclass &&
			    dns_name_equal(rr->owner, it->cur)) {
				res_add(it, DNS_SEC_ANSWER, rr, rr->ttl);
				k++;
			}
		}
		if (k) {
			it->step = DNS_ITER_STEP_ANSWER;
			finish(it, DNS_RCODE_NOERROR, NULL);
			return;
		}
	}

	/* the answer, following CNAMEs within the server's bailiwick */
	for (;;) {
		if (!dns_name_is_sub(it->cur, bail))
			break;
		n = collect(m, DNS_SEC_ANSWER, it->cur, it->qtype, it->qclass,
		    set);
		if (n > 0) {
			dns_cache_put(it->cache, it->cur, it->qtype,
			    it->qclass, DNS_CACHE_POS, DNS_RANK_ANSWER, set, n,
			    0, now);
			/* one TTL for the RRset, its least (RFC 2181 §5.2),
			 * capped as the cache caps it */
			uint32_t ttl = set[0].ttl;
			for (size_t k = 1; k < n; k++)
				if (set[k].ttl < ttl)
					ttl = set[k].ttl;
			ttl = dns_cache_cap_ttl(it->cache, ttl, 0);
			for (size_t k = 0; k < n; k++)
				res_add(it, DNS_SEC_ANSWER, &set[k], ttl);
			it->step = DNS_ITER_STEP_ANSWER;
			finish(it, DNS_RCODE_NOERROR, NULL);
			return;
		}
		if (it->qtype == DNS_T_CNAME ||
		    collect(m, DNS_SEC_ANSWER, it->cur, DNS_T_CNAME,
		    it->qclass, set) != 1)
			break;
		if (++it->ncname > it->cf->max_cname) {
			it->step = DNS_ITER_STEP_FAILED;
			finish(it, DNS_RCODE_SERVFAIL, "CNAME chain too long");
			return;
		}
		dns_cache_put(it->cache, it->cur, DNS_T_CNAME, it->qclass,
		    DNS_CACHE_POS, DNS_RANK_ANSWER, set, 1, 0, now);
		res_add(it, DNS_SEC_ANSWER, &set[0],
		    dns_cache_cap_ttl(it->cache, set[0].ttl, 0));
		name_copy(it->cur, set[0].rdata);
		moved = 1;
	}
	if (!dns_name_is_sub(it->cur, bail)) {
		/* a CNAME out of this server's zone: start over from there */
		it->step = DNS_ITER_STEP_CNAME;
		it->restart = 1;
		return;
	}
	if (m->rcode == DNS_RCODE_NXDOMAIN) {
		negative(it, m, bail, 1, now);
		return;
	}
	if (it->cf->nforward == 0 && (ref = find_referral(it, m, bail))) {
		uint8_t zone[DNS_NAME_MAX];
		if (moved) {
			/* the target is in a child zone: ask from the top */
			it->step = DNS_ITER_STEP_CNAME;
			it->restart = 1;
			return;
		}
		if (++it->referrals > it->cf->max_referrals) {
			it->step = DNS_ITER_STEP_FAILED;
			finish(it, DNS_RCODE_SERVFAIL, "too many referrals");
			return;
		}
		it->step = DNS_ITER_STEP_REFERRAL;
		name_copy(zone, ref);
		n = collect(m, DNS_SEC_AUTHORITY, zone, DNS_T_NS, it->qclass,
		    set);
		dns_cache_put(it->cache, zone, DNS_T_NS, it->qclass,
		    DNS_CACHE_POS, DNS_RANK_GLUE, set, n, 0, now);
		name_copy(it->zone, zone);
		it->nns = 0;
		it->nsrv = 0;
		it->cur_srv = -1;
		for (size_t k = 0; k < n; k++)
			ns_add(it, set[k].rdata);
		/* glue: addresses of these name servers only, and only
		 * within the bailiwick of the server that gave them */
		for (int i = 0; i < it->nns; i++) {
			static const uint16_t types[2] = { DNS_T_A, DNS_T_AAAA };
			struct dns_rr g[SET_MAX];
			if (!dns_name_is_sub(it->ns[i].name, bail))
				continue;
			for (int t = 0; t < 2; t++) {
				size_t ng = collect(m, DNS_SEC_ADDITIONAL,
				    it->ns[i].name, types[t], it->qclass, g);
				size_t keep = 0;
				for (size_t k = 0; k < ng; k++)
					if (g[k].rdlen == (t ? 16 : 4))
						g[keep++] = g[k];
				if (keep == 0)
					continue;
				dns_cache_put(it->cache, it->ns[i].name,
				    types[t], it->qclass, DNS_CACHE_POS,
				    DNS_RANK_GLUE, g, keep, 0, now);
				for (size_t k = 0; k < keep; k++) {
					struct sock_addr sa;
					addr_from_rdata(&sa, types[t],
					    g[k].rdata, it->cf->port);
					srv_add(it, &sa, i);
				}
				it->ns[i].state = 1;
			}
		}
		for (int i = 0; i < it->nns; i++)
			if (it->ns[i].state == 0 &&
			    ns_addrs_from_cache(it, i, now))
				it->ns[i].state = 1;
		return;
	}
	if (moved && !find_soa(it, m, bail)) {
		/* the chain stops without a word on its target: ask for the
		 * target itself */
		it->step = DNS_ITER_STEP_CNAME;
		it->restart = 1;
		return;
	}
	if (find_soa(it, m, bail) || (m->flags & DNS_FLAG_AA) ||
	    it->cf->nforward) {
		negative(it, m, bail, 0, now);
		return;
	}
	server_failed(it, "lame response");
}
