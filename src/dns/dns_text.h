/* dns_text.h - DNS presentation format (RFC 1035 §5.1, RFC 3597 §5): names,
 * rdata and whole RR lines to text exactly as dig prints them, and text to
 * names and rdata for the zone parser, tests and tools. Also the tokenizer
 * that the zone parser reads with.
 *
 * Writers take (out, cap), write a NUL-ended string and return its length,
 * or DNS_FULL when cap is too small (out then holds a truncated string).
 * They never print. Readers take text that need not be NUL-ended.
 */
#ifndef CAMADA_DNS_TEXT_H
#define CAMADA_DNS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dns_rr.h"
#include "dns/dns_wire.h"

/* Room for any name in presentation form (every byte as \DDD), NUL included. */
#define DNS_NAME_TEXT_MAX 1024
/* Room for any rdata in presentation form, NUL included. */
#define DNS_RDATA_TEXT_MAX (4 * 65535 + 1024)
/* Room for any RR line, NUL included. */
#define DNS_RR_TEXT_MAX (DNS_RDATA_TEXT_MAX + DNS_NAME_TEXT_MAX + 64)

/* ---- names ---- */

/* "www.example.com." with dig's escapes: \. \\ \" \( \) \; \@ \$ for those
 * bytes in a label, \DDD for bytes <= 0x20 or >= 0x7f. The root is ".". */
int dns_name_to_text(const uint8_t *name, char *out, size_t cap);

/* Parses a presentation name: labels split by unescaped dots, escapes \X and
 * \DDD (DDD <= 255). "@" is the origin, "." the root; a name without a final
 * dot is relative and gets origin appended (origin NULL: an error; pass the
 * root, "", to read "example.com" as absolute, as dig does). Writes
 * the wire name to out, returns its length (1..255), or DNS_ERR with *err
 * (if err is not NULL) set to a static message. */
int dns_name_from_text(const char *s, size_t n, const uint8_t *origin,
    uint8_t out[DNS_NAME_MAX], const char **err);

/* ---- tokens ---- */

/* One token of presentation text: a view into the text with escapes still
 * in it (a name needs to know \. from .). For a quoted token, p..p+n is the
 * text between the quotes. bol: the token starts a physical line outside
 * parentheses (so, in a zone file, it is an owner name or a directive). */
struct dns_token {
	const char *p;
	size_t n;
	unsigned line;
	uint8_t quoted;
	uint8_t bol;
};

/* The tokenizer of RFC 1035 §5.1: whitespace separates tokens, ';' starts a
 * comment, '(' ... ')' joins physical lines into one logical line, "..."
 * quotes (no newline inside), '\' escapes the next character. */
struct dns_lexer {
	const char *p;
	size_t n;
	size_t pos;
	unsigned line;		/* current physical line, from 1 */
	int paren;
	unsigned paren_line;
	const char *err;	/* on DNS_ERR: what was wrong */
	unsigned err_line;
};

void dns_lex_init(struct dns_lexer *lx, const char *p, size_t n);

/* Reads the next logical line into tok[0..max). Returns 1 with *ntok set
 * (0 for a blank or comment line), 0 at the end of the input, or DNS_ERR
 * (lx->err, lx->err_line): unterminated quote, unbalanced or nested
 * parentheses, a backslash at the end, more than max tokens. */
int dns_lex_line(struct dns_lexer *lx, struct dns_token *tok, size_t max,
    size_t *ntok);

/* ---- rdata ---- */

/* Where text failed to parse: a static message and the line of the token. */
struct dns_text_err {
	const char *msg;
	unsigned line;
};

/* Parses the rdata tokens of a record of this type into canonical wire
 * rdata in out[0..cap), driven by the type table: names relative to origin
 * (may be NULL), numbers, addresses, character-strings (quoted or not), SOA
 * timers with units, hex. "\# len hex..." (RFC 3597) is accepted for every
 * type and checked against the type's layout when we know it; it is the only
 * form for types we carry opaquely. Returns the rdata length (0..65535),
 * DNS_FULL when cap is too small, or DNS_ERR with *err set. */
int dns_rdata_from_tokens(uint16_t type, const struct dns_token *tok,
    size_t ntok, const uint8_t *origin, uint8_t *out, size_t cap,
    struct dns_text_err *err);

/* The same over one string, e.g. ("10 mail", origin) for MX. Parentheses
 * and comments are allowed; more than one logical line is an error. */
int dns_rdata_from_text(uint16_t type, const char *s, size_t n,
    const uint8_t *origin, uint8_t *out, size_t cap,
    struct dns_text_err *err);

/* Canonical rdata to text as dig prints it: "10 mail.example.com.",
 * "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600
 * 300", TXT as quoted strings with \" \\ \DDD, AAAA via inet_ntop, hex in
 * upper case in words of 56 digits, and "\# 4 0A000001" for types we carry
 * opaquely or rdata that does not match its type. Names are absolute. */
int dns_rdata_to_text(uint16_t type, const uint8_t *rd, size_t rdlen,
    char *out, size_t cap);

/* One RR the way dig prints it: owner, TTL, class, type, rdata, each
 * started at dig's tab stops (columns 24, 32, 40, 48; one space when a
 * field already reaches the next stop), e.g.
 * "example.com.\t\t3600\tIN\tMX\t10 mail.example.com.". No newline. */
int dns_rr_to_text(const struct dns_rr *rr, char *out, size_t cap);

/* A question the way dig prints it: ";example.com.\t\t\tIN\tA". */
int dns_question_to_text(const struct dns_question *q, char *out, size_t cap);

/* A TTL: decimal seconds, or a sequence of <number><unit> with units w d h m
 * s in either case ("1h30m", "2d", "1W"; a final number without unit is
 * seconds). Returns DNS_OK with *ttl, or DNS_ERR (syntax, or more than
 * 2^32-1 seconds). */
int dns_ttl_from_text(const char *s, size_t n, uint32_t *ttl);

#endif
