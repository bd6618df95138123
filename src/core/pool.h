/* pool.h - a small thread pool for blocking work (fsync of a mail spool,
 * reading a zone file, ...) kept off the event loop. A job's work function
 * runs on a pool thread and must not touch the loop or any connection; its
 * done function runs afterwards on the loop's thread, like any other event,
 * woken through an eventfd. */
#ifndef CAMADA_POOL_H
#define CAMADA_POOL_H

#include <stddef.h>

#include "core/loop.h"

struct pool;
typedef void pool_work_fn(void *arg);
typedef void pool_done_fn(struct loop *loop, void *arg);

/* nthreads worker threads for this loop. NULL on failure (errno). */
struct pool *pool_new(struct loop *loop, int nthreads);
/* Queues a job. done may be NULL. 0, or -1 when out of memory or stopping. */
int pool_submit(struct pool *p, pool_work_fn *work, pool_done_fn *done,
    void *arg);
/* Jobs submitted and not yet done (their done function not yet run). */
size_t pool_pending(const struct pool *p);
/* Lets the queued and running jobs finish, runs their done functions, stops
 * the threads and frees the pool. */
void pool_free(struct pool *p);

#endif
