/* http_client_html.c - finds the objects an HTML page references (images,
 * scripts, style sheets, media, frames) for "camada get --page". A small,
 * bounded tokenizer that follows the HTML standard's states where they
 * matter for hostile input: quoting, comments, raw-text elements, character
 * references. It builds no tree and allocates nothing. */
#include <stdint.h>
#include <string.h>

#include "core/ascii.h"
#include "core/hex.h"
#include "http/http_client.h"

#define HTML_MAX_ATTRS 64
#define HTML_NAME_MAX 32

struct html_attr {
	char name[HTML_NAME_MAX];	/* lower case; "" when too long */
	struct slice value;		/* raw: character references intact */
};

struct html_tag {
	char name[HTML_NAME_MAX];
	struct html_attr a[HTML_MAX_ATTRS];
	size_t na;
};

static bool
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_alnum(uint8_t c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Appends the lower-cased byte c to a bounded name; a name that overflows
 * is blanked for good (marked by len = HTML_NAME_MAX). */
static void
name_put(char *name, size_t *len, uint8_t c)
{
	if (*len >= HTML_NAME_MAX - 1) {
		name[0] = '\0';
		*len = HTML_NAME_MAX;
		return;
	}
	name[(*len)++] = (char)ascii_lower(c);
	name[*len] = '\0';
}

static const struct html_attr *
tag_attr(const struct html_tag *t, const char *name)
{
	for (size_t i = 0; i < t->na; i++)
		if (strcmp(t->a[i].name, name) == 0)
			return &t->a[i];
	return NULL;
}

/* Writes code point cp as UTF-8; returns the byte count (1..4). */
static size_t
utf8_put(uint32_t cp, char *o)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static const struct {
	const char *name;
	uint32_t cp;
	bool legacy;	/* recognised without ';' */
} entities[] = {
	{ "amp", '&', true }, { "lt", '<', true }, { "gt", '>', true },
	{ "quot", '"', true }, { "apos", '\'', false },
	{ "nbsp", 0xA0, true }, { "sol", '/', false }, { "colon", ':', false },
	{ "quest", '?', false }, { "equals", '=', false },
	{ "num", '#', false }, { "percnt", '%', false },
	{ "period", '.', false }, { "lowbar", '_', false },
	{ "Tab", '\t', false }, { "NewLine", '\n', false },
};

/* Decodes one character reference at v[0..n) (v[0] == '&') into o.
 * Returns the input bytes consumed (0: not a reference; copy the '&') and
 * sets *olen. */
static size_t
entity(const uint8_t *v, size_t n, char *o, size_t *olen)
{
	size_t i = 1;

	if (i < n && v[i] == '#') {
		uint32_t cp = 0;
		bool hex = false, any = false;

		i++;
		if (i < n && (v[i] == 'x' || v[i] == 'X')) {
			hex = true;
			i++;
		}
		for (; i < n; i++) {
			int d = hex ? hex_digit(v[i]) :
			    (v[i] >= '0' && v[i] <= '9' ? v[i] - '0' : -1);
			if (d < 0)
				break;
			any = true;
			if (cp <= 0x10FFFF)
				cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (!any)
			return 0;
		if (i < n && v[i] == ';')
			i++;
		*olen = utf8_put(cp, o);
		return i;
	}
	for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
		size_t l = strlen(entities[e].name);
		if (n - 1 < l || memcmp(v + 1, entities[e].name, l) != 0)
			continue;
		if (1 + l < n && v[1 + l] == ';') {
			*olen = utf8_put(entities[e].cp, o);
			return l + 2;
		}
		/* Without ';', and only the legacy ones, and not when an
		 * alphanumeric or '=' follows (HTML's attribute-value rule, so
		 * "?a=1&copy=2" stays as it is). */
		if (!entities[e].legacy)
			continue;
		if (1 + l < n && (is_alnum(v[1 + l]) || v[1 + l] == '='))
			continue;
		*olen = utf8_put(entities[e].cp, o);
		return l + 1;
	}
	return 0;
}

/* Decodes a raw attribute value into out (NUL-terminated). Returns the
 * length, or -1 if it is over HTTP_CLIENT_HTML_VALUE_MAX. */
static int
decode_value(struct slice v, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < v.n;) {
		char tmp[4];
		size_t tl = 0, k = 0;

		if (v.p[i] == '&')
			k = entity(v.p + i, v.n - i, tmp, &tl);
		if (k == 0 && v.p[i] == '\0') {
			tl = utf8_put(0xFFFD, tmp);	/* HTML's rule */
			k = 1;
		}
		if (k == 0) {
			tmp[0] = (char)v.p[i];
			tl = 1;
			k = 1;
		}
		if (o + tl > HTTP_CLIENT_HTML_VALUE_MAX)
			return -1;
		memcpy(out + o, tmp, tl);
		o += tl;
		i += k;
	}
	out[o] = '\0';
	return (int)o;
}

/* Whether the space-separated list v has token (case-insensitively). */
static bool
has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (*v) {
		size_t l = 0;
		while (*v && is_space((uint8_t)*v))
			v++;
		while (v[l] && !is_space((uint8_t)v[l]))
			l++;
		if (l == tl) {
			size_t i;
			for (i = 0; i < l; i++)
				if (ascii_lower((uint8_t)v[i]) != (uint8_t)token[i])
					break;
			if (i == l)
				return true;
		}
		v += l;
	}
	return false;
}

struct scan {
	http_client_html_cb *cb;
	void *arg;
	size_t count;
	char val[HTTP_CLIENT_HTML_VALUE_MAX + 1];
};

/* Reports attribute name of t if present and not blank. srcset: only its
 * first image candidate's URL. */
static bool
report(struct scan *s, const struct html_tag *t, const char *name)
{
	const struct html_attr *a = tag_attr(t, name);
	size_t b, e;
	int n;

	if (a == NULL)
		return false;
	n = decode_value(a->value, s->val);
	if (n < 0)
		return false;
	b = 0;
	e = (size_t)n;
	if (strcmp(name, "srcset") == 0) {
		/* image-candidate-strings: URL, then descriptors, then ',' */
		while (b < e && (is_space((uint8_t)s->val[b]) ||
		    s->val[b] == ','))
			b++;
		size_t u = b;
		while (u < e && !is_space((uint8_t)s->val[u]))
			u++;
		while (u > b && s->val[u - 1] == ',')
			u--;
		e = u;
	}
	while (b < e && is_space((uint8_t)s->val[b]))
		b++;
	while (e > b && is_space((uint8_t)s->val[e - 1]))
		e--;
	if (b == e)
		return false;
	s->val[e] = '\0';
	s->cb(s->arg, t->name, strcmp(name, "srcset") == 0 ? "srcset" : name,
	    s->val + b, e - b);
	s->count++;
	return true;
}

static void
tag_refs(struct scan *s, const struct html_tag *t)
{
	const char *n = t->name;

	if (strcmp(n, "img") == 0 || strcmp(n, "source") == 0) {
		if (!report(s, t, "src"))
			report(s, t, "srcset");
	} else if (strcmp(n, "script") == 0 || strcmp(n, "audio") == 0 ||
	    strcmp(n, "track") == 0 || strcmp(n, "embed") == 0 ||
	    strcmp(n, "iframe") == 0) {
		report(s, t, "src");
	} else if (strcmp(n, "video") == 0) {
		report(s, t, "src");
		report(s, t, "poster");
	} else if (strcmp(n, "object") == 0) {
		report(s, t, "data");
	} else if (strcmp(n, "base") == 0) {
		report(s, t, "href");
	} else if (strcmp(n, "link") == 0) {
		const struct html_attr *rel = tag_attr(t, "rel");
		if (rel && decode_value(rel->value, s->val) >= 0 &&
		    (has_token(s->val, "stylesheet") ||
		    has_token(s->val, "icon")))
			report(s, t, "href");
	} else if (strcmp(n, "input") == 0) {
		const struct html_attr *ty = tag_attr(t, "type");
		if (ty && decode_value(ty->value, s->val) >= 0 &&
		    has_token(s->val, "image"))
			report(s, t, "src");
	}
}

/* Tokenizes the attributes of a tag from p[i..n) up to and including its
 * '>'. Returns the index after the '>', or SIZE_MAX when the input ends
 * first (an unterminated tag is dropped, as in the HTML standard). */
static size_t
parse_attrs(const uint8_t *p, size_t n, size_t i, struct html_tag *t)
{
	t->na = 0;
	for (;;) {
		struct html_attr tmp, *a;
		size_t nl = 0;

		while (i < n && (is_space(p[i]) || p[i] == '/'))
			i++;
		if (i >= n)
			return SIZE_MAX;
		if (p[i] == '>')
			return i + 1;
		a = t->na < HTML_MAX_ATTRS ? &t->a[t->na] : &tmp;
		a->name[0] = '\0';
		a->value = slice_make(p + i, 0);
		/* A name may begin with '=' (a parse error HTML tolerates). */
		name_put(a->name, &nl, p[i++]);
		while (i < n && !is_space(p[i]) && p[i] != '/' && p[i] != '>' &&
		    p[i] != '=')
			name_put(a->name, &nl, p[i++]);
		while (i < n && is_space(p[i]))
			i++;
		if (i < n && p[i] == '=') {
			i++;
			while (i < n && is_space(p[i]))
				i++;
			if (i >= n)
				return SIZE_MAX;
			if (p[i] == '"' || p[i] == '\'') {
				const uint8_t *q = memchr(p + i + 1, p[i],
				    n - i - 1);
				if (q == NULL)
					return SIZE_MAX;
				a->value = slice_make(p + i + 1,
				    (size_t)(q - p) - i - 1);
				i = (size_t)(q - p) + 1;
			} else {
				size_t b = i;
				while (i < n && !is_space(p[i]) && p[i] != '>')
					i++;
				a->value = slice_make(p + b, i - b);
			}
		}
		/* The first of a repeated attribute wins; drop later ones. */
		if (a != &tmp && a->name[0] != '\0' &&
		    tag_attr(t, a->name) == NULL)
			t->na++;
	}
}

/* Elements whose content is text, not markup, up to their end tag. */
static bool
raw_text(const char *name)
{
	static const char *const raw[] = { "script", "style", "textarea",
	    "title", "xmp", "noembed", "noframes", "iframe", NULL };

	for (size_t i = 0; raw[i]; i++)
		if (strcmp(name, raw[i]) == 0)
			return true;
	return false;
}

/* Finds "</name" followed by a space, '/' or '>' at or after i; returns its
 * index, or n. */
static size_t
find_end_tag(const uint8_t *p, size_t n, size_t i, const char *name)
{
	size_t l = strlen(name);

	while (i < n) {
		const uint8_t *lt = memchr(p + i, '<', n - i);
		size_t k, j;

		if (lt == NULL)
			return n;
		k = (size_t)(lt - p);
		if (n - k >= l + 3 && p[k + 1] == '/') {
			for (j = 0; j < l; j++)
				if (ascii_lower(p[k + 2 + j]) != (uint8_t)name[j])
					break;
			if (j == l && (is_space(p[k + 2 + l]) ||
			    p[k + 2 + l] == '/' || p[k + 2 + l] == '>'))
				return k;
		}
		i = k + 1;
	}
	return n;
}

/* Finds s in p[i..n); returns the index after it, or n. */
static size_t
skip_past(const uint8_t *p, size_t n, size_t i, const char *s)
{
	size_t l = strlen(s);

	for (; i + l <= n; i++)
		if (p[i] == (uint8_t)s[0] && memcmp(p + i, s, l) == 0)
			return i + l;
	return n;
}

size_t
http_client_html_scan(const uint8_t *p, size_t n, http_client_html_cb *cb,
    void *arg)
{
	struct scan s;
	struct html_tag t;
	size_t i = 0;

	s.cb = cb;
	s.arg = arg;
	s.count = 0;
	while (i < n) {
		const uint8_t *lt = memchr(p + i, '<', n - i);
		size_t nl = 0;

		if (lt == NULL)
			break;
		i = (size_t)(lt - p) + 1;
		if (i >= n)
			break;
		if (p[i] == '!') {
			if (n - i >= 3 && p[i + 1] == '-' && p[i + 2] == '-') {
				/* <!--> and <!---> end at once */
				size_t c = i + 3;
				if (c < n && p[c] == '>')
					i = c + 1;
				else if (n - c >= 2 && p[c] == '-' &&
				    p[c + 1] == '>')
					i = c + 2;
				else {
					size_t e1 = skip_past(p, n, c, "-->");
					size_t e2 = skip_past(p, n, c, "--!>");
					i = e1 < e2 ? e1 : e2;
				}
			} else {
				i = skip_past(p, n, i, ">");
			}
			continue;
		}
		if (p[i] == '?') {
			i = skip_past(p, n, i, ">");
			continue;
		}
		if (p[i] == '/') {
			i++;
			if (i < n && p[i] == '>') {
				i++;
			} else if (i < n && is_alpha(p[i])) {
				while (i < n && !is_space(p[i]) &&
				    p[i] != '/' &&
				    p[i] != '>')
					i++;
				i = parse_attrs(p, n, i, &t);
				if (i == SIZE_MAX)
					break;
			} else {
				i = skip_past(p, n, i, ">");
			}
			continue;
		}
		if (!is_alpha(p[i]))
			continue;	/* a '<' in text */
		t.name[0] = '\0';
		while (i < n && !is_space(p[i]) && p[i] != '/' && p[i] != '>')
			name_put(t.name, &nl, p[i++]);
		if (i >= n)
			break;
		i = parse_attrs(p, n, i, &t);
		if (i == SIZE_MAX)
			break;		/* unterminated: dropped */
		tag_refs(&s, &t);
		if (strcmp(t.name, "plaintext") == 0)
			break;
		if (raw_text(t.name))
			i = find_end_tag(p, n, i, t.name);
	}
	return s.count;
}
