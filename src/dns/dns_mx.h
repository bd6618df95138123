/* dns_mx.h - the MX lookup of a mail domain on the loop, for the SMTP
 * relay: one MX question to a recursive resolver (dns_query.h), the hosts
 * in preference order, and the cases RFC 5321 §5.1 and RFC 7505 tell
 * apart. The hosts' addresses are dns_stub's (A and AAAA), asked by the
 * caller when it connects. No cache, no iteration: the resolver does that.
 */
#ifndef CAMADA_DNS_MX_H
#define CAMADA_DNS_MX_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/sock.h"

#define DNS_MX_MAX 16		/* hosts delivered, at most */
#define DNS_MX_NAME_LEN 256	/* a host name as text, no final dot */
#define DNS_MX_ERR_LEN 192

enum dns_mx_status {
	DNS_MX_OK,		/* h[0..n) in preference order */
	DNS_MX_IMPLICIT,	/* no MX records (NODATA): the domain itself is
				 * the one host, its A/AAAA (RFC 5321 §5.1) */
	DNS_MX_NXDOMAIN,	/* the domain does not exist: permanent */
	DNS_MX_NULL,		/* "MX 0 ." (RFC 7505): it takes no mail */
	DNS_MX_FAIL,		/* no answer, SERVFAIL, bad answer: retry */
};

struct dns_mx_host {
	uint16_t pref;
	char name[DNS_MX_NAME_LEN];
};

/* h and err are valid during the call only. */
typedef void dns_mx_cb(void *arg, enum dns_mx_status st,
    const struct dns_mx_host *h, int n, const char *err);

struct dns_mx;

/* Asks server (len 0: resolv.conf's first, port 53) for domain's MX. The
 * callback runs once, from the loop (never from inside this call), unless
 * dns_mx_cancel comes first; NULL only when out of memory. */
struct dns_mx *dns_mx_start(struct loop *loop, const struct sock_addr *server,
    const char *domain, dns_mx_cb *cb, void *arg);
void dns_mx_cancel(struct dns_mx *m);

/* Pure: the MX answer msg[0..len) to the question qname (wire form) into
 * h[0..max), sorted by preference (equal ones keep the answer's order),
 * following a CNAME at qname. Returns the status; *n the hosts; err for
 * FAIL. */
enum dns_mx_status dns_mx_parse(const uint8_t *msg, size_t len,
    const uint8_t *qname, struct dns_mx_host *h, int max, int *n,
    char *err);

#endif
