/* udp_rpc.h - UDP request/response on the loop: a transaction id per call,
 * a timer per try with backoff, a bounded number of tries, answers matched
 * by the protocol, callbacks from the loop. What a request says and what an
 * answer means are the protocol's (DNS, the DHT, STUN); TCP is not here.
 *
 * Two socket modes:
 * - UDP_RPC_SHARED: calls go out on the caller's udp_socks (one or a few,
 *   e.g. a DHT node's own port, which also serves requests). The caller's
 *   udp_cb hands every datagram to udp_rpc_input first; responses are looked
 *   up by transaction id in a table, the rest are the caller's. A call keeps
 *   its transaction id across tries (retransmissions, as STUN wants), so an
 *   answer to an earlier try still counts.
 * - UDP_RPC_CONNECTED: every try goes out from a fresh socket bound to a
 *   random port (from getrandom) and connected to the server, with a fresh
 *   random transaction id (RFC 5452 9.2, what DNS needs); the previous try's
 *   socket is closed. An ICMP error on a try's socket (refused,
 *   unreachable, message too big) ends that try only: the next one goes
 *   out at once, since an ICMP error is cheaper to spoof than an answer
 *   (an attacker needs only the port); with every try used up the call
 *   ends with UDP_RPC_ERROR (3 tries: 3 refusals, still at once).
 * Either way an answer is taken only from the address and port asked, with
 * the call's transaction id, and when the protocol's match says so;
 * everything else is dropped and counted (stats.mismatch), and a response
 * to no pending call (a duplicate, a late answer) is dropped and counted in
 * stats.late.
 *
 * Every pending call is on its engine's list, in both modes, so that
 * udp_rpc_free can end them all; a call handle is invalid after it.
 */
#ifndef CAMADA_UDP_RPC_H
#define CAMADA_UDP_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/list.h"
#include "core/loop.h"
#include "core/sock.h"
#include "core/udp.h"

#define UDP_RPC_TXID_MAX 20
/* The largest datagram a connected-mode call reads; longer ones are cut
 * by the kernel (the protocol's match sees n == UDP_RPC_DGRAM_MAX + 1). */
#define UDP_RPC_DGRAM_MAX 65535
#define UDP_RPC_MAX_SOCKS 4

enum udp_rpc_mode {
	UDP_RPC_SHARED,
	UDP_RPC_CONNECTED,
};

enum udp_rpc_status {
	UDP_RPC_OK = 0,		/* p[0..n) is the answer */
	UDP_RPC_TIMEOUT,	/* every try timed out */
	UDP_RPC_ERROR,		/* the last try refused (ICMP), or a try
				 * could not be sent */
};

struct udp_rpc_proto {
	size_t txid_len;	/* 1 .. UDP_RPC_TXID_MAX bytes */
	/* 1 when p[0..n) is a response, with its transaction id's txid_len
	 * bytes copied to txid; 0 when it is not (a request, noise). */
	int (*txid_of)(const uint8_t *p, size_t n, uint8_t *txid);
};

struct udp_rpc_stats {
	uint64_t calls;		/* started */
	uint64_t sent;		/* datagrams sent, every try */
	uint64_t retries;	/* tries after the first */
	uint64_t answered;
	uint64_t timeouts;
	uint64_t errors;
	uint64_t mismatch;	/* came to a call but did not answer it */
	uint64_t late;		/* responses to no pending call */
	uint64_t icmp;		/* connected mode: ICMP errors, each the
				 * end of one try */
};

struct udp_rpc_call;

struct udp_rpc {
	const struct udp_rpc_proto *proto;
	enum udp_rpc_mode mode;
	struct udp_rpc_stats stats;

	/* private */
	struct udp_sock *socks[UDP_RPC_MAX_SOCKS];
	sa_family_t family[UDP_RPC_MAX_SOCKS];
	int nsocks;
	unsigned next_sock;
	struct udp_rpc_call **tab;	/* shared mode: by transaction id */
	size_t tab_cap, tab_count;
	struct list_head calls;		/* every pending call, both modes */
};

/* Writes try try_no's datagram (from 0) into buf[0..max) carrying the
 * transaction id txid (proto->txid_len bytes); returns its length, or -1
 * (the call ends with UDP_RPC_ERROR, or start fails). */
typedef int udp_rpc_build_cb(void *arg, const uint8_t *txid, int try_no,
    uint8_t *buf, size_t max);
/* Whether p[0..n), from the address asked and with the call's id, answers
 * it (DNS: the question): 1 or 0 (dropped, counted as a mismatch).
 * match and drop may cancel calls, their own included (then nothing more
 * is counted or reported for the datagram), but neither may free the
 * engine; done may (its call is already off the engine). */
typedef int udp_rpc_match_cb(void *arg, const uint8_t *p, size_t n);
/* The end: runs once, from the loop, unless the call was cancelled. p is
 * valid during the call only; the call is gone when it returns. */
typedef void udp_rpc_done_cb(void *arg, enum udp_rpc_status st,
    const uint8_t *p, size_t n);
/* Optional: a datagram that came for this call and was dropped (a wrong
 * source, id or match), for the caller's log. */
typedef void udp_rpc_drop_cb(void *arg, const struct sock_addr *from);

struct udp_rpc_req {
	struct sock_addr to;
	uint64_t timeout_ms;	/* the first try's (0: 1000) */
	unsigned backoff;	/* each try waits this many times the last
				 * (0 or 1: the same every time) */
	uint64_t max_timeout_ms; /* cap on one try's wait (0: none) */
	int tries;		/* at least 1 */
	udp_rpc_build_cb *build;
	udp_rpc_match_cb *match;	/* NULL: the id is enough */
	udp_rpc_done_cb *done;
	udp_rpc_drop_cb *drop;		/* may be NULL */
	void *arg;
};

/* Sets up an engine; allocates nothing (the shared table comes with the
 * first call). */
void udp_rpc_init(struct udp_rpc *r, const struct udp_rpc_proto *proto,
    enum udp_rpc_mode mode);
/* Shared mode: sends on u too (not owned; it must outlive the engine, and
 * its udp_cb must call udp_rpc_input). Calls to an address family go out
 * on that family's sockets in turn. 0, or -1 when full. */
int udp_rpc_add_sock(struct udp_rpc *r, struct udp_sock *u) BUF_WUR;
/* Cancels every pending call, in both modes (no callback runs: their
 * sockets are closed, their timers stopped), and frees the table; r may
 * be freed as soon as it returns. Every handle from udp_rpc_start is then
 * invalid (do not udp_rpc_cancel it). A connected-mode call's memory is
 * released from a deferred task on its loop, since its socket may have an
 * event pending in the batch being dispatched: run that loop once more
 * (loop_once(loop, 0)) before loop_free, or it leaks. */
void udp_rpc_free(struct udp_rpc *r);

/* Starts a call: the first try is sent before it returns, q is copied.
 * Returns the call, valid until its done callback returns or it is
 * cancelled, or NULL when the first try could not be sent (no callback
 * will run). loop runs its timers; in shared mode it is the sockets'. */
struct udp_rpc_call *udp_rpc_start(struct udp_rpc *r, struct loop *loop,
    const struct udp_rpc_req *q);
/* Stops c; its done callback will not run. NULL is ignored. */
void udp_rpc_cancel(struct udp_rpc_call *c);
/* The transaction id of c's current try (proto->txid_len bytes). */
const uint8_t *udp_rpc_txid(const struct udp_rpc_call *c);

/* Shared mode: a datagram that arrived on one of the sockets. Returns 1
 * when it was a response (delivered to its call, or dropped and counted),
 * 0 when it is not one and belongs to the caller (a request). */
int udp_rpc_input(struct udp_rpc *r, const uint8_t *p, size_t n,
    const struct sock_addr *from);

/* n random bytes for ids and ports: getrandom (retried on EINTR; it blocks
 * only until the kernel's pool is first seeded at boot, on purpose), else
 * /dev/urandom (getrandom refused, e.g. ENOSYS or EPERM under seccomp).
 * Never returns short: if both fail it aborts with a message on stderr,
 * since predictable ids would let anyone forge answers. */
void udp_rpc_random(void *p, size_t n);

#endif
