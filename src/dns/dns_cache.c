/* dns_cache.c - the resolver's cache: a chained hash table keyed by
 * SipHash-1-3 with a random key, and an LRU list for the memory bound. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns/dns_cache.h"

struct entry {
	struct entry *hnext;
	struct entry *lprev, *lnext;
	uint64_t expire;	/* ms */
	size_t bytes;
	uint32_t hash;
	uint16_t type, rclass;
	uint8_t kind, rank;
	uint16_t n;
	uint8_t *name;
	struct dns_rr *rr;
	/* then: rr[n], name, owners and rdata */
};

struct dns_cache {
	struct entry **tab;
	size_t nbuckets;	/* a power of two */
	size_t count;
	size_t bytes;
	size_t max_bytes;
	uint32_t max_ttl, max_neg_ttl;
	struct entry *lru_head, *lru_tail; /* head: most recently used */
	uint64_t k0, k1;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                        \
	do {                                                            \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                  \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                  \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* SipHash-1-3 of p[0..n) */
static uint64_t
siphash13(uint64_t k0, uint64_t k1, const uint8_t *p, size_t n)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		m = 0;
		for (int j = 0; j < 8; j++)
			m |= (uint64_t)p[i + (size_t)j] << (8 * j);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (int j = 0; i + (size_t)j < n; j++)
		b |= (uint64_t)p[i + (size_t)j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t
key_hash(const struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass)
{
	uint8_t k[DNS_NAME_MAX + 4];
	int len = dns_name_len(name, DNS_NAME_MAX);

	if (len < 0)
		len = 1;
	memcpy(k, name, (size_t)len);
	dns_name_lower(k);
	dns_put16(k + len, type);
	dns_put16(k + len + 2, rclass);
	return (uint32_t)siphash13(c->k0, c->k1, k, (size_t)len + 4);
}

struct dns_cache *
dns_cache_new(size_t max_bytes, uint32_t max_ttl, uint32_t max_neg_ttl)
{
	struct dns_cache *c = calloc(1, sizeof(*c));
	uint64_t key[2] = { 0, 0 };

	if (c == NULL)
		return NULL;
	c->nbuckets = 1024;
	c->tab = calloc(c->nbuckets, sizeof(*c->tab));
	if (c->tab == NULL) {
		free(c);
		return NULL;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		key[0] = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ULL;
		key[1] = (uint64_t)(uintptr_t)&key;
	}
	c->k0 = key[0];
	c->k1 = key[1];
	c->max_bytes = max_bytes;
	c->max_ttl = max_ttl;
	c->max_neg_ttl = max_neg_ttl;
	return c;
}

static void
lru_unlink(struct dns_cache *c, struct entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		c->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		c->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
lru_push(struct dns_cache *c, struct entry *e)
{
	e->lprev = NULL;
	e->lnext = c->lru_head;
	if (c->lru_head)
		c->lru_head->lprev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
}

/* Unlinks e from its bucket (found by walking) and the LRU, frees it. */
static void
entry_drop(struct dns_cache *c, struct entry *e)
{
	struct entry **pp = &c->tab[e->hash & (c->nbuckets - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(c, e);
	c->count--;
	c->bytes -= e->bytes;
	free(e);
}

void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	while (c->lru_head)
		entry_drop(c, c->lru_head);
	free(c->tab);
	free(c);
}

static struct entry *
find(struct dns_cache *c, uint32_t h, const uint8_t *name, uint16_t type,
    uint16_t rclass)
{
	for (struct entry *e = c->tab[h & (c->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && e->type == type && e->rclass == rclass &&
		    dns_name_equal(e->name, name))
			return e;
	return NULL;
}

static void
grow(struct dns_cache *c)
{
	size_t nb = c->nbuckets * 2;
	struct entry **t = calloc(nb, sizeof(*t));

	if (t == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct entry *e = c->tab[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			e->hnext = t[e->hash & (nb - 1)];
			t[e->hash & (nb - 1)] = e;
		}
	}
	free(c->tab);
	c->tab = t;
	c->nbuckets = nb;
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

int
dns_cache_put(struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass, enum dns_cache_kind kind, int rank,
    const struct dns_rr *rr, size_t n, uint32_t ttl, uint64_t now_ms)
{
	int nlen = dns_name_len(name, DNS_NAME_MAX);
	size_t sz;
	uint32_t h;
	struct entry *old, *e;
	uint8_t *p;

	if (nlen < 0 || n > 0xffff)
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
	h = key_hash(c, name, type, rclass);
	old = find(c, h, name, type, rclass);
	if (old && old->rank > rank && old->expire > now_ms)
		return 0;
	sz = sizeof(*e) + n * sizeof(struct dns_rr) + (size_t)nlen;
	for (size_t i = 0; i < n; i++)
		sz += rr[i].owner_len + (size_t)rr[i].rdlen;
	if (sz > c->max_bytes / 4)
		return 0;
	e = malloc(sz);
	if (e == NULL)
		return -1;
	memset(e, 0, sizeof(*e));
	e->rr = (struct dns_rr *)(e + 1);
	p = (uint8_t *)(e->rr + n);
	e->name = p;
	memcpy(p, name, (size_t)nlen);
	p += nlen;
	for (size_t i = 0; i < n; i++) {
		e->rr[i] = rr[i];
		e->rr[i].ttl = ttl;
		memcpy(p, rr[i].owner, rr[i].owner_len);
		e->rr[i].owner = p;
		p += rr[i].owner_len;
		if (rr[i].rdlen)
			memcpy(p, rr[i].rdata, rr[i].rdlen);
		e->rr[i].rdata = p;
		p += rr[i].rdlen;
	}
	e->n = (uint16_t)n;
	e->bytes = sz;
	e->hash = h;
	e->type = type;
	e->rclass = rclass;
	e->kind = (uint8_t)kind;
	e->rank = (uint8_t)rank;
	e->expire = now_ms + (uint64_t)ttl * 1000;
	if (old)
		entry_drop(c, old);
	/* make room: the least recently used go first */
	while (c->bytes + sz > c->max_bytes && c->lru_tail)
		entry_drop(c, c->lru_tail);
	if (c->count >= c->nbuckets)
		grow(c);
	e->hnext = c->tab[h & (c->nbuckets - 1)];
	c->tab[h & (c->nbuckets - 1)] = e;
	lru_push(c, e);
	c->count++;
	c->bytes += sz;
	return 1;
}

int
dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass, int min_rank, uint64_t now_ms,
    struct dns_cache_hit *hit)
{
	uint32_t h = key_hash(c, name, type, rclass);
	struct entry *e = find(c, h, name, type, rclass);

	if (e == NULL)
		return 0;
	if (e->expire <= now_ms) {
		entry_drop(c, e);
		return 0;
	}
	if (e->rank < min_rank)
		return 0;
	lru_unlink(c, e);
	lru_push(c, e);
	hit->kind = (enum dns_cache_kind)e->kind;
	hit->rank = e->rank;
	hit->ttl = (uint32_t)((e->expire - now_ms) / 1000);
	hit->n = e->n;
	hit->rr = e->rr;
	return 1;
}

size_t
dns_cache_entries(const struct dns_cache *c)
{
	return c->count;
}

size_t
dns_cache_bytes(const struct dns_cache *c)
{
	return c->bytes;
}

uint32_t
dns_cache_cap_ttl(const struct dns_cache *c, uint32_t ttl, int negative)
{
	uint32_t cap = negative ? c->max_neg_ttl : c->max_ttl;

	return ttl < cap ? ttl : cap;
}
