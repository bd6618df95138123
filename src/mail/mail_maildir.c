/* mail_maildir.c - Maildir delivery (tmp/, fsync, link into new/, fsync of
 * new/), the mailbox path template, Maildir and Maildir++ folder creation.
 * The message is copied in 64 KiB pieces with CRLF turned into LF; nothing
 * is held whole in memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail_maildir.h"

#define CHUNK (64 * 1024)
#define TRIES 10

/* The Q<n> of the names: per process, shared by the pool's threads. With
 * the microsecond and the pid it makes a name no other delivery on this
 * host uses; O_EXCL and link() (which never replaces) catch the rest. */
static atomic_ulong deliveries;

static void
set_err(char *err, size_t errlen, const char *what, int e)
{
	char buf[128];

	snprintf(err, errlen, "%s: %s", what, strerror_r(e, buf, sizeof(buf)));
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

/* fsync of the folder holding path (its last '/'), "." when none. */
static int
fsync_parent(const char *path)
{
	char dir[MAIL_MAILDIR_PATH_LEN];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return fsync_dir(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return fsync_dir(dir);
}

/* mkdir that makes what is missing of path and fsyncs each new folder
 * into its parent. *made is set when anything was made. */
static int
mkdir_p(const char *path, int *made, char *err, size_t errlen)
{
	char p[MAIL_MAILDIR_PATH_LEN];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p)) {
		snprintf(err, errlen, "%s: bad mailbox path", path);
		return -1;
	}
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i < n)
			p[i] = '\0';
		if (mkdir(p, 0700) == 0) {
			*made = 1;
			if (fsync_parent(p) < 0) {
				set_err(err, errlen, p, errno);
				return -1;
			}
		} else if (errno != EEXIST) {
			set_err(err, errlen, p, errno);
			return -1;
		}
		if (i < n)
			p[i] = '/';
	}
	return 0;
}

static int
join(char *out, size_t outlen, const char *a, const char *b)
{
	int w = snprintf(out, outlen, "%s/%s", a, b);

	if (w < 0 || (size_t)w >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* tmp/ new/ cur/ under dir, then dir itself fsynced if one was made. */
static int
make_subdirs(const char *dir, char *err, size_t errlen)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char p[MAIL_MAILDIR_PATH_LEN];
	int made = 0;

	for (int i = 0; i < 3; i++) {
		if (join(p, sizeof(p), dir, sub[i]) < 0) {
			set_err(err, errlen, dir, errno);
			return -1;
		}
		if (mkdir(p, 0700) == 0)
			made = 1;
		else if (errno != EEXIST) {
			set_err(err, errlen, p, errno);
			return -1;
		}
	}
	if (made && fsync_dir(dir) < 0) {
		set_err(err, errlen, dir, errno);
		return -1;
	}
	return 0;
}

int
mail_maildir_create(const char *path, char *err, size_t errlen)
{
	int made = 0;

	if (mkdir_p(path, &made, err, errlen) < 0)
		return -1;
	return make_subdirs(path, err, errlen);
}

int
mail_maildir_folder_create(const char *path, const char *name, char *err,
    size_t errlen)
{
	char dir[MAIL_MAILDIR_PATH_LEN], f[MAIL_MAILDIR_PATH_LEN];
	size_t n = strlen(name);
	int fd;

	if (n == 0 || name[0] == '.' || name[n - 1] == '.' ||
	    strchr(name, '/') != NULL || strstr(name, "..") != NULL) {
		snprintf(err, errlen, "'%s' is not a folder name", name);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "a folder name holds a control "
			    "character");
			return -1;
		}
	}
	if (mail_maildir_create(path, err, errlen) < 0)
		return -1;
	if (snprintf(dir, sizeof(dir), "%s/.%s", path, name) >=
	    (int)sizeof(dir) || join(f, sizeof(f), dir, "maildirfolder") < 0) {
		snprintf(err, errlen, "%s/.%s: name too long", path, name);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		set_err(err, errlen, dir, errno);
		return -1;
	}
	if (make_subdirs(dir, err, errlen) < 0)
		return -1;
	fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, errlen, f, errno);
		return -1;
	}
	close(fd);
	/* The folder's entry in the Maildir and its maildirfolder file. */
	if (fsync_dir(dir) < 0 || fsync_dir(path) < 0) {
		set_err(err, errlen, dir, errno);
		return -1;
	}
	return 0;
}

/* A value safe as one path component's worth of text. */
static int
path_safe(const char *s)
{
	if (s[0] == '\0' || s[0] == '.')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '/' || c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

int
mail_maildir_path(const char *tmpl, const struct mail_user *u, char *out,
    size_t outlen, char *err, size_t errlen)
{
	size_t k = 0;

	for (const char *t = tmpl; *t; t++) {
		const char *v;
		char one[2] = { *t, '\0' };
		size_t vn;

		if (*t != '%') {
			v = one;
		} else {
			switch (t[1]) {
			case 'd': v = u->domain; break;
			case 'n': v = u->local; break;
			case 'u': v = u->addr; break;
			case '%': v = "%"; break;
			default:
				snprintf(err, errlen, "maildir template '%s': "
				    "unknown %%%c (use %%d, %%n, %%u, %%%%)",
				    tmpl, t[1] ? t[1] : ' ');
				return -1;
			}
			if (t[1] != '%' && !path_safe(v)) {
				snprintf(err, errlen, "'%s' is unsafe in a "
				    "mailbox path", v);
				return -1;
			}
			t++;
		}
		vn = strlen(v);
		if (k + vn >= outlen || k + vn >= MAIL_MAILDIR_PATH_LEN) {
			snprintf(err, errlen, "mailbox path for %s too long",
			    u->addr);
			return -1;
		}
		memcpy(out + k, v, vn);
		k += vn;
	}
	if (k == 0) {
		snprintf(err, errlen, "empty maildir template");
		return -1;
	}
	out[k] = '\0';
	return 0;
}

/* The host part of the names: gethostname with '/' and ':' written as
 * Dovecot does (\057, \072), at most 64 bytes of name. */
static void
host_part(char *out, size_t outlen)
{
	char h[65];
	size_t k = 0;

	if (gethostname(h, sizeof(h)) < 0 || h[0] == '\0')
		snprintf(h, sizeof(h), "localhost");
	h[sizeof(h) - 1] = '\0';
	for (const char *p = h; *p && k + 5 < outlen; p++) {
		if (*p == '/' || *p == ':') {
			k += (size_t)snprintf(out + k, outlen - k, "\\%03o",
			    (unsigned char)*p);
		} else {
			out[k++] = *p;
		}
	}
	out[k] = '\0';
}

static void
base_name(char *out, size_t outlen, const char *host)
{
	struct timespec ts;
	unsigned long q = atomic_fetch_add(&deliveries, 1) + 1;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, outlen, "%lld.M%ldP%ldQ%lu.%s", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, (long)getpid(), q, host);
}

/* The writer: CRLF becomes LF (a lone CR stays), counting what is
 * written and its LFs for ,S= and ,W=. */
struct lfw {
	int fd;
	uint8_t *buf;
	size_t n;
	int cr;
	uint64_t size, lfs;
	int err;	/* errno of a failed write, else 0 */
};

static void
lfw_flush(struct lfw *w)
{
	size_t off = 0;

	while (off < w->n && w->err == 0) {
		ssize_t r = write(w->fd, w->buf + off, w->n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			w->err = r < 0 ? errno : EIO;
		else
			off += (size_t)r;
	}
	w->n = 0;
}

static void
lfw_byte(struct lfw *w, uint8_t c)
{
	if (w->n == CHUNK)
		lfw_flush(w);
	w->buf[w->n++] = c;
	w->size++;
	w->lfs += c == '\n';
}

static void
lfw_put(struct lfw *w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (w->cr) {
			w->cr = 0;
			if (p[i] == '\n') {
				lfw_byte(w, '\n');
				continue;
			}
			lfw_byte(w, '\r');
		}
		if (p[i] == '\r')
			w->cr = 1;
		else
			lfw_byte(w, p[i]);
	}
}

static void
lfw_end(struct lfw *w)
{
	if (w->cr)
		lfw_byte(w, '\r');
	w->cr = 0;
	lfw_flush(w);
}

/* The headers and the message into w. 0, or -1 with err. */
static int
write_message(struct lfw *w, const struct mail_maildir_msg *m,
    const char *rcpt, uint8_t *rbuf, char *err, size_t errlen)
{
	char head[2 * MAIL_ADDR_STRLEN + 64];
	int hn = snprintf(head, sizeof(head),
	    "Return-Path: <%s>\nDelivered-To: %s\n", m->return_path, rcpt);

	if (hn < 0 || (size_t)hn >= sizeof(head)) {
		snprintf(err, errlen, "addresses too long for the headers");
		return -1;
	}
	lfw_put(w, (const uint8_t *)head, (size_t)hn);
	if (m->data != NULL) {
		lfw_put(w, m->data, m->len);
	} else {
		size_t done = 0;
		while (done < m->len && w->err == 0) {
			size_t want = m->len - done < CHUNK ? m->len - done :
			    CHUNK;
			ssize_t r = pread(m->fd, rbuf, want,
			    m->off + (off_t)done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r == 0)
					snprintf(err, errlen, "the message "
					    "file ended early");
				else
					set_err(err, errlen, "reading the "
					    "message", errno);
				return -1;
			}
			lfw_put(w, rbuf, (size_t)r);
			done += (size_t)r;
		}
	}
	lfw_end(w);
	if (w->err != 0) {
		set_err(err, errlen, "writing", w->err);
		return -1;
	}
	return 0;
}

static int
header_safe(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* One mailbox, up to the link into new/ (the folder's fsync comes after
 * all of them). */
static int
deliver_one(const struct mail_maildir_msg *m, struct mail_maildir_dest *d,
    const char *host, uint8_t *rbuf, uint8_t *wbuf)
{
	char base[MAIL_MAILDIR_NAME_LEN - 48], tmp[MAIL_MAILDIR_PATH_LEN];
	char nw[MAIL_MAILDIR_PATH_LEN], sub[MAIL_MAILDIR_PATH_LEN + 8];
	struct lfw w;
	int fd = -1, created = 0, i;

	if (!header_safe(m->return_path) || !header_safe(d->rcpt)) {
		snprintf(d->err, sizeof(d->err), "CR or LF in an address");
		return -1;
	}
	for (i = 0; i < TRIES; i++) {
		base_name(base, sizeof(base), host);
		if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s", d->maildir, base) >=
		    (int)sizeof(tmp)) {
			snprintf(d->err, sizeof(d->err), "%s: path too long",
			    d->maildir);
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			break;
		if (errno == ENOENT && !created) {
			/* First delivery: make the Maildir, then again. */
			if (mail_maildir_create(d->maildir, d->err,
			    sizeof(d->err)) < 0)
				return -1;
			created = 1;
			continue;
		}
		if (errno != EEXIST) {
			set_err(d->err, sizeof(d->err), tmp, errno);
			return -1;
		}
	}
	if (fd < 0) {
		snprintf(d->err, sizeof(d->err), "%s/tmp: no unique name",
		    d->maildir);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.fd = fd;
	w.buf = wbuf;
	if (write_message(&w, m, d->rcpt, rbuf, d->err, sizeof(d->err)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		set_err(d->err, sizeof(d->err), "fsync", errno);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		set_err(d->err, sizeof(d->err), "close", errno);
		goto fail;
	}
	fd = -1;
	for (i = 0; i < TRIES; i++) {
		if (i > 0)
			base_name(base, sizeof(base), host);
		snprintf(d->name, sizeof(d->name), "%s,S=%llu,W=%llu", base,
		    (unsigned long long)w.size,
		    (unsigned long long)(w.size + w.lfs));
		if (snprintf(nw, sizeof(nw), "%s/new/%s", d->maildir,
		    d->name) >= (int)sizeof(nw)) {
			snprintf(d->err, sizeof(d->err), "%s: path too long",
			    d->maildir);
			goto fail;
		}
		/* link(), not rename(): it never replaces a message. */
		if (link(tmp, nw) == 0)
			break;
		if (errno != EEXIST) {
			snprintf(sub, sizeof(sub), "%s/new", d->maildir);
			set_err(d->err, sizeof(d->err), sub, errno);
			goto fail;
		}
	}
	if (i == TRIES) {
		snprintf(d->err, sizeof(d->err), "%s/new: no unique name",
		    d->maildir);
		goto fail;
	}
	/* The tmp/ name need not be durable: a leftover is only a file in
	 * tmp/, which readers ignore and Dovecot cleans after 36 hours. */
	unlink(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	d->name[0] = '\0';
	return -1;
}

size_t
mail_maildir_deliver(const struct mail_maildir_msg *m,
    struct mail_maildir_dest *d, size_t n)
{
	char host[4 * 64 + 1], dir[MAIL_MAILDIR_PATH_LEN];
	uint8_t *rbuf = malloc(CHUNK), *wbuf = malloc(CHUNK);
	size_t good = 0;

	for (size_t i = 0; i < n; i++) {
		d[i].ok = 0;
		d[i].name[0] = '\0';
		d[i].err[0] = '\0';
	}
	if (rbuf == NULL || wbuf == NULL) {
		for (size_t i = 0; i < n; i++)
			snprintf(d[i].err, sizeof(d[i].err), "out of memory");
		free(rbuf);
		free(wbuf);
		return 0;
	}
	host_part(host, sizeof(host));
	for (size_t i = 0; i < n; i++)
		d[i].ok = deliver_one(m, &d[i], host, rbuf, wbuf) == 0;
	free(rbuf);
	free(wbuf);
	/* One fsync per new/ folder, after every link into it. */
	for (size_t i = 0; i < n; i++) {
		int seen = 0, e;
		if (!d[i].ok)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = d[j].ok &&
			    strcmp(d[j].maildir, d[i].maildir) == 0;
		if (seen)
			continue;
		if (snprintf(dir, sizeof(dir), "%s/new", d[i].maildir) <
		    (int)sizeof(dir) && fsync_dir(dir) == 0)
			continue;
		e = errno;
		for (size_t j = i; j < n; j++) {
			char p[MAIL_MAILDIR_PATH_LEN + MAIL_MAILDIR_NAME_LEN];
			if (!d[j].ok || strcmp(d[j].maildir, d[i].maildir))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, d[j].name);
			unlink(p);
			d[j].ok = 0;
			d[j].name[0] = '\0';
			set_err(d[j].err, sizeof(d[j].err), dir, e);
		}
	}
	for (size_t i = 0; i < n; i++)
		good += (size_t)d[i].ok;
	return good;
}
