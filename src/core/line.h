/* line.h - splitting an input buffer into lines, for the line-based command
 * protocols (echo, SMTP, POP3, IMAP, FTP control): a lenient splitter (LF or
 * CRLF) and a strict one (CRLF only). Bodies (SMTP DATA) are core/dot.h's. */
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

#define LINE_TOO_LONG (-1)
#define LINE_BARE_LF (-2)

/* line_next for protocols whose lines end only at CRLF (SMTP, RFC 5321
 * §2.3.8; POP3; IMAP): the same returns, the same too-long cases, and
 *   LINE_BARE_LF  a LF not preceded by CR ended the line: the line, its LF
 *                 included, has been dropped (the next call returns the line
 *                 after it). The caller answers with the protocol's error
 *                 (SMTP "500 5.5.2 bare LF", and it may close as Postfix's
 *                 smtpd_forbid_bare_newline does) and never treats the line
 *                 as a command: a server that did would read pipelined
 *                 input differently from a strict peer in front of it.
 * A line too long is LINE_TOO_LONG whatever ends it. A CR not followed by LF
 * is an ordinary byte of the line (the command parser judges it); only the
 * CR of the ending CRLF is taken off. line_skip resynchronises as for
 * line_next (at the next LF, bare or not). */
int line_next_crlf(struct buf *in, size_t max, struct slice *line);

/* Drops bytes up to and including the next LF. Returns 1 when a LF was found,
 * 0 when everything was dropped and the line goes on (call again on the next
 * read). */
int line_skip(struct buf *in);

#endif
