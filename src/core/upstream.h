/* upstream.h - outgoing TCP connections on the loop: a destination (host,
 * port) becomes a connected struct conn. The name goes through a lookup the
 * caller supplies (so core/ does not depend on dns/), each address is tried
 * in turn with a connect timeout, and connections the caller is done with
 * can be parked in a pool of idle connections per destination, bounded per
 * destination and overall, closed after an idle timeout, and checked for
 * life when taken. For the HTTP client now; the proxy, the SMTP relay,
 * BitTorrent peers and FTP data connections next.
 *
 * Life of a request:
 *   upstream_connect ... TRYING* (CONNECTED | ERROR), once, from the loop;
 *   or upstream_cancel before that, and nothing is delivered.
 * A callback may cancel its own request (or any other) and may free the
 * whole upstream: inside a callback both only mark, and the engine frees
 * once the callback has returned (nothing more is delivered).
 * On CONNECTED the conn is the caller's: it calls conn_set_handler (conn.h)
 * from inside the callback to take the conn's events (a conn left without
 * a handler is aborted at its next event). Later it either closes the conn
 * or gives it back with upstream_put. A parked conn belongs to the pool,
 * which takes its events: a parked conn that becomes readable (the peer
 * closed it, or sent bytes nobody asked for) or errs is closed at once.
 */
#ifndef CAMADA_UPSTREAM_H
#define CAMADA_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "core/loop.h"
#include "core/sock.h"

#define UPSTREAM_ADDRS 16	/* addresses tried per request, at most */
#define UPSTREAM_HOST_MAX 256
#define UPSTREAM_ERR_LEN 256

/* The answer of a lookup, in the caller's lookup function: n > 0 addresses
 * in a[0..n) (ports set; valid during the call), 0 no address, < 0 failed;
 * err says why when n <= 0. */
typedef void upstream_resolved_cb(void *arg, int n, const struct sock_addr *a,
    const char *err);

/* A name lookup supplied by the caller (camada get passes dns_stub's).
 * start returns a handle (NULL: could not start) and calls cb once, from
 * the loop, unless cancel(handle) comes first. */
struct upstream_lookup {
	void *(*start)(void *ctx, struct loop *loop, const char *host,
	    int port, upstream_resolved_cb *cb, void *arg);
	void (*cancel)(void *handle);
	void *ctx;
};

struct upstream_conf {
	uint64_t connect_timeout_ms;	/* per address; 0: 30 s */
	size_t idle_per_dest;		/* parked per (host, port); 0: none */
	size_t idle_max;		/* parked in all */
	uint64_t idle_timeout_ms;	/* parked longer: closed; 0: 60 s */
	struct conn_limits lim;		/* for the connections made */
	struct upstream_lookup lookup;	/* start NULL: IP literals only */
};

enum upstream_ev {
	UPSTREAM_EV_TRYING,	/* about to connect to r->addr */
	UPSTREAM_EV_CONNECTED,	/* r->c is connected (or a parked one) */
	UPSTREAM_EV_ERROR,	/* r->err says which, r->errstr why */
};

enum upstream_err {
	UPSTREAM_OK = 0,
	UPSTREAM_ERR_RESOLVE,	/* the lookup failed or found no address */
	/* with several addresses, the first that applies to any try (a
	 * timeout first: the connect phase ran past its bound, curl's 28): */
	UPSTREAM_ERR_TIMEOUT,	/* an address timed out */
	UPSTREAM_ERR_REFUSED,	/* an address refused */
	UPSTREAM_ERR_FAILED,	/* another error (unreachable, no fd, ...) */
};

struct upstream_result {
	struct conn *c;			/* CONNECTED */
	const struct sock_addr *addr;	/* TRYING, CONNECTED */
	int reused;			/* CONNECTED: it came from the pool */
	uint64_t tag;			/* CONNECTED reused: upstream_put's */
	uint64_t connect_ms;		/* CONNECTED fresh: the last try's */
	enum upstream_err err;		/* ERROR */
	const char *errstr;		/* ERROR: "Connection refused", ... */
};

typedef void upstream_cb(void *arg, enum upstream_ev ev,
    const struct upstream_result *r);

struct upstream;
struct upstream_req;

/* conf is copied. NULL when out of memory. */
struct upstream *upstream_new(struct loop *loop,
    const struct upstream_conf *conf);
/* Cancels every request (no callback runs) and aborts every parked conn
 * (their CLOSED comes from the loop: run it once more before loop_free).
 * Called from inside an upstream callback, it is done when that callback
 * returns; u must not be used after the call either way. */
void upstream_free(struct upstream *u);

/* Flags of upstream_connect. */
#define UPSTREAM_FRESH 0x1	/* a new connection, not a parked one */

/* Starts a request for host (a name, or an IP literal, "[::1]" or "::1")
 * and port. Events go to cb from the loop, never from inside this call;
 * the request is freed after CONNECTED or ERROR. NULL when out of memory
 * or when host is longer than UPSTREAM_HOST_MAX - 1. */
struct upstream_req *upstream_connect(struct upstream *u, const char *host,
    int port, unsigned flags, upstream_cb *cb, void *arg);
/* Stops a request before its CONNECTED or ERROR: nothing more is
 * delivered, a connect under way is aborted. Allowed inside r's own
 * callback (TRYING, CONNECTED, ERROR; r is freed after it returns, and a
 * CONNECTED conn stays the caller's); r must not be used after. */
void upstream_cancel(struct upstream_req *r);
/* Whether r waits for its name lookup now (for the caller's messages:
 * "Resolving timed out"). r NULL: 0. */
int upstream_req_resolving(const struct upstream_req *r);

/* Parks c, connected to (host, port), for a later upstream_connect of the
 * same destination (host compared ignoring case); tag comes back with it.
 * c must be idle: nothing queued, nothing unread (else it is closed). When
 * the destination or the pool is full the oldest parked conn goes. The
 * caller must not touch c afterwards. */
void upstream_put(struct upstream *u, struct conn *c, const char *host,
    int port, uint64_t tag);

/* Parked connections now: for one destination (host NULL: all). */
size_t upstream_idle_count(const struct upstream *u, const char *host,
    int port);

#endif
