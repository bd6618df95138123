/* dns_rr.c - the RR type table, the rdata field walker that every codec
 * uses, and the names of types, classes, rcodes and opcodes.
 */
#include <stdio.h>
#include <string.h>

#include "dns/dns_rr.h"
#include "dns/dns_wire.h"

#define F(...) { __VA_ARGS__, DNS_FK_END }
#define OPAQUE(t, n) { t, DNS_RRT_OPAQUE, n, { DNS_FK_END } }
#define META(t, n) { t, DNS_RRT_META | DNS_RRT_OPAQUE, n, { DNS_FK_END } }

/* Sorted by type number (dns_rrtype_find does a binary search). */
static const struct dns_rrtype rrtypes[] = {
	{ DNS_T_A, 0, "A", F(DNS_FK_IPV4) },
	{ DNS_T_NS, 0, "NS", F(DNS_FK_CNAME) },
	{ DNS_T_MD, 0, "MD", F(DNS_FK_NAME) },
	{ DNS_T_MF, 0, "MF", F(DNS_FK_NAME) },
	{ DNS_T_CNAME, 0, "CNAME", F(DNS_FK_CNAME) },
	{ DNS_T_SOA, 0, "SOA", F(DNS_FK_CNAME, DNS_FK_CNAME, DNS_FK_U32,
	    DNS_FK_TTL, DNS_FK_TTL, DNS_FK_TTL, DNS_FK_TTL) },
	{ DNS_T_MB, 0, "MB", F(DNS_FK_NAME) },
	{ DNS_T_MG, 0, "MG", F(DNS_FK_NAME) },
	{ DNS_T_MR, 0, "MR", F(DNS_FK_NAME) },
	OPAQUE(DNS_T_NULL, "NULL"),
	OPAQUE(DNS_T_WKS, "WKS"),
	{ DNS_T_PTR, 0, "PTR", F(DNS_FK_CNAME) },
	{ DNS_T_HINFO, 0, "HINFO", F(DNS_FK_STR, DNS_FK_STR) },
	{ DNS_T_MINFO, 0, "MINFO", F(DNS_FK_NAME, DNS_FK_NAME) },
	{ DNS_T_MX, 0, "MX", F(DNS_FK_U16, DNS_FK_CNAME) },
	{ DNS_T_TXT, 0, "TXT", F(DNS_FK_STRS) },
	{ DNS_T_RP, 0, "RP", F(DNS_FK_NAME, DNS_FK_NAME) },
	{ DNS_T_AFSDB, 0, "AFSDB", F(DNS_FK_U16, DNS_FK_NAME) },
	{ DNS_T_RT, 0, "RT", F(DNS_FK_U16, DNS_FK_NAME) },
	OPAQUE(DNS_T_SIG, "SIG"),
	OPAQUE(DNS_T_KEY, "KEY"),
	{ DNS_T_AAAA, 0, "AAAA", F(DNS_FK_IPV6) },
	OPAQUE(DNS_T_LOC, "LOC"),
	{ DNS_T_SRV, 0, "SRV", F(DNS_FK_U16, DNS_FK_U16, DNS_FK_U16,
	    DNS_FK_NAME) },
	{ DNS_T_NAPTR, 0, "NAPTR", F(DNS_FK_U16, DNS_FK_U16, DNS_FK_STR,
	    DNS_FK_STR, DNS_FK_STR, DNS_FK_NAME) },
	{ DNS_T_KX, 0, "KX", F(DNS_FK_U16, DNS_FK_NAME) },
	OPAQUE(DNS_T_CERT, "CERT"),
	{ DNS_T_DNAME, 0, "DNAME", F(DNS_FK_NAME) },
	{ DNS_T_OPT, DNS_RRT_META, "OPT", F(DNS_FK_OPTS) },
	OPAQUE(DNS_T_APL, "APL"),
	{ DNS_T_DS, 0, "DS", F(DNS_FK_U16, DNS_FK_U8, DNS_FK_U8,
	    DNS_FK_HEX) },
	{ DNS_T_SSHFP, 0, "SSHFP", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_HEX) },
	OPAQUE(DNS_T_IPSECKEY, "IPSECKEY"),
	OPAQUE(DNS_T_RRSIG, "RRSIG"),
	OPAQUE(DNS_T_NSEC, "NSEC"),
	OPAQUE(DNS_T_DNSKEY, "DNSKEY"),
	OPAQUE(DNS_T_DHCID, "DHCID"),
	OPAQUE(DNS_T_NSEC3, "NSEC3"),
	OPAQUE(DNS_T_NSEC3PARAM, "NSEC3PARAM"),
	{ DNS_T_TLSA, 0, "TLSA", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_U8,
	    DNS_FK_HEX) },
	{ DNS_T_SMIMEA, 0, "SMIMEA", F(DNS_FK_U8, DNS_FK_U8, DNS_FK_U8,
	    DNS_FK_HEX) },
	OPAQUE(DNS_T_HIP, "HIP"),
	{ DNS_T_CDS, 0, "CDS", F(DNS_FK_U16, DNS_FK_U8, DNS_FK_U8,
	    DNS_FK_HEX) },
	OPAQUE(DNS_T_CDNSKEY, "CDNSKEY"),
	OPAQUE(DNS_T_OPENPGPKEY, "OPENPGPKEY"),
	OPAQUE(DNS_T_CSYNC, "CSYNC"),
	OPAQUE(DNS_T_ZONEMD, "ZONEMD"),
	OPAQUE(DNS_T_SVCB, "SVCB"),
	OPAQUE(DNS_T_HTTPS, "HTTPS"),
	{ DNS_T_SPF, 0, "SPF", F(DNS_FK_STRS) },
	OPAQUE(DNS_T_EUI48, "EUI48"),
	OPAQUE(DNS_T_EUI64, "EUI64"),
	META(DNS_T_TKEY, "TKEY"),
	META(DNS_T_TSIG, "TSIG"),
	META(DNS_T_IXFR, "IXFR"),
	META(DNS_T_AXFR, "AXFR"),
	META(DNS_T_MAILB, "MAILB"),
	META(DNS_T_MAILA, "MAILA"),
	META(DNS_T_ANY, "ANY"),
	OPAQUE(DNS_T_URI, "URI"),
	{ DNS_T_CAA, 0, "CAA", F(DNS_FK_U8, DNS_FK_TAG, DNS_FK_QREST) },
};

#define NRRTYPES (sizeof(rrtypes) / sizeof(rrtypes[0]))

const struct dns_rrtype *
dns_rrtype_find(uint16_t type)
{
	size_t lo = 0, hi = NRRTYPES;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rrtypes[mid].type == type)
			return &rrtypes[mid];
		if (rrtypes[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct dns_rrtype *
dns_rrtype_layout(uint16_t type)
{
	const struct dns_rrtype *t = dns_rrtype_find(type);

	if (t == NULL || (t->flags & DNS_RRT_OPAQUE))
		return NULL;
	return t;
}

static int
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

int
dns_field_size(int kind, const uint8_t *p, size_t n)
{
	size_t pos;

	switch (kind) {
	case DNS_FK_CNAME:
	case DNS_FK_NAME:
		return dns_name_len(p, n);
	case DNS_FK_U8:
		return n >= 1 ? 1 : DNS_ERR;
	case DNS_FK_U16:
		return n >= 2 ? 2 : DNS_ERR;
	case DNS_FK_U32:
	case DNS_FK_TTL:
	case DNS_FK_IPV4:
		return n >= 4 ? 4 : DNS_ERR;
	case DNS_FK_IPV6:
		return n >= 16 ? 16 : DNS_ERR;
	case DNS_FK_STR:
	case DNS_FK_STRS:
		if (n < 1 || (size_t)p[0] + 1 > n)
			return DNS_ERR;
		return p[0] + 1;
	case DNS_FK_TAG:
		if (n < 2 || p[0] == 0 || (size_t)p[0] + 1 > n)
			return DNS_ERR;
		for (size_t i = 1; i <= p[0]; i++)
			if (!is_alnum(p[i]))
				return DNS_ERR;
		return p[0] + 1;
	case DNS_FK_HEX:
		return n >= 1 && n <= 65535 ? (int)n : DNS_ERR;
	case DNS_FK_QREST:
		return n <= 65535 ? (int)n : DNS_ERR;
	case DNS_FK_OPTS:
		if (n > 65535)
			return DNS_ERR;
		/* a sequence of {code, length, data} that ends exactly at n */
		for (pos = 0; pos < n;) {
			if (n - pos < 4)
				return DNS_ERR;
			size_t olen = dns_get16(p + pos + 2);
			if (olen > n - pos - 4)
				return DNS_ERR;
			pos += 4 + olen;
		}
		return (int)n;
	default:
		return DNS_ERR;
	}
}

void
dns_rdata_iter_init(struct dns_rdata_iter *it, const struct dns_rrtype *t,
    const uint8_t *rd, size_t len)
{
	it->t = t;
	it->rd = rd;
	it->len = len;
	it->pos = 0;
	it->fi = 0;
}

int
dns_rdata_iter_next(struct dns_rdata_iter *it, struct slice *f)
{
	int kind, sz;

	if (it->fi >= DNS_RR_MAXFIELDS)
		return DNS_ERR;
	kind = it->t->fields[it->fi];
	if (kind == DNS_FK_END)
		return it->pos == it->len ? DNS_FK_END : DNS_ERR;
	/* STRS repeats until the rdata ends (it is always the last field);
	 * dns_field_size refuses an empty rest, so at least one string. */
	sz = dns_field_size(kind, it->rd + it->pos, it->len - it->pos);
	if (sz < 0)
		return DNS_ERR;
	f->p = it->rd + it->pos;
	f->n = (size_t)sz;
	it->pos += (size_t)sz;
	if (kind != DNS_FK_STRS || it->pos == it->len)
		it->fi++;
	return kind;
}

int
dns_rdata_valid(uint16_t type, const uint8_t *rd, size_t len)
{
	const struct dns_rrtype *t = dns_rrtype_layout(type);
	struct dns_rdata_iter it;
	struct slice f;
	int k;

	if (t == NULL)
		return 1;
	dns_rdata_iter_init(&it, t, rd, len);
	while ((k = dns_rdata_iter_next(&it, &f)) > 0)
		;
	return k == DNS_FK_END;
}

/* ---- names <-> numbers ---- */

struct code_name {
	uint16_t code;
	const char *name;
};

static const struct code_name classes[] = {
	{ DNS_C_IN, "IN" },
	{ DNS_C_CH, "CH" },
	{ DNS_C_HS, "HS" },
	{ DNS_C_NONE, "NONE" },
	{ DNS_C_ANY, "ANY" },
};

static const struct code_name rcodes[] = {
	{ 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" },
	{ 3, "NXDOMAIN" }, { 4, "NOTIMP" }, { 5, "REFUSED" },
	{ 6, "YXDOMAIN" }, { 7, "YXRRSET" }, { 8, "NXRRSET" },
	{ 9, "NOTAUTH" }, { 10, "NOTZONE" }, { 16, "BADVERS" },
	{ 17, "BADKEY" }, { 18, "BADTIME" }, { 19, "BADMODE" },
	{ 20, "BADNAME" }, { 21, "BADALG" }, { 22, "BADTRUNC" },
	{ 23, "BADCOOKIE" },
};

static const struct code_name opcodes[] = {
	{ 0, "QUERY" }, { 1, "IQUERY" }, { 2, "STATUS" },
	{ 4, "NOTIFY" }, { 5, "UPDATE" },
};

static int
put_text(char *out, size_t cap, const char *prefix, const char *name,
    unsigned num)
{
	int r;

	if (name != NULL)
		r = snprintf(out, cap, "%s", name);
	else
		r = snprintf(out, cap, "%s%u", prefix, num);
	if (r < 0 || (size_t)r >= cap)
		return DNS_FULL;
	return r;
}

static const char *
code_lookup(const struct code_name *t, size_t n, unsigned code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

/* Parses PREFIX<decimal 0..65535> case-insensitively. */
static int
generic_from_text(const char *s, size_t n, const char *prefix, uint16_t *v)
{
	size_t pl = strlen(prefix);
	unsigned long x = 0;

	if (n <= pl || n > pl + 5 || !slice_caseeq(slice_make(s, pl), prefix))
		return DNS_ERR;
	for (size_t i = pl; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return DNS_ERR;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	if (x > 65535)
		return DNS_ERR;
	*v = (uint16_t)x;
	return DNS_OK;
}

int
dns_type_to_text(uint16_t type, char *out, size_t cap)
{
	const struct dns_rrtype *t = dns_rrtype_find(type);

	return put_text(out, cap, "TYPE", t ? t->name : NULL, type);
}

int
dns_type_from_text(const char *s, size_t n, uint16_t *type)
{
	struct slice sl = slice_make(s, n);

	for (size_t i = 0; i < NRRTYPES; i++) {
		if (slice_caseeq(sl, rrtypes[i].name)) {
			*type = rrtypes[i].type;
			return DNS_OK;
		}
	}
	return generic_from_text(s, n, "TYPE", type);
}

int
dns_class_to_text(uint16_t rclass, char *out, size_t cap)
{
	const char *name = code_lookup(classes,
	    sizeof(classes) / sizeof(classes[0]), rclass);

	return put_text(out, cap, "CLASS", name, rclass);
}

int
dns_class_from_text(const char *s, size_t n, uint16_t *rclass)
{
	struct slice sl = slice_make(s, n);

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (slice_caseeq(sl, classes[i].name)) {
			*rclass = classes[i].code;
			return DNS_OK;
		}
	}
	/* BIND's long names for CH and HS */
	if (slice_caseeq(sl, "CHAOS")) {
		*rclass = DNS_C_CH;
		return DNS_OK;
	}
	if (slice_caseeq(sl, "HESIOD")) {
		*rclass = DNS_C_HS;
		return DNS_OK;
	}
	return generic_from_text(s, n, "CLASS", rclass);
}

int
dns_rcode_to_text(uint16_t rcode, char *out, size_t cap)
{
	const char *name = code_lookup(rcodes,
	    sizeof(rcodes) / sizeof(rcodes[0]), rcode);

	if (name == NULL && rcode >= 11 && rcode <= 15)
		return put_text(out, cap, "RESERVED", NULL, rcode);
	return put_text(out, cap, "", name, rcode);
}

int
dns_opcode_to_text(uint8_t opcode, char *out, size_t cap)
{
	const char *name = code_lookup(opcodes,
	    sizeof(opcodes) / sizeof(opcodes[0]), opcode);

	return put_text(out, cap, "RESERVED", name, opcode);
}
