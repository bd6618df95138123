/* libFuzzer target for the resolver's decision logic: every input that
 * parses as a DNS message is fed to a dns_iter asking the message's own
 * question, as the answer to each query it sends, until it is done. Checks
 * that it always ends within its query budget, that the cache stays within
 * its bound, and that the result records walk cleanly. The input as text
 * also goes through the root hints reader. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_cache.h"
#include "dns/dns_iter.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint8_t mem[DNS_ARENA_SIZE];
static const char hints_text[] =
    ". 3600000 NS a.root-servers.net.\n"
    "a.root-servers.net. 3600000 A 127.0.0.2\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_iter_hints hints, h2;
	static struct dns_iter it;
	struct dns_iter_conf cf;
	struct dns_arena a;
	struct dns_msg m;
	struct dns_cache *cache;
	struct dns_iter_out o;
	char err[256];
	int steps = 0;

	dns_iter_hints_parse(&h2, "fuzz", (const char *)data, size, 53, err,
	    sizeof(err));
	if (hints.nns == 0)
		CHECK(dns_iter_hints_parse(&hints, "hints", hints_text,
		    sizeof(hints_text) - 1, 53, err, sizeof(err)) == 0);
	dns_arena_init(&a, mem, sizeof(mem));
	if (dns_msg_parse(data, size, &m, &a) < 0 || m.qdcount != 1)
		return 0;
	memset(&cf, 0, sizeof(cf));
	cf.hints = &hints;
	cf.port = 53;
	cf.max_referrals = 8;
	cf.max_cname = 8;
	cf.max_queries = 16;
	cache = dns_cache_new(16 * 1024, 86400, 3600);
	CHECK(cache != NULL);
	for (int round = 0; round < 2; round++) {
		dns_iter_init(&it, &cf, cache, m.qd[0].name, m.qd[0].qtype,
		    m.qd[0].qclass);
		for (;;) {
			enum dns_iter_action act = dns_iter_next(&it,
			    (uint64_t)round * 1000, &o);
			CHECK(++steps < 1000);
			if (act == DNS_ITER_DONE)
				break;
			if (act == DNS_ITER_SUB)
				dns_iter_sub_done(&it, NULL, 0);
			else
				dns_iter_answer(&it, &m, (uint64_t)round * 1000);
		}
		CHECK(it.own_sent <= cf.max_queries);
		CHECK(dns_cache_bytes(cache) <= 16 * 1024);
		size_t pos = 0, n = 0;
		enum dns_section sec;
		struct dns_rr rr;
		while (dns_iter_result_next(&it, &pos, &sec, &rr)) {
			CHECK(dns_name_len(rr.owner, rr.owner_len) == rr.owner_len);
			n++;
		}
		CHECK(pos == it.res_len);
		dns_iter_free(&it);
		(void)n;
	}
	dns_cache_free(cache);
	return 0;
}
