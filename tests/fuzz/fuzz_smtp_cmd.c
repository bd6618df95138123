/* libFuzzer target: SMTP command lines as the server reads them, the input
 * split by line_next_crlf (512 octets), each line through smtp_parse_cmd,
 * BDAT's argument and SASL's base64. Checks: a line is refused exactly when
 * it holds NUL, CR or LF; the argument lies inside the line with no blank
 * at either end; a known verb is the line's first word; BDAT's size is
 * the argument's digits; base64 output stays within its bound and is 3/4
 * of the input. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/line.h"
#include "mail/smtp_parse.h"

static void
check_line(const uint8_t *p, size_t n)
{
	struct smtp_cmd cmd;
	int bad = 0, r;

	for (size_t i = 0; i < n; i++)
		if (p[i] == 0 || p[i] == '\r' || p[i] == '\n')
			bad = 1;
	r = smtp_parse_cmd(p, n, &cmd);
	if (bad != (r == PARSE_ERR) || (!bad && r != (int)n))
		abort();
	if (bad)
		return;
	if (cmd.arg.n && (cmd.arg.p < p || cmd.arg.p + cmd.arg.n > p + n ||
	    cmd.arg.p[0] == ' ' || cmd.arg.p[cmd.arg.n - 1] == ' '))
		abort();
	if (cmd.verb != SMTP_UNKNOWN && cmd.arg.n &&
	    memchr(p, ' ', (size_t)(cmd.arg.p - p)) == NULL)
		abort();
	if (cmd.verb == SMTP_BDAT) {
		uint64_t size;
		int last;
		if (smtp_parse_bdat(cmd.arg, &size, &last) == 0 &&
		    (cmd.arg.p[0] < '0' || cmd.arg.p[0] > '9'))
			abort();
	}
	{
		uint8_t out[512];
		size_t k;
		if (smtp_base64_decode(cmd.arg, out, sizeof(out), &k) == 0 &&
		    (k > sizeof(out) || k > cmd.arg.n / 4 * 3))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in;
	struct slice line;
	int r;

	buf_init(&in, size + 1);
	if (size && buf_append(&in, data, size) < 0)
		abort();
	while ((r = line_next_crlf(&in, SMTP_CMD_LINE_MAX, &line)) != 0) {
		if (r == LINE_TOO_LONG) {
			if (!line_skip(&in))
				break;
			continue;
		}
		if (r == LINE_BARE_LF)
			continue;
		if (line.n > SMTP_CMD_LINE_MAX)
			abort();
		check_line(line.p, line.n);
	}
	buf_free(&in);
	return 0;
}
