/* mail_queue.h - the outgoing queue: messages for other domains, written
 * durably before the SMTP server answers 250, delivered by the relay client
 * (mail_relay), retried with backoff, bounced as a DSN when they fail for
 * good. One folder (the [mail] `queue` key); one file per message holding
 * its envelope and its bytes, so a message and its envelope appear and
 * disappear together (written to a temporary name, fsynced, renamed,
 * folder fsynced). Not here: the SMTP session, the delivery itself.
 *
 * Every call that touches the disk blocks: run it on a pool thread. The
 * queue is shared by processes (the SMTP workers write, one relay runner
 * delivers, `camada mailq` lists): state is in the files and their names,
 * never in memory alone.
 */
#ifndef CAMADA_MAIL_QUEUE_H
#define CAMADA_MAIL_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define MAIL_QUEUE_ID_LEN 32
#define MAIL_QUEUE_ERR_LEN 320

/* One recipient of a queued message, with its DSN parameters (RFC 3461). */
struct mail_queue_rcpt {
	char *addr;          /* the forward-path, without <> */
	char *orcpt;         /* ORCPT= as given ("rfc822;a@b"), or NULL */
	unsigned notify;     /* MAIL_NOTIFY_* bits, 0: not given (DEFAULT) */
};

#define MAIL_NOTIFY_NEVER   0x1
#define MAIL_NOTIFY_SUCCESS 0x2
#define MAIL_NOTIFY_FAILURE 0x4
#define MAIL_NOTIFY_DELAY   0x8

struct mail_queue_env {
	char *from;          /* the reverse-path without <>, "" for <> (a
	                      * bounce: never bounced again) */
	struct mail_queue_rcpt *rcpt;
	int nrcpt;
	int body_8bit;       /* BODY=8BITMIME */
	int smtputf8;
	int ret_hdrs;        /* RET=HDRS (else FULL) */
	char *envid;         /* ENVID=, or NULL */
	char *client;        /* who sent it ("[127.0.0.1] helo-name"), for
	                      * logs and the DSN */
};

/* Writes one message durably into the queue folder dir: env and the
 * message data[0..len) (CRLF line ends, dot-unstuffed, the Received: line
 * already added). Fills id (MAIL_QUEUE_ID_LEN, NUL-terminated, unique
 * across processes and restarts: the log's queue id). 0 once the file is
 * renamed into place and the folder fsynced — then, and only then, may the
 * server answer 250 — or -1 with err (the message is not queued; answer
 * 451 4.3.0). For a pool thread. */
int mail_queue_put(const char *dir, const struct mail_queue_env *env,
    const void *data, size_t len, char *id, char *err);

#endif
