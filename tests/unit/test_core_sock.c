/* test_core_sock.c - address parsing, listeners, SO_REUSEPORT, UDP and
 * non-blocking connect, on loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/sock.h"
#include "core/udp.h"
#include "test.h"

static int
parses_to(const char *in, const char *want_str, int family)
{
	struct sock_addr a;
	char err[SOCK_ERR_LEN], s[SOCK_ADDR_STRLEN];

	err[0] = '\0';
	if (sock_parse_addr(in, &a, err) != 0)
		return 0;
	sock_addr_str(&a, s, sizeof(s));
	return strcmp(s, want_str) == 0 && a.ss.ss_family == family &&
	    a.len == (family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6));
}

TEST(core_sock_parse_good)
{
	ok(parses_to("1.2.3.4:80", "1.2.3.4:80", AF_INET), "1.2.3.4:80");
	ok(parses_to("[::1]:0", "[::1]:0", AF_INET6), "[::1]:0");
	ok(parses_to("[::1]:65535", "[::1]:65535", AF_INET6), "[::1]:65535");
	ok(parses_to(":80", "0.0.0.0:80", AF_INET), ":80 is IPv4 any");
	ok(parses_to("80", "0.0.0.0:80", AF_INET), "80 is IPv4 any");
	ok(parses_to("*:53", "[::]:53", AF_INET6), "*:53 is IPv6 any");
	ok(parses_to("127.0.0.1:0", "127.0.0.1:0", AF_INET), "port 0");
	ok(parses_to("[2001:db8::a]:8080", "[2001:db8::a]:8080", AF_INET6),
	    "a longer IPv6 address");

	struct sock_addr a;
	ok(sock_parse_addr("1.2.3.4:80", &a, NULL) == 0, "err may be NULL");
	ok(sock_addr_port(&a) == 80, "port 80");
	sock_addr_set_port(&a, 8080);
	ok(sock_addr_port(&a) == 8080, "set port");
	char h[64];
	ok(strcmp(sock_addr_host(&a, h, sizeof(h)), "1.2.3.4") == 0, "host part");
	ok(!sock_addr_is_loopback(&a), "not loopback");
	ok(sock_parse_addr("127.9.9.9:1", &a, NULL) == 0 &&
	    sock_addr_is_loopback(&a), "127/8 is loopback");
	ok(sock_parse_addr("[::1]:1", &a, NULL) == 0 &&
	    sock_addr_is_loopback(&a), "::1 is loopback");

	struct sock_addr x, y;
	sock_parse_addr("10.0.0.1:5", &x, NULL);
	sock_parse_addr("10.0.0.1:5", &y, NULL);
	ok(sock_addr_equal(&x, &y), "equal");
	sock_addr_set_port(&y, 6);
	ok(!sock_addr_equal(&x, &y), "different port");
	sock_parse_addr("[::1]:5", &y, NULL);
	ok(!sock_addr_equal(&x, &y), "different family");

	/* sock_parse_host: the port may be absent */
	ok(sock_parse_host("192.0.2.1", 53, &a, NULL) == 0 &&
	    sock_addr_port(&a) == 53, "host with default port");
	ok(sock_parse_host("[::1]", 53, &a, NULL) == 0 &&
	    sock_addr_port(&a) == 53, "[::1] with default port");
	ok(sock_parse_host("::1", 53, &a, NULL) == 0 &&
	    a.ss.ss_family == AF_INET6, "bare ::1 with default port");
	ok(sock_parse_host("192.0.2.1:5353", 53, &a, NULL) == 0 &&
	    sock_addr_port(&a) == 5353, "explicit port wins");
}

static int
fails_with(const char *in, const char *needle)
{
	struct sock_addr a;
	char err[SOCK_ERR_LEN];

	err[0] = '\0';
	if (sock_parse_addr(in, &a, err) != -1)
		return 0;
	if (strstr(err, needle) == NULL) {
		fprintf(stderr, "  '%s': %s\n", in, err);
		return 0;
	}
	return 1;
}

TEST(core_sock_parse_bad)
{
	ok(fails_with("1.2.3.4", "missing port"), "1.2.3.4: no port");
	ok(fails_with("1.2.3.4:99999", "bad port"), "port too big");
	ok(fails_with("1.2.3.4:65536", "bad port"), "port 65536");
	ok(fails_with("1.2.3.4:", "bad port"), "empty port");
	ok(fails_with("1.2.3.4:-1", "bad port"), "negative port");
	ok(fails_with("1.2.3.4: 80", "bad port"), "blank in port");
	ok(fails_with("1.2.3.4:80x", "bad port"), "junk after port");
	ok(fails_with("[::1", "bad address"), "unclosed [");
	ok(fails_with("[::1]x", "bad address"), "junk after ]");
	ok(fails_with("[::1]", "missing port"), "[::1] without port");
	ok(fails_with("[1.2.3.4]:80", "bad IPv6"), "IPv4 in brackets");
	ok(fails_with("[]:80", "bad IPv6"), "empty brackets");
	ok(fails_with("host:80", "bad address"), "names are not looked up");
	ok(fails_with("localhost:80", "bad address"), "not even localhost");
	ok(fails_with("1.2.3:80", "bad address"), "short IPv4");
	ok(fails_with("1.2.3.4.5:80", "bad address"), "long IPv4");
	ok(fails_with("::1", "missing port"), "bare IPv6 has no port");
	ok(fails_with("", "missing port"), "empty");
	ok(fails_with("99999", "missing port"), "a lone number over 65535");
	char longs[300];
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	ok(fails_with(longs, "bad address"), "very long");
	ok(sock_parse_addr(NULL, &(struct sock_addr){ 0 }, NULL) == -1, "NULL");
}

static int
listen_lo(struct sock_addr *bound, int flags)
{
	struct sock_addr a;
	char err[SOCK_ERR_LEN];
	int fd;

	sock_parse_addr("127.0.0.1:0", &a, NULL);
	fd = sock_listen_tcp(&a, 16, flags, err);
	if (fd >= 0 && bound)
		sock_local_addr(fd, bound);
	return fd;
}

TEST(core_sock_listen_port0)
{
	struct sock_addr b;
	int fd = listen_lo(&b, 0);

	ok(fd >= 0, "listen on 127.0.0.1:0");
	ok(b.ss.ss_family == AF_INET, "IPv4");
	ok(sock_addr_port(&b) > 0, "kernel chose port %d", sock_addr_port(&b));
	ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "non-blocking");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
	struct sock_addr peer;
	ok(sock_accept(fd, &peer) == -1 && errno == EAGAIN,
	    "accept with nobody waiting: EAGAIN");

	/* the same port again without SO_REUSEPORT: in use */
	char err[SOCK_ERR_LEN];
	err[0] = '\0';
	ok(sock_listen_tcp(&b, 16, 0, err) == -1, "second listener refused");
	ok(strstr(err, "bind 127.0.0.1:") && strstr(err, "in use"),
	    "error names the address: %s", err);
	close(fd);
}

TEST(core_sock_reuseport)
{
	struct sock_addr b;
	char err[SOCK_ERR_LEN];
	int fd1 = listen_lo(&b, SOCK_REUSEPORT);

	ok(fd1 >= 0, "first listener with SO_REUSEPORT");
	int fd2 = sock_listen_tcp(&b, 16, SOCK_REUSEPORT, err);
	ok(fd2 >= 0, "second listener on port %d: %s", sock_addr_port(&b),
	    fd2 < 0 ? err : "ok");
	struct sock_addr b2;
	sock_local_addr(fd2, &b2);
	ok(sock_addr_equal(&b, &b2), "same address and port");
	close(fd1);
	if (fd2 >= 0)
		close(fd2);

	/* UDP too */
	struct sock_addr ua;
	sock_parse_addr("127.0.0.1:0", &ua, NULL);
	int u1 = sock_bind_udp(&ua, SOCK_REUSEPORT, err);
	sock_local_addr(u1, &ua);
	int u2 = sock_bind_udp(&ua, SOCK_REUSEPORT, err);
	ok(u1 >= 0 && u2 >= 0, "two UDP sockets on one port");
	close(u1);
	if (u2 >= 0)
		close(u2);
}

static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

TEST(core_sock_connect_accept)
{
	struct sock_addr b, peer, local;
	char err[SOCK_ERR_LEN];
	int lfd = listen_lo(&b, 0);

	int cfd = sock_connect_tcp(&b, err);
	ok(cfd >= 0, "non-blocking connect started");
	ok(fcntl(cfd, F_GETFL) & O_NONBLOCK, "client non-blocking");
	ok(wait_fd(cfd, POLLOUT, 2000) & POLLOUT, "connect completes");
	ok(sock_connect_result(cfd) == 0, "no connect error");
	ok(wait_fd(lfd, POLLIN, 2000) & POLLIN, "listener readable");
	int sfd = sock_accept(lfd, &peer);
	ok(sfd >= 0, "accepted");
	ok(fcntl(sfd, F_GETFL) & O_NONBLOCK, "accepted fd non-blocking");
	sock_local_addr(cfd, &local);
	ok(sock_addr_equal(&peer, &local), "peer address is the client's");
	ok(sock_addr_is_loopback(&peer), "loopback peer");
	ok(write(cfd, "hi", 2) == 2, "client writes");
	char buf[8];
	ok(wait_fd(sfd, POLLIN, 2000) && read(sfd, buf, sizeof(buf)) == 2 &&
	    memcmp(buf, "hi", 2) == 0, "server reads");
	close(sfd);
	close(cfd);

	/* a port nobody listens on */
	close(lfd);
	cfd = sock_connect_tcp(&b, err);
	if (cfd >= 0) {
		wait_fd(cfd, POLLOUT, 2000);
		ok(sock_connect_result(cfd) == ECONNREFUSED,
		    "closed port: ECONNREFUSED");
		close(cfd);
	} else {
		ok(strstr(err, "connect 127.0.0.1:") != NULL,
		    "closed port fails at once: %s", err);
	}
}

struct udp_rec {
	int n;
	size_t len;
	char data[64];
	struct sock_addr from;
};

static void
on_dgram(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	struct udp_rec *r = arg;

	r->n++;
	r->len = n;
	memcpy(r->data, p, n < sizeof(r->data) ? n : sizeof(r->data));
	r->from = *from;
	if (n <= u->max_dgram)
		udp_send(u, p, n, from); /* echo */
}

TEST(core_sock_udp)
{
	struct sock_addr a, ca;
	char err[SOCK_ERR_LEN];
	struct udp_rec r;
	struct udp_sock u;
	struct loop *loop = loop_new();

	memset(&r, 0, sizeof(r));
	sock_parse_addr("127.0.0.1:0", &a, NULL);
	int sfd = sock_bind_udp(&a, 0, err);
	ok(sfd >= 0, "UDP bind");
	sock_local_addr(sfd, &a);
	ok(sock_addr_port(&a) > 0, "UDP port %d", sock_addr_port(&a));
	ok(fcntl(sfd, F_GETFL) & O_NONBLOCK, "non-blocking");

	sock_parse_addr("127.0.0.1:0", &ca, NULL);
	int cfd = sock_bind_udp(&ca, 0, err);
	sock_local_addr(cfd, &ca);
	ok(udp_start(&u, loop, sfd, 16, on_dgram, &r) == 0, "udp_start");
	ok(sendto(cfd, "ping", 4, 0, (struct sockaddr *)&a.ss, a.len) == 4,
	    "send");
	for (int i = 0; i < 40 && r.n == 0; i++)
		loop_once(loop, 50);
	ok(r.n == 1 && r.len == 4 && memcmp(r.data, "ping", 4) == 0,
	    "datagram delivered");
	ok(sock_addr_equal(&r.from, &ca), "sender address");
	char back[32];
	ok(wait_fd(cfd, POLLIN, 2000) && recv(cfd, back, sizeof(back), 0) == 4 &&
	    memcmp(back, "ping", 4) == 0, "udp_send reply arrives");

	/* longer than max_dgram: flagged with n == max + 1 */
	ok(sendto(cfd, "0123456789abcdefXYZ", 19, 0, (struct sockaddr *)&a.ss,
	    a.len) == 19, "send long");
	for (int i = 0; i < 40 && r.n == 1; i++)
		loop_once(loop, 50);
	ok(r.n == 2 && r.len == 17, "truncated datagram flagged (%zu)", r.len);
	udp_stop(&u);
	close(sfd);
	close(cfd);
	loop_free(loop);
}
