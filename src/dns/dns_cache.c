/* dns_cache.c - the resolver's cache over the shared table: the key is the
 * lowercased name with type and class, the value an RRset serialised into
 * bytes, the shcache tag its rank. Decoding on get points the records into
 * the bytes just copied out, so a hit costs one copy. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_cache.h"

struct dns_cache {
	struct shcache *sh;
	uint32_t max_ttl, max_neg_ttl;
	uint8_t *putbuf;	/* DNS_CACHE_VALUE_MAX: a value being stored */
	uint8_t *getbuf;	/* DNS_CACHE_VALUE_MAX: the last hit's bytes */
	struct dns_rr *rr;	/* the last hit's records, into getbuf */
	size_t rr_cap;
};

/* The value: a header, then each record.
 *   kind u8, 0 u8, n u16, ttl u32 (the stored TTL, capped)
 *   per record: owner_len u8, owner, type u16, class u16, rdlen u16, rdata
 * The smallest record takes 8 bytes, so a value holds at most
 * DNS_CACHE_VALUE_MAX / 8 records. */
#define VAL_HDR 8
#define REC_MIN 8
#define KEY_MAX (DNS_NAME_MAX + 4)

struct dns_cache *
dns_cache_new(size_t max_bytes, uint32_t max_ttl, uint32_t max_neg_ttl)
{
	struct dns_cache *c = calloc(1, sizeof(*c));
	char err[128];

	if (c == NULL)
		return NULL;
	c->putbuf = malloc(DNS_CACHE_VALUE_MAX);
	c->getbuf = malloc(DNS_CACHE_VALUE_MAX);
	c->sh = shcache_new(max_bytes, 0, err, sizeof(err));
	if (c->putbuf == NULL || c->getbuf == NULL || c->sh == NULL) {
		dns_cache_free(c);
		return NULL;
	}
	c->max_ttl = max_ttl;
	c->max_neg_ttl = max_neg_ttl;
	return c;
}

void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	shcache_free(c->sh);
	free(c->putbuf);
	free(c->getbuf);
	free(c->rr);
	free(c);
}

/* The key of (name, type, class) into k; its length, or 0 for a bad name. */
static size_t
make_key(uint8_t k[KEY_MAX], const uint8_t *name, uint16_t type,
    uint16_t rclass)
{
	int len = dns_name_len(name, DNS_NAME_MAX);

	if (len < 0)
		return 0;
	memcpy(k, name, (size_t)len);
	dns_name_lower(k);
	dns_put16(k + len, type);
	dns_put16(k + len + 2, rclass);
	return (size_t)len + 4;
}

uint32_t
dns_soa_neg_ttl(const struct dns_rr *soa)
{
	uint32_t min;

	if (soa->rdlen < 20)
		return 0;
	min = dns_get32(soa->rdata + soa->rdlen - 4);
	return soa->ttl < min ? soa->ttl : min;
}

/* Serialises rr[0..n) into buf[0..DNS_CACHE_VALUE_MAX); its length, or 0
 * when it does not fit. */
static size_t
encode(uint8_t *buf, enum dns_cache_kind kind, const struct dns_rr *rr,
    size_t n, uint32_t ttl)
{
	size_t pos = VAL_HDR;

	buf[0] = (uint8_t)kind;
	buf[1] = 0;
	dns_put16(buf + 2, (uint16_t)n);
	dns_put32(buf + 4, ttl);
	for (size_t i = 0; i < n; i++) {
		size_t need = 7 + (size_t)rr[i].owner_len + rr[i].rdlen;
		if (rr[i].owner_len == 0 || rr[i].owner_len > DNS_NAME_MAX ||
		    need > DNS_CACHE_VALUE_MAX - pos)
			return 0;
		buf[pos++] = (uint8_t)rr[i].owner_len;
		memcpy(buf + pos, rr[i].owner, rr[i].owner_len);
		pos += rr[i].owner_len;
		dns_put16(buf + pos, rr[i].type);
		dns_put16(buf + pos + 2, rr[i].rclass);
		dns_put16(buf + pos + 4, rr[i].rdlen);
		pos += 6;
		if (rr[i].rdlen)
			memcpy(buf + pos, rr[i].rdata, rr[i].rdlen);
		pos += rr[i].rdlen;
	}
	return pos;
}

/* Decodes the value v[0..len) into c->rr (records pointing into v) and
 * the hit; 0, or -1 when it is malformed or the records cannot be had. */
static int
decode(struct dns_cache *c, const uint8_t *v, size_t len,
    struct dns_cache_hit *hit)
{
	size_t n, pos = VAL_HDR;
	uint32_t ttl;

	if (len < VAL_HDR)
		return -1;
	n = dns_get16(v + 2);
	ttl = dns_get32(v + 4);
	if (n > (len - VAL_HDR) / REC_MIN)
		return -1;
	if (n > c->rr_cap) {
		size_t cap = c->rr_cap ? c->rr_cap : 16;
		struct dns_rr *p;
		while (cap < n)
			cap *= 2;
		if ((p = realloc(c->rr, cap * sizeof(*p))) == NULL)
			return -1;
		c->rr = p;
		c->rr_cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct dns_rr *r = &c->rr[i];
		if (pos >= len || v[pos] == 0 || len - pos < 7u + v[pos])
			return -1;
		r->owner_len = v[pos++];
		r->owner = v + pos;
		pos += r->owner_len;
		r->type = dns_get16(v + pos);
		r->rclass = dns_get16(v + pos + 2);
		r->rdlen = dns_get16(v + pos + 4);
		pos += 6;
		if (r->rdlen > len - pos)
			return -1;
		r->rdata = v + pos;
		pos += r->rdlen;
		r->ttl = ttl;
	}
	hit->kind = (enum dns_cache_kind)v[0];
	hit->n = n;
	hit->rr = c->rr;
	return 0;
}

/* A lower rank never replaces a higher one that is still live (the table
 * replaces expired entries without asking). */
static int
may_replace(const struct shcache_info *old, const struct shcache_info *new_,
    void *arg)
{
	return old->tag <= new_->tag;
}

int
dns_cache_put(struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass, enum dns_cache_kind kind, int rank,
    const struct dns_rr *rr, size_t n, uint32_t ttl, uint64_t now_ms)
{
	uint8_t k[KEY_MAX];
	size_t klen = make_key(k, name, type, rclass), vlen;

	if (klen == 0 || n > 0xffff || rank < 0)
		return 0;
	if (kind == DNS_CACHE_POS) {
		if (n == 0)
			return 0;
		ttl = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (rr[i].ttl < ttl)
				ttl = rr[i].ttl;
		if (ttl > c->max_ttl)
			ttl = c->max_ttl;
	} else if (ttl > c->max_neg_ttl) {
		ttl = c->max_neg_ttl;
	}
	if (ttl == 0)
		return 0;
	vlen = encode(c->putbuf, kind, rr, n, ttl);
	if (vlen == 0)
		return 0;
	return shcache_put(c->sh, k, klen, c->putbuf, vlen, (uint32_t)rank,
	    now_ms + (uint64_t)ttl * 1000, now_ms, may_replace, NULL);
}

int
dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass, int min_rank, uint64_t now_ms,
    struct dns_cache_hit *hit)
{
	uint8_t k[KEY_MAX];
	size_t klen = make_key(k, name, type, rclass);
	struct shcache_info info;

	if (klen == 0)
		return 0;
	if (shcache_get(c->sh, k, klen, min_rank > 0 ? (uint32_t)min_rank : 0,
	    now_ms, c->getbuf, DNS_CACHE_VALUE_MAX, &info) != 1)
		return 0;
	if (decode(c, c->getbuf, info.vlen, hit) < 0)
		return 0;
	hit->rank = (int)info.tag;
	hit->ttl = (uint32_t)((info.expire_ms - now_ms) / 1000);
	return 1;
}

void
dns_cache_stats(const struct dns_cache *c, struct shcache_stats *st)
{
	shcache_stats(c->sh, st);
}

size_t
dns_cache_entries(const struct dns_cache *c)
{
	struct shcache_stats st;

	shcache_stats(c->sh, &st);
	return (size_t)st.entries;
}

size_t
dns_cache_bytes(const struct dns_cache *c)
{
	struct shcache_stats st;

	shcache_stats(c->sh, &st);
	return (size_t)st.bytes;
}

uint32_t
dns_cache_cap_ttl(const struct dns_cache *c, uint32_t ttl, int negative)
{
	uint32_t cap = negative ? c->max_neg_ttl : c->max_ttl;

	return ttl < cap ? ttl : cap;
}
