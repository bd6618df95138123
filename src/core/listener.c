/* listener.c - see listener.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/listener.h"
#include "core/log.h"

#define ACCEPT_BATCH 64
#define BACKOFF_MS 100

static void
on_backoff(struct loop *loop, struct timer *t, void *arg)
{
	struct listener *l = arg;

	if (l->active)
		loop_io_mod(loop, &l->io, LOOP_READ);
}

static void
on_accept(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct listener *l = io->arg;
	struct sock_addr peer;

	for (int i = 0; i < ACCEPT_BATCH && l->active; i++) {
		int fd = sock_accept(l->fd, &peer);
		if (fd >= 0) {
			l->cb(l, fd, &peer, l->arg);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Out of descriptors: the pending connection stays in
			 * the backlog; stop watching for a moment instead of
			 * spinning on a listener that stays readable. */
			if (loop_now(loop) - l->last_warn >= 1000) {
				log_warn("accept: %s; pausing accepts for %d ms",
				    strerror(errno), BACKOFF_MS);
				l->last_warn = loop_now(loop);
			}
			loop_io_mod(loop, &l->io, 0);
			loop_timer_start(loop, &l->backoff, BACKOFF_MS, 0);
			return;
		}
		log_error("accept: %s", strerror(errno));
		return;
	}
}

int
listener_start(struct listener *l, struct loop *loop, int fd, listener_cb *cb,
    void *arg)
{
	memset(l, 0, sizeof(*l));
	l->loop = loop;
	l->fd = fd;
	l->cb = cb;
	l->arg = arg;
	l->active = 1;
	timer_init(&l->backoff, on_backoff, l);
	if (loop_io_add(loop, &l->io, fd, LOOP_READ, on_accept, l) < 0) {
		l->active = 0;
		return -1;
	}
	return 0;
}

void
listener_stop(struct listener *l)
{
	if (!l->active)
		return;
	l->active = 0;
	loop_timer_stop(l->loop, &l->backoff);
	loop_io_del(l->loop, &l->io);
}
