/* mail_alias.h - the aliases file (aliases(5) syntax) and the expansion of
 * a local recipient into the users it reaches:
 *
 *     # comment
 *     postmaster: alice
 *     team: alice, bob@hamburger.edu,
 *           carol                       (a line starting with blanks
 *                                        continues the one before)
 *     root: postmaster
 *
 * An alias's name has no domain: it applies to every local domain. A
 * target is a local part (in the recipient's domain) or an address in a
 * local domain; commands (|cmd), files (/path) and :include: are refused,
 * and forwarding to other domains is not supported yet (the relay will
 * bring it). Pure over the loaded tables: no I/O after load, no globals.
 */
#ifndef CAMADA_MAIL_ALIAS_H
#define CAMADA_MAIL_ALIAS_H

#include <stddef.h>

#include "mail/mail_addr.h"
#include "mail/mail_users.h"

#define MAIL_ALIAS_ERR_LEN 512
#define MAIL_ALIAS_FILE_MAX (16u << 20)
/* How many aliases deep an expansion may go: root -> postmaster -> alice
 * is 2. Past it the expansion fails (RFC 3463 5.4.6, as for a loop). */
#define MAIL_ALIAS_DEPTH_MAX 10

struct mail_alias_target {
	const char *local;	/* decoded */
	const char *domain;	/* lowered; NULL: the recipient's domain */
};

struct mail_alias {
	const char *name;	/* decoded; compared ignoring ASCII case */
	const struct mail_alias_target *t;
	size_t nt;
	int line;
};

struct mail_aliases {
	struct mail_alias *a;	/* sorted by name */
	size_t n;
	struct mail_alias_target *targets;
	char *mem;
};

/* Reads path. 0, or -1 with "FILE:LINE: reason" in err (*al is then empty
 * and safe to free): a name that is not a local part or has a domain, no
 * ':' or no target, a target that is not a local part or address, a
 * command, file or :include:, a name given twice, a continuation line
 * with nothing to continue. */
int mail_alias_load(struct mail_aliases *al, const char *path, char *err,
    size_t errlen);

/* The same over bytes; name is the file name used in errors. */
int mail_alias_parse(struct mail_aliases *al, const char *name,
    const char *p, size_t n, char *err, size_t errlen);

void mail_alias_free(struct mail_aliases *al);

/* The alias called name[0..n) (ignoring ASCII case), or NULL. */
const struct mail_alias *mail_alias_find(const struct mail_aliases *al,
    const char *name, size_t n);

enum mail_alias_result {
	MAIL_ALIAS_OK,
	MAIL_ALIAS_NO_USER,	/* 550 5.1.1: neither user nor alias, or an
				 * alias leads to one that is neither */
	MAIL_ALIAS_LOOP,	/* 550 5.4.6: an alias reaches itself */
	MAIL_ALIAS_TOO_DEEP,	/* 550 5.4.6: past MAIL_ALIAS_DEPTH_MAX */
	MAIL_ALIAS_TOO_MANY,	/* 550 5.5.3: more users than the caller has
				 * room for */
	MAIL_ALIAS_REMOTE	/* 550 5.3.0: an alias forwards to another
				 * domain (not supported yet) */
};

/* The reply an expansion failure gets; texts are static strings. */
struct mail_alias_reply {
	int code;
	const char *status;
	const char *text;
};
struct mail_alias_reply mail_alias_reply(enum mail_alias_result r);

/* The local users rcpt reaches, each once, in the order met, into
 * out[0..max) (*n of them). rcpt must be in a local domain (the bare
 * postmaster is taken in domains[0]). The lookup at each step, as
 * Postfix's local delivery does: an alias of that name, else a user of
 * that address, else for "user+tag" the same for "user". An alias naming
 * itself as a target ("alice: alice, bob") means the user of that name.
 * al may be NULL (no aliases file). On failure *n is 0 and why says
 * which alias (and line) broke, for the log. Pointers stay valid until
 * the users table is freed. */
enum mail_alias_result mail_alias_expand(const struct mail_aliases *al,
    const struct mail_users *us, const char *const *domains,
    size_t ndomains, const struct mail_addr *rcpt,
    const struct mail_user **out, size_t max, size_t *n, char *why,
    size_t whylen);

/* Expands every alias in every local domain, as "camada check" and a
 * reload should before using the tables. 0, or -1 with "FILE:LINE: ..."
 * (the alias's line) in err. file names the aliases file. */
int mail_alias_check(const struct mail_aliases *al,
    const struct mail_users *us, const char *const *domains,
    size_t ndomains, const char *file, char *err, size_t errlen);

#endif
