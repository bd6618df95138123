/* pool.h - a small thread pool for blocking work (fsync of a mail spool,
 * reading a zone file, ...) kept off the event loop. A job's work function
 * runs on a pool thread and must not touch the loop or any connection; its
 * done function runs afterwards on the loop's thread, like any other event,
 * woken through an eventfd. Each worker process owns one, made when first
 * asked for (server_pool in server.h).
 *
 * A job can be cancelled. Its done function runs exactly once all the same
 * (never from inside pool_cancel), with status POOL_CANCELLED, so that an
 * owner that took a hold for the job (session_hold) has one place to drop
 * it: cancelled before a thread took it, the work never runs; cancelled while
 * it runs (or after, before done), the work finishes and its result is to be
 * thrown away by done.
 */
#ifndef CAMADA_POOL_H
#define CAMADA_POOL_H

#include <stddef.h>

#include "core/loop.h"

enum pool_status {
	POOL_OK,        /* the work ran */
	POOL_CANCELLED, /* pool_cancel was called: the work may or may not
	                 * have run; its result is not wanted */
};

struct pool;
struct pool_job;
typedef void pool_work_fn(void *arg);
typedef void pool_done_fn(struct loop *loop, void *arg,
    enum pool_status status);

/* nthreads worker threads for this loop. NULL on failure (errno). */
struct pool *pool_new(struct loop *loop, int nthreads);
/* Queues a job. done may be NULL. Returns its handle, valid until done has
 * run (or, done NULL, until the job is reaped: do not cancel a job without
 * done), or NULL when out of memory or the pool is being freed. */
struct pool_job *pool_submit(struct pool *p, pool_work_fn *work,
    pool_done_fn *done, void *arg) __attribute__((warn_unused_result));
/* Cancels j (on the loop's thread, before its done ran). Returns 1 when the
 * work will never run, 0 when it is running or has run. done runs later with
 * POOL_CANCELLED either way. */
int pool_cancel(struct pool *p, struct pool_job *j);
/* Jobs submitted and not yet done (their done function not yet run). */
size_t pool_pending(const struct pool *p);
/* Lets the queued and running jobs finish (cancelled ones do not run), runs
 * their done functions, stops the threads and frees the pool. NULL: no-op. */
void pool_free(struct pool *p);

#endif
