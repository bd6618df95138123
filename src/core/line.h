/* line.h - splitting an input buffer into lines, for the line-based command
 * protocols (echo, SMTP, POP3, IMAP, FTP control). */
#ifndef CAMADA_LINE_H
#define CAMADA_LINE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/parse.h"

/* Takes the next line off the front of `in`.
 * Returns 1 with *line set to its bytes without the LF or CRLF (a slice into
 * `in`, valid until the next read into it), 0 when no complete line is there
 * yet, or -1 when a line is longer than max: if its LF has arrived the line
 * is dropped (the next call returns the line after it), otherwise the buffer
 * is left as it is and the caller either closes or calls line_skip. Either
 * way the caller answers with the protocol's error. */
int line_next(struct buf *in, size_t max, struct slice *line);

/* Drops bytes up to and including the next LF. Returns 1 when a LF was found,
 * 0 when everything was dropped and the line goes on (call again on the next
 * read). */
int line_skip(struct buf *in);

#endif
