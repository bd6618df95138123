/* dns_auth.h - the authoritative answer: a pure function from a query and
 * the zone database to a response, written into a caller buffer with the
 * message builder. No sockets, no allocation, no logging: the server (and
 * the unit tests) call it with a parsed query and send what it returns.
 *
 * What it does (RFC 1034 §4.3.2, RFC 2308, RFC 6891):
 *   - AA on answers from a zone; the question echoed as asked;
 *   - CNAME chains followed inside the zone, in the answer section;
 *   - NXDOMAIN and NODATA with the zone's SOA in the authority section, its
 *     TTL min(SOA TTL, SOA minimum);
 *   - referrals below a zone cut: NS in authority, glue in additional, no AA;
 *   - A/AAAA of NS, MX and SRV targets in additional when we have them;
 *   - REFUSED outside our zones, FORMERR for malformed queries (silence when
 *     the header cannot be read), NOTIMP for opcodes other than QUERY;
 *   - EDNS: an OPT echoed, the client's payload size honoured (bounded by
 *     udp_max), BADVERS for version != 0;
 *   - round robin over the records of an RRset (the rotation counter lives
 *     in the RRset, which is why the db is not const);
 *   - TC when an RRset of the answer or authority does not fit, cut at an
 *     RRset boundary.
 * Zone transfers are streamed by dns_axfr_*: the caller decides whether the
 * client may have the zone.
 */
#ifndef CAMADA_DNS_AUTH_H
#define CAMADA_DNS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns_db.h"
#include "dns/dns_wire.h"

struct dns_auth_opts {
	int tcp;		/* the query came over TCP (no 512 limit) */
	uint16_t udp_max;	/* upper bound of UDP responses (and what our
				 * OPT advertises) */
	int rotate;		/* round robin */
};

struct dns_auth_result {
	uint16_t rcode;
	int tc;			/* truncated */
	int xfr;		/* AXFR/IXFR over TCP of zone: the caller
				 * checks access and streams it (nothing was
				 * written) */
	struct dns_dbzone *zone;/* the zone that answered, or NULL */
	int bad;		/* malformed or unsupported: worth a log line */
	const char *why;	/* ... and why */
};

/* Answers the parsed query q into out[0..cap). Returns the response length,
 * or 0 when there is nothing to send (a response, or res->xfr). */
int dns_auth_answer(struct dns_db *db, const struct dns_msg *q,
    const struct dns_auth_opts *o, uint8_t *out, size_t cap,
    struct dns_auth_result *res);

/* Parses p[0..n) in the arena (reset first) and answers it: the server's
 * hot path. A message that does not parse gets its err_rcode (FORMERR) when
 * its header was readable and it is not a response, else silence (0). *q
 * holds the parsed query afterwards (for dns_axfr_begin). */
int dns_auth_packet(struct dns_db *db, const uint8_t *p, size_t n,
    struct dns_arena *a, struct dns_msg *q, const struct dns_auth_opts *o,
    uint8_t *out, size_t cap, struct dns_auth_result *res);

/* A header-and-question response to q with rcode (REFUSED for a transfer
 * that is not allowed). Returns its length (0 if it does not fit). */
int dns_auth_error(const struct dns_msg *q, uint16_t rcode, uint8_t *out,
    size_t cap);

/* ---- zone transfer (RFC 5936): SOA, every other record, SOA ---- */

struct dns_axfr {
	struct dns_dbzone *zone;	/* a reference, dropped by end */
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t qname[DNS_NAME_MAX];
	size_t node;			/* index in zone->order */
	const struct dns_rrset *set;
	unsigned rr;
	int phase;			/* 0 first SOA, 1 records, 2 last SOA,
					 * 3 done */
	unsigned msgs;
};

void dns_axfr_begin(struct dns_axfr *x, struct dns_dbzone *z,
    const struct dns_msg *q);
/* The next message of the transfer in out[0..cap) (cap up to 65535):
 * returns its length, or 0 when the transfer is complete. */
int dns_axfr_next(struct dns_axfr *x, uint8_t *out, size_t cap);
void dns_axfr_end(struct dns_axfr *x);

#endif
