/* mail_conf.h - the mail store's keys (domains, users, aliases, maildir,
 * queue, resolver) and the tables they name, loaded once. Every mail
 * service (smtp now, pop3 and imap later) embeds a struct mail_conf in its
 * own config struct and lists MAIL_CONF_KEYS in its key table, so each
 * instance has its own store: two [smtp] sections serve two domains. Not
 * here: reading mailboxes, the queue's files.
 */
#ifndef CAMADA_MAIL_CONF_H
#define CAMADA_MAIL_CONF_H

#include <stddef.h>

#include "core/conf.h"
#include "mail/mail_alias.h"
#include "mail/mail_users.h"

#define MAIL_CONF_DOMAINS_MAX 64

struct mail_conf {
	char *domains;	/* "crepes.fr example.org", blank or comma separated */
	char *users;	/* path of the passwd-file */
	char *aliases;	/* path, or NULL */
	char *maildir;	/* template: "var/mail/%d/%n" */
	char *queue;	/* spool folder */
	char *resolver;	/* ADDR:PORT for MX lookups, or NULL */
};

/* The key rows for a struct mail_conf at member `m` of struct type `T`. */
#define MAIL_CONF_KEYS(T, m) \
	{ "domains", CONF_STR, offsetof(T, m.domains), "localhost", 0, 0, \
	    "local mail domains (blank separated)", 0 }, \
	{ "users", CONF_PATH, offsetof(T, m.users), NULL, 0, 0, \
	    "users file (Dovecot passwd-file, crypt hashes)", 0 }, \
	{ "aliases", CONF_PATH, offsetof(T, m.aliases), NULL, 0, 0, \
	    "aliases file (aliases(5) syntax)", 0 }, \
	{ "maildir", CONF_PATH, offsetof(T, m.maildir), "var/mail/%d/%n", \
	    0, 0, "mailbox path template (%d domain, %n user, %u address)", \
	    0 }, \
	{ "queue", CONF_PATH, offsetof(T, m.queue), "var/spool/camada", 0, \
	    0, "outgoing queue folder", 0 }, \
	{ "resolver", CONF_STR, offsetof(T, m.resolver), NULL, 0, 0, \
	    "where MX lookups go (ADDR:PORT; default resolv.conf's)", 0 }

/* The same rows on their own (NULL-ended): the keys of the [mail]
 * section, which every mail service's sections take unless they set a key
 * themselves (struct service's shared_section). */
extern const struct conf_key mail_conf_keys[];

/* What the keys name, loaded: the domains split, the users and aliases
 * read and every alias expanded once (mail_alias_check). Read-only after
 * load, so a pool thread may read it while the loop does. */
struct mail_store {
	char *dbuf;			/* backs domains[] */
	const char *domains[MAIL_CONF_DOMAINS_MAX];
	size_t ndomains;
	struct mail_users users;
	struct mail_aliases aliases;
	int have_aliases;
};

/* Loads st from cf (st is zeroed first). prefix names the section in
 * messages ("smtp"). 0, or -1 with err (CONF_ERR_LEN): a domain list that
 * is empty or too long, no users file, a users or aliases file that does
 * not load, an alias that does not expand, a maildir template with an
 * unknown %x. On failure st is empty (safe to free). */
int mail_store_load(struct mail_store *st, const struct mail_conf *cf,
    const char *prefix, char *err);

/* Makes the queue folder cf->queue and any missing parent (mode 0700), so
 * that a spool path in a folder not yet made is not an error at the first
 * message. 0, or -1 with err naming the folder. For setup (the parent). */
int mail_conf_queue_prepare(const struct mail_conf *cf, const char *prefix,
    char *err);

/* Frees what mail_store_load made; st may be empty. */
void mail_store_free(struct mail_store *st);

#endif
