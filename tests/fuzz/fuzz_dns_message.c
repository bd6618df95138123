/* libFuzzer target for the DNS message codec. Checks, for every input:
 * - dns_msg_parse returns n or DNS_ERR (with FORMERR/SERVFAIL and a reason),
 *   and stays inside a small arena as well as a large one;
 * - what parses re-encodes, and decode(encode(decode(x))) == decode(x);
 * - the builder cut short at 512 bytes still makes a valid message;
 * - every record prints, and its rdata text parses back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static uint8_t mem1[DNS_ARENA_SIZE], mem2[DNS_ARENA_SIZE], small[2048];
static uint8_t out[DNS_MSG_MAX], rd[65535];
static char text[DNS_RR_TEXT_MAX];
static struct dns_token tok[70000];

static int
rr_same(const struct dns_rr *a, const struct dns_rr *b)
{
	return a->owner_len == b->owner_len &&
	    memcmp(a->owner, b->owner, a->owner_len) == 0 &&
	    a->type == b->type && a->rclass == b->rclass && a->ttl == b->ttl &&
	    a->rdlen == b->rdlen &&
	    (a->rdlen == 0 || memcmp(a->rdata, b->rdata, a->rdlen) == 0);
}

static int
msg_same(const struct dns_msg *a, const struct dns_msg *b)
{
	if (a->id != b->id || a->flags != b->flags || a->opcode != b->opcode ||
	    a->rcode != b->rcode || a->qdcount != b->qdcount ||
	    a->has_edns != b->has_edns)
		return 0;
	for (unsigned i = 0; i < a->qdcount; i++)
		if (a->qd[i].name_len != b->qd[i].name_len ||
		    memcmp(a->qd[i].name, b->qd[i].name, a->qd[i].name_len) ||
		    a->qd[i].qtype != b->qd[i].qtype ||
		    a->qd[i].qclass != b->qd[i].qclass)
			return 0;
	for (int s = 0; s < 3; s++) {
		if (a->count[s] != b->count[s])
			return 0;
		for (unsigned i = 0; i < a->count[s]; i++)
			if (!rr_same(&a->rr[s][i], &b->rr[s][i]))
				return 0;
	}
	return !a->has_edns || (a->edns.udp_size == b->edns.udp_size &&
	    a->edns.version == b->edns.version &&
	    a->edns.flags == b->edns.flags &&
	    a->edns.opts_len == b->edns.opts_len &&
	    (a->edns.opts_len == 0 ||
	    memcmp(a->edns.opts, b->edns.opts, a->edns.opts_len) == 0));
}

/* Adds m to a builder of size max; returns the finished length, or
 * DNS_FULL when something did not fit (the message is then finished with
 * what did fit, TC set, and written to *cut). */
static int
build(const struct dns_msg *m, size_t max, int *cut)
{
	struct dns_msg_builder b;
	int r = DNS_OK;

	CHECK(dns_build_init(&b, out, max) == DNS_OK);
	b.id = m->id;
	b.flags = m->flags;
	b.opcode = m->opcode;
	b.rcode = m->has_edns ? m->rcode : (m->rcode & 15);
	if (m->has_edns)
		CHECK(dns_build_reserve(&b, dns_edns_size(&m->edns)) != DNS_ERR);
	for (unsigned i = 0; i < m->qdcount && r == DNS_OK; i++)
		r = dns_build_question(&b, m->qd[i].name, m->qd[i].qtype,
		    m->qd[i].qclass);
	for (int s = 0; s < 3 && r == DNS_OK; s++)
		for (unsigned i = 0; i < m->count[s] && r == DNS_OK; i++)
			r = dns_build_rr(&b, (enum dns_section)s, &m->rr[s][i]);
	CHECK(r == DNS_OK || r == DNS_FULL);
	*cut = r == DNS_FULL;
	if (*cut)
		b.flags |= DNS_FLAG_TC;
	if (m->has_edns) {
		int e = dns_build_edns(&b, &m->edns);
		CHECK(e == DNS_OK || e == DNS_FULL);
		if (e == DNS_FULL) {
			*cut = 1;
			b.rcode &= 15;
		}
	}
	int len = dns_build_finish(&b);
	CHECK(len >= DNS_HDR_LEN && (size_t)len <= max);
	return len;
}

static void
check_text(const struct dns_rr *rr)
{
	struct dns_lexer lx;
	struct dns_text_err e;
	size_t ntok;

	CHECK(dns_rr_to_text(rr, text, sizeof(text)) > 0);
	int tl = dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen, text,
	    sizeof(text));
	CHECK(tl > 0);
	/* rdata that does not match its type prints as \# and would be
	 * refused on the way back; everything else must read back */
	if (!dns_rdata_valid(rr->type, rr->rdata, rr->rdlen))
		return;
	dns_lex_init(&lx, text, (size_t)tl);
	CHECK(dns_lex_line(&lx, tok, sizeof(tok) / sizeof(tok[0]), &ntok) == 1);
	int len = dns_rdata_from_tokens(rr->type, tok, ntok, NULL, rd,
	    sizeof(rd), &e);
	CHECK(len == rr->rdlen && memcmp(rd, rr->rdata, rr->rdlen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct dns_arena a1, a2;
	struct dns_msg m1, m2;
	int cut;

	dns_arena_init(&a1, small, sizeof(small));
	int r = dns_msg_parse(data, n, &m1, &a1);
	CHECK(r == (int)n || r == DNS_ERR);
	CHECK(a1.used <= sizeof(small));

	dns_arena_init(&a1, mem1, sizeof(mem1));
	r = dns_msg_parse(data, n, &m1, &a1);
	if (r == DNS_ERR) {
		CHECK(m1.err != NULL && (m1.err_rcode == DNS_RCODE_FORMERR ||
		    m1.err_rcode == DNS_RCODE_SERVFAIL));
		CHECK(m1.hdr_ok == (n >= DNS_HDR_LEN));
		return 0;
	}
	CHECK(r > 0 && (size_t)r == n);

	for (unsigned i = 0; i < m1.qdcount; i++) {
		const struct dns_question *q = &m1.qd[i];
		CHECK(dns_name_len(q->name, q->name_len) == q->name_len);
		CHECK(dns_name_cmp(q->name, q->name) == 0);
		CHECK(dns_question_to_text(q, text, sizeof(text)) > 0);
	}
	for (int s = 0; s < 3; s++) {
		for (unsigned i = 0; i < m1.count[s]; i++) {
			const struct dns_rr *rr = &m1.rr[s][i];
			CHECK(dns_name_len(rr->owner, rr->owner_len) ==
			    rr->owner_len);
			if (m1.qdcount > 0 && dns_name_is_sub(rr->owner,
			    m1.qd[0].name))
				CHECK(dns_name_cmp(rr->owner, m1.qd[0].name)
				    >= 0);
			check_text(rr);
		}
	}
	if (m1.has_edns) {
		size_t pos = 0;
		uint16_t code;
		struct slice d;
		int k;
		while ((k = dns_edns_opt_next(&m1.edns, &pos, &code, &d)) == 1)
			;
		CHECK(k == 0);
	}

	/* round trip through the builder */
	int len = build(&m1, DNS_MSG_MAX, &cut);
	if (!cut) {
		dns_arena_init(&a2, mem2, sizeof(mem2));
		CHECK(dns_msg_parse(out, (size_t)len, &m2, &a2) == len);
		CHECK(msg_same(&m1, &m2));
	}
	/* cut short at 512 bytes: still a message, with fewer records */
	len = build(&m1, DNS_UDP_MAX, &cut);
	dns_arena_init(&a2, mem2, sizeof(mem2));
	CHECK(dns_msg_parse(out, (size_t)len, &m2, &a2) == len);
	CHECK(m2.qdcount <= m1.qdcount);
	if (!cut)
		CHECK(msg_same(&m1, &m2));
	else
		CHECK(m2.flags & DNS_FLAG_TC);
	return 0;
}
