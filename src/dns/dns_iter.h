/* dns_iter.h - iterative resolution of one question, as a state machine
 * with no sockets: the caller asks dns_iter_next what to do (send a query to
 * a server, resolve a name server's address first, or nothing: done), does
 * it, and feeds back the answer (dns_iter_answer) or the failure
 * (dns_iter_fail, dns_iter_sub_done). Every decision — which zone to start
 * from (the closest enclosing zone whose NS set is cached, else the root
 * hints), which server to ask next, what a response means (answer, CNAME,
 * referral, NXDOMAIN, NODATA, lame), what may be cached — is made here.
 *
 * Poisoning resistance (RFC 5452) on this side: a response must carry the
 * question that was asked (names compared ignoring case); from a server for
 * zone Z only records at or below Z are used; a referral must be to a zone
 * strictly below Z that encloses the name; glue is taken only for the
 * referred zone's name servers (and only when below Z). The query layer
 * checks the ID and the source address and port.
 *
 * Bounds: max_referrals, max_cname (8), max_queries (shared with the
 * sub-resolutions of one client query through *sent); past one -> SERVFAIL.
 */
#ifndef CAMADA_DNS_ITER_H
#define CAMADA_DNS_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/sock.h"
#include "dns/dns_cache.h"
#include "dns/dns_wire.h"

#define DNS_ITER_MAX_NS 16
#define DNS_ITER_MAX_SRV 32
#define DNS_ITER_MAX_CNAME 8
#define DNS_ITER_RES_MAX 65535

/* Root hints: the root's name servers and their addresses. */
struct dns_iter_hints {
	int nns;
	uint8_t ns[DNS_ITER_MAX_NS][DNS_NAME_MAX];
	int naddr;
	struct sock_addr addr[DNS_ITER_MAX_SRV];
	uint8_t addr_ns[DNS_ITER_MAX_SRV];	/* addr[i] is ns[addr_ns[i]]'s */
};

/* Reads hints in the named.root format (NS records of the root, A/AAAA of
 * the servers) from text; port is set on every address. 0, or -1 with err. */
int dns_iter_hints_parse(struct dns_iter_hints *h, const char *file,
    const char *text, size_t len, int port, char *err, size_t errlen);

struct dns_iter_conf {
	const struct dns_iter_hints *hints;
	int port;			/* every name server is asked on it */
	const struct sock_addr *forward; /* forwarding mode when nforward */
	int nforward;
	int max_referrals;
	int max_cname;
	int max_queries;
};

enum dns_iter_action {
	DNS_ITER_SEND,	/* send out->qname/qtype to out->addr */
	DNS_ITER_SUB,	/* resolve out->qname A first, then dns_iter_sub_done */
	DNS_ITER_DONE,	/* it->rcode and the result records are final */
};

struct dns_iter_out {
	struct sock_addr addr;
	const uint8_t *ns_name;	/* the server's name (NULL: unknown, e.g. a
				 * forwarder); valid until the next call */
	const uint8_t *qname;
	uint16_t qtype, qclass;
	int rd;			/* set the RD bit (forwarding) */
	const uint8_t *zone;	/* the zone the server was picked for */
};

struct dns_iter_ns {
	uint8_t name[DNS_NAME_MAX];
	uint8_t state;		/* 0 addresses unknown, 1 looked up, 2 failed */
};

struct dns_iter_srv {
	struct sock_addr addr;
	uint8_t tried;
	int8_t ns;		/* its name server in ns[], -1: unknown */
};

/* What the last response given to dns_iter_answer meant: the hook through
 * which a caller reports each step the iterator takes (dig +trace prints
 * them, and stops at a CNAME out of the zone as dig does). */
enum dns_iter_step {
	DNS_ITER_STEP_NONE,	/* no response yet */
	DNS_ITER_STEP_REFERRAL,	/* to a zone below; it->zone is that zone */
	DNS_ITER_STEP_ANSWER,	/* the answer: done */
	DNS_ITER_STEP_NEGATIVE,	/* NXDOMAIN or NODATA: done */
	DNS_ITER_STEP_CNAME,	/* a CNAME whose target needs another walk:
				 * it starts over from the closest zone */
	DNS_ITER_STEP_REJECTED,	/* lame, a server error, another question:
				 * the next server is asked */
	DNS_ITER_STEP_FAILED,	/* a bound was hit (referrals, CNAMEs): done,
				 * SERVFAIL */
};

struct dns_iter {
	const struct dns_iter_conf *cf;
	struct dns_cache *cache;
	uint8_t qname[DNS_NAME_MAX];
	uint16_t qtype, qclass;
	uint8_t cur[DNS_NAME_MAX];	/* qname after the CNAMEs so far */
	uint8_t zone[DNS_NAME_MAX];	/* the zone being asked */
	int restart;			/* pick the zone again (from cache) */
	int done;
	uint16_t rcode;
	int ncname, referrals;
	int own_sent;
	int *sent;			/* queries sent, shared with subs */
	int cur_srv;
	int sub_ns;
	struct dns_iter_ns ns[DNS_ITER_MAX_NS];
	int nns;
	struct dns_iter_srv srv[DNS_ITER_MAX_SRV];
	int nsrv;
	const char *why;		/* on SERVFAIL: why, for the log */
	enum dns_iter_step step;	/* the last response's meaning */
	/* result records: [sec u8][rr: owner_len u8, owner, type u16,
	 * class u16, ttl u32, rdlen u16, rdata] ... */
	uint8_t *res;
	size_t res_len, res_cap;
};

void dns_iter_init(struct dns_iter *it, const struct dns_iter_conf *cf,
    struct dns_cache *cache, const uint8_t *qname, uint16_t qtype,
    uint16_t qclass);
void dns_iter_free(struct dns_iter *it);

enum dns_iter_action dns_iter_next(struct dns_iter *it, uint64_t now_ms,
    struct dns_iter_out *out);
/* The response m to the last DNS_ITER_SEND (ID and source already checked). */
void dns_iter_answer(struct dns_iter *it, const struct dns_msg *m,
    uint64_t now_ms);
/* The last DNS_ITER_SEND timed out or failed. */
void dns_iter_fail(struct dns_iter *it);
/* The sub-resolution asked by the last DNS_ITER_SUB finished: sub is it
 * (its answer's addresses are used), or NULL when it could not run. */
void dns_iter_sub_done(struct dns_iter *it, const struct dns_iter *sub,
    uint64_t now_ms);

/* Walks the result: returns 1 with *sec and *rr (views into it->res), 0 at
 * the end. Start with *pos = 0. */
int dns_iter_result_next(const struct dns_iter *it, size_t *pos,
    enum dns_section *sec, struct dns_rr *rr);
size_t dns_iter_result_count(const struct dns_iter *it, enum dns_section sec);

#endif
