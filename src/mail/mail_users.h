/* mail_users.h - the users file, in Dovecot's passwd-file format, so one
 * file serves camada and a Dovecot beside it:
 *
 *     user@domain:{SCHEME}hash:uid:gid:gecos:home:shell:extra
 *
 * Only the address and the password matter now; uid and gid (numbers or
 * empty), home (for FTP later) and extra are kept. Passwords are crypt(3)
 * hashes (libcrypt, libxcrypt on Debian) and nothing else: a plaintext or
 * plaintext-equivalent scheme ({PLAIN}, {CLEAR}, {CRAM-MD5}, {DIGEST-MD5},
 * ...) is refused when the file is read, so APOP and CRAM-MD5, which need
 * the secret itself, will never be offered. Loading and lookups are for the
 * loop's thread; mail_users_verify is slow on purpose and belongs on a pool
 * thread.
 */
#ifndef CAMADA_MAIL_USERS_H
#define CAMADA_MAIL_USERS_H

#include <stddef.h>

#include "mail/mail_addr.h"

/* Room for "FILE:LINE: message". */
#define MAIL_USERS_ERR_LEN 512
/* A users file larger than this is refused (about 200,000 users). */
#define MAIL_USERS_FILE_MAX (64u << 20)
/* Longest password verify and hash accept (crypt(3) would take more,
 * bcrypt uses only 72 bytes). */
#define MAIL_USERS_PASSWORD_MAX 1024

enum mail_users_scheme {
	MAIL_USERS_SHA512_CRYPT,	/* {SHA512-CRYPT}$6$... */
	MAIL_USERS_SHA256_CRYPT,	/* {SHA256-CRYPT}$5$... */
	MAIL_USERS_BLF_CRYPT,		/* {BLF-CRYPT}$2y$ or $2b$ */
	MAIL_USERS_CRYPT		/* {CRYPT} or no scheme (Dovecot's
					 * default): $6$ $5$ $2y$ $2b$ and
					 * yescrypt $y$, gost-yescrypt $gy$,
					 * scrypt $7$; DES, MD5 and the other
					 * weak ones are refused */
};

struct mail_user {
	const char *addr;	/* the address as mail_addr_format writes it
				 * (domain lowered): Delivered-To and %u */
	const char *local;	/* decoded local part (%n) */
	const char *domain;	/* lowered (%d) */
	enum mail_users_scheme scheme;
	const char *hash;	/* the crypt string, without "{SCHEME}" */
	const char *home;	/* "" when the field is empty or missing */
	const char *extra;	/* the rest of the line after the shell
				 * field, "" if none */
	long uid, gid;		/* -1 when empty or missing */
	int line;
};

struct mail_users {
	struct mail_user *u;	/* sorted for lookups */
	size_t n;
	char *mem;		/* every string above */
};

/* Reads path. Returns 0, or -1 with "FILE:LINE: reason" (or "FILE:
 * reason") in err; *us is then empty (safe to free). A line is an error
 * when: its address is not a mailbox (mail_addr_parse_mailbox, UTF-8
 * allowed), it has no password, its scheme is plaintext, unknown or weak,
 * the hash does not match its scheme, uid or gid is not a number, or the
 * address (ignoring ASCII case) was already on another line. '#' lines
 * and blank lines are skipped; CRLF ends a line too. */
int mail_users_load(struct mail_users *us, const char *path, char *err,
    size_t errlen);

/* The same over bytes; name is the file name used in errors. */
int mail_users_parse(struct mail_users *us, const char *name,
    const char *p, size_t n, char *err, size_t errlen);

void mail_users_free(struct mail_users *us);

/* The user for local@domain, comparing ASCII case-insensitively in both
 * parts (as Postfix's local delivery and Dovecot's default %Lu do, so
 * Alice@Crepes.FR reaches alice@crepes.fr's mailbox), or NULL. The
 * pointer is valid until mail_users_free. */
const struct mail_user *mail_users_find(const struct mail_users *us,
    const char *local, size_t llen, const char *domain, size_t dlen);

/* mail_users_find for a parsed address. */
const struct mail_user *mail_users_find_addr(const struct mail_users *us,
    const struct mail_addr *a);

/* Checks password[0..n) against u's hash with crypt_rn (thread-safe; its
 * work area is allocated per call). The result is compared in constant
 * time. u NULL (no such user) spends about as long on a fixed hash and
 * returns 0, so a caller that always calls it tells no one which users
 * exist. Returns 1 on a match, 0 on a mismatch or a password with a NUL or
 * over MAIL_USERS_PASSWORD_MAX, -1 when crypt failed or memory ran out. */
int mail_users_verify(const struct mail_user *u, const char *password,
    size_t n);

/* The schemes "camada passwd --scheme" offers. */
enum mail_users_hash_kind {
	MAIL_USERS_HASH_SHA512,	/* {SHA512-CRYPT}$6$, the default */
	MAIL_USERS_HASH_YESCRYPT,	/* {CRYPT}$y$ */
	MAIL_USERS_HASH_BCRYPT		/* {BLF-CRYPT}$2y$ */
};

/* Hashes password[0..n) with a fresh salt (crypt_gensalt_rn with the OS's
 * random bytes) and writes "{SCHEME}hash" into out. Returns 0, or -1 with
 * err (the password too long or holding a NUL, crypt failed, out too
 * small). */
int mail_users_hash(enum mail_users_hash_kind kind, const char *password,
    size_t n, char *out, size_t outlen, char *err, size_t errlen);

#endif
