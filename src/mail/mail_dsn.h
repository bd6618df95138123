/* mail_dsn.h - delivery status notifications (RFC 3464): the bounce the
 * relay queues to a sender when recipients failed for good or the message
 * waited too long. A multipart/report (RFC 6522) of a human-readable part,
 * message/delivery-status, and the original message (message/rfc822) or
 * its header (text/rfc822-headers, RET=HDRS). Pure: it builds bytes, the
 * caller queues them with the null sender (so a bounce never bounces). */
#ifndef CAMADA_MAIL_DSN_H
#define CAMADA_MAIL_DSN_H

#include <stddef.h>
#include <stdint.h>

#define MAIL_DSN_ERR_LEN 128

struct mail_dsn_rcpt {
	const char *addr;	/* the forward-path as queued */
	const char *orcpt;	/* ORCPT ("rfc822;a@b") or NULL */
	const char *remote_mta;	/* the host that answered, or NULL */
	const char *reply;	/* its last reply ("550 5.1.1 no such user")
				 * or our reason ("no MX for x"), or NULL */
	int delayed;		/* 1: Action delayed (4.x.x), else failed */
};

struct mail_dsn {
	const char *reporting_mta;	/* our host name */
	const char *sender;	/* the original reverse-path (To: of the
				 * DSN); never "" (the caller never bounces
				 * a bounce) */
	const char *envid;	/* ENVID, or NULL */
	const char *queue_id;	/* for the text and the Message-ID */
	int64_t arrival;	/* unix seconds the message was queued */
	int64_t now;		/* unix seconds: Date, Last-Attempt-Date */
	const uint8_t *msg;	/* the original message, CRLF lines */
	size_t len;
	int ret_hdrs;		/* include only its header */
	const struct mail_dsn_rcpt *rcpt;
	int nrcpt;
};

/* The status code of a reply: its RFC 3463 code when it carries one
 * ("550 5.1.1 ..." gives "5.1.1"), else from its class ("451 ..." gives
 * "4.0.0"; anything else "5.0.0", or "4.0.0" when delayed). out holds at
 * least 16 bytes. */
void mail_dsn_status(const char *reply, int delayed, char *out);

/* Builds the DSN: a whole message with CRLF line ends, no line over 998
 * octets, in *out (malloc'd, freed by the caller; *len its length, a NUL
 * after it). 0, or
 * -1 with err (out of memory, no recipients). */
int mail_dsn_build(const struct mail_dsn *d, char **out, size_t *len,
    char *err);

#endif
