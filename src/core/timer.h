/* timer.h - one-shot and periodic timers kept in a binary min-heap, so that
 * start, stop and finding the next deadline are O(log n) or O(1) however many
 * connections hold a timer. A struct timer is embedded in its owner; the heap
 * holds pointers and each timer knows its own index, which makes cancel cheap.
 */
#ifndef CAMADA_TIMER_H
#define CAMADA_TIMER_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct timer;
typedef void timer_cb(struct loop *loop, struct timer *t, void *arg);

#define TIMER_IDLE ((size_t)-1)

struct timer {
	uint64_t when;   /* deadline, ms on the loop's monotonic clock */
	uint64_t period; /* 0: one-shot */
	size_t idx;      /* position in the heap, TIMER_IDLE when stopped */
	timer_cb *cb;
	void *arg;
};

struct timer_heap {
	struct timer **v;
	size_t n;
	size_t cap;
};

void timer_init(struct timer *t, timer_cb *cb, void *arg);
static inline int
timer_active(const struct timer *t)
{
	return t->idx != TIMER_IDLE;
}

/* Heap primitives (loop.c wraps them with the loop's clock). */
int timer_heap_push(struct timer_heap *h, struct timer *t);
void timer_heap_remove(struct timer_heap *h, struct timer *t);
/* Restores heap order after t->when changed. */
void timer_heap_update(struct timer_heap *h, struct timer *t);
static inline struct timer *
timer_heap_top(const struct timer_heap *h)
{
	return h->n ? h->v[0] : NULL;
}
void timer_heap_free(struct timer_heap *h);

#endif
