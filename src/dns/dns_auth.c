/* dns_auth.c - authoritative answers from the zone database (see
 * dns_auth.h). Per query: one hash probe for a name that exists, a builder
 * over the caller's buffer, no allocation. */
#include <string.h>

#include "dns/dns_auth.h"

#define ADD_MAX 32	/* names whose addresses go to the additional section */
#define CHAIN_MAX 8	/* CNAMEs followed */

struct ans {
	struct dns_msg_builder b;
	struct dns_db *db;
	const struct dns_auth_opts *o;
	int full;		/* an RRset did not fit: TC */
	int nadd;
	struct {
		const uint8_t *name;
		int glue;	/* may come from below a zone cut */
	} add[ADD_MAX];
};

/* Adds set to sec, each owner replaced by owner (when not NULL), TTLs
 * capped at ttl_max; all or nothing. */
static int
add_set(struct ans *a, enum dns_section sec, struct dns_rrset *set,
    const uint8_t *owner, uint16_t owner_len, uint32_t ttl_max)
{
	struct dns_build_mark mk = dns_build_mark(&a->b);
	unsigned start = 0;

	if (a->o->rotate && set->count > 1)
		start = set->rot++ % set->count;
	for (unsigned k = 0; k < set->count; k++) {
		unsigned i = start + k;
		struct dns_rr rr = set->rr[i >= set->count ? i - set->count : i];
		int r;
		if (owner) {
			rr.owner = owner;
			rr.owner_len = owner_len;
		}
		if (rr.ttl > ttl_max)
			rr.ttl = ttl_max;
		if ((r = dns_build_rr(&a->b, sec, &rr)) != DNS_OK) {
			dns_build_rollback(&a->b, &mk);
			return r;
		}
	}
	return DNS_OK;
}

static void
want_addr(struct ans *a, const uint8_t *name, int glue)
{
	for (int i = 0; i < a->nadd; i++)
		if (dns_name_equal(a->add[i].name, name)) {
			a->add[i].glue |= glue;
			return;
		}
	if (a->nadd < ADD_MAX) {
		a->add[a->nadd].name = name;
		a->add[a->nadd].glue = glue;
		a->nadd++;
	}
}

/* Remembers the targets of NS, MX and SRV records for the additional
 * section. */
static void
want_targets(struct ans *a, const struct dns_rrset *set)
{
	size_t off;

	switch (set->type) {
	case DNS_T_NS: off = 0; break;
	case DNS_T_MX: off = 2; break;
	case DNS_T_SRV: off = 6; break;
	default: return;
	}
	for (unsigned i = 0; i < set->count; i++)
		if (set->rr[i].rdlen > off)
			want_addr(a, set->rr[i].rdata + off,
			    set->type == DNS_T_NS);
}

static void
additional(struct ans *a)
{
	static const uint16_t types[2] = { DNS_T_A, DNS_T_AAAA };

	for (int i = 0; i < a->nadd; i++) {
		struct dns_dbzone *z = dns_db_find(a->db, a->add[i].name);
		struct dns_node *n;
		if (z == NULL ||
		    (n = dns_dbzone_node(z, a->add[i].name)) == NULL)
			continue;
		if (n->cut && !a->add[i].glue)
			continue;
		for (int t = 0; t < 2; t++) {
			struct dns_rrset *s = dns_node_rrset(n, types[t]);
			if (s && add_set(a, DNS_SEC_ADDITIONAL, s, NULL, 0,
			    UINT32_MAX) != DNS_OK)
				return; /* additional data is optional: no TC */
		}
	}
}

static void
answer_set(struct ans *a, enum dns_section sec, struct dns_rrset *set,
    const uint8_t *owner, uint16_t owner_len, uint32_t ttl_max)
{
	if (a->full)
		return;
	if (add_set(a, sec, set, owner, owner_len, ttl_max) != DNS_OK) {
		a->full = 1;
		return;
	}
	want_targets(a, set);
}

/* NXDOMAIN or NODATA: the SOA in the authority section (RFC 2308 §3). */
static void
negative(struct ans *a, struct dns_dbzone *z, uint16_t rcode)
{
	const struct dns_rr *soa = &z->soa->rr[0];
	uint32_t min = dns_get32(soa->rdata + soa->rdlen - 4);

	a->b.rcode = rcode;
	if (!a->full)
		answer_set(a, DNS_SEC_AUTHORITY, (struct dns_rrset *)z->soa,
		    NULL, 0, min < soa->ttl ? min : soa->ttl);
}

static void
referral(struct ans *a, struct dns_node *cut)
{
	struct dns_rrset *ns = dns_node_rrset(cut, DNS_T_NS);

	if (a->b.count[DNS_SEC_ANSWER] == 0)
		a->b.flags &= (uint16_t)~DNS_FLAG_AA;
	if (ns)
		answer_set(a, DNS_SEC_AUTHORITY, ns, NULL, 0, UINT32_MAX);
}

static void
lookup(struct ans *a, struct dns_dbzone *z, const uint8_t *qname,
    uint16_t qname_len, uint16_t qtype)
{
	uint8_t wild[DNS_NAME_MAX];
	const uint8_t *name = qname;
	uint16_t name_len = qname_len;

	a->b.flags |= DNS_FLAG_AA;
	for (int chain = 0;; chain++) {
		struct dns_node *n = dns_dbzone_node(z, name);
		struct dns_rrset *set;

		if (n == NULL) {
			const uint8_t *p = name;
			struct dns_node *ce = NULL;
			while (ce == NULL && (p = dns_name_parent(p)) != NULL)
				ce = dns_dbzone_node(z, p);
			if (ce == NULL) { /* cannot happen: the apex exists */
				negative(a, z, DNS_RCODE_NXDOMAIN);
				return;
			}
			if (ce->cut) {
				referral(a, ce->cut);
				return;
			}
			if (ce->wild_child && ce->name_len + 2 <= DNS_NAME_MAX) {
				wild[0] = 1;
				wild[1] = '*';
				memcpy(wild + 2, ce->name, ce->name_len);
				n = dns_dbzone_node(z, wild);
			}
			if (n == NULL) {
				negative(a, z, DNS_RCODE_NXDOMAIN);
				return;
			}
		} else if (n->cut && !(n == n->cut && qtype == DNS_T_DS)) {
			referral(a, n->cut);
			return;
		}
		if (qtype == DNS_T_ANY) {
			if (n->sets == NULL)
				negative(a, z, DNS_RCODE_NOERROR);
			for (set = n->sets; set; set = set->next)
				answer_set(a, DNS_SEC_ANSWER, set, name,
				    name_len, UINT32_MAX);
			return;
		}
		if ((set = dns_node_rrset(n, qtype)) != NULL) {
			answer_set(a, DNS_SEC_ANSWER, set, name, name_len,
			    UINT32_MAX);
			return;
		}
		set = dns_node_rrset(n, DNS_T_CNAME);
		if (set == NULL || qtype == DNS_T_CNAME) {
			negative(a, z, DNS_RCODE_NOERROR);
			return;
		}
		answer_set(a, DNS_SEC_ANSWER, set, name, name_len, UINT32_MAX);
		if (a->full || chain + 1 >= CHAIN_MAX)
			return;
		name = set->rr[0].rdata;
		name_len = set->rr[0].rdlen;
		if (!dns_name_is_sub(name, z->origin))
			return; /* the resolver follows it */
	}
}

static int
finish(struct ans *a, const struct dns_msg *q, struct dns_auth_result *res)
{
	int len;

	if (q->has_edns) {
		struct dns_edns e;
		memset(&e, 0, sizeof(e));
		e.udp_size = a->o->udp_max;
		e.version = DNS_EDNS_VERSION;
		if (dns_build_edns(&a->b, &e) != DNS_OK)
			return 0;
	}
	if (a->full) {
		a->b.flags |= DNS_FLAG_TC;
		res->tc = 1;
	}
	res->rcode = a->b.rcode;
	len = dns_build_finish(&a->b);
	return len < 0 ? 0 : len;
}

int
dns_auth_answer(struct dns_db *db, const struct dns_msg *q,
    const struct dns_auth_opts *o, uint8_t *out, size_t cap,
    struct dns_auth_result *res)
{
	const struct dns_question *qd;
	struct dns_dbzone *z;
	struct ans a;
	size_t max;

	memset(res, 0, sizeof(*res));
	if (q->flags & DNS_FLAG_QR) {
		res->bad = 1;
		res->why = "a response, not a query";
		return 0;
	}
	max = o->tcp ? DNS_MSG_MAX : DNS_UDP_MAX;
	if (!o->tcp && q->has_edns) {
		max = dns_edns_payload(&q->edns);
		if (max > o->udp_max)
			max = o->udp_max;
		if (max < DNS_UDP_MAX)
			max = DNS_UDP_MAX;
	}
	if (max > cap)
		max = cap;
	a.db = db;
	a.o = o;
	a.full = 0;
	a.nadd = 0;
	if (dns_build_init(&a.b, out, max) != DNS_OK)
		return 0;
	a.b.id = q->id;
	a.b.opcode = q->opcode;
	a.b.flags = DNS_FLAG_QR | (q->flags & (DNS_FLAG_RD | DNS_FLAG_CD));
	if (q->has_edns && dns_build_reserve(&a.b, 11) != DNS_OK)
		return 0;
	if (q->qdcount != 1) {
		res->bad = 1;
		res->why = q->qdcount ? "more than one question" :
		    "no question";
		a.b.rcode = q->opcode == DNS_OP_QUERY ? DNS_RCODE_FORMERR :
		    DNS_RCODE_NOTIMP;
		return finish(&a, q, res);
	}
	qd = &q->qd[0];
	if (dns_build_question(&a.b, qd->name, qd->qtype, qd->qclass) !=
	    DNS_OK)
		return 0;
	if (q->opcode != DNS_OP_QUERY) {
		res->bad = 1;
		res->why = "opcode not implemented";
		a.b.rcode = DNS_RCODE_NOTIMP;
		return finish(&a, q, res);
	}
	if (q->has_edns && q->edns.version != DNS_EDNS_VERSION) {
		res->bad = 1;
		res->why = "EDNS version not supported";
		a.b.rcode = DNS_RCODE_BADVERS;
		return finish(&a, q, res);
	}
	if (q->count[DNS_SEC_ANSWER] || (q->count[DNS_SEC_AUTHORITY] &&
	    qd->qtype != DNS_T_IXFR)) { /* IXFR carries the client's SOA */
		res->bad = 1;
		res->why = "records in the answer or authority section";
		a.b.rcode = DNS_RCODE_FORMERR;
		return finish(&a, q, res);
	}
	switch (qd->qtype) {
	case DNS_T_OPT:
	case DNS_T_TSIG:
	case DNS_T_TKEY:
		res->bad = 1;
		res->why = "meta type in the question";
		a.b.rcode = DNS_RCODE_FORMERR;
		return finish(&a, q, res);
	case DNS_T_MAILA:
	case DNS_T_MAILB:
		res->bad = 1;
		res->why = "MAILA/MAILB";
		a.b.rcode = DNS_RCODE_NOTIMP;
		return finish(&a, q, res);
	default:
		break;
	}
	if (qd->qclass != DNS_C_IN && qd->qclass != DNS_C_ANY) {
		res->bad = 1;
		res->why = "class not served";
		a.b.rcode = DNS_RCODE_REFUSED;
		return finish(&a, q, res);
	}
	z = dns_db_find(db, qd->name);
	if (z == NULL) {
		res->bad = 1;
		res->why = "name in no zone served here";
		a.b.rcode = DNS_RCODE_REFUSED;
		return finish(&a, q, res);
	}
	res->zone = z;
	if (qd->qtype == DNS_T_AXFR || qd->qtype == DNS_T_IXFR) {
		if (!dns_name_equal(qd->name, z->origin)) {
			a.b.rcode = DNS_RCODE_NOTAUTH;
			return finish(&a, q, res);
		}
		if (o->tcp) {
			res->xfr = 1;
			return 0;
		}
		if (qd->qtype == DNS_T_AXFR) {
			res->bad = 1;
			res->why = "AXFR over UDP";
			a.b.rcode = DNS_RCODE_FORMERR;
			return finish(&a, q, res);
		}
		/* IXFR over UDP: our SOA tells the client to come over TCP
		 * (RFC 1995 §2) */
		a.b.flags |= DNS_FLAG_AA;
		answer_set(&a, DNS_SEC_ANSWER, (struct dns_rrset *)z->soa,
		    NULL, 0, UINT32_MAX);
		return finish(&a, q, res);
	}
	lookup(&a, z, qd->name, qd->name_len, qd->qtype);
	if (!a.full)
		additional(&a);
	return finish(&a, q, res);
}

int
dns_auth_packet(struct dns_db *db, const uint8_t *p, size_t n,
    struct dns_arena *a, struct dns_msg *q, const struct dns_auth_opts *o,
    uint8_t *out, size_t cap, struct dns_auth_result *res)
{
	struct dns_msg_builder b;
	int len;

	dns_arena_reset(a);
	if (dns_msg_parse(p, n, q, a) > 0)
		return dns_auth_answer(db, q, o, out, cap, res);
	memset(res, 0, sizeof(*res));
	res->bad = 1;
	res->why = q->err ? q->err : "malformed";
	if (!q->hdr_ok || (q->flags & DNS_FLAG_QR) ||
	    dns_build_init(&b, out, cap < DNS_UDP_MAX ? cap : DNS_UDP_MAX) !=
	    DNS_OK)
		return 0;
	b.id = q->id;
	b.opcode = q->opcode;
	b.flags = DNS_FLAG_QR | (q->flags & DNS_FLAG_RD);
	b.rcode = q->err_rcode ? q->err_rcode : DNS_RCODE_FORMERR;
	if (b.rcode > 15)
		b.rcode = DNS_RCODE_FORMERR;
	res->rcode = b.rcode;
	len = dns_build_finish(&b);
	return len < 0 ? 0 : len;
}

int
dns_auth_error(const struct dns_msg *q, uint16_t rcode, uint8_t *out,
    size_t cap)
{
	struct dns_msg_builder b;
	int len;

	if (dns_build_init(&b, out, cap) != DNS_OK)
		return 0;
	b.id = q->id;
	b.opcode = q->opcode;
	b.flags = DNS_FLAG_QR | (q->flags & (DNS_FLAG_RD | DNS_FLAG_CD));
	b.rcode = rcode;
	if (q->qdcount == 1 && dns_build_question(&b, q->qd[0].name,
	    q->qd[0].qtype, q->qd[0].qclass) != DNS_OK)
		return 0;
	if (q->has_edns) {
		struct dns_edns e;
		memset(&e, 0, sizeof(e));
		e.udp_size = DNS_UDP_MAX;
		if (dns_build_edns(&b, &e) != DNS_OK)
			return 0;
	}
	len = dns_build_finish(&b);
	return len < 0 ? 0 : len;
}

/* ---- AXFR ---- */

void
dns_axfr_begin(struct dns_axfr *x, struct dns_dbzone *z,
    const struct dns_msg *q)
{
	memset(x, 0, sizeof(*x));
	x->zone = z;
	dns_dbzone_ref(z);
	x->id = q->id;
	x->qtype = q->qd[0].qtype;
	x->qclass = q->qd[0].qclass;
	memcpy(x->qname, q->qd[0].name, q->qd[0].name_len);
}

int
dns_axfr_next(struct dns_axfr *x, uint8_t *out, size_t cap)
{
	struct dns_dbzone *z = x->zone;
	struct dns_msg_builder b;
	int len;

	if (x->phase == 3 || dns_build_init(&b, out, cap) != DNS_OK)
		return 0;
	b.id = x->id;
	b.flags = DNS_FLAG_QR | DNS_FLAG_AA;
	if (x->msgs == 0 &&
	    dns_build_question(&b, x->qname, x->qtype, x->qclass) != DNS_OK)
		return 0;
	if (x->phase == 0) {
		if (dns_build_rr(&b, DNS_SEC_ANSWER, &z->soa->rr[0]) != DNS_OK)
			return 0;
		x->phase = 1;
	}
	while (x->phase == 1) {
		if (x->set == NULL) {
			if (x->node >= z->nnodes) {
				x->phase = 2;
				break;
			}
			x->set = z->order[x->node]->sets;
			x->rr = 0;
			if (x->set == NULL) {
				x->node++;
				continue;
			}
		}
		if (x->rr >= x->set->count || x->set->type == DNS_T_SOA) {
			x->set = x->set->next;
			x->rr = 0;
			if (x->set == NULL)
				x->node++;
			continue;
		}
		int r = dns_build_rr(&b, DNS_SEC_ANSWER, &x->set->rr[x->rr]);
		if (r == DNS_FULL && b.count[DNS_SEC_ANSWER] > 0)
			goto out;
		if (r != DNS_OK) {
			x->rr++; /* cannot fit even alone: skip it */
			continue;
		}
		x->rr++;
	}
	if (x->phase == 2) {
		if (dns_build_rr(&b, DNS_SEC_ANSWER, &z->soa->rr[0]) != DNS_OK)
			goto out;
		x->phase = 3;
	}
out:
	x->msgs++;
	len = dns_build_finish(&b);
	return len < 0 ? 0 : len;
}

void
dns_axfr_end(struct dns_axfr *x)
{
	if (x->zone)
		dns_dbzone_unref(x->zone);
	x->zone = NULL;
}
