/* http_field.h - field values a server, a client and a proxy all read:
 * ranges, header lookup, entity tags (http_field.c). */
#ifndef CAMADA_HTTP_FIELD_H
#define CAMADA_HTTP_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

/*
 * A Range header value against a representation of size bytes, for one
 * range: "bytes=a-b", "bytes=a-" or "bytes=-suffix" (RFC 9110 §14.1.2).
 * Returns 1 and sets *first and *last (inclusive, last < size) if
 * satisfiable: send 206. Returns 0 if the header is to be ignored: malformed,
 * another unit, or several ranges: send the whole 200. Returns -1 if
 * unsatisfiable (first >= size, "-0", or any range of an empty file): send
 * 416 with "Content-Range: bytes * /size".
 */
int
http_parse_range(struct slice v, uint64_t size, uint64_t *first,
    uint64_t *last);

/* The first header named name (case-insensitive), or NULL. */
const struct http_header *
http_header_find(const struct http_header *h, size_t n, const char *name);

/* The index of the next header named name at or after from, or n: loop
 * with i = http_header_next(h, n, i + 1, name) to see repeated fields. */
size_t
http_header_next(const struct http_header *h, size_t n, size_t from,
    const char *name);

/* Whether an entity-tag list (If-None-Match, If-Match) matches etag, which
 * is the full tag as the server sends it ("\"abc\"" or "W/\"abc\"").
 * "*" matches any. weak = true is the weak comparison that If-None-Match
 * uses (W/ ignored on both sides); weak = false is the strong one (If-Match,
 * If-Range: both tags must be strong and equal). A malformed list matches
 * nothing. */
bool
http_etag_match(struct slice list, struct slice etag, bool weak);

#endif
