/* test_smtp_parse.c - SMTP command lines (verbs in any case, arguments,
 * refused bytes), BDAT's argument and SASL's base64, against a guard page. */
#include <string.h>

#include "mail/smtp_parse.h"
#include "test.h"

static int
parse(const char *s, struct smtp_cmd *cmd)
{
	size_t n = strlen(s);

	return smtp_parse_cmd(test_guard(s, n), n, cmd);
}

TEST(smtp_parse_verbs)
{
	static const struct {
		const char *line;
		enum smtp_verb verb;
		const char *arg;
	} t[] = {
		{ "HELO crepes.fr", SMTP_HELO, "crepes.fr" },
		{ "ehlo  x.example  ", SMTP_EHLO, "x.example" },
		{ "MAIL FROM:<a@b.c> SIZE=1", SMTP_MAIL,
		    "FROM:<a@b.c> SIZE=1" },
		{ "Rcpt TO:<b@c.d>", SMTP_RCPT, "TO:<b@c.d>" },
		{ "DATA", SMTP_DATA, "" },
		{ "BDAT 10 LAST", SMTP_BDAT, "10 LAST" },
		{ "rset", SMTP_RSET, "" }, { "NOOP", SMTP_NOOP, "" },
		{ "VRFY bob", SMTP_VRFY, "bob" }, { "EXPN x", SMTP_EXPN, "x" },
		{ "HELP", SMTP_HELP, "" }, { "QUIT", SMTP_QUIT, "" },
		{ "StartTLS", SMTP_STARTTLS, "" },
		{ "AUTH PLAIN =", SMTP_AUTH, "PLAIN =" },
		{ "HELOX a", SMTP_UNKNOWN, "a" }, { "HEL", SMTP_UNKNOWN, "" },
		{ "", SMTP_UNKNOWN, "" }, { "   ", SMTP_UNKNOWN, "" },
		{ "MAIL\tFROM:<>", SMTP_UNKNOWN, "" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct smtp_cmd cmd;
		int r = parse(t[i].line, &cmd);
		ok(r == (int)strlen(t[i].line), "%s: consumed", t[i].line);
		ok(cmd.verb == t[i].verb, "%s: verb %d", t[i].line, cmd.verb);
		ok(cmd.arg.n == strlen(t[i].arg) &&
		    memcmp(cmd.arg.p, t[i].arg, cmd.arg.n) == 0, "%s: arg",
		    t[i].line);
	}
}

TEST(smtp_parse_refused_bytes)
{
	static const char *const bad[] = { "NOOP\r", "NO\rOP", "HELO a\nb" };
	struct smtp_cmd cmd;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parse(bad[i], &cmd) == PARSE_ERR, "%zu refused", i);
	ok(smtp_parse_cmd(test_guard("HELO a\0b", 8), 8, &cmd) == PARSE_ERR,
	    "NUL refused");
}

TEST(smtp_parse_bdat)
{
	static const struct {
		const char *arg;
		int rc;
		uint64_t size;
		int last;
	} t[] = {
		{ "0", 0, 0, 0 }, { "12", 0, 12, 0 }, { "12 LAST", 0, 12, 1 },
		{ "5   last", 0, 5, 1 }, { "18446744073709551615", -1, 0, 0 },
		{ "9999999999999999999", 0, 9999999999999999999ull, 0 },
		{ "", -1, 0, 0 }, { "x", -1, 0, 0 }, { "1x", -1, 0, 0 },
		{ "1 FIRST", -1, 0, 0 }, { "-1", -1, 0, 0 },
		{ "1 LAST x", -1, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].arg);
		struct slice a = slice_make(test_guard(t[i].arg, n), n);
		uint64_t size;
		int last, rc = smtp_parse_bdat(a, &size, &last);
		ok(rc == t[i].rc, "%s: rc %d", t[i].arg, rc);
		if (rc == 0)
			ok(size == t[i].size && last == t[i].last,
			    "%s: %llu %d", t[i].arg, (unsigned long long)size,
			    last);
	}
}

TEST(smtp_base64)
{
	static const struct {
		const char *in;
		const char *out;	/* NULL: refused */
		size_t n;
	} t[] = {
		{ "", "", 0 }, { "YQ==", "a", 1 }, { "YWI=", "ab", 2 },
		{ "YWJj", "abc", 3 }, { "AGFAYgBj", "\0a@b\0c", 6 },
		{ "YQ=", NULL, 0 }, { "Y===", NULL, 0 }, { "YQ=a", NULL, 0 },
		{ "Y!==", NULL, 0 }, { "=YWJ", NULL, 0 },
	};
	uint8_t out[16];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].in), k;
		struct slice a = slice_make(test_guard(t[i].in, n), n);
		int rc = smtp_base64_decode(a, out, sizeof(out), &k);
		if (t[i].out == NULL) {
			ok(rc < 0, "%s refused", t[i].in);
			continue;
		}
		ok(rc == 0 && k == t[i].n && memcmp(out, t[i].out, k) == 0,
		    "%s decoded", t[i].in);
	}
	ok(smtp_base64_decode(slice_cstr("YWJj"), out, 2, &(size_t){0}) < 0,
	    "no room: refused");
}
