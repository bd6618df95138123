/* dns_zone.c - the master file reader: logical lines from the tokenizer in
 * dns_text.c, directives handled here, each record's rdata parsed through
 * the type table and handed to the caller. No I/O, no allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns_zone.h"

#define TTL_MAX 2147483647u	/* RFC 2181 §8 */

/* What one file being read knows; $INCLUDE gets a fresh one. */
struct zfile {
	const char *name;
	struct dns_lexer lx;
	uint8_t origin[DNS_NAME_MAX];
	int origin_len;
	uint8_t owner[DNS_NAME_MAX];
	int owner_len;
};

static int parse_file(struct dns_zone *z, struct zfile *f);

static int
zerr(struct dns_zone *z, const struct zfile *f, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
zerr(struct dns_zone *z, const struct zfile *f, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(z->err, sizeof(z->err), fmt, ap);
	va_end(ap);
	z->err_file = f->name;
	z->err_line = line;
	return DNS_ERR;
}

/* A token for an error message: at most 64 bytes of it, printable only. */
static const char *
show(const struct dns_token *t, char buf[80])
{
	size_t o = 0;

	for (size_t i = 0; i < t->n && o < 64; i++) {
		unsigned char c = (unsigned char)t->p[i];
		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (t->n > 64) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const uint8_t *
origin_of(const struct zfile *f)
{
	return f->origin_len > 0 ? f->origin : NULL;
}

void
dns_zone_init(struct dns_zone *z, const uint8_t *origin, dns_zone_rr_fn *on_rr,
    void *arg)
{
	int ol = origin ? dns_name_len(origin, DNS_NAME_MAX) : 0;

	z->origin_len = ol > 0 ? ol : 0;
	if (ol > 0)
		memcpy(z->origin, origin, (size_t)ol);
	z->rclass = DNS_C_IN;
	z->have_ttl = 0;
	z->ttl = 0;
	z->on_rr = on_rr;
	z->open = NULL;
	z->close = NULL;
	z->arg = arg;
	z->nrecords = 0;
	z->err[0] = '\0';
	z->err_file = NULL;
	z->err_line = 0;
}

static int
get_name(struct dns_zone *z, struct zfile *f, const struct dns_token *t,
    uint8_t out[DNS_NAME_MAX])
{
	const char *why = "bad name";
	char b[80];
	int len;

	if (t->quoted)
		return zerr(z, f, t->line, "quoted string where a name is "
		    "expected");
	len = dns_name_from_text(t->p, t->n, origin_of(f), out, &why);
	if (len < 0)
		return zerr(z, f, t->line, "%s: '%s'", why, show(t, b));
	return len;
}

static int
get_ttl(struct dns_zone *z, struct zfile *f, const struct dns_token *t,
    uint32_t *ttl)
{
	char b[80];

	if (t->quoted || dns_ttl_from_text(t->p, t->n, ttl) < 0)
		return zerr(z, f, t->line, "bad TTL '%s'", show(t, b));
	if (*ttl > TTL_MAX)
		return zerr(z, f, t->line, "TTL %lu out of range",
		    (unsigned long)*ttl);
	return DNS_OK;
}

/* Decodes the path token of $INCLUDE into buf (escapes resolved). */
static int
get_path(struct dns_zone *z, struct zfile *f, const struct dns_token *t,
    char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < t->n; i++) {
		char c = t->p[i];
		if (c == '\\' && i + 1 < t->n)
			c = t->p[++i];
		if (c == '\0' || o + 1 >= DNS_ZONE_PATH_MAX)
			return zerr(z, f, t->line, "bad $INCLUDE file name");
		buf[o++] = c;
	}
	if (o == 0)
		return zerr(z, f, t->line, "empty $INCLUDE file name");
	buf[o] = '\0';
	return DNS_OK;
}

static int
do_include(struct dns_zone *z, struct zfile *f, const struct dns_token *tok,
    size_t ntok)
{
	struct zfile sub;
	const char *data = NULL;
	size_t len = 0;
	void *handle = NULL;
	char why[128];
	char *path;
	int r;

	if (ntok < 2 || ntok > 3)
		return zerr(z, f, tok[0].line, "$INCLUDE needs a file name "
		    "and an optional origin");
	if (z->open == NULL)
		return zerr(z, f, tok[0].line, "$INCLUDE is not allowed here");
	if (z->depth >= DNS_ZONE_MAX_DEPTH)
		return zerr(z, f, tok[0].line, "$INCLUDE nested more than %d "
		    "deep", DNS_ZONE_MAX_DEPTH);
	if (z->nincludes >= DNS_ZONE_MAX_INCLUDES)
		return zerr(z, f, tok[0].line, "more than %d $INCLUDE files",
		    DNS_ZONE_MAX_INCLUDES);
	path = z->paths[z->depth];
	if (get_path(z, f, &tok[1], path) < 0)
		return DNS_ERR;
	memset(&sub, 0, sizeof(sub));
	sub.name = path;
	/* The included file starts with our origin (or the one given) and
	 * our owner; what it changes does not come back (RFC 1035 §5.1). */
	if (ntok == 3) {
		sub.origin_len = get_name(z, f, &tok[2], sub.origin);
		if (sub.origin_len < 0)
			return DNS_ERR;
	} else {
		sub.origin_len = f->origin_len;
		memcpy(sub.origin, f->origin, (size_t)f->origin_len);
	}
	sub.owner_len = f->owner_len;
	memcpy(sub.owner, f->owner, (size_t)f->owner_len);
	why[0] = '\0';
	if (z->open(z->arg, path, f->name, &data, &len, &handle, why,
	    sizeof(why)) != 0) {
		why[sizeof(why) - 1] = '\0';
		return zerr(z, f, tok[0].line, "$INCLUDE %s: %s", path,
		    why[0] ? why : "cannot open");
	}
	dns_lex_init(&sub.lx, data, len);
	z->nincludes++;
	z->depth++;
	r = parse_file(z, &sub);
	z->depth--;
	if (z->close != NULL)
		z->close(z->arg, handle);
	return r;
}

static int
do_directive(struct dns_zone *z, struct zfile *f, const struct dns_token *tok,
    size_t ntok)
{
	struct slice d = slice_make(tok[0].p, tok[0].n);
	char b[80];

	if (slice_caseeq(d, "$ORIGIN")) {
		uint8_t o[DNS_NAME_MAX];
		if (ntok != 2)
			return zerr(z, f, tok[0].line, "$ORIGIN needs one name");
		int len = get_name(z, f, &tok[1], o);
		if (len < 0)
			return DNS_ERR;
		memcpy(f->origin, o, (size_t)len);
		f->origin_len = len;
		return DNS_OK;
	}
	if (slice_caseeq(d, "$TTL")) {
		if (ntok != 2)
			return zerr(z, f, tok[0].line, "$TTL needs one TTL");
		if (get_ttl(z, f, &tok[1], &z->dttl) < 0)
			return DNS_ERR;
		z->have_dttl = 1;
		return DNS_OK;
	}
	if (slice_caseeq(d, "$INCLUDE"))
		return do_include(z, f, tok, ntok);
	return zerr(z, f, tok[0].line, "unknown directive '%s'",
	    show(&tok[0], b));
}

static int
do_record(struct dns_zone *z, struct zfile *f, const struct dns_token *tok,
    size_t ntok)
{
	struct dns_rr rr;
	struct dns_text_err te = { "bad rdata", 0 };
	const struct dns_rrtype *t;
	uint8_t owner[DNS_NAME_MAX];
	uint32_t ttl = 0;
	int have_ttl = 0, have_class = 0, owner_len;
	uint16_t rclass = z->rclass, type;
	unsigned line = tok[0].line;
	size_t i = 0;
	char b[80];

	if (tok[0].bol) {
		owner_len = get_name(z, f, &tok[0], owner);
		if (owner_len < 0)
			return DNS_ERR;
		i = 1;
	} else {
		if (f->owner_len == 0)
			return zerr(z, f, line, "no owner name yet: the first "
			    "record must start in column 1");
		owner_len = f->owner_len;
		memcpy(owner, f->owner, (size_t)owner_len);
	}
	/* [TTL] [class] in either order, then the type */
	for (; i < ntok && !tok[i].quoted; i++) {
		uint16_t c;
		if (!have_ttl && tok[i].n > 0 && tok[i].p[0] >= '0' &&
		    tok[i].p[0] <= '9') {
			if (get_ttl(z, f, &tok[i], &ttl) < 0)
				return DNS_ERR;
			have_ttl = 1;
		} else if (!have_class && dns_class_from_text(tok[i].p,
		    tok[i].n, &c) == DNS_OK) {
			rclass = c;
			have_class = 1;
		} else {
			break;
		}
	}
	if (i >= ntok)
		return zerr(z, f, tok[ntok - 1].line, "missing RR type");
	if (tok[i].quoted || dns_type_from_text(tok[i].p, tok[i].n,
	    &type) < 0)
		return zerr(z, f, tok[i].line, "unknown RR type '%s'",
		    show(&tok[i], b));
	t = dns_rrtype_find(type);
	if (t != NULL && (t->flags & DNS_RRT_META))
		return zerr(z, f, tok[i].line, "%s is not allowed in a zone",
		    t->name);
	if (rclass != z->rclass)
		return zerr(z, f, line, "class does not match the zone's");
	i++;
	int rdlen = dns_rdata_from_tokens(type, tok + i, ntok - i,
	    origin_of(f), z->rdata, sizeof(z->rdata), &te);
	if (rdlen < 0)
		return zerr(z, f, te.line ? te.line : line, "%s",
		    rdlen == DNS_FULL ? "rdata longer than 65535 bytes" :
		    te.msg);
	/* the TTL rule of dns_zone.h */
	if (have_ttl) {
		z->last_ttl = ttl;
		z->have_last_ttl = 1;
	} else if (z->have_dttl) {
		ttl = z->dttl;
	} else if (z->have_last_ttl && type != DNS_T_SOA) {
		ttl = z->last_ttl;
	} else if (type == DNS_T_SOA) {
		ttl = dns_get32(z->rdata + rdlen - 4);
		if (ttl > TTL_MAX)
			return zerr(z, f, line, "SOA minimum out of range");
	} else {
		return zerr(z, f, line, "no TTL specified");
	}
	if (type == DNS_T_SOA && !z->have_dttl) {
		uint32_t min = dns_get32(z->rdata + rdlen - 4);
		if (min <= TTL_MAX && !have_ttl) {
			z->last_ttl = min;
			z->have_last_ttl = 1;
		}
	}
	memcpy(f->owner, owner, (size_t)owner_len);
	f->owner_len = owner_len;
	rr.owner = owner;
	rr.owner_len = (uint16_t)owner_len;
	rr.type = type;
	rr.rclass = rclass;
	rr.ttl = ttl;
	rr.rdata = z->rdata;
	rr.rdlen = (uint16_t)rdlen;
	z->err[0] = '\0';
	if (z->on_rr != NULL && z->on_rr(z, z->arg, &rr, f->name, line) != 0) {
		if (z->err[0] == '\0')
			return zerr(z, f, line, "record rejected");
		z->err_file = f->name;
		z->err_line = line;
		return DNS_ERR;
	}
	z->nrecords++;
	return DNS_OK;
}

static int
parse_file(struct dns_zone *z, struct zfile *f)
{
	size_t ntok;
	int r;

	while ((r = dns_lex_line(&f->lx, z->tok, DNS_ZONE_MAX_TOKENS,
	    &ntok)) == 1) {
		if (ntok == 0)
			continue;
		if (z->tok[0].bol && !z->tok[0].quoted && z->tok[0].n > 0 &&
		    z->tok[0].p[0] == '$')
			r = do_directive(z, f, z->tok, ntok);
		else
			r = do_record(z, f, z->tok, ntok);
		if (r < 0)
			return DNS_ERR;
	}
	if (r < 0)
		return zerr(z, f, f->lx.err_line, "%s", f->lx.err);
	return DNS_OK;
}

int
dns_zone_parse(struct dns_zone *z, const char *file, const char *data,
    size_t len)
{
	struct zfile f;

	memset(&f, 0, sizeof(f));
	f.name = file;
	f.origin_len = z->origin_len;
	memcpy(f.origin, z->origin, (size_t)z->origin_len);
	dns_lex_init(&f.lx, data, len);
	z->depth = 0;
	z->nincludes = 0;
	z->have_dttl = z->have_ttl;
	z->dttl = z->ttl;
	z->have_last_ttl = 0;
	z->last_ttl = 0;
	z->nrecords = 0;
	z->err[0] = '\0';
	z->err_file = NULL;
	z->err_line = 0;
	return parse_file(z, &f);
}
