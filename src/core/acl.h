/* acl.h - address prefixes ("127.0.0.0/8", "::1/128", "10.1.2.3") that say
 * who may use something: /metrics, zone transfers, recursion. IPv4-mapped
 * IPv6 peers of dual-stack sockets match the IPv4 prefixes. */
#ifndef CAMADA_ACL_H
#define CAMADA_ACL_H

#include "core/conf.h"
#include "core/sock.h"

#define ACL_MAX 64

struct acl_prefix {
	int family;
	uint8_t addr[16];
	int bits;
};

struct acl {
	struct acl_prefix p[ACL_MAX];
	int n;
};

/* Adds the prefixes of each value (one or more per value, separated by blanks
 * or commas). 0, or -1 with err naming the bad one. */
int acl_from_strs(struct acl *acl, const struct conf_strs *v, char *err,
    size_t errlen);
/* Whether a is inside one of the prefixes. */
int acl_match(const struct acl *acl, const struct sock_addr *a);

#endif
