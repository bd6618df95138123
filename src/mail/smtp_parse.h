/* smtp_parse.h - an SMTP command line split into its verb and argument
 * (RFC 5321 §4.1). Pure: no state, no allocation; the argument is a slice
 * into the caller's line. Paths and parameters are mail_addr's, replies
 * and states the session's (smtp_server.c).
 */
#ifndef CAMADA_SMTP_PARSE_H
#define CAMADA_SMTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse.h"

/* RFC 5321 §4.5.3.1.4: a command line is 512 octets with its CRLF. */
#define SMTP_CMD_LINE_MAX 510

enum smtp_verb {
	SMTP_UNKNOWN,
	SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA, SMTP_BDAT,
	SMTP_RSET, SMTP_NOOP, SMTP_VRFY, SMTP_EXPN, SMTP_HELP, SMTP_QUIT,
	SMTP_STARTTLS, SMTP_AUTH,
};

struct smtp_cmd {
	enum smtp_verb verb;
	struct slice arg;	/* after the verb and one or more spaces,
				 * trailing spaces dropped; n 0 when none */
};

/* Splits line[0..n) (without its CRLF) at its first space. Returns n, or
 * PARSE_ERR when the line holds a NUL, a CR or a LF (the session answers
 * 500 5.5.2). An unknown verb ("HELOX" too) is not an error: verb
 * SMTP_UNKNOWN (500 5.5.1). Verbs are case-insensitive. */
int smtp_parse_cmd(const uint8_t *p, size_t n, struct smtp_cmd *cmd);

/* BDAT's argument: "SIZE" or "SIZE LAST" (LAST in any case). 0 with *size
 * and *last set, or -1 (501 5.5.4). */
int smtp_parse_bdat(struct slice arg, uint64_t *size, int *last);

/* RFC 4648 base64 (SASL's, RFC 4954): in, a multiple of 4 characters with
 * '=' padding only at the end, into out[0..cap). 0 with *outn set, or -1
 * (not base64, or it does not fit). */
int smtp_base64_decode(struct slice in, uint8_t *out, size_t cap,
    size_t *outn);

#endif
