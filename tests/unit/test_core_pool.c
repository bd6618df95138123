/* The thread pool: work on other threads, done functions on the loop's. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/pool.h"
#include "core/server.h"
#include "test.h"

struct job {
	int in, out;
	pthread_t worker, finisher;
	int done;
};

static pthread_t loop_thread;

static void
work(void *arg)
{
	struct job *j = arg;
	struct timespec ts = { 0, 1000000 }; /* blocking on purpose */

	nanosleep(&ts, NULL);
	j->out = j->in * j->in;
	j->worker = pthread_self();
}

static void
done(struct loop *loop, void *arg, enum pool_status status)
{
	struct job *j = arg;

	if (status != POOL_OK)
		return;
	j->finisher = pthread_self();
	j->done++;
}

TEST(core_pool_jobs_and_completions)
{
	struct loop *loop = loop_new();
	struct pool *p = pool_new(loop, 4);
	struct job jobs[200];
	int all = 0, off_loop = 0, on_loop = 0;

	loop_thread = pthread_self();
	ok(p != NULL, "pool made");
	for (int i = 0; i < 200; i++) {
		jobs[i] = (struct job){ .in = i };
		ok(pool_submit(p, work, done, &jobs[i]) != NULL, "submit %d",
		    i);
	}
	ok(pool_pending(p) == 200, "200 pending");
	for (int spin = 0; spin < 2000 && pool_pending(p); spin++)
		loop_once(loop, 50);
	ok(pool_pending(p) == 0, "all done");
	for (int i = 0; i < 200; i++) {
		all += jobs[i].done == 1 && jobs[i].out == i * i;
		off_loop += !pthread_equal(jobs[i].worker, loop_thread);
		on_loop += pthread_equal(jobs[i].finisher, loop_thread);
	}
	ok(all == 200, "each done once with its result (%d)", all);
	ok(off_loop == 200, "work ran on pool threads");
	ok(on_loop == 200, "done ran on the loop's thread");
	pool_free(p);
	loop_free(loop);
}

TEST(core_pool_free_finishes_the_queue)
{
	struct loop *loop = loop_new();
	struct pool *p = pool_new(loop, 2);
	struct job jobs[20];
	int n = 0;

	for (int i = 0; i < 20; i++) {
		jobs[i] = (struct job){ .in = i };
		ok(pool_submit(p, work, done, &jobs[i]) != NULL, "submit");
	}
	pool_free(p); /* no loop pass: pool_free must still finish them */
	for (int i = 0; i < 20; i++)
		n += jobs[i].done == 1;
	ok(n == 20, "queued jobs finished and reaped at free (%d)", n);
	ok(pool_new(loop, 0) == NULL, "zero threads refused");
	loop_free(loop);
}

/* A job that blocks until the test lets it go, so the test knows what is
 * running and what is queued. */
struct gated {
	int started, go, ran;       /* touched with __atomic builtins */
	int done, status;
};

static void
gated_work(void *arg)
{
	struct gated *g = arg;
	struct timespec ts = { 0, 200000 };

	__atomic_store_n(&g->started, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&g->go, __ATOMIC_SEQ_CST))
		nanosleep(&ts, NULL);
	__atomic_store_n(&g->ran, 1, __ATOMIC_SEQ_CST);
}

static void
gated_done(struct loop *loop, void *arg, enum pool_status status)
{
	struct gated *g = arg;

	g->done++;
	g->status = (int)status;
}

static void
wait_started(struct gated *g)
{
	struct timespec ts = { 0, 200000 };

	for (int i = 0; i < 25000 && !__atomic_load_n(&g->started,
	    __ATOMIC_SEQ_CST); i++)
		nanosleep(&ts, NULL);
}

TEST(core_pool_cancel_before_it_runs)
{
	struct loop *loop = loop_new();
	struct pool *p = pool_new(loop, 1);
	struct gated busy = { 0 }, a = { 0 }, b = { 0 };
	struct pool_job *ja, *jb;

	ok(pool_submit(p, gated_work, gated_done, &busy) != NULL, "blocker");
	wait_started(&busy); /* the only thread is taken: a and b wait */
	ja = pool_submit(p, gated_work, gated_done, &a);
	jb = pool_submit(p, gated_work, gated_done, &b);
	ok(ja && jb, "queued");
	ok(pool_cancel(p, ja) == 1, "a: cancelled before it ran");
	ok(a.done == 0, "done does not run from inside pool_cancel");
	ok(pool_pending(p) == 3, "a still pending until its done ran");
	for (int spin = 0; spin < 100 && a.done == 0; spin++)
		loop_once(loop, 10);
	ok(a.done == 1 && a.status == POOL_CANCELLED,
	    "a: done once, cancelled, while the blocker still runs");
	__atomic_store_n(&busy.go, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&b.go, 1, __ATOMIC_SEQ_CST);
	for (int spin = 0; spin < 2000 && pool_pending(p); spin++)
		loop_once(loop, 10);
	ok(pool_pending(p) == 0, "all reaped");
	ok(!__atomic_load_n(&a.ran, __ATOMIC_SEQ_CST) && !a.started,
	    "a's work never ran");
	ok(b.done == 1 && b.status == POOL_OK && b.ran,
	    "b, queued behind it, ran (the queue stayed whole)");
	ok(busy.done == 1 && busy.status == POOL_OK, "blocker ran");
	pool_free(p);
	loop_free(loop);
}

TEST(core_pool_cancel_while_running)
{
	struct loop *loop = loop_new();
	struct pool *p = pool_new(loop, 2);
	struct gated g = { 0 };
	struct pool_job *j;

	j = pool_submit(p, gated_work, gated_done, &g);
	ok(j != NULL, "submitted");
	wait_started(&g);
	ok(pool_cancel(p, j) == 0, "running: the work cannot be stopped");
	for (int spin = 0; spin < 5; spin++)
		loop_once(loop, 5);
	ok(g.done == 0, "done waits for the work to end");
	__atomic_store_n(&g.go, 1, __ATOMIC_SEQ_CST);
	for (int spin = 0; spin < 2000 && pool_pending(p); spin++)
		loop_once(loop, 10);
	ok(g.ran && g.done == 1 && g.status == POOL_CANCELLED,
	    "work finished, done ran once with POOL_CANCELLED");
	pool_free(p);
	loop_free(loop);
}

TEST(core_pool_cancel_then_free)
{
	struct loop *loop = loop_new();
	struct pool *p = pool_new(loop, 1);
	struct gated busy = { 0 }, a = { 0 };
	struct pool_job *ja;

	ok(pool_submit(p, gated_work, gated_done, &busy) != NULL, "blocker");
	wait_started(&busy);
	ja = pool_submit(p, gated_work, gated_done, &a);
	ok(ja != NULL && pool_cancel(p, ja) == 1, "cancelled in the queue");
	__atomic_store_n(&busy.go, 1, __ATOMIC_SEQ_CST);
	pool_free(p); /* no loop pass: free reaps the cancelled one too */
	ok(a.done == 1 && a.status == POOL_CANCELLED && !a.started,
	    "cancelled job's done ran at free, its work never");
	ok(busy.done == 1 && busy.status == POOL_OK, "running one finished");
	loop_free(loop);
}

TEST(core_pool_owned_by_the_worker)
{
	struct worker w = { 0 };
	struct job j = { .in = 7 };
	struct pool *p;

	w.loop = loop_new();
	ok(w.pool == NULL, "no pool until asked: no threads in the worker");
	p = server_pool(&w);
	ok(p != NULL && w.pool == p, "made at the first call");
	ok(server_pool(&w) == p, "the same pool after");
	ok(pool_submit(p, work, done, &j) != NULL, "submit");
	for (int spin = 0; spin < 2000 && pool_pending(p); spin++)
		loop_once(w.loop, 10);
	ok(j.done == 1 && j.out == 49, "job ran, done on the loop");
	pool_free(w.pool);
	loop_free(w.loop);
}
