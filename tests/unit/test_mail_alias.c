/* test_mail_alias.c - the aliases file: aliases(5) lines (comments,
 * continuations, lists), the refused forms with FILE:LINE, and the
 * expansion: every local domain, recursion, "user+tag", an alias naming
 * itself, loops, the depth bound, the result's bound, off-site targets. */
#include <stdio.h>
#include <string.h>

#include "mail/mail_alias.h"
#include "test.h"

#define H "{SHA512-CRYPT}$6$Tz9bCr3jYd2kLq1m$w3aggOpKc.958wkohotGbCOxaiUEka7z" \
    "bkytEsXyR28XaKaWu7Q3/8o6fek5aA2Mvlm3MudYlvxPvtZjTMyL./"

static const char users_txt[] =
    "alice@crepes.fr:" H "\n"
    "bob@crepes.fr:" H "\n"
    "bob@hamburger.edu:" H "\n"
    "carol@hamburger.edu:" H "\n"
    "bob+x@hamburger.edu:" H "\n";

static const char *const domains[] = { "crepes.fr", "hamburger.edu" };

static const char aliases_txt[] =
    "# aliases(5)\n"
    "postmaster: alice@crepes.fr\n"
    "root:postmaster\n"
    "\n"
    "team: alice@crepes.fr,\n"
    "      bob,\n"
    "   # a comment inside a continued entry\n"
    "\tcarol@hamburger.edu\n"
    "Everyone: team, alice@crepes.fr, root, bob+news,\n"
    "info : bob+desk\r\n"
    "\"sales dept\": carol@hamburger.edu\n"
    "loop1: loop2\n"
    "loop2: loop3\n"
    "loop3: loop1\n"
    "away: someone@other.net\n"
    "broken: team, nobody\n"
    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\nd7: d8\n"
    "d8: d9\nd9: d10\nd10: alice@crepes.fr\n"
    "e1: e2\ne2: e3\ne3: e4\ne4: e5\ne5: e6\ne6: e7\ne7: e8\ne8: e9\n"
    "e9: alice@crepes.fr\n";

struct fixture {
	struct mail_users us;
	struct mail_aliases al;
};

static int
setup(struct fixture *f, const char *aliases)
{
	char err[MAIL_ALIAS_ERR_LEN] = "";

	if (mail_users_parse(&f->us, "users", users_txt,
	    sizeof(users_txt) - 1, err, sizeof(err)) < 0) {
		ok(0, "users: %s", err);
		return -1;
	}
	if (mail_alias_parse(&f->al, "aliases", aliases, strlen(aliases), err,
	    sizeof(err)) < 0) {
		ok(0, "aliases: %s", err);
		mail_users_free(&f->us);
		return -1;
	}
	return 0;
}

static void
teardown(struct fixture *f)
{
	mail_alias_free(&f->al);
	mail_users_free(&f->us);
}

/* Expands rcpt ("RCPT TO:" argument form "<x@y>") and writes the users
 * found, space-separated, into got. */
static enum mail_alias_result
expand(const struct fixture *f, const char *rcpt, size_t max, char *got,
    size_t gotlen, char *why, size_t whylen)
{
	struct mail_addr a;
	struct mail_params pa;
	struct mail_addr_err e;
	const struct mail_user *out[16];
	size_t n = 99, k = 0;
	enum mail_alias_result r;

	got[0] = '\0';
	if (mail_addr_parse_path((const uint8_t *)rcpt, strlen(rcpt),
	    MAIL_ADDR_TO, 0, &a, &pa, &e) < 0) {
		snprintf(got, gotlen, "(parse error)");
		return MAIL_ALIAS_NO_USER;
	}
	r = mail_alias_expand(&f->al, &f->us, domains, 2, &a, out,
	    max < 16 ? max : 16, &n, why, whylen);
	if (r != MAIL_ALIAS_OK && n != 0)
		snprintf(got, gotlen, "(n not 0)");
	for (size_t i = 0; r == MAIL_ALIAS_OK && i < n; i++)
		k += (size_t)snprintf(got + k, gotlen - k, "%s%s", i ? " " : "",
		    out[i]->addr);
	return r;
}

TEST(mail_alias_expansion)
{
	static const struct {
		const char *rcpt;
		enum mail_alias_result r;
		const char *users;	/* for OK; else a piece of why */
	} c[] = {
		{ "<alice@crepes.fr>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<ALICE@Crepes.FR>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<postmaster@crepes.fr>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<postmaster@hamburger.edu>", MAIL_ALIAS_OK,
		    "alice@crepes.fr" },
		{ "<postmaster>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<PostMaster>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<root@hamburger.edu>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		/* bob and carol in the recipient's domain, or as written */
		{ "<team@crepes.fr>", MAIL_ALIAS_OK,
		    "alice@crepes.fr bob@crepes.fr carol@hamburger.edu" },
		{ "<team@hamburger.edu>", MAIL_ALIAS_OK,
		    "alice@crepes.fr bob@hamburger.edu carol@hamburger.edu" },
		/* each user once; bob+news is bob (no such user or alias) */
		{ "<everyone@crepes.fr>", MAIL_ALIAS_OK,
		    "alice@crepes.fr bob@crepes.fr carol@hamburger.edu" },
		/* bob+x is a user in hamburger.edu: kept as itself */
		{ "<bob+x@hamburger.edu>", MAIL_ALIAS_OK,
		    "bob+x@hamburger.edu" },
		{ "<bob+x@crepes.fr>", MAIL_ALIAS_OK, "bob@crepes.fr" },
		{ "<bob+@crepes.fr>", MAIL_ALIAS_OK, "bob@crepes.fr" },
		{ "<team+list@crepes.fr>", MAIL_ALIAS_OK,
		    "alice@crepes.fr bob@crepes.fr carol@hamburger.edu" },
		{ "<info@crepes.fr>", MAIL_ALIAS_OK, "bob@crepes.fr" },
		{ "<\"sales dept\"@crepes.fr>", MAIL_ALIAS_OK,
		    "carol@hamburger.edu" },
		{ "<d0@crepes.fr>", MAIL_ALIAS_TOO_DEEP,
		    "nested more than 10" },
		{ "<e1@crepes.fr>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<d1@crepes.fr>", MAIL_ALIAS_OK, "alice@crepes.fr" },
		{ "<carol@crepes.fr>", MAIL_ALIAS_NO_USER,
		    "no user or alias carol@crepes.fr" },
		{ "<nobody+x@crepes.fr>", MAIL_ALIAS_NO_USER, "nobody" },
		{ "<x+y+z@crepes.fr>", MAIL_ALIAS_NO_USER, "no user" },
		{ "<alice@other.net>", MAIL_ALIAS_NO_USER,
		    "not a local domain" },
		{ "<loop2@crepes.fr>", MAIL_ALIAS_LOOP, "reaches itself" },
		{ "<everyone+x@crepes.fr>", MAIL_ALIAS_OK,
		    "alice@crepes.fr bob@crepes.fr carol@hamburger.edu" },
		{ "<away@crepes.fr>", MAIL_ALIAS_REMOTE,
		    "forwards to someone@other.net" },
		{ "<broken@crepes.fr>", MAIL_ALIAS_NO_USER,
		    "alias broken (line 16): no user or alias nobody" },
	};
	struct fixture f;

	if (setup(&f, aliases_txt) < 0)
		return;
	ok(f.al.n == 31, "31 aliases, got %zu", f.al.n);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char got[512], why[MAIL_ALIAS_ERR_LEN];
		enum mail_alias_result r = expand(&f, c[i].rcpt, 16, got,
		    sizeof(got), why, sizeof(why));
		ok(r == c[i].r, "%s: result %d, got %d (%s)", c[i].rcpt, c[i].r,
		    r, why);
		if (c[i].r == MAIL_ALIAS_OK)
			ok(strcmp(got, c[i].users) == 0, "%s: '%s'", c[i].rcpt,
			    got);
		else
			ok(strstr(why, c[i].users) != NULL && got[0] == '\0',
			    "%s: why '%s'", c[i].rcpt, why);
	}
	{
		char got[512], why[MAIL_ALIAS_ERR_LEN];
		ok(expand(&f, "<team@crepes.fr>", 2, got, sizeof(got), why,
		    sizeof(why)) == MAIL_ALIAS_TOO_MANY, "bounded result");
		ok(expand(&f, "<team@crepes.fr>", 3, got, sizeof(got), why,
		    sizeof(why)) == MAIL_ALIAS_OK, "exactly enough room");
	}
	ok(mail_alias_reply(MAIL_ALIAS_NO_USER).code == 550 &&
	    strcmp(mail_alias_reply(MAIL_ALIAS_NO_USER).status, "5.1.1") == 0,
	    "550 5.1.1");
	ok(strcmp(mail_alias_reply(MAIL_ALIAS_LOOP).status, "5.4.6") == 0,
	    "5.4.6");
	teardown(&f);
}

TEST(mail_alias_self_and_check)
{
	struct fixture f;
	char got[512], why[MAIL_ALIAS_ERR_LEN], err[MAIL_ALIAS_ERR_LEN];

	if (setup(&f, "alice: alice, bob\nbob: bob@hamburger.edu\n"
	    "x: x\n") < 0)
		return;
	ok(expand(&f, "<alice@crepes.fr>", 16, got, sizeof(got), why,
	    sizeof(why)) == MAIL_ALIAS_OK &&
	    strcmp(got, "alice@crepes.fr bob@hamburger.edu") == 0,
	    "alice keeps a copy: '%s' (%s)", got, why);
	ok(expand(&f, "<alice@hamburger.edu>", 16, got, sizeof(got), why,
	    sizeof(why)) == MAIL_ALIAS_LOOP && strstr(why, "names itself"),
	    "no alice in hamburger.edu: %s", why);
	ok(expand(&f, "<x@crepes.fr>", 16, got, sizeof(got), why,
	    sizeof(why)) == MAIL_ALIAS_LOOP, "x: x with no user x");
	ok(mail_alias_check(&f.al, &f.us, domains, 2, "aliases", err,
	    sizeof(err)) == -1 && strstr(err, "aliases:1: ") == err,
	    "check names the line: %s", err);
	teardown(&f);

	if (setup(&f, "postmaster: alice@crepes.fr\nteam: alice@crepes.fr, "
	    "bob\n") < 0)
		return;
	ok(mail_alias_check(&f.al, &f.us, domains, 2, "aliases", err,
	    sizeof(err)) == 0, "a good table checks: %s", err);
	ok(mail_alias_check(NULL, &f.us, domains, 2, "aliases", err,
	    sizeof(err)) == 0, "no table checks");
	ok(expand(&f, "<team@crepes.fr>", 16, got, sizeof(got), why,
	    sizeof(why)) == MAIL_ALIAS_OK, "expands");
	teardown(&f);
}

TEST(mail_alias_refused)
{
	static const struct {
		const char *text, *want;
	} c[] = {
		{ "team alice\n", "aliases:1: no ':'" },
		{ "\n\nteam:\n", "aliases:3: alias team has no target" },
		{ "team: ,\n", "has no target" },
		{ "  alice\n", "aliases:1: a continuation line with nothing" },
		{ "team@crepes.fr: alice\n", "an alias has no domain" },
		{ "te am: alice\n", "is not a local part" },
		{ "team: |/usr/bin/procmail\n",
		    "commands, files and :include:" },
		{ "team: /var/spool/x\n", "commands, files" },
		{ "team: :include:/etc/team\n", "commands, files" },
		{ "team: \"|cmd\"\n", "commands, files" },
		{ "team: a b\n", "'a b' is not a local part or an address" },
		{ "team: a@\n", "not a local part or an address" },
		{ "a: b\nb: c\nA: d\n",
		    "aliases:3: alias A is already on line 1" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mail_aliases al;
		char err[MAIL_ALIAS_ERR_LEN] = "";
		ok(mail_alias_parse(&al, "aliases", c[i].text,
		    strlen(c[i].text), err, sizeof(err)) == -1 &&
		    strstr(err, c[i].want) != NULL,
		    "%zu: want '%s', got '%s'", i, c[i].want, err);
		ok(al.n == 0 && al.a == NULL && al.mem == NULL,
		    "%zu: left empty", i);
		mail_alias_free(&al);
	}
}

TEST(mail_alias_lines)
{
	struct mail_aliases al;
	char err[MAIL_ALIAS_ERR_LEN] = "";
	const struct mail_alias *a;
	static const char t[] = "a: x\n  , y,\n\n# c\n\tz@crepes.fr\nb: q";

	ok(mail_alias_parse(&al, "aliases", t, sizeof(t) - 1, err,
	    sizeof(err)) == 0, "parsed: %s", err);
	a = mail_alias_find(&al, "A", 1);
	ok(a != NULL && a->nt == 3 && a->line == 1 &&
	    strcmp(a->t[0].local, "x") == 0 && a->t[0].domain == NULL &&
	    strcmp(a->t[1].local, "y") == 0 &&
	    strcmp(a->t[2].local, "z") == 0 &&
	    strcmp(a->t[2].domain, "crepes.fr") == 0, "continued list");
	a = mail_alias_find(&al, "b", 1);
	ok(a != NULL && a->nt == 1 && a->line == 6, "no final newline");
	ok(mail_alias_find(&al, "c", 1) == NULL, "no c");
	mail_alias_free(&al);
	ok(mail_alias_parse(&al, "aliases", "", 0, err, sizeof(err)) == 0 &&
	    al.n == 0, "empty file");
	ok(mail_alias_find(&al, "a", 1) == NULL && mail_alias_find(NULL, "a",
	    1) == NULL, "nothing found");
	mail_alias_free(&al);
}

/* The alias nearest the failure is the one named, not the outermost. */
TEST(mail_alias_blame)
{
	struct fixture f;
	char got[512], why[MAIL_ALIAS_ERR_LEN];

	if (setup(&f, "outer: alice@crepes.fr, inner\ninner: nobody\n") < 0)
		return;
	ok(expand(&f, "<outer@crepes.fr>", 16, got, sizeof(got), why,
	    sizeof(why)) == MAIL_ALIAS_NO_USER &&
	    strstr(why, "alias inner (line 2): no user or alias nobody@") ==
	    why, "blames inner: %s", why);
	teardown(&f);
}

/* The demo table against a guard page, and every prefix of it. */
TEST(mail_alias_guard_and_prefixes)
{
	for (size_t k = 0; k <= sizeof(aliases_txt) - 1; k++) {
		struct mail_aliases al;
		char err[MAIL_ALIAS_ERR_LEN] = "";
		const char *p = test_guard(aliases_txt, k);
		int r = mail_alias_parse(&al, "aliases", p, k, err,
		    sizeof(err));
		ok(r == 0 || (r == -1 && strncmp(err, "aliases:", 8) == 0),
		    "prefix %zu: %s", k, err);
		mail_alias_free(&al);
	}
}
