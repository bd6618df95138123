/* timer.c - the binary min-heap behind the loop's timers (see timer.h). */
#include <stdlib.h>

#include "core/timer.h"

void
timer_init(struct timer *t, timer_cb *cb, void *arg)
{
	t->when = 0;
	t->period = 0;
	t->idx = TIMER_IDLE;
	t->cb = cb;
	t->arg = arg;
}

static void
place(struct timer_heap *h, size_t i, struct timer *t)
{
	h->v[i] = t;
	t->idx = i;
}

static void
sift_up(struct timer_heap *h, size_t i)
{
	struct timer *t = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->v[parent]->when <= t->when)
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void
sift_down(struct timer_heap *h, size_t i)
{
	struct timer *t = h->v[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = t->when;
		if (l < h->n && h->v[l]->when < best) {
			m = l;
			best = h->v[l]->when;
		}
		if (r < h->n && h->v[r]->when < best)
			m = r;
		if (m == i)
			break;
		place(h, i, h->v[m]);
		i = m;
	}
	place(h, i, t);
}

int
timer_heap_push(struct timer_heap *h, struct timer *t)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct timer **v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	place(h, h->n++, t);
	sift_up(h, t->idx);
	return 0;
}

void
timer_heap_remove(struct timer_heap *h, struct timer *t)
{
	size_t i = t->idx;

	if (i == TIMER_IDLE || i >= h->n || h->v[i] != t)
		return;
	t->idx = TIMER_IDLE;
	h->n--;
	if (i == h->n)
		return;
	place(h, i, h->v[h->n]);
	timer_heap_update(h, h->v[i]);
}

void
timer_heap_update(struct timer_heap *h, struct timer *t)
{
	size_t i = t->idx;

	if (i > 0 && h->v[(i - 1) / 2]->when > t->when)
		sift_up(h, i);
	else
		sift_down(h, i);
}

void
timer_heap_free(struct timer_heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->idx = TIMER_IDLE;
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
