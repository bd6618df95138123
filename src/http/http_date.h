/* http_date.h - HTTP-dates (RFC 9110 §5.6.7), written and read (http_date.c). */
#ifndef CAMADA_HTTP_DATE_H
#define CAMADA_HTTP_DATE_H

#include <time.h>

#include "core/parse.h"

/* Writes t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and a NUL.
 * Returns 29, or -1 if the year does not have four digits. */
#define HTTP_DATE_LEN 29
int
http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);

/* Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7:
 * IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT": a year that looks
 * more than 50 years ahead is taken from the past century) and asctime
 * ("Sun Nov  6 08:49:37 1994"). Returns 0 and sets *t, or -1 if s is not
 * one of them exactly (callers ignore an invalid If-Modified-Since). */
int
http_date_parse(struct slice s, time_t *t);

#endif
