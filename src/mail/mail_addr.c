/* mail_addr.c - RFC 5321 paths (with RFC 6531's UTF-8), their ESMTP
 * parameters (RFC 1870, 6152, 3030, 3461, 4954, 6531) and the relay
 * policy's questions about an address. One bounded pass, a cursor that
 * checks what is left before each read; the decoded parts are written
 * through a writer that fails when full. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "mail/mail_addr.h"

/* A cursor over the line. */
struct cur {
	const uint8_t *p;
	size_t n, i;
};

static int
cur_peek(const struct cur *c)
{
	return c->i < c->n ? c->p[c->i] : -1;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext. */
static int
is_atext(int c)
{
	return c >= 0 && (is_alpha(c) || is_digit(c) ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL));
}

/* The length of the well-formed UTF-8 sequence (2 to 4 bytes; no
 * overlong forms, surrogates or values past U+10FFFF) at p[0..n), or 0. */
static size_t
utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t k;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t j = 2; j < k; j++)
		if (p[j] < 0x80 || p[j] > 0xbf)
			return 0;
	return k;
}

/* The errors, each with the reply the server sends. */
static const struct mail_addr_err e_syntax_from = { 501, "5.5.4",
	"Syntax: MAIL FROM:<address> [parameters]" };
static const struct mail_addr_err e_syntax_to = { 501, "5.5.4",
	"Syntax: RCPT TO:<address> [parameters]" };
static const struct mail_addr_err e_utf8 = { 553, "5.6.7",
	"Non-ASCII address without SMTPUTF8" };
static const struct mail_addr_err e_param = { 501, "5.5.4",
	"Malformed or repeated parameter" };
static const struct mail_addr_err e_param_unknown = { 555, "5.5.4",
	"Parameter not recognised" };

static void
err_addr(struct mail_addr_err *e, enum mail_addr_cmd cmd, const char *text)
{
	e->code = 501;
	e->status = cmd == MAIL_ADDR_FROM ? "5.1.7" : "5.1.3";
	e->text = text;
}

/* Appends one byte to a bounded field. */
static int
put(char *dst, size_t *len, size_t max, uint8_t c)
{
	if (*len >= max)
		return -1;
	dst[(*len)++] = (char)c;
	dst[*len] = '\0';
	return 0;
}

/* 1 when s[0..n) is a dot-atom (atext or UTF-8 octets; UTF-8 was checked
 * when it was read). */
static int
is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && s[i + 1] == '.')
			return 0;
		if (c != '.' && c < 0x80 && !is_atext(c))
			return 0;
	}
	return 1;
}

/* Reads a UTF-8 sequence at the cursor into dst when allowed (utf8 set
 * tells the caller to check the permission later). 0, or -1. */
static int
take_utf8(struct cur *c, char *dst, size_t *len, size_t max, bool *utf8)
{
	size_t k = utf8_len(c->p + c->i, c->n - c->i);

	if (k == 0)
		return -1;
	for (size_t j = 0; j < k; j++)
		if (put(dst, len, max, c->p[c->i + j]) < 0)
			return -1;
	c->i += k;
	*utf8 = true;
	return 0;
}

/* Local-part = Dot-string / Quoted-string. 0, -1 syntax, -2 too long. */
static int
read_local(struct cur *c, struct mail_addr *a)
{
	size_t start = c->i;
	int ch = cur_peek(c);

	a->local_len = 0;
	a->local[0] = '\0';
	if (ch == '"') {
		c->i++;
		for (;;) {
			if (c->i - start > MAIL_ADDR_LOCAL_MAX)
				return -2;
			ch = cur_peek(c);
			if (ch < 0)
				return -1;
			if (ch == '"') {
				c->i++;
				break;
			}
			if (ch == '\\') {
				c->i++;
				ch = cur_peek(c);
				if (ch < 32 || ch > 126)
					return -1;
			} else if (ch >= 0x80) {
				if (take_utf8(c, a->local, &a->local_len,
				    MAIL_ADDR_LOCAL_MAX, &a->utf8) < 0)
					return -1;
				continue;
			} else if (ch < 32 || ch > 126) {
				return -1;
			}
			if (put(a->local, &a->local_len, MAIL_ADDR_LOCAL_MAX,
			    (uint8_t)ch) < 0)
				return -2;
			c->i++;
		}
		if (c->i - start > MAIL_ADDR_LOCAL_MAX)
			return -2;
		/* "alice"@x is alice@x: keep one form (RFC 5321 §4.1.2). */
		a->quoted = !is_dot_atom(a->local, a->local_len);
		return a->local_len > 0 ? 0 : -1;
	}
	for (;;) {
		size_t atom = c->i;
		for (;;) {
			ch = cur_peek(c);
			if (ch >= 0x80) {
				if (take_utf8(c, a->local, &a->local_len,
				    MAIL_ADDR_LOCAL_MAX, &a->utf8) < 0)
					return c->i - start >=
					    MAIL_ADDR_LOCAL_MAX ? -2 : -1;
				continue;
			}
			if (!is_atext(ch))
				break;
			if (put(a->local, &a->local_len, MAIL_ADDR_LOCAL_MAX,
			    (uint8_t)ch) < 0)
				return -2;
			c->i++;
		}
		if (c->i == atom)
			return -1;
		if (cur_peek(c) != '.')
			return 0;
		if (put(a->local, &a->local_len, MAIL_ADDR_LOCAL_MAX, '.') < 0)
			return -2;
		c->i++;
	}
}

/* Domain = sub-domain *("." sub-domain), letters lowered, U-labels as
 * UTF-8 bytes. Writes into dst (max bytes). 0, -1 syntax, -2 too long. */
static int
read_domain(struct cur *c, char *dst, size_t *len, size_t max, bool *utf8)
{
	*len = 0;
	dst[0] = '\0';
	for (;;) {
		size_t label = *len;
		int ch, last = -1;
		for (;;) {
			ch = cur_peek(c);
			if (ch >= 0x80) {
				if (take_utf8(c, dst, len, max, utf8) < 0)
					return *len >= max ? -2 : -1;
				last = 0x80;
				continue;
			}
			if (!is_alpha(ch) && !is_digit(ch) && ch != '-')
				break;
			if (ch == '-' && *len == label)
				return -1; /* a label starts with Let-dig */
			if (put(dst, len, max, (uint8_t)(ch >= 'A' &&
			    ch <= 'Z' ? ch + 32 : ch)) < 0)
				return -2;
			last = ch;
			c->i++;
		}
		if (*len == label || last == '-')
			return -1;
		if (*len - label > 63)
			return -1;
		if (cur_peek(c) != '.')
			return 0;
		if (put(dst, len, max, '.') < 0)
			return -2;
		c->i++;
	}
}

/* address-literal: "[" IPv4 / "IPv6:" IPv6 "]", checked with inet_pton
 * (general literals have no registered tag but IPv6: refused). */
static int
read_literal(struct cur *c, struct mail_addr *a)
{
	char lit[64];
	size_t k = 0, off = 0;
	int v6 = 0;
	unsigned char bin[16];

	c->i++; /* '[' */
	while (c->i < c->n && c->p[c->i] != ']') {
		if (k + 1 >= sizeof(lit))
			return -1;
		lit[k++] = (char)c->p[c->i++];
	}
	if (c->i >= c->n)
		return -1;
	c->i++; /* ']' */
	lit[k] = '\0';
	if (k > 5 && strncasecmp(lit, "IPv6:", 5) == 0) {
		v6 = 1;
		off = 5;
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, lit + off, bin) != 1)
		return -1;
	a->domain_len = (size_t)snprintf(a->domain, sizeof(a->domain),
	    "[%s%s]", v6 ? "IPv6:" : "", lit + off);
	for (size_t i = v6 ? 6 : 1; i < a->domain_len; i++)
		if (a->domain[i] >= 'A' && a->domain[i] <= 'Z')
			a->domain[i] = (char)(a->domain[i] + 32);
	a->literal = true;
	return 0;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ). */
static int
read_mailbox(struct cur *c, struct mail_addr *a, enum mail_addr_cmd cmd,
    struct mail_addr_err *e)
{
	int r = read_local(c, a);

	if (r == -2) {
		err_addr(e, cmd, "Local part too long");
		return -1;
	}
	if (r < 0 || cur_peek(c) != '@') {
		err_addr(e, cmd, cmd == MAIL_ADDR_FROM ?
		    "Bad sender address syntax" :
		    "Bad recipient address syntax");
		return -1;
	}
	c->i++;
	if (cur_peek(c) == '[')
		r = read_literal(c, a);
	else
		r = read_domain(c, a->domain, &a->domain_len,
		    MAIL_ADDR_DOMAIN_MAX, &a->utf8);
	if (r == -2) {
		err_addr(e, cmd, "Domain too long");
		return -1;
	}
	if (r < 0) {
		err_addr(e, cmd, cmd == MAIL_ADDR_FROM ?
		    "Bad sender address syntax" :
		    "Bad recipient address syntax");
		return -1;
	}
	return 0;
}

/* A-d-l ":" : each At-domain read and dropped. */
static int
skip_route(struct cur *c, bool *utf8)
{
	char dom[MAIL_ADDR_DOMAIN_MAX + 1];
	size_t len;

	for (;;) {
		if (cur_peek(c) != '@')
			return -1;
		c->i++;
		if (read_domain(c, dom, &len, MAIL_ADDR_DOMAIN_MAX, utf8) < 0)
			return -1;
		if (cur_peek(c) == ':') {
			c->i++;
			return 0;
		}
		if (cur_peek(c) != ',')
			return -1;
		c->i++;
	}
}

static void
addr_clear(struct mail_addr *a)
{
	memset(a, 0, sizeof(*a));
}

/* RFC 3461 §4 xtext: xchar or "+" two upper-case hex digits. utf8 allows
 * RFC 6533's UTF-8 octets too. */
static int
is_xtext(struct slice v, bool utf8)
{
	for (size_t i = 0; i < v.n; i++) {
		uint8_t c = v.p[i];
		if (c == '+') {
			if (i + 2 >= v.n || hex_digit(v.p[i + 1]) < 0 ||
			    hex_digit(v.p[i + 2]) < 0)
				return 0;
			i += 2;
		} else if (c >= 0x80 && utf8) {
			size_t k = utf8_len(v.p + i, v.n - i);
			if (k == 0)
				return 0;
			i += k - 1;
		} else if (c < 33 || c > 126 || c == '=') {
			return 0;
		}
	}
	return v.n > 0;
}

int
mail_addr_xtext_decode(struct slice p, char *out, size_t outlen)
{
	size_t k = 0;

	if (!is_xtext(p, true))
		return -1;
	for (size_t i = 0; i < p.n; i++) {
		uint8_t c = p.p[i];
		if (c == '+') {
			c = (uint8_t)(hex_digit(p.p[i + 1]) * 16 +
			    hex_digit(p.p[i + 2]));
			i += 2;
		}
		if (k >= outlen)
			return -1;
		out[k++] = (char)c;
	}
	return (int)k;
}

/* NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY. */
static int
parse_notify(struct slice v, unsigned *bits)
{
	size_t i = 0;

	*bits = 0;
	while (i <= v.n) {
		size_t j = i;
		struct slice w;
		unsigned b;
		while (j < v.n && v.p[j] != ',')
			j++;
		w = slice_make(v.p + i, j - i);
		if (slice_caseeq(w, "NEVER"))
			b = MAIL_NOTIFY_NEVER;
		else if (slice_caseeq(w, "SUCCESS"))
			b = MAIL_NOTIFY_SUCCESS;
		else if (slice_caseeq(w, "FAILURE"))
			b = MAIL_NOTIFY_FAILURE;
		else if (slice_caseeq(w, "DELAY"))
			b = MAIL_NOTIFY_DELAY;
		else
			return -1;
		if (*bits & b)
			return -1;
		*bits |= b;
		i = j + 1;
	}
	if ((*bits & MAIL_NOTIFY_NEVER) && *bits != MAIL_NOTIFY_NEVER)
		return -1;
	return 0;
}

/* One esmtp-param. 0, or -1 with e set. seen: the keywords already met,
 * one bit each. */
static int
param(struct slice k, struct slice v, bool has_v, enum mail_addr_cmd cmd,
    unsigned flags, struct mail_params *pa, unsigned *seen,
    struct mail_addr_err *e)
{
	unsigned bit;

	*e = e_param;
	if (cmd == MAIL_ADDR_FROM && slice_caseeq(k, "SIZE")) {
		bit = 0x1;
		if (!has_v || v.n > 20)
			return -1;
		pa->size = 0;
		for (size_t i = 0; i < v.n; i++) {
			if (!is_digit(v.p[i]))
				return -1;
			/* Past any limit: saturate (552 later). */
			if (pa->size > (UINT64_MAX - 9) / 10)
				pa->size = UINT64_MAX;
			else
				pa->size = pa->size * 10 + (v.p[i] - '0');
		}
		pa->has_size = true;
	} else if (cmd == MAIL_ADDR_FROM && slice_caseeq(k, "BODY")) {
		bit = 0x2;
		if (has_v && slice_caseeq(v, "7BIT"))
			pa->body = MAIL_BODY_7BIT;
		else if (has_v && slice_caseeq(v, "8BITMIME"))
			pa->body = MAIL_BODY_8BITMIME;
		else if (has_v && slice_caseeq(v, "BINARYMIME"))
			pa->body = MAIL_BODY_BINARYMIME;
		else
			return -1;
	} else if (cmd == MAIL_ADDR_FROM && (flags & MAIL_ADDR_UTF8) &&
	    slice_caseeq(k, "SMTPUTF8")) {
		bit = 0x4;
		if (has_v)
			return -1;
		pa->smtputf8 = true;
	} else if (cmd == MAIL_ADDR_FROM && slice_caseeq(k, "RET")) {
		bit = 0x8;
		if (has_v && slice_caseeq(v, "FULL"))
			pa->ret = MAIL_RET_FULL;
		else if (has_v && slice_caseeq(v, "HDRS"))
			pa->ret = MAIL_RET_HDRS;
		else
			return -1;
	} else if (cmd == MAIL_ADDR_FROM && slice_caseeq(k, "ENVID")) {
		bit = 0x10;
		if (!has_v || v.n > MAIL_ADDR_ENVID_MAX ||
		    !is_xtext(v, flags & MAIL_ADDR_UTF8))
			return -1;
		pa->envid = v;
	} else if (cmd == MAIL_ADDR_FROM && slice_caseeq(k, "AUTH")) {
		bit = 0x20;
		if (!has_v || (!slice_eq(v, "<>") && !is_xtext(v, false)))
			return -1;
		pa->auth = v;
	} else if (cmd == MAIL_ADDR_TO && slice_caseeq(k, "NOTIFY")) {
		bit = 0x40;
		if (!has_v || parse_notify(v, &pa->notify) < 0)
			return -1;
	} else if (cmd == MAIL_ADDR_TO && slice_caseeq(k, "ORCPT")) {
		size_t semi = 0;
		bit = 0x80;
		if (!has_v || v.n > MAIL_ADDR_ORCPT_MAX)
			return -1;
		while (semi < v.n && v.p[semi] != ';')
			semi++;
		if (semi == 0 || semi >= v.n)
			return -1;
		for (size_t i = 0; i < semi; i++)
			if (!is_atext(v.p[i]))
				return -1;
		pa->orcpt_type = slice_make(v.p, semi);
		pa->orcpt = slice_make(v.p + semi + 1, v.n - semi - 1);
		if (!is_xtext(pa->orcpt, flags & MAIL_ADDR_UTF8))
			return -1;
	} else {
		*e = e_param_unknown;
		return -1;
	}
	if (*seen & bit)
		return -1;
	*seen |= bit;
	return 0;
}

/* SP esmtp-param *(SP esmtp-param), from the cursor to the end. */
static int
read_params(struct cur *c, enum mail_addr_cmd cmd, unsigned flags,
    struct mail_params *pa, struct mail_addr_err *e)
{
	unsigned seen = 0;

	for (;;) {
		size_t ks, ke, vs;
		bool has_v = false;
		while (cur_peek(c) == ' ')
			c->i++;
		if (c->i >= c->n)
			return 0;
		ks = c->i;
		while (is_alpha(cur_peek(c)) || is_digit(cur_peek(c)) ||
		    (cur_peek(c) == '-' && c->i > ks))
			c->i++;
		ke = c->i;
		if (ke == ks) {
			*e = cmd == MAIL_ADDR_FROM ? e_syntax_from :
			    e_syntax_to;
			return -1;
		}
		vs = c->i;
		if (cur_peek(c) == '=') {
			has_v = true;
			vs = ++c->i;
			while (c->i < c->n && c->p[c->i] != ' ') {
				uint8_t ch = c->p[c->i];
				if (ch < 33 || ch == '=' || ch == 127) {
					*e = e_param;
					return -1;
				}
				c->i++;
			}
			if (c->i == vs) {
				*e = e_param;
				return -1;
			}
		}
		if (c->i < c->n && c->p[c->i] != ' ') {
			*e = cmd == MAIL_ADDR_FROM ? e_syntax_from :
			    e_syntax_to;
			return -1;
		}
		if (param(slice_make(c->p + ks, ke - ks),
		    slice_make(c->p + vs, c->i - vs), has_v, cmd, flags, pa,
		    &seen, e) < 0)
			return -1;
	}
}

int
mail_addr_parse_path(const uint8_t *p, size_t n, enum mail_addr_cmd cmd,
    unsigned flags, struct mail_addr *a, struct mail_params *pa,
    struct mail_addr_err *e)
{
	struct cur c = { p, n, 0 };
	size_t start;
	int allowed;

	addr_clear(a);
	memset(pa, 0, sizeof(*pa));
	if (cur_peek(&c) != '<') {
		*e = cmd == MAIL_ADDR_FROM ? e_syntax_from : e_syntax_to;
		return PARSE_ERR;
	}
	start = c.i++;
	if (cur_peek(&c) == '>') {
		if (cmd == MAIL_ADDR_TO) {
			err_addr(e, cmd, "Null recipient not allowed");
			return PARSE_ERR;
		}
		a->null = true;
		c.i++;
	} else {
		if (cur_peek(&c) == '@') {
			if (skip_route(&c, &a->utf8) < 0) {
				err_addr(e, cmd, "Bad source route");
				return PARSE_ERR;
			}
			a->route = true;
		}
		if (cmd == MAIL_ADDR_TO && !a->route && c.n - c.i >= 11 &&
		    slice_caseeq(slice_make(c.p + c.i, 11), "postmaster>")) {
			memcpy(a->local, "postmaster", 11);
			a->local_len = 10;
			a->postmaster = true;
			c.i += 11;
		} else {
			if (read_mailbox(&c, a, cmd, e) < 0)
				return PARSE_ERR;
			if (cur_peek(&c) != '>') {
				err_addr(e, cmd, cmd == MAIL_ADDR_FROM ?
				    "Bad sender address syntax" :
				    "Bad recipient address syntax");
				return PARSE_ERR;
			}
			c.i++;
		}
	}
	if (c.i - start > MAIL_ADDR_PATH_MAX) {
		err_addr(e, cmd, "Path too long");
		return PARSE_ERR;
	}
	if (c.i < c.n && c.p[c.i] != ' ') {
		*e = cmd == MAIL_ADDR_FROM ? e_syntax_from : e_syntax_to;
		return PARSE_ERR;
	}
	if (read_params(&c, cmd, flags, pa, e) < 0)
		return PARSE_ERR;
	allowed = (flags & MAIL_ADDR_UTF8) &&
	    (cmd == MAIL_ADDR_TO || pa->smtputf8);
	if (a->utf8 && !allowed) {
		*e = e_utf8;
		return PARSE_ERR;
	}
	return (int)n;
}

int
mail_addr_parse_cmd(const uint8_t *p, size_t n, enum mail_addr_cmd cmd,
    unsigned flags, struct mail_addr *a, struct mail_params *pa,
    struct mail_addr_err *e)
{
	const char *kw = cmd == MAIL_ADDR_FROM ? "FROM:" : "TO:";
	size_t k = strlen(kw), i;
	int r;

	if (n < k || !slice_caseeq(slice_make(p, k), kw)) {
		addr_clear(a);
		memset(pa, 0, sizeof(*pa));
		*e = cmd == MAIL_ADDR_FROM ? e_syntax_from : e_syntax_to;
		return PARSE_ERR;
	}
	for (i = k; i < n && p[i] == ' '; i++)
		;
	r = mail_addr_parse_path(p + i, n - i, cmd, flags, a, pa, e);
	return r < 0 ? r : (int)n;
}

int
mail_addr_parse_mailbox(const uint8_t *p, size_t n, unsigned flags,
    struct mail_addr *a, struct mail_addr_err *e)
{
	struct cur c = { p, n, 0 };

	addr_clear(a);
	if (read_mailbox(&c, a, MAIL_ADDR_TO, e) < 0)
		return PARSE_ERR;
	if (c.i != n) {
		err_addr(e, MAIL_ADDR_TO, "Bad recipient address syntax");
		return PARSE_ERR;
	}
	if (n + 2 > MAIL_ADDR_PATH_MAX) {
		err_addr(e, MAIL_ADDR_TO, "Path too long");
		return PARSE_ERR;
	}
	if (a->utf8 && !(flags & MAIL_ADDR_UTF8)) {
		*e = e_utf8;
		return PARSE_ERR;
	}
	return (int)n;
}

size_t
mail_addr_format(const struct mail_addr *a, char *out, size_t outlen)
{
	size_t k = 0;

#define OUT(ch) do { if (k + 1 < outlen) out[k++] = (char)(ch); } while (0)
	if (outlen == 0)
		return 0;
	if (a->null || a->postmaster) {
		snprintf(out, outlen, "%s", a->null ? "" : "postmaster");
		return strlen(out);
	}
	if (is_dot_atom(a->local, a->local_len)) {
		for (size_t i = 0; i < a->local_len; i++)
			OUT(a->local[i]);
	} else {
		OUT('"');
		for (size_t i = 0; i < a->local_len; i++) {
			if (a->local[i] == '"' || a->local[i] == '\\')
				OUT('\\');
			OUT(a->local[i]);
		}
		OUT('"');
	}
	OUT('@');
	for (size_t i = 0; i < a->domain_len; i++)
		OUT(a->domain[i]);
#undef OUT
	out[k] = '\0';
	return k;
}

int
mail_addr_domain_in(const char *domain, size_t n, const char *const *domains,
    size_t ndomains)
{
	struct slice d = slice_make(domain, n);

	for (size_t i = 0; i < ndomains; i++)
		if (slice_caseeq(d, domains[i]))
			return 1;
	return 0;
}

int
mail_addr_is_local(const struct mail_addr *a, const char *const *domains,
    size_t ndomains)
{
	if (a->null)
		return 0;
	if (a->postmaster)
		return 1;
	return mail_addr_domain_in(a->domain, a->domain_len, domains,
	    ndomains);
}

int
mail_addr_is_routed(const struct mail_addr *a)
{
	for (size_t i = 0; i < a->local_len; i++)
		if (a->local[i] == '%' || a->local[i] == '!' ||
		    a->local[i] == '@')
			return 1;
	return 0;
}

int
mail_addr_split_tag(const struct mail_addr *a, char sep, struct slice *user,
    struct slice *tag)
{
	const char *s = memchr(a->local, sep, a->local_len);

	if (s == NULL) {
		*user = slice_make(a->local, a->local_len);
		*tag = slice_make(a->local + a->local_len, 0);
		return 0;
	}
	*user = slice_make(a->local, (size_t)(s - a->local));
	*tag = slice_make(s + 1, a->local_len - (size_t)(s - a->local) - 1);
	return 1;
}
