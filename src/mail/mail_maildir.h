/* mail_maildir.h - Maildir delivery, durable before the caller answers 250:
 * write into tmp/ under a unique name, fsync the file, link() it into new/
 * with ",S=<size>,W=<vsize>", unlink the tmp/ name, fsync new/. Names
 * follow Dovecot's (sec.M<usec>P<pid>Q<n>.host), so Dovecot, mutt and
 * camada's own POP3/IMAP read the same mailboxes. Also the Maildir++
 * folders IMAP will make. Not here: quotas, flags (the cur/ ":2," part),
 * reading mailboxes.
 *
 * Every function blocks on the disk and is meant for a pool thread: no
 * loop calls, no state but one atomic counter, errno-safe, thread-safe.
 */
#ifndef CAMADA_MAIL_MAILDIR_H
#define CAMADA_MAIL_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mail/mail_users.h"

#define MAIL_MAILDIR_ERR_LEN 320
/* A file's name in new/: base name (time, usec, pid, counter, host of at
 * most 64 bytes escaped) and the size fields. */
#define MAIL_MAILDIR_NAME_LEN 384
#define MAIL_MAILDIR_PATH_LEN 4096

/* Expands the template for user u into out: %d domain, %n local part,
 * %u the whole address, %% a '%'. A relative template stays relative (to
 * the caller's current directory; conf_apply has already joined it onto
 * the config's folder). Returns 0, or -1 with err: an unknown %x, a result
 * too long, or a value that is unsafe in a path (a '/', a leading '.',
 * a control character), checked again here although the users file was
 * checked when read. */
int mail_maildir_path(const char *tmpl, const struct mail_user *u, char *out,
    size_t outlen, char *err, size_t errlen);

/* Makes path a Maildir if it is not one: path and any missing parents,
 * then tmp/ new/ cur/, each mode 0700; each folder made is fsynced into
 * its parent, so the new/ that a delivery links into survives a crash.
 * 0, or -1 with err. */
int mail_maildir_create(const char *path, char *err, size_t errlen);

/* A Maildir++ folder of the Maildir at path: path/.<name>/ with tmp/ new/
 * cur/ and an empty "maildirfolder" file, mode 0700 (Dovecot's and
 * Courier's layout: "Sent", "Archive.2026" for Archive/2026). name is
 * already in IMAP's modified UTF-7; it must not be empty, start with or
 * hold '/', start or end with '.', or hold "..". 0 (also when it exists),
 * or -1 with err. */
int mail_maildir_folder_create(const char *path, const char *name, char *err,
    size_t errlen);

/* The message, CRLF line ends as SMTP carries it: either data[0..len) or
 * (data NULL) len bytes of fd from offset off (a spool file; read with
 * pread, so one fd serves several threads). It is stored with LF line ends
 * (the Maildir convention, what Dovecot and mutt write); ,S= is the file's
 * size and ,W= the size with CRLF, RFC822.SIZE for POP3 and IMAP. */
struct mail_maildir_msg {
	const uint8_t *data;
	size_t len;
	int fd;
	off_t off;
	const char *return_path;	/* the sender, formatted without <>
					 * ("" for the null path) */
};

/* One mailbox to deliver to, and what happened. */
struct mail_maildir_dest {
	const char *maildir;	/* its path (mail_maildir_path) */
	const char *rcpt;	/* for Delivered-To: the user's address */
	int ok;			/* out: 1 when the message is in new/ */
	char name[MAIL_MAILDIR_NAME_LEN];	/* out: its file name there */
	char err[MAIL_MAILDIR_ERR_LEN];		/* out: why, when !ok */
};

/* Writes m into each of d[0..n) (a Maildir is created on first delivery),
 * each copy with "Return-Path: <sender>" and "Delivered-To: rcpt" first.
 * The new/ folders are fsynced once each, after every link into them, so
 * recipients sharing a folder share the fsync. When this returns, every
 * d[i].ok is durable; a mailbox whose steps failed has ok 0, its err set
 * and nothing left in new/ (best effort: the link is undone if the folder's
 * fsync failed). A header value holding CR, LF or NUL is refused. Returns
 * how many mailboxes got the message. */
size_t mail_maildir_deliver(const struct mail_maildir_msg *m,
    struct mail_maildir_dest *d, size_t n);

#endif
