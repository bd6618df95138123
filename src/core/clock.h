/* clock.h - the monotonic clock, read directly. The loop caches its own
 * reading per batch (loop_now); these are for code that runs before a loop
 * exists or measures inside one pass (the parent's supervisor, dig's query
 * times, the access log's durations). */
#ifndef CAMADA_CLOCK_H
#define CAMADA_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000u;
}

#endif
