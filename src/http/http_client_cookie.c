/* http_client_cookie.c - HTTP state management for the client (RFC 6265): the
 * Set-Cookie parser and the cookie-date algorithm (pure), the jar's storage
 * and selection rules, and the Netscape cookie file that curl and wget read
 * and write. No public-suffix list: a Domain without a dot is only taken
 * when it is the host itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ascii.h"
#include "http/http_client.h"

/* Longest Domain or Path attribute value kept (RFC 6265bis §5.6). */
#define COOKIE_ATTR_MAX 1024

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ctl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

static struct slice
trim_wsp(struct slice s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t'))
		s.p++, s.n--;
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

static bool
has_ctl(struct slice s)
{
	for (size_t i = 0; i < s.n; i++)
		if (is_ctl(s.p[i]))
			return true;
	return false;
}

/* ---- cookie-date (§5.1.1) ---------------------------------------------- */

/* %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
static bool
is_delim(uint8_t c)
{
	return c == 0x09 || (c >= 0x20 && c <= 0x2f) ||
	    (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
	    (c >= 0x7b && c <= 0x7e);
}

/* 1*2DIGIT at t[*i], not followed by a digit. */
static int
digits(const uint8_t *t, size_t n, size_t *i, int min, int max, int *v)
{
	int k = 0, x = 0;

	while (*i < n && is_digit(t[*i]) && k < max) {
		x = x * 10 + (t[*i] - '0');
		(*i)++;
		k++;
	}
	if (k < min || (*i < n && is_digit(t[*i])))
		return -1;
	*v = x;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int
http_client_cookie_date_parse(const uint8_t *p, size_t n, time_t *t)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	bool ftime = false, fdom = false, fmonth = false, fyear = false;
	int hh = 0, mm = 0, ss = 0, dom = 0, mon = 0, year = 0;
	size_t i = 0;

	while (i < n) {
		size_t b, e;

		while (i < n && is_delim(p[i]))
			i++;
		b = i;
		while (i < n && !is_delim(p[i]))
			i++;
		e = i;
		if (b == e)
			break;
		const uint8_t *tok = p + b;
		size_t tn = e - b;
		size_t k = 0;
		int a, bb, c;

		if (!ftime && digits(tok, tn, &k, 1, 2, &a) == 0 && k < tn &&
		    tok[k] == ':') {
			k++;
			if (digits(tok, tn, &k, 1, 2, &bb) == 0 && k < tn &&
			    tok[k] == ':') {
				k++;
				if (digits(tok, tn, &k, 1, 2, &c) == 0) {
					ftime = true;
					hh = a, mm = bb, ss = c;
					continue;
				}
			}
		}
		k = 0;
		if (!fdom && digits(tok, tn, &k, 1, 2, &a) == 0) {
			fdom = true;
			dom = a;
			continue;
		}
		if (!fmonth && tn >= 3) {
			int found = 0;
			for (int m = 0; m < 12; m++)
				if (ascii_lower(tok[0]) == months[m * 3] &&
				    ascii_lower(tok[1]) == months[m * 3 + 1] &&
				    ascii_lower(tok[2]) == months[m * 3 + 2]) {
					found = m + 1;
					break;
				}
			if (found) {
				fmonth = true;
				mon = found;
				continue;
			}
		}
		k = 0;
		if (!fyear && digits(tok, tn, &k, 2, 4, &a) == 0) {
			fyear = true;
			year = a;
			continue;
		}
	}
	if (fyear && year >= 70 && year <= 99)
		year += 1900;
	else if (fyear && year >= 0 && year <= 69)
		year += 2000;
	if (!ftime || !fdom || !fmonth || !fyear)
		return -1;
	if (dom < 1 || dom > days_in_month(year, mon) || year < 1601 ||
	    hh > 23 || mm > 59 || ss > 59)
		return -1;
	*t = (time_t)(days_from_civil(year, (unsigned)mon, (unsigned)dom) *
	    86400 + hh * 3600 + mm * 60 + ss);
	return 0;
}

/* ---- Set-Cookie (§5.2) --------------------------------------------------- */

static bool
attr_is(struct slice name, const char *s)
{
	return slice_caseeq(name, s);
}

int
http_client_cookie_parse(const uint8_t *p, size_t n,
    struct http_client_cookie_set *c)
{
	const uint8_t *semi = memchr(p, ';', n);
	size_t nvl = semi ? (size_t)(semi - p) : n;
	const uint8_t *eq = memchr(p, '=', nvl);
	size_t i;

	memset(c, 0, sizeof(*c));
	if (eq == NULL)
		return -1;
	c->name = trim_wsp(slice_make(p, (size_t)(eq - p)));
	c->value = trim_wsp(slice_make(eq + 1, nvl - (size_t)(eq - p) - 1));
	if (c->name.n == 0 || c->name.n + c->value.n > HTTP_CLIENT_COOKIE_MAX ||
	    has_ctl(c->name) || has_ctl(c->value))
		return -1;

	i = nvl;
	while (i < n) {		/* p[i] == ';' */
		size_t b = i + 1, e;
		struct slice av, an, vv;
		const uint8_t *aeq;

		semi = memchr(p + b, ';', n - b);
		e = semi ? (size_t)(semi - p) : n;
		i = e;
		av = slice_make(p + b, e - b);
		aeq = memchr(av.p, '=', av.n);
		if (aeq) {
			an = trim_wsp(slice_make(av.p, (size_t)(aeq - av.p)));
			vv = trim_wsp(slice_make(aeq + 1,
			    av.n - (size_t)(aeq - av.p) - 1));
		} else {
			an = trim_wsp(av);
			vv = slice_make(av.p + av.n, 0);
		}
		if (vv.n > COOKIE_ATTR_MAX || has_ctl(vv))
			continue;
		if (attr_is(an, "expires")) {
			time_t t;
			if (http_client_cookie_date_parse(vv.p, vv.n,
			    &t) == 0) {
				c->has_expires = true;
				c->expires = t;
			}
		} else if (attr_is(an, "max-age")) {
			int64_t v = 0;
			size_t k = 0;
			bool neg = false;

			if (vv.n == 0 || !(is_digit(vv.p[0]) || vv.p[0] == '-'))
				continue;
			if (vv.p[0] == '-') {
				neg = true;
				k = 1;
			}
			if (k == vv.n)
				continue;
			for (; k < vv.n; k++) {
				if (!is_digit(vv.p[k]))
					break;
				if (v < INT64_MAX / 20)
					v = v * 10 + (vv.p[k] - '0');
			}
			if (k < vv.n)
				continue;
			c->has_max_age = true;
			c->max_age = neg ? -v : v;
		} else if (attr_is(an, "domain")) {
			if (vv.n > 0 && vv.p[0] == '.')
				vv.p++, vv.n--;
			if (vv.n == 0)
				continue;
			c->has_domain = true;
			c->domain = vv;
		} else if (attr_is(an, "path")) {
			if (vv.n == 0 || vv.p[0] != '/') {
				c->has_path = false;	/* default-path */
				continue;
			}
			c->has_path = true;
			c->path = vv;
		} else if (attr_is(an, "secure")) {
			c->secure = true;
		} else if (attr_is(an, "httponly")) {
			c->http_only = true;
		}
	}
	return 0;
}

/* ---- matching (§5.1.3, §5.1.4) ------------------------------------------ */

static bool
is_ip(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

bool
http_client_cookie_domain_match(const char *host, const char *domain)
{
	size_t hl = strlen(host), dl = strlen(domain);

	if (hl == dl && strcasecmp(host, domain) == 0)
		return true;
	if (dl == 0 || hl <= dl || host[hl - dl - 1] != '.')
		return false;
	return strcasecmp(host + hl - dl, domain) == 0 && !is_ip(host);
}

bool
http_client_cookie_path_match(const char *path, size_t n, const char *cp)
{
	size_t cl = strlen(cp);

	if (cl > n || memcmp(path, cp, cl) != 0)
		return false;
	return cl == n || (cl > 0 && cp[cl - 1] == '/') || path[cl] == '/';
}

struct slice
http_client_cookie_default_path(const char *path, size_t n)
{
	size_t k = n;

	if (n == 0 || path[0] != '/')
		return slice_cstr("/");
	while (k > 0 && path[k - 1] != '/')
		k--;
	/* k is one past the rightmost '/'; "/a" -> k = 1 -> "/" */
	if (k <= 1)
		return slice_cstr("/");
	return slice_make(path, k - 1);
}

/* ---- the file format ----------------------------------------------------- */

int
http_client_cookie_file_line(const uint8_t *p, size_t n,
    struct http_client_cookie_line *l)
{
	struct slice f[7];
	size_t nf = 0, b = 0;

	memset(l, 0, sizeof(*l));
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n >= 10 && memcmp(p, "#HttpOnly_", 10) == 0) {
		l->http_only = true;
		p += 10;
		n -= 10;
	} else {
		size_t i = 0;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n || p[i] == '#')
			return 0;
	}
	for (size_t i = 0; i <= n && nf < 7; i++) {
		if (i == n || p[i] == '\t') {
			f[nf++] = slice_make(p + b, i - b);
			b = i + 1;
			if (nf == 7 && i < n)	/* the value keeps any tab */
				f[6] = slice_make(f[6].p,
				    n - (size_t)(f[6].p - p));
		}
	}
	if (nf == 6)
		f[nf++] = slice_make(p + n, 0);
	if (nf != 7)
		return -1;
	l->domain = f[0];
	l->path = f[2];
	l->name = f[5];
	l->value = f[6];
	if (l->domain.n == 0 || (l->domain.n == 1 && l->domain.p[0] == '.') ||
	    l->name.n == 0 || l->path.n == 0 || l->path.p[0] != '/' ||
	    l->name.n + l->value.n > HTTP_CLIENT_COOKIE_MAX ||
	    has_ctl(l->domain) || has_ctl(l->path) || has_ctl(l->name) ||
	    has_ctl(l->value))
		return -1;
	if (slice_caseeq(f[1], "TRUE"))
		l->subdomains = true;
	else if (!slice_caseeq(f[1], "FALSE"))
		return -1;
	if (slice_caseeq(f[3], "TRUE"))
		l->secure = true;
	else if (!slice_caseeq(f[3], "FALSE"))
		return -1;
	if (f[4].n == 0 || f[4].n > 18)
		return -1;
	l->expires = 0;
	for (size_t i = 0; i < f[4].n; i++) {
		if (!is_digit(f[4].p[i]))
			return -1;
		l->expires = l->expires * 10 + (f[4].p[i] - '0');
	}
	return 1;
}

int
http_client_cookie_file_format(const struct http_client_cookie *c, char *out,
    size_t outsz)
{
	int k = snprintf(out, outsz, "%s%s%s\t%s\t%s\t%s\t%lld\t%s\t%s",
	    c->http_only ? "#HttpOnly_" : "", c->host_only ? "" : ".",
	    c->domain, c->host_only ? "FALSE" : "TRUE", c->path,
	    c->secure ? "TRUE" : "FALSE", (long long)c->expires, c->name,
	    c->value);

	if (k < 0 || (size_t)k >= outsz)
		return -1;
	return k;
}

/* ---- the jar ------------------------------------------------------------- */

void
http_client_cookie_jar_init(struct http_client_cookie_jar *j)
{
	memset(j, 0, sizeof(*j));
}

static void
cookie_free(struct http_client_cookie *c)
{
	free(c->name);
	free(c->value);
	free(c->domain);
	free(c->path);
}

void
http_client_cookie_jar_free(struct http_client_cookie_jar *j)
{
	for (size_t i = 0; i < j->n; i++)
		cookie_free(&j->c[i]);
	free(j->c);
	memset(j, 0, sizeof(*j));
}

static void
jar_remove(struct http_client_cookie_jar *j, size_t i)
{
	cookie_free(&j->c[i]);
	memmove(&j->c[i], &j->c[i + 1], (j->n - i - 1) * sizeof(j->c[0]));
	j->n--;
}

static char *
dup_lower(struct slice s, bool low)
{
	char *d = malloc(s.n + 1);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < s.n; i++)
		d[i] = (char)(low ? ascii_lower(s.p[i]) : s.p[i]);
	d[s.n] = '\0';
	return d;
}

static bool
expired(time_t expires, time_t now)
{
	return expires != 0 && expires <= now;
}

/* Stores a cookie whose fields are given as slices: replaces one with the
 * same name, domain and path (keeping its creation order), or deletes it
 * when the new one has already expired. */
static int
jar_store(struct http_client_cookie_jar *j, struct slice name,
    struct slice value,
    struct slice domain, struct slice path, time_t expires, bool host_only,
    bool secure, bool http_only, time_t now)
{
	struct http_client_cookie c;
	bool have_old = false;
	uint64_t created = 0;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < j->n; i++) {
		struct http_client_cookie *o = &j->c[i];
		if (slice_eq(name, o->name) && slice_caseeq(domain,
		    o->domain) &&
		    slice_eq(path, o->path)) {
			have_old = true;
			created = o->created;
			jar_remove(j, i);
			break;
		}
	}
	if (expired(expires, now))
		return 0;
	if (j->n >= HTTP_CLIENT_COOKIE_JAR_MAX) {
		/* full: the oldest one goes */
		size_t old = 0;
		for (size_t i = 1; i < j->n; i++)
			if (j->c[i].created < j->c[old].created)
				old = i;
		jar_remove(j, old);
	}
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;
		struct http_client_cookie *nc = realloc(j->c,
		    cap * sizeof(*nc));
		if (nc == NULL)
			return -1;
		j->c = nc;
		j->cap = cap;
	}
	c.name = dup_lower(name, false);
	c.value = dup_lower(value, false);
	c.domain = dup_lower(domain, true);
	c.path = dup_lower(path, false);
	if (!c.name || !c.value || !c.domain || !c.path) {
		cookie_free(&c);
		return -1;
	}
	c.expires = expires;
	c.created = have_old ? created : ++j->seq;
	c.host_only = host_only;
	c.secure = secure;
	c.http_only = http_only;
	j->c[j->n++] = c;
	return 1;
}

int
http_client_cookie_jar_set(struct http_client_cookie_jar *j, const char *host,
    const char *path, size_t n, const uint8_t *v, size_t vn, time_t now)
{
	struct http_client_cookie_set s;
	struct slice domain, cpath;
	time_t expires = 0;
	bool host_only = true;
	char dom[256];

	if (http_client_cookie_parse(v, vn, &s) < 0)
		return 0;
	if (s.has_max_age) {
		if (s.max_age <= 0)
			expires = 1;		/* the earliest time */
		else if (s.max_age > (int64_t)253402300799LL - (int64_t)now)
			expires = (time_t)253402300799LL;	/* year 9999 */
		else
			expires = now + (time_t)s.max_age;
	} else if (s.has_expires) {
		expires = s.expires > 0 ? s.expires : 1;
	}
	if (s.has_domain) {
		if (s.domain.n >= sizeof(dom))
			return 0;
		for (size_t i = 0; i < s.domain.n; i++)
			dom[i] = (char)ascii_lower(s.domain.p[i]);
		dom[s.domain.n] = '\0';
		/* No public-suffix list: a dotless Domain only names the host
		 * itself, which makes the cookie host-only (§5.3 step 5). */
		if (strchr(dom, '.') == NULL) {
			if (strcmp(dom, host) != 0)
				return 0;
		} else {
			if (!http_client_cookie_domain_match(host, dom))
				return 0;
			host_only = false;
		}
		domain = slice_cstr(host_only ? host : dom);
	} else {
		domain = slice_cstr(host);
	}
	cpath = s.has_path ? s.path : http_client_cookie_default_path(path, n);
	return jar_store(j, s.name, s.value, domain, cpath, expires, host_only,
	    s.secure, s.http_only, now);
}

int
http_client_cookie_jar_add_line(struct http_client_cookie_jar *j,
    const struct http_client_cookie_line *l, time_t now)
{
	struct slice d = l->domain;

	if (d.n > 0 && d.p[0] == '.')
		d.p++, d.n--;
	if (d.n == 0 || d.n > 255 || l->expires < 0)
		return 0;
	/* an expired line deletes what it names, as a Set-Cookie would */
	return jar_store(j, l->name, l->value, d, l->path, (time_t)l->expires,
	    !l->subdomains, l->secure, l->http_only, now);
}

struct pick {
	const struct http_client_cookie *c;
};

static int
cmp_pick(const void *a, const void *b)
{
	const struct http_client_cookie *x = ((const struct pick *)a)->c;
	const struct http_client_cookie *y = ((const struct pick *)b)->c;
	size_t xl = strlen(x->path), yl = strlen(y->path);

	if (xl != yl)
		return xl > yl ? -1 : 1;
	return x->created < y->created ? -1 : x->created > y->created;
}

int
http_client_cookie_jar_header(const struct http_client_cookie_jar *j,
    const char *host, const char *path, size_t n, bool secure, time_t now,
    char *out, size_t outsz)
{
	struct pick *pk;
	size_t np = 0, o = 0;

	if (outsz > 0)
		out[0] = '\0';
	if (j->n == 0)
		return 0;
	pk = malloc(j->n * sizeof(*pk));
	if (pk == NULL)
		return -1;
	for (size_t i = 0; i < j->n; i++) {
		const struct http_client_cookie *c = &j->c[i];
		if (c->host_only ? strcasecmp(host, c->domain) != 0 :
		    !http_client_cookie_domain_match(host, c->domain))
			continue;
		if (!http_client_cookie_path_match(path, n, c->path))
			continue;
		if ((c->secure && !secure) || expired(c->expires, now))
			continue;
		pk[np++].c = c;
	}
	qsort(pk, np, sizeof(*pk), cmp_pick);
	for (size_t i = 0; i < np; i++) {
		int k = snprintf(out + o, outsz - o, "%s%s=%s",
		    i ? "; " : "", pk[i].c->name, pk[i].c->value);
		if (k < 0 || (size_t)k >= outsz - o) {
			free(pk);
			out[0] = '\0';
			return -1;
		}
		o += (size_t)k;
	}
	free(pk);
	return (int)o;
}

int
http_client_cookie_jar_load(struct http_client_cookie_jar *j, const char *file,
    time_t now, char *err, size_t errsz)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int count = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsz, "%s: %s", file, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct http_client_cookie_line l;
		size_t n = (size_t)len;

		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (http_client_cookie_file_line((const uint8_t *)line, n,
		    &l) != 1)
			continue;
		int r = http_client_cookie_jar_add_line(j, &l, now);
		if (r < 0) {
			snprintf(err, errsz, "%s: out of memory", file);
			free(line);
			fclose(f);
			return -1;
		}
		count += r;
	}
	free(line);
	fclose(f);
	return count;
}

int
http_client_cookie_jar_save(const struct http_client_cookie_jar *j,
    const char *file, time_t now, char *err, size_t errsz)
{
	char tmp[4096], line[HTTP_CLIENT_COOKIE_MAX + 2048];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errsz, "%s: name too long", file);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fputs("# Netscape HTTP Cookie File\n"
	    "# https://curl.se/docs/http-cookies.html\n"
	    "# This file was generated by camada. Edit at your own risk.\n\n",
	    f);
	for (size_t i = 0; i < j->n; i++) {
		if (expired(j->c[i].expires, now))
			continue;
		if (http_client_cookie_file_format(&j->c[i], line,
		    sizeof(line)) > 0)
			fprintf(f, "%s\n", line);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, file) != 0) {
		snprintf(err, errsz, "%s: %s", file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
