/* listener.h - accepting TCP connections on a worker's loop. The listening fd
 * belongs to the parent (it outlives workers); a listener only watches it.
 * When the process runs out of descriptors (EMFILE), the listener logs once
 * a second, pauses for a moment and keeps serving the connections it has. */
#ifndef CAMADA_LISTENER_H
#define CAMADA_LISTENER_H

#include "core/loop.h"
#include "core/sock.h"

struct listener;
typedef void listener_cb(struct listener *l, int fd, const struct sock_addr *peer,
    void *arg);

struct listener {
	struct loop *loop;
	struct loop_io io;
	struct timer backoff;
	int fd;
	int active;
	uint64_t last_warn;
	listener_cb *cb;
	void *arg;
};

int listener_start(struct listener *l, struct loop *loop, int fd,
    listener_cb *cb, void *arg);
void listener_stop(struct listener *l);

#endif
