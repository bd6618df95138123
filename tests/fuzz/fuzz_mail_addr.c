/* libFuzzer target: RFC 5321 paths and bare mailboxes. The first byte picks
 * the command and the flags. Checks: the whole line or PARSE_ERR, an error
 * always carries a reply, the decoded parts stay within their limits, a
 * path accepted without SMTPUTF8 is accepted with it, and a parsed address
 * formatted again parses to the same address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_addr.h"

static void
same_or_die(const struct mail_addr *a, const struct mail_addr *b)
{
	if (strcmp(a->local, b->local) != 0 ||
	    strcmp(a->domain, b->domain) != 0 || a->null != b->null ||
	    a->postmaster != b->postmaster || a->utf8 != b->utf8)
		abort();
}

static void
check(const struct mail_addr *a, int r, size_t n,
    const struct mail_addr_err *e)
{
	if (r == PARSE_ERR) {
		if (e->code != 501 && e->code != 553 && e->code != 555)
			abort();
		if (e->status == NULL || e->text == NULL)
			abort();
		return;
	}
	if (r != (int)n || a->local_len > MAIL_ADDR_LOCAL_MAX ||
	    a->domain_len > MAIL_ADDR_DOMAIN_MAX ||
	    strlen(a->local) != a->local_len ||
	    strlen(a->domain) != a->domain_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_addr a, b;
	struct mail_params pa;
	struct mail_addr_err e;
	enum mail_addr_cmd cmd;
	unsigned flags;
	char fmt[MAIL_ADDR_STRLEN], line[MAIL_ADDR_STRLEN + 32];
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	int r, k;

	if (size == 0)
		return 0;
	cmd = data[0] & 1 ? MAIL_ADDR_TO : MAIL_ADDR_FROM;
	flags = data[0] & 2 ? MAIL_ADDR_UTF8 : 0;
	r = mail_addr_parse_cmd(p, n, cmd, flags, &a, &pa, &e);
	check(&a, r, n, &e);
	if (r >= 0) {
		if (!flags && mail_addr_parse_cmd(p, n, cmd, MAIL_ADDR_UTF8,
		    &b, &pa, &e) != (int)n)
			abort();
		mail_addr_format(&a, fmt, sizeof(fmt));
		k = snprintf(line, sizeof(line), "%s<%s>%s",
		    cmd == MAIL_ADDR_FROM ? "FROM:" : "TO:", fmt,
		    cmd == MAIL_ADDR_FROM && a.utf8 ? " SMTPUTF8" : "");
		if (k < 0 || (size_t)k >= sizeof(line))
			abort();
		if (mail_addr_parse_cmd((const uint8_t *)line, (size_t)k, cmd,
		    MAIL_ADDR_UTF8, &b, &pa, &e) != k)
			abort();
		same_or_die(&a, &b);
	}
	r = mail_addr_parse_mailbox(p, n, flags, &a, &e);
	check(&a, r, n, &e);
	if (r >= 0) {
		size_t f = mail_addr_format(&a, fmt, sizeof(fmt));
		if (mail_addr_parse_mailbox((const uint8_t *)fmt, f,
		    MAIL_ADDR_UTF8, &b, &e) != (int)f)
			abort();
		same_or_die(&a, &b);
	}
	return 0;
}
