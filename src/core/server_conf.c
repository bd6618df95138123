/* server_conf.c - the config file of "camada serve" as the process model
 * uses it: the command line's global flags over the file, the check of
 * every instance ("camada check"), and SIGHUP's re-read: the parent checks
 * and reports what needs a restart, the workers move the new values in. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/file.h"
#include "core/log.h"
#include "core/server.h"
#include "core/server_conf.h"

/* server_conf_set's: what SIGHUP re-reads (NULL: nothing) */
static const char *conf_file;
static const struct conf_section *conf_flags;
static const struct service *const *conf_list;

/* The bytes of the last file the parent accepted, shared with the workers
 * (made in server_conf_set, before the fork). A worker parses these, never
 * the file: the file may have changed since the parent's check, and a
 * config the parent refused must not reach any worker. seq is odd while
 * the parent writes (a seqlock: a reader copies, then checks seq). */
struct conf_pub {
	volatile unsigned seq;
	size_t len;
	char bytes[CONF_MAX_FILE + 1];
};
static struct conf_pub *pub;

static void
pub_write(const char *p, size_t n)
{
	pub->seq++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(pub->bytes, p, n);
	pub->len = n;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pub->seq++;
}

/* A private copy of the published bytes (NUL-ended), or NULL. */
static char *
pub_read(size_t *n)
{
	for (;;) {
		unsigned s0 = pub->seq;
		char *p;
		size_t len;
		if (s0 & 1)
			continue; /* the parent is writing: a few microseconds */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		len = pub->len;
		if (len > CONF_MAX_FILE)
			len = CONF_MAX_FILE;
		if ((p = malloc(len + 1)) == NULL)
			return NULL;
		memcpy(p, pub->bytes, len);
		p[len] = '\0';
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (pub->seq == s0) {
			*n = len;
			return p;
		}
		free(p);
	}
}

const char *
server_conf_file(void)
{
	return conf_file;
}

void
server_conf_set(const char *file, const struct conf_section *flags,
    const struct service *const *list)
{
	conf_file = file;
	conf_flags = flags;
	conf_list = list;
	if (file && pub == NULL) {
		void *p = mmap(NULL, sizeof(*pub), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			pub = p; /* else SIGHUP only reopens logs (server.c) */
	}
}

int
server_conf_override(struct conf *cf, const struct conf_section *flags)
{
	struct conf_section *g = &cf->sec[0];

	for (size_t f = 0; flags && f < flags->n; f++) {
		const char *key = flags->kv[f].key;
		size_t j = 0;
		/* the file's lines for that key go; earlier flags stay */
		for (size_t i = 0; i < g->n; i++) {
			if (g->kv[i].line > 0 && strcmp(g->kv[i].key, key) == 0) {
				free(g->kv[i].key);
				free(g->kv[i].value);
				continue;
			}
			g->kv[j++] = g->kv[i];
		}
		g->n = j;
		if (conf_add_kv(g, key, flags->kv[f].value, 0) < 0)
			return -1;
	}
	return 0;
}

int
server_conf_check(struct conf *cf, const struct service *const *list,
    struct global_conf *g, struct instance *out, int max, char *err)
{
	char why[CONF_ERR_LEN];
	int n = server_instances_from_conf(cf, list, g, out, max, err);

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (out[i].svc->check == NULL)
			continue;
		if (out[i].svc->check(&out[i], why) < 0) {
			/* the section's line, then the service's own message
			 * (which may name a zone file's line) */
			snprintf(err, CONF_ERR_LEN, "%s:%d: %s", out[i].file,
			    out[i].line, why);
			server_instances_free(out, n);
			return -1;
		}
	}
	return n;
}

/* Bytes of a key's field in a config struct. */
static size_t
field_size(enum conf_type t)
{
	switch (t) {
	case CONF_STR:
	case CONF_PATH: return sizeof(char *);
	case CONF_INT: return sizeof(long);
	case CONF_BOOL: return sizeof(int);
	case CONF_SIZE: return sizeof(size_t);
	case CONF_MS: return sizeof(uint64_t);
	case CONF_ADDRS: return sizeof(struct conf_addrs);
	case CONF_STRS:
	case CONF_PATHS: return sizeof(struct conf_strs);
	case CONF_WORKERS: return sizeof(int);
	}
	return 0;
}

/* Exchanges one key's value between two config structs: pointers move
 * with it, so releasing either struct frees what it holds afterwards. */
static void
field_swap(const struct conf_key *k, void *a, void *b)
{
	uint8_t tmp[sizeof(struct conf_strs) > sizeof(struct conf_addrs) ?
	    sizeof(struct conf_strs) : sizeof(struct conf_addrs)];
	size_t n = field_size(k->type);
	char *fa = (char *)a + k->offset, *fb = (char *)b + k->offset;

	memcpy(tmp, fa, n);
	memcpy(fa, fb, n);
	memcpy(fb, tmp, n);
}

static int
field_equal(const struct conf_key *k, const void *a, const void *b)
{
	const char *fa = (const char *)a + k->offset;
	const char *fb = (const char *)b + k->offset;

	switch (k->type) {
	case CONF_STR:
	case CONF_PATH: {
		const char *x = *(char *const *)fa, *y = *(char *const *)fb;
		return (!x && !y) || (x && y && strcmp(x, y) == 0);
	}
	case CONF_ADDRS: {
		const struct conf_addrs *x = (const void *)fa, *y = (const void *)fb;
		if (x->n != y->n)
			return 0;
		for (int i = 0; i < x->n; i++)
			if (x->a[i].len != y->a[i].len ||
			    memcmp(&x->a[i].ss, &y->a[i].ss, x->a[i].len) != 0)
				return 0;
		return 1;
	}
	case CONF_STRS:
	case CONF_PATHS: {
		const struct conf_strs *x = (const void *)fa, *y = (const void *)fb;
		if (x->n != y->n)
			return 0;
		for (int i = 0; i < x->n; i++)
			if (strcmp(x->v[i], y->v[i]) != 0)
				return 0;
		return 1;
	}
	default:
		return memcmp(fa, fb, field_size(k->type)) == 0;
	}
}

static int
is_restart_key(const struct service *svc, const char *name)
{
	for (const char *const *r = svc->restart_keys; r && *r; r++)
		if (strcmp(*r, name) == 0)
			return 1;
	return 0;
}

/* The line of key in sec (the first one), else the section's own. */
static int
key_line(const struct conf_section *sec, const char *key)
{
	for (size_t i = 0; i < sec->n; i++)
		if (sec->kv[i].line > 0 && strcmp(sec->kv[i].key, key) == 0)
			return sec->kv[i].line;
	return sec->line;
}

/* The running instance that a re-read one replaces: same system, same
 * position among that system's sections. */
static struct instance *
match_instance(struct instance *in, int n, const struct instance *nw)
{
	for (int i = 0; i < n; i++)
		if (in[i].svc == nw->svc && in[i].index == nw->index)
			return &in[i];
	return NULL;
}

/* Reads the file again with the command line's flags on top. n instances,
 * or -1 with err; check: also each service's check (the parent). */
static int
reload_read(struct conf *cf, struct global_conf *g, struct instance *out,
    int check, char *err)
{
	char why[128], *bytes;
	size_t len;
	int n, rc;

	memset(g, 0, sizeof(*g));
	/* the parent reads the file and checks it; a worker parses what the
	 * parent accepted */
	if (check) {
		if (file_read_all(conf_file, CONF_MAX_FILE, &bytes, &len, NULL,
		    why, sizeof(why)) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s: %s", conf_file, why);
			conf_init(cf, conf_file);
			return -1;
		}
	} else if (pub == NULL || (bytes = pub_read(&len)) == NULL) {
		snprintf(err, CONF_ERR_LEN, "%s: out of memory", conf_file);
		conf_init(cf, conf_file);
		return -1;
	}
	rc = conf_parse(conf_file, (const uint8_t *)bytes, len, cf, err);
	if (rc < 0) {
		free(bytes);
		return -1;
	}
	if (server_conf_override(cf, conf_flags) < 0) {
		snprintf(err, CONF_ERR_LEN, "%s: out of memory", conf_file);
		free(bytes);
		return -1;
	}
	n = check ? server_conf_check(cf, conf_list, g, out,
	    SERVER_MAX_INSTANCES, err) : server_instances_from_conf(cf,
	    conf_list, g, out, SERVER_MAX_INSTANCES, err);
	if (n >= 0 && g->log_level && g->log_format) {
		enum log_level lv;
		if (log_level_parse(g->log_level, &lv) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s:%d: bad log-level '%s'",
			    conf_file, key_line(&cf->sec[0], "log-level"),
			    g->log_level);
			server_instances_free(out, n);
			free(bytes);
			return -1;
		}
		if (strcmp(g->log_format, "text") != 0 &&
		    strcmp(g->log_format, "json") != 0) {
			snprintf(err, CONF_ERR_LEN, "%s:%d: bad log-format '%s' "
			    "(text, json)", conf_file,
			    key_line(&cf->sec[0], "log-format"), g->log_format);
			server_instances_free(out, n);
			free(bytes);
			return -1;
		}
	}
	if (n >= 0 && check && pub)
		pub_write(bytes, len);
	free(bytes);
	return n;
}

/* The global keys a reload applies: the log's and shutdown-timeout (not
 * workers). The log is opened again with the new keys. */
static void
reload_globals(struct global_conf *g, struct global_conf *nw)
{
	char err[CONF_ERR_LEN];

	for (const struct conf_key *k = global_keys; k->name; k++)
		if (strcmp(k->name, "workers") != 0)
			field_swap(k, g, nw);
	if (server_open_log(g, err) < 0)
		log_error("reload: %s", err);
}

int
server_conf_reload_parent(struct global_conf *g, struct instance *in, int n)
{
	struct instance nw[SERVER_MAX_INSTANCES];
	struct global_conf g2;
	struct conf cf;
	char err[CONF_ERR_LEN];
	int m = reload_read(&cf, &g2, nw, 1, err);

	if (m < 0) {
		log_error("reload: %s; keeping the running configuration", err);
		conf_release(global_keys, &g2);
		conf_free(&cf);
		return -1;
	}
	if (g2.workers != g->workers)
		log_warn("%s:%d: restart needed to apply workers", conf_file,
		    key_line(&cf.sec[0], "workers"));
	for (int j = 0; j < m; j++) {
		struct instance *old = match_instance(in, n, &nw[j]);
		const struct conf_section *sec = &cf.sec[j + 1];
		if (old == NULL) {
			log_warn("%s:%d: restart needed to apply a new [%s]",
			    conf_file, sec->line, nw[j].svc->name);
			continue;
		}
		for (const struct conf_key *k = nw[j].svc->keys; k->name; k++)
			if (is_restart_key(nw[j].svc, k->name) &&
			    !field_equal(k, old->conf, nw[j].conf))
				log_warn("%s:%d: restart needed to apply [%s] %s",
				    conf_file, key_line(sec, k->name),
				    nw[j].svc->name, k->name);
	}
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (int j = 0; j < m; j++)
			if (nw[j].svc == in[i].svc && nw[j].index == in[i].index)
				found = 1;
		if (!found)
			log_warn("%s:%d: restart needed to remove [%s] (the "
			    "running file's line)", conf_file, in[i].line,
			    in[i].svc->name);
	}
	/* a worker forked from now on (a restart after a crash) starts from
	 * what was accepted, not from the first file: its start must not
	 * fail on a root the reload removed */
	for (int j = 0; j < m; j++) {
		struct instance *old = match_instance(in, n, &nw[j]);
		if (old == NULL || nw[j].svc->reload == NULL)
			continue;
		for (const struct conf_key *k = nw[j].svc->keys; k->name; k++)
			if (!is_restart_key(nw[j].svc, k->name))
				field_swap(k, old->conf, nw[j].conf);
	}
	reload_globals(g, &g2);
	log_info("reloaded %s", conf_file);
	server_instances_free(nw, m);
	conf_release(global_keys, &g2);
	conf_free(&cf);
	return 0;
}

/* A worker's half of a reload: parse the bytes the parent checked and
 * published (never the file itself) and hand each running instance its
 * section's new values. */
void
server_conf_reload_worker(struct global_conf *g, struct instance *in, int n)
{
	struct instance nw[SERVER_MAX_INSTANCES];
	struct global_conf g2;
	struct conf cf;
	char err[CONF_ERR_LEN];
	int m = reload_read(&cf, &g2, nw, 0, err);

	if (m < 0) {
		/* every worker reads the same file: one says it */
		log_once(LOG_ERROR, "reload: %s; keeping the running "
		    "configuration", err);
		goto out;
	}
	reload_globals(g, &g2);
	for (int j = 0; j < m; j++) {
		struct instance *run = match_instance(in, n, &nw[j]);
		const struct service *svc = nw[j].svc;
		if (run == NULL || svc->reload == NULL)
			continue;
		for (const struct conf_key *k = svc->keys; k->name; k++)
			if (!is_restart_key(svc, k->name))
				field_swap(k, run->conf, nw[j].conf);
		if (svc->reload(run, err) < 0) {
			/* each worker's own failure (a descriptor it could not
			 * open): every one is said */
			log_error("reload: %s:%d: [%s] %s; keeping its "
			    "running configuration", run->file, run->line,
			    svc->name, err);
			for (const struct conf_key *k = svc->keys; k->name; k++)
				if (!is_restart_key(svc, k->name))
					field_swap(k, run->conf, nw[j].conf);
		}
	}
	server_instances_free(nw, m);
out:
	conf_release(global_keys, &g2);
	conf_free(&cf);
}

