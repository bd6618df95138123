/* http_client_url.c - URI references for the client (RFC 3986): splitting,
 * resolution against a base (§5.2), and parsing of absolute http and https
 * URLs for requests. Pure: no I/O, no allocation. */
#include <arpa/inet.h>
#include <string.h>

#include "core/ascii.h"
#include "http/http_client.h"

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

void
http_client_uri_split(const char *s, size_t n, struct http_client_uri *u)
{
	size_t i = 0, j;

	memset(u, 0, sizeof(*u));
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (n > 0 && is_alpha((unsigned char)s[0])) {
		for (j = 1; j < n; j++) {
			unsigned char c = (unsigned char)s[j];
			if (!(is_alpha(c) || is_digit(c) || c == '+' ||
			    c == '-' || c == '.'))
				break;
		}
		if (j < n && s[j] == ':') {
			u->has_scheme = true;
			u->scheme = slice_make(s, j);
			i = j + 1;
		}
	}
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		i += 2;
		for (j = i; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#';
		    j++)
			;
		u->has_authority = true;
		u->authority = slice_make(s + i, j - i);
		i = j;
	}
	for (j = i; j < n && s[j] != '?' && s[j] != '#'; j++)
		;
	u->path = slice_make(s + i, j - i);
	i = j;
	if (i < n && s[i] == '?') {
		for (j = i + 1; j < n && s[j] != '#'; j++)
			;
		u->has_query = true;
		u->query = slice_make(s + i + 1, j - i - 1);
		i = j;
	}
	if (i < n && s[i] == '#') {
		u->has_fragment = true;
		u->fragment = slice_make(s + i + 1, n - i - 1);
	}
}

/* A bounded writer: fails (and stays failed) once out is full. */
struct wr {
	char *p;
	size_t n, cap;
	bool full;
};

static void
wr_put(struct wr *w, const void *p, size_t n)
{
	if (w->full)
		return;
	if (n >= w->cap - w->n) {	/* keep room for the NUL */
		w->full = true;
		return;
	}
	memcpy(w->p + w->n, p, n);
	w->n += n;
	w->p[w->n] = '\0';
}

static void
wr_slice(struct wr *w, struct slice s)
{
	wr_put(w, s.p, s.n);
}

static void
wr_str(struct wr *w, const char *s)
{
	wr_put(w, s, strlen(s));
}

int
http_client_remove_dot_segments(const char *in, size_t n, char *out,
    size_t outsz)
{
	size_t i = 0, o = 0;

	if (outsz == 0)
		return -1;
	/* §5.2.4, with the output buffer as a stack of segments. Each step
	 * looks at the front of the input buffer in[i..n). */
	while (i < n) {
		size_t rest = n - i;
		const char *p = in + i;

		if (rest >= 3 && memcmp(p, "../", 3) == 0) {		/* A */
			i += 3;
		} else if (rest >= 2 && memcmp(p, "./", 2) == 0) {
			i += 2;
		} else if (rest >= 3 && memcmp(p, "/./", 3) == 0) {	/* B */
			i += 2;
		} else if (rest == 2 && memcmp(p, "/.", 2) == 0) {
			/* replace "/." by "/" */
			i += 1;
			if (o + 1 >= outsz)
				return -1;
			out[o++] = '/';
			i += 1;
		} else if ((rest >= 4 && memcmp(p, "/../", 4) == 0) ||
		    (rest == 3 && memcmp(p, "/..", 3) == 0)) {		/* C */
			/* drop the last output segment and its '/' */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (rest == 3) {
				if (o + 1 >= outsz)
					return -1;
				out[o++] = '/';
				i += 3;
			} else {
				i += 3;		/* leaves "/" in front */
			}
		} else if ((rest == 1 && p[0] == '.') ||
		    (rest == 2 && memcmp(p, "..", 2) == 0)) {		/* D */
			i = n;
		} else {						/* E */
			size_t j = (p[0] == '/') ? 1 : 0;
			while (j < rest && p[j] != '/')
				j++;
			if (o + j >= outsz)
				return -1;
			memcpy(out + o, p, j);
			o += j;
			i += j;
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* Copies ref without surrounding C0/space and without inner TAB/CR/LF into
 * tmp; returns its length, or -1 when it does not fit or holds a NUL. */
static int
clean_ref(const char *ref, size_t n, char *tmp, size_t tmpsz)
{
	size_t a = 0, b = n, o = 0;

	while (a < b && (unsigned char)ref[a] <= 0x20)
		a++;
	while (b > a && (unsigned char)ref[b - 1] <= 0x20)
		b--;
	for (size_t i = a; i < b; i++) {
		if (ref[i] == '\t' || ref[i] == '\r' || ref[i] == '\n')
			continue;
		if (ref[i] == '\0' || o + 1 >= tmpsz)
			return -1;
		tmp[o++] = ref[i];
	}
	tmp[o] = '\0';
	return (int)o;
}

int
http_client_url_resolve(const char *base, const char *ref, size_t refn,
    char *out, size_t outsz)
{
	struct http_client_uri b, r;
	static const size_t tmpmax = HTTP_CLIENT_URL_MAX * 2;
	char rbuf[HTTP_CLIENT_URL_MAX * 2];
	char merged[HTTP_CLIENT_URL_MAX * 2];
	char path[HTTP_CLIENT_URL_MAX * 2];
	struct wr w = { out, 0, outsz, outsz == 0 };
	struct wr m = { merged, 0, sizeof(merged), false };
	struct slice query;
	bool has_query;
	int rn, pn;

	if (outsz > 0)
		out[0] = '\0';
	rn = clean_ref(ref, refn, rbuf, tmpmax);
	if (rn < 0)
		return -1;
	http_client_uri_split(base, strlen(base), &b);
	if (!b.has_scheme)
		return -1;
	http_client_uri_split(rbuf, (size_t)rn, &r);

	if (r.has_scheme) {
		wr_slice(&w, r.scheme);
		wr_str(&w, ":");
		if (r.has_authority) {
			wr_str(&w, "//");
			wr_slice(&w, r.authority);
		}
		pn = http_client_remove_dot_segments((const char *)r.path.p,
		    r.path.n, path, sizeof(path));
		query = r.query;
		has_query = r.has_query;
	} else {
		wr_slice(&w, b.scheme);
		wr_str(&w, ":");
		if (r.has_authority) {
			wr_str(&w, "//");
			wr_slice(&w, r.authority);
			pn = http_client_remove_dot_segments(
			    (const char *)r.path.p, r.path.n, path,
			    sizeof(path));
			query = r.query;
			has_query = r.has_query;
		} else {
			if (b.has_authority) {
				wr_str(&w, "//");
				wr_slice(&w, b.authority);
			}
			if (r.path.n == 0) {
				pn = (int)b.path.n;
				if (b.path.n >= sizeof(path))
					return -1;
				memcpy(path, b.path.p, b.path.n);
				path[b.path.n] = '\0';
				query = r.has_query ? r.query : b.query;
				has_query = r.has_query || b.has_query;
			} else {
				if (r.path.p[0] == '/') {
					wr_slice(&m, r.path);
				} else if (b.has_authority && b.path.n == 0) {
					wr_str(&m, "/");	/* §5.2.3 */
					wr_slice(&m, r.path);
				} else {
					size_t k = b.path.n;
					while (k > 0 && b.path.p[k - 1] != '/')
						k--;
					wr_put(&m, b.path.p, k);
					wr_slice(&m, r.path);
				}
				if (m.full)
					return -1;
				pn = http_client_remove_dot_segments(merged,
				    m.n, path, sizeof(path));
				query = r.query;
				has_query = r.has_query;
			}
		}
	}
	if (pn < 0)
		return -1;
	wr_put(&w, path, (size_t)pn);
	if (has_query) {
		wr_str(&w, "?");
		wr_slice(&w, query);
	}
	if (w.full)
		return -1;
	return (int)w.n;
}

/* Bytes that may not appear raw in a request-target (RFC 3986 §2 allows
 * unreserved, sub-delims, ":@/?" and '%' for pct-encoded). */
static bool
needs_encoding(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return true;
	return strchr("\"<>\\^`{|}", c) != NULL;
}

static void
wr_encoded(struct wr *w, struct slice s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = s.p[i];
		if (needs_encoding(c)) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			wr_put(w, e, 3);
		} else {
			wr_put(w, &c, 1);
		}
	}
}

static bool
valid_reg_name(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
		    c == '_' || c == '~'))
			return false;
	}
	return true;
}

int
http_client_url_parse(const char *s, size_t n, struct http_client_url *u)
{
	struct http_client_uri x;
	struct slice auth, host, port = { NULL, 0 };
	bool has_port = false;
	struct wr w;
	size_t i;

	memset(u, 0, sizeof(*u));
	while (n > 0 && ((unsigned char)s[0] <= 0x20))
		s++, n--;
	while (n > 0 && ((unsigned char)s[n - 1] <= 0x20))
		n--;
	if (n == 0 || n > HTTP_CLIENT_URL_MAX)
		return HTTP_CLIENT_URL_BAD;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return HTTP_CLIENT_URL_BAD;
	http_client_uri_split(s, n, &x);
	if (!x.has_scheme || x.scheme.n >= sizeof(u->scheme))
		return HTTP_CLIENT_URL_BAD;
	for (i = 0; i < x.scheme.n; i++)
		u->scheme[i] = (char)ascii_lower(x.scheme.p[i]);
	u->scheme[i] = '\0';
	if (strcmp(u->scheme, "https") == 0)
		u->tls = true;
	else if (strcmp(u->scheme, "http") != 0)
		return HTTP_CLIENT_URL_SCHEME;
	if (!x.has_authority)
		return HTTP_CLIENT_URL_BAD;

	/* authority = [ userinfo "@" ] host [ ":" port ] */
	auth = x.authority;
	for (i = auth.n; i > 0; i--)
		if (auth.p[i - 1] == '@') {
			auth = slice_make(auth.p + i, auth.n - i);
			break;
		}
	if (auth.n > 0 && auth.p[0] == '[') {
		const uint8_t *rb = memchr(auth.p, ']', auth.n);
		struct in6_addr a6;
		char tmp[64];
		size_t hl;

		if (rb == NULL)
			return HTTP_CLIENT_URL_BAD;
		hl = (size_t)(rb - auth.p) - 1;
		if (hl == 0 || hl >= sizeof(tmp))
			return HTTP_CLIENT_URL_BAD;
		memcpy(tmp, auth.p + 1, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return HTTP_CLIENT_URL_BAD;
		host = slice_make(auth.p + 1, hl);
		u->ipv6 = true;
		i = hl + 2;
		if (i < auth.n) {
			if (auth.p[i] != ':')
				return HTTP_CLIENT_URL_BAD;
			has_port = true;
			port = slice_make(auth.p + i + 1, auth.n - i - 1);
		}
	} else {
		const uint8_t *colon = memchr(auth.p, ':', auth.n);
		size_t hl = colon ? (size_t)(colon - auth.p) : auth.n;

		host = slice_make(auth.p, hl);
		if (colon) {
			has_port = true;
			port = slice_make(colon + 1, auth.n - hl - 1);
		}
		if (!valid_reg_name((const char *)host.p, host.n))
			return HTTP_CLIENT_URL_BAD;
	}
	if (host.n >= sizeof(u->host))
		return HTTP_CLIENT_URL_BAD;
	for (i = 0; i < host.n; i++)
		u->host[i] = (char)ascii_lower(host.p[i]);
	u->host[i] = '\0';

	u->port = u->tls ? 443 : 80;
	if (has_port && port.n > 0) {	/* "http://h:/" is port 80 */
		long v = 0;
		if (port.n > 5)
			return HTTP_CLIENT_URL_BAD;
		for (i = 0; i < port.n; i++) {
			if (!is_digit(port.p[i]))
				return HTTP_CLIENT_URL_BAD;
			v = v * 10 + (port.p[i] - '0');
		}
		if (v < 1 || v > 65535)
			return HTTP_CLIENT_URL_BAD;
		u->port = (int)v;
	}

	w = (struct wr){ u->hostport, 0, sizeof(u->hostport), false };
	if (u->ipv6)
		wr_str(&w, "[");
	wr_str(&w, u->host);
	if (u->ipv6)
		wr_str(&w, "]");
	if (u->port != (u->tls ? 443 : 80)) {
		char pb[8];
		int k = 0, p = u->port;
		char rev[8];
		do {
			rev[k++] = (char)('0' + p % 10);
			p /= 10;
		} while (p > 0);
		pb[0] = ':';
		for (int j = 0; j < k; j++)
			pb[1 + j] = rev[k - 1 - j];
		wr_put(&w, pb, (size_t)k + 1);
	}
	if (w.full)
		return HTTP_CLIENT_URL_BAD;

	/* Dot segments go, as curl does by default: "/a/../b" is "/b". */
	w = (struct wr){ u->target, 0, sizeof(u->target), false };
	if (x.path.n == 0) {
		wr_str(&w, "/");
	} else {
		char clean[HTTP_CLIENT_URL_MAX];
		int k = http_client_remove_dot_segments((const char *)x.path.p,
		    x.path.n, clean, sizeof(clean));
		if (k < 0)
			return HTTP_CLIENT_URL_BAD;
		wr_encoded(&w, slice_make(clean, (size_t)k));
	}
	if (x.has_query) {
		wr_str(&w, "?");
		wr_encoded(&w, x.query);
	}
	if (w.full)
		return HTTP_CLIENT_URL_BAD;

	w = (struct wr){ u->str, 0, sizeof(u->str), false };
	wr_str(&w, u->scheme);
	wr_str(&w, "://");
	wr_str(&w, u->hostport);
	wr_str(&w, u->target);
	if (w.full)
		return HTTP_CLIENT_URL_BAD;
	return HTTP_CLIENT_URL_OK;
}
