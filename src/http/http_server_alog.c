/* http_server_alog.c - the access log: one line per response, in the Combined
 * Log Format that Apache, nginx and every log analyser read, or as JSON lines.
 * Each line goes out in one write(2) with O_APPEND, so the workers' lines
 * never interleave. Bytes from the request are escaped (\xHH) so a client
 * cannot forge a log line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "http/http_server_alog.h"
#include "http/http_field.h"

int
http_server_alog_open(struct http_state *st)
{
	const char *path = st->cf->access_log;

	const char *fmt = st->cf->access_log_format;
	int on_stderr = path && (strcmp(path, "stderr") == 0 ||
	    strcmp(path, "-") == 0);

	/* auto: Combined, unless the lines share stderr with a JSON log,
	 * where one line that is not an object breaks every reader */
	st->alog_json = strcmp(fmt, "json") == 0 || (strcmp(fmt, "auto") == 0 &&
	    on_stderr && log_get_format() == LOG_JSON);
	if (path == NULL || strcmp(path, "off") == 0) {
		st->alog_fd = -1;
		return 0;
	}
	if (strcmp(path, "stderr") == 0 || strcmp(path, "-") == 0) {
		st->alog_fd = 2;
		return 0;
	}
	st->alog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	return st->alog_fd < 0 ? -1 : 0;
}

/* Longest escaped request field in a line (target, User-Agent, ...): four
 * of them and the rest of the line fit the line's 4 KiB buffer, so a long
 * field is cut ("...") and the line stays whole (and valid JSON). */
#define ALOG_FIELD_MAX 900

/* Appends s escaped for a quoted log field (or a JSON string). */
static int
put_escaped(struct buf *b, const uint8_t *s, size_t n, int json)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = b->len;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (b->len - start >= ALOG_FIELD_MAX)
			return buf_append_str(b, "...");
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			if (buf_append(b, e, 2) < 0)
				return -1;
		} else if (c < 0x20 || c >= 0x7f) {
			char e[8]; /* a backslash, "u", 4 hex digits, NUL */
			if (json)
				snprintf(e, sizeof(e), "\\u%04x", c);
			else {
				e[0] = '\\';
				e[1] = 'x';
				e[2] = hex[c >> 4];
				e[3] = hex[c & 15];
				e[4] = '\0';
			}
			if (buf_append_str(b, e) < 0)
				return -1;
		} else if (buf_append(b, &c, 1) < 0) {
			return -1;
		}
	}
	return 0;
}

static struct slice
header_or_dash(const struct http_request *r, const char *name)
{
	const struct http_header *h =
	    r ? http_header_find(r->headers, r->nheaders, name) : NULL;

	return h ? h->value : slice_cstr("-");
}

void
http_server_alog_write(struct http_state *st, const struct http_txn *t)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	const struct http_request *r = t->req;
	char host[SOCK_ADDR_STRLEN], ts[64];
	uint8_t mem[4096];
	struct buf b;
	struct tm tm;
	time_t now;
	int ok;

	if (st->alog_fd < 0)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	sock_addr_host(&t->s->base.c->peer, host, sizeof(host));
	b.p = mem;
	b.off = b.len = 0;
	b.cap = b.max = sizeof(mem);
	struct slice ref = header_or_dash(r, "Referer");
	struct slice ua = header_or_dash(r, "User-Agent");
	if (st->alog_json) {
		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		ok = buf_printf(&b, "{\"ts\":\"%s\",\"remote\":\"%s\",\"conn\":%llu,"
		    "\"method\":\"", ts, host, (unsigned long long)
		    t->s->base.c->id) == 0;
		if (r) {
			ok = ok && put_escaped(&b, r->method_name.p, r->method_name.n, 1) == 0 &&
			    buf_append_str(&b, "\",\"target\":\"") == 0 &&
			    put_escaped(&b, r->target.p, r->target.n, 1) == 0 &&
			    buf_printf(&b, "\",\"version\":\"HTTP/1.%d", r->version_minor) == 0;
		}
		ok = ok && buf_printf(&b, "\",\"status\":%d,\"bytes\":%llu,\"referer\":\"",
		    t->status, (unsigned long long)t->bytes) == 0 &&
		    put_escaped(&b, ref.p, ref.n, 1) == 0 &&
		    buf_append_str(&b, "\",\"user_agent\":\"") == 0 &&
		    put_escaped(&b, ua.p, ua.n, 1) == 0 &&
		    buf_append_str(&b, "\"}\n") == 0;
	} else {
		snprintf(ts, sizeof(ts), "%02d/%s/%04d:%02d:%02d:%02d +0000",
		    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		ok = buf_printf(&b, "%s - - [%s] \"", host, ts) == 0;
		if (r) {
			ok = ok && put_escaped(&b, r->method_name.p, r->method_name.n, 0) == 0 &&
			    buf_append_str(&b, " ") == 0 &&
			    put_escaped(&b, r->target.p, r->target.n, 0) == 0 &&
			    buf_printf(&b, " HTTP/1.%d", r->version_minor) == 0;
		} else {
			ok = ok && buf_append_str(&b, "-") == 0;
		}
		ok = ok && buf_printf(&b, "\" %d %llu \"", t->status,
		    (unsigned long long)t->bytes) == 0 &&
		    put_escaped(&b, ref.p, ref.n, 0) == 0 &&
		    buf_append_str(&b, "\" \"") == 0 &&
		    put_escaped(&b, ua.p, ua.n, 0) == 0 &&
		    buf_append_str(&b, "\"\n") == 0;
	}
	if (!ok) {
		/* a huge target: keep what fits, end the line */
		b.len = b.len < sizeof(mem) - 1 ? b.len : sizeof(mem) - 1;
		mem[b.len++] = '\n';
	}
	ssize_t w;
	do
		w = write(st->alog_fd, mem, b.len);
	while (w < 0 && errno == EINTR);
}
