/* ascii.h - case folding for protocol text: ASCII letters only, whatever
 * the locale (tolower(3) follows LC_CTYPE, and UTF-8 octets must compare as
 * bytes). Host names, header and cookie names, mail addresses. */
#ifndef CAMADA_ASCII_H
#define CAMADA_ASCII_H

#include <stddef.h>
#include <stdint.h>

static inline uint8_t
ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Compares a[0..an) and b[0..bn) ignoring ASCII case: <0, 0, >0 as memcmp,
 * a prefix sorting first. */
static inline int
ascii_casecmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;

	for (size_t i = 0; i < n; i++) {
		int x = ascii_lower((uint8_t)a[i]);
		int y = ascii_lower((uint8_t)b[i]);
		if (x != y)
			return x - y;
	}
	return an < bn ? -1 : an > bn;
}

#endif
