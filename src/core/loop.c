/* loop.c - epoll, a timer heap, a signalfd and a deferred queue (loop.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/loop.h"

#define LOOP_BATCH 256
#define LOOP_SIGNALS 16

struct loop {
	int epfd;
	int running;
	uint64_t now;
	struct timer_heap timers;
	struct loop_task *defer_head, *defer_tail;
	unsigned defer_gen;
	/* signals */
	int sigfd;
	sigset_t sigmask;
	struct loop_io sigio;
	struct {
		int signo;
		loop_signal_cb *cb;
		void *arg;
	} sig[LOOP_SIGNALS];
	int nsig;
};

struct loop *
loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->now = clock_mono_ms();
	return loop;
}

void
loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	close(loop->epfd);
	timer_heap_free(&loop->timers);
	free(loop);
}

uint64_t
loop_now(const struct loop *loop)
{
	return loop->now;
}

void
loop_update_time(struct loop *loop)
{
	loop->now = clock_mono_ms();
}

static uint32_t
to_epoll(uint32_t ev)
{
	uint32_t e = EPOLLRDHUP;

	if (ev & LOOP_READ)
		e |= EPOLLIN;
	if (ev & LOOP_WRITE)
		e |= EPOLLOUT;
	if (ev & LOOP_EDGE)
		e |= EPOLLET;
	return e;
}

int
loop_io_add(struct loop *loop, struct loop_io *io, int fd, uint32_t events,
    loop_io_cb *cb, void *arg)
{
	struct epoll_event e;

	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(events);
	e.data.ptr = io;
	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &e);
}

int
loop_io_mod(struct loop *loop, struct loop_io *io, uint32_t events)
{
	struct epoll_event e;

	if (io->events == events)
		return 0;
	io->events = events;
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(events);
	e.data.ptr = io;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &e);
}

void
loop_io_del(struct loop *loop, struct loop_io *io)
{
	if (io->fd >= 0)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

int
loop_timer_start(struct loop *loop, struct timer *t, uint64_t after_ms,
    uint64_t period_ms)
{
	t->when = loop->now + after_ms;
	t->period = period_ms;
	if (timer_active(t)) {
		timer_heap_update(&loop->timers, t);
		return 0;
	}
	return timer_heap_push(&loop->timers, t);
}

void
loop_timer_stop(struct loop *loop, struct timer *t)
{
	timer_heap_remove(&loop->timers, t);
}

size_t
loop_timer_count(const struct loop *loop)
{
	return loop->timers.n;
}

void
loop_defer(struct loop *loop, struct loop_task *t, loop_task_cb *cb, void *arg)
{
	t->cb = cb;
	t->arg = arg;
	if (t->queued)
		return;
	t->queued = 1;
	t->gen = loop->defer_gen;
	t->next = NULL;
	if (loop->defer_tail)
		loop->defer_tail->next = t;
	else
		loop->defer_head = t;
	loop->defer_tail = t;
}

void
loop_defer_cancel(struct loop *loop, struct loop_task *t)
{
	struct loop_task **pp, *prev = NULL;

	if (!t->queued)
		return;
	for (pp = &loop->defer_head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			if (loop->defer_tail == t)
				loop->defer_tail = prev;
			break;
		}
	}
	t->queued = 0;
	t->next = NULL;
}

static void
run_deferred(struct loop *loop)
{
	/* Tasks queued while these run carry the new generation and wait for
	 * the next pass, so a task that requeues itself cannot starve the loop. */
	unsigned gen = loop->defer_gen++;
	struct loop_task *t;

	while ((t = loop->defer_head) != NULL && t->gen == gen) {
		loop->defer_head = t->next;
		if (loop->defer_head == NULL)
			loop->defer_tail = NULL;
		t->queued = 0;
		t->next = NULL;
		t->cb(loop, t->arg);
	}
}

static void
run_timers(struct loop *loop)
{
	struct timer *t;
	/* Bounded so that a periodic 0 ms timer cannot starve the loop. */
	int budget = 4096;

	while ((t = timer_heap_top(&loop->timers)) && t->when <= loop->now &&
	    budget-- > 0) {
		if (t->period) {
			t->when += t->period;
			if (t->when <= loop->now)
				t->when = loop->now + t->period;
			timer_heap_update(&loop->timers, t);
		} else {
			timer_heap_remove(&loop->timers, t);
		}
		t->cb(loop, t, t->arg);
	}
}

static void
on_signalfd(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct signalfd_siginfo si;

	while (read(loop->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (int i = 0; i < loop->nsig; i++)
			if (loop->sig[i].signo == (int)si.ssi_signo)
				loop->sig[i].cb(loop, (int)si.ssi_signo,
				    loop->sig[i].arg);
	}
}

int
loop_signal(struct loop *loop, int signo, loop_signal_cb *cb, void *arg)
{
	if (loop->nsig == LOOP_SIGNALS)
		return -1;
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -1;
	int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		if (loop_io_add(loop, &loop->sigio, fd, LOOP_READ, on_signalfd,
		    loop) < 0)
			return -1;
	}
	loop->sig[loop->nsig].signo = signo;
	loop->sig[loop->nsig].cb = cb;
	loop->sig[loop->nsig].arg = arg;
	loop->nsig++;
	return 0;
}

int
loop_once(struct loop *loop, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	struct timer *t;
	int n;

	if (loop->defer_head) {
		timeout_ms = 0;
	} else if ((t = timer_heap_top(&loop->timers)) != NULL) {
		uint64_t now = clock_mono_ms();
		int until = t->when <= now ? 0 :
		    (t->when - now > 1000000 ? 1000000 : (int)(t->when - now));
		if (timeout_ms < 0 || until < timeout_ms)
			timeout_ms = until;
	}
	n = epoll_wait(loop->epfd, evs, LOOP_BATCH, timeout_ms);
	loop->now = clock_mono_ms();
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		struct loop_io *io = evs[i].data.ptr;
		uint32_t e = evs[i].events, ev = 0;
		if (e & (EPOLLIN | EPOLLPRI))
			ev |= LOOP_READ;
		if (e & EPOLLOUT)
			ev |= LOOP_WRITE;
		if (e & (EPOLLHUP | EPOLLRDHUP))
			ev |= LOOP_HUP | LOOP_READ;
		if (e & EPOLLERR)
			ev |= LOOP_ERR | LOOP_READ | LOOP_WRITE;
		io->cb(loop, io, ev);
	}
	run_timers(loop);
	run_deferred(loop);
	return 0;
}

int
loop_run(struct loop *loop)
{
	loop->running = 1;
	while (loop->running) {
		if (loop_once(loop, -1) < 0)
			return -1;
	}
	return 0;
}

void
loop_stop(struct loop *loop)
{
	loop->running = 0;
}
