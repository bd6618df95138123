/* ref_echo.c - the reference for bench/echo.sh: one thread, epoll (level-
 * triggered), every complete '\n'-terminated line comes back upper-cased.
 * No config, no logging, no limits beyond a 4 KiB line. Usage: ref_echo PORT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

/* buf[0, ready) is complete upper-cased lines, [sent, ready) still unsent. */
struct conn {
	size_t len, ready, sent;
	char buf[4096];
};
static struct conn *conns[MAXFD];

static void
watch(int ep, int op, int fd, unsigned ev)
{
	struct epoll_event e = { .events = ev, .data.fd = fd };

	epoll_ctl(ep, op, fd, &e);
}

static void
drop(int fd)
{
	close(fd); /* also leaves the epoll set */
	free(conns[fd]);
	conns[fd] = NULL;
}

/* 1 = all ready bytes sent, 0 = socket full, -1 = error. */
static int
flush(struct conn *c, int fd)
{
	while (c->sent < c->ready) {
		ssize_t n = send(fd, c->buf + c->sent, c->ready - c->sent, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += (size_t)n;
	}
	memmove(c->buf, c->buf + c->ready, c->len - c->ready);
	c->len -= c->ready;
	c->ready = c->sent = 0;
	return 1;
}

static void
serve(int ep, int fd)
{
	struct conn *c = conns[fd];
	int r;

	if (c->sent < c->ready) { /* EPOLLOUT: finish the reply, then read again */
		if ((r = flush(c, fd)) < 0)
			drop(fd);
		else if (r > 0)
			watch(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
		return;
	}
	ssize_t n = recv(fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			drop(fd);
		return;
	}
	for (size_t i = c->len; i < c->len + (size_t)n; i++) {
		if (c->buf[i] >= 'a' && c->buf[i] <= 'z')
			c->buf[i] = (char)(c->buf[i] - 'a' + 'A');
		else if (c->buf[i] == '\n')
			c->ready = i + 1;
	}
	c->len += (size_t)n;
	if (c->ready == 0) {
		if (c->len == sizeof(c->buf)) /* a line longer than the buffer */
			drop(fd);
		return;
	}
	if ((r = flush(c, fd)) < 0)
		drop(fd);
	else if (r == 0) /* backpressure: stop reading until the reply is out */
		watch(ep, EPOLL_CTL_MOD, fd, EPOLLOUT);
}

int
main(int argc, char **argv)
{
	char *end;
	long port = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev[256];
	int one = 1, lfd, ep;

	if (port < 0 || port > 65535 || *end != '\0') {
		fprintf(stderr, "usage: ref_echo PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, SOMAXCONN) < 0 || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("ref_echo");
		return 1;
	}
	watch(ep, EPOLL_CTL_ADD, lfd, EPOLLIN);
	fprintf(stderr, "ref_echo: listening on 127.0.0.1:%ld (tcp)\n", port);
	for (;;) {
		int n = epoll_wait(ep, ev, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd != lfd) {
				if (conns[fd] != NULL)
					serve(ep, fd);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if (fd >= MAXFD || (conns[fd] = calloc(1, sizeof(struct conn))) == NULL) {
					close(fd);
					continue;
				}
				watch(ep, EPOLL_CTL_ADD, fd, EPOLLIN);
			}
		}
	}
}
