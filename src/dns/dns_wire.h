/* dns_wire.h - DNS wire format: names, the message parser, the message
 * builder and EDNS0 (RFC 1035 §3-4, RFC 3597 §4, RFC 6891).
 *
 * Pure code: no sockets, no printing, no malloc. A parsed message lives in a
 * caller-provided arena; a built message in a caller buffer. Names here are
 * uncompressed wire-format names ("\3www\7example\3com\0"): self-delimiting,
 * at most DNS_NAME_MAX bytes, labels of at most DNS_LABEL_MAX bytes. Functions
 * taking a `const uint8_t *name` expect such a valid name (from this module,
 * dns_name_from_text or checked with dns_name_len).
 */
#ifndef CAMADA_DNS_WIRE_H
#define CAMADA_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse.h"
#include "dns/dns_rr.h"

#define DNS_NAME_MAX 255	/* wire length of a name, root byte included */
#define DNS_LABEL_MAX 63
#define DNS_HDR_LEN 12
#define DNS_UDP_MAX 512		/* message size without EDNS (RFC 1035) */
#define DNS_MSG_MAX 65535	/* largest message (TCP) */

/* Arena size that holds any realistic parsed message up to DNS_MSG_MAX
 * bytes: records take ~32 bytes each plus their decompressed names and
 * rdata. A hostile message whose compression expands beyond the arena is
 * refused (SERVFAIL), never truncated. */
#define DNS_ARENA_SIZE (256 * 1024)

/* Header flag bits, as in the second 16-bit word of the header. OPCODE and
 * RCODE are kept apart (struct dns_msg.opcode, .rcode). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_Z 0x0040
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_FLAG_MASK 0x87f0

/* Sections that hold RRs: index of struct dns_msg.rr[] and .count[]. */
enum dns_section {
	DNS_SEC_ANSWER = 0,
	DNS_SEC_AUTHORITY = 1,
	DNS_SEC_ADDITIONAL = 2,
};

static inline uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- arena: a bump allocator over caller memory, reset in one call ---- */

struct dns_arena {
	uint8_t *base;
	size_t cap;
	size_t used;
};

/* mem[0..cap) (mem not NULL) becomes the arena; the caller owns it. */
void dns_arena_init(struct dns_arena *a, void *mem, size_t cap);
/* Forgets everything allocated; pointers into the arena become invalid. */
void dns_arena_reset(struct dns_arena *a);
/* n bytes aligned to align (a power of two), or NULL when the arena is full
 * (nothing changes then). */
void *dns_arena_alloc(struct dns_arena *a, size_t n, size_t align);

/* ---- names ---- */

/* Reads the possibly compressed name that starts at *pos in the message
 * msg[0..msglen) into out, uncompressed, in a single bounded pass. The name's
 * bytes at *pos must end before `end` (<= msglen; the end of the rdata for a
 * name inside rdata); pointers lead back into msg. Refused: a pointer that
 * does not point strictly before the start of the label run that holds it,
 * or to a name that does not end before that start (so no loops, no name
 * made of its own bytes), labels over 63 bytes, the reserved label types
 * 0x40 and 0x80, names over 255 bytes, reads past the bounds.
 * Returns the wire length of out (1..255) and advances *pos past the name as
 * it sits at *pos (up to and including its first pointer), or DNS_ERR with
 * *pos unchanged. */
int dns_name_read(const uint8_t *msg, size_t msglen, size_t *pos, size_t end,
    uint8_t out[DNS_NAME_MAX]);

/* Length of the uncompressed name at p[0..n): 1..255, or DNS_ERR when it is
 * not a valid uncompressed name within n bytes (pointers are refused). */
int dns_name_len(const uint8_t *p, size_t n);

/* Number of labels, root not counted ("." is 0, "a.b." is 2). */
int dns_name_labels(const uint8_t *name);

/* 1 when the names are equal ignoring ASCII case (RFC 4343), else 0. */
int dns_name_equal(const uint8_t *a, const uint8_t *b);

/* Canonical DNS order (RFC 4034 §6.1): <0, 0, >0. ASCII case ignored. */
int dns_name_cmp(const uint8_t *a, const uint8_t *b);

/* 1 when name equals zone or is below it ("www.example.com." is below
 * "example.com."), ignoring ASCII case; else 0. */
int dns_name_is_sub(const uint8_t *name, const uint8_t *zone);

/* A hash of the name that ignores ASCII case (FNV-1a over the lowercased
 * wire form): names that dns_name_equal calls equal hash the same. For the
 * zone's and the cache's tables; not keyed, so not for tables that remote
 * input can fill without bound. */
uint32_t dns_name_hash(const uint8_t *name);

/* Lowercases A-Z in place (canonical form); other bytes are left alone. */
void dns_name_lower(uint8_t *name);

/* The name with its first label removed; NULL for the root. Points into
 * name. */
const uint8_t *dns_name_parent(const uint8_t *name);

/* ---- EDNS0 (RFC 6891) ---- */

#define DNS_EDNS_DO 0x8000	/* DNSSEC OK, in struct dns_edns.flags */
#define DNS_EDNS_VERSION 0	/* the version we speak */

/* The OPT pseudo-RR. A server that receives version > DNS_EDNS_VERSION
 * answers with rcode DNS_RCODE_BADVERS and its own OPT of version 0, no
 * other records (RFC 6891 §6.1.3): see dns_build_edns. */
struct dns_edns {
	uint16_t udp_size;	/* requestor's payload size, raw OPT CLASS */
	uint8_t ext_rcode;	/* upper 8 bits of the rcode (parser: as sent;
				 * builder: ignored, taken from b->rcode) */
	uint8_t version;
	uint16_t flags;		/* DNS_EDNS_DO and the Z bits */
	const uint8_t *opts;	/* option TLVs, validated, kept opaque */
	uint16_t opts_len;
};

/* The payload size to use for a response to e: udp_size, but at least 512
 * (RFC 6891 §6.2.5). */
static inline uint16_t
dns_edns_payload(const struct dns_edns *e)
{
	return e->udp_size < DNS_UDP_MAX ? DNS_UDP_MAX : e->udp_size;
}

/* Wire size of the OPT RR for e (root owner, fixed part, options). */
static inline size_t
dns_edns_size(const struct dns_edns *e)
{
	return 11 + (size_t)e->opts_len;
}

/* Iterates the options of e: returns 1 with *code and *data (a view into
 * e->opts) for the next option, 0 at the end, DNS_ERR when malformed.
 * Start with *pos = 0. */
int dns_edns_opt_next(const struct dns_edns *e, size_t *pos, uint16_t *code,
    struct slice *data);

/* ---- message parser ---- */

struct dns_msg {
	uint16_t id;
	uint16_t flags;		/* DNS_FLAG_* */
	uint8_t opcode;
	uint16_t rcode;		/* 12 bits: header RCODE | OPT ext_rcode << 4 */
	uint16_t qdcount;
	struct dns_question *qd;
	uint16_t count[3];	/* RRs per enum dns_section; the OPT RR is not
				 * counted nor listed, it is in .edns */
	struct dns_rr *rr[3];
	int has_edns;
	struct dns_edns edns;
	int hdr_ok;		/* id, flags, opcode (and the header rcode)
				 * are valid, also after an error */
	uint16_t err_rcode;	/* on error: the rcode to answer with */
	const char *err;	/* on error: what was wrong, for the log */
};

/* Parses the whole message p[0..n) (one UDP datagram or one TCP frame's
 * payload). Names, records and rdata go into the arena a (decompressed,
 * canonical); p is not referenced afterwards. Rdata of known types is
 * checked against the type table (A is 4 bytes, MX is u16 + name, ...).
 * Refused with DNS_ERR: n < 12, counts that claim more records than the
 * bytes can hold, bad names, rdata that does not match its type, an OPT RR
 * that is not in the additional section, not owned by the root, or not the
 * only one, and trailing bytes after the last record. Then m->err_rcode is
 * FORMERR (SERVFAIL when the arena is full), m->err says why and, when
 * m->hdr_ok, the header fields are set so that the server can answer.
 * Returns n on success (the bytes consumed, > 0). The result is valid until
 * the arena is reset. */
int dns_msg_parse(const uint8_t *p, size_t n, struct dns_msg *m,
    struct dns_arena *a);

/* DNS over TCP framing (RFC 1035 §4.2.2), core/frame.h with the DNS layout:
 * p[0..n) starts with a 2-byte length. Returns 2 + length with *msg set to
 * the message when it is all there, PARSE_AGAIN when more bytes are needed,
 * PARSE_ERR for length 0. */
int dns_tcp_frame(const uint8_t *p, size_t n, struct slice *msg);

/* ---- message builder ---- */

#define DNS_CTAB_MAX 64	/* compression targets remembered per message */

/* Writes a message into buf[0..max). Sections must be added in order:
 * questions, answers, authority, additional (then OPT, or OPT at any time
 * after the authority section). Every add is all-or-nothing: DNS_FULL means
 * the item did not fit and the message is exactly as before the call, so a
 * server can set DNS_FLAG_TC and stop; to cut at an RRset boundary, take a
 * dns_build_mark before the RRset and dns_build_rollback to it.
 *
 * Names are compressed against earlier names of the message (owner names,
 * question names and rdata names), matching bytes exactly, so every name
 * keeps its case. Names inside rdata are compressed only for the RFC 1035
 * types NS, CNAME, SOA, PTR and MX (RFC 3597 §4: DNS_FK_CNAME fields).
 *
 * The header fields id, flags, opcode and rcode may be set at any time
 * before dns_build_finish. */
struct dns_msg_builder {
	uint16_t id;
	uint16_t flags;		/* DNS_FLAG_* */
	uint8_t opcode;
	uint16_t rcode;		/* 12 bits; > 15 needs an OPT RR */
	/* private */
	uint8_t *buf;
	size_t max;
	size_t len;
	size_t reserve;
	size_t opt_pos;		/* offset of the OPT RR's TTL, 0 if none */
	int sec;		/* -1 question, else the enum dns_section */
	uint16_t qdcount;
	uint16_t count[3];
	unsigned nctab;
	struct {
		uint16_t off;	/* where a name (suffix) starts in buf */
		uint8_t len;	/* its uncompressed wire length */
	} ctab[DNS_CTAB_MAX];
};

struct dns_build_mark {
	size_t len;
	size_t opt_pos;
	int sec;
	uint16_t qdcount;
	uint16_t count[3];
	unsigned nctab;
};

/* Starts a message in buf[0..max); max is clamped to DNS_MSG_MAX (use 512,
 * the EDNS payload size or 65535). Header fields start at zero. Returns
 * DNS_OK, or DNS_ERR when max < 12. */
int dns_build_init(struct dns_msg_builder *b, uint8_t *buf, size_t max);

/* Keeps n bytes free at the end, for an OPT RR added last: adds fail with
 * DNS_FULL rather than use them. dns_build_edns releases the reservation.
 * Returns DNS_OK, or DNS_FULL when n bytes are not free now. */
int dns_build_reserve(struct dns_msg_builder *b, size_t n);

/* Appends a question. DNS_OK, DNS_FULL, or DNS_ERR (after other sections). */
int dns_build_question(struct dns_msg_builder *b, const uint8_t *name,
    uint16_t qtype, uint16_t qclass);

/* Appends rr to section sec. rr->rdata must be canonical (as dns_msg_parse
 * and the text/zone parsers produce it); rdata that does not match its type's
 * layout is copied verbatim. DNS_OK, DNS_FULL, or DNS_ERR (section out of
 * order, bad owner name). */
int dns_build_rr(struct dns_msg_builder *b, enum dns_section sec,
    const struct dns_rr *rr);

/* Appends the OPT RR described by e to the additional section (releasing any
 * reservation first); its extended rcode is taken from b->rcode at finish,
 * e->ext_rcode is ignored. One per message. DNS_OK, DNS_FULL or DNS_ERR. */
int dns_build_edns(struct dns_msg_builder *b, const struct dns_edns *e);

struct dns_build_mark dns_build_mark(const struct dns_msg_builder *b);
void dns_build_rollback(struct dns_msg_builder *b,
    const struct dns_build_mark *mk);

/* Writes the header (counts, flags, rcode; the upper rcode bits into the OPT
 * RR) and returns the message length (>= 12), or DNS_ERR when b->rcode > 15
 * and there is no OPT RR. The builder may be finished again after more
 * changes. */
int dns_build_finish(struct dns_msg_builder *b);

#endif
