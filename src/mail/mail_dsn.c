/* mail_dsn.c - the RFC 3464 delivery status notification as bytes: the
 * header, a text part, message/delivery-status, the original (or its
 * header). Nothing here queues or sends it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "mail/mail_dsn.h"

#define DSN_MAX ((size_t)1 << 31)
#define DIAG_MAX 400

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

void
mail_dsn_status(const char *reply, int delayed, char *out)
{
	const char *p = reply ? reply : "";
	size_t n = strlen(p);

	/* "NNN C.SSS.DDD": class 2/4/5, subject and detail of 1-3 digits. */
	if (n >= 9 && isdig(p[0]) && isdig(p[1]) && isdig(p[2]) &&
	    (p[3] == ' ' || p[3] == '-') && (p[4] == '4' || p[4] == '5') &&
	    p[5] == '.') {
		size_t i = 6, a = 0, b = 0;

		while (i < n && isdig(p[i]) && a < 3) {
			i++;
			a++;
		}
		if (a > 0 && i < n && p[i] == '.') {
			i++;
			while (i < n && isdig(p[i]) && b < 3) {
				i++;
				b++;
			}
			if (b > 0 && (i == n || p[i] == ' ')) {
				snprintf(out, 16, "%.*s", (int)(i - 4), p + 4);
				return;
			}
		}
	}
	if (n >= 3 && (p[0] == '4' || p[0] == '5') && isdig(p[1]) &&
	    isdig(p[2]))
		snprintf(out, 16, "%c.0.0", p[0]);
	else
		snprintf(out, 16, "%s", delayed ? "4.0.0" : "5.0.0");
}

static void
date_str(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* A header value's bytes with CR and LF (which our sources never hold, but
 * a remote reply could, in theory) as spaces, at most max bytes. */
static int
put_clean(struct buf *b, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		char c = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];

		if (buf_append(b, &c, 1) < 0)
			return -1;
	}
	return 0;
}

/* The original's header: up to and including the blank line (or all of
 * it, when it has no body). */
static size_t
header_len(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return i + 4;
	return n;
}

static int
human_part(struct buf *b, const struct mail_dsn *d)
{
	int failed = 0;

	for (int i = 0; i < d->nrcpt; i++)
		failed += !d->rcpt[i].delayed;
	if (buf_printf(b, "This is the mail system at host %s.\r\n\r\n",
	    d->reporting_mta) < 0)
		return -1;
	if (failed && buf_append_str(b, "Your message could not be "
	    "delivered to one or more recipients.\r\nIt is attached "
	    "below.\r\n\r\n") < 0)
		return -1;
	if (failed < d->nrcpt && buf_append_str(b, "Delivery to some "
	    "recipients is delayed; the mail system will keep trying.\r\n"
	    "You do not need to send the message again.\r\n\r\n") < 0)
		return -1;
	for (int i = 0; i < d->nrcpt; i++) {
		const struct mail_dsn_rcpt *r = &d->rcpt[i];

		if (buf_append_str(b, "<") < 0 ||
		    put_clean(b, r->addr, DIAG_MAX) < 0 ||
		    buf_append_str(b, r->delayed ? ">: delayed: " :
		    ">: failed: ") < 0 ||
		    put_clean(b, r->reply ? r->reply : "unknown error",
		    DIAG_MAX) < 0 || buf_append_str(b, "\r\n") < 0)
			return -1;
	}
	return buf_printf(b, "\r\nQueue id: %s\r\n", d->queue_id ?
	    d->queue_id : "-");
}

static int
status_part(struct buf *b, const struct mail_dsn *d)
{
	char date[64];

	if (buf_printf(b, "Reporting-MTA: dns; %s\r\n", d->reporting_mta) < 0)
		return -1;
	if (d->envid && (buf_append_str(b, "Original-Envelope-Id: ") < 0 ||
	    put_clean(b, d->envid, DIAG_MAX) < 0 ||
	    buf_append_str(b, "\r\n") < 0))
		return -1;
	date_str(date, sizeof(date), d->arrival);
	if (buf_printf(b, "Arrival-Date: %s\r\n", date) < 0)
		return -1;
	date_str(date, sizeof(date), d->now);
	for (int i = 0; i < d->nrcpt; i++) {
		const struct mail_dsn_rcpt *r = &d->rcpt[i];
		char st[16];

		mail_dsn_status(r->reply, r->delayed, st);
		if (buf_append_str(b, "\r\n") < 0)
			return -1;
		if (r->orcpt && (buf_append_str(b, "Original-Recipient: ") < 0
		    || put_clean(b, r->orcpt, DIAG_MAX) < 0 ||
		    buf_append_str(b, "\r\n") < 0))
			return -1;
		if (buf_append_str(b, "Final-Recipient: rfc822; ") < 0 ||
		    put_clean(b, r->addr, DIAG_MAX) < 0 ||
		    buf_printf(b, "\r\nAction: %s\r\nStatus: %s\r\n",
		    r->delayed ? "delayed" : "failed", st) < 0)
			return -1;
		if (r->remote_mta && (buf_append_str(b, "Remote-MTA: dns; ") < 0
		    || put_clean(b, r->remote_mta, DIAG_MAX) < 0 ||
		    buf_append_str(b, "\r\n") < 0))
			return -1;
		/* A reply from a server is "smtp;"; our own reasons (no MX,
		 * connection refused) are X-camada's. */
		if (r->reply && (buf_append_str(b, r->remote_mta &&
		    isdig(r->reply[0]) ? "Diagnostic-Code: smtp; " :
		    "Diagnostic-Code: X-camada; ") < 0 ||
		    put_clean(b, r->reply, DIAG_MAX) < 0 ||
		    buf_append_str(b, "\r\n") < 0))
			return -1;
		if (buf_printf(b, "Last-Attempt-Date: %s\r\n", date) < 0)
			return -1;
	}
	return 0;
}

int
mail_dsn_build(const struct mail_dsn *d, char **out, size_t *len,
    char *err)
{
	char date[64], bnd[96];
	struct buf b;
	int failed = 0;
	size_t olen;

	*out = NULL;
	*len = 0;
	if (d->nrcpt <= 0) {
		snprintf(err, MAIL_DSN_ERR_LEN, "no recipients to report");
		return -1;
	}
	for (int i = 0; i < d->nrcpt; i++)
		failed += !d->rcpt[i].delayed;
	/* The boundary may not occur in the parts: the queue id and the
	 * time make it unlikely in the original, "=_" makes it impossible
	 * in quoted-printable and base64 bodies the original may hold. */
	snprintf(bnd, sizeof(bnd), "=_camada-%s-%lld", d->queue_id ?
	    d->queue_id : "dsn", (long long)d->now);
	date_str(date, sizeof(date), d->now);
	buf_init(&b, DSN_MAX);
	olen = d->ret_hdrs ? header_len(d->msg, d->len) : d->len;
	if (buf_printf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	    "To: <", d->reporting_mta) < 0 ||
	    put_clean(&b, d->sender, DIAG_MAX) < 0 ||
	    buf_printf(&b, ">\r\nSubject: %s\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <%s.dsn@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n"
	    "\r\n"
	    "This is a MIME-encapsulated message.\r\n"
	    "\r\n--%s\r\n"
	    "Content-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    failed ? "Undelivered Mail Returned to Sender" :
	    "Delayed Mail (still being retried)", date,
	    d->queue_id ? d->queue_id : "dsn", d->reporting_mta, bnd,
	    bnd) < 0 ||
	    human_part(&b, d) < 0 ||
	    buf_printf(&b, "\r\n--%s\r\n"
	    "Content-Description: Delivery report\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n", bnd) < 0 ||
	    status_part(&b, d) < 0 ||
	    buf_printf(&b, "\r\n--%s\r\n"
	    "Content-Description: %s\r\n"
	    "Content-Type: %s\r\n\r\n", bnd,
	    d->ret_hdrs ? "Undelivered Message Headers" :
	    "Undelivered Message", d->ret_hdrs ? "text/rfc822-headers" :
	    "message/rfc822") < 0 ||
	    buf_append(&b, d->msg, olen) < 0 ||
	    /* The boundary starts a line of its own. */
	    (olen >= 2 && (d->msg[olen - 2] != '\r' || d->msg[olen - 1] !=
	    '\n') && buf_append_str(&b, "\r\n") < 0) ||
	    buf_printf(&b, "\r\n--%s--\r\n", bnd) < 0) {
		snprintf(err, MAIL_DSN_ERR_LEN, "out of memory");
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*out = malloc(b.len + 1);
	if (*out == NULL) {
		snprintf(err, MAIL_DSN_ERR_LEN, "out of memory");
		buf_free(&b);
		return -1;
	}
	memcpy(*out, buf_data(&b), b.len);
	(*out)[b.len] = '\0';
	buf_free(&b);
	return 0;
}
