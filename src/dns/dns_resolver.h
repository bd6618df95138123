/* dns_resolver.h - the recursive caching resolver ("camada resolver",
 * the [resolver] section): answers clients over UDP and TCP from its cache,
 * and resolves what it lacks iteratively from the root hints (dns_iter.c,
 * dns_query.c) or through a forwarder. */
#ifndef CAMADA_DNS_RESOLVER_H
#define CAMADA_DNS_RESOLVER_H

#include "core/server.h"
#include "dns/dns_iter.h"

extern const struct service resolver_service;
int resolver_main(int argc, char **argv);

/* Debian's copy of the IANA root hints (package dns-root-data). */
#define RESOLVER_SYSTEM_HINTS "/usr/share/dns/root.hints"

/* Loads the root hints into h, every address on port. file NULL or "" (no
 * root-hints key) means the real Internet's root: system (a path, normally
 * RESOLVER_SYSTEM_HINTS; NULL: none) when it exists, else the IANA hints
 * compiled in. *from gets what was read: file, system, or "built-in" (static
 * or the caller's string). 0, or -1 with err (CONF_ERR_LEN bytes) naming the
 * file ("root-hints FILE: No such file or directory", or FILE:LINE). */
int resolver_hints_load(struct dns_iter_hints *h, const char *file,
    const char *system, int port, const char **from, char *err);

#endif
