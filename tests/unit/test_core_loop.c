/* test_core_loop.c - the event loop: timers in order, periodic timers,
 * cancel, deferred tasks (once, no starvation), fd readiness and signals. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "test.h"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs loop_once(loop, 50) until cond holds or 5 s pass. */
#define RUN_UNTIL(loop, cond)                                             \
	do {                                                              \
		uint64_t end_ = now_ms() + 5000;                          \
		while (!(cond) && now_ms() < end_)                        \
			loop_once((loop), 50);                            \
	} while (0)

static void
run_for(struct loop *loop, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		loop_once(loop, 10);
}

struct fired {
	int order[16];
	int n;
	uint64_t at[16];
};

struct tmr {
	struct timer t;
	int id;
	struct fired *f;
	struct loop *loop;
	struct tmr *cancel; /* stop this one when firing */
	int count;
};

static void
on_tmr(struct loop *loop, struct timer *t, void *arg)
{
	struct tmr *x = arg;

	x->count++;
	if (x->f->n < 16) {
		x->f->at[x->f->n] = loop_now(loop);
		x->f->order[x->f->n++] = x->id;
	}
	if (x->cancel)
		loop_timer_stop(loop, &x->cancel->t);
}

static void
tmr_init(struct tmr *x, int id, struct fired *f, struct loop *loop)
{
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->f = f;
	x->loop = loop;
	timer_init(&x->t, on_tmr, x);
}

TEST(core_loop_oneshot_order)
{
	struct loop *loop = loop_new();
	struct fired f = { { 0 }, 0, { 0 } };
	struct tmr a, b, c;
	uint64_t start = loop_now(loop);

	ok(loop != NULL, "loop_new");
	tmr_init(&a, 1, &f, loop);
	tmr_init(&b, 2, &f, loop);
	tmr_init(&c, 3, &f, loop);
	loop_timer_start(loop, &a.t, 60, 0);
	loop_timer_start(loop, &b.t, 20, 0);
	loop_timer_start(loop, &c.t, 40, 0);
	ok(loop_timer_count(loop) == 3, "3 timers");
	RUN_UNTIL(loop, f.n == 3);
	ok(f.n == 3, "all fired");
	ok(f.order[0] == 2 && f.order[1] == 3 && f.order[2] == 1,
	    "fired in deadline order: %d %d %d", f.order[0], f.order[1],
	    f.order[2]);
	ok(f.at[0] >= start + 20, "not early (%llu ms)",
	    (unsigned long long)(f.at[0] - start));
	ok(f.at[2] >= start + 60, "last not early");
	ok(loop_timer_count(loop) == 0, "one-shots leave the heap");
	ok(!timer_active(&a.t), "fired one-shot is idle");
	run_for(loop, 80);
	ok(f.n == 3 && a.count == 1, "one-shots fire once");
	loop_free(loop);
}

TEST(core_loop_restart_moves)
{
	struct loop *loop = loop_new();
	struct fired f = { { 0 }, 0, { 0 } };
	struct tmr a, b;

	tmr_init(&a, 1, &f, loop);
	tmr_init(&b, 2, &f, loop);
	loop_timer_start(loop, &a.t, 10, 0);
	loop_timer_start(loop, &b.t, 30, 0);
	loop_timer_start(loop, &a.t, 60, 0); /* move a after b */
	ok(loop_timer_count(loop) == 2, "restart does not duplicate");
	RUN_UNTIL(loop, f.n == 2);
	ok(f.n == 2 && f.order[0] == 2 && f.order[1] == 1,
	    "restarted timer fires at its new time");
	loop_free(loop);
}

TEST(core_loop_periodic)
{
	struct loop *loop = loop_new();
	struct fired f = { { 0 }, 0, { 0 } };
	struct tmr p, once;

	tmr_init(&p, 1, &f, loop);
	tmr_init(&once, 2, &f, loop);
	loop_timer_start(loop, &p.t, 10, 10);
	loop_timer_start(loop, &once.t, 35, 0);
	RUN_UNTIL(loop, p.count >= 5);
	ok(p.count >= 5, "periodic fired %d times", p.count);
	ok(once.count == 1, "one-shot among periodic fired once");
	ok(timer_active(&p.t), "periodic stays active");
	/* order: 10 20 30 (35) 40 ...; a slow machine may merge ticks, but
	 * the tick due at 10 always comes before the one-shot due at 35 */
	int seen_once_at = -1;
	for (int i = 0; i < f.n; i++)
		if (f.order[i] == 2)
			seen_once_at = i;
	ok(seen_once_at >= 1, "one-shot at 35 ms came after a tick (%d)",
	    seen_once_at);
	for (int i = 1; i < f.n; i++)
		if (f.at[i] < f.at[i - 1])
			ok(0, "fire times go backwards");
	loop_timer_stop(loop, &p.t);
	int c = p.count;
	run_for(loop, 50);
	ok(p.count == c, "stopped periodic does not fire");
	ok(loop_timer_count(loop) == 0, "no timers left");
	loop_free(loop);
}

TEST(core_loop_cancel)
{
	struct loop *loop = loop_new();
	struct fired f = { { 0 }, 0, { 0 } };
	struct tmr a, b, c;

	tmr_init(&a, 1, &f, loop);
	tmr_init(&b, 2, &f, loop);
	tmr_init(&c, 3, &f, loop);
	loop_timer_start(loop, &a.t, 10, 0);
	loop_timer_stop(loop, &a.t);
	ok(!timer_active(&a.t), "stopped");
	loop_timer_stop(loop, &a.t); /* twice is fine */
	/* b and c are due in the same pass; b cancels c. */
	b.cancel = &c;
	loop_timer_start(loop, &b.t, 20, 0);
	loop_timer_start(loop, &c.t, 21, 0);
	run_for(loop, 60);
	ok(a.count == 0, "cancelled timer never fired");
	ok(b.count == 1, "b fired");
	ok(c.count == 0, "c, cancelled by b's callback, never fired");
	ok(loop_timer_count(loop) == 0, "heap empty");
	loop_free(loop);
}

struct task_rec {
	struct loop_task task;
	int runs;
	int requeue; /* requeue itself this many times */
	int passes_seen[8];
	int *pass;
};

static void
on_task(struct loop *loop, void *arg)
{
	struct task_rec *r = arg;

	if (r->runs < 8)
		r->passes_seen[r->runs] = *r->pass;
	r->runs++;
	if (r->requeue > 0) {
		r->requeue--;
		loop_defer(loop, &r->task, on_task, r);
	}
}

TEST(core_loop_defer_once)
{
	struct loop *loop = loop_new();
	struct task_rec r;
	int pass = 0;

	memset(&r, 0, sizeof(r));
	r.pass = &pass;
	loop_defer(loop, &r.task, on_task, &r);
	loop_defer(loop, &r.task, on_task, &r);
	loop_defer(loop, &r.task, on_task, &r);
	uint64_t t0 = now_ms();
	loop_once(loop, 1000);
	ok(now_ms() - t0 < 500, "a queued task makes loop_once not wait");
	ok(r.runs == 1, "queued three times, ran once (%d)", r.runs);
	loop_once(loop, 0);
	ok(r.runs == 1, "and not again");

	/* cancel */
	loop_defer(loop, &r.task, on_task, &r);
	loop_defer_cancel(loop, &r.task);
	loop_once(loop, 0);
	ok(r.runs == 1, "cancelled task did not run");
	loop_defer_cancel(loop, &r.task); /* not queued: no-op */
	loop_free(loop);
}

TEST(core_loop_defer_requeue_no_starvation)
{
	struct loop *loop = loop_new();
	struct task_rec self, other;
	int pass = 0;

	memset(&self, 0, sizeof(self));
	memset(&other, 0, sizeof(other));
	self.pass = other.pass = &pass;
	self.requeue = 1000000; /* would spin forever if run in one pass */
	loop_defer(loop, &self.task, on_task, &self);
	for (pass = 0; pass < 5; pass++)
		loop_once(loop, 0);
	ok(self.runs == 5, "requeued task ran once per pass (%d)", self.runs);
	for (int i = 0; i < 5; i++)
		ok(self.passes_seen[i] == i, "run %d in pass %d", i,
		    self.passes_seen[i]);
	/* another task queued meanwhile still runs */
	loop_defer(loop, &other.task, on_task, &other);
	loop_once(loop, 0);
	ok(other.runs == 1, "another task is not starved");
	loop_defer_cancel(loop, &self.task);
	int was = self.runs;
	loop_once(loop, 0);
	ok(self.runs == was, "cancel stops the requeue chain");

	/* two tasks, cancel the first while the second stays queued */
	memset(&self, 0, sizeof(self));
	memset(&other, 0, sizeof(other));
	self.pass = other.pass = &pass;
	loop_defer(loop, &self.task, on_task, &self);
	loop_defer(loop, &other.task, on_task, &other);
	loop_defer_cancel(loop, &other.task); /* the tail */
	loop_defer(loop, &other.task, on_task, &other);
	loop_defer_cancel(loop, &self.task); /* the head */
	loop_once(loop, 0);
	ok(self.runs == 0 && other.runs == 1, "cancel head and tail");
	loop_free(loop);
}

struct io_rec {
	struct loop_io io;
	int calls;
	uint32_t last;
	uint32_t all;
};

static void
on_io_rec(struct loop *loop, struct loop_io *io, uint32_t ev)
{
	struct io_rec *r = io->arg;
	char tmp[64];

	r->calls++;
	r->last = ev;
	r->all |= ev;
	if (ev & LOOP_READ)
		while (read(io->fd, tmp, sizeof(tmp)) > 0)
			;
}

TEST(core_loop_io_pipe)
{
	struct loop *loop = loop_new();
	struct io_rec r;
	int p[2];

	memset(&r, 0, sizeof(r));
	ok(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
	ok(loop_io_add(loop, &r.io, p[0], LOOP_READ, on_io_rec, &r) == 0,
	    "io add");
	loop_once(loop, 20);
	ok(r.calls == 0, "quiet pipe: no event");
	ok(write(p[1], "x", 1) == 1, "write");
	RUN_UNTIL(loop, r.calls > 0);
	ok(r.calls == 1 && (r.last & LOOP_READ), "readable reported");
	loop_once(loop, 20);
	ok(r.calls == 1, "drained: no more events (level)");

	/* interest off: nothing reported even with bytes waiting */
	ok(loop_io_mod(loop, &r.io, 0) == 0, "mod to nothing");
	ok(write(p[1], "y", 1) == 1, "write");
	loop_once(loop, 20);
	ok(r.calls == 1, "no interest, no event");
	ok(loop_io_mod(loop, &r.io, LOOP_READ) == 0, "mod back to read");
	RUN_UNTIL(loop, r.calls > 1);
	ok(r.calls == 2, "readable again after mod");

	/* the writer goes away: hang-up */
	close(p[1]);
	RUN_UNTIL(loop, r.calls > 2);
	ok(r.calls > 2 && (r.last & LOOP_HUP) && (r.last & LOOP_READ),
	    "hang-up reported as HUP|READ (0x%x)", r.last);
	loop_io_del(loop, &r.io);
	int c = r.calls;
	loop_once(loop, 20);
	ok(r.calls == c, "deleted io gets nothing");
	close(p[0]);
	loop_free(loop);
}

TEST(core_loop_io_socketpair_write)
{
	struct loop *loop = loop_new();
	struct io_rec r;
	int sv[2];

	memset(&r, 0, sizeof(r));
	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0,
	    "socketpair");
	ok(loop_io_add(loop, &r.io, sv[0], LOOP_WRITE | LOOP_EDGE, on_io_rec,
	    &r) == 0, "add write, edge");
	RUN_UNTIL(loop, r.calls > 0);
	ok(r.calls == 1 && (r.last & LOOP_WRITE) && !(r.last & LOOP_READ),
	    "writable");
	loop_once(loop, 20);
	ok(r.calls == 1, "edge-triggered: reported once");
	/* read interest added: bytes from the peer are reported */
	ok(loop_io_mod(loop, &r.io, LOOP_READ | LOOP_WRITE | LOOP_EDGE) == 0,
	    "mod");
	ok(write(sv[1], "ping", 4) == 4, "peer writes");
	RUN_UNTIL(loop, r.last & LOOP_READ);
	ok(r.last & LOOP_READ, "read reported");
	loop_io_del(loop, &r.io);
	close(sv[0]);
	close(sv[1]);
	loop_free(loop);
}

static int sig_count, sig_last;

static void
on_sig(struct loop *loop, int signo, void *arg)
{
	sig_count++;
	sig_last = signo;
	if (arg)
		loop_stop(loop);
}

TEST(core_loop_signal)
{
	struct loop *loop = loop_new();

	sig_count = 0;
	ok(loop_signal(loop, SIGUSR2, on_sig, NULL) == 0, "loop_signal");
	ok(raise(SIGUSR2) == 0, "raise");
	RUN_UNTIL(loop, sig_count > 0);
	ok(sig_count == 1 && sig_last == SIGUSR2,
	    "SIGUSR2 delivered as an event");
	/* and again: the signalfd keeps working */
	kill(getpid(), SIGUSR2);
	RUN_UNTIL(loop, sig_count > 1);
	ok(sig_count == 2, "second signal");
	loop_free(loop);

	/* a second loop (a new worker) can take the signal over */
	loop = loop_new();
	ok(loop_signal(loop, SIGUSR2, on_sig, NULL) == 0, "second loop");
	ok(loop_signal(loop, SIGURG, on_sig, NULL) == 0, "two signals");
	raise(SIGURG);
	RUN_UNTIL(loop, sig_count > 2);
	ok(sig_count == 3 && sig_last == SIGURG, "second signal kind");
	loop_free(loop);
}

static void
on_stop_timer(struct loop *loop, struct timer *t, void *arg)
{
	loop_stop(loop);
}

TEST(core_loop_run_stop)
{
	struct loop *loop = loop_new();
	struct timer t;

	timer_init(&t, on_stop_timer, NULL);
	loop_timer_start(loop, &t, 30, 0);
	uint64_t t0 = now_ms();
	ok(loop_run(loop) == 0, "loop_run returns 0 after loop_stop");
	uint64_t took = now_ms() - t0;
	ok(took >= 25 && took < 1000, "ran until the timer (%llu ms)",
	    (unsigned long long)took);

	/* loop_once waits no longer than asked when nothing happens */
	t0 = now_ms();
	loop_once(loop, 30);
	took = now_ms() - t0;
	ok(took >= 25 && took < 500, "loop_once(30) waited %llu ms",
	    (unsigned long long)took);
	/* and no longer than the next timer */
	loop_timer_start(loop, &t, 20, 0);
	t0 = now_ms();
	loop_once(loop, 5000);
	took = now_ms() - t0;
	ok(took < 1000, "loop_once wakes for the timer (%llu ms)",
	    (unsigned long long)took);
	loop_free(loop);
}
