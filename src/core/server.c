/* server.c - the parent/worker process model (see server.h). */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/conn.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/server.h"
#include "core/server_conf.h"
#include "core/session.h"

#define G(f) offsetof(struct global_conf, f)
const struct conf_key global_keys[] = {
	{ "workers", CONF_WORKERS, G(workers), "auto", 0, 0,
	    "worker processes: auto (one per core) or a number", 0 },
	{ "log", CONF_PATH, G(log), "stderr", 0, 0,
	    "where the log goes: stderr or a file path", 0 },
	{ "log-level", CONF_STR, G(log_level), "info", 0, 0,
	    "error, warn, info or debug", 0 },
	{ "log-format", CONF_STR, G(log_format), "text", 0, 0,
	    "text or json (one JSON object per line)", 0 },
	{ "shutdown-timeout", CONF_MS, G(shutdown_timeout_ms), "1500ms", 0, 0,
	    "how long SIGTERM waits for connections in flight", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

static int nworkers = 1;
/* Bumped by the parent after each reload it accepted, in shared memory made
 * before the fork: a worker whose own count is behind re-reads the file (on
 * SIGHUP, or after its start when it was restarted after a reload). */
static volatile unsigned *conf_gen;
/* set when a setup failed to bind: a run-time failure (exit 1), where any
 * other setup failure is the configuration's fault (exit 2) */
static int listen_failed;

const struct service *
service_find(const struct service *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp((*list)->name, name) == 0)
			return *list;
	return NULL;
}

int
server_instance_init(struct instance *in, const struct service *svc,
    struct conf_section *sec, const char *file, int index, char *err)
{
	memset(in, 0, sizeof(*in));
	in->svc = svc;
	in->index = index;
	in->line = sec ? sec->line : 0;
	in->file = strdup(file ? file : "command line");
	in->conf = calloc(1, svc->conf_size ? svc->conf_size : 1);
	if (in->conf == NULL || in->file == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	return conf_apply(svc->keys, sec, in->conf, file, err);
}

void
server_instances_free(struct instance *in, int n)
{
	for (int i = 0; i < n; i++) {
		if (in[i].svc && in[i].svc->release)
			in[i].svc->release(&in[i]);
		for (int j = 0; j < in[i].nls; j++)
			for (int k = 0; k < in[i].ls[j].nfds; k++)
				close(in[i].ls[j].fds[k]);
		in[i].nls = 0;
		if (in[i].svc && in[i].conf)
			conf_release(in[i].svc->keys, in[i].conf);
		free(in[i].conf);
		in[i].conf = NULL;
		free(in[i].file);
		in[i].file = NULL;
	}
}

/* The service that shares the section named name, or NULL. */
static const struct service *
shared_by(const struct service *const *list, const char *name)
{
	for (int i = 0; list[i]; i++)
		if (list[i]->shared_section &&
		    strcmp(list[i]->shared_section, name) == 0)
			return list[i];
	return NULL;
}

/* Copies each shared section's keys ([mail]) into every section of a
 * service that shares it and does not set that key itself; the copies
 * keep the shared section's line numbers for messages. At most one of
 * each shared section; its keys must be the shared ones. */
static int
share_sections(struct conf *cf, const struct service *const *list, char *err)
{
	for (size_t i = 1; i < cf->n; i++) {
		struct conf_section *sh = &cf->sec[i];
		const struct service *by = shared_by(list, sh->name);
		if (by == NULL || service_find(list, sh->name))
			continue;
		for (size_t j = i + 1; j < cf->n; j++) {
			if (strcmp(cf->sec[j].name, sh->name) == 0) {
				snprintf(err, CONF_ERR_LEN, "%s:%d: a second [%s] "
				    "(one is shared by every [%s])", cf->file,
				    cf->sec[j].line, sh->name, by->name);
				return -1;
			}
		}
		for (size_t k = 0; k < sh->n; k++) {
			const struct conf_key *key = by->shared_keys;
			while (key && key->name &&
			    strcmp(key->name, sh->kv[k].key) != 0)
				key++;
			if (key == NULL || key->name == NULL) {
				snprintf(err, CONF_ERR_LEN, "%s:%d: unknown key "
				    "'%s' in [%s]", cf->file, sh->kv[k].line,
				    sh->kv[k].key, sh->name);
				return -1;
			}
			sh->kv[k].used = 1;
		}
		for (size_t j = 1; j < cf->n; j++) {
			struct conf_section *sec = &cf->sec[j];
			const struct service *svc = service_find(list, sec->name);
			size_t own = sec->n;
			if (svc == NULL || svc->shared_section == NULL ||
			    strcmp(svc->shared_section, sh->name) != 0)
				continue;
			for (size_t k = 0; k < sh->n; k++) {
				int set = 0;
				/* a key the section sets itself wins, all of
				 * its values (repeatable keys included) */
				for (size_t o = 0; o < own && !set; o++)
					set = strcmp(sec->kv[o].key,
					    sh->kv[k].key) == 0;
				if (set)
					continue;
				if (conf_add_kv(sec, sh->kv[k].key,
				    sh->kv[k].value, sh->kv[k].line) < 0) {
					snprintf(err, CONF_ERR_LEN, "out of memory");
					return -1;
				}
			}
		}
	}
	return 0;
}

int
server_instances_from_conf(struct conf *cf, const struct service *const *list,
    struct global_conf *g, struct instance *out, int max, char *err)
{
	int n = 0;

	if (conf_apply(global_keys, &cf->sec[0], g, cf->file, err) < 0)
		return -1;
	if (share_sections(cf, list, err) < 0)
		return -1;
	for (size_t i = 1; i < cf->n; i++) {
		struct conf_section *sec = &cf->sec[i];
		const struct service *svc = service_find(list, sec->name);
		int index = 0;
		if (svc == NULL && shared_by(list, sec->name))
			continue; /* its keys went into the sections sharing it */
		if (svc == NULL) {
			snprintf(err, CONF_ERR_LEN, "%s:%d: unknown section [%s]",
			    cf->file, sec->line, sec->name);
			server_instances_free(out, n);
			return -1;
		}
		if (n == max) {
			snprintf(err, CONF_ERR_LEN, "%s:%d: too many sections",
			    cf->file, sec->line);
			server_instances_free(out, n);
			return -1;
		}
		for (int j = 0; j < n; j++)
			if (out[j].svc == svc)
				index++;
		if (server_instance_init(&out[n], svc, sec, cf->file, index,
		    err) < 0) {
			server_instances_free(out, n + 1);
			return -1;
		}
		n++;
	}
	return n;
}

int
server_open_log(const struct global_conf *g, char *err)
{
	enum log_level level;
	enum log_format fmt;

	if (log_level_parse(g->log_level ? g->log_level : "info", &level) < 0) {
		snprintf(err, CONF_ERR_LEN,
		    "bad log-level '%s' (error, warn, info, debug)", g->log_level);
		return -1;
	}
	if (g->log_format == NULL || strcmp(g->log_format, "text") == 0) {
		fmt = LOG_TEXT;
	} else if (strcmp(g->log_format, "json") == 0) {
		fmt = LOG_JSON;
	} else {
		snprintf(err, CONF_ERR_LEN, "bad log-format '%s' (text, json)",
		    g->log_format);
		return -1;
	}
	if (log_open(g->log, level, fmt) < 0) {
		snprintf(err, CONF_ERR_LEN, "log %s: %s", g->log, strerror(errno));
		return -1;
	}
	return 0;
}

/* SO_REUSEPORT would let a second camada join a port another one serves, and
 * take half its traffic. A plain bind first, without SO_REUSEPORT (nor
 * SO_REUSEADDR, which lets UDP sockets share), fails with EADDRINUSE when
 * anyone holds the address. */
static int
probe_free(const struct sock_addr *a, int udp, char *err)
{
	char as[SOCK_ADDR_STRLEN];
	int one = 1;
	int fd = socket(a->ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0; /* the real bind will say what is wrong */
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
	    errno == EADDRINUSE) {
		snprintf(err, CONF_ERR_LEN, "%s bind %s: %s", udp ? "udp" : "tcp",
		    sock_addr_str(a, as, sizeof(as)), strerror(EADDRINUSE));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The line of the config that asked for address a (a listen key's value),
 * or 0 (a default, the command line). */
static int
addr_line(const struct instance *in, const struct sock_addr *a)
{
	for (const struct conf_key *k = in->svc->keys; k && k->name; k++) {
		const struct conf_addrs *as;
		if (k->type != CONF_ADDRS)
			continue;
		as = (const struct conf_addrs *)((const char *)in->conf +
		    k->offset);
		for (int i = 0; i < as->n; i++)
			if (as->a[i].len == a->len &&
			    memcmp(&as->a[i].ss, &a->ss, a->len) == 0)
				return as->line[i];
	}
	return 0;
}

/* "FILE:LINE: " before a bind error, as a config error names its line. */
static void
listen_error_where(const struct instance *in, const struct sock_addr *a,
    char *err)
{
	char msg[CONF_ERR_LEN];
	int line = addr_line(in, a);

	if (line <= 0 || in->file == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", err);
	snprintf(err, CONF_ERR_LEN, "%s:%d: %s", in->file, line, msg);
}

/* Opens a's sockets for every worker, without the "listening on" line.
 * Returns the index in in->ls, or -1 with err (errno kept from the bind). */
static int
open_listener(struct instance *in, const struct sock_addr *a, int udp,
    char *err)
{
	char serr[SOCK_ERR_LEN];
	struct listen_sock *ls;
	struct sock_addr bound = *a;
	int flags = SOCK_REUSEPORT;

	if (in->nls == SERVER_MAX_LISTEN) {
		snprintf(err, CONF_ERR_LEN, "too many listeners");
		return -1;
	}
	if (a->ss.ss_family == AF_INET6)
		flags |= SOCK_V6ONLY;
	if (sock_addr_port(a) != 0 && probe_free(a, udp, err) < 0) {
		listen_failed = 1;
		listen_error_where(in, a, err);
		errno = EADDRINUSE;
		return -1;
	}
	ls = &in->ls[in->nls];
	memset(ls, 0, sizeof(*ls));
	ls->udp = udp;
	for (int i = 0; i < nworkers; i++) {
		int fd = udp ? sock_bind_udp(&bound, flags, serr) :
		    sock_listen_tcp(&bound, 4096, flags, serr);
		if (fd < 0) {
			listen_failed = 1;
			int e = errno;
			snprintf(err, CONF_ERR_LEN, "%s: %s", in->svc->name, serr);
			listen_error_where(in, a, err);
			for (int k = 0; k < ls->nfds; k++)
				close(ls->fds[k]);
			errno = e;
			return -1;
		}
		/* The first socket settles port 0; the others join it. */
		if (i == 0)
			sock_local_addr(fd, &bound);
		ls->fds[ls->nfds++] = fd;
	}
	ls->addr = bound;
	return in->nls++;
}

static void
close_last_listener(struct instance *in)
{
	struct listen_sock *ls = &in->ls[--in->nls];

	for (int k = 0; k < ls->nfds; k++)
		close(ls->fds[k]);
}

/* "camada: <system> listening on <addr>:<port> (<tcp|udp>)", the line tests
 * and scripts wait for. In JSON mode the same text is the object's msg (so
 * one pattern finds it in both modes), with the parts as members. */
static void
print_listener(const struct instance *in, int k)
{
	char as[SOCK_ADDR_STRLEN], js[SOCK_ADDR_STRLEN + 160];
	const char *proto = in->ls[k].udp ? "udp" : "tcp";
	const char *name = in->svc->name;
	int n;

	sock_addr_str(&in->ls[k].addr, as, sizeof(as));
	/* the service name and an address's text need no JSON escape */
	n = snprintf(js, sizeof(js), "\"system\":\"%s\",\"listen\":\"%s\","
	    "\"port\":%d,\"proto\":\"%s\"", name, as,
	    sock_addr_port(&in->ls[k].addr), proto);
	if (n < 0 || (size_t)n >= sizeof(js))
		n = 0;
	log_stderr(LOG_INFO, js, (size_t)n, "camada: %s listening on %s (%s)",
	    name, as, proto);
}

int
server_listen(struct instance *in, const struct sock_addr *a, int udp,
    char *err)
{
	int k = open_listener(in, a, udp, err);

	if (k >= 0)
		print_listener(in, k);
	return k;
}

int
server_listen_both(struct instance *in, const struct sock_addr *a, char *err)
{
	/* port 0: the port TCP got may be taken for UDP (or the other way),
	 * by a socket of any other process; try a few ports */
	int tries = sock_addr_port(a) == 0 ? 50 : 1;

	for (int t = 0; t < tries; t++) {
		int k = open_listener(in, a, 0, err), u;
		struct sock_addr same;
		if (k < 0)
			return -1;
		same = in->ls[k].addr;
		u = open_listener(in, &same, 1, err);
		if (u >= 0) {
			print_listener(in, k);
			print_listener(in, u);
			return k;
		}
		close_last_listener(in);
		if (errno != EADDRINUSE || t + 1 == tries)
			return -1;
		listen_failed = 0;
	}
	return -1;
}

int
server_watch_start(struct server_watch *sw, struct instance *in,
    struct worker *w, listener_cb *on_accept, udp_cb *on_datagram,
    size_t max_dgram, void *tcp_arg, void *udp_arg, char *err)
{
	for (int i = 0; i < in->nls; i++) {
		int fd = in->ls[i].fds[w->idx];
		int rc;
		if (in->ls[i].udp)
			rc = on_datagram ? udp_start(&sw->udp[i], w->loop, fd,
			    max_dgram, on_datagram, udp_arg) : -1;
		else
			rc = listener_start(&sw->tcp[i], w->loop, fd, on_accept,
			    tcp_arg);
		if (rc < 0) {
			snprintf(err, CONF_ERR_LEN, "%s: cannot watch a listener",
			    in->svc->name);
			return -1;
		}
	}
	return 0;
}

void
server_watch_stop(struct server_watch *sw, struct instance *in)
{
	for (int i = 0; i < in->nls; i++) {
		if (in->ls[i].udp)
			udp_stop(&sw->udp[i]);
		else
			listener_stop(&sw->tcp[i]);
	}
}

static int
auto_workers(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* --- the worker --- */

struct worker_ctx {
	struct worker w;
	struct global_conf *g;
	unsigned gen;            /* the reloads this worker has applied */
	struct instance *in;
	int n;
	struct timer check;
	uint64_t deadline;
};

struct pool *
server_pool(struct worker *w)
{
	if (w->pool == NULL)
		w->pool = pool_new(w->loop, SERVER_POOL_THREADS);
	return w->pool;
}

/* In flight: connections, and pool jobs whose done has not run (a session
 * waiting on an fsync answers when it comes back). */
static void
on_stop_check(struct loop *loop, struct timer *t, void *arg)
{
	struct worker_ctx *ctx = arg;
	size_t jobs = ctx->w.pool ? pool_pending(ctx->w.pool) : 0;

	if ((conn_count() == 0 && jobs == 0) ||
	    loop_now(loop) >= ctx->deadline)
		loop_stop(loop);
}

static void
worker_begin_stop(struct worker_ctx *ctx)
{
	if (ctx->w.stopping)
		return;
	ctx->w.stopping = 1;
	for (int i = 0; i < ctx->n; i++) {
		if (ctx->in[i].svc->stop)
			ctx->in[i].svc->stop(&ctx->in[i], &ctx->w);
		if (ctx->in[i].sessions)
			session_set_stop(ctx->in[i].sessions);
	}
	ctx->deadline = loop_now(ctx->w.loop) + ctx->g->shutdown_timeout_ms;
	timer_init(&ctx->check, on_stop_check, ctx);
	loop_timer_start(ctx->w.loop, &ctx->check, 0, 20);
}

static void
worker_on_signal(struct loop *loop, int signo, void *arg)
{
	struct worker_ctx *ctx = arg;

	if (signo == SIGHUP) {
		if (log_reopen() < 0)
			log_error("reopening the log: %s", strerror(errno));
		if (conf_gen && *conf_gen != ctx->gen) {
			ctx->gen = *conf_gen;
			server_conf_reload_worker(ctx->g, ctx->in, ctx->n);
		}
		for (int i = 0; i < ctx->n; i++)
			if (ctx->in[i].svc->reopen)
				ctx->in[i].svc->reopen(&ctx->in[i]);
		return;
	}
	worker_begin_stop(ctx);
}

static void __attribute__((noreturn))
worker_main(struct global_conf *g, struct instance *in, int n, int idx)
{
	struct worker_ctx ctx;
	char role[32], err[CONF_ERR_LEN];
	int code = 0;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	snprintf(role, sizeof(role), "worker %d", idx);
	log_set_role(role);
	log_set_worker(idx);
	metrics_set_worker(idx);
	memset(&ctx, 0, sizeof(ctx));
	ctx.g = g;
	ctx.in = in;
	ctx.n = n;
	ctx.w.idx = idx;
	ctx.w.loop = loop_new();
	if (ctx.w.loop == NULL) {
		log_error("cannot create the event loop: %s", strerror(errno));
		exit(1);
	}
	if (loop_signal(ctx.w.loop, SIGTERM, worker_on_signal, &ctx) < 0 ||
	    loop_signal(ctx.w.loop, SIGINT, worker_on_signal, &ctx) < 0 ||
	    loop_signal(ctx.w.loop, SIGHUP, worker_on_signal, &ctx) < 0) {
		log_error("signalfd: %s", strerror(errno));
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		if (in[i].svc->start && in[i].svc->start(&in[i], &ctx.w, err) < 0) {
			log_error("%s: %s", in[i].svc->name, err);
			exit(1);
		}
	}
	/* restarted after a reload: the parent still holds the first config */
	if (conf_gen && *conf_gen != 0) {
		ctx.gen = *conf_gen;
		server_conf_reload_worker(ctx.g, ctx.in, ctx.n);
	}
	if (loop_run(ctx.w.loop) < 0) {
		log_error("event loop: %s", strerror(errno));
		code = 1;
	}
	worker_begin_stop(&ctx);
	loop_timer_stop(ctx.w.loop, &ctx.check);
	conn_abort_all();
	/* two passes: deliver CLOSED, then free */
	loop_once(ctx.w.loop, 0);
	loop_once(ctx.w.loop, 0);
	/* the last done functions release the last holds on sessions */
	pool_free(ctx.w.pool);
	ctx.w.pool = NULL;
	loop_free(ctx.w.loop);
	server_instances_free(in, n);
	log_close();
	exit(code);
}

/* --- the parent --- */

struct child {
	pid_t pid;
	uint64_t started_ms;
	uint64_t restart_at; /* 0: running or not due */
};

static pid_t
spawn(struct global_conf *g, struct instance *in, int n, int idx)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		worker_main(g, in, n, idx);
	if (pid < 0)
		log_error("fork: %s", strerror(errno));
	return pid;
}

static void
describe_exit(int status, char *out, size_t n)
{
	if (WIFEXITED(status))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, n, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, n, "stopped");
}

/* The text format: a heading, then one line per metric. JSON: one object,
 * {"msg":"metrics (why)","metrics":{"series":value,...}}. */
static void
log_summary(const char *why)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	if (log_get_format() == LOG_JSON) {
		if (buf_append_str(&b, "\"metrics\":") == 0 &&
		    metrics_summary_json(&b) == 0)
			log_msg_json(LOG_INFO, (const char *)buf_data(&b),
			    b.len, "metrics (%s)", why);
	} else if (metrics_summary(&b) == 0 && b.len > 0) {
		log_info("metrics (%s):", why);
		const char *p = (const char *)buf_data(&b), *end = p + b.len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			int len = (int)(nl ? nl - p : end - p);
			log_info("  %.*s", len, p);
			p += len + 1;
		}
	}
	buf_free(&b);
}

int
server_run(struct global_conf *g, struct instance *in, int n)
{
	struct child kids[METRICS_MAX_WORKERS];
	char err[CONF_ERR_LEN], how[64];
	sigset_t set;
	int stopping = 0, alive = 0, code = 0;
	uint64_t stop_deadline = 0;

	nworkers = g->workers > 0 ? g->workers : auto_workers();
	if (nworkers > METRICS_MAX_WORKERS)
		nworkers = METRICS_MAX_WORKERS;
	log_set_role("parent");
	if (metrics_init(nworkers) < 0) {
		log_stderr(LOG_ERROR, NULL, 0, "camada: metrics: %s",
		    strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (server_conf_file()) {
		void *p = mmap(NULL, sizeof(*conf_gen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, "camada: mmap: %s\n", strerror(errno));
			return 1;
		}
		conf_gen = p;
		*conf_gen = 0;
	}
	for (int i = 0; i < n; i++) {
		if (in[i].svc->setup && in[i].svc->setup(&in[i], err) < 0) {
			/* the log is open: a JSON log stays JSON */
			log_stderr(LOG_ERROR, NULL, 0, "camada: %s", err);
			server_instances_free(in, n);
			return listen_failed ? 1 : 2;
		}
	}
	for (int i = 0; i < nworkers; i++) {
		kids[i].pid = spawn(g, in, n, i);
		kids[i].started_ms = clock_mono_ms();
		kids[i].restart_at = 0;
		if (kids[i].pid > 0)
			alive++;
	}
	log_info("started %d worker%s", nworkers, nworkers == 1 ? "" : "s");

	for (;;) {
		siginfo_t si;
		struct timespec ts = { 0, 100 * 1000000 };
		int sig = sigtimedwait(&set, &si, &ts);
		uint64_t now = clock_mono_ms();

		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				stopping = 1;
				log_info("stopping (signal %d)", sig);
				stop_deadline = now + g->shutdown_timeout_ms + 500;
				for (int i = 0; i < nworkers; i++)
					if (kids[i].pid > 0)
						kill(kids[i].pid, SIGTERM);
			}
		} else if (sig == SIGHUP) {
			if (log_reopen() < 0)
				log_error("reopening the log: %s", strerror(errno));
			/* the workers apply the bytes the parent accepted (never
			 * the file itself); they reopen their logs and reload
			 * zones either way */
			if (conf_gen && server_conf_reload_parent(g, in, n) == 0)
				(*conf_gen)++;
			for (int i = 0; i < nworkers; i++)
				if (kids[i].pid > 0)
					kill(kids[i].pid, SIGHUP);
		} else if (sig == SIGUSR1) {
			log_summary("SIGUSR1");
		}
		/* reap whoever ended, whatever the signal was */
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			for (int i = 0; i < nworkers; i++) {
				if (kids[i].pid != pid)
					continue;
				kids[i].pid = 0;
				alive--;
				metrics_reset_gauges(i);
				if (stopping)
					break;
				describe_exit(status, how, sizeof(how));
				/* a worker that dies at once would spin: wait */
				uint64_t delay =
				    now - kids[i].started_ms < 1000 ? 1000 : 0;
				log_error("worker %d (pid %d) %s; restarting%s", i,
				    (int)pid, how, delay ? " in 1 s" : "");
				kids[i].restart_at = now + delay + (delay ? 0 : 1);
			}
		}
		if (!stopping) {
			for (int i = 0; i < nworkers; i++) {
				if (kids[i].pid == 0 && kids[i].restart_at &&
				    now >= kids[i].restart_at) {
					kids[i].restart_at = 0;
					kids[i].started_ms = now;
					kids[i].pid = spawn(g, in, n, i);
					if (kids[i].pid > 0)
						alive++;
				}
			}
			continue;
		}
		if (alive == 0)
			break;
		if (now >= stop_deadline) {
			for (int i = 0; i < nworkers; i++)
				if (kids[i].pid > 0)
					kill(kids[i].pid, SIGKILL);
			stop_deadline = now + 1000;
			code = 0;
		}
	}
	log_summary("exit");
	log_info("stopped");
	server_instances_free(in, n);
	return code;
}
