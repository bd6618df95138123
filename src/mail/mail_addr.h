/* mail_addr.h - RFC 5321 paths and their ESMTP parameters: the argument of
 * MAIL FROM and RCPT TO, and bare "local@domain" mailboxes (users and
 * aliases files). Also the questions the open-relay policy asks of a parsed
 * address. No DNS, no IDNA mapping (a U-label is compared as bytes).
 *
 * Pure: nothing here allocates, prints or keeps state. The decoded local
 * part and domain are copied into the result (a quoted local part has its
 * quotes and escapes removed, so it cannot be a slice); every other output
 * is a slice into the caller's bytes, valid as long as those bytes are.
 */
#ifndef CAMADA_MAIL_ADDR_H
#define CAMADA_MAIL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/parse.h"

/* RFC 5321 §4.5.3.1: octets on the wire. The path counts its "<>", the
 * local part its quotes and backslashes. */
#define MAIL_ADDR_LOCAL_MAX 64
#define MAIL_ADDR_DOMAIN_MAX 255
#define MAIL_ADDR_PATH_MAX 256
/* RFC 3461 §4.4 (ENVID) and §4.2 (ORCPT), the parameter's value. */
#define MAIL_ADDR_ENVID_MAX 100
#define MAIL_ADDR_ORCPT_MAX 500
/* Room for mail_addr_format's result with its NUL: the worst case is a
 * local part of 64 octets quoted and escaped again, '@', a domain. */
#define MAIL_ADDR_STRLEN \
	(2 * MAIL_ADDR_LOCAL_MAX + 3 + MAIL_ADDR_DOMAIN_MAX + 1)

/* Which command the path belongs to: the errors differ (5.1.7 for the
 * sender, 5.1.3 for a recipient), so do the null path and the parameters. */
enum mail_addr_cmd {
	/* MAIL FROM: "<>" allowed; SIZE BODY SMTPUTF8 RET ENVID AUTH */
	MAIL_ADDR_FROM,
	/* RCPT TO: "<postmaster>" allowed; NOTIFY ORCPT */
	MAIL_ADDR_TO
};

/* Flags for the parsers. */
#define MAIL_ADDR_UTF8 0x1	/* RFC 6531. MAIL: the server offers SMTPUTF8,
				 * so a SMTPUTF8 parameter allows UTF-8 in this
				 * path. RCPT and bare mailboxes: the
				 * transaction is SMTPUTF8, UTF-8 allowed. */

struct mail_addr {
	char local[MAIL_ADDR_LOCAL_MAX + 1];	/* decoded, case as sent */
	char domain[MAIL_ADDR_DOMAIN_MAX + 1];	/* ASCII letters lowered;
						 * a literal keeps its []
						 * ("[127.0.0.1]",
						 * "[IPv6:::1]") */
	size_t local_len, domain_len;
	bool null;		/* "<>": local and domain empty */
	bool postmaster;	/* "<postmaster>" without a domain (any case):
				 * local "postmaster", domain empty */
	bool quoted;		/* the local part was a quoted string */
	bool literal;		/* the domain is an address literal */
	bool utf8;		/* a byte >= 0x80 in local or domain */
	bool route;		/* a source route "@a,@b:" came first and was
				 * dropped (RFC 5321 §4.1.1.3, appendix C) */
};

enum mail_body {
	MAIL_BODY_NONE,		/* no BODY= parameter */
	MAIL_BODY_7BIT,
	MAIL_BODY_8BITMIME,	/* RFC 6152 */
	MAIL_BODY_BINARYMIME	/* RFC 3030: BDAT only (server checks) */
};

enum mail_ret {
	MAIL_RET_NONE,
	MAIL_RET_FULL,
	MAIL_RET_HDRS
};

/* NOTIFY= bits (RFC 3461 §4.1); 0 means no NOTIFY parameter. */
#define MAIL_NOTIFY_NEVER 0x1
#define MAIL_NOTIFY_SUCCESS 0x2
#define MAIL_NOTIFY_FAILURE 0x4
#define MAIL_NOTIFY_DELAY 0x8

struct mail_params {
	bool has_size;
	uint64_t size;		/* SIZE= (RFC 1870), an estimate */
	enum mail_body body;
	bool smtputf8;		/* SMTPUTF8 (RFC 6531) */
	enum mail_ret ret;	/* RET= (RFC 3461) */
	struct slice envid;	/* ENVID= as sent, xtext (n 0: absent) */
	struct slice auth;	/* AUTH= (RFC 4954), xtext or "<>" */
	unsigned notify;	/* NOTIFY= bits */
	struct slice orcpt_type;	/* ORCPT=type;addr: "rfc822" */
	struct slice orcpt;		/* the xtext after ';' */
};

/* What the server answers when a parse fails: code, RFC 3463 status and a
 * short text. Every text is a static string. */
struct mail_addr_err {
	int code;
	const char *status;
	const char *text;
};

/* The argument of MAIL or RCPT after the verb and its space: "FROM:<a@b>
 * SIZE=12" or "TO:<b@c> NOTIFY=NEVER", case-insensitive keyword, spaces
 * allowed after the colon (as Postfix allows). p[0..n) is the whole line
 * without its CRLF. Returns n, or PARSE_ERR with e filled in:
 *   501 5.5.4  no "FROM:"/"TO:", or no path, or bytes after the path that
 *              are not parameters
 *   501 5.1.7  the sender's address is malformed or too long (5.1.3 for a
 *              recipient; "<>" as a recipient is one of these)
 *   553 5.6.7  UTF-8 in the address without SMTPUTF8 (RFC 6531 §3.5)
 *   501 5.5.4  a parameter's value is malformed, or it is given twice
 *   555 5.5.4  a parameter this command does not know (RFC 5321 §4.1.1.11)
 * Never PARSE_AGAIN: the line is whole. */
int mail_addr_parse_cmd(const uint8_t *p, size_t n, enum mail_addr_cmd cmd,
    unsigned flags, struct mail_addr *a, struct mail_params *pa,
    struct mail_addr_err *e);

/* The same from the path on: p starts at '<'. */
int mail_addr_parse_path(const uint8_t *p, size_t n, enum mail_addr_cmd cmd,
    unsigned flags, struct mail_addr *a, struct mail_params *pa,
    struct mail_addr_err *e);

/* A bare mailbox "local@domain" filling all of p[0..n) (no brackets, no
 * route, no "<>" or bare postmaster): the users and aliases files. Returns
 * n or PARSE_ERR (e as for a recipient). */
int mail_addr_parse_mailbox(const uint8_t *p, size_t n, unsigned flags,
    struct mail_addr *a, struct mail_addr_err *e);

/* a as it goes on the wire and into Return-Path and Delivered-To, without
 * the brackets: the local part quoted again when it is not a dot-atom,
 * then '@' and the domain ("" for the null path, "postmaster" for the
 * bare one). Returns the length; out (at least MAIL_ADDR_STRLEN) always
 * ends in NUL. */
size_t mail_addr_format(const struct mail_addr *a, char *out, size_t outlen);

/* 1 when domain[0..n) equals one of domains[0..ndomains) ignoring ASCII
 * case. The list is the config's "domains"; an address literal matches
 * only an entry written as that literal ("[127.0.0.1]"). */
int mail_addr_domain_in(const char *domain, size_t n,
    const char *const *domains, size_t ndomains);

/* 1 when a is for one of the local domains (the bare postmaster counts:
 * RFC 5321 §4.5.1 makes it local to every server). 0 for the null path. */
int mail_addr_is_local(const struct mail_addr *a, const char *const *domains,
    size_t ndomains);

/* 1 when the local part holds '%', '!' or '@' (possible only quoted): the
 * old routing forms (user%other@here, other!user@here, "user@other"@here)
 * that a server must never forward on. The relay policy refuses these for
 * local domains too, so no later hop reads them as a route. */
int mail_addr_is_routed(const struct mail_addr *a);

/* "user+tag": *user is the part before the first sep ('+'), *tag what
 * follows it. Returns 1 when a tag was found (user and tag may be empty),
 * else 0 with *user the whole local part. Slices into a->local. */
int mail_addr_split_tag(const struct mail_addr *a, char sep,
    struct slice *user, struct slice *tag);

/* RFC 3461 §4 xtext ("+2B" for '+') decoded into out (at most outlen
 * bytes, no NUL). Returns the length, or -1 when p is not xtext or does not
 * fit. */
int mail_addr_xtext_decode(struct slice p, char *out, size_t outlen);

#endif
