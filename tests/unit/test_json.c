/* test_json.c - test_json_valid, a strict RFC 8259 checker for the tests
 * that write JSON (log lines, the metrics summary), and its own tests. It
 * checks syntax only and decodes nothing. */
#include <string.h>

#include "test.h"

struct jcur {
	const char *p, *end;
	int depth;
};

static int jvalue(struct jcur *c);

static void
jspace(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
jlit(struct jcur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

static int
jhex(char h)
{
	return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
	    (h >= 'A' && h <= 'F');
}

static int
jstr(struct jcur *c)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	for (c->p++; c->p < c->end; c->p++) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch != '\\')
			continue;
		if (++c->p >= c->end)
			return -1;
		if (*c->p == 'u') {
			for (int i = 0; i < 4; i++)
				if (++c->p >= c->end || !jhex(*c->p))
					return -1;
		} else if (!strchr("\"\\/bfnrt", *c->p) || *c->p == '\0') {
			return -1;
		}
	}
	return -1;
}

static int
jdigits(struct jcur *c)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s ? 0 : -1;
}

static int
jnum(struct jcur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (jdigits(c) < 0)
		return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (jdigits(c) < 0)
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (jdigits(c) < 0)
			return -1;
	}
	return 0;
}

/* An object or an array: open, members (key ':' value, or value), close. */
static int
jlist(struct jcur *c, char close, int keyed)
{
	c->p++;
	jspace(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		jspace(c);
		if (keyed) {
			if (jstr(c) < 0)
				return -1;
			jspace(c);
			if (c->p >= c->end || *c->p++ != ':')
				return -1;
		}
		if (jvalue(c) < 0)
			return -1;
		jspace(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -1;
	}
}

static int
jvalue(struct jcur *c)
{
	int rc;

	jspace(c);
	if (c->p >= c->end || c->depth > 64)
		return -1;
	switch (*c->p) {
	case '{':
	case '[':
		c->depth++;
		rc = jlist(c, *c->p == '{' ? '}' : ']', *c->p == '{');
		c->depth--;
		return rc;
	case '"':
		return jstr(c);
	case 't':
		return jlit(c, "true");
	case 'f':
		return jlit(c, "false");
	case 'n':
		return jlit(c, "null");
	default:
		return jnum(c);
	}
}

int
test_json_valid(const char *p, size_t n)
{
	struct jcur c = { p, p + n, 0 };

	if (jvalue(&c) < 0)
		return 0;
	jspace(&c);
	return c.p == c.end;
}

TEST(test_json_valid_itself)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-1.5e+3", "\"a\\u00e9\\n\"", "true", "null",
		"{\"a\":{\"b\":[1,2,{\"c\":\"d\"}]},\"e\":false}",
		" { \"k\" : [ ] } ",
	};
	static const char *const bad[] = {
		"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "01",
		"\"\\x41\"", "\"\\u12\"", "\"tab\there\"", "{a:1}", "1 2",
		"{\"a\":1}}", "tru", "\"open", "-", "1.", "{\"a\":1\"b\":2}",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(test_json_valid(good[i], strlen(good[i])), "valid: %s",
		    good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!test_json_valid(bad[i], strlen(bad[i])), "invalid: %s",
		    bad[i]);
}
