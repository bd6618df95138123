/* sock.c - see sock.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sock.h"

static void __attribute__((format(printf, 2, 3)))
seterr(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, SOCK_ERR_LEN, fmt, ap);
	va_end(ap);
}

static int
parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	for (const char *q = s; *q; q++)
		if (*q < '0' || *q > '9')
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int
parse_host_part(const char *host, int port, struct sock_addr *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (host[0] == '\0') {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)port);
		a->len = sizeof(*sin);
		return 0;
	}
	if (strcmp(host, "*") == 0) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		a->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
sock_parse_host(const char *s, int default_port, struct sock_addr *a,
    char *err)
{
	char host[128];
	const char *colon, *portstr = NULL;
	size_t hl;
	int port = default_port;

	if (s == NULL || strlen(s) >= sizeof(host)) {
		seterr(err, "bad address '%s'", s ? s : "");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			seterr(err, "bad address '%s'", s);
			return -1;
		}
		hl = (size_t)(close - s - 1);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (close[1] == ':')
			portstr = close + 2;
		struct sockaddr_in6 probe;
		if (inet_pton(AF_INET6, host, &probe.sin6_addr) != 1) {
			seterr(err, "bad IPv6 address in '%s'", s);
			return -1;
		}
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon) {
			/* a bare IPv6 address: no port possible */
			colon = NULL;
		}
		if (colon) {
			hl = (size_t)(colon - s);
			portstr = colon + 1;
		} else if (default_port < 0) {
			/* a lone number is a port on every IPv4 address */
			if (parse_port(s, &port) == 0)
				return parse_host_part("", port, a);
			hl = strlen(s);
		} else {
			hl = strlen(s);
		}
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (portstr) {
		if (parse_port(portstr, &port) < 0) {
			seterr(err, "bad port in '%s'", s);
			return -1;
		}
	} else if (port < 0) {
		seterr(err, "missing port in '%s'", s);
		return -1;
	}
	if (parse_host_part(host, port, a) < 0) {
		seterr(err, "bad address '%s' (an IPv4 or [IPv6] address)", s);
		return -1;
	}
	return 0;
}

int
sock_parse_addr(const char *s, struct sock_addr *a, char *err)
{
	return sock_parse_host(s, -1, a, err);
}

const char *
sock_addr_host(const struct sock_addr *a, char *out, size_t n)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

	if (a->ss.ss_family == AF_INET6) {
		/* IPv4-mapped peers of a dual-stack socket read as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			if (inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], out,
			    (socklen_t)n) == NULL)
				snprintf(out, n, "?");
		} else if (inet_ntop(AF_INET6, &sin6->sin6_addr, out,
		    (socklen_t)n) == NULL) {
			snprintf(out, n, "?");
		}
	} else if (a->ss.ss_family == AF_INET) {
		if (inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)n) == NULL)
			snprintf(out, n, "?");
	} else {
		snprintf(out, n, "?");
	}
	return out;
}

const char *
sock_addr_str(const struct sock_addr *a, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

	sock_addr_host(a, host, sizeof(host));
	if (a->ss.ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		snprintf(out, n, "[%s]:%d", host, sock_addr_port(a));
	else
		snprintf(out, n, "%s:%d", host, sock_addr_port(a));
	return out;
}

int
sock_addr_port(const struct sock_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return 0;
}

void
sock_addr_set_port(struct sock_addr *a, int port)
{
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
	else if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
}

int
sock_addr_is_loopback(const struct sock_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)&a->ss;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return sin6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

int
sock_addr_equal(const struct sock_addr *x, const struct sock_addr *y)
{
	if (x->ss.ss_family != y->ss.ss_family)
		return 0;
	if (x->ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&x->ss;
		const struct sockaddr_in *b = (const struct sockaddr_in *)&y->ss;
		return a->sin_port == b->sin_port &&
		    a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (x->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&x->ss;
		const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&y->ss;
		return a->sin6_port == b->sin6_port &&
		    memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
	}
	return 0;
}

int
sock_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
socket_for(const struct sock_addr *a, int type, int flags, char *err,
    const char *what)
{
	char as[SOCK_ADDR_STRLEN];
	int one = 1, fd;

	fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		seterr(err, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((flags & SOCK_REUSEPORT) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		seterr(err, "SO_REUSEPORT: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (a->ss.ss_family == AF_INET6) {
		int v6only = (flags & SOCK_V6ONLY) ? 1 : 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		int e = errno;
		sock_addr_str(a, as, sizeof(as));
		if (err)
			snprintf(err, SOCK_ERR_LEN, "%s bind %s: %s", what, as,
			    strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

int
sock_listen_tcp(const struct sock_addr *a, int backlog, int flags, char *err)
{
	int fd = socket_for(a, SOCK_STREAM, flags, err, "tcp");

	if (fd < 0)
		return -1;
	if (listen(fd, backlog > 0 ? backlog : 511) < 0) {
		seterr(err, "listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
sock_bind_udp(const struct sock_addr *a, int flags, char *err)
{
	return socket_for(a, SOCK_DGRAM, flags, err, "udp");
}

int
sock_local_addr(int fd, struct sock_addr *a)
{
	a->len = sizeof(a->ss);
	return getsockname(fd, (struct sockaddr *)&a->ss, &a->len);
}

int
sock_accept(int lfd, struct sock_addr *peer)
{
	int fd;

	peer->len = sizeof(peer->ss);
	fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	return fd;
}

int
sock_connect_tcp(const struct sock_addr *a, char *err)
{
	char as[SOCK_ADDR_STRLEN];
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	if (fd < 0) {
		seterr(err, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;
		sock_addr_str(a, as, sizeof(as));
		if (err)
			snprintf(err, SOCK_ERR_LEN, "connect %s: %s", as,
			    strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
sock_connect_result(int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return errno;
	return e;
}
