/* echo_client.c - "camada echo [--udp] HOST PORT": each line of standard
 * input goes to the server; each reply goes to standard output. Over UDP a
 * lost datagram is sent again (three tries, one second apart). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sock.h"
#include "echo/echo.h"

#define ECHO_TIMEOUT_MS 10000
#define ECHO_UDP_TRIES 3
#define ECHO_UDP_WAIT_MS 1000
#define ECHO_MAX_LINE 65536

static void
client_usage(FILE *f)
{
	fprintf(f, "usage: camada echo [--udp] [--timeout SECONDS] HOST PORT\n"
	    "Sends each line of standard input to the echo server at HOST PORT\n"
	    "and prints each reply (the line in upper case).\n");
}

static int
resolve(const char *host, const char *port, int socktype, struct sock_addr *out)
{
	struct addrinfo hints, *res;
	int rc;

	if (sock_parse_host(host, 0, out, NULL) == 0) {
		int p = atoi(port);
		sock_addr_set_port(out, p);
		return p > 0 && p < 65536 ? 0 : -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = socktype;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "camada echo: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { fd, ev, 0 };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait_fd(fd, POLLOUT, ECHO_TIMEOUT_MS) > 0)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one reply line into rbuf (kept across calls: bytes after the LF
 * belong to the next reply). Returns its length with the LF, 0 when the
 * server closed, -1 on error or timeout. */
static ssize_t
read_reply(int fd, char *rbuf, size_t *have, int timeout_ms, char *out,
    size_t outsz)
{
	for (;;) {
		char *lf = memchr(rbuf, '\n', *have);
		if (lf) {
			size_t n = (size_t)(lf - rbuf) + 1;
			memcpy(out, rbuf, n < outsz ? n : outsz);
			memmove(rbuf, rbuf + n, *have - n);
			*have -= n;
			return (ssize_t)n;
		}
		if (*have == ECHO_MAX_LINE) {
			memcpy(out, rbuf, *have < outsz ? *have : outsz);
			size_t n = *have;
			*have = 0;
			return (ssize_t)n;
		}
		int r = wait_fd(fd, POLLIN, timeout_ms);
		if (r <= 0)
			return -1;
		ssize_t got = recv(fd, rbuf + *have, ECHO_MAX_LINE - *have, 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -1;
		if (got == 0) {
			/* the server closed: whatever is left is the last reply */
			size_t n = *have;
			memcpy(out, rbuf, n < outsz ? n : outsz);
			*have = 0;
			return (ssize_t)n;
		}
		*have += (size_t)got;
	}
}

static int
run_tcp(const struct sock_addr *to, const char *name, int timeout_ms)
{
	char err[SOCK_ERR_LEN];
	char *line = NULL, *rbuf, *reply;
	size_t cap = 0, have = 0;
	ssize_t n;
	int fd, code = 0;

	fd = sock_connect_tcp(to, err);
	if (fd < 0) {
		fprintf(stderr, "camada echo: %s\n", err);
		return 1;
	}
	if (wait_fd(fd, POLLOUT, timeout_ms) <= 0 || sock_connect_result(fd)) {
		int e = sock_connect_result(fd);
		fprintf(stderr, "camada echo: connect %s: %s\n", name,
		    e ? strerror(e) : "timed out");
		close(fd);
		return 1;
	}
	rbuf = malloc(ECHO_MAX_LINE);
	reply = malloc(ECHO_MAX_LINE);
	if (rbuf == NULL || reply == NULL) {
		free(rbuf);
		free(reply);
		close(fd);
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] != '\n') {
			/* the last line had no newline: send one all the same */
			char *nl = realloc(line, (size_t)n + 2);
			if (nl == NULL)
				break;
			line = nl;
			line[n++] = '\n';
			line[n] = '\0';
		}
		if (send_all(fd, line, (size_t)n) < 0) {
			fprintf(stderr, "camada echo: send: %s\n", strerror(errno));
			code = 1;
			break;
		}
		ssize_t r = read_reply(fd, rbuf, &have, timeout_ms, reply,
		    ECHO_MAX_LINE);
		if (r < 0) {
			fprintf(stderr, "camada echo: no reply from %s\n", name);
			code = 1;
			break;
		}
		if (r == 0)
			break; /* the server closed (after "bye") */
		fwrite(reply, 1, (size_t)r, stdout);
		fflush(stdout);
	}
	free(line);
	free(rbuf);
	free(reply);
	close(fd);
	return code;
}

static int
run_udp(const struct sock_addr *to, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint8_t *reply = malloc(ECHO_MAX_LINE);
	int fd, code = 0;

	fd = socket(to->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || reply == NULL) {
		fprintf(stderr, "camada echo: socket: %s\n", strerror(errno));
		free(reply);
		return 1;
	}
	/* connect() makes the kernel drop datagrams from anyone else */
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len) < 0) {
		fprintf(stderr, "camada echo: %s: %s\n", name, strerror(errno));
		close(fd);
		free(reply);
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		int tries = 0;
		ssize_t r = -1;
		while (tries++ < ECHO_UDP_TRIES) {
			if (send(fd, line, (size_t)n, 0) < 0 && errno != ECONNREFUSED)
				break;
			if (wait_fd(fd, POLLIN, ECHO_UDP_WAIT_MS) > 0) {
				r = recv(fd, reply, ECHO_MAX_LINE, 0);
				if (r >= 0 || errno != ECONNREFUSED)
					break;
			}
		}
		if (r < 0) {
			fprintf(stderr, "camada echo: no reply from %s\n", name);
			code = 1;
			break;
		}
		fwrite(reply, 1, (size_t)r, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(line);
	free(reply);
	close(fd);
	return code;
}

int
echo_client_main(int argc, char **argv)
{
	const char *host = NULL, *port = NULL;
	struct sock_addr to;
	char name[300];
	int udp = 0, timeout_ms = ECHO_TIMEOUT_MS;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--udp") == 0 || strcmp(argv[i], "-u") == 0) {
			udp = 1;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			client_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout_ms = atoi(argv[++i]) * 1000;
			if (timeout_ms <= 0) {
				client_usage(stderr);
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "camada echo: unknown flag '%s'\n", argv[i]);
			client_usage(stderr);
			return 2;
		} else if (host == NULL) {
			host = argv[i];
		} else if (port == NULL) {
			port = argv[i];
		} else {
			client_usage(stderr);
			return 2;
		}
	}
	if (host == NULL)
		host = "127.0.0.1";
	if (port == NULL)
		port = "12000";
	if (resolve(host, port, udp ? SOCK_DGRAM : SOCK_STREAM, &to) < 0) {
		fprintf(stderr, "camada echo: cannot resolve %s port %s\n", host,
		    port);
		return 1;
	}
	snprintf(name, sizeof(name), "%s port %s", host, port);
	return udp ? run_udp(&to, name) : run_tcp(&to, name, timeout_ms);
}
