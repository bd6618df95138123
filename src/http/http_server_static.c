/* http_server_static.c - GET and HEAD of files under a root: index files, the
 * 301 for a directory without its slash, directory listings, validators
 * (Last-Modified, ETag), conditional requests (304), single byte ranges
 * (206, 416), and bodies sent with sendfile.
 *
 * Paths are decoded and normalised by http_path_decode, and then opened with
 * openat2(RESOLVE_BENEATH) relative to the root's descriptor, so that neither
 * ".." nor a symbolic link can lead outside the root: the kernel refuses it
 * (unless symlinks-outside-root is on). A link it refuses only for its form
 * (absolute, or climbing out and back in) is followed, and the file it led
 * to is served only if it lies under the root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "http/http_mime.h"
#include "http/http_server_static.h"
#include "http/http_date.h"
#include "http/http_field.h"
#include "http/http_path.h"

/* Bodies up to this size are copied into the output buffer so that the head
 * and the body leave in one write; larger ones go out with sendfile. */
#define HTTP_INLINE_MAX (16 * 1024)
#define HTTP_PATH_MAX 4096

/* The path the kernel has for an open descriptor; 0, or -1. */
static int
fd_path(int fd, char *out, size_t n)
{
	char link[64];
	ssize_t k;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	k = readlink(link, out, n - 1);
	if (k <= 0 || (size_t)k >= n - 1)
		return -1;
	out[k] = '\0';
	return 0;
}

/* Whether the open file fd is the root directory rootfd or beneath it. It
 * looks at what was opened, so no rename can slip in between. */
static int
fd_beneath(int rootfd, int fd)
{
	char root[HTTP_PATH_MAX], p[HTTP_PATH_MAX];
	size_t n;

	if (fd_path(rootfd, root, sizeof(root)) < 0 ||
	    fd_path(fd, p, sizeof(p)) < 0 || root[0] != '/' || p[0] != '/')
		return 0;
	n = strlen(root);
	if (n == 1)
		return 1;
	return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Opens rel under dirfd (the root or a directory beneath it), refusing
 * anything that ends up outside rootfd. */
static int
open_walk(int dirfd, const char *rel, int flags)
{
	char comp[256];
	int fd = dirfd;

	for (;;) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
		int next;
		if (n >= sizeof(comp)) {
			if (fd != dirfd)
				close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		if (slash && slash[1] == '\0')
			slash = NULL; /* "dir/": the directory itself */
		next = openat(fd, n ? comp : ".", slash ?
		    O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW :
		    flags | O_NOFOLLOW);
		if (fd != dirfd)
			close(fd);
		if (next < 0 || slash == NULL)
			return next;
		fd = next;
		rel = slash + 1;
	}
}

static int
open_beneath(int rootfd, int dirfd, const char *rel, int outside_ok)
{
	static int have_openat2 = 1;
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	if (outside_ok)
		return openat(dirfd, rel, flags);
	if (have_openat2) {
		struct open_how how;
		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)flags;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EXDEV))
			return fd;
		if (errno == EXDEV) {
			/* RESOLVE_BENEATH refuses every absolute symbolic
			 * link and every link that climbs out of dirfd, even
			 * when it lands back inside the root ("/srv/www/a" in
			 * /srv/www, or "../img/a.png" from an index's
			 * directory). Follow it, then check where it led. */
			how.resolve = RESOLVE_NO_MAGICLINKS;
			fd = (int)syscall(SYS_openat2, dirfd, rel, &how,
			    sizeof(how));
			if (fd < 0)
				return -1;
			if (!fd_beneath(rootfd, fd)) {
				close(fd);
				errno = EXDEV;
				return -1;
			}
			return fd;
		}
		have_openat2 = 0;
	}
	/* Old kernels: the decoded path has no "..", so only links can lead
	 * out; refuse every one, on every component, by walking the path
	 * with O_NOFOLLOW. */
	return open_walk(dirfd, rel, flags);
}

static void
fail_open(struct http_txn *t, const char *path)
{
	int e = errno;
	char peer[SOCK_ADDR_STRLEN];

	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		http_send_error(t, 404, NULL);
		break;
	case EACCES:
	case EPERM:
		http_send_error(t, 403, NULL);
		break;
	case EXDEV:
	case ELOOP:
		/* a link that leads out of the root */
		log_info("http: %s: refused %s (leaves the root)",
		    conn_peer_str(t->s->base.c, peer, sizeof(peer)), path);
		http_send_error(t, 404, NULL);
		break;
	case EMFILE:
	case ENFILE:
		http_send_error(t, 503, "Retry-After: 1\r\n");
		break;
	default:
		log_warn("http: open %s: %s", path, strerror(e));
		http_send_error(t, 500, NULL);
		break;
	}
}

static int
not_modified(const struct http_request *r, const struct stat *sb,
    const char *etag)
{
	const struct http_header *h;
	time_t ims;

	h = http_header_find(r->headers, r->nheaders, "If-None-Match");
	if (h)
		return http_etag_match(h->value, slice_cstr(etag), true);
	h = http_header_find(r->headers, r->nheaders, "If-Modified-Since");
	if (h && http_date_parse(h->value, &ims) == 0)
		return sb->st_mtime <= ims;
	return 0;
}

/* If-Range: the range applies only when the validator still matches. */
static int
range_applies(const struct http_request *r, const struct stat *sb,
    const char *etag)
{
	const struct http_header *h;
	time_t when;

	h = http_header_find(r->headers, r->nheaders, "If-Range");
	if (h == NULL)
		return 1;
	if (h->value.n && (h->value.p[0] == '"' || h->value.p[0] == 'W'))
		return http_etag_match(h->value, slice_cstr(etag), false);
	if (http_date_parse(h->value, &when) == 0)
		return when == sb->st_mtime;
	return 0;
}

/* Everything a response about one file needs: its validators and headers
 * (made once), and its bytes: in memory for a cached small file, else an
 * open descriptor. */
struct file_view {
	struct stat sb;
	char etag[48];
	char lastmod[HTTP_DATE_LEN + 1];
	const char *mime;
	char hdrs[128];      /* Last-Modified, ETag, Accept-Ranges lines */
	const uint8_t *data; /* the whole file, or NULL */
	int fd;              /* when data is NULL; owned by the view */
};

static void
view_init(struct file_view *v, int fd, const struct stat *sb, const char *name)
{
	v->sb = *sb;
	snprintf(v->etag, sizeof(v->etag), "\"%llx-%llx\"",
	    (unsigned long long)sb->st_mtime, (unsigned long long)sb->st_size);
	http_date_format(sb->st_mtime, v->lastmod);
	v->mime = http_mime_type(name);
	snprintf(v->hdrs, sizeof(v->hdrs),
	    "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n",
	    v->lastmod, v->etag);
	v->data = NULL;
	v->fd = fd;
}

static void
view_done(struct file_view *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

/* --- the small-file cache ---
 *
 * Small files (up to HTTP_INLINE_MAX) are kept in memory, per worker, with
 * their headers, for file-cache-valid (1 s by default): a hit costs no
 * system call at all, where a miss costs open, fstat, read and close. A
 * file changed on disk is seen again at most that long after. Direct-mapped
 * by a hash of (root, path); only files opened through the checks above
 * (RESOLVE_BENEATH, dotfiles, regular files) ever enter it. */

#define FCACHE_SLOTS 1024

struct fcache_entry {
	char *path;
	int rootfd;
	uint64_t checked;   /* ms, loop clock */
	struct file_view v;
	uint8_t *bytes;
};

static struct fcache_entry fcache[FCACHE_SLOTS];

static size_t
fcache_slot(int rootfd, const char *path)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)rootfd;

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 1099511628211ull;
	return (size_t)(h % FCACHE_SLOTS);
}

static int
fcache_get(struct http_txn *t, const char *path, struct file_view *out)
{
	const struct http_conf *cf = t->s->st->cf;
	struct fcache_entry *e;

	if (!cf->file_cache)
		return 0;
	e = &fcache[fcache_slot(t->rootfd, path)];
	if (e->path == NULL || e->rootfd != t->rootfd || strcmp(e->path, path))
		return 0;
	if (loop_now(t->s->base.c->loop) - e->checked >= cf->file_cache_valid)
		return 0;
	*out = e->v;
	return 1;
}

void
http_server_static_forget(void)
{
	for (size_t i = 0; i < FCACHE_SLOTS; i++) {
		free(fcache[i].path);
		free(fcache[i].bytes);
		memset(&fcache[i], 0, sizeof(fcache[i]));
	}
}

/* Reads a small file whole and keeps it; v then points at the cached bytes
 * and its descriptor is closed. Returns 0, or -1 (v unchanged). */
static int
fcache_put(struct http_txn *t, const char *path, struct file_view *v)
{
	const struct http_conf *cf = t->s->st->cf;
	size_t n = (size_t)v->sb.st_size;
	struct fcache_entry *e;
	uint8_t *bytes;
	char *key;

	if (!cf->file_cache || n > HTTP_INLINE_MAX)
		return -1;
	bytes = malloc(n ? n : 1);
	key = strdup(path);
	if (bytes == NULL || key == NULL ||
	    pread(v->fd, bytes, n, 0) != (ssize_t)n) {
		free(bytes);
		free(key);
		return -1;
	}
	e = &fcache[fcache_slot(t->rootfd, path)];
	free(e->path);
	free(e->bytes);
	view_done(v);
	e->path = key;
	e->rootfd = t->rootfd;
	e->checked = loop_now(t->s->base.c->loop);
	e->bytes = bytes;
	v->data = bytes;
	e->v = *v;
	return 0;
}

static void
send_file(struct http_txn *t, struct file_view *v)
{
	const struct http_request *r = t->req;
	char extra[512];
	uint64_t size = (uint64_t)v->sb.st_size, first = 0, last = 0;
	int status = 200, k;

	if (not_modified(r, &v->sb, v->etag)) {
		snprintf(extra, sizeof(extra), "ETag: %s\r\nLast-Modified: %s\r\n",
		    v->etag, v->lastmod);
		http_send_head(t, 304, NULL, HTTP_LEN_NONE, extra);
		view_done(v);
		return;
	}
	const struct http_header *rh =
	    http_header_find(r->headers, r->nheaders, "Range");
	if (rh && r->method == HTTP_METHOD_GET &&
	    range_applies(r, &v->sb, v->etag)) {
		k = http_parse_range(rh->value, size, &first, &last);
		if (k < 0) {
			snprintf(extra, sizeof(extra),
			    "Content-Range: bytes */%llu\r\n",
			    (unsigned long long)size);
			http_send_error(t, 416, extra);
			view_done(v);
			return;
		}
		if (k == 1)
			status = 206;
	}
	uint64_t len = status == 206 ? last - first + 1 : size;
	const char *hdrs = v->hdrs;
	if (status == 206) {
		snprintf(extra, sizeof(extra),
		    "%sContent-Range: bytes %llu-%llu/%llu\r\n", v->hdrs,
		    (unsigned long long)first, (unsigned long long)last,
		    (unsigned long long)size);
		hdrs = extra;
	}
	if (http_send_head(t, status, v->mime, (int64_t)len, hdrs) < 0 ||
	    r->method == HTTP_METHOD_HEAD || len == 0) {
		view_done(v);
		return;
	}
	t->bytes = len;
	if (v->data) {
		if (conn_write(t->s->base.c, v->data + first, (size_t)len) < 0)
			conn_abort(t->s->base.c);
		return;
	}
	if (len <= HTTP_INLINE_MAX) {
		uint8_t *dst = conn_reserve(t->s->base.c, (size_t)len);
		ssize_t got = dst ? pread(v->fd, dst, (size_t)len, (off_t)first) : -1;
		view_done(v);
		if (got != (ssize_t)len) {
			/* the head is out already: the stream cannot be saved */
			log_warn("http: read: %s",
			    got < 0 ? strerror(errno) : "file shrank");
			conn_abort(t->s->base.c);
			return;
		}
		conn_commit(t->s->base.c, (size_t)len);
		return;
	}
	if (conn_sendfile(t->s->base.c, v->fd, (off_t)first, len, 1) < 0) {
		view_done(v);
		conn_abort(t->s->base.c);
		return;
	}
	v->fd = -1; /* the conn owns it now */
}

/* Serves an opened regular file, through the cache when it is small. */
static void
serve_opened(struct http_txn *t, const char *key, int fd, const struct stat *sb,
    const char *name)
{
	struct file_view v;

	view_init(&v, fd, sb, name);
	fcache_put(t, key, &v);
	send_file(t, &v);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Percent-encodes a name for use in an href. */
static int
url_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$'()*+,;=:@", c)) {
			if (buf_append(b, s, 1) < 0)
				return -1;
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			if (buf_append(b, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}

/* A decoded path for a URL: '/' kept, the rest as in url_escape. */
static int
url_escape_path(struct buf *b, const char *path)
{
	char seg[HTTP_PATH_MAX];

	while (*path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (url_escape(b, seg) < 0)
			return -1;
		if (slash == NULL)
			break;
		if (buf_append(b, "/", 1) < 0)
			return -1;
		path = slash + 1;
	}
	return 0;
}

static void
send_listing(struct http_txn *t, int dirfd, const char *path)
{
	struct buf b;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int fd = dup(dirfd);
	int ok = 1;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		http_send_error(t, 500, NULL);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 10000) {
		if (de->d_name[0] == '.' &&
		    (!t->s->st->cf->dotfiles || !strcmp(de->d_name, ".") ||
			!strcmp(de->d_name, "..")))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL)
				break;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	buf_init(&b, 16 * 1024 * 1024);
	ok = buf_append_str(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Index of ") == 0 &&
	    http_html_escape(&b, (const uint8_t *)path, strlen(path)) == 0 &&
	    buf_append_str(&b, "</title></head>\n<body><h1>Index of ") == 0 &&
	    http_html_escape(&b, (const uint8_t *)path, strlen(path)) == 0 &&
	    buf_append_str(&b, "</h1><hr><pre>\n<a href=\"../\">../</a>\n") == 0;
	for (size_t i = 0; ok && i < n; i++) {
		struct stat sb;
		char date[HTTP_DATE_LEN + 1] = "-";
		int isdir = 0;
		long long size = -1;
		if (fstatat(dirfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0) {
			isdir = S_ISDIR(sb.st_mode);
			size = isdir ? -1 : (long long)sb.st_size;
			http_date_format(sb.st_mtime, date);
		}
		ok = buf_append_str(&b, "<a href=\"") == 0 &&
		    url_escape(&b, names[i]) == 0 &&
		    buf_append_str(&b, isdir ? "/\">" : "\">") == 0 &&
		    http_html_escape(&b, (const uint8_t *)names[i],
			strlen(names[i])) == 0 &&
		    buf_printf(&b, "%s</a>  %s  %lld\n", isdir ? "/" : "", date,
			size) == 0;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ok && buf_append_str(&b, "</pre><hr></body></html>\n") == 0)
		http_send_body(t, 200, "text/html; charset=utf-8", buf_data(&b),
		    b.len, NULL);
	else
		http_send_error(t, 500, NULL);
	buf_free(&b);
}

/* 301 to the directory with its slash. Location is made from the decoded,
 * normalised path, percent-encoded again: never the raw one, where
 * "//evil.example/../dir" would make a protocol-relative redirect. */
static void
redirect_slash(struct http_txn *t, const char *path)
{
	const struct http_request *r = t->req;
	struct buf b;

	buf_init(&b, 3 * strlen(path) + r->query.n + 32);
	if (buf_append_str(&b, "Location: ") == 0 &&
	    url_escape_path(&b, path) == 0 &&
	    buf_append_str(&b, "/") == 0 &&
	    (!r->has_query || (buf_append_str(&b, "?") == 0 &&
		buf_append(&b, r->query.p, r->query.n) == 0)) &&
	    buf_append_str(&b, "\r\n") == 0 && buf_append(&b, "", 1) == 0)
		http_send_error(t, 301, (const char *)buf_data(&b));
	else
		http_send_error(t, 500, NULL);
	buf_free(&b);
}

void
http_server_static_serve(struct http_txn *t)
{
	const struct http_request *r = t->req;
	const struct http_conf *cf = t->s->st->cf;
	char path[HTTP_PATH_MAX], peer[SOCK_ADDR_STRLEN];
	struct stat sb;
	struct slice raw = r->path.n ? r->path : slice_cstr("/");
	int len, fd;

	len = http_path_decode(raw, path, sizeof(path));
	if (len < 0) {
		log_info("http: %s: refused path %.*s",
		    conn_peer_str(t->s->base.c, peer, sizeof(peer)),
		    (int)(raw.n > 200 ? 200 : raw.n), (const char *)raw.p);
		http_send_error(t, 400, NULL);
		return;
	}
	if (!cf->dotfiles && http_path_has_dotfile(path)) {
		http_send_error(t, 404, NULL);
		return;
	}
	struct file_view cached;
	if (fcache_get(t, path, &cached)) {
		send_file(t, &cached);
		return;
	}
	const char *rel = path[1] ? path + 1 : ".";
	fd = open_beneath(t->rootfd, t->rootfd, rel, cf->symlinks_outside);
	if (fd < 0) {
		fail_open(t, path);
		return;
	}
	if (fstat(fd, &sb) < 0) {
		close(fd);
		http_send_error(t, 500, NULL);
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (path[len - 1] != '/') {
			close(fd);
			redirect_slash(t, path);
			return;
		}
		int ifd = open_beneath(t->rootfd, fd, cf->index,
		    cf->symlinks_outside);
		if (ifd >= 0 && fstat(ifd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			close(fd);
			serve_opened(t, path, ifd, &sb, cf->index);
			return;
		}
		if (ifd >= 0)
			close(ifd);
		if (cf->autoindex)
			send_listing(t, fd, path);
		else
			http_send_error(t, 403, NULL);
		close(fd);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		http_send_error(t, 404, NULL);
		return;
	}
	serve_opened(t, path, fd, &sb, path);
}
