/* test_dns_stub.c - the stub lookup on a real loop: literals, a hosts file,
 * resolv.conf, RFC 6761 names, and a scripted resolver on loopback UDP
 * (a CNAME chain, NXDOMAIN, SERVFAIL, no answer). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "dns/dns_rr.h"
#include "dns/dns_stub.h"
#include "dns/dns_wire.h"
#include "test.h"

struct got {
	int done, n;
	char addrs[DNS_STUB_MAX][SOCK_ADDR_STRLEN];
	char err[DNS_STUB_ERR_LEN];
};

static void
on_stub(void *arg, int n, const struct sock_addr *a, const char *err)
{
	struct got *g = arg;

	g->done++;
	g->n = n;
	for (int i = 0; i < n && i < DNS_STUB_MAX; i++)
		sock_addr_str(&a[i], g->addrs[i], sizeof(g->addrs[i]));
	snprintf(g->err, sizeof(g->err), "%s", err ? err : "");
}

/* The scripted resolver: answers by the first label of the name. */
struct fake_dns {
	int fd;
	struct sock_addr addr;
	struct loop_io io;
	int queries;
	int silent;		/* answer nothing */
};

static size_t
put_rr(uint8_t *p, uint16_t owner_ptr, uint16_t type, const uint8_t *rd,
    uint16_t rdlen)
{
	p[0] = (uint8_t)(0xc0 | owner_ptr >> 8);
	p[1] = (uint8_t)owner_ptr;
	p[2] = 0;
	p[3] = (uint8_t)type;
	p[4] = 0;
	p[5] = 1;		/* IN */
	memset(p + 6, 0, 3);
	p[9] = 60;		/* TTL */
	p[10] = (uint8_t)(rdlen >> 8);
	p[11] = (uint8_t)rdlen;
	memcpy(p + 12, rd, rdlen);
	return 12u + rdlen;
}

static void
fake_io(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct fake_dns *f = io->arg;
	uint8_t q[1500], r[1500];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(f->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
	    &fl)) > 0) {
		f->queries++;
		if (f->silent || n < DNS_HDR_LEN + 5)
			continue;
		int nl = dns_name_len(q + DNS_HDR_LEN, (size_t)n - DNS_HDR_LEN);
		if (nl < 0)
			continue;
		size_t qend = DNS_HDR_LEN + (size_t)nl + 4;
		uint16_t qtype = dns_get16(q + DNS_HDR_LEN + nl);
		const uint8_t *label = q + DNS_HDR_LEN + 1;
		size_t ll = q[DNS_HDR_LEN], k = qend;
		memcpy(r, q, qend);
		r[2] = 0x81;	/* QR, RD */
		r[3] = 0x80;	/* RA */
		memset(r + 6, 0, 6);
		if (ll == 5 && memcmp(label, "alias", 5) == 0) {
			/* alias.test CNAME target.test; target.test A or
			 * AAAA */
			static const uint8_t tgt[] = "\x06target\x04test";
			static const uint8_t a4[4] = { 192, 0, 2, 7 };
			uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
			a6[15] = 7;
			size_t rd_at = k + 12;
			k += put_rr(r + k, DNS_HDR_LEN, DNS_T_CNAME, tgt,
			    sizeof(tgt));
			k += put_rr(r + k, (uint16_t)rd_at, qtype, qtype ==
			    DNS_T_A ? a4 : a6, qtype == DNS_T_A ? 4 : 16);
			r[7] = 2;
		} else if (ll == 4 && memcmp(label, "fail", 4) == 0) {
			r[3] |= 2;	/* SERVFAIL */
		} else {
			r[3] |= 3;	/* NXDOMAIN */
		}
		sendto(f->fd, r, k, 0, (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

static void
wait_got(struct loop *loop, struct got *g, uint64_t ms)
{
	uint64_t end = clock_mono_ms() + ms;

	while (!g->done && clock_mono_ms() < end)
		loop_once(loop, 5);
}

static void
lookup(struct loop *loop, const struct dns_stub_conf *sc, const char *name,
    struct got *g)
{
	memset(g, 0, sizeof(*g));
	ok(dns_stub_start(loop, sc, name, 8080, on_stub, g) != NULL,
	    "started %s", name);
	ok(!g->done, "not from inside the call");
	wait_got(loop, g, 5000);
	ok(g->done == 1, "answered once: %s", name);
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

TEST(dns_stub_local_answers)
{
	struct loop *loop = loop_new();
	struct dns_stub_conf sc;
	struct got g;
	char hosts[] = "/tmp/camada-stub-hosts-XXXXXX";
	char rconf[] = "/tmp/camada-stub-resolv-XXXXXX";
	struct sock_addr ns;
	char err[128], as[SOCK_ADDR_STRLEN];

	close(mkstemp(hosts));
	close(mkstemp(rconf));
	ok(write_file(hosts, "# comment\n127.0.0.1 localhost\n"
	    "192.0.2.1  www.example.test www  # web\n"
	    "2001:db8::1 www.example.test\n"
	    "::1 localhost ip6-localhost\n") == 0, "hosts");
	ok(write_file(rconf, "search example.test\n# nameserver 10.9.9.9\n"
	    "nameserver 127.0.0.53\nnameserver 127.0.0.54\n") == 0,
	    "resolv.conf");
	memset(&sc, 0, sizeof(sc));
	sc.hosts_file = hosts;
	sc.resolv_conf = rconf;

	lookup(loop, &sc, "192.0.2.9", &g);
	ok(g.n == 1 && strcmp(g.addrs[0], "192.0.2.9:8080") == 0,
	    "IPv4 literal: %s", g.addrs[0]);
	lookup(loop, &sc, "[::1]", &g);
	ok(g.n == 1 && strcmp(g.addrs[0], "[::1]:8080") == 0,
	    "IPv6 literal: %s", g.addrs[0]);
	lookup(loop, &sc, "WWW.example.test.", &g);
	ok(g.n == 2 && strcmp(g.addrs[0], "[2001:db8::1]:8080") == 0 &&
	    strcmp(g.addrs[1], "192.0.2.1:8080") == 0,
	    "hosts: IPv6 first, case and the final dot ignored: %d %s %s",
	    g.n, g.addrs[0], g.addrs[1]);
	lookup(loop, &sc, "www", &g);
	ok(g.n == 1 && strcmp(g.addrs[0], "192.0.2.1:8080") == 0, "alias");
	lookup(loop, &sc, "localhost", &g);
	ok(g.n == 2 && strcmp(g.addrs[0], "[::1]:8080") == 0 &&
	    strcmp(g.addrs[1], "127.0.0.1:8080") == 0, "localhost from hosts");
	sc.hosts_file = "/nonexistent/hosts";
	lookup(loop, &sc, "a.b.localhost", &g);
	ok(g.n == 2 && strcmp(g.addrs[1], "127.0.0.1:8080") == 0,
	    "under localhost, no file (RFC 6761)");
	lookup(loop, &sc, "no-such-host.invalid", &g);
	ok(g.n == 0 && strcmp(g.err, "no address") == 0,
	    ".invalid has no address: %s", g.err);
	lookup(loop, &sc, "bad..name", &g);
	ok(g.n < 0 && strstr(g.err, "bad host name") != NULL, "bad: %s",
	    g.err);

	ok(dns_stub_system_server(rconf, &ns, err, sizeof(err)) == 0 &&
	    strcmp(sock_addr_str(&ns, as, sizeof(as)), "127.0.0.53:53") == 0,
	    "the first nameserver: %s", as);
	ok(dns_stub_system_server("/nonexistent", &ns, err, sizeof(err)) < 0,
	    "no file");

	/* cancelled before the loop ran: nothing comes */
	memset(&g, 0, sizeof(g));
	dns_stub_cancel(dns_stub_start(loop, &sc, "192.0.2.9", 1, on_stub,
	    &g));
	for (int i = 0; i < 5; i++)
		loop_once(loop, 1);
	ok(!g.done, "cancelled");
	unlink(hosts);
	unlink(rconf);
	loop_free(loop);
}

TEST(dns_stub_resolver)
{
	struct loop *loop = loop_new();
	struct dns_stub_conf sc;
	struct fake_dns f;
	struct got g;
	char err[SOCK_ERR_LEN];

	memset(&f, 0, sizeof(f));
	ok(sock_parse_addr("127.0.0.1:0", &f.addr, err) == 0, "addr");
	f.fd = sock_bind_udp(&f.addr, 0, err);
	ok(f.fd >= 0, "udp");
	sock_local_addr(f.fd, &f.addr);
	loop_io_add(loop, &f.io, f.fd, LOOP_READ, fake_io, &f);
	memset(&sc, 0, sizeof(sc));
	sc.server = f.addr;
	sc.hosts_file = "/nonexistent/hosts";
	sc.timeout_ms = 200;
	sc.tries = 2;

	lookup(loop, &sc, "alias.test", &g);
	ok(g.n == 2 && strcmp(g.addrs[0], "192.0.2.7:8080") == 0 &&
	    strcmp(g.addrs[1], "[2001:db8::7]:8080") == 0,
	    "through the CNAME, IPv4 first: %d %s %s (%s)", g.n, g.addrs[0],
	    g.addrs[1], g.err);
	ok(f.queries == 2, "A and AAAA: %d", f.queries);
	lookup(loop, &sc, "nothing.test", &g);
	ok(g.n == 0 && strcmp(g.err, "no address") == 0, "NXDOMAIN");
	lookup(loop, &sc, "fail.test", &g);
	ok(g.n < 0 && strstr(g.err, "SERVFAIL") != NULL, "SERVFAIL: %s",
	    g.err);
	f.silent = 1;
	f.queries = 0;
	uint64_t t0 = clock_mono_ms();
	lookup(loop, &sc, "alias.test", &g);
	ok(g.n < 0 && strcmp(g.err, "no answer from the resolver") == 0,
	    "silent: %s", g.err);
	ok(f.queries == 4 && clock_mono_ms() - t0 >= 350,
	    "two tries each of 200 ms: %d", f.queries);
	/* cancelled while the queries wait */
	memset(&g, 0, sizeof(g));
	struct dns_stub *s = dns_stub_start(loop, &sc, "alias.test", 1,
	    on_stub, &g);
	loop_once(loop, 10);
	dns_stub_cancel(s);
	uint64_t end = clock_mono_ms() + 500;
	while (clock_mono_ms() < end)
		loop_once(loop, 10);
	ok(!g.done, "cancelled");
	loop_io_del(loop, &f.io);
	close(f.fd);
	loop_free(loop);
}
