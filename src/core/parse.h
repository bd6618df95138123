/* parse.h - the conventions every pure parser in camada follows.
 *
 * A parser is a function over bytes, (const uint8_t *p, size_t n, struct out *),
 * that never reads a socket, never allocates without a bound and never prints.
 * It returns the number of bytes consumed (> 0), PARSE_AGAIN when the input is
 * a valid prefix that needs more bytes, or PARSE_ERR when it is malformed; on
 * PARSE_ERR it also fills in the protocol's own error code (400, FORMERR, ...).
 * Outputs are slices into the caller's bytes: valid as long as those bytes are.
 */
#ifndef CAMADA_PARSE_H
#define CAMADA_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PARSE_AGAIN (-2)
#define PARSE_ERR (-1)

/* A borrowed view of bytes owned by someone else. */
struct slice {
	const uint8_t *p;
	size_t n;
};

static inline struct slice
slice_make(const void *p, size_t n)
{
	struct slice s = { (const uint8_t *)p, n };
	return s;
}

static inline struct slice
slice_cstr(const char *s)
{
	return slice_make(s, strlen(s));
}

/* Exact, case-sensitive comparison with a C string. */
static inline int
slice_eq(struct slice s, const char *c)
{
	size_t n = strlen(c);
	return s.n == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

/* ASCII case-insensitive comparison with a C string. */
static inline int
slice_caseeq(struct slice s, const char *c)
{
	size_t n = strlen(c);
	if (s.n != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = s.p[i], b = (unsigned char)c[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b + 32);
		if (a != b)
			return 0;
	}
	return 1;
}

#endif
