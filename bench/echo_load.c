/* echo_load.c - closed-loop load for a line echo server. CONNS connections,
 * each sends one 23-byte line, waits for the whole reply, checks that it is
 * exactly the line upper-cased, then sends the next, for SECONDS seconds.
 * Prints one line of key=value results; exits 1 if any reply was wrong or a
 * connection failed, 2 on usage errors. Connecting is not part of the time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_LEN 23 /* "hello world 0123456789\n" */
#define MAX_CONNS 60000
#define MAX_REPORTS 5 /* wrong replies printed to stderr */

struct client {
	int fd;
	size_t wrote, got;
	char req[LINE_LEN + 1]; /* + the NUL snprintf writes */
	char want[LINE_LEN];
	char reply[LINE_LEN + 1]; /* one spare byte catches an overlong reply */
};

static unsigned long long seq, done, errors;
static int ep, active;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
fail(struct client *c, const char *why)
{
	int shown = (int)c->got - (c->got > 0 && c->reply[c->got - 1] == '\n');

	if (++errors <= MAX_REPORTS)
		fprintf(stderr, "echo_load: fd %d: %s (sent \"%.*s\\n\", got %zu bytes \"%.*s\")\n",
		    c->fd, why, LINE_LEN - 1, c->req, c->got, shown, c->reply);
	close(c->fd);
	c->fd = -1;
	active--;
}

/* Writes what is left of the request; watches EPOLLOUT only while it must. */
static int
client_send(struct client *c)
{
	while (c->wrote < LINE_LEN) {
		ssize_t n = send(c->fd, c->req + c->wrote, LINE_LEN - c->wrote, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN)
				return -1;
			struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
			return 0;
		}
		c->wrote += (size_t)n;
	}
	return 0;
}

static int
client_next(struct client *c)
{
	snprintf(c->req, sizeof(c->req), "hello world %010llu\n", seq++ % 10000000000ull);
	for (size_t i = 0; i < LINE_LEN; i++)
		c->want[i] = c->req[i] >= 'a' && c->req[i] <= 'z' ? (char)(c->req[i] - 'a' + 'A') : c->req[i];
	c->wrote = c->got = 0;
	return client_send(c);
}

static void
client_event(struct client *c, unsigned events)
{
	if (events & EPOLLOUT) {
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
		if (client_send(c) < 0) {
			fail(c, strerror(errno));
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	ssize_t n = recv(c->fd, c->reply + c->got, sizeof(c->reply) - c->got, 0);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		fail(c, n == 0 ? "server closed the connection" : strerror(errno));
		return;
	}
	c->got += (size_t)n;
	const char *nl = memchr(c->reply, '\n', c->got);
	if (nl == NULL) {
		if (c->got >= LINE_LEN)
			fail(c, "reply longer than the request");
		return;
	}
	if (c->got != LINE_LEN || memcmp(c->reply, c->want, LINE_LEN) != 0) {
		fail(c, "wrong reply");
		return;
	}
	done++;
	if (client_next(c) < 0)
		fail(c, strerror(errno));
}

static int
usage(void)
{
	fprintf(stderr, "usage: echo_load [-c CONNS] [-d SECONDS] HOST PORT\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	struct epoll_event ev[512];
	long conns = 50;
	double secs = 5;
	char *end;
	int opt, one = 1, rc;

	while ((opt = getopt(argc, argv, "c:d:")) != -1) {
		if (opt == 'c')
			conns = strtol(optarg, &end, 10);
		else if (opt == 'd')
			secs = strtod(optarg, &end);
		else
			return usage();
		if (*end != '\0' || conns < 1 || conns > MAX_CONNS || !(secs > 0))
			return usage();
	}
	if (argc - optind != 2)
		return usage();
	if ((rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &res)) != 0) {
		fprintf(stderr, "echo_load: %s:%s: %s\n", argv[optind], argv[optind + 1], gai_strerror(rc));
		return 1;
	}
	struct client *cl = calloc((size_t)conns, sizeof(*cl));
	if (cl == NULL || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("echo_load");
		return 1;
	}
	for (long i = 0; i < conns; i++) {
		int fd = -1;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			fprintf(stderr, "echo_load: connect %s:%s (connection %ld): %s\n",
			    argv[optind], argv[optind + 1], i + 1, strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		cl[i].fd = fd;
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = &cl[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	}
	freeaddrinfo(res);

	double t0 = now_s(), c0 = cpu_s(), deadline = t0 + secs, t;
	active = (int)conns;
	for (long i = 0; i < conns; i++)
		if (client_next(&cl[i]) < 0)
			fail(&cl[i], strerror(errno));
	while (active > 0 && (t = now_s()) < deadline) {
		int n = epoll_wait(ep, ev, 512, (int)((deadline - t) * 1000) + 1);
		if (n < 0 && errno != EINTR) {
			perror("echo_load: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct client *c = ev[i].data.ptr;
			if (c->fd >= 0)
				client_event(c, ev[i].events);
		}
	}
	double el = now_s() - t0, cpu = cpu_s() - c0;
	printf("round_trips=%llu seconds=%.3f rt_per_s=%.0f conns=%ld errors=%llu cli_cpu_pct=%.0f\n",
	    done, el, (double)done / el, conns, errors, 100 * cpu / el);
	free(cl);
	return errors > 0 || done == 0 ? 1 : 0;
}
