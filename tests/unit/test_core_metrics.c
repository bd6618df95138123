/* test_core_metrics.c - the metrics registry: registration, per-worker slots
 * summed (also across a real fork), and Prometheus text output checked line
 * by line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/metrics.h"
#include "test.h"

TEST(core_metrics_register)
{
	int a = metric_counter("t_core_reg_total", "", "help a");
	int b = metric_counter("t_core_reg_total", "", "help again");
	int c = metric_counter("t_core_reg_total", "k=\"v\"", "help a");
	int g = metric_gauge("t_core_reg_open", NULL, "open things");
	double bounds[] = { 0.1, 1 };
	int h = metric_histogram("t_core_reg_seconds", "", "latency", bounds, 2);
	int h2 = metric_histogram("t_core_reg_seconds", "", "latency", bounds, 2);

	ok(a >= 0, "counter registered");
	ok(b == a, "same name and labels, same id");
	ok(c >= 0 && c != a, "other labels, other id");
	ok(g >= 0 && g != a && g != c, "gauge");
	ok(h >= 0 && h2 == h, "histogram, same id again");
	ok(metric_gauge("t_core_reg_total", "", "x") == -1,
	    "same name and labels with another type refused");
	char longname[200];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(metric_counter(longname, "", "x") == -1, "over-long name refused");
	double many[METRICS_MAX_BUCKETS + 1];
	for (int i = 0; i <= METRICS_MAX_BUCKETS; i++)
		many[i] = i;
	ok(metric_histogram("t_core_reg_many", "", "x", many,
	    METRICS_MAX_BUCKETS + 1) == -1, "too many buckets refused");
}

TEST(core_metrics_workers_summed)
{
	int c = metric_counter("t_core_sum_total", "", "a counter");
	int g = metric_gauge("t_core_sum_open", "", "a gauge");

	ok(metrics_init(2) == 0, "metrics_init(2)");
	metrics_set_worker(0);
	metric_add(c, 5);
	metric_inc(c);
	metric_gauge_add(g, 3);
	metrics_set_worker(1);
	metric_add(c, 10);
	metric_gauge_add(g, -1);
	metric_gauge_add(g, 2);
	ok(metric_value(c) == 16, "counter summed over workers (%lld)",
	    (long long)metric_value(c));
	ok(metric_value(g) == 4, "gauge summed, negative steps too (%lld)",
	    (long long)metric_value(g));
	metric_gauge_set(g, 7);
	ok(metric_value(g) == 10, "set replaces this worker's value only");

	/* a worker died: its gauges go, its counters stay */
	metrics_reset_gauges(1);
	ok(metric_value(g) == 3, "reset_gauges(1) drops worker 1's gauge (%lld)",
	    (long long)metric_value(g));
	ok(metric_value(c) == 16, "counters untouched");
	metrics_reset_gauges(7); /* out of range: no-op */
	metrics_set_worker(5);   /* out of range: stays on worker 1 */
	metric_inc(c);
	ok(metric_value(c) == 17, "bad worker index ignored");
	metric_add(-1, 1);
	metric_add(100000, 1);
	ok(1, "bad ids ignored");

	/* a real worker process writing into the shared region */
	metrics_set_worker(0);
	pid_t pid = fork();
	if (pid == 0) {
		metrics_set_worker(1);
		metric_add(c, 1000);
		_exit(0);
	}
	int st;
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "child ran");
	ok(metric_value(c) == 1017, "child's adds seen by the parent (%lld)",
	    (long long)metric_value(c));
	ok(metrics_init(2) == 0, "re-init");
	ok(metric_value(c) == 0, "re-init starts from zero");
}

/* --- a checker for the Prometheus text format --- */

struct family {
	char name[128];
	char type[16];
	int help, typed, samples;
	int closed; /* another family came after it */
};

struct prom {
	struct family f[64];
	int nf;
	struct family *cur;
	int in_buckets, saw_inf;
	double bucket; /* the last bucket count of the series being read */
};

#define BAD(...) (snprintf(why, whylen, __VA_ARGS__), why)

static struct family *
prom_family(struct prom *pr, const char *name)
{
	for (int i = 0; i < pr->nf; i++)
		if (strcmp(pr->f[i].name, name) == 0)
			return &pr->f[i];
	if (pr->nf == 64)
		abort();
	struct family *f = &pr->f[pr->nf++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

/* The family a sample belongs to: its name, without _bucket, _sum or
 * _count when the base name is a histogram. */
static struct family *
prom_sample_family(struct prom *pr, const char *line)
{
	static const char *const suf[] = { "_bucket", "_sum", "_count" };
	char name[128];
	size_t k = strcspn(line, "{ ");

	snprintf(name, sizeof(name), "%.*s", (int)k, line);
	for (int i = 0; i < 3; i++) {
		size_t sl = strlen(suf[i]);
		if (k <= sl || strcmp(name + k - sl, suf[i]) != 0)
			continue;
		name[k - sl] = '\0';
		struct family *f = prom_family(pr, name);
		if (strcmp(f->type, "histogram") == 0)
			return f;
		name[k - sl] = suf[i][0];
	}
	return prom_family(pr, name);
}

/* Switches the current family; the one left may not come back. */
static void
prom_enter(struct prom *pr, struct family *f)
{
	if (pr->cur && pr->cur != f)
		pr->cur->closed = 1;
	pr->cur = f;
}

static const char *
prom_line(struct prom *pr, const char *line, char *why, size_t whylen)
{
	char name[128];

	if (strncmp(line, "# HELP ", 7) == 0 ||
	    strncmp(line, "# TYPE ", 7) == 0) {
		int help = line[2] == 'H';
		sscanf(line + 7, "%127s", name);
		struct family *f = prom_family(pr, name);
		if (f->closed || (help ? f->help : f->typed))
			return BAD("%s repeated for %s", line + 2, name);
		if (f->samples)
			return BAD("%s after the samples of %s", line + 2, name);
		if (help)
			f->help = 1;
		else if (sscanf(line + 7 + strlen(name), "%15s", f->type) == 1)
			f->typed = 1;
		prom_enter(pr, f);
		return NULL;
	}
	if (line[0] == '#')
		return NULL;
	struct family *f = prom_sample_family(pr, line);
	if (!f->typed)
		return BAD("sample before TYPE: %s", line);
	if (f->closed)
		return BAD("samples of %s not together: %s", f->name, line);
	prom_enter(pr, f);
	f->samples++;
	const char *sp = strrchr(line, ' ');
	char *end;
	double v = sp ? strtod(sp + 1, &end) : NAN;
	if (!sp || *end != '\0' || isnan(v))
		return BAD("bad value: %s", line);
	if (strcmp(f->type, "histogram") != 0)
		return NULL;
	const char *le = strstr(line, "le=\"");
	if (le && le < sp) {
		if (!pr->in_buckets) {
			pr->in_buckets = 1;
			pr->saw_inf = 0;
			pr->bucket = -1;
		}
		if (v < pr->bucket)
			return BAD("buckets not cumulative: %s", line);
		pr->bucket = v;
		pr->saw_inf |= strncmp(le, "le=\"+Inf\"", 9) == 0;
		return NULL;
	}
	if (pr->in_buckets && !pr->saw_inf)
		return BAD("no +Inf bucket before %s", line);
	pr->in_buckets = 0;
	if (strstr(line, "_count") && v != pr->bucket)
		return BAD("_count %g is not the +Inf bucket %g", v, pr->bucket);
	return NULL;
}

/* Returns NULL when text is valid exposition format, else why not. */
static const char *
prom_check(const char *text, char *why, size_t whylen)
{
	static struct prom pr;
	char line[512];
	const char *bad;

	memset(&pr, 0, sizeof(pr));
	for (const char *p = text, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return BAD("no LF at the end");
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if ((bad = prom_line(&pr, line, why, whylen)) != NULL)
			return bad;
	}
	for (int i = 0; i < pr.nf; i++)
		if (!pr.f[i].help || !pr.f[i].typed)
			return BAD("%s lacks HELP or TYPE", pr.f[i].name);
	return NULL;
}

static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

TEST(core_metrics_render)
{
	double bounds[] = { 0.005, 0.1, 1 };
	int c1 = metric_counter("t_core_req_total", "method=\"GET\"",
	    "requests");
	int c2 = metric_counter("t_core_req_total", "method=\"POST\"",
	    "requests");
	int g = metric_gauge("t_core_open", "", "open connections");
	int h = metric_histogram("t_core_latency_seconds", "", "latency",
	    bounds, 3);
	int hl = metric_histogram("t_core_lat2_seconds", "sys=\"echo\"",
	    "latency with labels", bounds, 3);
	struct buf out;
	char why[256];

	ok(metrics_init(2) == 0, "init");
	metrics_set_worker(0);
	metric_add(c1, 3);
	metric_add(c2, 1);
	metric_gauge_set(g, 2);
	metric_observe(h, 0.001); /* first bucket */
	metric_observe(h, 0.5);   /* third */
	metrics_set_worker(1);
	metric_add(c1, 4);
	metric_observe(h, 0.005); /* le is inclusive: first bucket */
	metric_observe(h, 7);     /* +Inf only */
	metric_observe(hl, 0.2);

	buf_init(&out, 1 << 20);
	ok(metrics_render(&out) == 0, "render");
	if (buf_append(&out, "", 1) != 0) /* NUL for the string checks */
		abort();
	const char *t = (const char *)buf_data(&out);
	const char *bad = prom_check(t, why, sizeof(why));
	ok(bad == NULL, "valid exposition format: %s", bad ? bad : "");
	if (bad)
		fprintf(stderr, "%s", t);
	ok(strstr(t, "t_core_req_total{method=\"GET\"} 7\n") != NULL,
	    "counter summed over workers");
	ok(strstr(t, "t_core_req_total{method=\"POST\"} 1\n") != NULL,
	    "second series");
	ok(count_str(t, "# TYPE t_core_req_total counter\n") == 1 &&
	    count_str(t, "# HELP t_core_req_total ") == 1, "HELP/TYPE once");
	ok(strstr(t, "# TYPE t_core_open gauge\nt_core_open 2\n") != NULL,
	    "gauge without labels has no braces");
	ok(strstr(t, "# TYPE t_core_latency_seconds histogram\n") != NULL,
	    "histogram type");
	ok(strstr(t, "t_core_latency_seconds_bucket{le=\"0.005\"} 2\n"
	    "t_core_latency_seconds_bucket{le=\"0.1\"} 2\n"
	    "t_core_latency_seconds_bucket{le=\"1\"} 3\n"
	    "t_core_latency_seconds_bucket{le=\"+Inf\"} 4\n"
	    "t_core_latency_seconds_sum 7.506000\n"
	    "t_core_latency_seconds_count 4\n") != NULL,
	    "cumulative buckets, +Inf, _sum, _count");
	ok(strstr(t, "t_core_lat2_seconds_bucket{sys=\"echo\",le=\"0.1\"} 0\n"
	    "t_core_lat2_seconds_bucket{sys=\"echo\",le=\"1\"} 1\n") != NULL,
	    "labels then le");
	ok(strstr(t, "t_core_lat2_seconds_sum{sys=\"echo\"} 0.200000\n") &&
	    strstr(t, "t_core_lat2_seconds_count{sys=\"echo\"} 1\n"),
	    "labelled _sum and _count");
	buf_free(&out);

	/* summary: non-zero only */
	buf_init(&out, 1 << 20);
	ok(metrics_summary(&out) == 0, "summary");
	if (buf_append(&out, "", 1) != 0)
		abort();
	t = (const char *)buf_data(&out);
	ok(strstr(t, "t_core_req_total{method=\"GET\"} 7\n") != NULL &&
	    strstr(t, "t_core_latency_seconds_count 4\n") != NULL,
	    "summary lines");
	ok(strstr(t, "t_core_sum_open") == NULL, "zero metrics left out");
	buf_free(&out);
}

static int
has(const char *t, size_t n, const char *s)
{
	return memmem(t, n, s, strlen(s)) != NULL;
}

TEST(core_metrics_summary_json)
{
	double bounds[] = { 0.1, 1 };
	int a = metric_counter("t_core_sj_total", "code=\"2xx\"", "by code");
	int z = metric_counter("t_core_sj_zero_total", "", "stays zero");
	int h = metric_histogram("t_core_sj_seconds", "", "latency", bounds, 2);
	struct buf out;

	ok(a >= 0 && z >= 0 && h >= 0, "registered");
	ok(metrics_init(2) == 0, "init");
	metrics_set_worker(0);
	metric_add(a, 2);
	metric_observe(h, 0.5);
	metrics_set_worker(1);
	metric_add(a, 3);
	metric_observe(h, 5);

	buf_init(&out, 1 << 20);
	if (buf_append_str(&out, "x") < 0) /* appends after what is there */
		abort();
	ok(metrics_summary_json(&out) == 0, "summary");
	const char *t = (const char *)buf_data(&out) + 1;
	size_t n = out.len - 1;
	ok(test_json_valid(t, n), "one JSON value: %.*s", (int)n, t);
	ok(n >= 2 && t[0] == '{' && t[n - 1] == '}', "an object");
	ok(has(t, n, "\"t_core_sj_total{code=\\\"2xx\\\"}\":5"),
	    "labelled counter, summed, quotes escaped");
	ok(has(t, n, "\"t_core_sj_seconds_count\":2"),
	    "histogram: its count");
	ok(!has(t, n, "t_core_sj_zero_total"), "zeros left out");
	buf_free(&out);

	buf_init(&out, 16);
	if (buf_append_str(&out, "keep") < 0)
		abort();
	ok(metrics_summary_json(&out) == -1 && out.len == 4 &&
	    memcmp(buf_data(&out), "keep", 4) == 0,
	    "too small: -1, the buffer as it was");
	buf_free(&out);
}

TEST(core_metrics_render_interleaved)
{
	/* Labelled series of one name registered apart (as lazily
	 * registered per-code counters are): the exposition format wants
	 * all samples of a family in one group under one HELP/TYPE. */
	int a = metric_counter("t_core_il_total", "code=\"2xx\"", "by code");
	int b = metric_gauge("t_core_il_other", "", "in between");
	int c = metric_counter("t_core_il_total", "code=\"5xx\"", "by code");
	struct buf out;
	char why[256];

	ok(metrics_init(1) == 0, "init");
	metric_add(a, 1);
	metric_gauge_set(b, 1);
	metric_add(c, 2);
	buf_init(&out, 1 << 20);
	ok(metrics_render(&out) == 0, "render");
	if (buf_append(&out, "", 1) != 0)
		abort();
	const char *t = (const char *)buf_data(&out);
	const char *bad = prom_check(t, why, sizeof(why));
	ok(bad == NULL, "valid exposition format: %s", bad ? bad : "");
	ok(strstr(t, "t_core_il_total{code=\"2xx\"} 1\n"
	    "t_core_il_total{code=\"5xx\"} 2\n") != NULL,
	    "series of one name together");
	buf_free(&out);
}

TEST(core_metrics_no_init)
{
	/* a process without metrics_init (a client command) */
	struct buf out;

	buf_init(&out, 1024);
	ok(metrics_render(&out) == 0, "render is fine");
	buf_free(&out);
}

TEST(core_metrics_checker_itself)
{
	/* the checker above must catch what it is there to catch */
	static const char *bad[] = {
		"# HELP a x\n# TYPE a counter\na 1\n# HELP b y\n# TYPE b gauge\n"
		"b 1\na{k=\"v\"} 2\n",
		"# HELP a x\n# TYPE a counter\n# TYPE a counter\na 1\n",
		"a 1\n",
		"# HELP a x\n# TYPE a counter\na one\n",
		"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
		"h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\n"
		"h_count 2\n",
		"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
		"h_sum 1\nh_count 3\n",
	};
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(prom_check(bad[i], why, sizeof(why)) != NULL,
		    "bad exposition %zu rejected", i);
	ok(prom_check("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
	    "h_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n", why,
	    sizeof(why)) == NULL, "a good histogram passes");
}

static int64_t shared_value;

static int64_t
read_shared(void *arg)
{
	return *(int64_t *)arg;
}

TEST(core_metrics_shared)
{
	int g = metric_shared(METRIC_GAUGE, "t_core_shared_entries", "",
	    "a figure of something all workers share", read_shared,
	    &shared_value);
	struct buf out;

	ok(g >= 0, "registered");
	ok(metric_shared(METRIC_HISTOGRAM, "t_core_shared_h", "", "x",
	    read_shared, &shared_value) == -1 && metric_shared(METRIC_GAUGE,
	    "t_core_shared_n", "", "x", NULL, NULL) == -1,
	    "no histogram, no NULL reader");
	ok(metrics_init(2) == 0, "two workers");
	shared_value = 42;
	metrics_set_worker(0);
	metric_gauge_set(g, 5);
	metrics_set_worker(1);
	metric_gauge_add(g, 5);
	ok(metric_value(g) == 42, "the reader's value, not a sum over workers "
	    "(%lld)", (long long)metric_value(g));
	buf_init(&out, 1 << 20);
	ok(metrics_render(&out) == 0 && memmem(buf_data(&out), out.len,
	    "\nt_core_shared_entries 42\n", 26) != NULL, "rendered once");
	buf_free(&out);
	metrics_set_worker(0);
}
