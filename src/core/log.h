/* log.h - the process log: levels, timestamps, text or JSON lines, to stderr
 * or a file that SIGHUP reopens. Each line goes out in one write(2) so that
 * the lines of several worker processes sharing a file never interleave. */
#ifndef CAMADA_LOG_H
#define CAMADA_LOG_H

#include <stdarg.h>

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
