/* dns_server.h - the authoritative DNS server on the core: UDP and TCP
 * (2-byte framing, several queries per connection, AXFR streamed), zones
 * from dns_db, answers from dns_auth, SIGHUP reloads every zone. */
#ifndef CAMADA_DNS_SERVER_H
#define CAMADA_DNS_SERVER_H

#include "core/server.h"

extern const struct service dns_service;

/* "camada dns [-l ADDR:PORT] -z ZONEFILE..." */
int dns_server_main(int argc, char **argv);

#endif
