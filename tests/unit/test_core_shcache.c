/* test_core_shcache.c - the shared cache: copy-out, the replace decision,
 * expiry, LRU within the byte bound, values over many blocks, two processes
 * on one table, and a process SIGKILLed while it holds a shard lock (the
 * table stays usable, the shard is wiped, a waiter blocked on the lock goes
 * on). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/shcache.h"
#include "test.h"

static struct shcache *
mk(size_t bytes, int shards)
{
	char err[128];
	struct shcache *c = shcache_new(bytes, shards, err, sizeof(err));

	ok(c != NULL, "shcache_new: %s", c ? "" : err);
	return c;
}

static int
put_s(struct shcache *c, const char *k, const char *v, uint32_t tag,
    uint64_t expire, uint64_t now, shcache_replace_cb *cb)
{
	return shcache_put(c, k, strlen(k), v, strlen(v), tag, expire, now, cb,
	    NULL);
}

/* 1 when k is there with value v (at time now). */
static int
has(struct shcache *c, const char *k, const char *v, uint64_t now)
{
	char buf[256];
	struct shcache_info in;

	if (shcache_get(c, k, strlen(k), 0, now, buf, sizeof(buf), &in) != 1)
		return 0;
	return in.vlen == strlen(v) && memcmp(buf, v, in.vlen) == 0;
}

TEST(core_shcache_copy_out)
{
	struct shcache *c = mk(64 * 1024, 0);
	char buf[64], small[2];
	struct shcache_info in;

	ok(put_s(c, "key", "value", 7, 1000, 0, NULL) == 1, "stored");
	memset(buf, 0, sizeof(buf));
	ok(shcache_get(c, "key", 3, 0, 10, buf, sizeof(buf), &in) == 1 &&
	    in.vlen == 5 && in.tag == 7 && in.expire_ms == 1000 &&
	    memcmp(buf, "value", 5) == 0, "copied out with tag and deadline");
	memset(buf, 'x', sizeof(buf));
	ok(has(c, "key", "value", 10), "the caller's copy is its own");
	ok(shcache_get(c, "key", 3, 0, 10, small, sizeof(small), &in) == -1 &&
	    in.vlen == 5, "too small a buffer: -1 and the length");
	ok(shcache_get(c, "KEY", 3, 0, 10, buf, sizeof(buf), &in) == 0,
	    "keys are bytes (no case folding here)");
	ok(shcache_put(c, "empty", 5, NULL, 0, 0, 1000, 0, NULL, NULL) == 1 &&
	    shcache_get(c, "empty", 5, 0, 0, buf, 0, &in) == 1 && in.vlen == 0,
	    "an empty value");
	ok(put_s(c, "key", "other", 7, 1000, 0, NULL) == 1 &&
	    has(c, "key", "other", 10), "replaced");
	ok(shcache_get(c, "key", 3, 8, 10, buf, sizeof(buf), &in) == 0,
	    "below min_tag: a miss");
	ok(has(c, "key", "other", 10), "and left alone");
	ok(shcache_del(c, "key", 3) == 1 && !has(c, "key", "other", 10) &&
	    shcache_del(c, "key", 3) == 0, "deleted");
	ok(shcache_put(c, "", 0, "v", 1, 0, 1000, 0, NULL, NULL) == 0,
	    "empty key refused");
	shcache_free(c);
}

static int
rank_cb(const struct shcache_info *old, const struct shcache_info *new_,
    void *arg)
{
	int *calls = arg;

	if (calls)
		(*calls)++;
	return old->tag <= new_->tag;
}

TEST(core_shcache_replace_decision)
{
	struct shcache *c = mk(64 * 1024, 0);
	int calls = 0;

	ok(put_s(c, "ns", "answer", 2, 5000, 0, rank_cb) == 1, "first");
	ok(shcache_put(c, "ns", 2, "glue", 4, 1, 9000, 100, rank_cb, &calls) ==
	    0 && calls == 1, "a lower tag does not replace a live entry");
	ok(has(c, "ns", "answer", 100), "old kept");
	ok(shcache_put(c, "ns", 2, "again", 5, 2, 9000, 100, rank_cb, &calls) ==
	    1 && calls == 2 && has(c, "ns", "again", 100), "an equal tag does");
	calls = 0;
	ok(shcache_put(c, "ns", 2, "glue", 4, 1, 20000, 9000, rank_cb,
	    &calls) == 1 && calls == 0, "an expired entry is replaced unasked");
	ok(has(c, "ns", "glue", 9001), "new one there");
	shcache_free(c);
}

TEST(core_shcache_expiry)
{
	struct shcache *c = mk(64 * 1024, 0);
	struct shcache_stats st;

	ok(put_s(c, "a", "1", 0, 1000, 0, NULL) == 1, "stored");
	ok(put_s(c, "b", "2", 0, 500, 500, NULL) == 0, "already due: refused");
	ok(has(c, "a", "1", 999), "live just before its deadline");
	ok(!has(c, "a", "1", 1000), "gone at it");
	shcache_stats(c, &st);
	ok(st.entries == 0 && st.expired == 1 && st.bytes == 0,
	    "dropped when met: entries %llu expired %llu",
	    (unsigned long long)st.entries, (unsigned long long)st.expired);
	shcache_free(c);
}

TEST(core_shcache_lru_and_bound)
{
	size_t max = 64 * 1024;
	struct shcache *c = mk(max, 0);
	struct shcache_stats st;
	char k[32];
	int over = 0, peak = 0;

	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		ok(put_s(c, k, "v", 0, 1000, 0, NULL) == 1, "put %s", k);
		/* keep k0 in use: LRU spares it */
		ok(has(c, "k0", "v", 0), "k0 there at %d", i);
		shcache_stats(c, &st);
		if (st.bytes > max)
			over++;
		if ((int)st.entries > peak)
			peak = (int)st.entries;
	}
	shcache_stats(c, &st);
	ok(over == 0 && st.max_bytes <= max, "never over the bound");
	ok(peak <= (int)(max / SHCACHE_BLOCK) && st.entries > 100,
	    "entries bounded: peak %d now %llu", peak,
	    (unsigned long long)st.entries);
	ok(st.evictions > 0 && st.evictions + st.entries == 5000,
	    "evictions counted: %llu", (unsigned long long)st.evictions);
	ok(has(c, "k0", "v", 0), "recently used survived");
	ok(!has(c, "k1", "v", 0), "least recently used went");
	ok(has(c, "k4999", "v", 0), "newest kept");
	shcache_free(c);
}

TEST(core_shcache_large_values)
{
	struct shcache *c = mk(1024 * 1024, 4);
	size_t vmax = shcache_value_max(c), n = vmax;
	uint8_t *v = malloc(n + 1), *out = malloc(n + 1);
	struct shcache_info in;
	struct shcache_stats st;
	char key[600];

	ok(v && out && vmax > 10000, "value max %zu", vmax);
	for (size_t i = 0; i < n + 1; i++)
		v[i] = (uint8_t)(i * 7 + 3);
	memset(key, 'k', sizeof(key)); /* a key over several blocks too */
	ok(shcache_put(c, key, sizeof(key), v, n, 0, 10, 0, NULL, NULL) == 1,
	    "a value of value_max bytes");
	ok(shcache_get(c, key, sizeof(key), 0, 0, out, n + 1, &in) == 1 &&
	    in.vlen == n && memcmp(v, out, n) == 0, "read back whole");
	key[599] = 'x';
	ok(shcache_get(c, key, sizeof(key), 0, 0, out, n + 1, &in) == 0,
	    "a key differing in its last block misses");
	key[599] = 'k';
	ok(shcache_put(c, key, sizeof(key), v, n + 1, 0, 10, 0, NULL, NULL) ==
	    0, "one byte more refused");
	shcache_stats(c, &st);
	ok(st.entries == 1 && st.bytes >= n, "its blocks counted: %llu",
	    (unsigned long long)st.bytes);
	/* replace many times: the blocks come back (no leak) */
	for (int i = 0; i < 50; i++)
		shcache_put(c, "big", 3, v, 3000 + (size_t)i * 50, 0, 10, 0,
		    NULL, NULL);
	shcache_del(c, key, sizeof(key));
	shcache_del(c, "big", 3);
	shcache_stats(c, &st);
	ok(st.entries == 0 && st.bytes == 0, "all blocks free again");
	ok(shcache_get(c, "big", 3, 0, 0, out, n, &in) == 0, "gone");
	free(v);
	free(out);
	shcache_free(c);
	c = mk(0, 0);
	ok(shcache_value_max(c) == 0 &&
	    put_s(c, "a", "b", 0, 10, 0, NULL) == 0, "a zero-byte cache "
	    "holds nothing");
	shcache_free(c);
}

TEST(core_shcache_two_processes)
{
	struct shcache *c = mk(256 * 1024, 0);
	char k[32], v[32];
	int status, bad = 0;
	pid_t pid;

	ok(put_s(c, "from-parent", "p", 0, 1000, 0, NULL) == 1, "parent put");
	pid = fork();
	if (pid == 0) {
		int fail = !has(c, "from-parent", "p", 0);
		for (int i = 0; i < 200; i++) {
			snprintf(k, sizeof(k), "child%d", i);
			snprintf(v, sizeof(v), "value%d", i);
			fail |= put_s(c, k, v, 0, 1000, 0, NULL) != 1;
		}
		_exit(fail);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "child saw the parent's entry, stored");
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof(k), "child%d", i);
		snprintf(v, sizeof(v), "value%d", i);
		bad += !has(c, k, v, 0);
	}
	ok(bad == 0, "the parent sees the child's entries (%d missing)", bad);
	shcache_free(c);
}

/* Two processes hammering one small table: every value read back belongs
 * to its key (copies are never torn), and the bound holds. */
TEST(core_shcache_concurrent)
{
	struct shcache *c = mk(32 * 1024, 2);
	pid_t kids[2];
	int status, good = 0;

	for (int p = 0; p < 2; p++) {
		kids[p] = fork();
		if (kids[p] == 0) {
			char k[32], v[300], buf[300];
			struct shcache_info in;
			int fail = 0;
			for (int i = 0; i < 20000; i++) {
				int n = (i * 7919 + p) % 500;
				size_t vl = (size_t)(n % 250) + 1;
				snprintf(k, sizeof(k), "key%d", n);
				memset(v, 'a' + n % 26, vl);
				if (i % 3 == 0) {
					shcache_put(c, k, strlen(k), v, vl, 0,
					    1000, 0, NULL, NULL);
				} else if (shcache_get(c, k, strlen(k), 0, 0,
				    buf, sizeof(buf), &in) == 1) {
					fail |= in.vlen != vl ||
					    memcmp(buf, v, vl) != 0;
				}
			}
			_exit(fail);
		}
	}
	for (int p = 0; p < 2; p++)
		if (kids[p] > 0 && waitpid(kids[p], &status, 0) == kids[p] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	ok(good == 2, "both processes read only whole, right values");
	struct shcache_stats st;
	shcache_stats(c, &st);
	ok(st.bytes <= 32 * 1024 && st.entries > 0, "bound kept: %llu bytes",
	    (unsigned long long)st.bytes);
	shcache_free(c);
}

/* A key of shard `shard` other than avoid (by trying names). */
static void
key_in(struct shcache *c, int shard, int same, const char *avoid, char *out,
    size_t n)
{
	for (int i = 0; i < 100000; i++) {
		snprintf(out, n, "probe%d", i);
		if (strcmp(out, avoid) != 0 &&
		    (shcache_shard_of(c, out, strlen(out)) == shard) == same)
			return;
	}
}

TEST(core_shcache_killed_lock_holder)
{
	struct shcache *c = mk(256 * 1024, 4);
	char same[32], other[32], b;
	struct shcache_stats st;
	int fds[2], status, shard;
	pid_t holder, waiter;

	shard = shcache_shard_of(c, "victim", 6);
	key_in(c, shard, 1, "victim", same, sizeof(same));
	key_in(c, shard, 0, "victim", other, sizeof(other));
	ok(put_s(c, "victim", "v", 0, 1000, 0, NULL) == 1 &&
	    put_s(c, same, "s", 0, 1000, 0, NULL) == 1 &&
	    put_s(c, other, "o", 0, 1000, 0, NULL) == 1, "three entries");
	ok(pipe(fds) == 0, "pipe");
	holder = fork();
	if (holder == 0) {
		close(fds[0]);
		if (shcache_test_lock(c, "victim", 6) == 0)
			(void)!write(fds[1], "L", 1);
		for (;;)
			pause();
	}
	close(fds[1]);
	ok(holder > 0 && read(fds[0], &b, 1) == 1 && b == 'L',
	    "the child holds the shard lock");
	close(fds[0]);
	/* a second process asks for the same shard: it blocks until the
	 * holder dies, then gets EOWNERDEAD and repairs */
	waiter = fork();
	if (waiter == 0)
		_exit(put_s(c, same, "w", 0, 1000, 0, NULL) == 1 ? 0 : 1);
	kill(holder, SIGKILL);
	ok(waitpid(holder, &status, 0) == holder && WIFSIGNALED(status),
	    "holder killed");
	ok(waitpid(waiter, &status, 0) == waiter && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "the blocked process went on");
	ok(!has(c, "victim", "v", 0), "the dead holder's shard was wiped");
	ok(has(c, same, "w", 0), "the waiter's put is there");
	ok(has(c, other, "o", 0), "other shards untouched");
	ok(put_s(c, "victim", "again", 0, 1000, 0, NULL) == 1 &&
	    has(c, "victim", "again", 0), "the parent's put on that shard "
	    "works");
	shcache_stats(c, &st);
	ok(st.repairs == 1, "one repair: %llu", (unsigned long long)st.repairs);
	/* the lock works normally afterwards, across processes too */
	holder = fork();
	if (holder == 0)
		_exit(has(c, "victim", "again", 0) ? 0 : 1);
	ok(waitpid(holder, &status, 0) == holder && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "a new process reads it");
	shcache_stats(c, &st);
	ok(st.repairs == 1, "no further repair");
	shcache_free(c);
}
