/* udp.h - a UDP socket on the loop: each datagram that arrives goes to the
 * handler with its sender's address; replies go out with udp_send. */
#ifndef CAMADA_UDP_H
#define CAMADA_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/sock.h"

struct udp_sock;
typedef void udp_cb(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg);

struct udp_sock {
	struct loop *loop;
	struct loop_io io;
	int fd;
	int active;
	size_t max_dgram;
	uint8_t *rbuf;
	udp_cb *cb;
	void *arg;
	uint64_t dropped; /* replies the kernel would not take */
};

/* Watches fd (not owned: the caller closes it). max_dgram bounds what is
 * read; longer datagrams are truncated by the kernel and flagged with
 * n == max_dgram + 1 so that the handler can refuse them. */
int udp_start(struct udp_sock *u, struct loop *loop, int fd, size_t max_dgram,
    udp_cb *cb, void *arg);
void udp_stop(struct udp_sock *u);
/* 0, or -1 when the kernel would not take it now (dropped). */
int udp_send(struct udp_sock *u, const void *p, size_t n,
    const struct sock_addr *to);

#endif
