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
} lg = { 2, NULL, LOG_INFO, LOG_TEXT, "" };

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

/* JSON string body: quotes, backslashes and control bytes escaped. */
static void
json_escape(char *dst, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = *len;

	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* control bytes, and bytes that may not be UTF-8: a
			 * peer's bytes must never make the line invalid JSON */
			dst[n++] = '\\';
			dst[n++] = 'u';
			dst[n++] = '0';
			dst[n++] = '0';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 15];
		} else {
			dst[n++] = (char)c;
		}
	}
	*len = n;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char msg[2048], line[4608], ts[40];
	struct timeval tv;
	struct tm tm;
	size_t n;
	int k;

	if (level > lg.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	k = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + k, sizeof(ts) - (size_t)k, ".%03dZ", (int)(tv.tv_usec / 1000));

	if (lg.format == LOG_JSON) {
		k = snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"pid\":%d,\"role\":\"",
		    ts, level_names[level], (int)getpid());
		n = (size_t)k;
		json_escape(line, sizeof(line) - 16, &n, lg.role);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"msg\":\"");
		json_escape(line, sizeof(line) - 16, &n, msg);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	} else {
		k = snprintf(line, sizeof(line), "%s [%s] %s%s%s\n", ts,
		    level_names[level], lg.role, lg.role[0] ? ": " : "", msg);
		n = (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1;
	}
	write_all(lg.fd, line, n);
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
log_raw(const char *p, size_t n)
{
	char line[8192];

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, p, n);
	line[n] = '\n';
	write_all(lg.fd, line, n + 1);
}
