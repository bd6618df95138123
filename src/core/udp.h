/* udp.h - a UDP socket on the loop: each datagram that arrives goes to the
 * handler with its sender's address; replies go out with udp_send.
 *
 * Datagrams are read in batches with recvmmsg, and replies sent from inside
 * the handler are gathered and sent with one sendmmsg after the batch: two
 * system calls for up to UDP_BATCH queries instead of two per query. */
#ifndef CAMADA_UDP_H
#define CAMADA_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "core/sock.h"

#define UDP_BATCH 32
#define UDP_SEND_SPACE (64 * 1024)

struct udp_sock;
typedef void udp_cb(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg);

struct udp_sock {
	struct loop *loop;
	struct loop_io io;
	int fd;
	int active;
	size_t max_dgram;
	udp_cb *cb;
	void *arg;
	uint64_t dropped; /* replies the kernel would not take */

	/* private */
	size_t slot;              /* bytes per receive slot */
	int nslots;
	uint8_t *rbuf;            /* nslots * slot */
	struct mmsghdr *rmsg;
	struct iovec *riov;
	struct sockaddr_storage *rfrom;
	int in_batch;
	int nsend;
	size_t sused;
	uint8_t *sbuf;            /* UDP_SEND_SPACE */
	struct mmsghdr smsg[UDP_BATCH];
	struct iovec siov[UDP_BATCH];
	struct sockaddr_storage sto[UDP_BATCH];
};

/* Watches fd (not owned: the caller closes it). max_dgram bounds what is
 * read; longer datagrams are truncated by the kernel and flagged with
 * n == max_dgram + 1 so that the handler can refuse them. */
int udp_start(struct udp_sock *u, struct loop *loop, int fd, size_t max_dgram,
    udp_cb *cb, void *arg);
void udp_stop(struct udp_sock *u);
/* 0 when sent or queued for the batch's send, -1 when the kernel would not
 * take it (dropped). p is copied; it may be reused at once. */
int udp_send(struct udp_sock *u, const void *p, size_t n,
    const struct sock_addr *to);

#endif
