/* udp.c - see udp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/udp.h"

/* Receive memory per socket stays near this, whatever max_dgram is. */
#define UDP_RECV_SPACE (256 * 1024)
#define UDP_ROUNDS 8

static int
send_now(struct udp_sock *u, const void *p, size_t n, const struct sock_addr *to)
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

static void
flush_sends(struct udp_sock *u)
{
	int off = 0;

	while (off < u->nsend) {
		int r = sendmmsg(u->fd, u->smsg + off, (unsigned)(u->nsend - off),
		    MSG_DONTWAIT);
		if (r > 0) {
			off += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* this one failed (full buffer, unreachable): drop it alone */
		u->dropped++;
		off++;
	}
	u->nsend = 0;
	u->sused = 0;
}

static void
on_readable(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct udp_sock *u = io->arg;
	struct sock_addr from;

	/* Level-triggered: what is left after these rounds raises a new
	 * event, so one busy socket cannot starve the others. */
	for (int round = 0; round < UDP_ROUNDS && u->active; round++) {
		for (int i = 0; i < u->nslots; i++) {
			u->rmsg[i].msg_hdr.msg_namelen = sizeof(u->rfrom[i]);
			u->rmsg[i].msg_hdr.msg_flags = 0;
		}
		int n = recvmmsg(u->fd, u->rmsg, (unsigned)u->nslots, MSG_DONTWAIT,
		    NULL);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error we do not act on */
		}
		u->in_batch = 1;
		for (int i = 0; i < n && u->active; i++) {
			size_t len = u->rmsg[i].msg_len;
			memcpy(&from.ss, &u->rfrom[i], sizeof(from.ss));
			from.len = u->rmsg[i].msg_hdr.msg_namelen;
			if (u->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)
				len = u->max_dgram + 1;
			u->cb(u, u->rbuf + (size_t)i * u->slot, len, &from, u->arg);
		}
		u->in_batch = 0;
		if (u->active && u->nsend)
			flush_sends(u);
		if (n < u->nslots)
			return;
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
	/* one byte more than max_dgram, so that a longer datagram shows */
	u->slot = max_dgram + 1;
	u->nslots = (int)(UDP_RECV_SPACE / u->slot);
	if (u->nslots < 1)
		u->nslots = 1;
	if (u->nslots > UDP_BATCH)
		u->nslots = UDP_BATCH;
	u->rbuf = malloc((size_t)u->nslots * u->slot);
	u->rmsg = calloc((size_t)u->nslots, sizeof(*u->rmsg));
	u->riov = calloc((size_t)u->nslots, sizeof(*u->riov));
	u->rfrom = calloc((size_t)u->nslots, sizeof(*u->rfrom));
	u->sbuf = malloc(UDP_SEND_SPACE);
	if (!u->rbuf || !u->rmsg || !u->riov || !u->rfrom || !u->sbuf)
		goto fail;
	for (int i = 0; i < u->nslots; i++) {
		u->riov[i].iov_base = u->rbuf + (size_t)i * u->slot;
		u->riov[i].iov_len = u->slot;
		u->rmsg[i].msg_hdr.msg_iov = &u->riov[i];
		u->rmsg[i].msg_hdr.msg_iovlen = 1;
		u->rmsg[i].msg_hdr.msg_name = &u->rfrom[i];
	}
	if (loop_io_add(loop, &u->io, fd, LOOP_READ, on_readable, u) < 0)
		goto fail;
	u->active = 1;
	return 0;
fail:
	free(u->rbuf);
	free(u->rmsg);
	free(u->riov);
	free(u->rfrom);
	free(u->sbuf);
	u->rbuf = u->sbuf = NULL;
	u->rmsg = NULL;
	u->riov = NULL;
	u->rfrom = NULL;
	return -1;
}

void
udp_stop(struct udp_sock *u)
{
	if (!u->active)
		return;
	u->active = 0;
	loop_io_del(u->loop, &u->io);
	free(u->rbuf);
	free(u->rmsg);
	free(u->riov);
	free(u->rfrom);
	free(u->sbuf);
	u->rbuf = u->sbuf = NULL;
	u->rmsg = NULL;
	u->riov = NULL;
	u->rfrom = NULL;
}

int
udp_send(struct udp_sock *u, const void *p, size_t n, const struct sock_addr *to)
{
	if (!u->in_batch || n > UDP_SEND_SPACE)
		return send_now(u, p, n, to);
	if (u->nsend == UDP_BATCH || u->sused + n > UDP_SEND_SPACE)
		flush_sends(u);
	int i = u->nsend++;
	uint8_t *dst = u->sbuf + u->sused;
	memcpy(dst, p, n);
	u->sused += n;
	memcpy(&u->sto[i], &to->ss, to->len);
	u->siov[i].iov_base = dst;
	u->siov[i].iov_len = n;
	memset(&u->smsg[i], 0, sizeof(u->smsg[i]));
	u->smsg[i].msg_hdr.msg_name = &u->sto[i];
	u->smsg[i].msg_hdr.msg_namelen = to->len;
	u->smsg[i].msg_hdr.msg_iov = &u->siov[i];
	u->smsg[i].msg_hdr.msg_iovlen = 1;
	return 0;
}
