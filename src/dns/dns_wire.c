/* dns_wire.c - DNS names, messages and EDNS0 on the wire: a parser that
 * decompresses into an arena and a builder that compresses into a buffer.
 * Every read checks the bytes left first; names are decoded in one bounded
 * pass (never "measure, then copy": nginx CVE-2021-23017).
 */
#include <string.h>

#include "core/ascii.h"
#include "core/frame.h"
#include "dns/dns_wire.h"

/* ---- arena ---- */

void
dns_arena_init(struct dns_arena *a, void *mem, size_t cap)
{
	a->base = mem;
	a->cap = cap;
	a->used = 0;
}

void
dns_arena_reset(struct dns_arena *a)
{
	a->used = 0;
}

void *
dns_arena_alloc(struct dns_arena *a, size_t n, size_t align)
{
	uintptr_t at = (uintptr_t)(a->base + a->used);
	size_t pad = (size_t)((align - (at & (align - 1))) & (align - 1));

	if (pad > a->cap - a->used || n > a->cap - a->used - pad)
		return NULL;
	a->used += pad;
	void *p = a->base + a->used;
	a->used += n;
	return p;
}

/* ---- names ---- */

int
dns_name_read(const uint8_t *msg, size_t msglen, size_t *pos, size_t end,
    uint8_t out[DNS_NAME_MAX])
{
	size_t p = *pos;
	size_t limit = *pos;	/* pointers must go strictly below this */
	size_t bound = end < msglen ? end : msglen;	/* this run's end */
	size_t after = 0;	/* where the name ends at *pos */
	size_t olen = 0;
	int jumped = 0;

	for (;;) {
		if (p >= bound)
			return DNS_ERR;
		uint8_t c = msg[p];
		if (c == 0) {
			/* olen <= 254 here: labels always leave room */
			out[olen++] = 0;
			*pos = jumped ? after : p + 1;
			return (int)olen;
		}
		switch (c & 0xc0) {
		case 0x00:
			if (bound - p - 1 < c)
				return DNS_ERR;
			/* keep a byte for the root label */
			if (olen + 1 + c + 1 > DNS_NAME_MAX)
				return DNS_ERR;
			out[olen++] = c;
			memcpy(out + olen, msg + p + 1, c);
			olen += c;
			p += 1 + (size_t)c;
			break;
		case 0xc0: {
			if (bound - p < 2)
				return DNS_ERR;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (target >= limit)
				return DNS_ERR;
			if (!jumped)
				after = p + 2;
			jumped = 1;
			/* The name pointed to was written before the label
			 * run that points to it, so it ends before it too. */
			bound = limit;
			limit = target;
			p = target;
			break;
		}
		default:	/* 0x40 and 0x80: reserved label types */
			return DNS_ERR;
		}
	}
}

int
dns_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n > DNS_NAME_MAX)
		n = DNS_NAME_MAX;
	while (i < n) {
		uint8_t c = p[i];
		if (c == 0)
			return (int)(i + 1);
		if (c > DNS_LABEL_MAX)
			return DNS_ERR;
		i += 1 + (size_t)c;
	}
	return DNS_ERR;
}

int
dns_name_labels(const uint8_t *name)
{
	int n = 0;

	for (size_t i = 0; name[i] != 0; i += 1 + (size_t)name[i])
		n++;
	return n;
}

int
dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0;

	for (;;) {
		if (a[i] != b[i])
			return 0;
		if (a[i] == 0)
			return 1;
		size_t l = a[i];
		for (size_t k = 1; k <= l; k++)
			if (ascii_lower(a[i + k]) != ascii_lower(b[i + k]))
				return 0;
		i += 1 + l;
	}
}

/* Offsets of the labels of name, first to last; returns how many. */
static int
label_offsets(const uint8_t *name, uint8_t off[128])
{
	int n = 0;

	for (size_t i = 0; name[i] != 0 && n < 128; i += 1 + (size_t)name[i])
		off[n++] = (uint8_t)i;
	return n;
}

int
dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[128], ob[128];
	int na = label_offsets(a, oa), nb = label_offsets(b, ob);

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t m = la[0] < lb[0] ? la[0] : lb[0];
		for (size_t k = 1; k <= m; k++) {
			uint8_t x = ascii_lower(la[k]), y = ascii_lower(lb[k]);
			if (x != y)
				return x < y ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

int
dns_name_is_sub(const uint8_t *name, const uint8_t *zone)
{
	int skip = dns_name_labels(name) - dns_name_labels(zone);

	if (skip < 0)
		return 0;
	while (skip-- > 0)
		name += 1 + (size_t)name[0];
	return dns_name_equal(name, zone);
}

uint32_t
dns_name_hash(const uint8_t *name)
{
	uint32_t h = 2166136261u;
	size_t i = 0;

	for (;;) {
		size_t l = name[i];
		for (size_t k = 0; k <= l; k++) {
			h ^= k == 0 ? name[i] : ascii_lower(name[i + k]);
			h *= 16777619u;
		}
		if (l == 0)
			return h;
		i += 1 + l;
	}
}

void
dns_name_lower(uint8_t *name)
{
	for (size_t i = 0; name[i] != 0; i += 1 + (size_t)name[i])
		for (size_t k = 1; k <= name[i]; k++)
			name[i + k] = ascii_lower(name[i + k]);
}

const uint8_t *
dns_name_parent(const uint8_t *name)
{
	return name[0] == 0 ? NULL : name + 1 + name[0];
}

/* ---- EDNS ---- */

int
dns_edns_opt_next(const struct dns_edns *e, size_t *pos, uint16_t *code,
    struct slice *data)
{
	size_t p = *pos, n = e->opts_len;

	if (p >= n)
		return 0;
	if (n - p < 4)
		return DNS_ERR;
	size_t olen = dns_get16(e->opts + p + 2);
	if (olen > n - p - 4)
		return DNS_ERR;
	*code = dns_get16(e->opts + p);
	data->p = e->opts + p + 4;
	data->n = olen;
	*pos = p + 4 + olen;
	return 1;
}

/* ---- message parser ---- */

#define NCACHE 16

/* The parse in progress. The cache maps the offset where a name was read
 * (or the target of a name that is a single pointer) to the arena copy, so
 * the usual "owner is a pointer to the question name" costs no new bytes. */
struct pctx {
	const uint8_t *p;
	size_t n;
	size_t pos;
	struct dns_arena *a;
	struct dns_msg *m;
	unsigned ncache, next;
	struct {
		size_t key;
		const uint8_t *name;
		int len;
	} cache[NCACHE];
};

static int
fail(struct pctx *c, uint16_t rcode, const char *why)
{
	c->m->err_rcode = rcode;
	c->m->err = why;
	return DNS_ERR;
}

static const uint8_t *
cache_find(struct pctx *c, size_t pos, size_t end, int *len)
{
	if (end - pos < 2 || (c->p[pos] & 0xc0) != 0xc0)
		return NULL;
	size_t target = (size_t)(c->p[pos] & 0x3f) << 8 | c->p[pos + 1];
	if (target >= pos)
		return NULL;
	for (unsigned i = 0; i < c->ncache; i++) {
		if (c->cache[i].key == target) {
			*len = c->cache[i].len;
			return c->cache[i].name;
		}
	}
	return NULL;
}

static void
cache_add(struct pctx *c, size_t pos, const uint8_t *name, int len)
{
	size_t key = pos;

	if ((c->p[pos] & 0xc0) == 0xc0)
		key = (size_t)(c->p[pos] & 0x3f) << 8 | c->p[pos + 1];
	c->cache[c->next].key = key;
	c->cache[c->next].name = name;
	c->cache[c->next].len = len;
	c->next = (c->next + 1) % NCACHE;
	if (c->ncache < NCACHE)
		c->ncache++;
}

/* Reads the name at c->pos (bytes before end) into an arena copy. */
static int
read_owner(struct pctx *c, size_t end, const uint8_t **name)
{
	uint8_t tmp[DNS_NAME_MAX];
	size_t start = c->pos;
	int len;
	const uint8_t *hit = cache_find(c, start, end, &len);

	if (hit != NULL) {
		*name = hit;
		c->pos += 2;
		return len;
	}
	len = dns_name_read(c->p, c->n, &c->pos, end, tmp);
	if (len < 0)
		return fail(c, DNS_RCODE_FORMERR, "bad domain name");
	uint8_t *copy = dns_arena_alloc(c->a, (size_t)len, 1);
	if (copy == NULL)
		return fail(c, DNS_RCODE_SERVFAIL, "message too large for arena");
	memcpy(copy, tmp, (size_t)len);
	cache_add(c, start, copy, len);
	*name = copy;
	return len;
}

/* Decodes the rdata at c->pos..end of a record of this type and class into
 * canonical form in the arena. */
static int
read_rdata(struct pctx *c, uint16_t type, uint16_t rclass, size_t end,
    struct dns_rr *rr)
{
	const struct dns_rrtype *t = dns_rrtype_layout(type);
	uint8_t *dst = c->a->base + c->a->used;
	size_t room = c->a->cap - c->a->used;
	size_t q = c->pos, o = 0;
	unsigned fi = 0;

	/* Unknown types are opaque (RFC 3597); dynamic update (RFC 2136
	 * §2.5.2) deletes with class ANY or NONE and empty rdata. */
	if (t == NULL || (q == end && (rclass == DNS_C_ANY ||
	    rclass == DNS_C_NONE))) {
		if (end - q > room)
			return fail(c, DNS_RCODE_SERVFAIL,
			    "message too large for arena");
		memcpy(dst, c->p + q, end - q);
		o = end - q;
		q = end;
	} else {
		while (fi < DNS_RR_MAXFIELDS && t->fields[fi] != DNS_FK_END) {
			int kind = t->fields[fi];
			if (kind == DNS_FK_NAME || kind == DNS_FK_CNAME) {
				uint8_t tmp[DNS_NAME_MAX];
				size_t start = q;
				int len;
				const uint8_t *hit = cache_find(c, q, end, &len);
				if (hit != NULL) {
					memcpy(tmp, hit, (size_t)len);
					q += 2;
				} else {
					len = dns_name_read(c->p, c->n, &q, end,
					    tmp);
					if (len < 0)
						return fail(c,
						    DNS_RCODE_FORMERR,
						    "bad domain name in rdata");
				}
				if ((size_t)len > room - o)
					return fail(c, DNS_RCODE_SERVFAIL,
					    "message too large for arena");
				memcpy(dst + o, tmp, (size_t)len);
				if (hit == NULL)
					cache_add(c, start, dst + o, len);
				o += (size_t)len;
				fi++;
				continue;
			}
			int sz = dns_field_size(kind, c->p + q, end - q);
			if (sz < 0)
				return fail(c, DNS_RCODE_FORMERR,
				    "rdata does not match its type");
			if ((size_t)sz > room - o)
				return fail(c, DNS_RCODE_SERVFAIL,
				    "message too large for arena");
			memcpy(dst + o, c->p + q, (size_t)sz);
			o += (size_t)sz;
			q += (size_t)sz;
			if (kind != DNS_FK_STRS || q == end)
				fi++;
		}
		if (q != end)
			return fail(c, DNS_RCODE_FORMERR,
			    "rdata longer than its type's fields");
		if (o > 65535)
			return fail(c, DNS_RCODE_FORMERR,
			    "rdata too long once decompressed");
	}
	c->a->used += o;
	rr->rdata = dst;
	rr->rdlen = (uint16_t)o;
	c->pos = end;
	return DNS_OK;
}

static int
read_opt(struct pctx *c, int sec, const struct dns_rr *rr, size_t end)
{
	struct dns_msg *m = c->m;
	size_t len = end - c->pos;

	if (sec != DNS_SEC_ADDITIONAL)
		return fail(c, DNS_RCODE_FORMERR, "OPT outside additional");
	if (m->has_edns)
		return fail(c, DNS_RCODE_FORMERR, "more than one OPT");
	if (rr->owner_len != 1)
		return fail(c, DNS_RCODE_FORMERR, "OPT owner is not the root");
	if (dns_field_size(DNS_FK_OPTS, c->p + c->pos, len) < 0)
		return fail(c, DNS_RCODE_FORMERR, "malformed EDNS options");
	uint8_t *opts = dns_arena_alloc(c->a, len, 1);
	if (opts == NULL && len > 0)
		return fail(c, DNS_RCODE_SERVFAIL, "message too large for arena");
	if (len > 0)
		memcpy(opts, c->p + c->pos, len);
	m->has_edns = 1;
	m->edns.udp_size = rr->rclass;
	m->edns.ext_rcode = (uint8_t)(rr->ttl >> 24);
	m->edns.version = (uint8_t)(rr->ttl >> 16);
	m->edns.flags = (uint16_t)rr->ttl;
	m->edns.opts = opts;
	m->edns.opts_len = (uint16_t)len;
	c->pos = end;
	return DNS_OK;
}

static int
read_section(struct pctx *c, int sec, unsigned claimed)
{
	struct dns_msg *m = c->m;

	for (unsigned i = 0; i < claimed; i++) {
		struct dns_rr *rr = &m->rr[sec][m->count[sec]];
		int len = read_owner(c, c->n, &rr->owner);
		if (len < 0)
			return DNS_ERR;
		rr->owner_len = (uint16_t)len;
		if (c->n - c->pos < 10)
			return fail(c, DNS_RCODE_FORMERR, "record truncated");
		const uint8_t *f = c->p + c->pos;
		rr->type = dns_get16(f);
		rr->rclass = dns_get16(f + 2);
		rr->ttl = dns_get32(f + 4);
		size_t rdlen = dns_get16(f + 8);
		c->pos += 10;
		if (rdlen > c->n - c->pos)
			return fail(c, DNS_RCODE_FORMERR, "rdata truncated");
		size_t end = c->pos + rdlen;
		if (rr->type == DNS_T_OPT) {
			if (read_opt(c, sec, rr, end) < 0)
				return DNS_ERR;
			continue;
		}
		if (read_rdata(c, rr->type, rr->rclass, end, rr) < 0)
			return DNS_ERR;
		m->count[sec]++;
	}
	return DNS_OK;
}

int
dns_msg_parse(const uint8_t *p, size_t n, struct dns_msg *m,
    struct dns_arena *a)
{
	struct pctx c;
	unsigned claimed[3];

	memset(m, 0, sizeof(*m));
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.n = n;
	c.pos = DNS_HDR_LEN;
	c.a = a;
	c.m = m;
	if (n < DNS_HDR_LEN)
		return fail(&c, DNS_RCODE_FORMERR, "shorter than a header");
	uint16_t w = dns_get16(p + 2);
	m->id = dns_get16(p);
	m->flags = w & DNS_FLAG_MASK;
	m->opcode = (uint8_t)((w >> 11) & 0xf);
	m->rcode = w & 0xf;
	m->hdr_ok = 1;
	if (n > DNS_MSG_MAX)
		return fail(&c, DNS_RCODE_FORMERR, "longer than 65535 bytes");
	unsigned qd = dns_get16(p + 4);
	claimed[0] = dns_get16(p + 6);
	claimed[1] = dns_get16(p + 8);
	claimed[2] = dns_get16(p + 10);
	/* A question takes at least 5 bytes, a record 11: counts that claim
	 * more than the message can hold are lies, refused before we
	 * allocate for them. */
	if ((size_t)qd * 5 + ((size_t)claimed[0] + claimed[1] + claimed[2]) *
	    11 > n - DNS_HDR_LEN)
		return fail(&c, DNS_RCODE_FORMERR,
		    "counts claim more records than the message holds");
	if (qd > 0) {
		m->qd = dns_arena_alloc(a, qd * sizeof(*m->qd),
		    _Alignof(struct dns_question));
		if (m->qd == NULL)
			return fail(&c, DNS_RCODE_SERVFAIL,
			    "message too large for arena");
	}
	for (int s = 0; s < 3; s++) {
		if (claimed[s] == 0)
			continue;
		m->rr[s] = dns_arena_alloc(a, claimed[s] * sizeof(struct dns_rr),
		    _Alignof(struct dns_rr));
		if (m->rr[s] == NULL)
			return fail(&c, DNS_RCODE_SERVFAIL,
			    "message too large for arena");
	}
	for (unsigned i = 0; i < qd; i++) {
		struct dns_question *q = &m->qd[i];
		int len = read_owner(&c, n, &q->name);
		if (len < 0)
			return DNS_ERR;
		q->name_len = (uint16_t)len;
		if (n - c.pos < 4)
			return fail(&c, DNS_RCODE_FORMERR, "question truncated");
		q->qtype = dns_get16(p + c.pos);
		q->qclass = dns_get16(p + c.pos + 2);
		c.pos += 4;
		m->qdcount++;
	}
	for (int s = 0; s < 3; s++)
		if (read_section(&c, s, claimed[s]) < 0)
			return DNS_ERR;
	if (c.pos != n)
		return fail(&c, DNS_RCODE_FORMERR, "bytes after the last record");
	if (m->has_edns)
		m->rcode |= (uint16_t)(m->edns.ext_rcode << 4);
	return (int)n;
}

int
dns_tcp_frame(const uint8_t *p, size_t n, struct slice *msg)
{
	static const struct frame_fmt fmt = FRAME_FMT_DNS_TCP(DNS_MSG_MAX + 2);
	struct frame f;
	int r = frame_next(&fmt, p, n, &f);

	if (r > 0)
		*msg = f.payload;
	return r;
}

/* ---- message builder ---- */

int
dns_build_init(struct dns_msg_builder *b, uint8_t *buf, size_t max)
{
	memset(b, 0, sizeof(*b));
	if (max < DNS_HDR_LEN)
		return DNS_ERR;
	b->buf = buf;
	b->max = max > DNS_MSG_MAX ? DNS_MSG_MAX : max;
	b->len = DNS_HDR_LEN;
	b->sec = -1;
	memset(buf, 0, DNS_HDR_LEN);
	return DNS_OK;
}

int
dns_build_reserve(struct dns_msg_builder *b, size_t n)
{
	if (n > b->max - b->len)
		return DNS_FULL;
	b->reserve = n;
	return DNS_OK;
}

struct dns_build_mark
dns_build_mark(const struct dns_msg_builder *b)
{
	struct dns_build_mark mk;

	memset(&mk, 0, sizeof(mk));
	mk.len = b->len;
	mk.opt_pos = b->opt_pos;
	mk.sec = b->sec;
	mk.qdcount = b->qdcount;
	memcpy(mk.count, b->count, sizeof(mk.count));
	mk.nctab = b->nctab;
	return mk;
}

void
dns_build_rollback(struct dns_msg_builder *b, const struct dns_build_mark *mk)
{
	b->len = mk->len;
	b->opt_pos = mk->opt_pos;
	b->sec = mk->sec;
	b->qdcount = mk->qdcount;
	memcpy(b->count, mk->count, sizeof(b->count));
	b->nctab = mk->nctab;
}

static size_t
room(const struct dns_msg_builder *b)
{
	size_t limit = b->max - b->reserve;

	return b->len < limit ? limit - b->len : 0;
}

/* 1 when the (possibly compressed) name at buf[off] is byte-for-byte the
 * uncompressed name s. The buffer is ours, but is walked with bounds and a
 * hop limit all the same. */
static int
buf_name_is(const struct dns_msg_builder *b, size_t off, const uint8_t *s)
{
	size_t i = 0;
	int hops = 0;

	for (;;) {
		if (off >= b->len)
			return 0;
		uint8_t c = b->buf[off];
		if ((c & 0xc0) == 0xc0) {
			if (off + 1 >= b->len || ++hops > 127)
				return 0;
			off = (size_t)(c & 0x3f) << 8 | b->buf[off + 1];
			continue;
		}
		if (c != s[i])
			return 0;
		if (c == 0)
			return 1;
		if (off + 1 + c > b->len ||
		    memcmp(b->buf + off + 1, s + i + 1, c) != 0)
			return 0;
		off += 1 + (size_t)c;
		i += 1 + (size_t)c;
	}
}

static int
ctab_find(const struct dns_msg_builder *b, const uint8_t *s, size_t slen)
{
	for (unsigned k = 0; k < b->nctab; k++)
		if (b->ctab[k].len == slen && buf_name_is(b, b->ctab[k].off, s))
			return b->ctab[k].off;
	return -1;
}

/* Appends name, compressed against earlier names when compress is set, and
 * remembers its literal labels as targets for later names. */
static int
put_name(struct dns_msg_builder *b, const uint8_t *name, int compress)
{
	int nl = dns_name_len(name, DNS_NAME_MAX);
	size_t i = 0;
	int ptr = -1;

	if (nl < 0)
		return DNS_ERR;
	while (name[i] != 0) {
		if (compress) {
			ptr = ctab_find(b, name + i, (size_t)nl - i);
			if (ptr >= 0)
				break;
		}
		i += 1 + (size_t)name[i];
	}
	size_t need = i + (ptr >= 0 ? 2 : 1);
	if (need > room(b))
		return DNS_FULL;
	memcpy(b->buf + b->len, name, i);
	for (size_t j = 0; j < i; j += 1 + (size_t)name[j]) {
		size_t off = b->len + j;
		if (b->nctab >= DNS_CTAB_MAX || off > 0x3fff)
			break;
		b->ctab[b->nctab].off = (uint16_t)off;
		b->ctab[b->nctab].len = (uint8_t)((size_t)nl - j);
		b->nctab++;
	}
	b->len += i;
	if (ptr >= 0) {
		dns_put16(b->buf + b->len, (uint16_t)(0xc000 | ptr));
		b->len += 2;
	} else {
		b->buf[b->len++] = 0;
	}
	return DNS_OK;
}

static int
put_bytes(struct dns_msg_builder *b, const void *p, size_t n)
{
	if (n > room(b))
		return DNS_FULL;
	if (n > 0)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	return DNS_OK;
}

/* Appends canonical rdata, compressing DNS_FK_CNAME names. */
static int
put_rdata(struct dns_msg_builder *b, const struct dns_rr *rr)
{
	const struct dns_rrtype *t = dns_rrtype_layout(rr->type);
	struct dns_rdata_iter it;
	struct slice f;
	int k, r;

	if (t == NULL || !dns_rdata_valid(rr->type, rr->rdata, rr->rdlen))
		return put_bytes(b, rr->rdata, rr->rdlen);
	dns_rdata_iter_init(&it, t, rr->rdata, rr->rdlen);
	while ((k = dns_rdata_iter_next(&it, &f)) > 0) {
		if (k == DNS_FK_CNAME || k == DNS_FK_NAME)
			r = put_name(b, f.p, k == DNS_FK_CNAME);
		else
			r = put_bytes(b, f.p, f.n);
		if (r < 0)
			return r;
	}
	return DNS_OK;
}

int
dns_build_question(struct dns_msg_builder *b, const uint8_t *name,
    uint16_t qtype, uint16_t qclass)
{
	struct dns_build_mark mk = dns_build_mark(b);
	uint8_t f[4];
	int r;

	if (b->sec != -1)
		return DNS_ERR;
	dns_put16(f, qtype);
	dns_put16(f + 2, qclass);
	if ((r = put_name(b, name, 1)) < 0 || (r = put_bytes(b, f, 4)) < 0) {
		dns_build_rollback(b, &mk);
		return r;
	}
	b->qdcount++;
	return DNS_OK;
}

int
dns_build_rr(struct dns_msg_builder *b, enum dns_section sec,
    const struct dns_rr *rr)
{
	struct dns_build_mark mk = dns_build_mark(b);
	uint8_t f[10];
	int r;

	if ((int)sec < b->sec || (int)sec < 0 || sec > DNS_SEC_ADDITIONAL ||
	    (b->opt_pos != 0 && sec != DNS_SEC_ADDITIONAL) ||
	    b->count[sec] == 65535)
		return DNS_ERR;
	dns_put16(f, rr->type);
	dns_put16(f + 2, rr->rclass);
	dns_put32(f + 4, rr->ttl);
	dns_put16(f + 8, 0);
	if ((r = put_name(b, rr->owner, 1)) < 0 ||
	    (r = put_bytes(b, f, 10)) < 0)
		goto undo;
	size_t rdstart = b->len;
	if ((r = put_rdata(b, rr)) < 0)
		goto undo;
	dns_put16(b->buf + rdstart - 2, (uint16_t)(b->len - rdstart));
	b->count[sec]++;
	b->sec = (int)sec;
	return DNS_OK;
undo:
	dns_build_rollback(b, &mk);
	return r;
}

int
dns_build_edns(struct dns_msg_builder *b, const struct dns_edns *e)
{
	uint8_t f[11];
	size_t saved = b->reserve;

	if (b->opt_pos != 0 || b->count[DNS_SEC_ADDITIONAL] == 65535 ||
	    (e->opts_len > 0 && e->opts == NULL))
		return DNS_ERR;
	b->reserve = 0;
	if (dns_edns_size(e) > room(b)) {
		b->reserve = saved;
		return DNS_FULL;
	}
	f[0] = 0;
	dns_put16(f + 1, DNS_T_OPT);
	dns_put16(f + 3, e->udp_size);
	f[5] = 0;	/* extended rcode: set by dns_build_finish */
	f[6] = e->version;
	dns_put16(f + 7, e->flags);
	dns_put16(f + 9, e->opts_len);
	b->opt_pos = b->len + 5;
	put_bytes(b, f, sizeof(f));
	put_bytes(b, e->opts, e->opts_len);
	b->count[DNS_SEC_ADDITIONAL]++;
	b->sec = DNS_SEC_ADDITIONAL;
	return DNS_OK;
}

int
dns_build_finish(struct dns_msg_builder *b)
{
	uint8_t *h = b->buf;

	if (b->rcode > 0xfff || (b->rcode > 15 && b->opt_pos == 0))
		return DNS_ERR;
	dns_put16(h, b->id);
	dns_put16(h + 2, (uint16_t)((b->flags & DNS_FLAG_MASK) |
	    (b->opcode & 0xf) << 11 | (b->rcode & 0xf)));
	dns_put16(h + 4, b->qdcount);
	dns_put16(h + 6, b->count[0]);
	dns_put16(h + 8, b->count[1]);
	dns_put16(h + 10, b->count[2]);
	if (b->opt_pos != 0)
		h[b->opt_pos] = (uint8_t)(b->rcode >> 4);
	return (int)b->len;
}
