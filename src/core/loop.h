/* loop.h - the event loop: one per worker, on epoll.
 *
 * It watches file descriptors for readiness, runs timers (timer.h), turns
 * signals into ordinary events through a signalfd, and runs deferred tasks
 * after each batch of events. Owners embed struct loop_io / timer / loop_task
 * in their own structs; the loop never allocates on their behalf.
 *
 * Lifetime rule: a struct loop_io may have events pending in the batch being
 * dispatched, so its owner must not free it from inside a callback; free it
 * from a deferred task (loop_defer), which runs after the batch.
 */
#ifndef CAMADA_LOOP_H
#define CAMADA_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "core/timer.h"

/* Interest and readiness bits. */
#define LOOP_READ 0x1u
#define LOOP_WRITE 0x2u
#define LOOP_EDGE 0x4u  /* edge-triggered: read/write until EAGAIN */
#define LOOP_HUP 0x8u   /* reported: peer hung up (also sets READ) */
#define LOOP_ERR 0x10u  /* reported: error on the fd (also sets READ|WRITE) */

struct loop;
struct loop_io;
typedef void loop_io_cb(struct loop *loop, struct loop_io *io, uint32_t ev);

struct loop_io {
	int fd;
	uint32_t events;
	loop_io_cb *cb;
	void *arg;
};

struct loop_task;
typedef void loop_task_cb(struct loop *loop, void *arg);
struct loop_task {
	struct loop_task *next;
	loop_task_cb *cb;
	void *arg;
	int queued;
	unsigned gen; /* the pass it was queued in */
};

typedef void loop_signal_cb(struct loop *loop, int signo, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Runs until loop_stop; returns 0, or -1 when epoll failed. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
/* One pass: waits at most timeout_ms (-1: until an event), dispatches. */
int loop_once(struct loop *loop, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC, read once per batch. */
uint64_t loop_now(const struct loop *loop);
void loop_update_time(struct loop *loop);

int loop_io_add(struct loop *loop, struct loop_io *io, int fd, uint32_t events,
    loop_io_cb *cb, void *arg);
int loop_io_mod(struct loop *loop, struct loop_io *io, uint32_t events);
void loop_io_del(struct loop *loop, struct loop_io *io);

/* Timers: after_ms from now, then every period_ms (0: once). Restarting an
 * active timer moves it. */
int loop_timer_start(struct loop *loop, struct timer *t, uint64_t after_ms,
    uint64_t period_ms);
void loop_timer_stop(struct loop *loop, struct timer *t);
size_t loop_timer_count(const struct loop *loop);

/* Queues t to run after the current batch (once, however often it is
 * queued before it runs). */
void loop_defer(struct loop *loop, struct loop_task *t, loop_task_cb *cb,
    void *arg);
/* Takes t off the queue if it is there. */
void loop_defer_cancel(struct loop *loop, struct loop_task *t);

/* Delivers signo as an event instead of an asynchronous signal. The signal is
 * blocked in this thread; up to 16 signals per loop. */
int loop_signal(struct loop *loop, int signo, loop_signal_cb *cb, void *arg);

#endif
