/* dns_cache.h - the resolver's cache of RRsets and negative answers.
 *
 * Entries are keyed by (name, type, class), names compared ignoring ASCII
 * case. An entry is one of: a positive RRset, an NXDOMAIN or a NODATA
 * (RFC 2308: kept with the zone's SOA, for min(SOA TTL, SOA minimum)). Each
 * entry has a rank (RFC 2181 §5.4.1, simplified): hints and glue from a
 * referral rank below data from an authoritative answer, and a lower rank
 * never replaces a higher one that has not expired.
 *
 * TTLs are capped (max_ttl, max_neg_ttl) and counted down: a lookup returns
 * the seconds left. Memory is bounded: every entry's blocks are counted, and
 * past max_bytes the least recently used entries go first (expired entries
 * go whenever they are met).
 *
 * The entries live in a core/shcache table: shared memory that every worker
 * forked after dns_cache_new uses, so a name cached by one worker is a hit on
 * the others and its TTL counts down the same whichever worker answers. An
 * RRset is serialised into bytes on put and decoded on get into memory this
 * process owns. The clock is explicit (milliseconds); the processes must
 * agree on it, so servers pass CLOCK_MONOTONIC (loop_now). No sockets.
 */
#ifndef CAMADA_DNS_CACHE_H
#define CAMADA_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/shcache.h"
#include "dns/dns_wire.h"

enum dns_cache_kind {
	DNS_CACHE_POS = 0,	/* an RRset */
	DNS_CACHE_NXDOMAIN = 1,	/* the name does not exist */
	DNS_CACHE_NODATA = 2,	/* the name exists, not with this type */
};

/* The type an NXDOMAIN is kept under: it holds for every type. */
#define DNS_CACHE_ANY_TYPE 0

enum dns_cache_rank {
	DNS_RANK_GLUE = 1,	/* additional data, referral NS */
	DNS_RANK_ANSWER = 2,	/* authoritative answer (or a forwarder's) */
};

struct dns_cache;

struct dns_cache_hit {
	enum dns_cache_kind kind;
	int rank;
	uint32_t ttl;		/* seconds left */
	size_t n;		/* records: the RRset, or the SOA (negative) */
	const struct dns_rr *rr; /* copies in this process's memory, owned by
				 * the cache handle: valid until the next
				 * dns_cache_get on it or dns_cache_free
				 * (another worker's put cannot touch them);
				 * their ttl fields hold the stored TTL, use
				 * .ttl */
};

/* Largest serialised entry (an RRset of about 64 KiB of records). */
#define DNS_CACHE_VALUE_MAX (64 * 1024)

/* Maps a new shared cache of max_bytes and its handle. Call it before fork
 * (a service's setup): the handle and the table are inherited, and each
 * process then decodes hits into its own copy of the handle's buffers.
 * NULL when out of memory. */
struct dns_cache *dns_cache_new(size_t max_bytes, uint32_t max_ttl,
    uint32_t max_neg_ttl);
/* ttl with the cache's cap applied (max_neg_ttl when negative), so that the
 * first answer, sent before any lookup, says what the cache will. */
uint32_t dns_cache_cap_ttl(const struct dns_cache *c, uint32_t ttl,
    int negative);
/* Frees this process's handle and unmaps its view of the table; processes
 * that still have theirs keep the entries. NULL is a no-op. */
void dns_cache_free(struct dns_cache *c);

/* Stores an entry, replacing the one with the same key unless that one has
 * a higher rank and has not expired. For DNS_CACHE_POS rr[0..n) is the
 * RRset (its TTL: the smallest of the records'); for negative kinds rr is
 * the SOA (n 0 or 1) and ttl is min(SOA TTL, SOA minimum), computed by the
 * caller. ttl is capped here. Returns 1 when stored, 0 when kept the old
 * one (or the entry was too large: over DNS_CACHE_VALUE_MAX serialised or a
 * quarter of its shard; or had TTL 0). Nothing is allocated: no -1. */
int dns_cache_put(struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass, enum dns_cache_kind kind, int rank,
    const struct dns_rr *rr, size_t n, uint32_t ttl, uint64_t now_ms);

/* Finds a live entry of at least min_rank; 1 with *hit, else 0 (an expired
 * entry is dropped on the way). Marks it recently used. The records are
 * copied out of the shared table into the handle's buffer: *hit is valid
 * until the next dns_cache_get on c. */
int dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t type,
    uint16_t rclass, int min_rank, uint64_t now_ms,
    struct dns_cache_hit *hit);

/* Whole-cache figures (every worker's entries), read without locks. */
size_t dns_cache_entries(const struct dns_cache *c);
size_t dns_cache_bytes(const struct dns_cache *c);
void dns_cache_stats(const struct dns_cache *c, struct shcache_stats *st);

/* min(SOA TTL, SOA minimum) of an SOA record (RFC 2308 §5), or 0 when the
 * rdata is too short. */
uint32_t dns_soa_neg_ttl(const struct dns_rr *soa);

#endif
