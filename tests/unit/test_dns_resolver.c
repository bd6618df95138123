/* test_dns_resolver.c - where the resolver's root hints come from: the
 * root-hints file, else the system's copy, else the IANA hints built in
 * (the real Internet's root, every server asked on the port given). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/conf.h"
#include "dns/dns_resolver.h"
#include "dns/dns_text.h"
#include "test.h"

/* Whether h holds the address text (an A or AAAA of some server). */
static int
has_addr(const struct dns_iter_hints *h, const char *text)
{
	char s[SOCK_ADDR_STRLEN];

	for (int i = 0; i < h->naddr; i++) {
		sock_addr_host(&h->addr[i], s, sizeof(s));
		if (strcmp(s, text) == 0)
			return 1;
	}
	return 0;
}

TEST(dns_resolver_hints_built_in)
{
	struct dns_iter_hints h;
	char err[CONF_ERR_LEN], name[DNS_NAME_TEXT_MAX];
	const char *from = NULL;
	int on53 = 1;

	memset(&h, 0, sizeof(h));
	ok(resolver_hints_load(&h, NULL, "/nonexistent/root.hints", 53, &from,
	    err) == 0, "built-in hints parse: %s", err);
	ok(from && strcmp(from, "built-in") == 0, "from: %s", from);
	ok(h.nns == 13, "13 root servers: %d", h.nns);
	ok(h.naddr == 26, "an A and an AAAA each: %d", h.naddr);
	for (int i = 0; i < h.naddr; i++)
		on53 &= sock_addr_port(&h.addr[i]) == 53;
	ok(on53, "every server on port 53");
	ok(dns_name_to_text(h.ns[0], name, sizeof(name)) > 0 &&
	    strcasecmp(name, "a.root-servers.net.") == 0, "first: %s", name);
	ok(has_addr(&h, "198.41.0.4") && has_addr(&h, "2001:503:ba3e::2:30"),
	    "a.root-servers.net's addresses");
	ok(has_addr(&h, "170.247.170.2") && has_addr(&h, "2801:1b8:10::b"),
	    "b.root-servers.net's 2023 addresses");
	ok(has_addr(&h, "202.12.27.33") && has_addr(&h, "2001:dc3::35"),
	    "m.root-servers.net's addresses");
	ok(!has_addr(&h, "127.0.0.2"), "not the demo root");

	/* no system file at all (NULL), and an empty root-hints key */
	memset(&h, 0, sizeof(h));
	ok(resolver_hints_load(&h, "", NULL, 5300, &from, err) == 0 &&
	    strcmp(from, "built-in") == 0 && h.nns == 13 &&
	    sock_addr_port(&h.addr[0]) == 5300, "empty key, no system file");
}

TEST(dns_resolver_hints_files)
{
	static const char demo[] =
	    ".  3600000  NS  A.ROOT-SERVERS.NET.\n"
	    "A.ROOT-SERVERS.NET.  3600000  A  127.0.0.2\n";
	char path[] = "/tmp/camada-hints-XXXXXX";
	struct dns_iter_hints h;
	char err[CONF_ERR_LEN];
	const char *from = NULL;
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, demo, sizeof(demo) - 1) ==
	    (ssize_t)(sizeof(demo) - 1), "temp file");
	close(fd);

	/* the system's copy, when the key names none */
	memset(&h, 0, sizeof(h));
	ok(resolver_hints_load(&h, NULL, path, 53, &from, err) == 0 &&
	    strcmp(from, path) == 0 && h.nns == 1 && has_addr(&h, "127.0.0.2"),
	    "system file used when present: %s", err);
	/* the key's file wins over the system's */
	memset(&h, 0, sizeof(h));
	ok(resolver_hints_load(&h, path, "/nonexistent", 5300, &from, err) ==
	    0 && strcmp(from, path) == 0 && h.nns == 1 &&
	    sock_addr_port(&h.addr[0]) == 5300, "root-hints file: %s", err);
	unlink(path);

	/* a file that is named but missing is an error naming it, never a
	 * silent fall back to another root */
	ok(resolver_hints_load(&h, path, NULL, 53, &from, err) == -1 &&
	    strstr(err, path) && strstr(err, "No such file"),
	    "missing file: %s", err);

	/* a broken file: the parser's FILE:LINE message */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0 && write(fd, "garbage\n", 8) == 8, "bad file");
	close(fd);
	ok(resolver_hints_load(&h, NULL, path, 53, &from, err) == -1 &&
	    strstr(err, path), "broken system file is an error: %s", err);
	unlink(path);
}
