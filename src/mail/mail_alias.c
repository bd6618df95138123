/* mail_alias.c - the aliases table (logical lines, names and targets
 * checked with mail_addr's parser) and the recursive expansion with its
 * depth bound and loop detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ascii.h"
#include "core/buf.h"
#include "core/file.h"
#include "mail/mail_alias.h"

/* While reading, strings are offsets into mem (which may move). */
struct tgt_off {
	size_t local, domain;	/* domain (size_t)-1: none */
};

struct alias_off {
	size_t name, first, nt;
	int line;
};

struct reader {
	struct buf mem;
	struct tgt_off *t;
	size_t nt, tcap;
	struct alias_off *a;
	size_t na, acap;
};

static int
put_str(struct buf *m, const char *s, size_t n, size_t *off)
{
	*off = m->len;
	if (buf_append(m, s, n) < 0 || buf_append(m, "", 1) < 0)
		return -1;
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A local part alone ("alice", "\"a b\"") or an address: both go through
 * mail_addr_parse_mailbox, the local part with a stand-in domain, so the
 * users file, the aliases file and SMTP agree on what a name is. */
static int
parse_name(const char *p, size_t n, struct mail_addr *a, int *has_domain)
{
	char tmp[MAIL_ADDR_PATH_MAX + 4];
	struct mail_addr_err e;
	int in_quote = 0;
	const char *at = NULL;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' && (i == 0 || p[i - 1] != '\\'))
			in_quote = !in_quote;
		else if (p[i] == '@' && !in_quote)
			at = p + i;
	}
	*has_domain = at != NULL;
	if (at != NULL)
		return mail_addr_parse_mailbox((const uint8_t *)p, n,
		    MAIL_ADDR_UTF8, a, &e) < 0 ? -1 : 0;
	if (n + 2 > sizeof(tmp))
		return -1;
	memcpy(tmp, p, n);
	memcpy(tmp + n, "@x", 2);
	return mail_addr_parse_mailbox((const uint8_t *)tmp, n + 2,
	    MAIL_ADDR_UTF8, a, &e) < 0 ? -1 : 0;
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*p)[*n - 1]))
		(*n)--;
}

/* One target of a logical line. */
static int
add_target(struct reader *r, const char *p, size_t n, char *why,
    size_t whylen)
{
	struct mail_addr a;
	struct tgt_off *t;
	int dom;

	if (n > 0 && (p[0] == '|' || p[0] == '/' || (n >= 9 &&
	    strncmp(p, ":include:", 9) == 0) || (p[0] == '"' && n > 1 &&
	    (p[1] == '|' || p[1] == '/')))) {
		snprintf(why, whylen, "'%.*s': commands, files and :include: "
		    "are not supported (aliases reach local users only)",
		    (int)(n > 40 ? 40 : n), p);
		return -1;
	}
	if (parse_name(p, n, &a, &dom) < 0) {
		snprintf(why, whylen, "'%.*s' is not a local part or an "
		    "address", (int)(n > 64 ? 64 : n), p);
		return -1;
	}
	if (r->nt == r->tcap) {
		size_t cap = r->tcap ? r->tcap * 2 : 32;
		struct tgt_off *nt = realloc(r->t, cap * sizeof(*nt));
		if (nt == NULL)
			goto oom;
		r->t = nt;
		r->tcap = cap;
	}
	t = &r->t[r->nt];
	t->domain = (size_t)-1;
	if (put_str(&r->mem, a.local, a.local_len, &t->local) < 0 ||
	    (dom && put_str(&r->mem, a.domain, a.domain_len, &t->domain) < 0))
		goto oom;
	r->nt++;
	return 0;
oom:
	snprintf(why, whylen, "out of memory");
	return -1;
}

/* "name: target, target, ..." (continuations already joined). */
static int
parse_entry(struct reader *r, const char *p, size_t n, int line, char *why,
    size_t whylen)
{
	const char *colon = NULL, *name = p;
	size_t nn, i, start, first = r->nt;
	struct mail_addr a;
	struct alias_off *al;
	int in_quote = 0, dom;

	for (i = 0; i < n && colon == NULL; i++) {
		if (p[i] == '"' && (i == 0 || p[i - 1] != '\\'))
			in_quote = !in_quote;
		else if (p[i] == ':' && !in_quote)
			colon = p + i;
	}
	if (colon == NULL) {
		snprintf(why, whylen, "no ':' after the alias name");
		return -1;
	}
	nn = (size_t)(colon - p);
	trim(&name, &nn);
	if (parse_name(name, nn, &a, &dom) < 0 || dom) {
		snprintf(why, whylen, "'%.*s' is not a local part (an alias "
		    "has no domain: it applies to every local domain)",
		    (int)(nn > 64 ? 64 : nn), name);
		return -1;
	}
	in_quote = 0;
	start = (size_t)(colon - p) + 1;
	for (i = start; i <= n; i++) {
		if (i < n && p[i] == '"' && p[i - 1] != '\\')
			in_quote = !in_quote;
		if (i == n || (p[i] == ',' && !in_quote)) {
			const char *v = p + start;
			size_t vn = i - start;
			trim(&v, &vn);
			if (vn > 0 && add_target(r, v, vn, why, whylen) < 0)
				return -1;
			start = i + 1;
		}
	}
	if (r->nt == first) {
		snprintf(why, whylen, "alias %s has no target", a.local);
		return -1;
	}
	if (r->na == r->acap) {
		size_t cap = r->acap ? r->acap * 2 : 16;
		struct alias_off *na = realloc(r->a, cap * sizeof(*na));
		if (na == NULL)
			goto oom;
		r->a = na;
		r->acap = cap;
	}
	al = &r->a[r->na];
	if (put_str(&r->mem, a.local, a.local_len, &al->name) < 0)
		goto oom;
	al->first = first;
	al->nt = r->nt - first;
	al->line = line;
	r->na++;
	return 0;
oom:
	snprintf(why, whylen, "out of memory");
	return -1;
}

static int
alias_cmp(const void *x, const void *y)
{
	const struct mail_alias *a = x, *b = y;
	int r = ascii_casecmp(a->name, strlen(a->name), b->name, strlen(b->name));

	return r != 0 ? r : a->line - b->line;
}

void
mail_alias_free(struct mail_aliases *al)
{
	free(al->a);
	free(al->targets);
	free(al->mem);
	al->a = NULL;
	al->targets = NULL;
	al->mem = NULL;
	al->n = 0;
}

/* Adds a physical line to the logical line in j (a continuation joins
 * with one space). */
static int
join_line(struct buf *j, const char *p, size_t n)
{
	if (j->len > 0 && buf_append(j, " ", 1) < 0)
		return -1;
	return buf_append(j, p, n);
}

int
mail_alias_parse(struct mail_aliases *al, const char *name, const char *p,
    size_t n, char *err, size_t errlen)
{
	struct reader r;
	struct buf j;
	size_t i = 0;
	int line = 0, start_line = 0;
	char why[256];

	memset(al, 0, sizeof(*al));
	memset(&r, 0, sizeof(r));
	buf_init(&r.mem, (size_t)-1);
	buf_init(&j, MAIL_ALIAS_FILE_MAX);
	for (;;) {
		size_t e = i, len = 0, k = 0;
		int end = i >= n, entry;
		if (!end) {
			while (e < n && p[e] != '\n')
				e++;
			len = e - i;
			if (len > 0 && p[i + len - 1] == '\r')
				len--;
			while (k < len && is_blank(p[i + k]))
				k++;
			line++;
			if (k == len || p[i + k] == '#') {
				/* blank or comment: skipped; a continuation
				 * after it still continues */
				i = e + 1;
				continue;
			}
		}
		entry = end || k == 0;
		if (!entry && start_line == 0) {
			snprintf(err, errlen, "%s:%d: a continuation line with "
			    "nothing before it", name, line);
			goto fail;
		}
		if (entry && start_line != 0) {
			if (parse_entry(&r, (const char *)buf_data(&j), j.len,
			    start_line, why, sizeof(why)) < 0) {
				snprintf(err, errlen, "%s:%d: %s", name,
				    start_line, why);
				goto fail;
			}
			buf_reset(&j);
			start_line = 0;
		}
		if (end)
			break;
		if (entry)
			start_line = line;
		if (join_line(&j, p + i + k, len - k) < 0)
			goto oom;
		i = e + 1;
	}
	buf_free(&j);
	if (r.na > 0 && (al->a = calloc(r.na, sizeof(*al->a))) == NULL)
		goto oom2;
	if (r.nt > 0 &&
	    (al->targets = calloc(r.nt, sizeof(*al->targets))) == NULL)
		goto oom2;
	al->mem = (char *)r.mem.p;
	for (size_t k = 0; k < r.nt; k++) {
		al->targets[k].local = al->mem + r.t[k].local;
		al->targets[k].domain = r.t[k].domain == (size_t)-1 ? NULL :
		    al->mem + r.t[k].domain;
	}
	for (size_t k = 0; k < r.na; k++) {
		al->a[k].name = al->mem + r.a[k].name;
		al->a[k].t = al->targets + r.a[k].first;
		al->a[k].nt = r.a[k].nt;
		al->a[k].line = r.a[k].line;
	}
	al->n = r.na;
	free(r.t);
	free(r.a);
	if (al->n > 1)
		qsort(al->a, al->n, sizeof(*al->a), alias_cmp);
	for (size_t k = 1; k < al->n; k++) {
		if (ascii_casecmp(al->a[k - 1].name, strlen(al->a[k - 1].name),
		    al->a[k].name, strlen(al->a[k].name)) == 0) {
			snprintf(err, errlen, "%s:%d: alias %s is already on "
			    "line %d", name, al->a[k].line, al->a[k].name,
			    al->a[k - 1].line);
			mail_alias_free(al);
			return -1;
		}
	}
	return 0;
oom2:
	free(al->a);
	free(al->targets);
	al->a = NULL;
	al->targets = NULL;
	snprintf(err, errlen, "%s: out of memory", name);
	buf_free(&r.mem);
	free(r.t);
	free(r.a);
	return -1;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	buf_free(&j);
	buf_free(&r.mem);
	free(r.t);
	free(r.a);
	return -1;
}

int
mail_alias_load(struct mail_aliases *al, const char *path, char *err,
    size_t errlen)
{
	char *data, why[256];
	size_t len;
	int r;

	memset(al, 0, sizeof(*al));
	if (file_read_all(path, MAIL_ALIAS_FILE_MAX, &data, &len, NULL, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	r = mail_alias_parse(al, path, data, len, err, errlen);
	free(data);
	return r;
}

const struct mail_alias *
mail_alias_find(const struct mail_aliases *al, const char *name, size_t n)
{
	size_t lo = 0, hi = al != NULL ? al->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = ascii_casecmp(name, n, al->a[mid].name,
		    strlen(al->a[mid].name));
		if (r == 0)
			return &al->a[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct mail_alias_reply
mail_alias_reply(enum mail_alias_result r)
{
	static const struct mail_alias_reply t[] = {
		[MAIL_ALIAS_OK] = { 250, "2.1.5", "OK" },
		[MAIL_ALIAS_NO_USER] = { 550, "5.1.1", "No such user here" },
		[MAIL_ALIAS_LOOP] = { 550, "5.4.6", "Alias loop" },
		[MAIL_ALIAS_TOO_DEEP] = { 550, "5.4.6",
			"Aliases nested too deep" },
		[MAIL_ALIAS_TOO_MANY] = { 550, "5.5.3",
			"Alias expands to too many recipients" },
		[MAIL_ALIAS_REMOTE] = { 550, "5.3.0",
			"Alias forwards off-site (not supported)" },
	};
	return t[r];
}

/* One expansion's state: the aliases being expanded (the chain, for loop
 * detection) and the users found. */
struct expand {
	const struct mail_aliases *al;
	const struct mail_users *us;
	const char *const *domains;
	size_t ndomains;
	const struct mail_alias *chain[MAIL_ALIAS_DEPTH_MAX];
	int depth;
	const struct mail_user **out;
	size_t max, n;
	char *why;
	size_t whylen;
	int blamed;	/* why names the alias nearest the failure */
};

static enum mail_alias_result
add_user(struct expand *x, const struct mail_user *u)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->out[i] == u)
			return MAIL_ALIAS_OK;
	if (x->n >= x->max) {
		snprintf(x->why, x->whylen, "more than %zu users", x->max);
		return MAIL_ALIAS_TOO_MANY;
	}
	x->out[x->n++] = u;
	return MAIL_ALIAS_OK;
}

static enum mail_alias_result resolve(struct expand *x, const char *local,
    size_t llen, const char *domain, size_t dlen, int tag_ok);

static enum mail_alias_result
expand_alias(struct expand *x, const struct mail_alias *a,
    const char *domain, size_t dlen)
{
	enum mail_alias_result r;

	for (int i = 0; i < x->depth; i++) {
		if (x->chain[i] == a) {
			snprintf(x->why, x->whylen, "alias %s (line %d) "
			    "reaches itself", a->name, a->line);
			return MAIL_ALIAS_LOOP;
		}
	}
	if (x->depth >= MAIL_ALIAS_DEPTH_MAX) {
		snprintf(x->why, x->whylen, "alias %s (line %d) is nested "
		    "more than %d deep", a->name, a->line,
		    MAIL_ALIAS_DEPTH_MAX);
		return MAIL_ALIAS_TOO_DEEP;
	}
	x->chain[x->depth++] = a;
	for (size_t i = 0; i < a->nt; i++) {
		const struct mail_alias_target *t = &a->t[i];
		const char *d = t->domain ? t->domain : domain;
		size_t dn = t->domain ? strlen(t->domain) : dlen;
		size_t tl = strlen(t->local);

		if (!mail_addr_domain_in(d, dn, x->domains, x->ndomains)) {
			snprintf(x->why, x->whylen, "alias %s (line %d) "
			    "forwards to %s@%.*s, not a local domain",
			    a->name, a->line, t->local, (int)dn, d);
			r = MAIL_ALIAS_REMOTE;
		} else if (ascii_casecmp(t->local, tl, a->name,
		    strlen(a->name)) == 0) {
			/* "alice: alice, bob": the user alice, not the
			 * alias again (aliases(5)). */
			const struct mail_user *u = mail_users_find(x->us,
			    t->local, tl, d, dn);
			if (u == NULL) {
				snprintf(x->why, x->whylen, "alias %s (line "
				    "%d) names itself and is no user in %.*s",
				    a->name, a->line, (int)dn, d);
				r = MAIL_ALIAS_LOOP;
			} else {
				r = add_user(x, u);
			}
		} else {
			r = resolve(x, t->local, tl, d, dn, 1);
			if (r == MAIL_ALIAS_NO_USER && !x->blamed++)
				snprintf(x->why, x->whylen, "alias %s (line "
				    "%d): no user or alias %s@%.*s", a->name,
				    a->line, t->local, (int)dn, d);
		}
		if (r != MAIL_ALIAS_OK)
			return r;
	}
	x->depth--;
	return MAIL_ALIAS_OK;
}

/* An alias of that name, else a user, else (tag_ok) the same without the
 * "+tag". */
static enum mail_alias_result
resolve(struct expand *x, const char *local, size_t llen, const char *domain,
    size_t dlen, int tag_ok)
{
	const struct mail_alias *a = mail_alias_find(x->al, local, llen);
	const struct mail_user *u;
	const char *plus;

	if (a != NULL)
		return expand_alias(x, a, domain, dlen);
	u = mail_users_find(x->us, local, llen, domain, dlen);
	if (u != NULL)
		return add_user(x, u);
	plus = memchr(local, '+', llen);
	if (tag_ok && plus != NULL)
		return resolve(x, local, (size_t)(plus - local), domain, dlen,
		    0);
	snprintf(x->why, x->whylen, "no user or alias %.*s@%.*s", (int)llen,
	    local, (int)dlen, domain);
	return MAIL_ALIAS_NO_USER;
}

enum mail_alias_result
mail_alias_expand(const struct mail_aliases *al, const struct mail_users *us,
    const char *const *domains, size_t ndomains, const struct mail_addr *rcpt,
    const struct mail_user **out, size_t max, size_t *n, char *why,
    size_t whylen)
{
	struct expand x;
	enum mail_alias_result r;
	const char *dom = rcpt->domain;
	size_t dlen = rcpt->domain_len;

	memset(&x, 0, sizeof(x));
	x.al = al;
	x.us = us;
	x.domains = domains;
	x.ndomains = ndomains;
	x.out = out;
	x.max = max;
	x.why = why;
	x.whylen = whylen;
	*n = 0;
	if (whylen > 0)
		why[0] = '\0';
	if (rcpt->postmaster && ndomains > 0) {
		dom = domains[0];
		dlen = strlen(dom);
	}
	if (rcpt->null || !mail_addr_domain_in(dom, dlen, domains, ndomains)) {
		snprintf(why, whylen, "not a local domain");
		return MAIL_ALIAS_NO_USER;
	}
	r = resolve(&x, rcpt->local, rcpt->local_len, dom, dlen, 1);
	if (r == MAIL_ALIAS_OK)
		*n = x.n;
	return r;
}

int
mail_alias_check(const struct mail_aliases *al, const struct mail_users *us,
    const char *const *domains, size_t ndomains, const char *file,
    char *err, size_t errlen)
{
	size_t max = us->n > 0 ? us->n : 1, n;
	const struct mail_user **out = calloc(max, sizeof(*out));
	char why[MAIL_ALIAS_ERR_LEN];

	if (out == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	for (size_t i = 0; al != NULL && i < al->n; i++) {
		for (size_t d = 0; d < ndomains; d++) {
			struct mail_addr a;
			memset(&a, 0, sizeof(a));
			a.local_len = strlen(al->a[i].name);
			memcpy(a.local, al->a[i].name, a.local_len);
			a.domain_len = strlen(domains[d]);
			if (a.domain_len > MAIL_ADDR_DOMAIN_MAX)
				continue;
			memcpy(a.domain, domains[d], a.domain_len);
			if (mail_alias_expand(al, us, domains, ndomains, &a,
			    out, max, &n, why, sizeof(why)) != MAIL_ALIAS_OK) {
				snprintf(err, errlen, "%s:%d: %s in %s", file,
				    al->a[i].line, why, domains[d]);
				free(out);
				return -1;
			}
		}
	}
	free(out);
	return 0;
}
