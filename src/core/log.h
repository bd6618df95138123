/* log.h - the process log: levels, timestamps, text or JSON lines, to stderr
 * or a file that SIGHUP reopens. Each line goes out in one write(2) so that
 * the lines of several worker processes sharing a file never interleave.
 * With LOG_JSON every line is one JSON object: {"ts","level","pid","role",
 * "msg"} and whatever members the caller adds (log_msg_json). */
#ifndef CAMADA_LOG_H
#define CAMADA_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "core/buf.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT, LOG_JSON };

/* path NULL or "-" or "stderr" means standard error. Returns 0 or -1 (errno). */
int log_open(const char *path, enum log_level level, enum log_format fmt);
/* Reopens the file after rotation (SIGHUP). */
int log_reopen(void);
void log_close(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* A short tag put on each line: "parent", "worker 1", a command name. */
void log_set_role(const char *role);
int log_level_parse(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* log_msg with more members in the JSON object. json is n bytes of JSON
 * members separated by commas, without braces or a leading comma
 * ("\"port\":53,\"proto\":\"udp\""), well-formed: strings in it escaped
 * with log_json_escape. The text format leaves them out. The message is
 * cut at 2 KiB as log_msg's is; the members are never cut (up to 1 MiB;
 * if memory runs out the line goes without them), and the line still goes
 * out in one write(2). */
void log_msg_json(enum log_level level, const char *json, size_t n,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The lines a person or a test reads on standard error whatever `log`
 * names, and at any log-level: the "listening on" lines. In text mode the
 * message as it is, with no timestamp, level or role; in JSON mode the
 * object log_msg_json would write. */
void log_stderr(enum log_level level, const char *json, size_t n,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends s[0..n) to out as the inside of a JSON string (no quotes): '"',
 * '\\' and control bytes escaped, and bytes from 0x7f up as \u00XX, so that
 * the result is valid JSON whatever the bytes were. Returns 0, or -1 when
 * out would pass its max (out keeps what it had). */
int log_json_escape(struct buf *out, const char *s, size_t n) BUF_WUR;

/* Which worker this process is, 0 and up; -1 (the default) for the parent
 * and the client commands. The worker sets it at start. */
void log_set_worker(int idx);

/* For what every worker does alike and would say alike (a zone reloaded on
 * SIGHUP): the level to log it at, level itself in worker 0 and in any
 * process that is no worker, LOG_DEBUG in the other workers. The log has it
 * once, and log-level = debug still shows every worker's line. */
enum log_level log_once_level(enum log_level level);
/* log_msg at log_once_level(level). */
void log_once(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes one preformatted line (access logs) as it is; a '\n' is added. */
void log_raw(const char *line, size_t n);
enum log_format log_get_format(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                  \
	do {                                            \
		if (log_get_level() >= LOG_DEBUG)       \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
