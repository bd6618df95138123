/* log.c - see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"

static struct {
	int fd;
	char *path;
	enum log_level level;
	enum log_format format;
	char role[32];
	int worker;	/* log_set_worker: -1 for no worker */
} lg = { 2, NULL, LOG_INFO, LOG_TEXT, "", -1 };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static int
is_stderr(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ||
	    strcmp(path, "stderr") == 0 || path[0] == '\0';
}

int
log_open(const char *path, enum log_level level, enum log_format fmt)
{
	lg.level = level;
	lg.format = fmt;
	free(lg.path);
	lg.path = NULL;
	if (lg.fd > 2)
		close(lg.fd);
	lg.fd = 2;
	if (is_stderr(path))
		return 0;
	lg.path = strdup(path);
	if (lg.path == NULL)
		return -1;
	return log_reopen();
}

int
log_reopen(void)
{
	if (lg.path == NULL)
		return 0;
	int fd = open(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (lg.fd > 2)
		close(lg.fd);
	lg.fd = fd;
	return 0;
}

void
log_close(void)
{
	if (lg.fd > 2)
		close(lg.fd);
	lg.fd = 2;
	free(lg.path);
	lg.path = NULL;
}

void
log_set_level(enum log_level level)
{
	lg.level = level;
}

enum log_level
log_get_level(void)
{
	return lg.level;
}

enum log_format
log_get_format(void)
{
	return lg.format;
}

void
log_set_role(const char *role)
{
	snprintf(lg.role, sizeof(lg.role), "%s", role ? role : "");
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* A message longer than this is cut; a line without added members fits in
 * LOG_LINE_MAX even when every byte of the message needs escaping. */
#define LOG_MSG_MAX 2048
#define LOG_LINE_MAX 4608
#define LOG_JSON_MAX (1024 * 1024)

/* Escapes s[0..n) into dst[0..cap) as the inside of a JSON string, stopping
 * before a character whose escape would not fit. Returns the bytes written;
 * *used (if not NULL) is how many bytes of s they hold. */
static size_t
json_escape_into(char *dst, size_t cap, const char *s, size_t n, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			if (w + 2 > cap)
				break;
			dst[w++] = '\\';
			dst[w++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* control bytes, and bytes that may not be UTF-8: a
			 * peer's bytes must never make the line invalid JSON */
			if (w + 6 > cap)
				break;
			dst[w++] = '\\';
			dst[w++] = 'u';
			dst[w++] = '0';
			dst[w++] = '0';
			dst[w++] = hex[c >> 4];
			dst[w++] = hex[c & 15];
		} else {
			if (w + 1 > cap)
				break;
			dst[w++] = (char)c;
		}
	}
	if (used)
		*used = i;
	return w;
}

int
log_json_escape(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len, used;
	char chunk[256];

	/* through a small chunk: a worst-case reservation (6 n) could pass a
	 * max that the escaped text itself fits */
	while (n > 0) {
		size_t w = json_escape_into(chunk, sizeof(chunk), s, n, &used);
		if (buf_append(out, chunk, w) < 0) {
			out->len = start;
			return -1;
		}
		s += used;
		n -= used;
	}
	return 0;
}

/* One line to fd. bare: in text mode the message alone (log_stderr). json,
 * jn: members added to the JSON object. */
static void __attribute__((format(printf, 6, 0)))
emit(int fd, enum log_level level, int bare, const char *json, size_t jn,
    const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX], stack[LOG_LINE_MAX + 512], ts[40], *line = stack;
	size_t n, cap = sizeof(stack);
	struct timeval tv;
	struct tm tm;
	int k;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (bare && lg.format != LOG_JSON) {
		n = strlen(msg);
		if (n == sizeof(msg) - 1)
			n--; /* cut: the newline takes the last byte */
		msg[n++] = '\n';
		write_all(fd, msg, n);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	k = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + k, sizeof(ts) - (size_t)k, ".%03dZ", (int)(tv.tv_usec / 1000));

	if (lg.format != LOG_JSON) {
		k = snprintf(line, cap, "%s [%s] %s%s%s\n", ts,
		    level_names[level], lg.role, lg.role[0] ? ": " : "", msg);
		n = (size_t)k < cap ? (size_t)k : cap - 1;
		write_all(fd, line, n);
		return;
	}
	if (json == NULL || jn > LOG_JSON_MAX)
		jn = 0;
	if (jn > 0 && LOG_LINE_MAX + 1 + jn > cap) {
		cap = LOG_LINE_MAX + 1 + jn;
		if ((line = malloc(cap)) == NULL) {
			line = stack; /* the line without its members */
			cap = sizeof(stack);
			jn = 0;
		}
	}
	/* the head and the role take under 300 bytes; the message gets the
	 * rest of LOG_LINE_MAX but 16, room enough for the closing bytes */
	n = (size_t)snprintf(line, cap,
	    "{\"ts\":\"%s\",\"level\":\"%s\",\"pid\":%d,\"role\":\"",
	    ts, level_names[level], (int)getpid());
	n += json_escape_into(line + n, 6 * sizeof(lg.role), lg.role,
	    strlen(lg.role), NULL);
	memcpy(line + n, "\",\"msg\":\"", 9);
	n += 9;
	n += json_escape_into(line + n, LOG_LINE_MAX - 16 - n, msg, strlen(msg),
	    NULL);
	line[n++] = '"';
	if (jn > 0) {
		line[n++] = ',';
		memcpy(line + n, json, jn);
		n += jn;
	}
	line[n++] = '}';
	line[n++] = '\n';
	write_all(fd, line, n);
	if (line != stack)
		free(line);
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (level > lg.level)
		return;
	emit(lg.fd, level, 0, NULL, 0, fmt, ap);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_msg_json(enum log_level level, const char *json, size_t n,
    const char *fmt, ...)
{
	va_list ap;

	if (level > lg.level)
		return;
	va_start(ap, fmt);
	emit(lg.fd, level, 0, json, n, fmt, ap);
	va_end(ap);
}

void
log_stderr(enum log_level level, const char *json, size_t n,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(2, level, 1, json, n, fmt, ap);
	va_end(ap);
}

void
log_set_worker(int idx)
{
	lg.worker = idx;
}

enum log_level
log_once_level(enum log_level level)
{
	return lg.worker > 0 ? LOG_DEBUG : level;
}

void
log_once(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	level = log_once_level(level);
	if (level > lg.level)
		return;
	va_start(ap, fmt);
	emit(lg.fd, level, 0, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_raw(const char *p, size_t n)
{
	char line[8192];

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, p, n);
	line[n] = '\n';
	write_all(lg.fd, line, n + 1);
}
