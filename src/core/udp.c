/* udp.c - see udp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/udp.h"

#define UDP_BATCH 256

static void
on_readable(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct udp_sock *u = io->arg;
	struct sock_addr from;

	/* Level-triggered: what is left after the batch raises a new event. */
	for (int i = 0; i < UDP_BATCH && u->active; i++) {
		struct iovec iov = { u->rbuf, u->max_dgram };
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from.ss;
		mh.msg_namelen = sizeof(from.ss);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		ssize_t r = recvmsg(u->fd, &mh, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error we do not act on */
		}
		from.len = mh.msg_namelen;
		size_t n = (size_t)r;
		if (mh.msg_flags & MSG_TRUNC)
			n = u->max_dgram + 1;
		u->cb(u, u->rbuf, n, &from, u->arg);
	}
}

int
udp_start(struct udp_sock *u, struct loop *loop, int fd, size_t max_dgram,
    udp_cb *cb, void *arg)
{
	memset(u, 0, sizeof(*u));
	u->loop = loop;
	u->fd = fd;
	u->max_dgram = max_dgram;
	u->cb = cb;
	u->arg = arg;
	u->rbuf = malloc(max_dgram + 1);
	if (u->rbuf == NULL)
		return -1;
	if (loop_io_add(loop, &u->io, fd, LOOP_READ, on_readable, u) < 0) {
		free(u->rbuf);
		u->rbuf = NULL;
		return -1;
	}
	u->active = 1;
	return 0;
}

void
udp_stop(struct udp_sock *u)
{
	if (!u->active)
		return;
	u->active = 0;
	loop_io_del(u->loop, &u->io);
	free(u->rbuf);
	u->rbuf = NULL;
}

int
udp_send(struct udp_sock *u, const void *p, size_t n, const struct sock_addr *to)
{
	for (;;) {
		ssize_t w = sendto(u->fd, p, n, MSG_DONTWAIT,
		    (const struct sockaddr *)&to->ss, to->len);
		if (w >= 0)
			return 0;
		if (errno != EINTR) {
			u->dropped++;
			return -1;
		}
	}
}
