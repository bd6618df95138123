/* http_server_tls.c - what HTTPS adds to the origin server: the vhost
 * line's optional certificate, the TLS context built from the tls-* keys,
 * and redirect-to-https. Handshakes, tickets and SNI selection are the
 * core's (core/tls.c); this file only says which files and policy. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/tls.h"
#include "http/http_server_tls.h"

/* Copies the word at *p (up to a blank) into out, moving *p past it and
 * the blanks after it. 0, or -1 when it does not fit. */
static int
word(const char **p, char *out, size_t n)
{
	size_t l = strcspn(*p, " \t");

	if (l >= n)
		return -1;
	memcpy(out, *p, l);
	out[l] = '\0';
	*p += l;
	*p += strspn(*p, " \t");
	return 0;
}

int
http_vhost_parse(const char *v, struct http_vhost_words *w, char *err)
{
	const char *p = v + strspn(v, " \t");
	int k = 0;

	memset(w, 0, sizeof(*w));
	if (*p && word(&p, w->name, sizeof(w->name)) == 0)
		k++;
	if (k == 1 && *p && word(&p, w->root, sizeof(w->root)) == 0)
		k++;
	if (k == 2 && *p && word(&p, w->cert, sizeof(w->cert)) == 0)
		k++;
	if (k == 3 && *p && word(&p, w->key, sizeof(w->key)) == 0)
		k++;
	if (*p || (k != 2 && k != 4)) {
		snprintf(err, CONF_ERR_LEN, "http: vhost '%s': expected "
		    "'NAME ROOT [CERT KEY]'", v);
		return -1;
	}
	for (char *q = w->name; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return 0;
}

int
http_server_tls_conf_check(const struct http_conf *cf, char *err)
{
	if (cf->tls_listen.n && (!cf->tls_cert || !cf->tls_key ||
	    !cf->tls_cert[0] || !cf->tls_key[0])) {
		snprintf(err, CONF_ERR_LEN,
		    "http: tls-listen needs tls-cert and tls-key");
		return -1;
	}
	return 0;
}

/* A file the context will read, named by the key that gave it: OpenSSL's
 * own words for a missing file are less clear than strerror's. */
static int
readable(const char *what, const char *path, char *err)
{
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(err, CONF_ERR_LEN, "http: %s %s: %s", what, path,
	    strerror(errno));
	return -1;
}

/* Fills tc from cf; sni and words are the caller's arrays of
 * cf->vhost.n + 1 (the words back the strings in sni). 0, or -1 with
 * err. */
static int
fill(const struct http_conf *cf, struct tls_server_conf *tc,
    struct tls_cert_conf *sni, struct http_vhost_words *words, char *err)
{
	static const char *const alpn[] = { "http/1.1", NULL };

	if (http_server_tls_conf_check(cf, err) < 0)
		return -1;
	if (readable("tls-cert", cf->tls_cert, err) < 0 ||
	    readable("tls-key", cf->tls_key, err) < 0)
		return -1;
	memset(tc, 0, sizeof(*tc));
	tc->def.cert = cf->tls_cert;
	tc->def.key = cf->tls_key;
	tc->protocols = cf->tls_protocols;
	tc->ciphers = cf->tls_ciphers;
	tc->alpn = alpn;
	tc->session_cache = cf->tls_session_cache;
	tc->sni = sni;
	for (int i = 0; i < cf->vhost.n; i++) {
		struct http_vhost_words *w = &words[tc->nsni];
		if (http_vhost_parse(cf->vhost.v[i], w, err) < 0)
			return -1;
		if (!w->cert[0])
			continue;
		if (readable("vhost certificate", w->cert, err) < 0 ||
		    readable("vhost key", w->key, err) < 0)
			return -1;
		sni[tc->nsni].name = w->name;
		sni[tc->nsni].cert = w->cert;
		sni[tc->nsni].key = w->key;
		tc->nsni++;
	}
	return 0;
}

/* Builds the context into *out, or only checks when out is NULL. The
 * words are large (three paths each): on the heap, not the stack. 0, or
 * -1 with err. */
static int
build(const struct http_conf *cf, struct tls_server **out, char *err)
{
	struct tls_server_conf tc;
	struct tls_cert_conf *sni = calloc((size_t)cf->vhost.n + 1,
	    sizeof(*sni));
	struct http_vhost_words *words = calloc((size_t)cf->vhost.n + 1,
	    sizeof(*words));
	char why[TLS_ERR_LEN];
	int rc = -1;

	if (sni == NULL || words == NULL) {
		snprintf(err, CONF_ERR_LEN, "http: out of memory");
		goto done;
	}
	if (fill(cf, &tc, sni, words, err) < 0)
		goto done;
	why[0] = '\0';
	if (out == NULL)
		rc = tls_server_check(&tc, why);
	else if ((*out = tls_server_new(&tc, why)) != NULL)
		rc = 0;
	if (rc < 0)
		snprintf(err, CONF_ERR_LEN, "http: %s", why[0] ? why :
		    "tls: cannot make the context");
done:
	free(sni);
	free(words);
	return rc;
}

struct tls_server *
http_server_tls_new(const struct http_conf *cf, char *err)
{
	struct tls_server *ts = NULL;

	return build(cf, &ts, err) == 0 ? ts : NULL;
}

int
http_server_tls_check(const struct http_conf *cf, char *err)
{
	return build(cf, NULL, err);
}

/* Whether h[0..n) may go into a Location header as a host: a name, an
 * IPv4 address, or a bracketed IPv6 one. */
static int
host_ok(const uint8_t *h, size_t n)
{
	if (n == 0)
		return 0;
	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']')
			return 0;
		for (size_t i = 1; i + 1 < n; i++)
			if (!isxdigit(h[i]) && h[i] != ':' && h[i] != '.')
				return 0;
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!isalnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
			return 0;
	return 1;
}

int
http_server_tls_redirect(struct http_txn *t)
{
	struct http_state *st = t->s->st;
	const struct http_request *r = t->req;
	struct slice host = r->host;
	struct buf b;
	int ok;

	if (!st->cf->redirect_to_https || t->s->tls || !st->tls_port)
		return 0;
	/* Prometheus scrapes plain HTTP and would not follow us */
	if (st->cf->metrics && slice_eq(r->path, "/metrics"))
		return 0;
	if (r->form == HTTP_TARGET_ABSOLUTE && r->authority.n)
		host = r->authority;
	size_t n = host.n;
	if (n == 0)
		return 0; /* HTTP/1.0 without Host: nothing to name */
	if (host.p[0] == '[') {
		const uint8_t *end = memchr(host.p, ']', n);
		n = end ? (size_t)(end - host.p) + 1 : 0;
	} else {
		const uint8_t *colon = memchr(host.p, ':', n);
		if (colon)
			n = (size_t)(colon - host.p);
	}
	if (!host_ok(host.p, n))
		return 0; /* nothing to name in a Location: answer here */
	buf_init(&b, 64 * 1024);
	ok = buf_printf(&b, "Location: https://%.*s", (int)n,
	    (const char *)host.p) == 0;
	if (ok && st->tls_port != 443)
		ok = buf_printf(&b, ":%d", st->tls_port) == 0;
	if (ok && r->form == HTTP_TARGET_ORIGIN) {
		ok = buf_append(&b, r->target.p, r->target.n) == 0;
	} else if (ok) {
		ok = (r->path.n ? buf_append(&b, r->path.p, r->path.n) :
		    buf_append_str(&b, "/")) == 0;
		if (ok && r->has_query)
			ok = buf_append_str(&b, "?") == 0 &&
			    buf_append(&b, r->query.p, r->query.n) == 0;
	}
	ok = ok && buf_append(&b, "\r\n", 3) == 0; /* with its NUL */
	if (ok)
		http_send_error(t, 301, (const char *)buf_data(&b));
	else
		http_send_error(t, 500, NULL);
	buf_free(&b);
	return 1;
}
