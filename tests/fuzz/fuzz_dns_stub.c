/* libFuzzer target: the stub's hosts file and resolv.conf readers. Every
 * address found has the port asked, the IPv6 ones come before the IPv4
 * ones, and no more than max come back. */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_stub.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct sock_addr a[4], ns;
	/* the name every hosts file has */
	const char *name = "localhost";
	size_t nl = 9;
	int k = dns_stub_hosts_find((const char *)p, n, name, nl, 8080, a, 4);

	if (k < 0 || k > 4)
		abort();
	for (int i = 0; i < k; i++) {
		int f = a[i].ss.ss_family;
		if ((f != AF_INET && f != AF_INET6) ||
		    sock_addr_port(&a[i]) != 8080)
			abort();
		if (i > 0 && f == AF_INET6 && a[i - 1].ss.ss_family == AF_INET)
			abort();
	}
	if (dns_stub_resolv_first((const char *)p, n, &ns) == 0 &&
	    sock_addr_port(&ns) != 53)
		abort();
	return 0;
}
