/* mail_conf.c - loads the mail store a service's [mail] keys name: the
 * local domains, the users and aliases files (checked whole). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mail/mail_conf.h"
#include "mail/mail_maildir.h"

static int
split_domains(struct mail_store *st, const char *s, const char *prefix,
    char *err)
{
	char *p;

	if ((st->dbuf = strdup(s ? s : "")) == NULL) {
		snprintf(err, CONF_ERR_LEN, "%s: out of memory", prefix);
		return -1;
	}
	for (p = st->dbuf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	p = st->dbuf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (st->ndomains == MAIL_CONF_DOMAINS_MAX) {
			snprintf(err, CONF_ERR_LEN, "%s: domains: more than %d",
			    prefix, MAIL_CONF_DOMAINS_MAX);
			return -1;
		}
		st->domains[st->ndomains++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',')
			p++;
	}
	if (st->ndomains == 0) {
		snprintf(err, CONF_ERR_LEN, "%s: domains: none given", prefix);
		return -1;
	}
	return 0;
}

int
mail_store_load(struct mail_store *st, const struct mail_conf *cf,
    const char *prefix, char *err)
{
	char why[MAIL_USERS_ERR_LEN];

	memset(st, 0, sizeof(*st));
	if (split_domains(st, cf->domains, prefix, err) < 0)
		goto fail;
	if (cf->users == NULL || cf->users[0] == '\0') {
		snprintf(err, CONF_ERR_LEN, "%s: users: no users file given",
		    prefix);
		goto fail;
	}
	if (mail_users_load(&st->users, cf->users, why, sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "%s: users: %s", prefix, why);
		goto fail;
	}
	if (cf->aliases && cf->aliases[0]) {
		if (mail_alias_load(&st->aliases, cf->aliases, why,
		    sizeof(why)) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s: aliases: %s", prefix,
			    why);
			goto fail;
		}
		st->have_aliases = 1;
		if (mail_alias_check(&st->aliases, &st->users, st->domains,
		    st->ndomains, cf->aliases, why, sizeof(why)) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s: aliases: %s", prefix,
			    why);
			goto fail;
		}
	}
	/* the template, against each user: an unknown %x or an unsafe
	 * result is a config error now rather than a 451 later */
	for (size_t i = 0; i < st->users.n; i++) {
		char path[MAIL_MAILDIR_PATH_LEN], e[MAIL_MAILDIR_ERR_LEN];
		if (mail_maildir_path(cf->maildir, &st->users.u[i], path,
		    sizeof(path), e, sizeof(e)) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s: maildir: %s", prefix,
			    e);
			goto fail;
		}
	}
	return 0;
fail:
	mail_store_free(st);
	return -1;
}

void
mail_store_free(struct mail_store *st)
{
	mail_users_free(&st->users);
	if (st->have_aliases)
		mail_alias_free(&st->aliases);
	free(st->dbuf);
	memset(st, 0, sizeof(*st));
}

int
mail_conf_queue_prepare(const struct mail_conf *cf, const char *prefix,
    char *err)
{
	char p[4096];
	size_t n;

	if (cf->queue == NULL || cf->queue[0] == '\0') {
		snprintf(err, CONF_ERR_LEN, "%s: queue: no folder given",
		    prefix);
		return -1;
	}
	n = strlen(cf->queue);
	if (n >= sizeof(p)) {
		snprintf(err, CONF_ERR_LEN, "%s: queue: path too long", prefix);
		return -1;
	}
	memcpy(p, cf->queue, n + 1);
	/* each prefix ending before a '/', then the whole path */
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			snprintf(err, CONF_ERR_LEN, "%s: queue: mkdir %s: %s",
			    prefix, p, strerror(errno));
			return -1;
		}
		p[i] = cf->queue[i];
	}
	return 0;
}

struct mail_conf_only {
	struct mail_conf m;
};

const struct conf_key mail_conf_keys[] = {
	MAIL_CONF_KEYS(struct mail_conf_only, m),
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};
