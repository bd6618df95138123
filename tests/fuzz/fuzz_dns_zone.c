/* libFuzzer target for the zone-file reader. The input is a zone file with
 * origin example.com.; "$INCLUDE self" includes the input itself (up to the
 * depth and count guards), any other $INCLUDE a small fixed file. For every
 * record it emits: the owner and rdata are valid, the rdata prints and reads
 * back to the same bytes, and a message holding it parses back to it.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_text.h"
#include "dns/dns_wire.h"
#include "dns/dns_zone.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct dns_zone zone;
static char text[DNS_RR_TEXT_MAX];
static struct dns_token tok[70000];
static uint8_t rd[65535], msg[DNS_MSG_MAX], mem[DNS_ARENA_SIZE];

static const char *input;
static size_t input_len;
static int open_count;

static const char other[] = "inc 1 A 192.0.2.1\n  1 TXT \"x\"\n";

static int
open_file(void *arg, const char *path, const char *from, const char **data,
    size_t *len, void **handle, char *err, size_t errlen)
{
	if (strcmp(path, "missing") == 0)
		return 1;
	if (strcmp(path, "self") == 0) {
		*data = input;
		*len = input_len;
	} else {
		*data = other;
		*len = sizeof(other) - 1;
	}
	*handle = &open_count;
	open_count++;
	return 0;
}

static void
close_file(void *arg, void *handle)
{
	CHECK(handle == &open_count);
	open_count--;
}

static int
on_rr(struct dns_zone *z, void *arg, const struct dns_rr *rr,
    const char *file, unsigned line)
{
	struct dns_lexer lx;
	struct dns_text_err e;
	size_t ntok;

	CHECK(line >= 1 && file != NULL);
	CHECK(dns_name_len(rr->owner, rr->owner_len) == rr->owner_len);
	CHECK(dns_rdata_valid(rr->type, rr->rdata, rr->rdlen));
	CHECK(rr->ttl <= 2147483647u);
	CHECK(dns_rr_to_text(rr, text, sizeof(text)) > 0);

	/* text round trip */
	int tl = dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen, text,
	    sizeof(text));
	CHECK(tl > 0);
	dns_lex_init(&lx, text, (size_t)tl);
	CHECK(dns_lex_line(&lx, tok, sizeof(tok) / sizeof(tok[0]), &ntok) == 1);
	int len = dns_rdata_from_tokens(rr->type, tok, ntok, NULL, rd,
	    sizeof(rd), &e);
	CHECK(len == rr->rdlen && memcmp(rd, rr->rdata, rr->rdlen) == 0);

	/* wire round trip */
	struct dns_msg_builder b;
	struct dns_arena a;
	struct dns_msg m;
	CHECK(dns_build_init(&b, msg, sizeof(msg)) == DNS_OK);
	CHECK(dns_build_question(&b, rr->owner, rr->type, rr->rclass) ==
	    DNS_OK);
	int r = dns_build_rr(&b, DNS_SEC_ANSWER, rr);
	CHECK(r == DNS_OK || r == DNS_FULL);
	if (r == DNS_OK) {
		int n = dns_build_finish(&b);
		dns_arena_init(&a, mem, sizeof(mem));
		CHECK(dns_msg_parse(msg, (size_t)n, &m, &a) == n);
		CHECK(m.count[0] == 1);
		const struct dns_rr *p = &m.rr[0][0];
		CHECK(p->owner_len == rr->owner_len &&
		    memcmp(p->owner, rr->owner, rr->owner_len) == 0 &&
		    p->type == rr->type && p->rclass == rr->rclass &&
		    p->ttl == rr->ttl && p->rdlen == rr->rdlen &&
		    memcmp(p->rdata, rr->rdata, rr->rdlen) == 0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static const uint8_t origin[] = "\7example\3com";

	input = (const char *)data;
	input_len = n;
	open_count = 0;
	dns_zone_init(&zone, origin, on_rr, NULL);
	zone.open = open_file;
	zone.close = close_file;
	int r = dns_zone_parse(&zone, "fuzz.zone", input, n);
	CHECK(r == DNS_OK || r == DNS_ERR);
	CHECK(open_count == 0);
	if (r == DNS_ERR)
		CHECK(zone.err[0] != '\0' && zone.err_file != NULL);
	return 0;
}
