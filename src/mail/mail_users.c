/* mail_users.c - the passwd-file users table: read once, sorted, looked up
 * by address; passwords checked and made with libcrypt. No reload of its
 * own (a new table is built and swapped by the caller). */
#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ascii.h"
#include "core/buf.h"
#include "core/file.h"
#include "mail/mail_users.h"

/* A line being read: its strings are offsets into the table's memory,
 * which may still move; mail_users_parse turns them into pointers last. */
struct entry {
	size_t local, domain, addr, hash, home, extra;
	enum mail_users_scheme scheme;
	long uid, gid;
	int line;
};

static int
user_cmp(const struct mail_user *a, const struct mail_user *b)
{
	int r = ascii_casecmp(a->local, strlen(a->local), b->local,
	    strlen(b->local));

	return r != 0 ? r : ascii_casecmp(a->domain, strlen(a->domain), b->domain,
	    strlen(b->domain));
}

static int
qsort_cmp(const void *a, const void *b)
{
	int r = user_cmp(a, b);

	/* Equal addresses stay in file order, so the error names the
	 * second line. */
	if (r == 0)
		r = ((const struct mail_user *)a)->line -
		    ((const struct mail_user *)b)->line;
	return r;
}

/* Appends s[0..n) and a NUL; *off gets where it starts. */
static int
put_str(struct buf *m, const char *s, size_t n, size_t *off)
{
	*off = m->len;
	if (buf_append(m, s, n) < 0 || buf_append(m, "", 1) < 0)
		return -1;
	return 0;
}

struct scheme_name {
	const char *name;
	int kind;	/* an enum mail_users_scheme, or -1: plaintext */
};

static const struct scheme_name schemes[] = {
	{ "SHA512-CRYPT", MAIL_USERS_SHA512_CRYPT },
	{ "SHA256-CRYPT", MAIL_USERS_SHA256_CRYPT },
	{ "BLF-CRYPT", MAIL_USERS_BLF_CRYPT },
	{ "CRYPT", MAIL_USERS_CRYPT },
	/* Dovecot's plaintext and plaintext-equivalent schemes: the
	 * stored value is the secret, or unlocks the protocol as well as
	 * the secret would. */
	{ "PLAIN", -1 }, { "CLEAR", -1 }, { "CLEARTEXT", -1 },
	{ "PLAIN-TRUNC", -1 }, { "CRAM-MD5", -1 }, { "DIGEST-MD5", -1 },
	{ "SCRAM-SHA-1", -1 }, { "SCRAM-SHA-256", -1 }, { "OTP", -1 },
	{ NULL, 0 },
};

/* 1 when hash starts with one of the crypt prefixes the scheme allows. */
static int
hash_fits(enum mail_users_scheme s, const char *h)
{
	static const char *const strong[] = { "$6$", "$5$", "$2y$", "$2b$",
		"$y$", "$gy$", "$7$", NULL };
	const char *const *pre = strong;

	switch (s) {
	case MAIL_USERS_SHA512_CRYPT:
		return strncmp(h, "$6$", 3) == 0;
	case MAIL_USERS_SHA256_CRYPT:
		return strncmp(h, "$5$", 3) == 0;
	case MAIL_USERS_BLF_CRYPT:
		return strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0;
	case MAIL_USERS_CRYPT:
		break;
	}
	for (; *pre; pre++)
		if (strncmp(h, *pre, strlen(*pre)) == 0)
			return 1;
	return 0;
}

/* The password field: "{SCHEME}hash" or a bare crypt hash. 0, or -1 with
 * the reason in why. */
static int
parse_password(const char *f, size_t n, enum mail_users_scheme *scheme,
    size_t *skip, char *why, size_t whylen)
{
	const char *h = f;
	size_t hn = n;
	int kind = MAIL_USERS_CRYPT;

	if (n == 0) {
		snprintf(why, whylen, "no password");
		return -1;
	}
	*skip = 0;
	if (f[0] == '{') {
		const char *end = memchr(f, '}', n);
		const struct scheme_name *s;
		size_t sn;
		if (end == NULL) {
			snprintf(why, whylen, "'{' without '}'");
			return -1;
		}
		sn = (size_t)(end - f - 1);
		for (s = schemes; s->name; s++)
			if (ascii_casecmp(f + 1, sn, s->name, strlen(s->name)) == 0)
				break;
		if (s->name == NULL) {
			snprintf(why, whylen, "password scheme {%.*s} not "
			    "supported (use SHA512-CRYPT, BLF-CRYPT, "
			    "SHA256-CRYPT or CRYPT; camada passwd makes one)",
			    (int)(sn > 32 ? 32 : sn), f + 1);
			return -1;
		}
		if (s->kind < 0) {
			snprintf(why, whylen, "plaintext password scheme {%s} "
			    "refused (hash it: camada passwd)", s->name);
			return -1;
		}
		kind = s->kind;
		*skip = sn + 2;
		h = end + 1;
		hn = n - *skip;
	}
	*scheme = (enum mail_users_scheme)kind;
	if (hn == 0) {
		snprintf(why, whylen, "no password");
		return -1;
	}
	for (size_t i = 0; i < hn; i++) {
		unsigned char c = (unsigned char)h[i];
		/* crypt(3)'s alphabet, and the separators of its settings. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '/' ||
		    c == '$' || c == '=' || c == ',')) {
			snprintf(why, whylen, "the password is not a crypt(3) "
			    "hash");
			return -1;
		}
	}
	{
		/* h[0..hn) is followed by ':' or the line's end: copy to
		 * test the prefix as a string. */
		char tmp[16];
		size_t k = hn < sizeof(tmp) - 1 ? hn : sizeof(tmp) - 1;
		memcpy(tmp, h, k);
		tmp[k] = '\0';
		if (!hash_fits(*scheme, tmp)) {
			snprintf(why, whylen, "%s", *scheme ==
			    MAIL_USERS_CRYPT ? "weak or unknown crypt method "
			    "(use $6$, $y$ or $2y$; camada passwd makes one)" :
			    "the hash does not match its {SCHEME}");
			return -1;
		}
	}
	return 0;
}

/* A uid or gid field: digits or empty (-1). */
static int
parse_id(const char *f, size_t n, long *v)
{
	*v = -1;
	if (n == 0)
		return 0;
	if (n > 9)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -1;
		*v = *v * 10 + (f[i] - '0');
	}
	return 0;
}

/* One line (no newline) into e. 0, 1 for a line to skip, -1 with why. */
static int
parse_line(const char *p, size_t n, struct buf *m, struct entry *e,
    char *why, size_t whylen)
{
	const char *f[8];
	size_t fn[8], k = 0, i = 0, start = 0, skip;
	struct mail_addr a;
	struct mail_addr_err ae;
	char addr[MAIL_ADDR_STRLEN];
	size_t alen;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '#')
		return 1;
	/* Seven ':'-separated fields; the eighth (extra) is the rest. */
	for (i = 0; i <= n && k < 8; i++) {
		if (i == n || (p[i] == ':' && k < 7)) {
			f[k] = p + start;
			fn[k++] = i - start;
			start = i + 1;
		}
	}
	while (k < 8) {
		f[k] = "";
		fn[k++] = 0;
	}
	if (mail_addr_parse_mailbox((const uint8_t *)f[0], fn[0],
	    MAIL_ADDR_UTF8, &a, &ae) < 0) {
		snprintf(why, whylen, "'%.*s' is not an address user@domain "
		    "(%s)", (int)(fn[0] > 64 ? 64 : fn[0]), f[0], ae.text);
		return -1;
	}
	if (parse_password(f[1], fn[1], &e->scheme, &skip, why, whylen) < 0)
		return -1;
	if (parse_id(f[2], fn[2], &e->uid) < 0 ||
	    parse_id(f[3], fn[3], &e->gid) < 0) {
		snprintf(why, whylen, "uid and gid must be numbers");
		return -1;
	}
	alen = mail_addr_format(&a, addr, sizeof(addr));
	if (put_str(m, a.local, a.local_len, &e->local) < 0 ||
	    put_str(m, a.domain, a.domain_len, &e->domain) < 0 ||
	    put_str(m, addr, alen, &e->addr) < 0 ||
	    put_str(m, f[1] + skip, fn[1] - skip, &e->hash) < 0 ||
	    put_str(m, f[5], fn[5], &e->home) < 0 ||
	    put_str(m, f[7], fn[7], &e->extra) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

void
mail_users_free(struct mail_users *us)
{
	free(us->u);
	free(us->mem);
	us->u = NULL;
	us->mem = NULL;
	us->n = 0;
}

int
mail_users_parse(struct mail_users *us, const char *name, const char *p,
    size_t n, char *err, size_t errlen)
{
	struct entry *e = NULL;
	size_t ne = 0, cap = 0, i = 0;
	struct buf m;
	int line = 0;
	char why[256];

	us->u = NULL;
	us->n = 0;
	us->mem = NULL;
	buf_init(&m, (size_t)-1);
	while (i < n) {
		size_t j = i, len;
		int r;
		while (j < n && p[j] != '\n')
			j++;
		len = j - i;
		if (len > 0 && p[i + len - 1] == '\r')
			len--;
		line++;
		if (ne == cap) {
			struct entry *ne2;
			cap = cap ? cap * 2 : 16;
			ne2 = realloc(e, cap * sizeof(*e));
			if (ne2 == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    name);
				goto fail;
			}
			e = ne2;
		}
		r = parse_line(p + i, len, &m, &e[ne], why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, line, why);
			goto fail;
		}
		if (r == 0)
			e[ne++].line = line;
		i = j + 1;
	}
	if (ne > 0) {
		us->u = calloc(ne, sizeof(*us->u));
		if (us->u == NULL) {
			snprintf(err, errlen, "%s: out of memory", name);
			goto fail;
		}
	}
	/* The memory no longer moves: offsets become pointers. */
	for (size_t k = 0; k < ne; k++) {
		struct mail_user *u = &us->u[k];
		char *base = (char *)buf_data(&m);
		u->local = base + e[k].local;
		u->domain = base + e[k].domain;
		u->addr = base + e[k].addr;
		u->hash = base + e[k].hash;
		u->home = base + e[k].home;
		u->extra = base + e[k].extra;
		u->scheme = e[k].scheme;
		u->uid = e[k].uid;
		u->gid = e[k].gid;
		u->line = e[k].line;
	}
	us->n = ne;
	us->mem = (char *)m.p;
	free(e);
	e = NULL;
	if (ne > 1)
		qsort(us->u, ne, sizeof(*us->u), qsort_cmp);
	for (size_t k = 1; k < ne; k++) {
		if (user_cmp(&us->u[k - 1], &us->u[k]) == 0) {
			snprintf(err, errlen, "%s:%d: %s is already on line %d",
			    name, us->u[k].line, us->u[k].addr,
			    us->u[k - 1].line);
			mail_users_free(us);
			return -1;
		}
	}
	return 0;
fail:
	free(e);
	buf_free(&m);
	us->n = 0;
	return -1;
}

int
mail_users_load(struct mail_users *us, const char *path, char *err,
    size_t errlen)
{
	char *data, why[256];
	size_t len;
	int r;

	us->u = NULL;
	us->n = 0;
	us->mem = NULL;
	if (file_read_all(path, MAIL_USERS_FILE_MAX, &data, &len, NULL, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	r = mail_users_parse(us, path, data, len, err, errlen);
	free(data);
	return r;
}

const struct mail_user *
mail_users_find(const struct mail_users *us, const char *local, size_t llen,
    const char *domain, size_t dlen)
{
	size_t lo = 0, hi = us->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mail_user *u = &us->u[mid];
		int r = ascii_casecmp(local, llen, u->local, strlen(u->local));
		if (r == 0)
			r = ascii_casecmp(domain, dlen, u->domain,
			    strlen(u->domain));
		if (r == 0)
			return u;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct mail_user *
mail_users_find_addr(const struct mail_users *us, const struct mail_addr *a)
{
	if (a->null || a->postmaster)
		return NULL;
	return mail_users_find(us, a->local, a->local_len, a->domain,
	    a->domain_len);
}

/* SHA512-CRYPT of 32 random bytes nobody kept: what a missing user's
 * password is checked against. */
static const char dummy_hash[] = "$6$0rB1C6eVeH3nJzq5$kWcXkvJ0cx/"
    "0RTBnsAbIzVQ6m3gYhCkyq7uXWD4w0Uq9HzWS8zC7tO2a1RgYqJ8k1z9eCQjNwlh0"
    "9V0wK1n3u/";

/* crypt_rn over password[0..n) with setting; the result is copied into
 * out. 0, or -1 (crypt refused the setting or memory ran out). */
static int
crypt_copy(const char *password, size_t n, const char *setting, char *out,
    size_t outlen)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char *pw = malloc(n + 1);
	const char *r;
	int rc = -1;

	if (cd != NULL && pw != NULL) {
		memcpy(pw, password, n);
		pw[n] = '\0';
		r = crypt_rn(pw, setting, cd, (int)sizeof(*cd));
		if (r != NULL && r[0] != '*' && strlen(r) < outlen) {
			memcpy(out, r, strlen(r) + 1);
			rc = 0;
		}
		explicit_bzero(pw, n);
	}
	if (cd != NULL)
		explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(pw);
	return rc;
}

int
mail_users_verify(const struct mail_user *u, const char *password, size_t n)
{
	const char *h = u != NULL ? u->hash : dummy_hash;
	char got[CRYPT_OUTPUT_SIZE];
	size_t hn = strlen(h);
	int match;

	if (n > MAIL_USERS_PASSWORD_MAX || memchr(password, '\0', n) != NULL)
		return 0;
	if (crypt_copy(password, n, h, got, sizeof(got)) < 0)
		return u != NULL ? -1 : 0;
	/* The lengths are public (the hash's method fixes them); the bytes
	 * are compared without an early exit. */
	match = strlen(got) == hn && CRYPTO_memcmp(got, h, hn) == 0;
	explicit_bzero(got, sizeof(got));
	return u != NULL && match;
}

int
mail_users_hash(enum mail_users_hash_kind kind, const char *password,
    size_t n, char *out, size_t outlen, char *err, size_t errlen)
{
	static const struct {
		const char *prefix, *scheme;
	} k[] = {
		[MAIL_USERS_HASH_SHA512] = { "$6$", "SHA512-CRYPT" },
		[MAIL_USERS_HASH_YESCRYPT] = { "$y$", "CRYPT" },
		[MAIL_USERS_HASH_BCRYPT] = { "$2y$", "BLF-CRYPT" },
	};
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], h[CRYPT_OUTPUT_SIZE];
	int w;

	if (n > MAIL_USERS_PASSWORD_MAX || memchr(password, '\0', n) != NULL) {
		snprintf(err, errlen, "the password is longer than %d bytes or "
		    "holds a NUL", MAIL_USERS_PASSWORD_MAX);
		return -1;
	}
	/* rbytes NULL: libcrypt takes the salt from the OS (getentropy). */
	if (crypt_gensalt_rn(k[kind].prefix, 0, NULL, 0, salt,
	    (int)sizeof(salt)) == NULL) {
		snprintf(err, errlen, "crypt_gensalt: %s", strerror(errno));
		return -1;
	}
	if (crypt_copy(password, n, salt, h, sizeof(h)) < 0) {
		snprintf(err, errlen, "crypt failed for %s", k[kind].prefix);
		return -1;
	}
	w = snprintf(out, outlen, "{%s}%s", k[kind].scheme, h);
	explicit_bzero(h, sizeof(h));
	if (w < 0 || (size_t)w >= outlen) {
		snprintf(err, errlen, "no room for the hash");
		return -1;
	}
	return 0;
}
