/* shcache.h - one cache for every worker process: a hash table in shared
 * memory (MAP_SHARED | MAP_ANONYMOUS) made by the parent before it forks.
 *
 * The table is split into shards, each behind its own process-shared robust
 * mutex: a worker that dies holding one (even by SIGKILL) costs that shard's
 * entries and nothing else, since the next process to take the lock gets
 * EOWNERDEAD, wipes the shard and marks the mutex consistent. Each shard
 * keeps its own LRU list and its own share of the byte bound, and allocates
 * its entries from its own fixed-size blocks (SHCACHE_BLOCK bytes, chained;
 * links are block numbers, never pointers). Keys are hashed with SipHash-1-3
 * under a random key, since remote parties choose what fills the cache.
 *
 * Keys and values are bytes. A lookup copies the value out into the
 * caller's buffer, so no pointer into the table ever leaves the lock (another
 * worker may evict the entry a moment later). Entries expire at an absolute
 * CLOCK_MONOTONIC deadline in milliseconds, a clock that every process on
 * the machine shares (loop_now, clock_mono_ms); the functions take the time
 * as an argument so that tests can drive it.
 *
 * Left out: persistence (the region lives as long as the parent), resizing,
 * and fairness between shards (a shard that is full evicts its own LRU even
 * when another shard has room).
 */
#ifndef CAMADA_SHCACHE_H
#define CAMADA_SHCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SHCACHE_BLOCK 128		/* bytes per block */
#define SHCACHE_KEY_MAX 1024		/* longest key */
#define SHCACHE_MAX_SHARDS 64

struct shcache;

/* What the table knows of an entry besides its bytes. */
struct shcache_info {
	uint32_t tag;		/* the caller's: a rank, a kind */
	uint64_t expire_ms;	/* CLOCK_MONOTONIC deadline */
	size_t vlen;		/* value length */
};

/* The replace decision: called under the shard lock when put meets a live
 * entry with the same key (an expired one is replaced without asking).
 * Returns 1 to replace old by new, 0 to keep old. It must not call back
 * into the cache. */
typedef int shcache_replace_cb(const struct shcache_info *old,
    const struct shcache_info *new_, void *arg);

struct shcache_stats {
	uint64_t entries;
	uint64_t bytes;		/* blocks in use * SHCACHE_BLOCK */
	uint64_t evictions;	/* live entries dropped to make room */
	uint64_t expired;	/* entries dropped because they expired */
	uint64_t repairs;	/* shards wiped after a process died holding
				 * their lock */
	uint64_t max_bytes;	/* the bound: every shard's blocks */
	int nshards;
};

/* Maps a new table whose entries take at most max_bytes (rounded down to
 * whole blocks; the buckets and shard headers add about 2% on top). nshards
 * 0 picks a count from the size (1..SHCACHE_MAX_SHARDS, at least 256 blocks
 * per shard when there is room). The seed comes from getrandom. Call it
 * before fork: every process forked afterwards shares the table, and a
 * worker restarted by the parent finds it as it was. Returns NULL with err
 * (errlen bytes) when the memory cannot be mapped. */
struct shcache *shcache_new(size_t max_bytes, int nshards, char *err,
    size_t errlen) BUF_WUR;
/* Unmaps the table in this process; the other processes keep theirs. NULL
 * is a no-op. */
void shcache_free(struct shcache *c);

/* The longest value put accepts: an entry takes at most a quarter of its
 * shard, so that one entry cannot empty a shard. 0 for a cache too small to
 * hold anything. */
size_t shcache_value_max(const struct shcache *c);

/* Stores key[0..klen) -> val[0..vlen) with tag and an absolute deadline.
 * A live entry with the same key is replaced when may_replace (NULL: always)
 * says so. Room is made by evicting the shard's least recently used entries.
 * Returns 1 when stored; 0 when not: the old entry was kept, the key is
 * empty or longer than SHCACHE_KEY_MAX, the value is longer than
 * shcache_value_max, expire_ms <= now_ms, or the shard's lock is
 * unrecoverable. */
int shcache_put(struct shcache *c, const void *key, size_t klen,
    const void *val, size_t vlen, uint32_t tag, uint64_t expire_ms,
    uint64_t now_ms, shcache_replace_cb *may_replace, void *arg);

/* Looks key up. A live entry with a tag of at least min_tag is copied into
 * buf[0..cap), *info filled and the entry marked recently used: returns 1.
 * Returns 0 on a miss (an expired entry met on the way is dropped; an entry
 * below min_tag is left alone), -1 when the value is larger than cap (only
 * info->vlen is set then, nothing is copied). buf stays the caller's: the
 * table keeps no reference to it. */
int shcache_get(struct shcache *c, const void *key, size_t klen,
    uint32_t min_tag, uint64_t now_ms, void *buf, size_t cap,
    struct shcache_info *info);

/* Removes key; 1 when there was an entry, else 0. */
int shcache_del(struct shcache *c, const void *key, size_t klen);

/* The whole table's figures, summed over the shards without their locks (so
 * a reader never waits; each figure is exact, the sum is a snapshot). Safe
 * in any process that has the mapping, the parent included. */
void shcache_stats(const struct shcache *c, struct shcache_stats *st);

/* Which shard key lives in, 0..nshards-1 (for tests and diagnostics). */
int shcache_shard_of(const struct shcache *c, const void *key, size_t klen);

/* Test hook: takes the lock of key's shard and returns without releasing
 * it, so that a test process can die holding it. 0, or -1. */
int shcache_test_lock(struct shcache *c, const void *key, size_t klen);

/* Test hook for the integration tests: when the environment variable
 * CAMADA_TEST_SHCACHE_HOLD names a file at shcache_new, each put checks for
 * that file once it holds the shard lock; the first process to unlink it
 * writes "PID SHARD\n" to the file of the same name with ".pid" appended
 * and then waits forever with the lock held, to be killed. Without the
 * variable nothing of this runs. */
#define SHCACHE_HOLD_ENV "CAMADA_TEST_SHCACHE_HOLD"

#endif
