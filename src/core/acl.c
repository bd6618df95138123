/* acl.c - see acl.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acl.h"

static int
parse_prefix(const char *s, struct acl_prefix *out)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	out->bits = max;
	if (slash) {
		char *end;
		long b;
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		b = strtol(slash + 1, &end, 10);
		if (*end || b < 0 || b > max)
			return -1;
		out->bits = (int)b;
	}
	return 0;
}

int
acl_from_strs(struct acl *acl, const struct conf_strs *v, char *err,
    size_t errlen)
{
	for (int i = 0; i < v->n; i++) {
		const char *s = v->v[i];
		while (*s) {
			char tok[80];
			size_t k = 0;
			while (*s == ' ' || *s == ',' || *s == '\t')
				s++;
			while (*s && *s != ' ' && *s != ',' && *s != '\t' &&
			    k + 1 < sizeof(tok))
				tok[k++] = *s++;
			tok[k] = '\0';
			if (k == 0)
				break;
			if (acl->n == ACL_MAX) {
				snprintf(err, errlen, "more than %d prefixes", ACL_MAX);
				return -1;
			}
			if (parse_prefix(tok, &acl->p[acl->n]) < 0) {
				snprintf(err, errlen,
				    "'%s': expected ADDRESS or ADDRESS/BITS", tok);
				return -1;
			}
			acl->n++;
		}
	}
	return 0;
}

static int
prefix_match(const struct acl_prefix *c, const struct sock_addr *a)
{
	const uint8_t *p;
	int family = a->ss.ss_family;

	if (family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)&a->ss)->sin_addr;
	} else if (family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		p = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			p += 12;
			family = AF_INET;
		}
	} else {
		return 0;
	}
	if (family != c->family)
		return 0;
	int bits = c->bits;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if ((p[i] & mask) != (c->addr[i] & mask))
			return 0;
	}
	return 1;
}

int
acl_match(const struct acl *acl, const struct sock_addr *a)
{
	for (int i = 0; i < acl->n; i++)
		if (prefix_match(&acl->p[i], a))
			return 1;
	return 0;
}
