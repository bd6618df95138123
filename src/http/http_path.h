/* http_path.h - request paths made safe for the file system (http_path.c). */
#ifndef CAMADA_HTTP_PATH_H
#define CAMADA_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/parse.h"

/*
 * Turns a request path (r->path: percent-encoded, no query) into a file-
 * system-safe path in out, NUL-terminated. Returns its length (>= 1), or -1:
 * answer 400 (or 404, so as not to say why).
 *
 * It percent-decodes, then removes dot segments (RFC 3986 §5.2.4) and
 * collapses "//". The result begins with '/', has no "." or ".." segment and
 * no empty segment except that a trailing '/' is kept ("/dir/" stays a
 * directory; "/a/b/.." becomes "/a/"). An empty path gives "/".
 *
 * Refused (-1): a path not starting with '/'; '%' not followed by two hex
 * digits; %00 or a NUL, or any other control character; an encoded slash
 * %2F (it would let "a%2F..%2F.." hide a dot segment; and files cannot
 * contain '/'); a backslash, raw or %5C (Windows path separator); bytes that
 * are not valid UTF-8 after decoding (overlong forms like %C0%AE for '.',
 * surrogates, truncated sequences); a ".." that would climb above the root;
 * a result that does not fit outsz.
 */
int
http_path_decode(struct slice path, char *out, size_t outsz);

/* Whether any segment of a decoded path begins with '.' (".git",
 * ".htpasswd", "..."): servers refuse those by default. */
bool
http_path_has_dotfile(const char *path);

#endif
