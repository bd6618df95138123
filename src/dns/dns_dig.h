/* dns_dig.h - "camada dig": a DNS lookup client that prints like dig. */
#ifndef CAMADA_DNS_DIG_H
#define CAMADA_DNS_DIG_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns_wire.h"

int dig_main(int argc, char **argv);

/* The reverse name of an IPv4 or IPv6 address in text ("4.3.2.1.in-addr.arpa."
 * or the ip6.arpa nibbles), as a wire name in out. Returns its length or -1. */
int dns_dig_reverse_name(const char *addr, uint8_t out[DNS_NAME_MAX]);

#endif
