/* The thread pool: work on other threads, done functions on the loop's. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/pool.h"
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
done(struct loop *loop, void *arg)
{
	struct job *j = arg;

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
		ok(pool_submit(p, work, done, &jobs[i]) == 0, "submit %d", i);
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
		pool_submit(p, work, done, &jobs[i]);
	}
	pool_free(p); /* no loop pass: pool_free must still finish them */
	for (int i = 0; i < 20; i++)
		n += jobs[i].done == 1;
	ok(n == 20, "queued jobs finished and reaped at free (%d)", n);
	ok(pool_new(loop, 0) == NULL, "zero threads refused");
	loop_free(loop);
}
