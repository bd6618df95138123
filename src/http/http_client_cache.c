/* http_client_cache.c - the client's validating cache for --cache DIR: one
 * file per URL, named by the SHA-256 of the URL, a small text header with the
 * validators and then the body. New entries are written to a temporary file,
 * synced and renamed over the old one, so a reader sees the old entry or the
 * new one, never half of either. No freshness: every use revalidates. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "http/http_client.h"

#define CACHE_MAGIC "camada-cache 1\n"
#define CACHE_HEAD_MAX 16384

/* Copies v into a NUL-terminated field; -1 if too long or a control. */
static int
field(struct slice v, char *out, size_t outsz)
{
	if (v.n >= outsz)
		return -1;
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] < 0x20 || v.p[i] == 0x7f)
			return -1;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	return 0;
}

int
http_client_cache_meta_parse(const uint8_t *p, size_t n,
    struct http_client_cache_meta *m)
{
	size_t ml = strlen(CACHE_MAGIC), i;

	memset(m, 0, sizeof(*m));
	if (n < ml)
		return memcmp(p, CACHE_MAGIC, n) == 0 ? PARSE_AGAIN : PARSE_ERR;
	if (memcmp(p, CACHE_MAGIC, ml) != 0)
		return PARSE_ERR;
	i = ml;
	for (;;) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		struct slice line, key, val;
		const uint8_t *colon;
		size_t ll;

		if (lf == NULL)
			return n - i > CACHE_HEAD_MAX ? PARSE_ERR : PARSE_AGAIN;
		ll = (size_t)(lf - (p + i));
		line = slice_make(p + i, ll);
		i += ll + 1;
		if (ll == 0)
			break;
		if (i > CACHE_HEAD_MAX)
			return PARSE_ERR;
		colon = memchr(line.p, ':', line.n);
		if (colon == NULL)
			return PARSE_ERR;
		key = slice_make(line.p, (size_t)(colon - line.p));
		val = slice_make(colon + 1, line.n - key.n - 1);
		if (val.n > 0 && val.p[0] == ' ')
			val.p++, val.n--;
		int r = 0;
		if (slice_eq(key, "url"))
			r = field(val, m->url, sizeof(m->url));
		else if (slice_eq(key, "etag"))
			r = field(val, m->etag, sizeof(m->etag));
		else if (slice_eq(key, "last-modified"))
			r = field(val, m->last_modified,
			    sizeof(m->last_modified));
		else if (slice_eq(key, "content-type"))
			r = field(val, m->content_type,
			    sizeof(m->content_type));
		else if (slice_eq(key, "stored")) {
			int64_t v = 0;
			if (val.n == 0 || val.n > 18)
				return PARSE_ERR;
			for (size_t k = 0; k < val.n; k++) {
				if (val.p[k] < '0' || val.p[k] > '9')
					return PARSE_ERR;
				v = v * 10 + (val.p[k] - '0');
			}
			m->stored = v;
		}
		if (r < 0)
			return PARSE_ERR;
	}
	if (m->url[0] == '\0')
		return PARSE_ERR;
	return (int)i;
}

void
http_client_cache_key(const char *url, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		memset(md, 0, sizeof(md));
		mdlen = 32;
	}
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

static int
entry_path(const char *dir, const char *url, char *out, size_t outsz)
{
	char hex[65];
	int k;

	http_client_cache_key(url, hex);
	k = snprintf(out, outsz, "%s/%s", dir, hex);
	return k < 0 || (size_t)k >= outsz ? -1 : 0;
}

int
http_client_cache_lookup(const char *dir, const char *url,
    struct http_client_cache_hit *h)
{
	uint8_t buf[CACHE_HEAD_MAX + 64];
	char path[4096];
	struct stat st;
	ssize_t got;
	int k, fd;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (entry_path(dir, url, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	got = pread(fd, buf, sizeof(buf), 0);
	if (got <= 0 || fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	k = http_client_cache_meta_parse(buf, (size_t)got, &h->meta);
	if (k <= 0 || strcmp(h->meta.url, url) != 0 ||
	    (h->meta.etag[0] == '\0' && h->meta.last_modified[0] == '\0') ||
	    lseek(fd, k, SEEK_SET) != k) {
		close(fd);
		return 0;
	}
	h->fd = fd;
	h->size = (uint64_t)st.st_size - (uint64_t)k;
	return 1;
}

void
http_client_cache_hit_close(struct http_client_cache_hit *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
http_client_cache_begin(struct http_client_cache_writer *w, const char *dir,
    const struct http_client_cache_meta *m)
{
	static atomic_uint counter;
	char head[CACHE_HEAD_MAX];
	char hex[65];
	int k;

	w->fd = -1;
	if (m->url[0] == '\0' ||
	    field(slice_cstr(m->url), head, sizeof(head)) < 0 ||
	    field(slice_cstr(m->etag), head, sizeof(head)) < 0 ||
	    field(slice_cstr(m->last_modified), head, sizeof(head)) < 0 ||
	    field(slice_cstr(m->content_type), head, sizeof(head)) < 0)
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	http_client_cache_key(m->url, hex);
	if (entry_path(dir, m->url, w->path, sizeof(w->path)) < 0)
		return -1;
	k = snprintf(w->tmp, sizeof(w->tmp), "%s/.tmp-%.16s-%ld-%u", dir, hex,
	    (long)getpid(), atomic_fetch_add(&counter, 1));
	if (k < 0 || (size_t)k >= sizeof(w->tmp))
		return -1;
	k = snprintf(head, sizeof(head),
	    CACHE_MAGIC "url: %s\netag: %s\nlast-modified: %s\n"
	    "content-type: %s\nstored: %lld\n\n", m->url, m->etag,
	    m->last_modified, m->content_type, (long long)m->stored);
	if (k < 0 || (size_t)k >= sizeof(head))
		return -1;
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return -1;
	if (write_all(w->fd, head, (size_t)k) < 0) {
		http_client_cache_abort(w);
		return -1;
	}
	return 0;
}

int
http_client_cache_write(struct http_client_cache_writer *w, const void *p,
    size_t n)
{
	if (w->fd < 0)
		return -1;
	if (write_all(w->fd, p, n) < 0) {
		http_client_cache_abort(w);
		return -1;
	}
	return 0;
}

int
http_client_cache_commit(struct http_client_cache_writer *w)
{
	int rc;

	if (w->fd < 0)
		return -1;
	rc = fsync(w->fd);
	if (close(w->fd) != 0)
		rc = -1;
	w->fd = -1;
	if (rc == 0)
		rc = rename(w->tmp, w->path);
	if (rc != 0)
		unlink(w->tmp);
	return rc == 0 ? 0 : -1;
}

void
http_client_cache_abort(struct http_client_cache_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp);
	}
	w->fd = -1;
}
