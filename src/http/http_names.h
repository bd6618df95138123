/* http_names.h - the words of the protocol: method names and reason
 * phrases (http_names.c). */
#ifndef CAMADA_HTTP_NAMES_H
#define CAMADA_HTTP_NAMES_H

#include "http/http_parse.h"

/* "OK", "Not Found", ...; "Unknown" for a code with no registered phrase.
 * Never NULL. */
const char *
http_status_reason(int status);

/* "GET", ...; "UNKNOWN" for HTTP_METHOD_UNKNOWN (log method_name instead). */
const char *
http_method_name(enum http_method m);

/* The enum for a method token (case-sensitive), HTTP_METHOD_UNKNOWN if none. */
enum http_method
http_method_from(struct slice s);

#endif
