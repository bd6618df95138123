/* mail_queue.c - the outgoing queue on disk: durable put (tmp/, fsync,
 * link into msg/, fsync), listing, reading back, per-recipient state in
 * state/, removal, flush requests, and the cleaning of torn files. No
 * delivery here (mail_relay), and no cache in memory: every call reads the
 * folder, so any process sees what any other wrote. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "mail/mail_queue.h"

#define QUEUE_MAGIC "camada-queue 1\n"
#define STATE_MAGIC "camada-queue-state 1\n"
#define PATH_LEN 4096
#define FILE_MAX ((size_t)1 << 31)
#define TMP_MAX_AGE (24 * 3600)
#define TRIES 10

/* With the time to the microsecond and the pid it makes an id no other
 * put on this host uses; link(), which never replaces, catches the rest. */
static atomic_ulong queue_puts;

static void
set_err(char *err, const char *what, const char *name, int e)
{
	char buf[128];

	snprintf(err, MAIL_QUEUE_ERR_LEN, "%s %s: %s", what, name,
	    strerror_r(e, buf, sizeof(buf)));
}

static int
fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r, e;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static int
path_of(char *out, const char *dir, const char *sub, const char *name)
{
	int n = snprintf(out, PATH_LEN, "%s/%s%s%s", dir, sub,
	    name ? "/" : "", name ? name : "");

	if (n < 0 || n >= PATH_LEN) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* An id we could have made: [0-9a-f], or "all" style names never reach
 * here. Keeps '/' and ".." out of the paths built from it. */
static int
id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= MAIL_QUEUE_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return 1;
}

static int
make_layout(const char *dir, char *err)
{
	static const char *const sub[] = {"tmp", "msg", "state", "flush"};
	char p[PATH_LEN];
	int made = 0;

	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		set_err(err, "mkdir", dir, errno);
		return -1;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (path_of(p, dir, sub[i], NULL) < 0) {
			set_err(err, "path", dir, errno);
			return -1;
		}
		if (mkdir(p, 0700) == 0)
			made = 1;
		else if (errno != EEXIST) {
			set_err(err, "mkdir", p, errno);
			return -1;
		}
	}
	if (made && fsync_dir(dir) < 0) {
		set_err(err, "fsync", dir, errno);
		return -1;
	}
	return 0;
}

/* Growing text for the envelope and state files. */
struct txt {
	char *p;
	size_t n, cap;
	int oom;
};

static void
txt_add(struct txt *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->n + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 512;
		char *q;

		while (cap < t->n + n + 1)
			cap *= 2;
		if ((q = realloc(t->p, cap)) == NULL) {
			t->oom = 1;
			return;
		}
		t->p = q;
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = '\0';
}

static void
txt_str(struct txt *t, const char *s)
{
	txt_add(t, s, strlen(s));
}

static void
txt_num(struct txt *t, long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	txt_str(t, b);
}

/* A field with its spaces, controls and '%' as %XX, so that a line splits
 * at spaces (quoted local parts hold spaces; nothing may hold a newline). */
static void
txt_esc(struct txt *t, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (c <= 0x20 || c == 0x7f || c == '%')
			txt_add(t, e, 3);
		else
			txt_add(t, (const char *)s, 1);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undoes txt_esc in place; -1 on a bad escape. */
static int
unesc(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		int h = hexval(s[1]), l = h < 0 ? -1 : hexval(s[2]);

		if (h < 0 || l < 0)
			return -1;
		*w++ = (char)(h << 4 | l);
		s += 2;
	}
	*w = '\0';
	return 0;
}

static void
envelope_text(struct txt *t, const struct mail_queue_env *env, int64_t now,
    size_t len)
{
	txt_str(t, QUEUE_MAGIC);
	txt_str(t, "created ");
	txt_num(t, now);
	txt_str(t, "\nfrom ");
	txt_esc(t, env->from ? env->from : "");
	if (env->client) {
		txt_str(t, "\nclient ");
		txt_esc(t, env->client);
	}
	if (env->envid) {
		txt_str(t, "\nenvid ");
		txt_esc(t, env->envid);
	}
	txt_str(t, env->body_8bit ? "\nbody 8bit" : "\nbody 7bit");
	txt_str(t, env->smtputf8 ? "\nsmtputf8 1" : "\nsmtputf8 0");
	txt_str(t, env->ret_hdrs ? "\nret hdrs" : "\nret full");
	for (int i = 0; i < env->nrcpt; i++) {
		txt_str(t, "\nrcpt ");
		txt_num(t, env->rcpt[i].notify);
		txt_str(t, " ");
		txt_esc(t, env->rcpt[i].addr);
		if (env->rcpt[i].orcpt) {
			txt_str(t, " ");
			txt_esc(t, env->rcpt[i].orcpt);
		}
	}
	txt_str(t, "\ndata ");
	txt_num(t, (long long)len);
	txt_str(t, "\n");
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(fd, c, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
new_id(char *id)
{
	struct timespec ts;
	unsigned long q = atomic_fetch_add(&queue_puts, 1);

	clock_gettime(CLOCK_REALTIME, &ts);
	/* 9 + 5 + 7 + 4 hex digits: sorted by time, the pid and a counter
	 * keep two processes (or two threads) in one microsecond apart. */
	snprintf(id, MAIL_QUEUE_ID_LEN, "%09llX%05lX%07lX%04lX",
	    (unsigned long long)ts.tv_sec & 0xFFFFFFFFFULL,
	    (unsigned long)(ts.tv_nsec / 1000),
	    (unsigned long)getpid() & 0xFFFFFFFUL, q & 0xFFFFUL);
}

int
mail_queue_put(const char *dir, const struct mail_queue_env *env,
    const void *data, size_t len, char *id, char *err)
{
	char tmp[PATH_LEN], dst[PATH_LEN], name[64], sub[PATH_LEN];
	struct txt t = {0};
	int fd = -1, e;

	if (env->nrcpt <= 0) {
		snprintf(err, MAIL_QUEUE_ERR_LEN, "no recipients");
		return -1;
	}
	if (make_layout(dir, err) < 0)
		return -1;
	envelope_text(&t, env, (int64_t)time(NULL), len);
	if (t.oom) {
		snprintf(err, MAIL_QUEUE_ERR_LEN, "out of memory");
		free(t.p);
		return -1;
	}
	new_id(id);
	snprintf(name, sizeof(name), "%ld.%s", (long)getpid(), id);
	if (path_of(tmp, dir, "tmp", name) < 0) {
		set_err(err, "path", dir, errno);
		goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, "open", tmp, errno);
		goto fail;
	}
	if (write_all(fd, t.p, t.n) < 0 || write_all(fd, data, len) < 0) {
		set_err(err, "write", tmp, errno);
		goto fail_unlink;
	}
	if (fsync(fd) < 0) {
		set_err(err, "fsync", tmp, errno);
		goto fail_unlink;
	}
	close(fd);
	fd = -1;
	/* link() never replaces: a clash (another host sharing the folder,
	 * a clock stepped back) takes a new id. */
	for (int i = 0;; i++) {
		if (path_of(dst, dir, "msg", id) < 0) {
			set_err(err, "path", dir, errno);
			goto fail_unlink;
		}
		if (link(tmp, dst) == 0)
			break;
		if (errno != EEXIST || i == TRIES) {
			set_err(err, "link", dst, errno);
			goto fail_unlink;
		}
		new_id(id);
	}
	unlink(tmp);
	if (path_of(sub, dir, "msg", NULL) < 0 || fsync_dir(sub) < 0) {
		e = errno;
		unlink(dst);
		set_err(err, "fsync", sub, e);
		goto fail;
	}
	free(t.p);
	return 0;
fail_unlink:
	e = errno;
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
	errno = e;
fail:
	if (fd >= 0)
		close(fd);
	free(t.p);
	id[0] = '\0';
	return -1;
}

/* A tmp/ name is "<pid>.<id>": torn when that pid is gone or it is old. */
static int
tmp_torn(const char *dir, const char *name, int64_t now)
{
	char p[PATH_LEN], *end;
	struct stat st;
	long pid = strtol(name, &end, 10);

	if (path_of(p, dir, "tmp", name) < 0 || lstat(p, &st) < 0)
		return 0;
	if (now - (int64_t)st.st_mtime > TMP_MAX_AGE)
		return 1;
	if (end == name || *end != '.' || pid <= 0)
		return 1;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int
mail_queue_open(const char *dir, char *err)
{
	char p[PATH_LEN], m[PATH_LEN];
	struct dirent *de;
	int64_t now = (int64_t)time(NULL);
	DIR *d;

	if (make_layout(dir, err) < 0)
		return -1;
	if (path_of(p, dir, "tmp", NULL) < 0 || (d = opendir(p)) == NULL) {
		set_err(err, "opendir", dir, errno);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !tmp_torn(dir, de->d_name, now))
			continue;
		if (path_of(p, dir, "tmp", de->d_name) == 0)
			unlink(p);
	}
	closedir(d);
	if (path_of(p, dir, "state", NULL) < 0 || (d = opendir(p)) == NULL) {
		set_err(err, "opendir", dir, errno);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (path_of(m, dir, "msg", de->d_name) < 0 ||
		    path_of(p, dir, "state", de->d_name) < 0)
			continue;
		/* A state file being written (".tmp" in its name) is the
		 * runner's; one without a message is left by a remove that
		 * was cut short. */
		if (strchr(de->d_name, '.') == NULL && access(m, F_OK) < 0 &&
		    errno == ENOENT)
			unlink(p);
	}
	closedir(d);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
mail_queue_list(const char *dir, char (**ids)[MAIL_QUEUE_ID_LEN], int *n,
    char *err)
{
	char p[PATH_LEN];
	char (*v)[MAIL_QUEUE_ID_LEN] = NULL;
	int cap = 0, k = 0;
	struct dirent *de;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (path_of(p, dir, "msg", NULL) < 0 || (d = opendir(p)) == NULL) {
		if (errno == ENOENT)
			return 0;
		set_err(err, "opendir", dir, errno);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!id_valid(de->d_name))
			continue;
		if (k == cap) {
			int nc = cap ? cap * 2 : 64;
			void *q = realloc(v, (size_t)nc * sizeof(*v));

			if (q == NULL) {
				closedir(d);
				free(v);
				snprintf(err, MAIL_QUEUE_ERR_LEN,
				    "out of memory");
				return -1;
			}
			v = q;
			cap = nc;
		}
		snprintf(v[k++], MAIL_QUEUE_ID_LEN, "%s", de->d_name);
	}
	closedir(d);
	if (k)
		qsort(v, (size_t)k, sizeof(*v), cmp_id);
	*ids = v;
	*n = k;
	return 0;
}

/* Splits the next line off *p (up to end), NUL-terminating it. */
static char *
next_line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return s;
}

static int
parse_num(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return end == s || *end != '\0' || errno ? -1 : 0;
}

/* The envelope of the file's bytes in m->buf_ (NUL after them). */
static int
parse_envelope(struct mail_queue_msg *m, size_t flen)
{
	char *p = m->buf_, *end = m->buf_ + flen, *line;
	struct mail_queue_env *env = &m->env;
	int cap = 0;

	if (flen < strlen(QUEUE_MAGIC) ||
	    memcmp(p, QUEUE_MAGIC, strlen(QUEUE_MAGIC)) != 0)
		return -1;
	p += strlen(QUEUE_MAGIC);
	while ((line = next_line(&p, end)) != NULL) {
		char *val = strchr(line, ' ');
		long long v;

		if (val == NULL)
			return -1;
		*val++ = '\0';
		if (strcmp(line, "data") == 0) {
			if (parse_num(val, &v) < 0 || v < 0 ||
			    (size_t)v != (size_t)(end - p))
				return -1;
			m->data = (const uint8_t *)p;
			m->len = (size_t)v;
			return env->from && env->nrcpt > 0 ? 0 : -1;
		}
		if (strcmp(line, "rcpt") == 0) {
			char *addr = strchr(val, ' '), *orcpt;
			struct mail_queue_rcpt *r;

			if (addr == NULL)
				return -1;
			*addr++ = '\0';
			if ((orcpt = strchr(addr, ' ')) != NULL)
				*orcpt++ = '\0';
			if (parse_num(val, &v) < 0 || unesc(addr) < 0 ||
			    (orcpt && unesc(orcpt) < 0) || addr[0] == '\0')
				return -1;
			if (env->nrcpt == cap) {
				int nc = cap ? cap * 2 : 8;
				void *q = realloc(env->rcpt,
				    (size_t)nc * sizeof(*env->rcpt));

				if (q == NULL)
					return -1;
				env->rcpt = q;
				cap = nc;
			}
			r = &env->rcpt[env->nrcpt++];
			r->addr = addr;
			r->orcpt = orcpt;
			r->notify = (unsigned)v;
			continue;
		}
		if (unesc(val) < 0)
			return -1;
		if (strcmp(line, "created") == 0) {
			if (parse_num(val, &v) < 0)
				return -1;
			m->created = v;
		} else if (strcmp(line, "from") == 0) {
			env->from = val;
		} else if (strcmp(line, "client") == 0) {
			env->client = val;
		} else if (strcmp(line, "envid") == 0) {
			env->envid = val;
		} else if (strcmp(line, "body") == 0) {
			env->body_8bit = strcmp(val, "8bit") == 0;
		} else if (strcmp(line, "smtputf8") == 0) {
			env->smtputf8 = strcmp(val, "1") == 0;
		} else if (strcmp(line, "ret") == 0) {
			env->ret_hdrs = strcmp(val, "hdrs") == 0;
		}
		/* Unknown keys are skipped: a newer writer may add some. */
	}
	return -1;
}

/* state/<id>, if there is one; a damaged one counts as absent (every
 * recipient tried again: a duplicate beats a loss). */
static void
read_state(const char *dir, struct mail_queue_msg *m)
{
	char p[PATH_LEN], err[64], *data, *s, *end, *line;
	size_t len;

	if (path_of(p, dir, "state", m->id) < 0 ||
	    file_read_all(p, FILE_MAX, &data, &len, NULL, err,
	    sizeof(err)) < 0)
		return;
	s = data;
	end = data + len;
	if (len < strlen(STATE_MAGIC) ||
	    memcmp(s, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
		free(data);
		return;
	}
	s += strlen(STATE_MAGIC);
	while ((line = next_line(&s, end)) != NULL) {
		long long i, tries, next, last;
		char st, msg[MAIL_QUEUE_ERR_LEN * 3 + 1];
		int k;

		msg[0] = '\0';
		k = sscanf(line, "%lld %c %lld %lld %lld %960s", &i, &st,
		    &tries, &next, &last, msg);
		if (k < 5 || i < 0 || i >= m->env.nrcpt || unesc(msg) < 0)
			continue;
		struct mail_queue_rstat *r = &m->st[i];

		r->state = st == 'D' ? MAIL_QUEUE_DONE :
		    st == 'F' ? MAIL_QUEUE_FAILED : MAIL_QUEUE_PENDING;
		r->tries = (int)tries;
		r->next_try = next;
		r->last_try = last;
		snprintf(r->err, sizeof(r->err), "%s", msg);
	}
	free(data);
}

int
mail_queue_read(const char *dir, const char *id, struct mail_queue_msg *m,
    char *err)
{
	char p[PATH_LEN];
	size_t len;
	struct stat st;

	memset(m, 0, sizeof(*m));
	if (!id_valid(id))
		return 1;
	snprintf(m->id, sizeof(m->id), "%s", id);
	if (path_of(p, dir, "msg", id) < 0) {
		set_err(err, "path", dir, errno);
		return -1;
	}
	if (file_read_all(p, FILE_MAX, &m->buf_, &len, &st, err,
	    MAIL_QUEUE_ERR_LEN) < 0)
		return errno == ENOENT ? 1 : -1;
	m->size = len;
	if (parse_envelope(m, len) < 0) {
		snprintf(err, MAIL_QUEUE_ERR_LEN, "%s: not a queue file", p);
		mail_queue_msg_free(m);
		return -1;
	}
	m->st = calloc((size_t)m->env.nrcpt, sizeof(*m->st));
	if (m->st == NULL) {
		snprintf(err, MAIL_QUEUE_ERR_LEN, "out of memory");
		mail_queue_msg_free(m);
		return -1;
	}
	read_state(dir, m);
	return 0;
}

void
mail_queue_msg_free(struct mail_queue_msg *m)
{
	free(m->buf_);
	free(m->env.rcpt);
	free(m->st);
	memset(m, 0, sizeof(*m));
}

/* Writes text to sub/name durably: sub/name.tmp, fsync, rename, fsync. */
static int
write_durable(const char *dir, const char *sub, const char *name,
    const struct txt *t, char *err)
{
	char tmp[PATH_LEN], dst[PATH_LEN], d[PATH_LEN], tn[128];
	int fd;

	snprintf(tn, sizeof(tn), "%s.%ld.tmp", name, (long)getpid());
	if (path_of(tmp, dir, sub, tn) < 0 ||
	    path_of(dst, dir, sub, name) < 0 ||
	    path_of(d, dir, sub, NULL) < 0) {
		set_err(err, "path", dir, errno);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, "open", tmp, errno);
		return -1;
	}
	if (write_all(fd, t->p, t->n) < 0 || fsync(fd) < 0) {
		set_err(err, "write", tmp, errno);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, dst) < 0) {
		set_err(err, "rename", dst, errno);
		unlink(tmp);
		return -1;
	}
	if (fsync_dir(d) < 0) {
		set_err(err, "fsync", d, errno);
		return -1;
	}
	return 0;
}

int
mail_queue_save_state(const char *dir, const struct mail_queue_msg *m,
    char *err)
{
	char p[PATH_LEN];
	struct txt t = {0};
	int r;

	if (!id_valid(m->id) || path_of(p, dir, "msg", m->id) < 0 ||
	    access(p, F_OK) < 0)
		return 1;
	txt_str(&t, STATE_MAGIC);
	for (int i = 0; i < m->env.nrcpt; i++) {
		const struct mail_queue_rstat *s = &m->st[i];
		static const char code[] = {'P', 'D', 'F'};

		txt_num(&t, i);
		txt_add(&t, " ", 1);
		txt_add(&t, &code[s->state], 1);
		txt_add(&t, " ", 1);
		txt_num(&t, s->tries);
		txt_add(&t, " ", 1);
		txt_num(&t, s->next_try);
		txt_add(&t, " ", 1);
		txt_num(&t, s->last_try);
		if (s->err[0]) {
			txt_add(&t, " ", 1);
			txt_esc(&t, s->err);
		}
		txt_add(&t, "\n", 1);
	}
	if (t.oom) {
		free(t.p);
		snprintf(err, MAIL_QUEUE_ERR_LEN, "out of memory");
		return -1;
	}
	r = write_durable(dir, "state", m->id, &t, err);
	free(t.p);
	/* A delete that came while we wrote leaves a stale state file;
	 * mail_queue_open cleans it. */
	return r;
}

int
mail_queue_remove(const char *dir, const char *id, char *err)
{
	char p[PATH_LEN], d[PATH_LEN];

	if (!id_valid(id) || path_of(p, dir, "msg", id) < 0)
		return 1;
	if (unlink(p) < 0) {
		if (errno == ENOENT)
			return 1;
		set_err(err, "unlink", p, errno);
		return -1;
	}
	if (path_of(d, dir, "msg", NULL) == 0 && fsync_dir(d) < 0) {
		set_err(err, "fsync", d, errno);
		return -1;
	}
	if (path_of(p, dir, "state", id) == 0)
		unlink(p);
	return 0;
}

int
mail_queue_finished(const struct mail_queue_msg *m, int64_t *next)
{
	int done = 1;
	int64_t t = INT64_MAX;

	for (int i = 0; i < m->env.nrcpt; i++) {
		if (m->st[i].state != MAIL_QUEUE_PENDING)
			continue;
		done = 0;
		if (m->st[i].next_try < t)
			t = m->st[i].next_try;
	}
	if (!done && next)
		*next = t;
	return done;
}

int
mail_queue_flush_request(const char *dir, const char *id, char *err)
{
	char p[PATH_LEN];
	int fd;

	if (id && !id_valid(id)) {
		snprintf(err, MAIL_QUEUE_ERR_LEN, "%s: not a queue id", id);
		return -1;
	}
	if (make_layout(dir, err) < 0)
		return -1;
	if (path_of(p, dir, "flush", id ? id : "all") < 0) {
		set_err(err, "path", dir, errno);
		return -1;
	}
	/* Not fsynced: a flush lost in a crash is only a retry at its
	 * planned time. */
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, "open", p, errno);
		return -1;
	}
	close(fd);
	return 0;
}

int
mail_queue_flush_take(const char *dir, mail_queue_flush_fn *fn, void *arg,
    char *err)
{
	char p[PATH_LEN];
	struct dirent *de;
	int all = 0;
	DIR *d;

	if (path_of(p, dir, "flush", NULL) < 0 || (d = opendir(p)) == NULL) {
		if (errno == ENOENT)
			return 0;
		set_err(err, "opendir", dir, errno);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		int is_all = strcmp(de->d_name, "all") == 0;

		if (!is_all && !id_valid(de->d_name))
			continue;
		if (path_of(p, dir, "flush", de->d_name) < 0 || unlink(p) < 0)
			continue;
		if (is_all)
			all = 1;
		else if (fn)
			fn(de->d_name, arg);
	}
	closedir(d);
	return all;
}
