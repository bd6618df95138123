/* Tests for the resolver cache: keys ignore case, TTLs count down and
 * expire, caps, negative entries, ranks, the LRU memory bound, and one
 * cache shared by two processes. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns/dns_cache.h"
#include "dns/dns_text.h"
#include "test.h"

static void
wname(const char *s, uint8_t *out)
{
	dns_name_from_text(s, strlen(s), (const uint8_t *)"", out, NULL);
}

static struct dns_rr
mk_a(uint8_t *owner, const char *name, uint32_t ttl, const uint8_t *ip)
{
	struct dns_rr rr;

	wname(name, owner);
	rr.owner = owner;
	rr.owner_len = (uint16_t)dns_name_len(owner, DNS_NAME_MAX);
	rr.type = DNS_T_A;
	rr.rclass = DNS_C_IN;
	rr.ttl = ttl;
	rr.rdlen = 4;
	rr.rdata = ip;
	return rr;
}

TEST(dns_cache_put_get_countdown)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 86400, 3600);
	uint8_t o1[DNS_NAME_MAX], o2[DNS_NAME_MAX], q[DNS_NAME_MAX];
	static const uint8_t ip1[4] = { 192, 0, 2, 1 }, ip2[4] = { 192, 0, 2, 2 };
	struct dns_rr set[2];
	struct dns_cache_hit h;

	set[0] = mk_a(o1, "www.example.test", 300, ip1);
	set[1] = mk_a(o2, "www.example.test", 200, ip2);
	ok(dns_cache_put(c, o1, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
	    DNS_RANK_ANSWER, set, 2, 0, 1000) == 1, "stored");
	wname("WWW.Example.TEST", q);
	ok(dns_cache_get(c, q, DNS_T_A, DNS_C_IN, DNS_RANK_ANSWER, 1000, &h),
	    "found ignoring case");
	ok(h.n == 2 && h.ttl == 200, "RRset TTL is the smallest: %u", h.ttl);
	ok(memcmp(h.rr[1].rdata, ip2, 4) == 0, "rdata kept");
	ok(dns_cache_get(c, q, DNS_T_A, DNS_C_IN, 0, 1000 + 50500, &h) &&
	    h.ttl == 149, "counted down: %u", h.ttl);
	ok(!dns_cache_get(c, q, DNS_T_AAAA, DNS_C_IN, 0, 1000, &h),
	    "other type misses");
	ok(!dns_cache_get(c, q, DNS_T_A, DNS_C_IN, 0, 1000 + 200000, &h),
	    "expired");
	ok(dns_cache_entries(c) == 0, "expired entry dropped");
	dns_cache_free(c);
}

TEST(dns_cache_caps_and_negative)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 100, 10);
	uint8_t o[DNS_NAME_MAX], soa_owner[DNS_NAME_MAX], rd[512];
	static const uint8_t ip[4] = { 192, 0, 2, 1 };
	struct dns_rr a = mk_a(o, "a.test", 99999, ip), soa;
	struct dns_cache_hit h;
	int n;

	ok(dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
	    DNS_RANK_ANSWER, &a, 1, 0, 0) == 1, "stored");
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, 0, 0, &h) && h.ttl == 100,
	    "max-ttl caps: %u", h.ttl);
	wname("test", soa_owner);
	n = dns_rdata_from_text(DNS_T_SOA, "ns. host. 1 2 3 4 300", 21,
	    (const uint8_t *)"", rd, sizeof(rd), NULL);
	ok(n > 20, "soa rdata");
	soa.owner = soa_owner;
	soa.owner_len = (uint16_t)dns_name_len(soa_owner, DNS_NAME_MAX);
	soa.type = DNS_T_SOA;
	soa.rclass = DNS_C_IN;
	soa.ttl = 3600;
	soa.rdlen = (uint16_t)n;
	soa.rdata = rd;
	ok(dns_soa_neg_ttl(&soa) == 300, "min(SOA TTL, minimum)");
	wname("nx.test", o);
	ok(dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_NXDOMAIN,
	    DNS_RANK_ANSWER, &soa, 1, dns_soa_neg_ttl(&soa), 0) == 1, "neg");
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, 0, 0, &h) &&
	    h.kind == DNS_CACHE_NXDOMAIN && h.ttl == 10 && h.n == 1 &&
	    h.rr[0].type == DNS_T_SOA, "negative entry, capped at 10s");
	ok(dns_cache_put(c, o, DNS_T_MX, DNS_C_IN, DNS_CACHE_NODATA,
	    DNS_RANK_ANSWER, NULL, 0, 5, 0) == 1, "nodata without SOA");
	ok(dns_cache_get(c, o, DNS_T_MX, DNS_C_IN, 0, 4999, &h) &&
	    h.kind == DNS_CACHE_NODATA && h.n == 0, "nodata");
	ok(dns_cache_put(c, o, DNS_T_TXT, DNS_C_IN, DNS_CACHE_NODATA,
	    DNS_RANK_ANSWER, NULL, 0, 0, 0) == 0, "TTL 0 is not cached");
	dns_cache_free(c);
}

TEST(dns_cache_ranks)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 86400, 3600);
	uint8_t o[DNS_NAME_MAX];
	static const uint8_t good[4] = { 192, 0, 2, 1 }, bad[4] = { 6, 6, 6, 6 };
	struct dns_rr a = mk_a(o, "ns.test", 300, good);
	struct dns_cache_hit h;

	dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS, DNS_RANK_ANSWER,
	    &a, 1, 0, 0);
	a.rdata = bad;
	ok(dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS, DNS_RANK_GLUE,
	    &a, 1, 0, 0) == 0, "glue does not replace an answer");
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, 0, 0, &h) &&
	    memcmp(h.rr[0].rdata, good, 4) == 0, "answer kept");
	wname("glue.test", o);
	a = mk_a(o, "glue.test", 300, bad);
	dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS, DNS_RANK_GLUE,
	    &a, 1, 0, 0);
	ok(!dns_cache_get(c, o, DNS_T_A, DNS_C_IN, DNS_RANK_ANSWER, 0, &h),
	    "glue is not an answer for clients");
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, DNS_RANK_GLUE, 0, &h),
	    "glue is there for iteration");
	a.rdata = good;
	ok(dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
	    DNS_RANK_ANSWER, &a, 1, 0, 0) == 1, "answer replaces glue");
	dns_cache_free(c);
}

TEST(dns_cache_lru_bound)
{
	size_t max = 64 * 1024;
	struct dns_cache *c = dns_cache_new(max, 86400, 3600);
	uint8_t o[DNS_NAME_MAX], first[DNS_NAME_MAX];
	static const uint8_t ip[4] = { 192, 0, 2, 1 };
	struct dns_cache_hit h;
	char name[64];
	size_t peak = 0;

	wname("n0.test", first);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		struct dns_rr a = mk_a(o, name, 300, ip);
		dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
		    DNS_RANK_ANSWER, &a, 1, 0, 0);
		/* keep the first one in use: LRU spares it */
		dns_cache_get(c, first, DNS_T_A, DNS_C_IN, 0, 0, &h);
		ok(dns_cache_bytes(c) <= max, "within the bound");
		if (dns_cache_entries(c) > peak)
			peak = dns_cache_entries(c);
	}
	ok(peak < 2000 && dns_cache_entries(c) > 100,
	    "entries bounded: %zu", dns_cache_entries(c));
	ok(dns_cache_get(c, first, DNS_T_A, DNS_C_IN, 0, 0, &h),
	    "recently used entry survived");
	wname("n1.test", o);
	ok(!dns_cache_get(c, o, DNS_T_A, DNS_C_IN, 0, 0, &h),
	    "least recently used entry evicted");
	wname("n19999.test", o);
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, 0, 0, &h), "newest kept");
	dns_cache_free(c);
}

/* One cache, two processes: what a child stores is a hit in the parent with
 * the same deadline, and a hit is a copy that another process's put of the
 * same key does not change. */
TEST(dns_cache_shared_across_fork)
{
	struct dns_cache *c = dns_cache_new(1 << 20, 86400, 3600);
	uint8_t o[DNS_NAME_MAX];
	static const uint8_t ip1[4] = { 192, 0, 2, 1 };
	static const uint8_t ip2[4] = { 192, 0, 2, 2 };
	struct dns_rr a = mk_a(o, "shared.test", 300, ip1);
	struct dns_cache_hit h;
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
		    DNS_RANK_ANSWER, &a, 1, 0, 1000) == 1 ? 0 : 1);
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "the child stored it");
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, DNS_RANK_ANSWER, 11000, &h) &&
	    h.ttl == 290 && memcmp(h.rr[0].rdata, ip1, 4) == 0,
	    "a hit in the parent, counted down from the child's put: %u",
	    h.ttl);
	ok(dns_cache_entries(c) == 1, "one entry for both");
	pid = fork();
	if (pid == 0) {
		a.rdata = ip2;
		_exit(dns_cache_put(c, o, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
		    DNS_RANK_ANSWER, &a, 1, 0, 2000) == 1 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "the child replaced it");
	ok(memcmp(h.rr[0].rdata, ip1, 4) == 0, "the parent's hit is a copy");
	ok(dns_cache_get(c, o, DNS_T_A, DNS_C_IN, 0, 2000, &h) &&
	    memcmp(h.rr[0].rdata, ip2, 4) == 0, "the next get sees the new");
	dns_cache_free(c);
}
