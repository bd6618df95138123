/* test_dns_mx.c - dns_mx_parse on answers built with dns_build: hosts in
 * preference order (ties in answer order), a CNAME at the name followed,
 * records of other names ignored, NODATA as the implicit MX, NXDOMAIN,
 * the null MX of RFC 7505, SERVFAIL and garbage as failures. */
#include <string.h>

#include "dns/dns_mx.h"
#include "dns/dns_rr.h"
#include "dns/dns_wire.h"
#include "test.h"

static const uint8_t qname[] = "\11hamburger\4test";

struct mx {
	const uint8_t *owner;
	uint16_t type;
	uint16_t pref;
	const uint8_t *target;	/* wire form */
};

static int
answer(uint8_t *buf, size_t max, uint16_t rcode, const struct mx *rr, int n)
{
	struct dns_msg_builder b;

	dns_build_init(&b, buf, max);
	b.flags = DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA;
	b.rcode = rcode;
	dns_build_question(&b, qname, DNS_T_MX, DNS_C_IN);
	for (int i = 0; i < n; i++) {
		uint8_t rd[DNS_NAME_MAX + 2];
		size_t tl = (size_t)dns_name_len(rr[i].target, DNS_NAME_MAX);
		struct dns_rr r = {
			.owner = rr[i].owner,
			.owner_len = (uint16_t)dns_name_len(rr[i].owner,
			    DNS_NAME_MAX),
			.type = rr[i].type,
			.rclass = DNS_C_IN,
			.ttl = 60,
		};

		if (rr[i].type == DNS_T_MX) {
			dns_put16(rd, rr[i].pref);
			memcpy(rd + 2, rr[i].target, tl);
			r.rdlen = (uint16_t)(tl + 2);
		} else {
			memcpy(rd, rr[i].target, tl);
			r.rdlen = (uint16_t)tl;
		}
		r.rdata = rd;
		dns_build_rr(&b, DNS_SEC_ANSWER, &r);
	}
	return dns_build_finish(&b);
}

TEST(dns_mx_parse_order)
{
	static const struct mx rr[] = {
		{qname, DNS_T_MX, 20,
		    (const uint8_t *)"\3mx2\11hamburger\4test"},
		{qname, DNS_T_MX, 10,
		    (const uint8_t *)"\3mxa\11hamburger\4test"},
		{(const uint8_t *)"\5other\4test", DNS_T_MX, 1,
		    (const uint8_t *)"\3bad\4test"},
		{qname, DNS_T_MX, 10,
		    (const uint8_t *)"\3mxb\11hamburger\4test"},
	};
	struct dns_mx_host h[DNS_MX_MAX];
	char err[DNS_MX_ERR_LEN];
	uint8_t buf[1024];
	int len = answer(buf, sizeof(buf), DNS_RCODE_NOERROR, rr, 4), n;

	ok(len > 12, "built");
	ok(dns_mx_parse(buf, (size_t)len, qname, h, DNS_MX_MAX, &n, err) ==
	    DNS_MX_OK, "ok: %s", err);
	ok(n == 3, "three hosts, the other name's ignored: %d", n);
	ok(strcmp(h[0].name, "mxa.hamburger.test") == 0 && h[0].pref == 10,
	    "first: %s", h[0].name);
	ok(strcmp(h[1].name, "mxb.hamburger.test") == 0, "tie keeps order");
	ok(strcmp(h[2].name, "mx2.hamburger.test") == 0 && h[2].pref == 20,
	    "last");
	ok(dns_mx_parse(buf, (size_t)len, qname, h, 1, &n, err) ==
	    DNS_MX_OK && n == 1, "bounded by max");
}

TEST(dns_mx_parse_cases)
{
	static const struct mx cname[] = {
		{qname, DNS_T_CNAME, 0, (const uint8_t *)"\5alias\4test"},
		{(const uint8_t *)"\5alias\4test", DNS_T_MX, 5,
		    (const uint8_t *)"\2mx\5alias\4test"},
	};
	static const struct mx null[] = {
		{qname, DNS_T_MX, 0, (const uint8_t *)""},
	};
	struct dns_mx_host h[DNS_MX_MAX];
	char err[DNS_MX_ERR_LEN];
	uint8_t buf[1024];
	int len, n;

	len = answer(buf, sizeof(buf), DNS_RCODE_NOERROR, cname, 2);
	ok(dns_mx_parse(buf, (size_t)len, qname, h, DNS_MX_MAX, &n, err) ==
	    DNS_MX_OK && n == 1 && strcmp(h[0].name, "mx.alias.test") == 0,
	    "CNAME followed");
	len = answer(buf, sizeof(buf), DNS_RCODE_NOERROR, NULL, 0);
	ok(dns_mx_parse(buf, (size_t)len, qname, h, DNS_MX_MAX, &n, err) ==
	    DNS_MX_IMPLICIT && n == 0, "NODATA: implicit MX");
	len = answer(buf, sizeof(buf), DNS_RCODE_NXDOMAIN, NULL, 0);
	ok(dns_mx_parse(buf, (size_t)len, qname, h, DNS_MX_MAX, &n, err) ==
	    DNS_MX_NXDOMAIN, "NXDOMAIN");
	len = answer(buf, sizeof(buf), DNS_RCODE_NOERROR, null, 1);
	ok(dns_mx_parse(buf, (size_t)len, qname, h, DNS_MX_MAX, &n, err) ==
	    DNS_MX_NULL && strstr(err, "null MX") != NULL, "null MX");
	len = answer(buf, sizeof(buf), DNS_RCODE_SERVFAIL, NULL, 0);
	ok(dns_mx_parse(buf, (size_t)len, qname, h, DNS_MX_MAX, &n, err) ==
	    DNS_MX_FAIL && strstr(err, "SERVFAIL") != NULL, "SERVFAIL: %s",
	    err);
	ok(dns_mx_parse(test_guard(buf, 11), 11, qname, h, DNS_MX_MAX, &n,
	    err) == DNS_MX_FAIL, "too short");
}
