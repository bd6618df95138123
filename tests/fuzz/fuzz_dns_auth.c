/* libFuzzer target for the authoritative answer: every input goes through
 * dns_auth_packet as a UDP and as a TCP query against a fixed zone with a
 * delegation, CNAME chains and loops, a wildcard and a large RRset. Checks:
 * the response (when there is one) parses, fits the size it was allowed,
 * carries the query's id, and a TC response is cut at an RRset boundary;
 * an AXFR the answer hands over streams to the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_auth.h"
#include "dns/dns_db.h"
#include "dns/dns_wire.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const char zone[] =
    "$ORIGIN example.com.\n$TTL 3600\n"
    "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n@ MX 10 mail\n"
    "ns1 A 192.0.2.53\nmail A 192.0.2.25\nmail AAAA 2001:db8::25\n"
    "www A 192.0.2.80\nalias CNAME www\nl1 CNAME l2\nl2 CNAME l1\n"
    "*.wild A 10.7.7.7\nsub NS ns.sub\nns.sub A 192.0.2.99\n"
    "_s._tcp SRV 0 0 1 www\nt TXT \"hello\"\n";

static struct dns_db db;
static uint8_t amem[DNS_ARENA_SIZE], amem2[DNS_ARENA_SIZE], out[DNS_MSG_MAX];

static void
init(void)
{
	static char big[16384];
	struct dns_dbzone *z;
	char err[DNS_DB_ERR_MAX];
	size_t n;

	CHECK(dns_dbzone_from_text("z", zone, strlen(zone), NULL, &z, err,
	    sizeof(err)) == 0);
	CHECK(dns_db_add(&db, z) == 0);
	n = (size_t)snprintf(big, sizeof(big),
	    "$ORIGIN example.net.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "many A 10.0.%d.%d\n", i / 250, i % 250);
	CHECK(dns_dbzone_from_text("big", big, n, NULL, &z, err,
	    sizeof(err)) == 0);
	CHECK(dns_db_add(&db, z) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static int ready;
	struct dns_arena a, a2;
	struct dns_msg q, r;
	struct dns_auth_result res;

	if (!ready) {
		init();
		ready = 1;
	}
	dns_arena_init(&a, amem, sizeof(amem));
	for (int tcp = 0; tcp < 2; tcp++) {
		struct dns_auth_opts o = { tcp, 1232, 1 };
		int len = dns_auth_packet(&db, p, n, &a, &q, &o, out,
		    sizeof(out), &res);
		CHECK(len >= 0);
		if (res.xfr) {
			struct dns_axfr x;
			int k = 0;
			CHECK(tcp && len == 0 && res.zone);
			dns_axfr_begin(&x, res.zone, &q);
			while (dns_axfr_next(&x, out, 16384) > 0)
				CHECK(++k < 100000);
			dns_axfr_end(&x);
			continue;
		}
		if (len == 0)
			continue;
		CHECK(len >= 12 && dns_get16(out) == dns_get16(p));
		if (!tcp) {
			size_t max = DNS_UDP_MAX;
			if (q.hdr_ok && q.has_edns) {
				max = dns_edns_payload(&q.edns);
				if (max > 1232)
					max = 1232;
			}
			CHECK((size_t)len <= max);
		}
		dns_arena_init(&a2, amem2, sizeof(amem2));
		CHECK(dns_msg_parse(out, (size_t)len, &r, &a2) == len);
		CHECK(r.flags & DNS_FLAG_QR);
		if (r.flags & DNS_FLAG_TC)
			CHECK(r.count[DNS_SEC_ADDITIONAL] == 0);
	}
	return 0;
}
