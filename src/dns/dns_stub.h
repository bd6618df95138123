/* dns_stub.h - a stub resolver: asks one recursive resolver (camada's, or
 * any other) for a host's addresses, the way a host's own library would,
 * for clients such as `camada get --resolver ADDR`. Blocking: for clients,
 * never for servers. */
#ifndef CAMADA_DNS_STUB_H
#define CAMADA_DNS_STUB_H

#include <stddef.h>

#include "core/sock.h"

/* Looks up A then AAAA records of name at server (RD set, UDP with three
 * tries of timeout_ms each, TCP when the answer is truncated), following the
 * CNAME chain the resolver returns. Fills out[] with the addresses, port set
 * to port. Returns how many (0: the name has no address: NXDOMAIN or
 * NODATA), or -1 with err when the resolver could not be asked or failed
 * (SERVFAIL, REFUSED, no answer). */
int dns_stub_lookup(const struct sock_addr *server, const char *name, int port,
    struct sock_addr *out, int max, int timeout_ms, char *err, size_t errlen);

#endif
