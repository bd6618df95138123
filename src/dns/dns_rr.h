/* dns_rr.h - the one table of DNS RR types.
 *
 * Each known type lists the fields of its rdata (RFC 1035 §3.3 and later
 * RFCs). The wire parser (dns_wire.c), the builder, the presentation printer
 * and parser (dns_text.c) all walk this table, so a type is described once
 * (NSD #19 is what two descriptions of one format cost). A type that is not in
 * the table, or is marked DNS_RRT_OPAQUE, is carried as opaque bytes and
 * printed in the RFC 3597 generic form "\# len hex".
 *
 * Also here: type, class, rcode and opcode names <-> numbers, and
 * struct dns_rr / struct dns_question, shared by the codec and the zone parser.
 */
#ifndef CAMADA_DNS_RR_H
#define CAMADA_DNS_RR_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse.h"

/* Error results shared by every dns_* function that returns an int. */
#define DNS_OK 0
#define DNS_ERR (-1)	/* malformed input or bad argument (== PARSE_ERR) */
#define DNS_FULL (-3)	/* output did not fit; nothing was changed */

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_MD = 3,
	DNS_T_MF = 4,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_MB = 7,
	DNS_T_MG = 8,
	DNS_T_MR = 9,
	DNS_T_NULL = 10,
	DNS_T_WKS = 11,
	DNS_T_PTR = 12,
	DNS_T_HINFO = 13,
	DNS_T_MINFO = 14,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_RP = 17,
	DNS_T_AFSDB = 18,
	DNS_T_RT = 21,
	DNS_T_SIG = 24,
	DNS_T_KEY = 25,
	DNS_T_AAAA = 28,
	DNS_T_LOC = 29,
	DNS_T_SRV = 33,
	DNS_T_NAPTR = 35,
	DNS_T_KX = 36,
	DNS_T_CERT = 37,
	DNS_T_DNAME = 39,
	DNS_T_OPT = 41,
	DNS_T_APL = 42,
	DNS_T_DS = 43,
	DNS_T_SSHFP = 44,
	DNS_T_IPSECKEY = 45,
	DNS_T_RRSIG = 46,
	DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48,
	DNS_T_DHCID = 49,
	DNS_T_NSEC3 = 50,
	DNS_T_NSEC3PARAM = 51,
	DNS_T_TLSA = 52,
	DNS_T_SMIMEA = 53,
	DNS_T_HIP = 55,
	DNS_T_CDS = 59,
	DNS_T_CDNSKEY = 60,
	DNS_T_OPENPGPKEY = 61,
	DNS_T_CSYNC = 62,
	DNS_T_ZONEMD = 63,
	DNS_T_SVCB = 64,
	DNS_T_HTTPS = 65,
	DNS_T_SPF = 99,
	DNS_T_EUI48 = 108,
	DNS_T_EUI64 = 109,
	DNS_T_TKEY = 249,
	DNS_T_TSIG = 250,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_MAILB = 253,
	DNS_T_MAILA = 254,
	DNS_T_ANY = 255,
	DNS_T_URI = 256,
	DNS_T_CAA = 257,
};

enum dns_class {
	DNS_C_IN = 1,
	DNS_C_CH = 3,
	DNS_C_HS = 4,
	DNS_C_NONE = 254,
	DNS_C_ANY = 255,
};

enum dns_opcode {
	DNS_OP_QUERY = 0,
	DNS_OP_IQUERY = 1,
	DNS_OP_STATUS = 2,
	DNS_OP_NOTIFY = 4,
	DNS_OP_UPDATE = 5,
};

/* Response codes; values above 15 need EDNS (the upper 8 bits travel in the
 * OPT record, RFC 6891 §6.1.3). */
enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_YXDOMAIN = 6,
	DNS_RCODE_YXRRSET = 7,
	DNS_RCODE_NXRRSET = 8,
	DNS_RCODE_NOTAUTH = 9,
	DNS_RCODE_NOTZONE = 10,
	DNS_RCODE_BADVERS = 16,
};

/* The kinds of rdata field. Sizes are on the wire, in the canonical
 * (uncompressed) form that struct dns_rr.rdata always holds. */
enum dns_field_kind {
	DNS_FK_END = 0,	/* ends the field list */
	DNS_FK_CNAME,	/* domain name, compressed by the builder (RFC 3597 §4:
			 * only NS, CNAME, SOA, PTR, MX use this kind) */
	DNS_FK_NAME,	/* domain name, never compressed on output; compression
			 * pointers are still followed on input (RFC 3597 §4) */
	DNS_FK_U8,
	DNS_FK_U16,
	DNS_FK_U32,
	DNS_FK_TTL,	/* u32 whose text may use units, "1h30m" (SOA timers) */
	DNS_FK_IPV4,	/* 4 bytes, dotted quad */
	DNS_FK_IPV6,	/* 16 bytes, inet_ntop form */
	DNS_FK_STR,	/* one <character-string>: length byte + 0..255 bytes */
	DNS_FK_STRS,	/* one or more <character-string>s up to the end */
	DNS_FK_HEX,	/* one or more bytes up to the end, text in hex */
	DNS_FK_TAG,	/* CAA tag: <character-string> of 1..255 letters and
			 * digits, printed unquoted */
	DNS_FK_QREST,	/* zero or more bytes up to the end, printed as one
			 * quoted string (CAA value) */
	DNS_FK_OPTS,	/* EDNS options {u16 code, u16 len, len bytes}* */
};

#define DNS_RR_MAXFIELDS 8

/* flags of a table entry */
#define DNS_RRT_OPAQUE 0x01	/* we know the name, not the rdata layout:
				 * carried as bytes, text only as "\#" */
#define DNS_RRT_META 0x02	/* QTYPE or pseudo-RR (OPT, AXFR, ANY, TSIG):
				 * never in a zone file */

struct dns_rrtype {
	uint16_t type;
	uint8_t flags;		/* DNS_RRT_* */
	const char *name;	/* mnemonic, "MX" */
	uint8_t fields[DNS_RR_MAXFIELDS];	/* DNS_FK_*, DNS_FK_END-ended */
};

/* The table entry for a type, or NULL when the type is not in the table.
 * Entries with DNS_RRT_OPAQUE have no fields. */
const struct dns_rrtype *dns_rrtype_find(uint16_t type);

/* The entry whose rdata layout is known (not opaque), or NULL. */
const struct dns_rrtype *dns_rrtype_layout(uint16_t type);

/* A resource record. The owner is an uncompressed wire-format name; rdata is
 * canonical: embedded names are uncompressed, so it can be compared, hashed
 * and re-encoded without the message it came from, and names sit at fixed
 * places: the rdata of NS, CNAME, PTR and DNAME is the name itself, MX's
 * exchange is at rdata + 2, SRV's target at rdata + 6, SOA's minimum is the
 * last 4 bytes (or walk any type with struct dns_rdata_iter). Who owns the
 * bytes is up to the producer: dns_msg_parse puts them in its arena, the zone
 * parser in its own buffers (valid during the callback only). */
struct dns_rr {
	const uint8_t *owner;
	uint16_t owner_len;	/* wire length of owner, 1..255 */
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};

struct dns_question {
	const uint8_t *name;
	uint16_t name_len;
	uint16_t qtype;
	uint16_t qclass;
};

/* Size of the field of the given kind at the start of p[0..n) in canonical
 * rdata, or DNS_ERR when malformed or truncated. Names must be uncompressed
 * here. For the "up to the end" kinds HEX, QREST and OPTS the size is n, with
 * the kind's own rules checked (only QREST may be 0 bytes); STRS is measured
 * one string at a time. */
int dns_field_size(int kind, const uint8_t *p, size_t n);

/* Walks the fields of canonical rdata. Usage:
 *	struct dns_rdata_iter it;
 *	struct slice f;
 *	int k;
 *	dns_rdata_iter_init(&it, t, rd, rdlen);
 *	while ((k = dns_rdata_iter_next(&it, &f)) > 0)
 *		... field of kind k is f.p[0..f.n) ...
 *	k == DNS_FK_END: the rdata matched the layout exactly; DNS_ERR: not.
 * Each string of a DNS_FK_STRS field comes as its own DNS_FK_STRS item
 * (length byte included); t must be a layout (dns_rrtype_layout). */
struct dns_rdata_iter {
	const struct dns_rrtype *t;
	const uint8_t *rd;
	size_t len;
	size_t pos;
	unsigned fi;
};

void dns_rdata_iter_init(struct dns_rdata_iter *it, const struct dns_rrtype *t,
    const uint8_t *rd, size_t len);
int dns_rdata_iter_next(struct dns_rdata_iter *it, struct slice *f);

/* 1 when rd[0..len) is valid canonical rdata for type (always 1 for types
 * whose layout we do not know), else 0. */
int dns_rdata_valid(uint16_t type, const uint8_t *rd, size_t len);

/* Names <-> numbers, case-insensitive on input. Unknown values print in the
 * RFC 3597 generic forms TYPE123 and CLASS4 and those forms are accepted for
 * every value. *_to_text write a NUL-ended string and return its length, or
 * DNS_FULL when cap is too small (16 always suffices). *_from_text return
 * DNS_OK or DNS_ERR. */
int dns_type_to_text(uint16_t type, char *out, size_t cap);
int dns_type_from_text(const char *s, size_t n, uint16_t *type);
int dns_class_to_text(uint16_t rclass, char *out, size_t cap);
int dns_class_from_text(const char *s, size_t n, uint16_t *rclass);
/* "NOERROR", "NXDOMAIN", "BADVERS" as dig prints them; 11..15 print as
 * "RESERVED11" and other unknown codes as their number. */
int dns_rcode_to_text(uint16_t rcode, char *out, size_t cap);
/* "QUERY", "NOTIFY", "UPDATE"; unknown codes print as "RESERVED3". */
int dns_opcode_to_text(uint8_t opcode, char *out, size_t cap);

#endif
