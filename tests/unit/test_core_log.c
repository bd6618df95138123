/* test_core_log.c - the process log: JSON lines that a JSON parser accepts
 * (quotes and control bytes escaped), members added to them, the lines for
 * standard error, log_once, level filtering, text format, reopen after
 * rotation. Logs go to a temp file that the test reads back. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "test.h"

/* Reads a whole file into a NUL-ended string (caller frees). */
static char *
slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	char *p;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return strdup("");
	}
	p = calloc(1, (size_t)st.st_size + 1);
	if (read(fd, p, (size_t)st.st_size) != st.st_size)
		p[0] = '\0';
	close(fd);
	return p;
}

/* --- a strict little JSON reader for one flat object per line --- */

struct jfield {
	char key[32];
	char val[8192]; /* strings decoded; numbers as text */
	int is_str;
};

static int
jstring(const char **pp, const char *end, char *out, size_t cap)
{
	const char *p = *pp;
	size_t n = 0;

	if (p >= end || *p != '"')
		return -1;
	for (p++; p < end && *p != '"'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20)
			return -1; /* raw control byte: invalid JSON */
		if (c == '\\') {
			if (++p >= end)
				return -1;
			switch (*p) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;
				for (int i = 0; i < 4; i++) {
					if (++p >= end)
						return -1;
					char h = *p;
					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= (unsigned)(h - '0');
					else if (h >= 'a' && h <= 'f')
						v |= (unsigned)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F')
						v |= (unsigned)(h - 'A' + 10);
					else
						return -1;
				}
				if (v > 0x7f)
					return -1; /* not needed here */
				c = (unsigned char)v;
				break;
			}
			default:
				return -1;
			}
		}
		if (n + 1 < cap)
			out[n++] = (char)c;
	}
	if (p >= end)
		return -1;
	out[n] = '\0';
	*pp = p + 1;
	return 0;
}

/* Parses {"k":"v","n":123,...}; returns the number of fields or -1. */
static int
jparse(const char *line, size_t len, struct jfield *f, int maxf)
{
	const char *p = line, *end = line + len;
	int n = 0;

	if (p >= end || *p++ != '{')
		return -1;
	for (;;) {
		if (n == maxf || jstring(&p, end, f[n].key, sizeof(f[n].key)) < 0)
			return -1;
		if (p >= end || *p++ != ':')
			return -1;
		if (p < end && *p == '"') {
			if (jstring(&p, end, f[n].val, sizeof(f[n].val)) < 0)
				return -1;
			f[n].is_str = 1;
		} else {
			size_t k = 0;
			if (p >= end || !((*p >= '0' && *p <= '9') || *p == '-'))
				return -1;
			while (p < end && ((*p >= '0' && *p <= '9') || *p == '-'))
				f[n].val[k++] = *p++;
			f[n].val[k] = '\0';
			f[n].is_str = 0;
		}
		n++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}' && p + 1 == end)
			return n;
		return -1;
	}
}

static const char *
jget(const struct jfield *f, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return f[i].val;
	return NULL;
}

static char tmpdir[] = "/tmp/camada-log-XXXXXX";

static const char *
tmp_path(const char *name)
{
	static char path[256];

	if (tmpdir[sizeof(tmpdir) - 2] == 'X' && mkdtemp(tmpdir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void
log_restore(void)
{
	log_set_role("");
	log_open(NULL, LOG_INFO, LOG_TEXT);
}

TEST(core_log_json)
{
	static struct jfield f[8];
	char path[256];

	snprintf(path, sizeof(path), "%s", tmp_path("json.log"));
	unlink(path);
	ok(log_open(path, LOG_INFO, LOG_JSON) == 0, "log_open %s", path);
	ok(log_get_format() == LOG_JSON, "format JSON");
	log_set_role("worker \"1\"");
	const char *tricky = "say \"hi\" \\ back\nnew line\ttab \x01\x1f end";
	log_info("%s", tricky);
	log_warn("plain %d", 42);
	log_msg(LOG_DEBUG, "debug dropped at info");
	log_debug("also dropped");
	/* a message made of control bytes that escapes to far more than the
	 * line buffer: cut, but still one valid line */
	char ctl[2000];
	memset(ctl, '\x02', sizeof(ctl) - 1);
	ctl[sizeof(ctl) - 1] = '\0';
	log_error("%s", ctl);
	char big[3000];
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
	log_close();

	char *text = slurp(path);
	int lines = 0, valid = 0;
	for (char *l = text, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl == NULL) {
			ok(0, "last line without LF");
			break;
		}
		int n = jparse(l, (size_t)(nl - l), f, 8);
		lines++;
		if (n < 0) {
			ok(0, "line %d is not JSON: %.80s", lines, l);
			continue;
		}
		valid++;
		const char *ts = jget(f, n, "ts"), *pid = jget(f, n, "pid");
		ok(ts && strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z',
		    "ts is ISO 8601 UTC: %s", ts ? ts : "");
		ok(pid && atoi(pid) == (int)getpid(), "pid");
		ok(jget(f, n, "role") &&
		    strcmp(jget(f, n, "role"), "worker \"1\"") == 0, "role");
		const char *lv = jget(f, n, "level"), *msg = jget(f, n, "msg");
		ok(lv && msg, "level and msg");
		if (lines == 1)
			ok(strcmp(lv, "info") == 0 && strcmp(msg, tricky) == 0,
			    "escaped message decodes to the original");
		if (lines == 2)
			ok(strcmp(lv, "warn") == 0 &&
			    strcmp(msg, "plain 42") == 0, "warn line");
		if (lines == 3)
			ok(strcmp(lv, "error") == 0 && strlen(msg) > 100 &&
			    strspn(msg, "\x02") == strlen(msg),
			    "control-byte message cut cleanly (%zu)",
			    strlen(msg));
		if (lines == 4)
			ok(strlen(msg) > 1000 && strspn(msg, "\"") == strlen(msg),
			    "quote-only message (%zu)", strlen(msg));
	}
	ok(lines == 4 && valid == 4, "4 lines, all JSON (%d, %d)", lines, valid);
	free(text);
	unlink(path);
	log_restore();
}

TEST(core_log_levels_text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s", tmp_path("text.log"));
	unlink(path);
	ok(log_open(path, LOG_WARN, LOG_TEXT) == 0, "open");
	ok(log_get_level() == LOG_WARN, "level warn");
	log_set_role("parent");
	log_error("e1");
	log_warn("w1");
	log_info("i1");
	log_debug("d1");
	log_set_level(LOG_ERROR);
	log_warn("w2");
	log_error("e2");
	log_set_level(LOG_DEBUG);
	log_debug("d2");
	log_set_role("");
	log_info("i3");
	log_raw("raw access line", 15);
	log_close();
	char *t = slurp(path);
	ok(strstr(t, "[error] parent: e1\n") != NULL, "error at warn");
	ok(strstr(t, "[warn] parent: w1\n") != NULL, "warn at warn");
	ok(strstr(t, "i1") == NULL && strstr(t, "d1") == NULL,
	    "info and debug dropped at warn");
	ok(strstr(t, "w2") == NULL && strstr(t, "[error] parent: e2\n"),
	    "warn dropped at error");
	ok(strstr(t, "[debug] parent: d2\n") != NULL, "debug at debug");
	ok(strstr(t, "[info] i3\n") != NULL, "no role, no prefix");
	ok(strstr(t, "\nraw access line\n") != NULL, "raw line as it is");
	int lines = 0;
	for (char *p = t; *p; p++)
		lines += *p == '\n';
	ok(lines == 6, "6 lines (%d)", lines);
	ok(t[0] >= '2' && t[10] == 'T', "lines start with the time");
	free(t);
	unlink(path);
	log_restore();

	enum log_level lv;
	ok(log_level_parse("error", &lv) == 0 && lv == LOG_ERROR, "error");
	ok(log_level_parse("WARN", &lv) == 0 && lv == LOG_WARN, "WARN");
	ok(log_level_parse("warning", &lv) == 0 && lv == LOG_WARN, "warning");
	ok(log_level_parse("info", &lv) == 0 && lv == LOG_INFO, "info");
	ok(log_level_parse("Debug", &lv) == 0 && lv == LOG_DEBUG, "Debug");
	ok(log_level_parse("verbose", &lv) == -1, "unknown level");
	ok(log_level_parse("", &lv) == -1, "empty level");
}

/* Counts the lines of t (each must end in LF). */
static int
count_lines(const char *t)
{
	int n = 0;

	for (; *t; t++)
		n += *t == '\n';
	return n;
}

TEST(core_log_json_escape)
{
	struct buf b;
	const char in[] = "a\"b\\c\n\x01\x7f\xff/";
	const char want[] = "a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff/";

	buf_init(&b, 1024);
	ok(log_json_escape(&b, in, sizeof(in) - 1) == 0, "escape");
	ok(b.len == sizeof(want) - 1 &&
	    memcmp(buf_data(&b), want, b.len) == 0, "escaped as JSON: %.*s",
	    (int)b.len, (const char *)buf_data(&b));
	ok(log_json_escape(&b, "", 0) == 0 && b.len == sizeof(want) - 1,
	    "nothing to escape");
	buf_free(&b);

	buf_init(&b, 8);
	ok(log_json_escape(&b, "ab", 2) == 0 && b.len == 2, "fits");
	ok(log_json_escape(&b, "\n\n", 2) == -1 && b.len == 2,
	    "past max: -1, the buffer keeps what it had");
	buf_free(&b);
}

TEST(core_log_json_members)
{
	static struct jfield f[8];
	char path[256];
	struct buf big;

	snprintf(path, sizeof(path), "%s", tmp_path("members.log"));
	unlink(path);
	ok(log_open(path, LOG_INFO, LOG_JSON) == 0, "open");
	log_set_role("parent");
	const char m[] = "\"port\":53,\"proto\":\"udp\"";
	log_msg_json(LOG_INFO, m, sizeof(m) - 1, "hello %d", 1);
	log_msg_json(LOG_DEBUG, m, sizeof(m) - 1, "dropped at info");
	log_msg_json(LOG_WARN, NULL, 0, "no members");
	/* members far larger than a line: one line all the same */
	buf_init(&big, 1 << 20);
	if (buf_append_str(&big, "\"big\":\"") < 0)
		abort();
	for (int i = 0; i < 20000; i++)
		if (buf_append_str(&big, "x\\\"y") < 0)
			abort();
	if (buf_append_str(&big, "\"") < 0)
		abort();
	log_msg_json(LOG_ERROR, (const char *)buf_data(&big), big.len,
	    "large");
	log_close();

	char *t = slurp(path), *l = t, *nl;
	ok(count_lines(t) == 3, "3 lines (%d)", count_lines(t));
	nl = strchr(l, '\n');
	int n = nl ? jparse(l, (size_t)(nl - l), f, 8) : -1;
	ok(n == 7, "7 members (%d): %.120s", n, l);
	ok(n > 0 && strcmp(jget(f, n, "msg"), "hello 1") == 0 &&
	    strcmp(jget(f, n, "port"), "53") == 0 &&
	    strcmp(jget(f, n, "proto"), "udp") == 0 &&
	    strcmp(jget(f, n, "role"), "parent") == 0, "members after msg");
	l = nl ? nl + 1 : l;
	nl = strchr(l, '\n');
	n = nl ? jparse(l, (size_t)(nl - l), f, 8) : -1;
	ok(n == 5 && strcmp(jget(f, n, "msg"), "no members") == 0,
	    "NULL members: the plain object");
	l = nl ? nl + 1 : l;
	nl = strchr(l, '\n');
	ok(nl && (size_t)(nl - l) > big.len &&
	    test_json_valid(l, (size_t)(nl - l)) &&
	    strstr(l, "\"msg\":\"large\",\"big\":\"x\\\"y") != NULL,
	    "large members whole, valid JSON (%zu bytes)",
	    nl ? (size_t)(nl - l) : 0);
	free(t);
	buf_free(&big);

	/* the text format leaves members out */
	unlink(path);
	ok(log_open(path, LOG_INFO, LOG_TEXT) == 0, "open text");
	log_msg_json(LOG_INFO, m, sizeof(m) - 1, "hello %d", 2);
	log_close();
	t = slurp(path);
	ok(strstr(t, "[info] parent: hello 2\n") && !strstr(t, "port") &&
	    count_lines(t) == 1, "text: the message only: %s", t);
	free(t);
	unlink(path);
	log_restore();
}

/* Runs fn with standard error sent to path; returns what it got. */
static char *
capture_stderr(const char *path, void (*fn)(void))
{
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (saved < 0 || fd < 0)
		return strdup("");
	dup2(fd, 2);
	close(fd);
	fn();
	dup2(saved, 2);
	close(saved);
	char *t = slurp(path);
	unlink(path);
	return t;
}

static void
stderr_lines(void)
{
	const char m[] = "\"system\":\"echo\",\"port\":12000";

	log_stderr(LOG_INFO, m, sizeof(m) - 1,
	    "camada: echo listening on %s (tcp)", "127.0.0.1:12000");
	log_info("an ordinary line");
}

TEST(core_log_on_stderr)
{
	static struct jfield f[8];
	char path[256], logpath[256];

	snprintf(path, sizeof(path), "%s", tmp_path("stderr.out"));
	snprintf(logpath, sizeof(logpath), "%s", tmp_path("file.log"));
	/* text, log to stderr, at level error: the line as it is, always */
	log_open(NULL, LOG_ERROR, LOG_TEXT);
	log_set_role("parent");
	char *t = capture_stderr(path, stderr_lines);
	ok(strcmp(t, "camada: echo listening on 127.0.0.1:12000 (tcp)\n") == 0,
	    "text: bare line, whatever the level: '%s'", t);
	free(t);

	/* JSON: the same text as msg, the members after it */
	log_open(NULL, LOG_INFO, LOG_JSON);
	t = capture_stderr(path, stderr_lines);
	ok(count_lines(t) == 2, "two lines (%d)", count_lines(t));
	char *nl = strchr(t, '\n');
	int n = nl ? jparse(t, (size_t)(nl - t), f, 8) : -1;
	ok(n == 7 && strcmp(jget(f, n, "msg"),
	    "camada: echo listening on 127.0.0.1:12000 (tcp)") == 0 &&
	    strcmp(jget(f, n, "system"), "echo") == 0 &&
	    strcmp(jget(f, n, "port"), "12000") == 0 &&
	    strcmp(jget(f, n, "level"), "info") == 0, "JSON: %s", t);
	ok(nl && test_json_valid(nl + 1, strlen(nl + 1) - 1),
	    "the ordinary line is JSON too");
	free(t);

	/* with log = FILE: the line still goes to standard error */
	unlink(logpath);
	ok(log_open(logpath, LOG_INFO, LOG_TEXT) == 0, "open file");
	t = capture_stderr(path, stderr_lines);
	log_close();
	char *lf = slurp(logpath);
	ok(strstr(t, "listening on") && !strstr(t, "ordinary"),
	    "stderr has the listening line only: %s", t);
	ok(!strstr(lf, "listening on") && strstr(lf, "ordinary"),
	    "the file has the rest: %s", lf);
	free(t);
	free(lf);
	unlink(logpath);
	log_restore();
}

TEST(core_log_once)
{
	char path[256];

	snprintf(path, sizeof(path), "%s", tmp_path("once.log"));
	unlink(path);
	ok(log_open(path, LOG_INFO, LOG_TEXT) == 0, "open");
	ok(log_once_level(LOG_ERROR) == LOG_ERROR, "no worker: as asked");
	log_once(LOG_INFO, "parent says");
	log_set_worker(0);
	ok(log_once_level(LOG_WARN) == LOG_WARN, "worker 0: as asked");
	log_once(LOG_INFO, "worker 0 says");
	log_set_worker(1);
	ok(log_once_level(LOG_ERROR) == LOG_DEBUG, "worker 1: debug");
	log_once(LOG_ERROR, "worker 1 says");
	log_set_level(LOG_DEBUG);
	log_once(LOG_ERROR, "worker 1 at debug");
	log_set_worker(-1);
	log_close();
	char *t = slurp(path);
	ok(strstr(t, "[info] parent says\n") &&
	    strstr(t, "[info] worker 0 says\n"),
	    "parent and worker 0 at their level");
	ok(!strstr(t, "worker 1 says"), "worker 1 dropped at info");
	ok(strstr(t, "[debug] worker 1 at debug\n") != NULL,
	    "worker 1 at debug level");
	ok(count_lines(t) == 3, "3 lines (%d)", count_lines(t));
	free(t);
	unlink(path);
	log_restore();
}

TEST(core_log_reopen)
{
	char path[256], rotated[256];

	snprintf(path, sizeof(path), "%s", tmp_path("r.log"));
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	unlink(path);
	unlink(rotated);
	ok(log_open(path, LOG_INFO, LOG_TEXT) == 0, "open");
	log_info("one");
	ok(rename(path, rotated) == 0, "rotate");
	log_info("two"); /* still the old file */
	ok(log_reopen() == 0, "reopen");
	log_info("three");
	log_close();
	char *old = slurp(rotated), *cur = slurp(path);
	ok(strstr(old, "one") && strstr(old, "two") && !strstr(old, "three"),
	    "rotated file has the lines before reopen");
	ok(strstr(cur, "three") && !strstr(cur, "one") && !strstr(cur, "two"),
	    "reopen created a new file");
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644");
	free(old);
	free(cur);
	unlink(path);
	unlink(rotated);

	/* appending to an existing file, not truncating */
	ok(log_open(path, LOG_INFO, LOG_TEXT) == 0, "open");
	log_info("first run");
	log_close();
	ok(log_open(path, LOG_INFO, LOG_TEXT) == 0, "open again");
	log_info("second run");
	log_close();
	cur = slurp(path);
	ok(strstr(cur, "first run") && strstr(cur, "second run"), "appended");
	free(cur);
	unlink(path);

	/* a path that cannot be opened */
	ok(log_open("/nonexistent-dir/x.log", LOG_INFO, LOG_TEXT) == -1,
	    "open failure reported");
	ok(log_reopen() == -1, "reopen fails the same way");
	log_restore();
	ok(log_reopen() == 0, "stderr: reopen is a no-op");
	rmdir(tmpdir);
}
