/* dns_query.h - one outgoing DNS query on the loop (the resolver's side).
 *
 * Each attempt goes out from a fresh UDP socket bound to a random port (from
 * getrandom) and connected to the server, with a random ID (RFC 5452 §9.2):
 * a datagram is accepted only from the address and port asked, with the same
 * ID and the same question (names compared ignoring case); anything else is
 * dropped and the query keeps waiting. A timeout retries (new port, new ID)
 * up to `tries` times; a truncated answer (TC) is asked again over TCP
 * (conn_connect, RFC 1035 §4.2.2 framing). The callback runs once, from the
 * loop (never from inside dns_query_start), unless the query is cancelled.
 * The UDP tries are core/udp_rpc.h's connected mode, the TCP framing is
 * core/frame.h's FRAME_FMT_DNS_TCP.
 */
#ifndef CAMADA_DNS_QUERY_H
#define CAMADA_DNS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/sock.h"

enum dns_query_status {
	DNS_QUERY_OK = 0,	/* msg[0..n) is the checked response */
	DNS_QUERY_TIMEOUT,	/* every try timed out */
	DNS_QUERY_ERROR,	/* refused (ICMP), connect failed, bad TCP */
};

struct dns_query_opts {
	uint64_t timeout_ms;	/* per try */
	int tries;		/* UDP tries */
	uint16_t edns_size;	/* 0: no EDNS */
	int rd;			/* set RD */
	int tcp;		/* TCP from the start */
};

struct dns_query;
/* msg is valid during the call only; tcp tells how it came. The query is
 * freed after the callback returns. */
typedef void dns_query_cb(void *arg, enum dns_query_status st,
    const uint8_t *msg, size_t n, int tcp);

/* NULL when no socket could be made (the caller treats it as an error). */
struct dns_query *dns_query_start(struct loop *loop, const struct sock_addr *to,
    const uint8_t *qname, uint16_t qtype, uint16_t qclass,
    const struct dns_query_opts *o, dns_query_cb *cb, void *arg);
/* Stops it; the callback will not run. */
void dns_query_cancel(struct dns_query *q);

/* Pure helpers, also for dig: builds a query into buf[0..max) (returns its
 * length or -1), and checks that resp is the answer to it (QR set, same ID,
 * one question equal ignoring case): 1 or 0. */
int dns_query_build(uint8_t *buf, size_t max, uint16_t id, const uint8_t *qname,
    uint16_t qtype, uint16_t qclass, int rd, uint16_t edns_size);
int dns_query_matches(const uint8_t *resp, size_t n, uint16_t id,
    const uint8_t *qname, uint16_t qtype, uint16_t qclass);
/* Datagrams dropped so far in this process because they did not answer
 * the query they came to (wrong ID, source or question): spoofing attempts
 * or very late answers. */
uint64_t dns_query_dropped(void);

/* A random 16-bit value from getrandom. */
uint16_t dns_random16(void);

#endif
