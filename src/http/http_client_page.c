/* http_client_page.c - "camada get --page URL": fetches a base HTML file and
 * every object it references, the way a browser does, and prints per object its
 * status, size and times. Persistent connections (one per host, or N with
 * --parallel N, each a lane of its own on the one loop), optional
 * pipelining, or with --no-keepalive a new connection per object: the
 * textbook's comparison of persistent and non-persistent HTTP, measured.
 * A page with https objects gets one more column, the TLS handshake: the
 * book's picture with one more round trip (two with TLS 1.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_client_int.h"

#define PAGE_BODY_MAX (16u << 20)	/* HTML scanned, at most */
#define PAGE_OBJ_MAX 1000

struct page_obj {
	char *url;			/* absolute, as resolved */
	struct hc_xfer *x;		/* NULL when skipped */
	const char *skip;		/* why it was not fetched */
	int code;
};

struct page_job {
	size_t *idx;			/* into page.objs */
	size_t n;
	struct hc_xfer **xs;		/* the lane's, made when it starts */
};

struct page {
	struct hc_ctx *ctx;
	size_t nthreads;
	struct page_obj *objs;
	size_t n, cap;
	char **refs;			/* raw references in document order */
	size_t nrefs, caprefs;
	char *base_href;		/* the first <base href>, raw */
	struct page_job *jobs;
	size_t njobs;
};

/* One worker: jobs t, t + nthreads, ... one after the other, each on a
 * lane; the workers run side by side on the loop. */
struct page_worker {
	struct page *pg;
	size_t t;
	size_t j;			/* the job running */
	struct hc_lane lane;
};

static int
mem_sink(void *arg, const uint8_t *p, size_t n)
{
	struct buf *b = arg;

	/* past the cap the rest is counted, not kept */
	if (b->len + n <= b->max && buf_append(b, p, n) < 0)
		b->max = b->len;
	return 0;
}

static char *
dup_str(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void
on_ref(void *arg, const char *tag, const char *attr, const char *url,
    size_t n)
{
	struct page *pg = arg;

	if (strcmp(tag, "base") == 0) {
		if (pg->base_href == NULL)
			pg->base_href = dup_str(url, n);
		return;
	}
	if (pg->nrefs >= PAGE_OBJ_MAX)
		return;
	if (pg->nrefs == pg->caprefs) {
		size_t cap = pg->caprefs ? pg->caprefs * 2 : 32;
		char **nr = realloc(pg->refs, cap * sizeof(*nr));
		if (nr == NULL)
			return;
		pg->refs = nr;
		pg->caprefs = cap;
	}
	char *d = dup_str(url, n);
	if (d)
		pg->refs[pg->nrefs++] = d;
	(void)attr;
}

static struct page_obj *
obj_add(struct page *pg, const char *url)
{
	if (pg->n == pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 32;
		struct page_obj *no = realloc(pg->objs, cap * sizeof(*no));
		if (no == NULL)
			return NULL;
		pg->objs = no;
		pg->cap = cap;
	}
	struct page_obj *o = &pg->objs[pg->n];
	memset(o, 0, sizeof(*o));
	o->url = dup_str(url, strlen(url));
	if (o->url == NULL)
		return NULL;
	pg->n++;
	return o;
}

/* Schemes that name no object on the network. */
static bool
not_network(const char *scheme)
{
	static const char *const s[] = { "data", "javascript", "about",
	    "blob", "mailto", "tel", NULL };

	for (size_t i = 0; s[i]; i++)
		if (strcmp(scheme, s[i]) == 0)
			return true;
	return false;
}

/* Turns the references into objects: resolved against the base, unique. */
static void
build_objects(struct page *pg, const char *doc_url)
{
	char base[HTTP_CLIENT_URL_MAX + 300];
	char abs_url[HTTP_CLIENT_URL_MAX + 300];

	snprintf(base, sizeof(base), "%s", doc_url);
	if (pg->base_href && http_client_url_resolve(doc_url, pg->base_href,
	    strlen(pg->base_href), abs_url, sizeof(abs_url)) > 0)
		snprintf(base, sizeof(base), "%s", abs_url);

	for (size_t i = 0; i < pg->nrefs; i++) {
		struct hc_xfer *x;
		struct page_obj *o;
		bool dup = false;
		int rc;

		if (http_client_url_resolve(base, pg->refs[i],
		    strlen(pg->refs[i]), abs_url, sizeof(abs_url)) < 0) {
			if ((o = obj_add(pg, pg->refs[i])) != NULL)
				o->skip = "cannot resolve";
			continue;
		}
		x = malloc(sizeof(*x));
		if (x == NULL)
			return;
		hc_xfer_init(x, "GET");
		rc = hc_xfer_set_url(x, abs_url);
		if (rc == HC_UNSUPPORTED && not_network(x->url.scheme)) {
			hc_xfer_reset(x);
			free(x);
			continue;
		}
		const char *key = rc == HC_OK ? x->url.str : abs_url;
		for (size_t k = 0; k < pg->n && !dup; k++)
			dup = strcmp(pg->objs[k].url, key) == 0;
		if (dup || (o = obj_add(pg, key)) == NULL) {
			hc_xfer_reset(x);
			free(x);
			continue;
		}
		if (rc != HC_OK) {
			o->skip = rc == HC_UNSUPPORTED ? "unsupported scheme" :
			    "malformed URL";
			hc_xfer_reset(x);
			free(x);
			continue;
		}
		x->follow = true;
		o->x = x;
	}
}

/* Whether two objects may share a connection: host, port and scheme. */
static bool
same_origin(const struct http_client_url *a, const struct http_client_url *b)
{
	return a->port == b->port && a->tls == b->tls &&
	    strcmp(a->host, b->host) == 0;
}

/* Groups the objects by origin and splits each group into up to --parallel
 * jobs, round robin: one connection each. */
static int
build_jobs(struct page *pg, size_t first)
{
	size_t par = (size_t)pg->ctx->o->parallel;
	bool *taken = calloc(pg->n + 1, sizeof(bool));

	pg->jobs = calloc(pg->n * par + 1, sizeof(*pg->jobs));
	if (taken == NULL || pg->jobs == NULL) {
		free(taken);
		return -1;
	}
	for (size_t i = first; i < pg->n; i++) {
		const struct http_client_url *u;
		size_t count = 0, k, j0 = pg->njobs, nj;

		if (taken[i] || pg->objs[i].x == NULL)
			continue;
		u = &pg->objs[i].x->url;
		for (k = i; k < pg->n; k++)
			if (!taken[k] && pg->objs[k].x &&
			    same_origin(&pg->objs[k].x->url, u))
				count++;
		nj = count < par ? count : par;
		for (size_t j = 0; j < nj; j++) {
			pg->jobs[j0 + j].idx = calloc(count, sizeof(size_t));
			if (pg->jobs[j0 + j].idx == NULL) {
				free(taken);
				return -1;
			}
		}
		pg->njobs += nj;
		count = 0;
		for (k = i; k < pg->n; k++) {
			struct hc_xfer *x = pg->objs[k].x;
			if (taken[k] || x == NULL || !same_origin(&x->url, u))
				continue;
			struct page_job *jb = &pg->jobs[j0 + count % nj];
			jb->idx[jb->n++] = k;
			taken[k] = true;
			count++;
		}
	}
	free(taken);
	return 0;
}

static void worker_next(struct page_worker *w);

static void
worker_lane_done(struct hc_lane *l)
{
	struct page_worker *w = l->arg;
	struct page_job *jb = &w->pg->jobs[w->j];

	free(jb->xs);
	jb->xs = NULL;
	w->j += w->pg->nthreads;
	worker_next(w);
}

/* The worker's next job on a lane: pipelined (HC_PIPE_DEPTH in flight,
 * what a closing server left unanswered sent again on a new connection;
 * GETs are idempotent: RFC 9112 §9.3.2) or one by one. The first worker
 * may start on a parked connection (the base page's); the others open
 * their own, so --parallel N means N connections. */
static void
worker_next(struct page_worker *w)
{
	struct page *pg = w->pg;
	const struct hc_opts *o = pg->ctx->o;
	struct page_job *jb;

	if (w->j >= pg->njobs)
		return;
	jb = &pg->jobs[w->j];
	jb->xs = calloc(jb->n ? jb->n : 1, sizeof(*jb->xs));
	if (jb->xs == NULL) {
		for (size_t i = 0; i < jb->n; i++) {
			struct hc_xfer *x = pg->objs[jb->idx[i]].x;
			x->code = HC_WRITE;
			snprintf(x->err, sizeof(x->err), "out of memory");
		}
		w->j += pg->nthreads;
		worker_next(w);
		return;
	}
	for (size_t i = 0; i < jb->n; i++)
		jb->xs[i] = pg->objs[jb->idx[i]].x;
	memset(&w->lane, 0, sizeof(w->lane));
	w->lane.ctx = pg->ctx;
	w->lane.xs = jb->xs;
	w->lane.n = jb->n;
	w->lane.depth = o->pipeline && !o->no_keepalive ? HC_PIPE_DEPTH : 1;
	w->lane.pool_first = w->t == 0;
	w->lane.done = worker_lane_done;
	w->lane.arg = w;
	hc_lane_start(&w->lane);
}

/* One row; with_tls adds the TLS handshake's column after conn ms ("-"
 * for an object fetched over plain http). */
static void
print_row(size_t i, const struct page_obj *o, bool with_tls)
{
	const struct hc_xfer *x = o->x;
	char st[16], tls[32];

	if (x == NULL) {
		printf("%3zu  %-10s %10s %9s %s%9s %9s  %s (%s)\n", i,
		    "skipped", "-", "-", with_tls ? "        - " : "", "-", "-",
		    o->url, o->skip);
		return;
	}
	tls[0] = '\0';
	if (with_tls && !x->url.tls)
		snprintf(tls, sizeof(tls), "%9s ", "-");
	else if (with_tls)
		snprintf(tls, sizeof(tls), "%9.3f ", x->reused ? 0.0 :
		    x->tls_ms);
	if (x->code && x->status == 0)
		snprintf(st, sizeof(st), "error");
	else if (x->from_cache)
		snprintf(st, sizeof(st), "%d cache", x->status);
	else
		snprintf(st, sizeof(st), "%d", x->status);
	double ttfb = x->t_first > 0 && x->t_sent > 0 ? x->t_first - x->t_sent :
	    0;
	double xfer = x->t_done > 0 && x->t_first > 0 ? x->t_done - x->t_first :
	    0;
	if (ttfb < 0)
		ttfb = 0;
	printf("%3zu  %-10s %10llu %9.3f %s%9.3f %9.3f  %s", i, st,
	    (unsigned long long)x->bytes, x->reused ? 0.0 : x->connect_ms,
	    tls, ttfb, xfer, x->url.str[0] ? x->url.str : o->url);
	if (x->code)
		printf(" (%s)", x->err);
	printf("\n");
}

int
http_client_page_run(struct hc_ctx *ctx)
{
	const struct hc_opts *o = ctx->o;
	struct page pg;
	struct buf html;
	struct hc_xfer *base;
	struct page_obj *bo;
	struct page_worker *w;
	size_t nth, nfetched = 0, nskipped = 0, ncached = 0;
	uint64_t bytes = 0;
	int rc, first_err = 0;
	bool with_tls = false;

	memset(&pg, 0, sizeof(pg));
	pg.ctx = ctx;
	buf_init(&html, PAGE_BODY_MAX);
	base = malloc(sizeof(*base));
	if (base == NULL)
		return HC_WRITE;
	hc_xfer_init(base, "GET");
	base->follow = true;
	base->sink = mem_sink;
	base->sink_arg = &html;
	rc = hc_xfer_set_url(base, o->url);
	if (rc == HC_OK)
		rc = hc_run_one(ctx, base);
	if (rc) {
		fprintf(stderr, "camada get: %s\n", base->err);
		hc_xfer_reset(base);
		free(base);
		buf_free(&html);
		return rc;
	}
	bo = obj_add(&pg, base->url.str);
	if (bo == NULL)
		return HC_WRITE;
	bo->x = base;

	http_client_html_scan(buf_data(&html), html.len, on_ref, &pg);
	buf_free(&html);
	build_objects(&pg, base->url.str);
	if (build_jobs(&pg, 1) < 0) {
		fprintf(stderr, "camada get: out of memory\n");
		return HC_WRITE;
	}

	/* --parallel N: N workers side by side, each with its own
	 * connection; the first may take the base page's */
	nth = pg.njobs < (size_t)o->parallel ? pg.njobs : (size_t)o->parallel;
	pg.nthreads = nth ? nth : 1;
	w = calloc(pg.nthreads, sizeof(*w));
	if (w == NULL) {
		fprintf(stderr, "camada get: out of memory\n");
		return HC_WRITE;
	}
	for (size_t i = 0; i < pg.nthreads; i++) {
		w[i].pg = &pg;
		w[i].t = i;
		w[i].j = i;
		worker_next(&w[i]);
	}
	hc_ctx_run(ctx);
	free(w);

	double wall = hc_now_ms() - ctx->t0;
	printf("camada get --page %s\n%s connections, %s, %d connection%s "
	    "per host\n", base->url.str,
	    o->no_keepalive ? "non-persistent (Connection: close)" :
	    "persistent", o->pipeline ? "pipelined" : "one request at a time",
	    o->parallel, o->parallel == 1 ? "" : "s");
	for (size_t i = 0; i < pg.n; i++)
		if (pg.objs[i].x && pg.objs[i].x->url.tls)
			with_tls = true;
	printf("%3s  %-10s %10s %9s %s%9s %9s  %s\n", "#", "status", "bytes",
	    "conn ms", with_tls ? "   tls ms " : "", "ttfb ms", "xfer ms",
	    "url");
	for (size_t i = 0; i < pg.n; i++) {
		struct page_obj *ob = &pg.objs[i];
		print_row(i, ob, with_tls);
		if (ob->x == NULL) {
			nskipped++;
			continue;
		}
		nfetched++;
		bytes += ob->x->bytes;
		if (ob->x->code && first_err == 0) {
			first_err = ob->x->code;
			fprintf(stderr, "camada get: %s: %s\n", ob->x->url.str,
			    ob->x->err);
		}
		if (o->fail && ob->x->status >= 400 && first_err == 0) {
			first_err = HC_HTTP;
			fprintf(stderr, "camada get: %s: the requested URL "
			    "returned error: %d\n", ob->x->url.str,
			    ob->x->status);
		}
		if (ob->x->from_cache)
			ncached++;
	}
	printf("objects: %zu (1 page + %zu referenced)", nfetched,
	    nfetched - 1);
	if (nskipped)
		printf(", %zu skipped", nskipped);
	printf("  bytes: %llu  connections opened: %u  wall time: %.3f ms\n",
	    (unsigned long long)bytes, ctx->conns_opened, wall);
	fflush(stdout);
	if (ncached && !o->silent)
		fprintf(stderr, "camada get: 304, from cache: %zu of %zu "
		    "objects\n", ncached, nfetched);

	for (size_t i = 0; i < pg.n; i++) {
		if (pg.objs[i].x) {
			hc_xfer_reset(pg.objs[i].x);
			free(pg.objs[i].x);
		}
		free(pg.objs[i].url);
	}
	for (size_t i = 0; i < pg.nrefs; i++)
		free(pg.refs[i]);
	for (size_t i = 0; i < pg.njobs; i++) {
		free(pg.jobs[i].idx);
		free(pg.jobs[i].xs);
	}
	free(pg.jobs);
	free(pg.refs);
	free(pg.objs);
	free(pg.base_href);
	return first_err;
}
