/* test_mail_users.c - the passwd-file users table: hashes made outside
 * camada (openssl passwd, Python's crypt, the doveadm pw forms) verified,
 * every refused line with its FILE:LINE, lookups ignoring case, and
 * mail_users_hash's output read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/mail_users.h"
#include "test.h"

/* openssl passwd -6 -salt Tz9bCr3jYd2kLq1m 'alice-secret' */
#define ALICE_HASH "$6$Tz9bCr3jYd2kLq1m$w3aggOpKc.958wkohotGbCOxaiUEka7zbkyt" \
    "EsXyR28XaKaWu7Q3/8o6fek5aA2Mvlm3MudYlvxPvtZjTMyL./"
/* Python: crypt.crypt('bob pass', '$2y$05$abcdefghijklmnopqrstuu') */
#define BOB_HASH "$2y$05$abcdefghijklmnopqrstuuxRsHGHuknkJbNOQb3xYmz0Eq77cgcmW"
/* crypt.crypt('bob pass', '$2b$04$ABCDEFGHIJKLMNOPQRSTUu') */
#define BOB2_HASH "$2b$04$ABCDEFGHIJKLMNOPQRSTUum1l0YD27wq1ETFf99ZUyK3pfSoWfESC"
/* openssl passwd -5 -salt rounds5k carol */
#define CAROL_HASH "$5$rounds5k$j5pDW5.BErsxFAmynzY04WMhOQAj7tnynwMj0vfF4M5"
/* crypt.crypt('dave', '$y$j9T$F7fQ/l1CaOxOZtOgpmdFs.') */
#define DAVE_HASH "$y$j9T$F7fQ/l1CaOxOZtOgpmdFs.$buEy4r0vl6TTr9xW6o6QXg0fCL9" \
    "6vpkZ2JwQ0Il.LZ."
/* crypt.crypt('caf\u00e9', '$6$utf8salt') */
#define ERIN_HASH "$6$utf8salt$mnE3WyGg2QUCkM2SBnAQx7JZC9RAV/qY.Qj99KPp.oWbFK" \
    "cwrD.coglGn.DdK8WzLRd/kaSPPY9GSl7/jnmVn/"

static const char good[] =
    "# camada users: user@domain:{SCHEME}hash:uid:gid:gecos:home:shell:extra\n"
    "\n"
    "alice@crepes.fr:{SHA512-CRYPT}" ALICE_HASH "\n"
    "bob@Hamburger.EDU:{BLF-CRYPT}" BOB_HASH ":1000:1000::/home/bob::"
    "userdb_quota_rule=*:storage=1G\r\n"
    "bob2@hamburger.edu:{blf-crypt}" BOB2_HASH "::::\n"
    "   # an indented comment\n"
    "carol@crepes.fr:{SHA256-CRYPT}" CAROL_HASH ":::\n"
    "dave@crepes.fr:{CRYPT}" DAVE_HASH "\n"
    "\"erin smith\"@crepes.fr:" ERIN_HASH ":5:6:Erin:/srv/erin:/bin/false\n"
    "j\xc3\xb6rg@crepes.fr:" ALICE_HASH;

TEST(mail_users_load_and_find)
{
	struct mail_users us;
	char err[MAIL_USERS_ERR_LEN] = "";
	const struct mail_user *u;

	ok(mail_users_parse(&us, "users", good, sizeof(good) - 1, err,
	    sizeof(err)) == 0, "parsed: %s", err);
	ok(us.n == 7, "seven users, got %zu", us.n);
	u = mail_users_find(&us, "alice", 5, "crepes.fr", 9);
	ok(u != NULL && u->scheme == MAIL_USERS_SHA512_CRYPT &&
	    strcmp(u->hash, ALICE_HASH) == 0 && u->line == 3 &&
	    u->uid == -1 && u->home[0] == '\0', "alice");
	u = mail_users_find(&us, "BOB", 3, "hamburger.EDU", 13);
	ok(u != NULL && strcmp(u->addr, "bob@hamburger.edu") == 0 &&
	    u->uid == 1000 && u->gid == 1000 &&
	    strcmp(u->home, "/home/bob") == 0 &&
	    strcmp(u->extra, "userdb_quota_rule=*:storage=1G") == 0 &&
	    u->scheme == MAIL_USERS_BLF_CRYPT, "bob, any case, CRLF line");
	u = mail_users_find(&us, "erin smith", 10, "crepes.fr", 9);
	ok(u != NULL && strcmp(u->addr, "\"erin smith\"@crepes.fr") == 0 &&
	    strcmp(u->local, "erin smith") == 0 &&
	    u->scheme == MAIL_USERS_CRYPT && strcmp(u->home, "/srv/erin") == 0,
	    "quoted local part, no {SCHEME} is CRYPT");
	ok(mail_users_find(&us, "j\xc3\xb6rg", 5, "crepes.fr", 9) != NULL,
	    "UTF-8 user, last line without newline");
	ok(mail_users_find(&us, "alice", 5, "hamburger.edu", 13) == NULL,
	    "alice is not at hamburger.edu");
	ok(mail_users_find(&us, "alic", 4, "crepes.fr", 9) == NULL &&
	    mail_users_find(&us, "alicex", 6, "crepes.fr", 9) == NULL,
	    "no prefix matches");

	struct mail_addr a;
	struct mail_addr_err e;
	ok(mail_addr_parse_mailbox((const uint8_t *)"Carol@CREPES.fr", 15, 0,
	    &a, &e) == 15 && (u = mail_users_find_addr(&us, &a)) != NULL &&
	    u->scheme == MAIL_USERS_SHA256_CRYPT, "find by parsed address");
	mail_users_free(&us);
	ok(us.n == 0 && us.u == NULL, "freed");
}

TEST(mail_users_verify_foreign_hashes)
{
	struct mail_users us;
	char err[MAIL_USERS_ERR_LEN] = "";
	static const struct {
		const char *local, *domain, *right, *wrong;
	} v[] = {
		{ "alice", "crepes.fr", "alice-secret", "alice-secreT" },
		{ "bob", "hamburger.edu", "bob pass", "bob pas" },
		{ "bob2", "hamburger.edu", "bob pass", "" },
		{ "carol", "crepes.fr", "carol", "carol " },
		{ "dave", "crepes.fr", "dave", "Dave" },
		{ "erin smith", "crepes.fr", "caf\xc3\xa9", "cafe" },
	};

	ok(mail_users_parse(&us, "users", good, sizeof(good) - 1, err,
	    sizeof(err)) == 0, "parsed: %s", err);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const struct mail_user *u = mail_users_find(&us, v[i].local,
		    strlen(v[i].local), v[i].domain, strlen(v[i].domain));
		ok(u != NULL, "%s found", v[i].local);
		if (u == NULL)
			continue;
		ok(mail_users_verify(u, v[i].right, strlen(v[i].right)) == 1,
		    "%s: the right password", v[i].local);
		ok(mail_users_verify(u, v[i].wrong, strlen(v[i].wrong)) == 0,
		    "%s: a wrong one", v[i].local);
	}
	const struct mail_user *alice = mail_users_find(&us, "alice", 5,
	    "crepes.fr", 9);
	ok(mail_users_verify(alice, "alice-secret\0x", 14) == 0,
	    "a NUL in the password never matches");
	ok(mail_users_verify(NULL, "alice-secret", 12) == 0,
	    "no such user: 0");
	mail_users_free(&us);
}

struct bad_case {
	const char *text;
	const char *want;	/* in the error */
};

static const struct bad_case bad[] = {
	{ "alice@crepes.fr:{PLAIN}secret\n", "users:1: plaintext password "
	    "scheme {PLAIN} refused" },
	{ "#\nalice@crepes.fr:{CLEARTEXT}secret\n", "users:2: plaintext" },
	{ "alice@crepes.fr:{cram-md5}abcdef0123\n", "{CRAM-MD5} refused" },
	{ "alice@crepes.fr:{DIGEST-MD5}abc\n", "plaintext" },
	{ "alice@crepes.fr:{SSHA512}abc\n", "scheme {SSHA512} not supported" },
	{ "alice@crepes.fr:{SHA512-CRYPT\n", "'{' without '}'" },
	{ "alice@crepes.fr:{SHA512-CRYPT}" CAROL_HASH "\n",
	    "does not match its {SCHEME}" },
	{ "alice@crepes.fr:{BLF-CRYPT}" ALICE_HASH "\n",
	    "does not match its {SCHEME}" },
	{ "alice@crepes.fr:$1$abc$iCQ2D3nhptRYi27fDYv2s1\n", "weak" },
	{ "alice@crepes.fr:abNANd1rDfiNc\n", "weak" },
	{ "alice@crepes.fr:{CRYPT}$2a$05$abcdefghijklmnopqrstuu\n", "weak" },
	{ "alice@crepes.fr:\n", "users:1: no password" },
	{ "alice@crepes.fr\n", "no password" },
	{ "alice@crepes.fr:{SHA512-CRYPT}\n", "no password" },
	{ "alice@crepes.fr:{SHA512-CRYPT}$6$a b\n", "not a crypt(3) hash" },
	{ "alice:" ALICE_HASH "\n", "'alice' is not an address" },
	{ "al ice@x:" ALICE_HASH "\n", "not an address" },
	{ "<alice@x>:" ALICE_HASH "\n", "not an address" },
	{ "alice@x:" ALICE_HASH ":x10\n", "uid and gid must be numbers" },
	{ "alice@x:" ALICE_HASH ":1:-1\n", "uid and gid" },
	{ "alice@x:" ALICE_HASH "\nbob@x:" BOB_HASH "\nALICE@X:" ALICE_HASH
	    "\n", "users:3: ALICE@x is already on line 1" },
};

TEST(mail_users_refused_lines)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mail_users us;
		char err[MAIL_USERS_ERR_LEN] = "";
		int r = mail_users_parse(&us, "users", bad[i].text,
		    strlen(bad[i].text), err, sizeof(err));
		ok(r == -1 && strstr(err, bad[i].want) != NULL,
		    "case %zu: want '%s', got '%s'", i, bad[i].want, err);
		ok(us.n == 0 && us.u == NULL && us.mem == NULL,
		    "case %zu: left empty", i);
		mail_users_free(&us);
	}
}

TEST(mail_users_load_file)
{
	char path[] = "/tmp/camada-users-XXXXXX";
	int fd = mkstemp(path);
	struct mail_users us;
	char err[MAIL_USERS_ERR_LEN] = "";

	ok(fd >= 0, "temp file");
	ok(write(fd, bad[0].text, strlen(bad[0].text)) ==
	    (ssize_t)strlen(bad[0].text), "written");
	close(fd);
	ok(mail_users_load(&us, path, err, sizeof(err)) == -1 &&
	    strncmp(err, path, strlen(path)) == 0 &&
	    strstr(err, ":1: plaintext") != NULL, "FILE:LINE: %s", err);
	unlink(path);
	ok(mail_users_load(&us, path, err, sizeof(err)) == -1 &&
	    strstr(err, "No such file") != NULL, "missing file: %s", err);
	mail_users_free(&us);
}

TEST(mail_users_hash_round_trip)
{
	static const struct {
		enum mail_users_hash_kind kind;
		const char *prefix;
		enum mail_users_scheme scheme;
	} k[] = {
		{ MAIL_USERS_HASH_SHA512, "{SHA512-CRYPT}$6$",
		    MAIL_USERS_SHA512_CRYPT },
		{ MAIL_USERS_HASH_YESCRYPT, "{CRYPT}$y$", MAIL_USERS_CRYPT },
		{ MAIL_USERS_HASH_BCRYPT, "{BLF-CRYPT}$2y$",
		    MAIL_USERS_BLF_CRYPT },
	};
	char first[512] = "";

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char out[512], err[128] = "", line[700];
		struct mail_users us;
		const struct mail_user *u;
		int n;

		ok(mail_users_hash(k[i].kind, "p\xc3\xa4ss word", 10, out,
		    sizeof(out), err, sizeof(err)) == 0, "hashed: %s", err);
		ok(strncmp(out, k[i].prefix, strlen(k[i].prefix)) == 0,
		    "%s: %s", k[i].prefix, out);
		n = snprintf(line, sizeof(line), "x@y:%s\n", out);
		ok(mail_users_parse(&us, "users", line, (size_t)n, err,
		    sizeof(err)) == 0, "read back: %s", err);
		u = mail_users_find(&us, "x", 1, "y", 1);
		ok(u != NULL && u->scheme == k[i].scheme, "its scheme");
		ok(u != NULL && mail_users_verify(u, "p\xc3\xa4ss word", 10) ==
		    1, "%s verifies", k[i].prefix);
		ok(u != NULL && mail_users_verify(u, "p\xc3\xa4ss wore", 10) ==
		    0, "%s refuses another", k[i].prefix);
		mail_users_free(&us);
		if (i == 0) {
			snprintf(first, sizeof(first), "%s", out);
			ok(mail_users_hash(k[i].kind, "p\xc3\xa4ss word", 10,
			    out, sizeof(out), err, sizeof(err)) == 0 &&
			    strcmp(out, first) != 0, "a fresh salt each time");
		}
	}
	{
		char out[16], err[128] = "";
		ok(mail_users_hash(MAIL_USERS_HASH_SHA512, "x", 1, out,
		    sizeof(out), err, sizeof(err)) == -1 && err[0],
		    "too small an output: %s", err);
		ok(mail_users_hash(MAIL_USERS_HASH_SHA512, "a\0b", 3, out,
		    sizeof(out), err, sizeof(err)) == -1, "a NUL refused");
	}
}

/* The file's bytes against a guard page, and every prefix of them: each
 * is a table or an error, and nothing is read past the end. */
TEST(mail_users_guard_and_prefixes)
{
	for (size_t k = 0; k <= sizeof(good) - 1; k++) {
		struct mail_users us;
		char err[MAIL_USERS_ERR_LEN] = "";
		const char *p = test_guard(good, k);
		int r = mail_users_parse(&us, "users", p, k, err, sizeof(err));
		ok(r == 0 || (r == -1 && strncmp(err, "users:", 6) == 0),
		    "prefix %zu: %s", k, err);
		mail_users_free(&us);
	}
}
