/* test_mail_addr.c - RFC 5321 paths: every address form the relay policy
 * meets (quoted, routed, literal, UTF-8, postmaster, null), the limits with
 * the reply each gives, the ESMTP parameters, the format round trip, and
 * each input against a guard page. */
#include <stdio.h>
#include <string.h>

#include "mail/mail_addr.h"
#include "test.h"

struct path_case {
	const char *in;		/* after "MAIL " or "RCPT " */
	enum mail_addr_cmd cmd;
	unsigned flags;
	int code;		/* 0: parsed */
	const char *status;
	const char *local, *domain;	/* decoded, when parsed */
	const char *formatted;		/* mail_addr_format's */
};

#define F MAIL_ADDR_FROM
#define T MAIL_ADDR_TO
#define U MAIL_ADDR_UTF8

static const struct path_case cases[] = {
	{ "FROM:<alice@crepes.fr>", F, 0, 0, 0, "alice", "crepes.fr",
	    "alice@crepes.fr" },
	{ "from:<Alice@CREPES.fr>", F, 0, 0, 0, "Alice", "crepes.fr",
	    "Alice@crepes.fr" },
	{ "FROM: <a@b>", F, 0, 0, 0, "a", "b", "a@b" },
	{ "FROM:<>", F, 0, 0, 0, "", "", "" },
	{ "TO:<>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<postmaster>", T, 0, 0, 0, "postmaster", "", "postmaster" },
	{ "TO:<PostMaster>", T, 0, 0, 0, "postmaster", "", "postmaster" },
	{ "FROM:<postmaster>", F, 0, 501, "5.1.7", 0, 0, 0 },
	{ "TO:<postmaster@hamburger.edu>", T, 0, 0, 0, "postmaster",
	    "hamburger.edu", "postmaster@hamburger.edu" },
	{ "TO:<a.b.c@x.y>", T, 0, 0, 0, "a.b.c", "x.y", "a.b.c@x.y" },
	{ "TO:<a..b@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<.a@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a.@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@x", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:a@x", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO <a@x>", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@x>garbage", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@-x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@x->", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@x..y>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@x.>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@x_y>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a b@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<user+tag@x>", T, 0, 0, 0, "user+tag", "x", "user+tag@x" },
	{ "TO:<!#$%&'*+-/=?^_`{|}~@x>", T, 0, 0, 0, "!#$%&'*+-/=?^_`{|}~", "x",
	    "!#$%&'*+-/=?^_`{|}~@x" },
	/* Quoted local parts: decoded, re-quoted only when needed. */
	{ "TO:<\"a b\"@x>", T, 0, 0, 0, "a b", "x", "\"a b\"@x" },
	{ "TO:<\"alice\"@x>", T, 0, 0, 0, "alice", "x", "alice@x" },
	{ "TO:<\"a\\\"b\\\\c\"@x>", T, 0, 0, 0, "a\"b\\c", "x",
	    "\"a\\\"b\\\\c\"@x" },
	{ "TO:<\"\\a\"@x>", T, 0, 0, 0, "a", "x", "a@x" },
	{ "TO:<\"user@other\"@x>", T, 0, 0, 0, "user@other", "x",
	    "\"user@other\"@x" },
	{ "TO:<\"a..b\"@x>", T, 0, 0, 0, "a..b", "x", "\"a..b\"@x" },
	{ "TO:<\"\"@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<\"a@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<\"a\tb\"@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<\"a\\\x01\"@x>", T, 0, 501, "5.1.3", 0, 0, 0 },
	/* Source routes: parsed and dropped. */
	{ "TO:<@a,@b:user@c>", T, 0, 0, 0, "user", "c", "user@c" },
	{ "TO:<@a:user@c>", T, 0, 0, 0, "user", "c", "user@c" },
	{ "TO:<@a,user@c>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<@:user@c>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<@a:postmaster>", T, 0, 501, "5.1.3", 0, 0, 0 },
	/* Address literals. */
	{ "TO:<a@[127.0.0.1]>", T, 0, 0, 0, "a", "[127.0.0.1]",
	    "a@[127.0.0.1]" },
	{ "TO:<a@[IPv6:::1]>", T, 0, 0, 0, "a", "[IPv6:::1]", "a@[IPv6:::1]" },
	{ "TO:<a@[ipv6:2001:DB8::1]>", T, 0, 0, 0, "a", "[IPv6:2001:db8::1]",
	    "a@[IPv6:2001:db8::1]" },
	{ "TO:<a@[127.0.0.256]>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@[::1]>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@[x:y]>", T, 0, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<a@[127.0.0.1>", T, 0, 501, "5.1.3", 0, 0, 0 },
	/* UTF-8 only with SMTPUTF8 (RFC 6531). */
	{ "TO:<j\xc3\xb6rg@b\xc3\xbc\x63her.de>", T, U, 0, 0, "j\xc3\xb6rg",
	    "b\xc3\xbc\x63her.de", "j\xc3\xb6rg@b\xc3\xbc\x63her.de" },
	{ "TO:<j\xc3\xb6rg@x>", T, 0, 553, "5.6.7", 0, 0, 0 },
	{ "TO:<j@b\xc3\xbc\x63her.de>", T, 0, 553, "5.6.7", 0, 0, 0 },
	{ "FROM:<j\xc3\xb6rg@x> SMTPUTF8", F, U, 0, 0, "j\xc3\xb6rg", "x",
	    "j\xc3\xb6rg@x" },
	{ "FROM:<j\xc3\xb6rg@x>", F, U, 553, "5.6.7", 0, 0, 0 },
	{ "FROM:<j@x> SMTPUTF8", F, 0, 555, "5.5.4", 0, 0, 0 },
	{ "TO:<\"\xe2\x82\xac \"@x>", T, U, 0, 0, "\xe2\x82\xac ", "x",
	    "\"\xe2\x82\xac \"@x" },
	{ "TO:<j\xc3@x>", T, U, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<j\xc0\xaf@x>", T, U, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<j\xed\xa0\x80@x>", T, U, 501, "5.1.3", 0, 0, 0 },
	{ "TO:<j\xff@x>", T, U, 501, "5.1.3", 0, 0, 0 },
	/* Parameters. */
	{ "FROM:<a@b> SIZE=123 BODY=8BITMIME", F, 0, 0, 0, "a", "b", "a@b" },
	{ "FROM:<a@b> size=1 body=binarymime RET=HDRS ENVID=QQ+2B1 AUTH=<>",
	    F, 0, 0, 0, "a", "b", "a@b" },
	{ "FROM:<a@b> SIZE=12x", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> SIZE=", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> SIZE", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> SIZE=1 SIZE=2", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> BODY=9BIT", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> RET=ALL", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> ENVID=a+2", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> ENVID=a+zz", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> NOTIFY=NEVER", F, 0, 555, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> X-FOO=1", F, 0, 555, "5.5.4", 0, 0, 0 },
	{ "FROM:<a@b> =1", F, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b", T, 0, 0, 0,
	    "a", "b", "a@b" },
	{ "TO:<a@b> NOTIFY=NEVER,SUCCESS", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> NOTIFY=DELAY,DELAY", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> NOTIFY=", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> NOTIFY=SUCCESS,", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> ORCPT=rfc822", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> ORCPT=;a", T, 0, 501, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b> SIZE=1", T, 0, 555, "5.5.4", 0, 0, 0 },
	{ "TO:<a@b>  NOTIFY=NEVER  ", T, 0, 0, 0, "a", "b", "a@b" },
	{ "TO:<a@b> NOTIFY=NEVER\x01", T, 0, 501, "5.5.4", 0, 0, 0 },
};

/* The case's line at the end of a guard page. */
static int
run_case(const struct path_case *c, struct mail_addr *a,
    struct mail_params *pa, struct mail_addr_err *e)
{
	size_t n = strlen(c->in);
	const uint8_t *p = test_guard(c->in, n);

	return mail_addr_parse_cmd(p, n, c->cmd, c->flags, a, pa, e);
}

TEST(mail_addr_cases)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *c = &cases[i];
		struct mail_addr a;
		struct mail_params pa;
		struct mail_addr_err e = { 0, 0, 0 };
		char out[MAIL_ADDR_STRLEN];
		int r = run_case(c, &a, &pa, &e);

		if (c->code == 0) {
			ok(r == (int)strlen(c->in), "%s: parsed (%d %s %s)",
			    c->in, e.code, e.status ? e.status : "",
			    e.text ? e.text : "");
			if (r < 0)
				continue;
			ok(strcmp(a.local, c->local) == 0 &&
			    a.local_len == strlen(c->local), "%s: local '%s'",
			    c->in, a.local);
			ok(strcmp(a.domain, c->domain) == 0 &&
			    a.domain_len == strlen(c->domain),
			    "%s: domain '%s'", c->in, a.domain);
			mail_addr_format(&a, out, sizeof(out));
			ok(strcmp(out, c->formatted) == 0, "%s: format '%s'",
			    c->in, out);
		} else {
			ok(r == PARSE_ERR && e.code == c->code &&
			    strcmp(e.status, c->status) == 0,
			    "%s: %d %s, got %d %d %s", c->in, c->code,
			    c->status, r, e.code, e.status ? e.status : "-");
			ok(e.text != NULL && e.text[0] != '\0', "%s: a text",
			    c->in);
		}
	}
}

TEST(mail_addr_params)
{
	static const char line[] = "FROM:<a@b> SIZE=99999999999999999999 "
	    "BODY=8BITMIME RET=FULL ENVID=QQ+2B1 AUTH=alice+40x SMTPUTF8";
	struct mail_addr a;
	struct mail_params pa;
	struct mail_addr_err e;
	char dec[32];
	int k;

	ok(mail_addr_parse_cmd((const uint8_t *)line, strlen(line),
	    MAIL_ADDR_FROM, MAIL_ADDR_UTF8, &a, &pa, &e) > 0, "parsed");
	ok(pa.has_size && pa.size == UINT64_MAX, "SIZE saturates");
	ok(pa.body == MAIL_BODY_8BITMIME && pa.ret == MAIL_RET_FULL &&
	    pa.smtputf8, "BODY RET SMTPUTF8");
	ok(slice_eq(pa.envid, "QQ+2B1") && slice_eq(pa.auth, "alice+40x"),
	    "ENVID AUTH as sent");
	k = mail_addr_xtext_decode(pa.envid, dec, sizeof(dec));
	ok(k == 4 && memcmp(dec, "QQ+1", 4) == 0, "xtext decoded");
	ok(mail_addr_xtext_decode(pa.envid, dec, 3) == -1, "xtext bounded");
	ok(mail_addr_xtext_decode(slice_cstr("a=b"), dec, 8) == -1,
	    "'=' is not xtext");

	static const char rcpt[] = "TO:<a@b> NOTIFY=failure,Delay "
	    "ORCPT=rfc822;bob+40x";
	ok(mail_addr_parse_cmd((const uint8_t *)rcpt, strlen(rcpt),
	    MAIL_ADDR_TO, 0, &a, &pa, &e) > 0, "rcpt parsed");
	ok(pa.notify == (MAIL_NOTIFY_FAILURE | MAIL_NOTIFY_DELAY), "NOTIFY");
	ok(slice_eq(pa.orcpt_type, "rfc822") && slice_eq(pa.orcpt, "bob+40x"),
	    "ORCPT");
	ok(!pa.has_size && pa.body == MAIL_BODY_NONE && pa.envid.n == 0,
	    "MAIL's fields untouched");
}

/* Builds "TO:<" L "@" D ">" with L and D of the given lengths. */
static size_t
long_path(char *buf, size_t cap, size_t local, size_t labels, size_t label)
{
	size_t k = (size_t)snprintf(buf, cap, "TO:<");

	for (size_t i = 0; i < local && k + 1 < cap; i++)
		buf[k++] = 'l';
	buf[k++] = '@';
	for (size_t l = 0; l < labels; l++) {
		for (size_t i = 0; i < label && k + 1 < cap; i++)
			buf[k++] = 'd';
		if (l + 1 < labels)
			buf[k++] = '.';
	}
	buf[k++] = '>';
	buf[k] = '\0';
	return k;
}

TEST(mail_addr_limits)
{
	char buf[1024];
	struct mail_addr a;
	struct mail_params pa;
	struct mail_addr_err e;
	size_t n;
	const uint8_t *p;

	n = long_path(buf, sizeof(buf), 64, 1, 10);
	p = test_guard(buf, n);
	ok(mail_addr_parse_cmd(p, n, MAIL_ADDR_TO, 0, &a, &pa, &e) ==
	    (int)n && a.local_len == 64, "local part of 64");
	n = long_path(buf, sizeof(buf), 65, 1, 10);
	p = test_guard(buf, n);
	ok(mail_addr_parse_cmd(p, n, MAIL_ADDR_TO, 0, &a, &pa, &e) ==
	    PARSE_ERR && e.code == 501 && strcmp(e.status, "5.1.3") == 0 &&
	    strstr(e.text, "too long"), "local part of 65: %s", e.text);
	/* "a\"...": 63 bytes of wire inside quotes is 65 with them. */
	n = (size_t)snprintf(buf, sizeof(buf),
	    "TO:<\"%063d\"@x>", 0);
	ok(mail_addr_parse_cmd((const uint8_t *)buf, n, MAIL_ADDR_TO, 0, &a,
	    &pa, &e) == PARSE_ERR && strstr(e.text, "too long"),
	    "quoted counts its quotes");
	/* A domain of 255 fits its own limit but not the path's 256. */
	n = long_path(buf, sizeof(buf), 1, 4, 63);
	p = test_guard(buf, n);
	ok(mail_addr_parse_cmd(p, n, MAIL_ADDR_TO, 0, &a, &pa, &e) ==
	    PARSE_ERR && strstr(e.text, "Path too long"), "domain of 255: %s",
	    e.text);
	n = long_path(buf, sizeof(buf), 2, 4, 62);	/* path 256 */
	ok(mail_addr_parse_cmd((const uint8_t *)buf, n, MAIL_ADDR_TO, 0, &a,
	    &pa, &e) == (int)n && a.domain_len == 251, "path of 256");
	n = long_path(buf, sizeof(buf), 3, 4, 62);	/* path 257 */
	ok(mail_addr_parse_cmd((const uint8_t *)buf, n, MAIL_ADDR_TO, 0, &a,
	    &pa, &e) == PARSE_ERR && strstr(e.text, "Path too long"),
	    "path of 257: %s", e.text);
	n = long_path(buf, sizeof(buf), 1, 5, 63);	/* domain 319 */
	ok(mail_addr_parse_cmd((const uint8_t *)buf, n, MAIL_ADDR_TO, 0, &a,
	    &pa, &e) == PARSE_ERR &&
	    strstr(e.text, "Domain too long"), "domain too long: %s", e.text);
	n = long_path(buf, sizeof(buf), 1, 1, 64);	/* label 64 */
	ok(mail_addr_parse_cmd((const uint8_t *)buf, n, MAIL_ADDR_TO, 0, &a,
	    &pa, &e) == PARSE_ERR, "label of 64");
	n = (size_t)snprintf(buf, sizeof(buf), "FROM:<a@b> ENVID=%0101d", 0);
	ok(mail_addr_parse_cmd((const uint8_t *)buf, n, MAIL_ADDR_FROM, 0, &a,
	    &pa, &e) == PARSE_ERR && e.code == 501, "ENVID of 101");
}

TEST(mail_addr_mailbox)
{
	struct mail_addr a;
	struct mail_addr_err e;
	const char *s = "bob@Hamburger.EDU";

	ok(mail_addr_parse_mailbox((const uint8_t *)s, strlen(s), 0, &a, &e)
	    == (int)strlen(s) && strcmp(a.domain, "hamburger.edu") == 0,
	    "bare mailbox");
	s = "<bob@x>";
	ok(mail_addr_parse_mailbox((const uint8_t *)s, strlen(s), 0, &a, &e)
	    == PARSE_ERR, "brackets refused");
	s = "bob@x ";
	ok(mail_addr_parse_mailbox((const uint8_t *)s, strlen(s), 0, &a, &e)
	    == PARSE_ERR, "trailing bytes refused");
	s = "postmaster";
	ok(mail_addr_parse_mailbox((const uint8_t *)s, strlen(s), 0, &a, &e)
	    == PARSE_ERR, "bare postmaster refused");
	s = "b\xc3\xb6@x";
	ok(mail_addr_parse_mailbox((const uint8_t *)s, strlen(s), 0, &a, &e)
	    == PARSE_ERR && e.code == 553, "UTF-8 without the flag");
	ok(mail_addr_parse_mailbox((const uint8_t *)s, strlen(s),
	    MAIL_ADDR_UTF8, &a, &e) > 0 && a.utf8, "UTF-8 with it");
}

/* Every open-relay shape the issue names, through the policy's questions. */
TEST(mail_addr_relay_questions)
{
	static const char *const local[] = { "crepes.fr", "[127.0.0.1]" };
	static const struct {
		const char *in;
		int is_local, routed;
	} rc[] = {
		{ "TO:<alice@crepes.fr>", 1, 0 },
		{ "TO:<alice@CREPES.FR>", 1, 0 },
		{ "TO:<alice@crepes.fr.evil>", 0, 0 },
		{ "TO:<user%other.net@crepes.fr>", 1, 1 },
		{ "TO:<\"user@other.net\"@crepes.fr>", 1, 1 },
		{ "TO:<other.net!user@crepes.fr>", 1, 1 },
		{ "TO:<@crepes.fr:user@other.net>", 0, 0 },
		{ "TO:<@other.net:user@crepes.fr>", 1, 0 },
		{ "TO:<user@[127.0.0.1]>", 1, 0 },
		{ "TO:<user@[127.0.0.2]>", 0, 0 },
		{ "TO:<postmaster>", 1, 0 },
		{ "TO:<bob@hamburger.edu>", 0, 0 },
	};
	struct mail_addr a;
	struct mail_params pa;
	struct mail_addr_err e;

	for (size_t i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		size_t n = strlen(rc[i].in);
		ok(mail_addr_parse_cmd((const uint8_t *)rc[i].in, n,
		    MAIL_ADDR_TO, 0, &a, &pa, &e) == (int)n, "%s parsed",
		    rc[i].in);
		ok(mail_addr_is_local(&a, local, 2) == rc[i].is_local,
		    "%s: local %d", rc[i].in, rc[i].is_local);
		ok(mail_addr_is_routed(&a) == rc[i].routed, "%s: routed %d",
		    rc[i].in, rc[i].routed);
	}
	ok(mail_addr_parse_cmd((const uint8_t *)"FROM:<>", 7, MAIL_ADDR_FROM,
	    0, &a, &pa, &e) == 7 && !mail_addr_is_local(&a, local, 2),
	    "null path is not local");
}

TEST(mail_addr_tag)
{
	struct mail_addr a;
	struct mail_addr_err e;
	struct slice u, t;

	ok(mail_addr_parse_mailbox((const uint8_t *)"bob+lists@x", 11, 0, &a,
	    &e) == 11, "parsed");
	ok(mail_addr_split_tag(&a, '+', &u, &t) == 1 && slice_eq(u, "bob") &&
	    slice_eq(t, "lists"), "bob + lists");
	ok(mail_addr_parse_mailbox((const uint8_t *)"bob+a+b@x", 9, 0, &a,
	    &e) == 9 && mail_addr_split_tag(&a, '+', &u, &t) == 1 &&
	    slice_eq(u, "bob") && slice_eq(t, "a+b"), "the first '+'");
	ok(mail_addr_parse_mailbox((const uint8_t *)"bob@x", 5, 0, &a, &e) ==
	    5 && mail_addr_split_tag(&a, '+', &u, &t) == 0 &&
	    slice_eq(u, "bob") && t.n == 0, "no tag");
	ok(mail_addr_parse_mailbox((const uint8_t *)"+x@x", 4, 0, &a, &e) ==
	    4 && mail_addr_split_tag(&a, '+', &u, &t) == 1 && u.n == 0,
	    "empty user");
}

/* Every prefix of every good case is refused or parsed, never read past
 * (the guard page), and a parsed address formats to a path that parses to
 * the same address. */
TEST(mail_addr_prefixes_and_round_trip)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *c = &cases[i];
		size_t n = strlen(c->in);
		struct mail_addr a, b;
		struct mail_params pa;
		struct mail_addr_err e;
		char out[MAIL_ADDR_STRLEN + 8], fmt[MAIL_ADDR_STRLEN];

		for (size_t k = 0; k < n; k++) {
			const uint8_t *p = test_guard(c->in, k);
			int r = mail_addr_parse_cmd(p, k, c->cmd, c->flags, &a,
			    &pa, &e);
			ok(r == PARSE_ERR || r == (int)k, "%s prefix %zu",
			    c->in, k);
		}
		if (c->code != 0 || run_case(c, &a, &pa, &e) < 0)
			continue;
		mail_addr_format(&a, fmt, sizeof(fmt));
		n = (size_t)snprintf(out, sizeof(out), "%s<%s>",
		    c->cmd == MAIL_ADDR_FROM ? "FROM:" : "TO:", fmt);
		ok(mail_addr_parse_cmd((const uint8_t *)out, n, c->cmd,
		    c->flags | MAIL_ADDR_UTF8, &b, &pa, &e) == (int)n ||
		    (c->cmd == MAIL_ADDR_FROM && a.utf8), "%s: reparsed", out);
		if (c->cmd == MAIL_ADDR_FROM && a.utf8)
			continue;
		ok(strcmp(a.local, b.local) == 0 &&
		    strcmp(a.domain, b.domain) == 0 && a.null == b.null &&
		    a.postmaster == b.postmaster, "%s: same address", out);
	}
}
