/* smtp_parse.c - SMTP command lines: the verb table and BDAT's argument. */
#include "mail/smtp_parse.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA }, { "BDAT", SMTP_BDAT },
	{ "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP }, { "VRFY", SMTP_VRFY },
	{ "EXPN", SMTP_EXPN }, { "HELP", SMTP_HELP }, { "QUIT", SMTP_QUIT },
	{ "STARTTLS", SMTP_STARTTLS }, { "AUTH", SMTP_AUTH },
};

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

int
smtp_parse_cmd(const uint8_t *p, size_t n, struct smtp_cmd *cmd)
{
	size_t v = 0, a, e;

	cmd->verb = SMTP_UNKNOWN;
	cmd->arg = slice_make(p, 0);
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n')
			return PARSE_ERR;
	while (v < n && p[v] != ' ')
		v++;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		const char *s = verbs[i].name;
		size_t k = 0;
		while (k < v && s[k] && upper(p[k]) == s[k])
			k++;
		if (k == v && s[k] == '\0') {
			cmd->verb = verbs[i].verb;
			break;
		}
	}
	a = v;
	while (a < n && p[a] == ' ')
		a++;
	e = n;
	while (e > a && p[e - 1] == ' ')
		e--;
	cmd->arg = slice_make(p + a, e - a);
	return (int)n;
}

int
smtp_parse_bdat(struct slice arg, uint64_t *size, int *last)
{
	size_t i = 0;
	uint64_t v = 0;

	*size = 0;
	*last = 0;
	if (arg.n == 0 || arg.p[0] < '0' || arg.p[0] > '9')
		return -1;
	while (i < arg.n && arg.p[i] >= '0' && arg.p[i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10 || i >= 19)
			return -1;
		v = v * 10 + (uint64_t)(arg.p[i] - '0');
		i++;
	}
	*size = v;
	if (i == arg.n)
		return 0;
	if (arg.p[i] != ' ')
		return -1;
	while (i < arg.n && arg.p[i] == ' ')
		i++;
	if (!slice_caseeq(slice_make(arg.p + i, arg.n - i), "LAST"))
		return -1;
	*last = 1;
	return 0;
}

static int
b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
smtp_base64_decode(struct slice in, uint8_t *out, size_t cap, size_t *outn)
{
	uint32_t acc = 0;
	size_t k = 0, i, pad = 0;
	int bits = 0;

	*outn = 0;
	if (in.n % 4 != 0)
		return -1;
	for (i = 0; i < in.n; i++) {
		int v;
		if (in.p[i] == '=') {
			/* only at the end, at most two */
			if (i + 2 < in.n || ++pad > 2)
				return -1;
			continue;
		}
		if (pad || (v = b64val(in.p[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k == cap)
				return -1;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	*outn = k;
	return 0;
}
