/* shcache.c - the shared cache: one mapping holds the header, the shards,
 * every shard's bucket array and every shard's blocks. Offsets and block
 * numbers only: the mapping sits at one address in every process today
 * (inherited through fork), but nothing relies on it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/shcache.h"

#define SHC_MAGIC 0x73686361636865ULL	/* "shcache" */
#define SHC_VALUE_MAX (1024 * 1024)
#define SHC_MIN_SHARD_BLOCKS 256
#define SHC_HOLD_PATH 240

/* An entry is a chain of blocks; each block starts with the number of the
 * next one (0: the last), and the first block carries the entry's header.
 * The key's bytes, then the value's, run on across the chain. */
struct shc_head {
	uint32_t next;		/* next block of this entry */
	uint32_t hnext;		/* next entry in the bucket */
	uint32_t lprev, lnext;	/* LRU: lprev towards the most recent */
	uint32_t hash;
	uint32_t tag;
	uint32_t klen, vlen;
	uint64_t expire;
};

#define HEAD_DATA (SHCACHE_BLOCK - sizeof(struct shc_head))
#define CONT_DATA (SHCACHE_BLOCK - sizeof(uint32_t))

/* Counters are written under the lock but read without it (shcache_stats,
 * from the parent too): relaxed atomics keep those reads defined. */
#define CNT_ADD(x, v) __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)
#define CNT_SUB(x, v) __atomic_fetch_sub(&(x), (v), __ATOMIC_RELAXED)
#define CNT_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define CNT_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct shc_shard {
	pthread_mutex_t lock;
	uint64_t buckets_off;	/* from the start of the mapping */
	uint64_t blocks_off;
	uint32_t nbuckets;	/* a power of two */
	uint32_t nblocks;
	uint32_t fresh;		/* blocks past fresh were never used: taken
				 * in order, so untouched pages stay unmapped
				 * until the cache grows into them */
	uint32_t free_head;	/* chain of freed blocks */
	uint32_t nfree;
	uint32_t lru_head, lru_tail;
	uint64_t entries;
	uint64_t used;		/* blocks */
	uint64_t evictions, expired, repairs;
} __attribute__((aligned(64)));

struct shcache {
	uint64_t magic;
	uint64_t map_len;
	uint64_t k0, k1;
	uint64_t value_max;
	uint32_t nshards;
	uint32_t shard_blocks;
	char hold_path[SHC_HOLD_PATH];	/* the test hook's file, or "" */
	struct shc_shard shard[];
};

/* ---- SipHash-1-3 ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                        \
	do {                                                            \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                  \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                  \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

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

/* ---- layout ---- */

static uint32_t *
buckets(struct shcache *c, struct shc_shard *s)
{
	return (uint32_t *)((uint8_t *)c + s->buckets_off);
}

/* Block b (1-based; 0 is "none") of shard s. */
static uint8_t *
blk(struct shcache *c, struct shc_shard *s, uint32_t b)
{
	return (uint8_t *)c + s->blocks_off + (size_t)(b - 1) * SHCACHE_BLOCK;
}

static struct shc_head *
head(struct shcache *c, struct shc_shard *s, uint32_t b)
{
	return (struct shc_head *)(void *)blk(c, s, b);
}

static uint32_t
blk_next(struct shcache *c, struct shc_shard *s, uint32_t b)
{
	uint32_t n;

	memcpy(&n, blk(c, s, b), sizeof(n));
	return n;
}

static void
blk_set_next(struct shcache *c, struct shc_shard *s, uint32_t b, uint32_t n)
{
	memcpy(blk(c, s, b), &n, sizeof(n));
}

/* Blocks an entry of len key+value bytes takes. */
static size_t
blocks_for(size_t len)
{
	if (len <= HEAD_DATA)
		return 1;
	return 1 + (len - HEAD_DATA + CONT_DATA - 1) / CONT_DATA;
}

static size_t
round_pow2(size_t n)
{
	size_t p = 8;

	while (p < n)
		p *= 2;
	return p;
}

struct shcache *
shcache_new(size_t max_bytes, int nshards, char *err, size_t errlen)
{
	size_t total = max_bytes / SHCACHE_BLOCK, per, nb, off, len;
	uint64_t key[2] = { 0, 0 };
	pthread_mutexattr_t a;
	struct shcache *c;
	const char *hold;

	if (nshards <= 0) {
		nshards = (int)(total / SHC_MIN_SHARD_BLOCKS);
		if (nshards > SHCACHE_MAX_SHARDS)
			nshards = SHCACHE_MAX_SHARDS;
		if (nshards < 1)
			nshards = 1;
	} else if (nshards > SHCACHE_MAX_SHARDS) {
		nshards = SHCACHE_MAX_SHARDS;
	}
	per = total / (size_t)nshards;
	if (per > UINT32_MAX / 2)
		per = UINT32_MAX / 2;
	nb = round_pow2(per / 2);
	off = sizeof(*c) + (size_t)nshards * sizeof(struct shc_shard);
	off = (off + 63) & ~(size_t)63;
	len = off + (size_t)nshards * (nb * sizeof(uint32_t) +
	    per * SHCACHE_BLOCK);
	c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (c == MAP_FAILED) {
		snprintf(err, errlen, "shared cache of %zu bytes: %s", len,
		    strerror(errno));
		return NULL;
	}
	/* the mapping comes zeroed: empty buckets, no free blocks */
	c->magic = SHC_MAGIC;
	c->map_len = len;
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		key[0] = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)getpid();
		key[1] = (uint64_t)(uintptr_t)&key;
	}
	c->k0 = key[0];
	c->k1 = key[1];
	c->nshards = (uint32_t)nshards;
	c->shard_blocks = (uint32_t)per;
	c->value_max = 0;
	if (per / 4 > 0) {
		size_t room = HEAD_DATA + (per / 4 - 1) * CONT_DATA;
		c->value_max = room > SHCACHE_KEY_MAX ? room - SHCACHE_KEY_MAX :
		    0;
		if (c->value_max > SHC_VALUE_MAX)
			c->value_max = SHC_VALUE_MAX;
	}
	hold = getenv(SHCACHE_HOLD_ENV);
	if (hold && strlen(hold) + 5 < sizeof(c->hold_path))
		snprintf(c->hold_path, sizeof(c->hold_path), "%s", hold);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < nshards; i++) {
		struct shc_shard *s = &c->shard[i];
		s->buckets_off = off;
		off += nb * sizeof(uint32_t);
		s->nbuckets = (uint32_t)nb;
		s->nblocks = (uint32_t)per;
		pthread_mutex_init(&s->lock, &a);
	}
	for (int i = 0; i < nshards; i++) {
		c->shard[i].blocks_off = off;
		off += per * SHCACHE_BLOCK;
	}
	pthread_mutexattr_destroy(&a);
	return c;
}

void
shcache_free(struct shcache *c)
{
	if (c)
		munmap(c, c->map_len);
}

size_t
shcache_value_max(const struct shcache *c)
{
	return c->value_max;
}

/* ---- the lock, and the repair after a holder died ---- */

/* Forgets every entry of s: the holder that died may have left a chain or a
 * list half linked, and nothing tells which, so the shard starts over. */
static void
shard_wipe(struct shcache *c, struct shc_shard *s)
{
	memset(buckets(c, s), 0, (size_t)s->nbuckets * sizeof(uint32_t));
	s->fresh = 0;
	s->free_head = 0;
	s->nfree = 0;
	s->lru_head = s->lru_tail = 0;
	CNT_SET(s->entries, 0);
	CNT_SET(s->used, 0);
	CNT_ADD(s->repairs, 1);
}

static int
shard_lock(struct shcache *c, struct shc_shard *s)
{
	int rc = pthread_mutex_lock(&s->lock);

	if (rc == EOWNERDEAD) {
		/* if we die here too, the next locker gets EOWNERDEAD again
		 * and wipes again: the wipe may be repeated */
		shard_wipe(c, s);
		pthread_mutex_consistent(&s->lock);
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

static void
shard_unlock(struct shc_shard *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* The integration tests' hold (see shcache.h): called with the lock held. */
static void
test_hold(struct shcache *c, uint32_t shard)
{
	char path[SHC_HOLD_PATH + 8], tmp[SHC_HOLD_PATH + 16], line[64];
	int fd, n;

	if (unlink(c->hold_path) < 0)
		return;
	snprintf(path, sizeof(path), "%s.pid", c->hold_path);
	snprintf(tmp, sizeof(tmp), "%s.pid.tmp", c->hold_path);
	n = snprintf(line, sizeof(line), "%d %u\n", (int)getpid(), shard);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) == n)
			rename(tmp, path);
		close(fd);
	}
	for (;;)
		pause();
}

/* ---- entries ---- */

struct shc_key {
	const uint8_t *p;
	size_t n;
	uint32_t hash;
	uint32_t shard;
};

static void
key_init(const struct shcache *c, struct shc_key *k, const void *key,
    size_t klen)
{
	uint64_t h = siphash13(c->k0, c->k1, key, klen);

	k->p = key;
	k->n = klen;
	k->hash = (uint32_t)h;
	k->shard = (uint32_t)((h >> 32) % c->nshards);
}

/* Compares p[0..n) with the chain's bytes from payload offset 0. */
static int
chain_eq(struct shcache *c, struct shc_shard *s, uint32_t b, const uint8_t *p,
    size_t n)
{
	size_t room = HEAD_DATA, skip = sizeof(struct shc_head);

	while (n > 0 && b) {
		size_t k = n < room ? n : room;
		if (memcmp(blk(c, s, b) + skip, p, k) != 0)
			return 0;
		p += k;
		n -= k;
		b = blk_next(c, s, b);
		room = CONT_DATA;
		skip = sizeof(uint32_t);
	}
	return n == 0;
}

/* Copies n payload bytes starting at payload offset off out of the chain
 * (to != NULL) or into it (from != NULL). */
static void
chain_copy(struct shcache *c, struct shc_shard *s, uint32_t b, size_t off,
    uint8_t *to, const uint8_t *from, size_t n)
{
	size_t room = HEAD_DATA, skip = sizeof(struct shc_head);

	while (b && off >= room) {
		off -= room;
		b = blk_next(c, s, b);
		room = CONT_DATA;
		skip = sizeof(uint32_t);
	}
	while (n > 0 && b) {
		size_t k = room - off < n ? room - off : n;
		uint8_t *d = blk(c, s, b) + skip + off;
		if (to) {
			memcpy(to, d, k);
			to += k;
		} else {
			memcpy(d, from, k);
			from += k;
		}
		n -= k;
		off = 0;
		b = blk_next(c, s, b);
		room = CONT_DATA;
		skip = sizeof(uint32_t);
	}
}

/* The entry with key k, or 0; *link gets the bucket link that points at it. */
static uint32_t
find(struct shcache *c, struct shc_shard *s, const struct shc_key *k,
    uint32_t **link)
{
	uint32_t *pp = &buckets(c, s)[k->hash & (s->nbuckets - 1)];

	while (*pp) {
		struct shc_head *h = head(c, s, *pp);
		if (h->hash == k->hash && h->klen == k->n &&
		    chain_eq(c, s, *pp, k->p, k->n)) {
			if (link)
				*link = pp;
			return *pp;
		}
		pp = &h->hnext;
	}
	return 0;
}

static void
lru_unlink(struct shcache *c, struct shc_shard *s, uint32_t e)
{
	struct shc_head *h = head(c, s, e);

	if (h->lprev)
		head(c, s, h->lprev)->lnext = h->lnext;
	else
		s->lru_head = h->lnext;
	if (h->lnext)
		head(c, s, h->lnext)->lprev = h->lprev;
	else
		s->lru_tail = h->lprev;
	h->lprev = h->lnext = 0;
}

static void
lru_push(struct shcache *c, struct shc_shard *s, uint32_t e)
{
	struct shc_head *h = head(c, s, e);

	h->lprev = 0;
	h->lnext = s->lru_head;
	if (s->lru_head)
		head(c, s, s->lru_head)->lprev = e;
	s->lru_head = e;
	if (s->lru_tail == 0)
		s->lru_tail = e;
}

/* Unlinks entry e (its bucket link is *link, or NULL to search for it) and
 * gives its blocks back. */
static void
entry_drop(struct shcache *c, struct shc_shard *s, uint32_t e, uint32_t *link)
{
	struct shc_head *h = head(c, s, e);
	uint32_t last = e;
	uint64_t n = 1;

	if (link == NULL) {
		link = &buckets(c, s)[h->hash & (s->nbuckets - 1)];
		while (*link && *link != e)
			link = &head(c, s, *link)->hnext;
	}
	if (*link == e)
		*link = h->hnext;
	lru_unlink(c, s, e);
	while (blk_next(c, s, last)) {
		last = blk_next(c, s, last);
		n++;
	}
	blk_set_next(c, s, last, s->free_head);
	s->free_head = e;
	s->nfree += (uint32_t)n;
	CNT_SUB(s->entries, 1);
	CNT_SUB(s->used, n);
}

/* Takes n blocks (the caller checked n <= nblocks), evicting from the LRU
 * tail until they are there; returns the first of the chain, or 0. */
static uint32_t
blocks_take(struct shcache *c, struct shc_shard *s, uint32_t n)
{
	uint32_t first = 0, prev = 0;

	while (s->nfree + (s->nblocks - s->fresh) < n && s->lru_tail) {
		entry_drop(c, s, s->lru_tail, NULL);
		CNT_ADD(s->evictions, 1);
	}
	if (s->nfree + (s->nblocks - s->fresh) < n)
		return 0; /* cannot happen while n <= nblocks: no leak */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b;
		if (s->free_head) {
			b = s->free_head;
			s->free_head = blk_next(c, s, b);
			s->nfree--;
		} else {
			b = ++s->fresh;
		}
		blk_set_next(c, s, b, 0);
		if (prev)
			blk_set_next(c, s, prev, b);
		else
			first = b;
		prev = b;
	}
	CNT_ADD(s->used, n);
	return first;
}

int
shcache_put(struct shcache *c, const void *key, size_t klen,
    const void *val, size_t vlen, uint32_t tag, uint64_t expire_ms,
    uint64_t now_ms, shcache_replace_cb *may_replace, void *arg)
{
	struct shc_key k;
	struct shc_shard *s;
	struct shc_head *h;
	uint32_t old, *link = NULL, e;
	size_t need;

	if (klen == 0 || klen > SHCACHE_KEY_MAX || vlen > c->value_max ||
	    expire_ms <= now_ms)
		return 0;
	need = blocks_for(klen + vlen);
	key_init(c, &k, key, klen);
	s = &c->shard[k.shard];
	if (need > s->nblocks / 4 || shard_lock(c, s) < 0)
		return 0;
	if (c->hold_path[0])
		test_hold(c, k.shard);
	old = find(c, s, &k, &link);
	if (old) {
		h = head(c, s, old);
		if (h->expire > now_ms && may_replace) {
			struct shcache_info oi = { h->tag, h->expire, h->vlen };
			struct shcache_info ni = { tag, expire_ms, vlen };
			if (!may_replace(&oi, &ni, arg)) {
				shard_unlock(s);
				return 0;
			}
		}
		if (h->expire <= now_ms)
			CNT_ADD(s->expired, 1);
		entry_drop(c, s, old, link);
	}
	e = blocks_take(c, s, (uint32_t)need);
	if (e == 0) {
		shard_unlock(s);
		return 0;
	}
	h = head(c, s, e);
	h->hash = k.hash;
	h->tag = tag;
	h->klen = (uint32_t)klen;
	h->vlen = (uint32_t)vlen;
	h->expire = expire_ms;
	chain_copy(c, s, e, 0, NULL, key, klen);
	if (vlen)
		chain_copy(c, s, e, klen, NULL, val, vlen);
	link = &buckets(c, s)[k.hash & (s->nbuckets - 1)];
	h->hnext = *link;
	*link = e;
	lru_push(c, s, e);
	CNT_ADD(s->entries, 1);
	shard_unlock(s);
	return 1;
}

int
shcache_get(struct shcache *c, const void *key, size_t klen,
    uint32_t min_tag, uint64_t now_ms, void *buf, size_t cap,
    struct shcache_info *info)
{
	struct shc_key k;
	struct shc_shard *s;
	struct shc_head *h;
	uint32_t e, *link = NULL;
	int rc = 0;

	if (klen == 0 || klen > SHCACHE_KEY_MAX)
		return 0;
	key_init(c, &k, key, klen);
	s = &c->shard[k.shard];
	if (shard_lock(c, s) < 0)
		return 0;
	e = find(c, s, &k, &link);
	if (e == 0)
		goto out;
	h = head(c, s, e);
	if (h->expire <= now_ms) {
		entry_drop(c, s, e, link);
		CNT_ADD(s->expired, 1);
		goto out;
	}
	if (h->tag < min_tag)
		goto out;
	info->tag = h->tag;
	info->expire_ms = h->expire;
	info->vlen = h->vlen;
	if (h->vlen > cap) {
		rc = -1;
		goto out;
	}
	if (h->vlen)
		chain_copy(c, s, e, h->klen, buf, NULL, h->vlen);
	lru_unlink(c, s, e);
	lru_push(c, s, e);
	rc = 1;
out:
	shard_unlock(s);
	return rc;
}

int
shcache_del(struct shcache *c, const void *key, size_t klen)
{
	struct shc_key k;
	struct shc_shard *s;
	uint32_t e, *link = NULL;

	if (klen == 0 || klen > SHCACHE_KEY_MAX)
		return 0;
	key_init(c, &k, key, klen);
	s = &c->shard[k.shard];
	if (shard_lock(c, s) < 0)
		return 0;
	e = find(c, s, &k, &link);
	if (e)
		entry_drop(c, s, e, link);
	shard_unlock(s);
	return e != 0;
}

void
shcache_stats(const struct shcache *c, struct shcache_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->nshards = (int)c->nshards;
	st->max_bytes = (uint64_t)c->nshards * c->shard_blocks * SHCACHE_BLOCK;
	for (uint32_t i = 0; i < c->nshards; i++) {
		const struct shc_shard *s = &c->shard[i];
		st->entries += CNT_GET(s->entries);
		st->bytes += CNT_GET(s->used) * SHCACHE_BLOCK;
		st->evictions += CNT_GET(s->evictions);
		st->expired += CNT_GET(s->expired);
		st->repairs += CNT_GET(s->repairs);
	}
}

int
shcache_shard_of(const struct shcache *c, const void *key, size_t klen)
{
	struct shc_key k;

	key_init(c, &k, key, klen);
	return (int)k.shard;
}

int
shcache_test_lock(struct shcache *c, const void *key, size_t klen)
{
	struct shc_key k;

	key_init(c, &k, key, klen);
	return shard_lock(c, &c->shard[k.shard]);
}
