/* dns_text.c - DNS presentation format: names and rdata to and from text,
 * RR lines as dig prints them, and the RFC 1035 §5.1 tokenizer. Rdata in
 * both directions is driven by the type table in dns_rr.c.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "dns/dns_text.h"

/* ---- a bounded writer with dig's column tracking ---- */

struct tbuf {
	char *p;
	size_t cap;
	size_t len;
	size_t col;	/* visual column, tabs expanded to 8 */
	int full;
};

static void
tb_init(struct tbuf *tb, char *out, size_t cap)
{
	tb->p = out;
	tb->cap = cap;
	tb->len = 0;
	tb->col = 0;
	tb->full = 0;
	if (cap > 0)
		out[0] = '\0';
}

static void
tb_putc(struct tbuf *tb, char c)
{
	/* keep one byte for the NUL */
	if (tb->full || tb->len + 1 >= tb->cap) {
		tb->full = 1;
		return;
	}
	tb->p[tb->len++] = c;
	tb->p[tb->len] = '\0';
	tb->col = c == '\t' ? (tb->col / 8 + 1) * 8 : tb->col + 1;
}

static void
tb_putn(struct tbuf *tb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tb_putc(tb, s[i]);
}

static void
tb_puts(struct tbuf *tb, const char *s)
{
	tb_putn(tb, s, strlen(s));
}

static void
tb_printf(struct tbuf *tb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tb_printf(struct tbuf *tb, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		tb->full = 1;
		return;
	}
	tb_putn(tb, tmp, (size_t)r);
}

/* Moves to column `to` (a multiple of 8) with tabs, or writes one space
 * when already there or past it: BIND's masterdump layout, which dig uses. */
static void
tb_indent(struct tbuf *tb, size_t to)
{
	if (tb->col >= to) {
		tb_putc(tb, ' ');
		return;
	}
	while (tb->col < to && !tb->full)
		tb_putc(tb, '\t');
}

static int
tb_done(struct tbuf *tb)
{
	return tb->full ? DNS_FULL : (int)tb->len;
}

/* ---- escapes ---- */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decodes one possibly escaped character of s[*i..n): \DDD (0..255) or \X
 * or a plain byte. Returns 1 when it was escaped, 0 when plain, DNS_ERR for
 * a bad escape; advances *i. */
static int
unescape(const char *s, size_t n, size_t *i, uint8_t *c)
{
	size_t k = *i;

	if (s[k] != '\\') {
		*c = (uint8_t)s[k];
		*i = k + 1;
		return 0;
	}
	if (k + 1 >= n)
		return DNS_ERR;
	if (is_digit(s[k + 1])) {
		if (k + 3 >= n || !is_digit(s[k + 2]) || !is_digit(s[k + 3]))
			return DNS_ERR;
		unsigned v = (unsigned)(s[k + 1] - '0') * 100 +
		    (unsigned)(s[k + 2] - '0') * 10 + (unsigned)(s[k + 3] - '0');
		if (v > 255)
			return DNS_ERR;
		*c = (uint8_t)v;
		*i = k + 4;
		return 1;
	}
	*c = (uint8_t)s[k + 1];
	*i = k + 2;
	return 1;
}

/* ---- names ---- */

static void
put_name(struct tbuf *tb, const uint8_t *name)
{
	if (name[0] == 0) {
		tb_putc(tb, '.');
		return;
	}
	for (size_t i = 0; name[i] != 0; i += 1 + (size_t)name[i]) {
		for (size_t k = 1; k <= name[i]; k++) {
			uint8_t c = name[i + k];
			if (c <= 0x20 || c >= 0x7f) {
				tb_printf(tb, "\\%03u", c);
				continue;
			}
			if (strchr(".\\\"();@$", c) != NULL)
				tb_putc(tb, '\\');
			tb_putc(tb, (char)c);
		}
		tb_putc(tb, '.');
	}
}

int
dns_name_to_text(const uint8_t *name, char *out, size_t cap)
{
	struct tbuf tb;

	tb_init(&tb, out, cap);
	put_name(&tb, name);
	return tb_done(&tb);
}

static int
name_err(const char **err, const char *msg)
{
	if (err != NULL)
		*err = msg;
	return DNS_ERR;
}

int
dns_name_from_text(const char *s, size_t n, const uint8_t *origin,
    uint8_t out[DNS_NAME_MAX], const char **err)
{
	size_t i = 0, o = 1, lpos = 0, llen = 0;
	int dot_last = 0;

	if (n == 0)
		return name_err(err, "empty name");
	if (n == 1 && s[0] == '@') {
		if (origin == NULL)
			return name_err(err, "'@' and no origin");
		int ol = dns_name_len(origin, DNS_NAME_MAX);
		if (ol < 0)
			return name_err(err, "bad origin");
		memcpy(out, origin, (size_t)ol);
		return ol;
	}
	if (n == 1 && s[0] == '.') {
		out[0] = 0;
		return 1;
	}
	/* out[lpos] holds the length of the label being written; o is the
	 * next free byte. One byte always stays free for the root. */
	while (i < n) {
		uint8_t c;
		int esc = unescape(s, n, &i, &c);
		if (esc < 0)
			return name_err(err, "bad escape in name");
		if (!esc && c == '.') {
			if (llen == 0)
				return name_err(err, "empty label in name");
			out[lpos] = (uint8_t)llen;
			if (o >= DNS_NAME_MAX)
				return name_err(err, "name longer than 255 bytes");
			lpos = o++;
			llen = 0;
			dot_last = 1;
			continue;
		}
		dot_last = 0;
		if (llen == DNS_LABEL_MAX)
			return name_err(err, "label longer than 63 bytes");
		if (o >= DNS_NAME_MAX - 1)
			return name_err(err, "name longer than 255 bytes");
		out[o++] = c;
		llen++;
	}
	if (dot_last) {
		out[lpos] = 0;
		return (int)lpos + 1;
	}
	out[lpos] = (uint8_t)llen;
	if (origin == NULL)
		return name_err(err, "relative name and no origin");
	int ol = dns_name_len(origin, DNS_NAME_MAX);
	if (ol < 0)
		return name_err(err, "bad origin");
	if (o + (size_t)ol > DNS_NAME_MAX)
		return name_err(err, "name longer than 255 bytes");
	memcpy(out + o, origin, (size_t)ol);
	return (int)(o + (size_t)ol);
}

/* ---- tokenizer ---- */

void
dns_lex_init(struct dns_lexer *lx, const char *p, size_t n)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = p;
	lx->n = n;
	lx->line = 1;
}

static int
lex_err(struct dns_lexer *lx, const char *msg, unsigned line)
{
	lx->err = msg;
	lx->err_line = line;
	return DNS_ERR;
}

static int
is_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' ||
	    c == '(' || c == ')' || c == '"';
}

int
dns_lex_line(struct dns_lexer *lx, struct dns_token *tok, size_t max,
    size_t *ntok)
{
	const char *p = lx->p;
	size_t n = lx->n;

	*ntok = 0;
	if (lx->pos >= n)
		return 0;
	for (;;) {
		if (lx->pos >= n) {
			if (lx->paren)
				return lex_err(lx, "unbalanced '('",
				    lx->paren_line);
			return 1;
		}
		size_t pos = lx->pos;
		char c = p[pos];
		if (c == '\n') {
			lx->line++;
			lx->pos++;
			if (!lx->paren)
				return 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
			continue;
		}
		if (c == ';') {
			while (lx->pos < n && p[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		if (c == '(') {
			if (lx->paren)
				return lex_err(lx, "nested '('", lx->line);
			lx->paren = 1;
			lx->paren_line = lx->line;
			lx->pos++;
			continue;
		}
		if (c == ')') {
			if (!lx->paren)
				return lex_err(lx, "unbalanced ')'", lx->line);
			lx->paren = 0;
			lx->pos++;
			continue;
		}
		struct dns_token t;
		t.line = lx->line;
		t.bol = (uint8_t)((pos == 0 || p[pos - 1] == '\n') &&
		    !lx->paren);
		size_t j;
		if (c == '"') {
			for (j = pos + 1; j < n && p[j] != '"'; j++) {
				if (p[j] == '\n')
					return lex_err(lx,
					    "newline in quoted string", t.line);
				if (p[j] == '\\') {
					if (j + 1 >= n || p[j + 1] == '\n')
						break;
					j++;
				}
			}
			if (j >= n || p[j] != '"')
				return lex_err(lx, "unterminated quoted string",
				    t.line);
			t.p = p + pos + 1;
			t.n = j - pos - 1;
			t.quoted = 1;
			lx->pos = j + 1;
		} else {
			for (j = pos; j < n && !is_delim(p[j]); j++) {
				if (p[j] == '\\') {
					if (j + 1 >= n || p[j + 1] == '\n')
						return lex_err(lx,
						    "backslash at end of line",
						    t.line);
					j++;
				}
			}
			t.p = p + pos;
			t.n = j - pos;
			t.quoted = 0;
			lx->pos = j;
		}
		if (*ntok >= max)
			return lex_err(lx, "too many fields", t.line);
		tok[(*ntok)++] = t;
	}
}

/* ---- numbers ---- */

static int
parse_u32(const char *s, size_t n, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 10)
		return DNS_ERR;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return DNS_ERR;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return DNS_ERR;
	*v = (uint32_t)x;
	return DNS_OK;
}

int
dns_ttl_from_text(const char *s, size_t n, uint32_t *ttl)
{
	uint64_t total = 0;
	size_t i = 0;

	if (n == 0)
		return DNS_ERR;
	while (i < n) {
		uint64_t x = 0;
		size_t start = i;
		while (i < n && is_digit(s[i]) && i - start < 10)
			x = x * 10 + (uint64_t)(s[i++] - '0');
		if (i == start || (i < n && is_digit(s[i])))
			return DNS_ERR;
		uint64_t mul = 1;
		if (i < n) {
			switch (s[i] | 0x20) {
			case 'w': mul = 604800; break;
			case 'd': mul = 86400; break;
			case 'h': mul = 3600; break;
			case 'm': mul = 60; break;
			case 's': mul = 1; break;
			default: return DNS_ERR;
			}
			i++;
		}
		total += x * mul;
		if (total > UINT32_MAX)
			return DNS_ERR;
	}
	*ttl = (uint32_t)total;
	return DNS_OK;
}

/* ---- rdata from text ---- */

static int
rd_err(struct dns_text_err *e, const char *msg, unsigned line)
{
	if (e != NULL) {
		e->msg = msg;
		e->line = line;
	}
	return DNS_ERR;
}

/* Appends the hex digits of tok[0..ntok) to out[*o..cap). Returns DNS_OK,
 * DNS_FULL, or DNS_ERR with the line of the bad token. */
static int
put_hex(const struct dns_token *tok, size_t ntok, uint8_t *out, size_t cap,
    size_t *o, struct dns_text_err *e)
{
	int half = -1;

	for (size_t t = 0; t < ntok; t++) {
		if (tok[t].quoted)
			return rd_err(e, "quoted string where hex expected",
			    tok[t].line);
		for (size_t i = 0; i < tok[t].n; i++) {
			int v = hex_digit((uint8_t)tok[t].p[i]);
			if (v < 0)
				return rd_err(e, "bad hex digit", tok[t].line);
			if (half < 0) {
				half = v;
				continue;
			}
			if (*o >= cap)
				return DNS_FULL;
			out[(*o)++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	if (half >= 0)
		return rd_err(e, "odd number of hex digits",
		    tok[ntok - 1].line);
	return DNS_OK;
}

/* Decodes a token's escapes into out[*o..cap), at most max bytes. */
static int
put_string(const struct dns_token *t, size_t max, uint8_t *out, size_t cap,
    size_t *o, struct dns_text_err *e)
{
	size_t i = 0, len = 0;

	while (i < t->n) {
		uint8_t c;
		if (unescape(t->p, t->n, &i, &c) < 0)
			return rd_err(e, "bad escape in string", t->line);
		if (len == max)
			return rd_err(e, "string longer than 255 bytes",
			    t->line);
		if (*o >= cap)
			return DNS_FULL;
		out[(*o)++] = c;
		len++;
	}
	return DNS_OK;
}

static int
put_charstr(const struct dns_token *t, uint8_t *out, size_t cap, size_t *o,
    struct dns_text_err *e)
{
	if (*o >= cap)
		return DNS_FULL;
	size_t at = (*o)++;
	int r = put_string(t, 255, out, cap, o, e);
	if (r < 0)
		return r;
	out[at] = (uint8_t)(*o - at - 1);
	return DNS_OK;
}

static int
generic_from_tokens(uint16_t type, const struct dns_token *tok, size_t ntok,
    uint8_t *out, size_t cap, struct dns_text_err *e)
{
	uint32_t len;
	size_t o = 0;
	int r;

	if (ntok < 2 || tok[1].quoted ||
	    parse_u32(tok[1].p, tok[1].n, 65535, &len) < 0)
		return rd_err(e, "\\# needs a length of 0..65535",
		    ntok < 2 ? tok[0].line : tok[1].line);
	if (len > cap)
		return DNS_FULL;
	if ((r = put_hex(tok + 2, ntok - 2, out, len, &o, e)) < 0) {
		if (r == DNS_FULL)
			return rd_err(e, "more hex than the \\# length",
			    tok[ntok - 1].line);
		return r;
	}
	if (o != len)
		return rd_err(e, "less hex than the \\# length",
		    tok[ntok - 1].line);
	if (!dns_rdata_valid(type, out, o))
		return rd_err(e, "\\# rdata does not match its type",
		    tok[0].line);
	return (int)o;
}

static int
put_fixed(uint8_t *out, size_t cap, size_t *o, const void *p, size_t n)
{
	if (n > cap - *o)
		return DNS_FULL;
	memcpy(out + *o, p, n);
	*o += n;
	return DNS_OK;
}

/* One field of a kind that takes exactly one token. */
static int
field_from_token(int kind, const struct dns_token *t, const uint8_t *origin,
    uint8_t *out, size_t cap, size_t *o, struct dns_text_err *e)
{
	uint8_t b[DNS_NAME_MAX];
	char tmp[48];
	uint32_t v;
	const char *why;
	int len;

	if (t->quoted && kind != DNS_FK_STR && kind != DNS_FK_QREST)
		return rd_err(e, "unexpected quoted string", t->line);
	switch (kind) {
	case DNS_FK_CNAME:
	case DNS_FK_NAME:
		len = dns_name_from_text(t->p, t->n, origin, b, &why);
		if (len < 0)
			return rd_err(e, why, t->line);
		return put_fixed(out, cap, o, b, (size_t)len);
	case DNS_FK_U8:
	case DNS_FK_U16:
	case DNS_FK_U32:
		if (parse_u32(t->p, t->n, kind == DNS_FK_U8 ? 255 :
		    kind == DNS_FK_U16 ? 65535 : UINT32_MAX, &v) < 0)
			return rd_err(e, "bad number", t->line);
		if (kind == DNS_FK_U8) {
			b[0] = (uint8_t)v;
			return put_fixed(out, cap, o, b, 1);
		}
		if (kind == DNS_FK_U16) {
			dns_put16(b, (uint16_t)v);
			return put_fixed(out, cap, o, b, 2);
		}
		dns_put32(b, v);
		return put_fixed(out, cap, o, b, 4);
	case DNS_FK_TTL:
		if (dns_ttl_from_text(t->p, t->n, &v) < 0)
			return rd_err(e, "bad time value", t->line);
		dns_put32(b, v);
		return put_fixed(out, cap, o, b, 4);
	case DNS_FK_IPV4:
	case DNS_FK_IPV6:
		if (t->n >= sizeof(tmp))
			return rd_err(e, "bad address", t->line);
		memcpy(tmp, t->p, t->n);
		tmp[t->n] = '\0';
		if (inet_pton(kind == DNS_FK_IPV4 ? AF_INET : AF_INET6, tmp,
		    b) != 1)
			return rd_err(e, kind == DNS_FK_IPV4 ?
			    "bad IPv4 address" : "bad IPv6 address", t->line);
		return put_fixed(out, cap, o, b, kind == DNS_FK_IPV4 ? 4 : 16);
	case DNS_FK_STR:
		return put_charstr(t, out, cap, o, e);
	case DNS_FK_TAG: {
		size_t at = *o;
		int r = put_charstr(t, out, cap, o, e);
		if (r < 0)
			return r;
		if (dns_field_size(DNS_FK_TAG, out + at, *o - at) < 0)
			return rd_err(e, "tag must be letters and digits",
			    t->line);
		return DNS_OK;
	}
	case DNS_FK_QREST:
		return put_string(t, 65535, out, cap, o, e);
	default:
		return rd_err(e, "no text form for this field", t->line);
	}
}

int
dns_rdata_from_tokens(uint16_t type, const struct dns_token *tok,
    size_t ntok, const uint8_t *origin, uint8_t *out, size_t cap,
    struct dns_text_err *e)
{
	const struct dns_rrtype *t;
	size_t i = 0, o = 0;
	unsigned last = ntok > 0 ? tok[ntok - 1].line : 0;
	int r;

	if (cap > 65535)
		cap = 65535;
	if (ntok > 0 && !tok[0].quoted && tok[0].n == 2 &&
	    memcmp(tok[0].p, "\\#", 2) == 0)
		return generic_from_tokens(type, tok, ntok, out, cap, e);
	t = dns_rrtype_layout(type);
	if (t == NULL || t->fields[0] == DNS_FK_OPTS)
		return rd_err(e, "this type takes only \\# generic rdata",
		    ntok > 0 ? tok[0].line : 0);
	for (unsigned fi = 0; fi < DNS_RR_MAXFIELDS &&
	    t->fields[fi] != DNS_FK_END; fi++) {
		int kind = t->fields[fi];
		if (i >= ntok)
			return rd_err(e, "missing rdata field", last);
		if (kind == DNS_FK_STRS) {
			for (; i < ntok; i++)
				if ((r = put_charstr(&tok[i], out, cap, &o,
				    e)) < 0)
					return r;
		} else if (kind == DNS_FK_HEX) {
			if ((r = put_hex(tok + i, ntok - i, out, cap, &o,
			    e)) < 0)
				return r;
			i = ntok;
		} else {
			if ((r = field_from_token(kind, &tok[i], origin, out,
			    cap, &o, e)) < 0)
				return r;
			i++;
		}
	}
	if (i < ntok)
		return rd_err(e, "too many rdata fields", tok[i].line);
	/* e.g. HEX needs at least one byte: "DS 1 2 3 ''" is refused here */
	if (!dns_rdata_valid(type, out, o))
		return rd_err(e, "rdata does not match its type", last);
	return (int)o;
}

int
dns_rdata_from_text(uint16_t type, const char *s, size_t n,
    const uint8_t *origin, uint8_t *out, size_t cap,
    struct dns_text_err *e)
{
	struct dns_token tok[256], extra;
	struct dns_lexer lx;
	size_t ntok = 0, more;
	int r;

	dns_lex_init(&lx, s, n);
	r = dns_lex_line(&lx, tok, sizeof(tok) / sizeof(tok[0]), &ntok);
	if (r < 0)
		return rd_err(e, lx.err, lx.err_line);
	/* anything but blank or comment lines after it is an error */
	while ((r = dns_lex_line(&lx, &extra, 1, &more)) == 1)
		if (more > 0)
			return rd_err(e, "more than one line of rdata",
			    lx.line);
	if (r < 0)
		return rd_err(e, lx.err, lx.err_line);
	return dns_rdata_from_tokens(type, tok, ntok, origin, out, cap, e);
}

/* ---- rdata to text ---- */

static void
put_hexwords(struct tbuf *tb, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i % 28 == 0)
			tb_putc(tb, ' ');
		tb_putc(tb, digits[p[i] >> 4]);
		tb_putc(tb, digits[p[i] & 15]);
	}
}

/* A character-string body in quotes: \" and \\ escaped, bytes outside
 * 0x20..0x7e as \DDD. */
static void
put_quoted(struct tbuf *tb, const uint8_t *p, size_t n)
{
	tb_putc(tb, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c < 0x20 || c >= 0x7f) {
			tb_printf(tb, "\\%03u", c);
			continue;
		}
		if (c == '"' || c == '\\')
			tb_putc(tb, '\\');
		tb_putc(tb, (char)c);
	}
	tb_putc(tb, '"');
}

static void
put_generic(struct tbuf *tb, const uint8_t *rd, size_t rdlen)
{
	tb_printf(tb, "\\# %zu", rdlen);
	if (rdlen > 0) {
		tb_putc(tb, ' ');
		put_hexwords(tb, rd, rdlen);
	}
}

static void
put_rdata(struct tbuf *tb, uint16_t type, const uint8_t *rd, size_t rdlen)
{
	const struct dns_rrtype *t = dns_rrtype_layout(type);
	struct dns_rdata_iter it;
	struct slice f;
	char addr[INET6_ADDRSTRLEN];
	int k, first = 1;

	if (t == NULL || t->fields[0] == DNS_FK_OPTS ||
	    !dns_rdata_valid(type, rd, rdlen)) {
		put_generic(tb, rd, rdlen);
		return;
	}
	dns_rdata_iter_init(&it, t, rd, rdlen);
	while ((k = dns_rdata_iter_next(&it, &f)) > 0) {
		if (!first)
			tb_putc(tb, ' ');
		first = 0;
		switch (k) {
		case DNS_FK_CNAME:
		case DNS_FK_NAME:
			put_name(tb, f.p);
			break;
		case DNS_FK_U8:
			tb_printf(tb, "%u", f.p[0]);
			break;
		case DNS_FK_U16:
			tb_printf(tb, "%u", dns_get16(f.p));
			break;
		case DNS_FK_U32:
		case DNS_FK_TTL:
			tb_printf(tb, "%lu", (unsigned long)dns_get32(f.p));
			break;
		case DNS_FK_IPV4:
			tb_printf(tb, "%u.%u.%u.%u", f.p[0], f.p[1], f.p[2],
			    f.p[3]);
			break;
		case DNS_FK_IPV6:
			if (inet_ntop(AF_INET6, f.p, addr, sizeof(addr)) == NULL)
				tb->full = 1;
			else
				tb_puts(tb, addr);
			break;
		case DNS_FK_STR:
		case DNS_FK_STRS:
			put_quoted(tb, f.p + 1, f.n - 1);
			break;
		case DNS_FK_TAG:
			tb_putn(tb, (const char *)f.p + 1, f.n - 1);
			break;
		case DNS_FK_QREST:
			put_quoted(tb, f.p, f.n);
			break;
		case DNS_FK_HEX:
			put_hexwords(tb, f.p, f.n);
			break;
		default:
			break;
		}
	}
}

int
dns_rdata_to_text(uint16_t type, const uint8_t *rd, size_t rdlen, char *out,
    size_t cap)
{
	struct tbuf tb;

	tb_init(&tb, out, cap);
	put_rdata(&tb, type, rd, rdlen);
	return tb_done(&tb);
}

static void
put_type(struct tbuf *tb, uint16_t type)
{
	char s[16];

	dns_type_to_text(type, s, sizeof(s));
	tb_puts(tb, s);
}

static void
put_class(struct tbuf *tb, uint16_t rclass)
{
	char s[16];

	dns_class_to_text(rclass, s, sizeof(s));
	tb_puts(tb, s);
}

int
dns_rr_to_text(const struct dns_rr *rr, char *out, size_t cap)
{
	struct tbuf tb;

	tb_init(&tb, out, cap);
	put_name(&tb, rr->owner);
	tb_indent(&tb, 24);
	tb_printf(&tb, "%lu", (unsigned long)rr->ttl);
	tb_indent(&tb, 32);
	put_class(&tb, rr->rclass);
	tb_indent(&tb, 40);
	put_type(&tb, rr->type);
	tb_indent(&tb, 48);
	put_rdata(&tb, rr->type, rr->rdata, rr->rdlen);
	return tb_done(&tb);
}

int
dns_question_to_text(const struct dns_question *q, char *out, size_t cap)
{
	struct tbuf tb;

	tb_init(&tb, out, cap);
	tb_putc(&tb, ';');
	put_name(&tb, q->name);
	tb_indent(&tb, 32);
	put_class(&tb, q->qclass);
	tb_indent(&tb, 40);
	put_type(&tb, q->qtype);
	return tb_done(&tb);
}
