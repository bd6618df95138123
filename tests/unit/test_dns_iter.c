/* Tests for the iterative resolution state machine, without sockets:
 * responses are built as text, parsed, and fed to dns_iter_answer. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_dig.h"
#include "dns/dns_iter.h"
#include "dns/dns_query.h"
#include "dns/dns_text.h"
#include "test.h"

static const char hints_text[] =
    ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
    "A.ROOT-SERVERS.NET.      3600000      A     127.53.0.1\n";

struct rrspec {
	int sec;
	const char *owner, *type;
	uint32_t ttl;
	const char *rdata;
};

static uint8_t arena_mem[DNS_ARENA_SIZE];
static struct dns_arena arena;
static uint8_t pkt[4096];

static void
wname(const char *s, uint8_t *out)
{
	dns_name_from_text(s, strlen(s), (const uint8_t *)"", out, NULL);
}

/* Builds a response and parses it into m. */
static int
mkresp(struct dns_msg *m, const char *qname, const char *qtype,
    uint16_t flags, uint16_t rcode, const struct rrspec *rr, size_t n)
{
	struct dns_msg_builder b;
	uint8_t qn[DNS_NAME_MAX];
	uint16_t qt;
	int len;

	dns_build_init(&b, pkt, sizeof(pkt));
	b.id = 1;
	b.flags = DNS_FLAG_QR | flags;
	b.rcode = rcode;
	wname(qname, qn);
	dns_type_from_text(qtype, strlen(qtype), &qt);
	dns_build_question(&b, qn, qt, DNS_C_IN);
	for (size_t i = 0; i < n; i++) {
		uint8_t owner[DNS_NAME_MAX], rd[1024];
		struct dns_rr r;
		int rl;
		wname(rr[i].owner, owner);
		dns_type_from_text(rr[i].type, strlen(rr[i].type), &r.type);
		rl = dns_rdata_from_text(r.type, rr[i].rdata, strlen(rr[i].rdata),
		    (const uint8_t *)"", rd, sizeof(rd), NULL);
		if (rl < 0)
			return -1;
		r.owner = owner;
		r.owner_len = (uint16_t)dns_name_len(owner, DNS_NAME_MAX);
		r.rclass = DNS_C_IN;
		r.ttl = rr[i].ttl;
		r.rdlen = (uint16_t)rl;
		r.rdata = rd;
		if (dns_build_rr(&b, (enum dns_section)rr[i].sec, &r) != DNS_OK)
			return -1;
	}
	len = dns_build_finish(&b);
	dns_arena_init(&arena, arena_mem, sizeof(arena_mem));
	return dns_msg_parse(pkt, (size_t)len, m, &arena);
}

static const char *
addr_of(const struct dns_iter_out *o, char *buf, size_t n)
{
	return sock_addr_str(&o->addr, buf, n);
}

struct fixture {
	struct dns_iter_hints hints;
	struct dns_iter_conf cf;
	struct dns_cache *cache;
};

static void
fixture_init(struct fixture *f)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	dns_iter_hints_parse(&f->hints, "hints", hints_text,
	    sizeof(hints_text) - 1, 5300, err, sizeof(err));
	f->cf.hints = &f->hints;
	f->cf.port = 5300;
	f->cf.max_referrals = 16;
	f->cf.max_cname = 8;
	f->cf.max_queries = 32;
	f->cache = dns_cache_new(1 << 20, 86400, 3600);
}

static const struct rrspec root_referral[] = {
	{ 1, "test", "NS", 172800, "ns1.test." },
	{ 2, "ns1.test", "A", 172800, "127.53.0.2" },
	{ 2, "victim.org", "A", 172800, "6.6.6.6" }, /* not a server's */
};

static const struct rrspec tld_referral[] = {
	{ 1, "example.test", "NS", 3600, "ns1.example.test." },
	{ 1, "example.test", "NS", 3600, "ns2.example.test." },
	{ 2, "ns1.example.test", "A", 3600, "127.53.0.3" },
	{ 2, "ns2.example.test", "A", 3600, "127.53.0.5" },
};

TEST(dns_iter_hints)
{
	struct fixture f;
	char a[64];

	fixture_init(&f);
	ok(f.hints.nns == 1 && f.hints.naddr == 1, "one root server");
	ok(strcmp(sock_addr_str(&f.hints.addr[0], a, sizeof(a)),
	    "127.53.0.1:5300") == 0, "address with the upstream port: %s", a);
	dns_cache_free(f.cache);
}

TEST(dns_iter_referrals_and_cache)
{
	struct fixture f;
	struct dns_iter it;
	struct dns_iter_out o;
	struct dns_msg m;
	uint8_t q[DNS_NAME_MAX];
	struct dns_cache_hit h;
	char a[64];

	fixture_init(&f);
	wname("www.example.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND, "send");
	ok(strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.1:5300") == 0,
	    "root first: %s", a);
	ok(mkresp(&m, "www.example.test", "A", 0, 0, root_referral, 3) > 0,
	    "built");
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.2:5300") == 0,
	    "then the TLD from glue: %s", a);
	wname("victim.org", q);
	ok(!dns_cache_get(f.cache, q, DNS_T_A, DNS_C_IN, 0, 0, &h),
	    "glue for names that are not the referral's servers: dropped");
	mkresp(&m, "WWW.EXAMPLE.test", "A", 0, 0, tld_referral, 4);
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.3:5300") == 0,
	    "then the zone's server (question compared ignoring case): %s", a);
	{
		static const struct rrspec ans[] = {
			{ 0, "www.example.test", "A", 300, "192.0.2.1" },
			{ 2, "www.other.test", "A", 300, "6.6.6.6" },
		};
		mkresp(&m, "www.example.test", "A", DNS_FLAG_AA, 0, ans, 2);
	}
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE && it.rcode == 0,
	    "done");
	ok(dns_iter_result_count(&it, DNS_SEC_ANSWER) == 1, "one answer");
	dns_iter_free(&it);

	/* a sibling name: the cached referral skips the root and the TLD */
	wname("mail.example.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 1000, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.3:5300") == 0,
	    "starts at the cached zone: %s", a);
	/* the first server is lame: the other one is tried */
	mkresp(&m, "mail.example.test", "A", 0, 0, NULL, 0);
	dns_iter_answer(&it, &m, 1000);
	ok(dns_iter_next(&it, 1000, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.5:5300") == 0,
	    "lame answer: the other server: %s", a);
	dns_iter_fail(&it);
	ok(dns_iter_next(&it, 1000, &o) == DNS_ITER_DONE &&
	    it.rcode == DNS_RCODE_SERVFAIL, "all failed: SERVFAIL");
	dns_iter_free(&it);

	/* from the cache alone */
	wname("www.example.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 10000, &o) == DNS_ITER_DONE && it.rcode == 0 &&
	    it.own_sent == 0, "answered from the cache");
	{
		size_t pos = 0;
		enum dns_section sec;
		struct dns_rr rr;
		ok(dns_iter_result_next(&it, &pos, &sec, &rr) &&
		    rr.ttl == 290, "TTL counted down: %u", rr.ttl);
	}
	dns_iter_free(&it);
	wname("www.other.test", q);
	ok(!dns_cache_get(f.cache, q, DNS_T_A, DNS_C_IN, 0, 0, &h),
	    "out-of-bailiwick additional data never cached");
	dns_cache_free(f.cache);
}

TEST(dns_iter_bailiwick)
{
	struct fixture f;
	struct dns_iter it;
	struct dns_iter_out o;
	struct dns_msg m;
	uint8_t q[DNS_NAME_MAX];
	struct dns_cache_hit h;

	fixture_init(&f);
	wname("www.example.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	mkresp(&m, "www.example.test", "A", 0, 0, root_referral, 2);
	dns_iter_answer(&it, &m, 0);
	dns_iter_next(&it, 0, &o); /* to the test. server */
	{
		/* the test. server claims org. and answers for org names */
		static const struct rrspec bad[] = {
			{ 0, "www.example.org", "A", 300, "6.6.6.6" },
			{ 1, "org", "NS", 300, "ns.evil.test." },
			{ 2, "ns.evil.test", "A", 300, "6.6.6.6" },
		};
		mkresp(&m, "www.example.test", "A", 0, 0, bad, 3);
	}
	dns_iter_answer(&it, &m, 0);
	wname("www.example.org", q);
	ok(!dns_cache_get(f.cache, q, DNS_T_A, DNS_C_IN, 0, 0, &h),
	    "answer for another name not cached");
	wname("org", q);
	ok(!dns_cache_get(f.cache, q, DNS_T_NS, DNS_C_IN, 0, 0, &h),
	    "referral outside the server's zone not cached");
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE &&
	    it.rcode == DNS_RCODE_SERVFAIL, "treated as lame");
	dns_iter_free(&it);

	/* a response to another question is refused */
	wname("a.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	{
		static const struct rrspec ans[] = {
			{ 0, "b.test", "A", 300, "6.6.6.6" },
		};
		mkresp(&m, "b.test", "A", DNS_FLAG_AA, 0, ans, 1);
	}
	dns_iter_answer(&it, &m, 0);
	wname("b.test", q);
	ok(!dns_cache_get(f.cache, q, DNS_T_A, DNS_C_IN, 0, 0, &h),
	    "answer to another question not cached");
	dns_iter_free(&it);
	dns_cache_free(f.cache);
}

TEST(dns_iter_cname_negative_glueless)
{
	struct fixture f;
	struct dns_iter it;
	struct dns_iter_out o;
	struct dns_msg m;
	uint8_t q[DNS_NAME_MAX];
	char a[64];

	fixture_init(&f);
	/* a CNAME out of the zone: resolution restarts for the target */
	wname("alias.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	{
		static const struct rrspec ans[] = {
			{ 0, "alias.test", "CNAME", 300, "web.org." },
			{ 0, "web.org", "A", 300, "6.6.6.6" }, /* not its zone? root
			    zone: in bailiwick of the root, accepted */
		};
		mkresp(&m, "alias.test", "A", DNS_FLAG_AA, 0, ans, 1);
	}
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND && o.qname &&
	    dns_name_labels(o.qname) == 2, "asks for the target");
	{
		static const struct rrspec ans[] = {
			{ 0, "web.org", "A", 300, "192.0.2.80" },
		};
		mkresp(&m, "web.org", "A", DNS_FLAG_AA, 0, ans, 1);
	}
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE && it.rcode == 0 &&
	    dns_iter_result_count(&it, DNS_SEC_ANSWER) == 2,
	    "the chain and the address");
	dns_iter_free(&it);

	/* NXDOMAIN, cached for min(SOA TTL, minimum) */
	wname("nx.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	{
		static const struct rrspec neg[] = {
			{ 1, ".", "SOA", 3600, "a. h. 1 2 3 4 60" },
		};
		mkresp(&m, "nx.test", "A", DNS_FLAG_AA, DNS_RCODE_NXDOMAIN,
		    neg, 1);
	}
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE &&
	    it.rcode == DNS_RCODE_NXDOMAIN, "NXDOMAIN");
	dns_iter_free(&it);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 30000, &o) == DNS_ITER_DONE &&
	    it.rcode == DNS_RCODE_NXDOMAIN && it.own_sent == 0 &&
	    dns_iter_result_count(&it, DNS_SEC_AUTHORITY) == 1,
	    "NXDOMAIN from the cache with its SOA");
	dns_iter_free(&it);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 61000, &o) == DNS_ITER_SEND,
	    "expired after the SOA minimum");
	dns_iter_free(&it);

	/* a glueless delegation asks for a sub-resolution */
	wname("www.glueless.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	{
		static const struct rrspec ref[] = {
			{ 1, "glueless.test", "NS", 300, "ns.hoster.org." },
		};
		mkresp(&m, "www.glueless.test", "A", 0, 0, ref, 1);
	}
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SUB && o.qtype == DNS_T_A,
	    "sub-resolution of the name server");
	{
		/* the sub-resolution put the address in the cache */
		uint8_t ns[DNS_NAME_MAX];
		static const uint8_t ip[4] = { 127, 53, 0, 3 };
		struct dns_rr rr;
		wname("ns.hoster.org", ns);
		rr.owner = ns;
		rr.owner_len = (uint16_t)dns_name_len(ns, DNS_NAME_MAX);
		rr.type = DNS_T_A;
		rr.rclass = DNS_C_IN;
		rr.ttl = 300;
		rr.rdlen = 4;
		rr.rdata = ip;
		dns_cache_put(f.cache, ns, DNS_T_A, DNS_C_IN, DNS_CACHE_POS,
		    DNS_RANK_ANSWER, &rr, 1, 0, 0);
	}
	dns_iter_sub_done(&it, NULL, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.3:5300") == 0,
	    "then asks it: %s", a);
	dns_iter_free(&it);

	/* the query budget */
	f.cf.max_queries = 1;
	wname("budget.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND, "first query");
	dns_iter_fail(&it);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE &&
	    it.rcode == DNS_RCODE_SERVFAIL, "budget spent: SERVFAIL");
	dns_iter_free(&it);
	dns_cache_free(f.cache);
}

TEST(dns_query_build_and_match)
{
	uint8_t q[DNS_NAME_MAX], buf[512], resp[512];
	int n;

	wname("www.Example.test", q);
	n = dns_query_build(buf, sizeof(buf), 0x1234, q, DNS_T_A, DNS_C_IN, 1,
	    1232);
	ok(n > 12 && dns_get16(buf) == 0x1234 &&
	    (dns_get16(buf + 2) & DNS_FLAG_RD), "query with RD and an id");
	ok(dns_get16(buf + 10) == 1, "one OPT record");
	memcpy(resp, buf, (size_t)n);
	ok(!dns_query_matches(resp, (size_t)n, 0x1234, q, DNS_T_A, DNS_C_IN),
	    "not a response (QR clear)");
	resp[2] |= 0x80;
	ok(dns_query_matches(resp, (size_t)n, 0x1234, q, DNS_T_A, DNS_C_IN),
	    "matches");
	wname("WWW.EXAMPLE.TEST", q);
	ok(dns_query_matches(resp, (size_t)n, 0x1234, q, DNS_T_A, DNS_C_IN),
	    "names compared ignoring case");
	ok(!dns_query_matches(resp, (size_t)n, 0x1235, q, DNS_T_A, DNS_C_IN),
	    "other id");
	ok(!dns_query_matches(resp, (size_t)n, 0x1234, q, DNS_T_AAAA, DNS_C_IN),
	    "other type");
	wname("www.example.tes", q);
	ok(!dns_query_matches(resp, (size_t)n, 0x1234, q, DNS_T_A, DNS_C_IN),
	    "other name");
	ok(!dns_query_matches(resp, 11, 0x1234, q, DNS_T_A, DNS_C_IN),
	    "short");
	ok(dns_random16() != dns_random16() || dns_random16() != dns_random16(),
	    "random ids");
}

TEST(dns_dig_reverse)
{
	uint8_t n[DNS_NAME_MAX], want[DNS_NAME_MAX];

	ok(dns_dig_reverse_name("1.2.3.4", n) > 0, "ipv4");
	wname("4.3.2.1.in-addr.arpa", want);
	ok(dns_name_equal(n, want), "4.3.2.1.in-addr.arpa.");
	ok(dns_dig_reverse_name("2001:db8::1", n) > 0, "ipv6");
	wname("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "ip6.arpa", want);
	ok(dns_name_equal(n, want), "nibbles");
	ok(dns_dig_reverse_name("example.com", n) < 0, "not an address");
}

TEST(dns_iter_any)
{
	struct fixture f;
	struct dns_iter it;
	struct dns_iter_out o;
	struct dns_msg m;
	uint8_t q[DNS_NAME_MAX];
	static const struct rrspec ans[] = {
		{ 0, "a.test", "A", 300, "192.0.2.1" },
		{ 0, "a.test", "TXT", 300, "\"x\"" },
	};

	fixture_init(&f);
	wname("a.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_ANY, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	mkresp(&m, "a.test", "ANY", DNS_FLAG_AA, 0, ans, 2);
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE &&
	    dns_iter_result_count(&it, DNS_SEC_ANSWER) == 2, "ANY: every type");
	dns_iter_free(&it);
	dns_cache_free(f.cache);
}

TEST(dns_iter_sub_result_without_cache)
{
	struct fixture f;
	struct dns_iter it, sub;
	struct dns_iter_out o;
	struct dns_msg m;
	struct dns_cache *none = dns_cache_new(0, 86400, 3600);
	uint8_t q[DNS_NAME_MAX];
	char a[64];
	static const struct rrspec ref[] = {
		{ 1, "glueless.test", "NS", 300, "ns.hoster.org." },
	};
	static const struct rrspec ans[] = {
		{ 0, "ns.hoster.org", "A", 300, "127.53.0.4" },
	};

	fixture_init(&f);
	dns_cache_free(f.cache);
	f.cache = none; /* keeps nothing */
	wname("www.glueless.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	mkresp(&m, "www.glueless.test", "A", 0, 0, ref, 1);
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SUB, "sub-resolution");
	dns_iter_init(&sub, &f.cf, f.cache, o.qname, o.qtype, o.qclass);
	ok(dns_iter_next(&sub, 0, &o) == DNS_ITER_SEND, "sub asks the root");
	mkresp(&m, "ns.hoster.org", "A", DNS_FLAG_AA, 0, ans, 1);
	dns_iter_answer(&sub, &m, 0);
	ok(dns_iter_next(&sub, 0, &o) == DNS_ITER_DONE, "sub done");
	dns_iter_sub_done(&it, &sub, 0);
	dns_iter_free(&sub);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.4:5300") == 0,
	    "the sub's address is used without the cache: %s", a);
	dns_iter_free(&it);
	dns_cache_free(f.cache);
}

TEST(dns_iter_root_ns_without_addresses)
{
	struct fixture f;
	struct dns_iter it;
	struct dns_iter_out o;
	struct dns_msg m;
	uint8_t q[DNS_NAME_MAX];
	char a[64];
	static const struct rrspec ans[] = {
		{ 0, ".", "NS", 3600, "x.root-servers.test." },
	};

	fixture_init(&f);
	/* a client asked ". NS": the root's NS set is cached, no address */
	dns_iter_init(&it, &f.cf, f.cache, (const uint8_t *)"", DNS_T_NS,
	    DNS_C_IN);
	dns_iter_next(&it, 0, &o);
	mkresp(&m, ".", "NS", DNS_FLAG_AA, 0, ans, 1);
	dns_iter_answer(&it, &m, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_DONE, "answered");
	dns_iter_free(&it);
	wname("www.example.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.1:5300") == 0,
	    "the hints still lead to the root: %s", a);
	dns_iter_free(&it);
	dns_cache_free(f.cache);
}

/* The step hook (dig +trace): each response's meaning and each server's
 * name, through a referral, a glueless delegation and a CNAME. */
TEST(dns_iter_steps_and_server_names)
{
	static const struct rrspec glueless[] = {
		{ 1, "glueless.test", "NS", 3600, "ns.hoster.org." },
	};
	static const struct rrspec cname[] = {
		{ 0, "www.glueless.test", "CNAME", 300, "www.elsewhere.org." },
	};
	struct fixture f;
	struct dns_iter it, sub;
	struct dns_iter_out o;
	struct dns_msg m;
	uint8_t q[DNS_NAME_MAX], nm[DNS_NAME_MAX];
	char a[64];

	fixture_init(&f);
	wname("www.glueless.test", q);
	dns_iter_init(&it, &f.cf, f.cache, q, DNS_T_A, DNS_C_IN);
	ok(it.step == DNS_ITER_STEP_NONE, "no step yet");
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND, "send");
	wname("a.root-servers.net", nm);
	ok(o.ns_name && dns_name_equal(o.ns_name, nm), "the root's name");
	mkresp(&m, "www.glueless.test", "A", 0, 0, root_referral, 3);
	dns_iter_answer(&it, &m, 0);
	ok(it.step == DNS_ITER_STEP_REFERRAL, "a referral");
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND, "to the TLD");
	wname("ns1.test", nm);
	ok(o.ns_name && dns_name_equal(o.ns_name, nm), "named by its glue");
	mkresp(&m, "www.glueless.test", "A", 0, 0, glueless, 1);
	dns_iter_answer(&it, &m, 0);
	ok(it.step == DNS_ITER_STEP_REFERRAL, "a glueless referral");
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SUB, "look the server up");
	wname("ns.hoster.org", nm);
	dns_iter_init(&sub, &f.cf, f.cache, o.qname, o.qtype, o.qclass);
	{
		static const struct rrspec addr[] = {
			{ 0, "ns.hoster.org", "A", 300, "127.53.0.9" },
		};
		ok(dns_iter_next(&sub, 0, &o) == DNS_ITER_SEND, "sub sends");
		mkresp(&m, "ns.hoster.org", "A", DNS_FLAG_AA, 0, addr, 1);
		dns_iter_answer(&sub, &m, 0);
		ok(sub.step == DNS_ITER_STEP_ANSWER &&
		    dns_iter_next(&sub, 0, &o) == DNS_ITER_DONE,
		    "sub answered");
	}
	dns_iter_sub_done(&it, &sub, 0);
	dns_iter_free(&sub);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND &&
	    strcmp(addr_of(&o, a, sizeof(a)), "127.53.0.9:5300") == 0,
	    "to the looked-up address: %s", a);
	ok(o.ns_name && dns_name_equal(o.ns_name, nm),
	    "named after the server looked up");
	mkresp(&m, "www.glueless.test", "A", DNS_FLAG_AA, 0, cname, 1);
	dns_iter_answer(&it, &m, 0);
	ok(it.step == DNS_ITER_STEP_CNAME && !it.done,
	    "a CNAME out of the zone: another walk");
	mkresp(&m, "other.test", "A", DNS_FLAG_AA, 0, NULL, 0);
	ok(dns_iter_next(&it, 0, &o) == DNS_ITER_SEND, "asks again");
	dns_iter_answer(&it, &m, 0);
	ok(it.step == DNS_ITER_STEP_REJECTED, "another question: rejected");
	dns_iter_free(&it);
	dns_cache_free(f.cache);
}
