/* dns_resolver.h - the recursive caching resolver ("camada resolver",
 * the [resolver] section): answers clients over UDP and TCP from its cache,
 * and resolves what it lacks iteratively from the root hints (dns_iter.c,
 * dns_query.c) or through a forwarder. */
#ifndef CAMADA_DNS_RESOLVER_H
#define CAMADA_DNS_RESOLVER_H

#include "core/server.h"

extern const struct service resolver_service;
int resolver_main(int argc, char **argv);

#endif
