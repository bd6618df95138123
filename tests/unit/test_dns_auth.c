/* Tests for the zone database and the authoritative answer, without
 * sockets: zones from text, queries built with the builder, responses
 * parsed back with dns_msg_parse. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_auth.h"
#include "dns/dns_db.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"
#include "test.h"

static const char zone_text[] =
    "$ORIGIN example.test.\n"
    "$TTL 3600\n"
    "@ SOA ns1 hostmaster 7 7200 3600 1209600 300\n"
    "@ NS ns1\n"
    "@ MX 10 mail\n"
    "ns1 A 192.0.2.53\n"
    "mail A 192.0.2.25\n"
    "mail AAAA 2001:db8::25\n"
    "www A 192.0.2.80\n"
    "alias CNAME www\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "rr A 10.0.0.1\nrr A 10.0.0.2\nrr A 10.0.0.3\n"
    "dup A 10.0.0.9\ndup A 10.0.0.9\n"
    "a.b.ent TXT \"x\"\n"
    "*.wild A 10.7.7.7\n"
    "sub NS ns.sub\n"
    "ns.sub A 192.0.2.99\n"
    "deeper.ns.sub A 192.0.2.98\n";

static struct dns_db db;
static uint8_t arena_mem[DNS_ARENA_SIZE];
static uint8_t out[DNS_MSG_MAX];

static void
load(void)
{
	struct dns_dbzone *z;
	char err[DNS_DB_ERR_MAX];
	char many[8192];
	size_t n = 0;

	dns_db_clear(&db);
	ok(dns_dbzone_from_text("example.test.zone", zone_text,
	    strlen(zone_text), NULL, &z, err, sizeof(err)) == 0, "load: %s",
	    err);
	ok(dns_db_add(&db, z) == 0, "add");
	n += (size_t)snprintf(many, sizeof(many),
	    "$ORIGIN many.test.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "big A 10.1.0.%d\n", i + 1);
	ok(dns_dbzone_from_text("many", many, n, NULL, &z, err,
	    sizeof(err)) == 0, "load many: %s", err);
	ok(dns_db_add(&db, z) == 0, "add many");
}

/* Builds a query, answers it, parses the response into *r. Returns the
 * response length. */
static int
ask(const char *name, uint16_t qtype, int tcp, int edns, uint16_t payload,
    struct dns_msg *r, struct dns_arena *a, struct dns_auth_result *res)
{
	static uint8_t qbuf[512];
	static uint8_t qarena[65536];
	struct dns_arena qa;
	struct dns_msg_builder b;
	struct dns_msg q;
	struct dns_auth_opts o = { tcp, 1232, 1 };
	uint8_t wire[DNS_NAME_MAX];
	int len;

	dns_name_from_text(name, strlen(name), (const uint8_t *)"", wire, NULL);
	dns_build_init(&b, qbuf, sizeof(qbuf));
	b.id = 0x4242;
	dns_build_question(&b, wire, qtype, DNS_C_IN);
	if (edns) {
		struct dns_edns e;
		memset(&e, 0, sizeof(e));
		e.udp_size = payload;
		e.version = (uint8_t)(edns - 1);
		dns_build_edns(&b, &e);
	}
	len = dns_build_finish(&b);
	dns_arena_init(&qa, qarena, sizeof(qarena));
	len = dns_auth_packet(&db, qbuf, (size_t)len, &qa, &q, &o, out,
	    sizeof(out), res);
	if (len > 0) {
		dns_arena_init(a, arena_mem, sizeof(arena_mem));
		ok(dns_msg_parse(out, (size_t)len, r, a) == len,
		    "response to %s parses", name);
	}
	return len;
}

static int
has_name(const struct dns_rr *rr, const char *name)
{
	uint8_t wire[DNS_NAME_MAX];

	dns_name_from_text(name, strlen(name), (const uint8_t *)"", wire, NULL);
	return dns_name_equal(rr->owner, wire);
}

TEST(dns_auth_positive)
{
	struct dns_msg r;
	struct dns_arena a;
	struct dns_auth_result res;

	load();
	ok(ask("www.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res) > 0, "www");
	ok(r.id == 0x4242 && (r.flags & DNS_FLAG_QR) && (r.flags & DNS_FLAG_AA),
	    "QR AA id");
	ok(r.rcode == 0 && r.count[0] == 1 && r.rr[0][0].type == DNS_T_A,
	    "one A");
	ok(!r.has_edns, "no OPT without EDNS in the query");
	ask("WWW.Example.TEST.", DNS_T_A, 0, 1, 4096, &r, &a, &res);
	ok(memcmp(r.qd[0].name, "\3WWW\7Example\4TEST", 18) == 0,
	    "question case kept");
	ok(r.count[0] == 1 && r.has_edns && r.edns.udp_size == 1232,
	    "answer and our OPT");
	ask("example.test.", DNS_T_MX, 0, 0, 0, &r, &a, &res);
	ok(r.count[0] == 1 && r.count[2] == 2, "MX with A and AAAA of mail");
	ask("dup.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.count[0] == 1, "duplicate records dropped");
}

TEST(dns_auth_negative)
{
	struct dns_msg r;
	struct dns_arena a;
	struct dns_auth_result res;

	load();
	ask("nope.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.rcode == DNS_RCODE_NXDOMAIN && (r.flags & DNS_FLAG_AA), "NXDOMAIN");
	ok(r.count[0] == 0 && r.count[1] == 1 &&
	    r.rr[1][0].type == DNS_T_SOA && r.rr[1][0].ttl == 300,
	    "SOA with TTL min(3600, 300)");
	ask("www.example.test.", DNS_T_MX, 0, 0, 0, &r, &a, &res);
	ok(r.rcode == 0 && r.count[0] == 0 && r.count[1] == 1, "NODATA");
	ask("b.ent.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.rcode == 0 && r.count[0] == 0 && r.count[1] == 1,
	    "empty non-terminal: NODATA");
	ask("example.org.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.rcode == DNS_RCODE_REFUSED && !(r.flags & DNS_FLAG_AA) && res.bad,
	    "REFUSED outside");
}

TEST(dns_auth_referral_cname_wildcard)
{
	struct dns_msg r;
	struct dns_arena a;
	struct dns_auth_result res;

	load();
	ask("x.y.sub.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(!(r.flags & DNS_FLAG_AA) && r.count[0] == 0 && r.count[1] == 1 &&
	    r.rr[1][0].type == DNS_T_NS && r.count[2] == 1 &&
	    has_name(&r.rr[2][0], "ns.sub.example.test."), "referral + glue");
	ask("deeper.ns.sub.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(!(r.flags & DNS_FLAG_AA) && r.count[1] == 1, "glue is not an answer");
	ask("alias.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.count[0] == 2 && r.rr[0][0].type == DNS_T_CNAME &&
	    r.rr[0][1].type == DNS_T_A, "CNAME chain");
	ask("loop1.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.rcode == 0 && r.count[0] >= 2 && r.count[0] <= 8,
	    "CNAME loop ends (%u)", r.count[0]);
	ask("q.wild.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok(r.count[0] == 1 && has_name(&r.rr[0][0], "q.wild.example.test."),
	    "wildcard synthesised");
}

TEST(dns_auth_truncation_rotation)
{
	struct dns_msg r;
	struct dns_arena a;
	struct dns_auth_result res;
	uint32_t first[3];

	load();
	ask("big.many.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
	ok((r.flags & DNS_FLAG_TC) && r.count[0] == 0 && res.tc,
	    "TC, cut at the RRset");
	ask("big.many.test.", DNS_T_A, 1, 0, 0, &r, &a, &res);
	ok(!(r.flags & DNS_FLAG_TC) && r.count[0] == 60, "TCP: all 60");
	ask("big.many.test.", DNS_T_A, 0, 1, 4096, &r, &a, &res);
	ok(!(r.flags & DNS_FLAG_TC) && r.count[0] == 60, "EDNS 1232: all 60");
	for (int i = 0; i < 3; i++) {
		ask("rr.example.test.", DNS_T_A, 0, 0, 0, &r, &a, &res);
		first[i] = dns_get32(r.rr[0][0].rdata);
	}
	ok(first[0] != first[1] && first[1] != first[2] && first[0] != first[2],
	    "round robin");
}

TEST(dns_auth_errors)
{
	struct dns_msg r, q;
	struct dns_arena a, qa;
	struct dns_auth_result res;
	struct dns_auth_opts o = { 0, 1232, 1 };
	static uint8_t qarena[65536];
	uint8_t bad[] = { 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
	    0xc0, 0x0c, 0, 1, 0, 1 };
	int len;

	load();
	ask("www.example.test.", DNS_T_A, 0, 2, 1232, &r, &a, &res);
	ok(r.rcode == DNS_RCODE_BADVERS && r.count[0] == 0 && r.has_edns &&
	    r.edns.version == 0, "BADVERS");
	dns_arena_init(&qa, qarena, sizeof(qarena));
	len = dns_auth_packet(&db, bad, sizeof(bad), &qa, &q, &o, out,
	    sizeof(out), &res);
	ok(len == 12 && (out[3] & 0xf) == DNS_RCODE_FORMERR && out[0] == 0xab,
	    "compression loop: FORMERR");
	len = dns_auth_packet(&db, bad, 5, &qa, &q, &o, out, sizeof(out), &res);
	ok(len == 0 && res.bad, "short header: silence");
	bad[2] = 0x81; /* a response */
	len = dns_auth_packet(&db, bad, sizeof(bad), &qa, &q, &o, out,
	    sizeof(out), &res);
	ok(len == 0, "responses are not answered");
	ask("example.test.", DNS_T_AXFR, 0, 0, 0, &r, &a, &res);
	ok(r.rcode == DNS_RCODE_FORMERR, "AXFR over UDP");
	ok(ask("example.test.", DNS_T_AXFR, 1, 0, 0, &r, &a, &res) == 0 &&
	    res.xfr && res.zone, "AXFR over TCP: for the caller");
}

TEST(dns_auth_axfr)
{
	struct dns_msg r, q;
	struct dns_arena a, qa;
	struct dns_auth_result res;
	struct dns_auth_opts o = { 1, 1232, 0 };
	static uint8_t qarena[65536], qbuf[512];
	struct dns_msg_builder b;
	struct dns_axfr x;
	unsigned total = 0, msgs = 0;
	int len, first_soa = 0, last_soa = 0;

	load();
	dns_build_init(&b, qbuf, sizeof(qbuf));
	dns_build_question(&b, (const uint8_t *)"\7example\4test", DNS_T_AXFR,
	    DNS_C_IN);
	len = dns_build_finish(&b);
	dns_arena_init(&qa, qarena, sizeof(qarena));
	dns_auth_packet(&db, qbuf, (size_t)len, &qa, &q, &o, out, sizeof(out),
	    &res);
	ok(res.xfr, "xfr");
	dns_axfr_begin(&x, res.zone, &q);
	while ((len = dns_axfr_next(&x, out, 200)) > 0) {
		dns_arena_init(&a, arena_mem, sizeof(arena_mem));
		ok(dns_msg_parse(out, (size_t)len, &r, &a) == len, "parses");
		if (msgs == 0)
			first_soa = r.rr[0][0].type == DNS_T_SOA;
		last_soa = r.rr[0][r.count[0] - 1].type == DNS_T_SOA;
		total += r.count[0];
		msgs++;
	}
	dns_axfr_end(&x);
	/* 20 records in the file, one a duplicate, and the SOA again */
	ok(total == 19 + 1, "every record and the SOA again (%u)", total);
	ok(msgs >= 2 && first_soa && last_soa, "SOA first and last, %u msgs",
	    msgs);
	dns_db_clear(&db);
}

TEST(dns_db_errors)
{
	struct dns_dbzone *z;
	char err[DNS_DB_ERR_MAX];
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "$ORIGIN a.test.\n$TTL 1\n@ SOA ns hm 1 1 1 1 1\nwww.b.test. A "
		  "1.2.3.4\n", "z:4: record out of the zone" },
		{ "$ORIGIN a.test.\n$TTL 1\n@ SOA ns hm 1 1 1 1 1\nx CNAME y\nx A "
		  "1.2.3.4\n", "z:5: CNAME and other data" },
		{ "$ORIGIN a.test.\n$TTL 1\nwww A 1.2.3.4\n",
		  "z:3: the first record must be the SOA" },
		{ "$ORIGIN a.test.\n$TTL 1\n@ SOA ns hm 1 1 1 1 1\n@ SOA ns hm 2 1 "
		  "1 1 1\n", "z:4: a second SOA" },
		{ "$ORIGIN a.test.\n$TTL 1\n@ SOA ns hm 1 1 1 1 1\nw A 1.2.3\n",
		  "z:4: " },
		{ "$ORIGIN a.test.\n$TTL 1\n@ SOA ns hm 1 1 1 1 1\nw CH A 1.2.3.4\n",
		  "z:4: class" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ok(dns_dbzone_from_text("z", cases[i].text, strlen(cases[i].text),
		    NULL, &z, err, sizeof(err)) < 0 &&
		    strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
		    "case %zu: %s", i, err);
	}
	static const char nosoa[] = "$ORIGIN a.test.\n$TTL 1\nw A 1.2.3.4\n";
	ok(dns_dbzone_from_text("z", nosoa, strlen(nosoa), (const uint8_t *)"\1a\4test", &z, err, sizeof(err)) < 0 &&
	    strstr(err, "no SOA") != NULL, "no SOA: %s", err);
}

TEST(dns_auth_axfr_survives_reload)
{
	struct dns_msg q;
	struct dns_arena qa;
	struct dns_auth_result res;
	struct dns_auth_opts o = { 1, 1232, 0 };
	static uint8_t qarena[65536], qbuf[512];
	struct dns_msg_builder b;
	struct dns_axfr x;
	int len, msgs = 0;

	load();
	dns_build_init(&b, qbuf, sizeof(qbuf));
	dns_build_question(&b, (const uint8_t *)"\7example\4test", DNS_T_AXFR,
	    DNS_C_IN);
	len = dns_build_finish(&b);
	dns_arena_init(&qa, qarena, sizeof(qarena));
	dns_auth_packet(&db, qbuf, (size_t)len, &qa, &q, &o, out, sizeof(out),
	    &res);
	dns_axfr_begin(&x, res.zone, &q);
	ok(dns_axfr_next(&x, out, 200) > 0, "first message");
	dns_db_clear(&db); /* a reload drops the db's reference */
	while (dns_axfr_next(&x, out, 200) > 0)
		msgs++;
	dns_axfr_end(&x); /* the last reference: freed here (ASan checks) */
	ok(msgs > 0, "the transfer went on from its own copy");
}
