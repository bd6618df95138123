/* metrics.h - one registry of counters, gauges and histograms for every
 * system. Metrics are registered in the parent before the workers fork; each
 * worker then adds into its own slot of a shared memory region (no locks: one
 * writer per slot), and whoever renders sums the slots. Rendering gives the
 * Prometheus text exposition format.
 */
#ifndef CAMADA_METRICS_H
#define CAMADA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define METRICS_MAX_SLOTS 2048
#define METRICS_MAX_WORKERS 64
#define METRICS_MAX_BUCKETS 16

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* Sets up the shared region for nworkers slots. Call once, before fork.
 * Without it, every update is a no-op (client commands). */
int metrics_init(int nworkers);
/* Which slot this process writes: 0..nworkers-1. */
void metrics_set_worker(int idx);
/* Zeroes a slot's gauges (a worker died: its connections are gone). */
void metrics_reset_gauges(int idx);

/* Registration; labels is "" or 'method="GET",code="2xx"'. Returns an id, or
 * -1 when the registry is full or registration is closed. Registering the
 * same name and labels twice returns the same id. */
int metric_counter(const char *name, const char *labels, const char *help);
int metric_gauge(const char *name, const char *labels, const char *help);
/* bounds: the upper bounds of the buckets, ascending (seconds for latency). */
int metric_histogram(const char *name, const char *labels, const char *help,
    const double *bounds, int nbounds);

/* A figure that belongs to no one worker (a cache all workers share): its
 * value is read(arg) at the moment it is rendered or summed, in whichever
 * process does it, instead of the sum of the workers' slots. type is
 * METRIC_COUNTER or METRIC_GAUGE; read must be safe in the parent too and
 * must not block; arg must outlive the registry's last rendering (point at
 * something static that clears itself when the owner goes). Updates to such
 * an id are no-ops. Returns an id as metric_counter does. */
typedef int64_t metric_read_cb(void *arg);
int metric_shared(enum metric_type type, const char *name, const char *labels,
    const char *help, metric_read_cb *read, void *arg);

void metric_add(int id, uint64_t v);
static inline void
metric_inc(int id)
{
	metric_add(id, 1);
}
void metric_gauge_add(int id, int64_t v);
void metric_gauge_set(int id, int64_t v);
void metric_observe(int id, double v);

/* Sum of one counter or gauge over all workers (for tests and summaries). */
int64_t metric_value(int id);

/* Appends the whole registry in the Prometheus text format. */
int metrics_render(struct buf *out);
/* A short human summary: one "name{labels} value" line per non-zero metric
 * (a histogram's is its _count). */
int metrics_summary(struct buf *out);
/* The same summary as one JSON object, {"name{labels}":value,...}: each
 * key the series as metrics_summary writes it (so "dns_queries_total{
 * transport=\"udp\",rcode=\"NOERROR\"}"), "{}" when every metric is zero or
 * before metrics_init. Returns 0, or -1 when out would pass its max (out
 * keeps what it had). */
int metrics_summary_json(struct buf *out) BUF_WUR;

#endif
