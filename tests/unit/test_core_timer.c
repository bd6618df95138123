/* test_core_timer.c - the timer min-heap: random push/remove/update keep heap
 * order and each timer's idx, pops come out sorted, 10k timers. */
#include <stdlib.h>
#include <string.h>

#include "core/timer.h"
#include "test.h"

/* Heap order and back-pointers, checked in full. */
static int
heap_ok(const struct timer_heap *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->v[i]->idx != i)
			return 0;
		if (i > 0 && h->v[(i - 1) / 2]->when > h->v[i]->when)
			return 0;
	}
	return 1;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Pops everything; returns 1 when the deadlines came out in order. */
static int
drain_sorted(struct timer_heap *h, size_t *count)
{
	uint64_t last = 0;
	int sorted = 1;
	struct timer *t;

	*count = 0;
	while ((t = timer_heap_top(h)) != NULL) {
		if (t->when < last)
			sorted = 0;
		last = t->when;
		timer_heap_remove(h, t);
		if (t->idx != TIMER_IDLE)
			sorted = 0;
		(*count)++;
	}
	return sorted;
}

TEST(core_timer_basic)
{
	struct timer_heap h = { 0 };
	struct timer a, b, c;

	timer_init(&a, NULL, NULL);
	timer_init(&b, NULL, NULL);
	timer_init(&c, NULL, NULL);
	ok(!timer_active(&a), "new timer idle");
	ok(timer_heap_top(&h) == NULL, "empty heap has no top");
	a.when = 30;
	b.when = 10;
	c.when = 20;
	ok(timer_heap_push(&h, &a) == 0, "push a");
	ok(timer_heap_push(&h, &b) == 0, "push b");
	ok(timer_heap_push(&h, &c) == 0, "push c");
	ok(timer_active(&a) && timer_active(&b), "pushed timers active");
	ok(timer_heap_top(&h) == &b, "top is the earliest");
	/* update: a becomes the earliest */
	a.when = 5;
	timer_heap_update(&h, &a);
	ok(timer_heap_top(&h) == &a, "update moves a to the top");
	/* and later again */
	a.when = 100;
	timer_heap_update(&h, &a);
	ok(timer_heap_top(&h) == &b, "update moves a down");
	ok(heap_ok(&h), "heap order");
	timer_heap_remove(&h, &c);
	ok(!timer_active(&c) && h.n == 2, "remove c");
	timer_heap_remove(&h, &c);
	ok(h.n == 2, "removing an idle timer is a no-op");
	timer_heap_free(&h);
	ok(!timer_active(&a) && !timer_active(&b), "free makes timers idle");
	ok(h.n == 0 && h.v == NULL, "free empties");
}

TEST(core_timer_equal_deadlines)
{
	struct timer_heap h = { 0 };
	struct timer t[50];
	size_t n;

	for (int i = 0; i < 50; i++) {
		timer_init(&t[i], NULL, NULL);
		t[i].when = (uint64_t)(i % 3);
		ok(timer_heap_push(&h, &t[i]) == 0, "push");
	}
	ok(heap_ok(&h), "heap with ties");
	int sorted = drain_sorted(&h, &n);
	ok(sorted && n == 50, "ties pop sorted");
	timer_heap_free(&h);
}

TEST(core_timer_remove_middle)
{
	struct timer_heap h = { 0 };
	struct timer t[15];
	size_t n;

	/* A full heap of 15: removing an inner node must refill it from the
	 * last leaf, which may then need to move up or down. */
	for (int i = 0; i < 15; i++) {
		timer_init(&t[i], NULL, NULL);
		t[i].when = (uint64_t)(i * 10);
		timer_heap_push(&h, &t[i]);
	}
	struct timer *mid = h.v[4];
	timer_heap_remove(&h, mid);
	ok(!timer_active(mid), "middle removed");
	ok(h.n == 14 && heap_ok(&h), "heap order after a middle remove");
	/* The last leaf smaller than the removed node's parent: sift up. */
	timer_heap_push(&h, mid);
	struct timer *leaf = h.v[h.n - 1];
	leaf->when = 1; /* smaller than nearly all */
	timer_heap_update(&h, leaf);
	ok(heap_ok(&h), "order after update to small");
	timer_heap_remove(&h, h.v[2]);
	ok(heap_ok(&h), "order after removing node 2");
	timer_heap_remove(&h, h.v[h.n - 1]);
	ok(heap_ok(&h), "order after removing the last");
	ok(h.n == 13, "13 left");
	int sorted = drain_sorted(&h, &n);
	ok(sorted && n == 13, "pops sorted (%zu)", n);
	timer_heap_free(&h);
}

TEST(core_timer_random_ops)
{
	enum { N = 2000 };
	static struct timer t[N];
	struct timer_heap h = { 0 };
	size_t active = 0, n;
	int bad = 0;

	for (int i = 0; i < N; i++)
		timer_init(&t[i], NULL, NULL);
	for (int step = 0; step < 100000; step++) {
		struct timer *x = &t[rng() % N];
		switch (rng() % 3) {
		case 0: /* start or move */
			x->when = rng() % 5000;
			if (timer_active(x)) {
				timer_heap_update(&h, x);
			} else {
				timer_heap_push(&h, x);
				active++;
			}
			break;
		case 1:
			if (timer_active(x))
				active--;
			timer_heap_remove(&h, x);
			break;
		case 2: /* pop the top, as the loop does */
			if (h.n) {
				timer_heap_remove(&h, timer_heap_top(&h));
				active--;
			}
			break;
		}
		if (h.n != active || (step % 97 == 0 && !heap_ok(&h))) {
			bad++;
			break;
		}
	}
	ok(!bad, "random ops keep the heap valid");
	ok(heap_ok(&h), "final heap order");
	int sorted = drain_sorted(&h, &n);
	ok(sorted && n == active, "pop order sorted, %zu timers", n);
	timer_heap_free(&h);
}

TEST(core_timer_10k)
{
	enum { N = 10000 };
	struct timer *t = calloc(N, sizeof(*t));
	struct timer_heap h = { 0 };
	size_t n;

	for (int i = 0; i < N; i++) {
		timer_init(&t[i], NULL, NULL);
		t[i].when = rng() % 1000000;
		if (timer_heap_push(&h, &t[i]) != 0) {
			ok(0, "push %d", i);
			break;
		}
	}
	ok(h.n == N && heap_ok(&h), "10k pushed in order");
	/* remove every third, update every fifth */
	for (int i = 0; i < N; i += 3)
		timer_heap_remove(&h, &t[i]);
	for (int i = 1; i < N; i += 5) {
		if (!timer_active(&t[i]))
			continue;
		t[i].when = rng() % 1000000;
		timer_heap_update(&h, &t[i]);
	}
	ok(heap_ok(&h), "order after removes and updates");
	size_t expect = h.n;
	int sorted = drain_sorted(&h, &n);
	ok(sorted && n == expect, "10k pop sorted (%zu)", n);
	timer_heap_free(&h);
	free(t);
}
