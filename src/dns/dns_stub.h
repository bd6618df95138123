/* dns_stub.h - the stub lookup on the loop: a host name to its IPv6 and IPv4
 * addresses, the way a host's own library does it (IP literals, then the
 * hosts file, then one recursive resolver: camada's or any other), for
 * clients such as `camada get`, the proxy and the SMTP relay. No cache, no
 * search list, no iteration: the resolver does that.
 */
#ifndef CAMADA_DNS_STUB_H
#define CAMADA_DNS_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/sock.h"
#include "core/upstream.h"

#define DNS_STUB_MAX 16		/* addresses delivered, at most */
#define DNS_STUB_ERR_LEN 192

struct dns_stub_conf {
	/* The resolver to ask; len 0: the first nameserver of resolv_conf,
	 * port 53. */
	struct sock_addr server;
	const char *hosts_file;		/* NULL: /etc/hosts */
	const char *resolv_conf;	/* NULL: /etc/resolv.conf */
	uint64_t timeout_ms;		/* per try; 0: 2000 */
	int tries;			/* UDP tries; 0: 3 */
};

/* The answer: n > 0 addresses in a[0..n), each with its port set (valid
 * during the call only); n == 0 the name has no address (NXDOMAIN, NODATA,
 * a name under .invalid), err says so; n < 0 the lookup failed (bad name,
 * no resolver configured, SERVFAIL, REFUSED, no answer), err says why. */
typedef void dns_stub_cb(void *arg, int n, const struct sock_addr *a,
    const char *err);

struct dns_stub;

/* Looks name up for port:
 * - an IP literal ("192.0.2.1", "::1", "[::1]") is its own answer;
 * - an entry of the hosts file answers from the file (IPv6 first, then IPv4,
 *   each in file order, the order getaddrinfo gives loopback names);
 *   "localhost" and names under it not in the file are ::1 and 127.0.0.1,
 *   names under "invalid" have no address (RFC 6761), without a query;
 * - otherwise A and AAAA go to the resolver at once (RD set, UDP with
 *   `tries` tries of timeout_ms, TCP when truncated: dns_query.h), the CNAME
 *   chain in the answers is followed, and the IPv4 addresses come first.
 * conf is copied. The callback runs once, from the loop (never from inside
 * dns_stub_start), then the lookup is freed; NULL only when out of memory.
 */
struct dns_stub *dns_stub_start(struct loop *loop,
    const struct dns_stub_conf *conf, const char *name, int port,
    dns_stub_cb *cb, void *arg);
/* Stops a lookup whose callback has not run: it will not run. */
void dns_stub_cancel(struct dns_stub *s);

/* Fills l so that core/upstream looks names up with dns_stub_start and conf
 * (NULL: the defaults; else it must outlive the upstream). Every client
 * and proxy that connects by name wires it this way. */
void dns_stub_as_lookup(struct upstream_lookup *l,
    const struct dns_stub_conf *conf);

/* The first "nameserver" of a resolv.conf file (NULL: /etc/resolv.conf),
 * port 53. 0, or -1 with err. */
int dns_stub_system_server(const char *resolv_conf, struct sock_addr *out,
    char *err, size_t errlen);

/* Pure helpers over a file's bytes p[0..n) (fuzzed: tests/fuzz/
 * fuzz_dns_stub.c). The hosts file's addresses for name (nl bytes, no
 * final dot; matched ignoring case against every name of a line): IPv6
 * ones first, then IPv4, each in file order, into out[0..max) with port
 * set. Returns how many. */
int dns_stub_hosts_find(const char *p, size_t n, const char *name, size_t nl,
    int port, struct sock_addr *out, int max);
/* The first "nameserver" line of resolv.conf bytes with an IP address:
 * 0 and *out (port 53), or -1. */
int dns_stub_resolv_first(const char *p, size_t n, struct sock_addr *out);

#endif
