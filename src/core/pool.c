/* pool.c - see pool.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/pool.h"

#define POOL_MAX_THREADS 64

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_FINISHED };

struct pool_job {
	struct pool_job *next;
	pool_work_fn *work;
	pool_done_fn *done;
	void *arg;
	enum job_state state;   /* under the lock */
	int cancelled;          /* loop thread only */
};

struct pool {
	struct loop *loop;
	struct loop_io io;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct pool_job *todo, *todo_tail;   /* waiting for a thread */
	struct pool_job *done, *done_tail;   /* waiting for the loop */
	size_t pending;                      /* loop thread only */
	int stopping;
	int nthreads;
	pthread_t threads[POOL_MAX_THREADS];
};

static void
push(struct pool_job **head, struct pool_job **tail, struct pool_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* Tells the loop that the done list has grown. The counter cannot overflow
 * in practice; a full one still leaves the loop readable. */
static void
wake(struct pool *p)
{
	uint64_t one = 1;

	if (write(p->efd, &one, sizeof(one)) < 0) {
	}
}

static void *
run_thread(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->todo == NULL && !p->stopping)
			pthread_cond_wait(&p->more, &p->lock);
		if (p->todo == NULL)
			break;
		struct pool_job *j = p->todo;
		p->todo = j->next;
		if (p->todo == NULL)
			p->todo_tail = NULL;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&p->lock);
		j->work(j->arg);
		pthread_mutex_lock(&p->lock);
		j->state = JOB_FINISHED;
		push(&p->done, &p->done_tail, j);
		wake(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Runs the done functions of finished jobs, on the loop's thread. */
static void
reap(struct pool *p)
{
	struct pool_job *list;

	pthread_mutex_lock(&p->lock);
	list = p->done;
	p->done = p->done_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while (list) {
		struct pool_job *j = list;
		list = j->next;
		p->pending--;
		if (j->done)
			j->done(p->loop, j->arg,
			    j->cancelled ? POOL_CANCELLED : POOL_OK);
		free(j);
	}
}

static void
on_event(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct pool *p = io->arg;
	uint64_t n;

	if (read(p->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	reap(p);
}

struct pool *
pool_new(struct loop *loop, int nthreads)
{
	struct pool *p;

	if (nthreads < 1 || nthreads > POOL_MAX_THREADS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->loop = loop;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	if (loop_io_add(loop, &p->io, p->efd, LOOP_READ, on_event, p) < 0)
		goto fail;
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, run_thread, p) != 0)
			goto fail;
		p->nthreads++;
	}
	return p;
fail:
	pool_free(p);
	return NULL;
}

struct pool_job *
pool_submit(struct pool *p, pool_work_fn *work, pool_done_fn *done, void *arg)
{
	struct pool_job *j;

	if (p->stopping)
		return NULL;
	j = malloc(sizeof(*j));
	if (j == NULL)
		return NULL;
	j->work = work;
	j->done = done;
	j->arg = arg;
	j->state = JOB_QUEUED;
	j->cancelled = 0;
	pthread_mutex_lock(&p->lock);
	push(&p->todo, &p->todo_tail, j);
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
	p->pending++;
	return j;
}

int
pool_cancel(struct pool *p, struct pool_job *j)
{
	int never_runs = 0;

	j->cancelled = 1;
	pthread_mutex_lock(&p->lock);
	if (j->state == JOB_QUEUED) {
		/* out of the queue and straight to the loop: no thread will
		 * see it, and done runs from the eventfd, not from here */
		struct pool_job **pp = &p->todo, *prev = NULL;
		while (*pp != j) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		*pp = j->next;
		if (p->todo_tail == j)
			p->todo_tail = prev;
		j->state = JOB_FINISHED;
		push(&p->done, &p->done_tail, j);
		wake(p);
		never_runs = 1;
	}
	pthread_mutex_unlock(&p->lock);
	return never_runs;
}

size_t
pool_pending(const struct pool *p)
{
	return p->pending;
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	/* threads finish the queue before they see stopping with nothing left */
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	reap(p);
	loop_io_del(p->loop, &p->io);
	close(p->efd);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
