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

/* The folder's layout (made by mail_queue_put and mail_queue_open):
 *   tmp/<pid>.<id>  a message being written (torn if its writer died)
 *   msg/<id>        a queued message: "camada-queue 1", the envelope one
 *                   field a line, "data <len>", then the bytes
 *   state/<id>      its recipients' state, rewritten whole (tmp, fsync,
 *                   rename); absent: every recipient pending, never tried
 *   flush/<id>, flush/all   a `mailq flush` request for the runner
 * The message file is the authority: a state file without one is stale.
 * Only the relay runner writes state/; mail_queue_remove is safe from any
 * process. */

enum mail_queue_rstate {
	MAIL_QUEUE_PENDING,	/* to be tried (again) at next_try */
	MAIL_QUEUE_DONE,	/* delivered (or relayed) */
	MAIL_QUEUE_FAILED,	/* failed for good; a DSN was queued */
};

struct mail_queue_rstat {
	enum mail_queue_rstate state;
	int tries;
	int64_t next_try;	/* unix seconds; 0: at once */
	int64_t last_try;	/* unix seconds; 0: never */
	char err[MAIL_QUEUE_ERR_LEN];	/* the last reply or reason, "" */
};

/* A message read back. Every pointer points into storage owned by the
 * struct, until mail_queue_msg_free. */
struct mail_queue_msg {
	char id[MAIL_QUEUE_ID_LEN];
	struct mail_queue_env env;
	struct mail_queue_rstat *st;	/* env.nrcpt of them */
	int64_t created;	/* unix seconds the message was queued */
	const uint8_t *data;	/* the message, as given to put */
	size_t len;
	size_t size;		/* the whole file's size */
	char *buf_;		/* private: the file's bytes */
};

/* Makes the layout under dir if missing (mode 0700) and removes torn
 * tmp/ files of writers that are gone (their pid no longer runs, or older
 * than a day) and state/ files without a message. For the runner's start
 * and `camada mailq`. 0, or -1 with err. */
int mail_queue_open(const char *dir, char *err);

/* The ids of the queued messages, oldest first (by id, which begins with
 * the time). *ids is a new array of *n ids (free() it; NULL when empty).
 * 0, or -1 with err. */
int mail_queue_list(const char *dir, char (**ids)[MAIL_QUEUE_ID_LEN],
    int *n, char *err);

/* Reads message id (envelope, bytes and state) into m. 0; 1 when there is
 * no such message (removed meanwhile); -1 with err for a file that is not
 * a queue file (left alone: an operator looks at it). An id that is not
 * one of ours ('/', '.', too long) is "no such message". */
int mail_queue_read(const char *dir, const char *id,
    struct mail_queue_msg *m, char *err);
void mail_queue_msg_free(struct mail_queue_msg *m);

/* Writes m->st durably (state/<id>). 0; 1 when the message is gone (a
 * `mailq delete` meanwhile: nothing written); -1 with err. */
int mail_queue_save_state(const char *dir, const struct mail_queue_msg *m,
    char *err);

/* Removes message id and its state, durably. 0; 1 when there was no such
 * message; -1 with err. */
int mail_queue_remove(const char *dir, const char *id, char *err);

/* 1 when every recipient is DONE or FAILED; else 0 and *next (may be
 * NULL) gets the earliest next_try of the pending ones. */
int mail_queue_finished(const struct mail_queue_msg *m, int64_t *next);

/* A flush request: id, or every message when id is NULL (a file under
 * flush/, so it reaches the runner in whatever process it runs). 0, or -1
 * with err. */
int mail_queue_flush_request(const char *dir, const char *id, char *err);

/* Takes the pending flush requests (removing them): returns 1 when "all"
 * was asked, else 0, and calls fn(id, arg) for each single id; -1 with
 * err. For the runner. */
typedef void mail_queue_flush_fn(const char *id, void *arg);
int mail_queue_flush_take(const char *dir, mail_queue_flush_fn *fn,
    void *arg, char *err);

#endif
