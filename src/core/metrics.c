/* metrics.c - see metrics.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/log.h"
#include "core/metrics.h"

struct metric {
	char name[96];
	char labels[160];
	const char *help;
	enum metric_type type;
	int slot;     /* first value slot */
	int nbounds;  /* histograms: buckets are slot..slot+nbounds-1, then
	               * +Inf count, then the sum (a double's bits) */
	double bounds[METRICS_MAX_BUCKETS];
	metric_read_cb *read; /* metric_shared: the value, not a slot sum */
	void *read_arg;
};

#define METRICS_MAX 512

static struct metric reg[METRICS_MAX];
static int nreg;
static int nslots;
static int nworkers_;
static uint64_t *shm;     /* nworkers_ * METRICS_MAX_SLOTS values */
static uint64_t *mine;    /* this process's slot row */

int
metrics_init(int nworkers)
{
	size_t len;

	if (nworkers < 1 || nworkers > METRICS_MAX_WORKERS)
		return -1;
	len = (size_t)nworkers * METRICS_MAX_SLOTS * sizeof(uint64_t);
	if (shm)
		munmap(shm, (size_t)nworkers_ * METRICS_MAX_SLOTS * sizeof(uint64_t));
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (shm == MAP_FAILED) {
		shm = NULL;
		return -1;
	}
	nworkers_ = nworkers;
	mine = shm;
	return 0;
}

void
metrics_set_worker(int idx)
{
	if (shm && idx >= 0 && idx < nworkers_)
		mine = shm + (size_t)idx * METRICS_MAX_SLOTS;
}

void
metrics_reset_gauges(int idx)
{
	if (!shm || idx < 0 || idx >= nworkers_)
		return;
	uint64_t *row = shm + (size_t)idx * METRICS_MAX_SLOTS;
	for (int i = 0; i < nreg; i++)
		if (reg[i].type == METRIC_GAUGE)
			row[reg[i].slot] = 0;
}

static int
metric_register(const char *name, const char *labels, const char *help,
    enum metric_type type, const double *bounds, int nbounds)
{
	int need = type == METRIC_HISTOGRAM ? nbounds + 2 : 1;

	if (labels == NULL)
		labels = "";
	for (int i = 0; i < nreg; i++)
		if (strcmp(reg[i].name, name) == 0 &&
		    strcmp(reg[i].labels, labels) == 0)
			return reg[i].type == type ? i : -1;
	if (nreg == METRICS_MAX || nslots + need > METRICS_MAX_SLOTS ||
	    nbounds > METRICS_MAX_BUCKETS || strlen(name) >= sizeof(reg[0].name) ||
	    strlen(labels) >= sizeof(reg[0].labels))
		return -1;
	struct metric *m = &reg[nreg];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->labels, sizeof(m->labels), "%s", labels);
	m->help = help;
	m->type = type;
	m->slot = nslots;
	m->nbounds = nbounds;
	for (int i = 0; i < nbounds; i++)
		m->bounds[i] = bounds[i];
	nslots += need;
	return nreg++;
}

int
metric_counter(const char *name, const char *labels, const char *help)
{
	return metric_register(name, labels, help, METRIC_COUNTER, NULL, 0);
}

int
metric_shared(enum metric_type type, const char *name, const char *labels,
    const char *help, metric_read_cb *read, void *arg)
{
	int id;

	if (type == METRIC_HISTOGRAM || read == NULL)
		return -1;
	id = metric_register(name, labels, help, type, NULL, 0);
	if (id >= 0 && reg[id].read == NULL) {
		reg[id].read = read;
		reg[id].read_arg = arg;
	}
	return id;
}

int
metric_gauge(const char *name, const char *labels, const char *help)
{
	return metric_register(name, labels, help, METRIC_GAUGE, NULL, 0);
}

int
metric_histogram(const char *name, const char *labels, const char *help,
    const double *bounds, int nbounds)
{
	return metric_register(name, labels, help, METRIC_HISTOGRAM, bounds,
	    nbounds);
}

void
metric_add(int id, uint64_t v)
{
	if (mine && id >= 0 && id < nreg && !reg[id].read)
		mine[reg[id].slot] += v;
}

void
metric_gauge_add(int id, int64_t v)
{
	if (mine && id >= 0 && id < nreg && !reg[id].read)
		mine[reg[id].slot] += (uint64_t)v;
}

void
metric_gauge_set(int id, int64_t v)
{
	if (mine && id >= 0 && id < nreg && !reg[id].read)
		mine[reg[id].slot] = (uint64_t)v;
}

void
metric_observe(int id, double v)
{
	struct metric *m;
	double sum;
	int i;

	if (!mine || id < 0 || id >= nreg || reg[id].type != METRIC_HISTOGRAM)
		return;
	m = &reg[id];
	for (i = 0; i < m->nbounds && v > m->bounds[i]; i++)
		;
	mine[m->slot + i]++; /* i == nbounds: the +Inf bucket */
	memcpy(&sum, &mine[m->slot + m->nbounds + 1], sizeof(sum));
	sum += v;
	memcpy(&mine[m->slot + m->nbounds + 1], &sum, sizeof(sum));
}

static uint64_t
sum_slot(int slot)
{
	uint64_t s = 0;

	for (int w = 0; w < nworkers_; w++)
		s += shm[(size_t)w * METRICS_MAX_SLOTS + (size_t)slot];
	return s;
}

/* A counter's or gauge's value: its reader's, or the workers' sum. */
static int64_t
value_of(const struct metric *m)
{
	if (m->read)
		return m->read(m->read_arg);
	return (int64_t)sum_slot(m->slot);
}

static double
sum_double(int slot)
{
	double s = 0, v;

	for (int w = 0; w < nworkers_; w++) {
		memcpy(&v, &shm[(size_t)w * METRICS_MAX_SLOTS + (size_t)slot],
		    sizeof(v));
		s += v;
	}
	return s;
}

int64_t
metric_value(int id)
{
	if (!shm || id < 0 || id >= nreg)
		return 0;
	return value_of(&reg[id]);
}

static const char *
type_name(enum metric_type t)
{
	return t == METRIC_COUNTER ? "counter" :
	    t == METRIC_GAUGE ? "gauge" : "histogram";
}

/* name{labels,extra} with the braces only when something is inside */
static int
put_series(struct buf *out, const char *name, const char *suffix,
    const char *labels, const char *extra)
{
	int has = labels[0] || extra[0];

	return buf_printf(out, "%s%s%s%s%s%s%s", name, suffix, has ? "{" : "",
	    labels, labels[0] && extra[0] ? "," : "", extra, has ? "}" : "");
}

/* One series: a value, or a histogram's buckets, _sum and _count. */
static int
render_series(struct buf *out, const struct metric *m)
{
	char extra[64];

	if (m->type != METRIC_HISTOGRAM) {
		int64_t v = value_of(m);
		if (put_series(out, m->name, "", m->labels, "") < 0 ||
		    buf_printf(out, " %lld\n", (long long)v) < 0)
			return -1;
		return 0;
	}
	uint64_t cum = 0;
	for (int b = 0; b <= m->nbounds; b++) {
		cum += sum_slot(m->slot + b);
		if (b < m->nbounds)
			snprintf(extra, sizeof(extra), "le=\"%g\"", m->bounds[b]);
		else
			snprintf(extra, sizeof(extra), "le=\"+Inf\"");
		if (put_series(out, m->name, "_bucket", m->labels, extra) < 0 ||
		    buf_printf(out, " %llu\n", (unsigned long long)cum) < 0)
			return -1;
	}
	if (put_series(out, m->name, "_sum", m->labels, "") < 0 ||
	    buf_printf(out, " %.6f\n", sum_double(m->slot + m->nbounds + 1)) < 0 ||
	    put_series(out, m->name, "_count", m->labels, "") < 0 ||
	    buf_printf(out, " %llu\n", (unsigned long long)cum) < 0)
		return -1;
	return 0;
}

int
metrics_render(struct buf *out)
{
	if (!shm)
		return 0;
	/* The format wants every series of a name in one group under one
	 * HELP/TYPE, so series registered apart are gathered at the first. */
	for (int i = 0; i < nreg; i++) {
		struct metric *m = &reg[i];
		int first = 1;
		for (int j = 0; j < i; j++)
			if (strcmp(reg[j].name, m->name) == 0)
				first = 0;
		if (!first)
			continue;
		if (buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name,
		    m->help ? m->help : m->name, m->name, type_name(m->type)) < 0)
			return -1;
		for (int j = i; j < nreg; j++)
			if (strcmp(reg[j].name, m->name) == 0 &&
			    render_series(out, &reg[j]) < 0)
				return -1;
	}
	return 0;
}

/* What the summary shows of m: a counter's or gauge's value, a
 * histogram's count. */
static int64_t
summary_value(const struct metric *m)
{
	uint64_t v = 0;

	if (m->type != METRIC_HISTOGRAM)
		return value_of(m);
	for (int b = 0; b <= m->nbounds; b++)
		v += sum_slot(m->slot + b);
	return (int64_t)v;
}

int
metrics_summary(struct buf *out)
{
	if (!shm)
		return 0;
	for (int i = 0; i < nreg; i++) {
		struct metric *m = &reg[i];
		int64_t v = summary_value(m);
		if (v == 0)
			continue;
		if (put_series(out, m->name, m->type == METRIC_HISTOGRAM ?
		    "_count" : "", m->labels, "") < 0 ||
		    buf_printf(out, " %lld\n", (long long)v) < 0)
			return -1;
	}
	return 0;
}

int
metrics_summary_json(struct buf *out)
{
	size_t start = out->len;
	struct buf key;
	int first = 1, rc = -1;

	/* the series' text as metrics_summary writes it, then escaped: label
	 * values are quoted */
	buf_init(&key, sizeof(reg[0].name) + sizeof(reg[0].labels) + 16);
	if (buf_append_str(out, "{") < 0)
		goto out;
	for (int i = 0; shm && i < nreg; i++) {
		struct metric *m = &reg[i];
		int64_t v = summary_value(m);
		if (v == 0)
			continue;
		buf_reset(&key);
		if (put_series(&key, m->name, m->type == METRIC_HISTOGRAM ?
		    "_count" : "", m->labels, "") < 0 ||
		    buf_append_str(out, first ? "\"" : ",\"") < 0 ||
		    log_json_escape(out, (const char *)buf_data(&key),
		    key.len) < 0 ||
		    buf_printf(out, "\":%lld", (long long)v) < 0)
			goto out;
		first = 0;
	}
	if (buf_append_str(out, "}") < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		out->len = start;
	buf_free(&key);
	return rc;
}
