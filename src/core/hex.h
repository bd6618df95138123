/* hex.h - hexadecimal digits, for every parser that reads them (chunk sizes,
 * percent-encoding, form fields, DNS \# rdata). */
#ifndef CAMADA_HEX_H
#define CAMADA_HEX_H

#include <stdint.h>

/* The value of one hex digit (either case), or -1 when c is not one. */
static inline int
hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
