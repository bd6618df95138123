/* test_core_conf.c - the config file: parse errors with their exact
 * "FILE:LINE: message", comments, quotes, sections, typed keys through
 * conf_apply, and the value parsers. */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/conf.h"
#include "test.h"

struct tconf {
	char *name;
	long count;
	int enabled;
	size_t max_size;
	uint64_t timeout;
	struct conf_addrs listen;
	struct conf_strs allow;
	int workers;
};

static const struct conf_key tkeys[] = {
	{ "name", CONF_STR, offsetof(struct tconf, name), "def", 0, 0,
	    "a name", 'n' },
	{ "count", CONF_INT, offsetof(struct tconf, count), "5", 1, 100,
	    "how many", 0 },
	{ "enabled", CONF_BOOL, offsetof(struct tconf, enabled), "off", 0, 0,
	    "on or off", 0 },
	{ "max-size", CONF_SIZE, offsetof(struct tconf, max_size), "64k", 0, 0,
	    "a size", 0 },
	{ "timeout", CONF_MS, offsetof(struct tconf, timeout), "30s", 0, 0,
	    "a duration", 0 },
	{ "listen", CONF_ADDRS, offsetof(struct tconf, listen), "127.0.0.1:7",
	    0, 0, "addresses", 'l' },
	{ "allow", CONF_STRS, offsetof(struct tconf, allow), "any", 0, 0,
	    "a list", 0 },
	{ "workers", CONF_WORKERS, offsetof(struct tconf, workers), "auto", 0,
	    0, "workers", 0 },
	{ NULL, CONF_STR, 0, NULL, 0, 0, NULL, 0 },
};

static int
parse(const char *text, struct conf *c, char *err)
{
	err[0] = '\0';
	return conf_parse("t.conf", (const uint8_t *)text, strlen(text), c,
	    err);
}

/* Parses text, expecting an error exactly equal to want. */
static int
parse_err_is(const char *text, const char *want)
{
	struct conf c;
	char err[CONF_ERR_LEN];
	int rc = parse(text, &c, err);

	conf_free(&c);
	if (rc != -1 || strcmp(err, want) != 0) {
		fprintf(stderr, "  rc %d, err '%s', want '%s'\n", rc, err, want);
		return 0;
	}
	return 1;
}

/* Parses and applies section sec (index) of text, expecting an error
 * exactly equal to want. */
static int
apply_err_is(const char *text, size_t sec, const char *want)
{
	struct conf c;
	struct tconf t;
	char err[CONF_ERR_LEN];
	int rc;

	memset(&t, 0, sizeof(t));
	if (parse(text, &c, err) != 0 || sec >= c.n) {
		fprintf(stderr, "  parse failed: %s\n", err);
		conf_free(&c);
		return 0;
	}
	err[0] = '\0';
	rc = conf_apply(tkeys, &c.sec[sec], &t, "t.conf", err);
	conf_release(tkeys, &t);
	conf_free(&c);
	if (rc != -1 || strcmp(err, want) != 0) {
		fprintf(stderr, "  rc %d, err '%s', want '%s'\n", rc, err, want);
		return 0;
	}
	return 1;
}

TEST(core_conf_parse_errors)
{
	ok(parse_err_is("a = 1\nnoequals\n", "t.conf:2: expected 'key = value'"),
	    "missing '='");
	ok(parse_err_is("\n\n[echo\n", "t.conf:3: bad section header "
	    "(expected [name])"), "unclosed section header");
	ok(parse_err_is("[]\n", "t.conf:1: bad section header "
	    "(expected [name])"), "empty section name");
	ok(parse_err_is("[a b]\n", "t.conf:1: bad section header "
	    "(expected [name])"), "blank in section name");
	ok(parse_err_is("[a]x\n", "t.conf:1: bad section header "
	    "(expected [name])"), "junk after ]");
	ok(parse_err_is(" = 1\n", "t.conf:1: missing key before '='"),
	    "missing key");
	ok(parse_err_is("a b = 1\n", "t.conf:1: bad character in key "
	    "(letters, digits, '-', '_', '.')"), "blank in key");
	ok(parse_err_is("# c\nok = 1\nx\x01y = 1\n",
	    "t.conf:3: control character in line"), "control character");

	struct conf c;
	char err[CONF_ERR_LEN];
	static const uint8_t nul[] = "a = 1\nb = x\0y\n";
	ok(conf_parse("t.conf", nul, sizeof(nul) - 1, &c, err) == -1 &&
	    strcmp(err, "t.conf:2: control character in line") == 0,
	    "NUL byte: %s", err);
	conf_free(&c);

	char *longl = malloc(CONF_MAX_LINE + 10);
	memset(longl, 'a', CONF_MAX_LINE + 9);
	memcpy(longl, "k = ", 4);
	longl[CONF_MAX_LINE + 9] = '\0';
	char want[128];
	snprintf(want, sizeof(want), "t.conf:1: line longer than %d bytes",
	    CONF_MAX_LINE);
	ok(parse_err_is(longl, want), "long line");
	free(longl);

	char key[200];
	memset(key, 'k', 150);
	memcpy(key + 150, " = 1\n", 6);
	ok(parse_err_is(key, "t.conf:1: key too long"), "long key");
}

TEST(core_conf_comments_quotes)
{
	struct conf c;
	char err[CONF_ERR_LEN];
	const char *text =
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "a = 1 # trailing comment\n"
	    "b = x#y\n"
	    "c = \"  spaced  \"\n"
	    "d = \"unbalanced\n"
	    "e =\n"
	    "f=2\r\n"
	    "g = \"\"\n"
	    "h\t=\tthe value   \n"
	    "i = #x\n"
	    "j = a=b\n";

	ok(parse(text, &c, err) == 0, "parses: %s", err);
	ok(c.n == 1 && c.sec[0].name[0] == '\0', "one (global) section");
	struct conf_section *s = &c.sec[0];
	ok(s->n == 10, "10 keys (%zu)", s->n);
	const char *want[][2] = { { "a", "1" }, { "b", "x#y" },
		{ "c", "  spaced  " }, { "d", "\"unbalanced" }, { "e", "" },
		{ "f", "2" }, { "g", "" }, { "h", "the value" }, { "i", "" },
		{ "j", "a=b" } };
	static const int lines[] = { 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	for (size_t i = 0; i < s->n && i < 10; i++) {
		ok(strcmp(s->kv[i].key, want[i][0]) == 0 &&
		    strcmp(s->kv[i].value, want[i][1]) == 0,
		    "%s = '%s' (got %s = '%s')", want[i][0], want[i][1],
		    s->kv[i].key, s->kv[i].value);
		ok(s->kv[i].line == lines[i], "%s on line %d (%d)", want[i][0],
		    lines[i], s->kv[i].line);
	}
	conf_free(&c);

	/* no newline at the end, CRLF everywhere */
	ok(parse("[x]\r\nk = v\r\n# c\r\nl = w", &c, err) == 0, "CRLF file");
	ok(c.n == 2 && c.sec[1].n == 2 &&
	    strcmp(c.sec[1].kv[0].value, "v") == 0 &&
	    strcmp(c.sec[1].kv[1].value, "w") == 0 && c.sec[1].kv[1].line == 4,
	    "values without CR, last line without LF");
	conf_free(&c);

	ok(parse("", &c, err) == 0 && c.n == 1 && c.sec[0].n == 0, "empty file");
	conf_free(&c);
}

TEST(core_conf_sections)
{
	struct conf c;
	char err[CONF_ERR_LEN];
	const char *text =
	    "workers = 2\n"
	    "[echo]\n"
	    "listen = 127.0.0.1:7\n"
	    "[http]\n"
	    "listen = 127.0.0.1:80\n"
	    "[echo]\n"
	    "listen = 127.0.0.1:8\n";

	ok(parse(text, &c, err) == 0, "parses");
	ok(c.n == 4, "global + 3 sections (%zu)", c.n);
	ok(strcmp(c.file, "t.conf") == 0, "file name kept");
	ok(c.sec[0].n == 1 && strcmp(c.sec[0].kv[0].key, "workers") == 0,
	    "global keys first");
	ok(strcmp(c.sec[1].name, "echo") == 0 && c.sec[1].line == 2, "[echo]");
	ok(strcmp(c.sec[2].name, "http") == 0, "[http]");
	ok(strcmp(c.sec[3].name, "echo") == 0 && c.sec[3].line == 6,
	    "a repeated [echo] is its own section");
	ok(strcmp(c.sec[1].kv[0].value, "127.0.0.1:7") == 0 &&
	    strcmp(c.sec[3].kv[0].value, "127.0.0.1:8") == 0,
	    "each instance keeps its keys");

	struct tconf a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ok(conf_apply(tkeys, &c.sec[1], &a, c.file, err) == 0, "apply 1");
	ok(conf_apply(tkeys, &c.sec[3], &b, c.file, err) == 0, "apply 2");
	ok(a.listen.n == 1 && sock_addr_port(&a.listen.a[0]) == 7 &&
	    b.listen.n == 1 && sock_addr_port(&b.listen.a[0]) == 8,
	    "two instances, two configs");
	ok(c.sec[1].kv[0].used, "applied keys are marked used");
	conf_release(tkeys, &a);
	conf_release(tkeys, &b);
	conf_free(&c);
}

TEST(core_conf_apply_values)
{
	struct conf c;
	struct tconf t;
	char err[CONF_ERR_LEN];

	/* defaults only */
	memset(&t, 0, sizeof(t));
	ok(conf_apply(tkeys, NULL, &t, "t.conf", err) == 0, "defaults");
	ok(t.name && strcmp(t.name, "def") == 0, "str default");
	ok(t.count == 5 && t.enabled == 0 && t.max_size == 65536 &&
	    t.timeout == 30000 && t.workers == 0, "scalar defaults");
	ok(t.listen.n == 1 && sock_addr_port(&t.listen.a[0]) == 7,
	    "addrs default");
	ok(t.allow.n == 1 && strcmp(t.allow.v[0], "any") == 0, "strs default");
	conf_release(tkeys, &t);
	ok(t.name == NULL && t.allow.n == 0, "release frees strings");

	const char *text =
	    "name = \"hello world\"\n"
	    "count = 100\n"
	    "enabled = yes\n"
	    "max-size = 8m\n"
	    "timeout = 500ms\n"
	    "listen = 1.2.3.4:80\n"
	    "listen = [::1]:81\n"
	    "allow = a\n"
	    "allow = b\n"
	    "allow = c\n"
	    "workers = 4\n";
	ok(parse(text, &c, err) == 0, "parses");
	memset(&t, 0, sizeof(t));
	ok(conf_apply(tkeys, &c.sec[0], &t, "t.conf", err) == 0, "apply: %s",
	    err);
	ok(strcmp(t.name, "hello world") == 0, "quoted str");
	ok(t.count == 100 && t.enabled == 1 && t.max_size == 8u * 1024 * 1024 &&
	    t.timeout == 500 && t.workers == 4, "typed values");
	ok(t.listen.n == 2, "repeated list key accumulates (%d)", t.listen.n);
	char s[SOCK_ADDR_STRLEN];
	ok(strcmp(sock_addr_str(&t.listen.a[0], s, sizeof(s)), "1.2.3.4:80") ==
	    0, "the first value replaced the default: %s", s);
	ok(strcmp(sock_addr_str(&t.listen.a[1], s, sizeof(s)), "[::1]:81") == 0,
	    "second address");
	ok(t.allow.n == 3 && strcmp(t.allow.v[0], "a") == 0 &&
	    strcmp(t.allow.v[2], "c") == 0, "strs: default replaced, 3 values");
	conf_release(tkeys, &t);
	conf_free(&c);

	/* a value given on the command line (line 0) and in the file */
	ok(parse("count = 7\n", &c, err) == 0, "parses");
	ok(conf_add_kv(&c.sec[0], "count", "9", 0) == 0, "add a flag value");
	memset(&t, 0, sizeof(t));
	ok(conf_apply(tkeys, &c.sec[0], &t, "t.conf", err) == 0,
	    "file then flag is not a duplicate: %s", err);
	ok(t.count == 9, "the flag wins (%ld)", t.count);
	conf_release(tkeys, &t);
	conf_free(&c);
}

TEST(core_conf_apply_errors)
{
	ok(apply_err_is("count = 1\nbogus = 2\n", 0,
	    "t.conf:2: unknown key 'bogus'"), "unknown global key");
	ok(apply_err_is("[sys]\ncount = 1\n\nbogus = 2\n", 1,
	    "t.conf:4: unknown key 'bogus' in [sys]"), "unknown key in section");
	ok(apply_err_is("listen = 1.2.3.4:99999\n", 0,
	    "t.conf:1: bad value for 'listen': bad port in '1.2.3.4:99999'"),
	    "bad port");
	ok(apply_err_is("listen = 1.2.3.4:80\nlisten = host:80\n", 0,
	    "t.conf:2: bad value for 'listen': bad address 'host:80' "
	    "(an IPv4 or [IPv6] address)"), "a name where an address goes");
	ok(apply_err_is("listen = 1.2.3.4\n", 0,
	    "t.conf:1: bad value for 'listen': missing port in '1.2.3.4'"),
	    "missing port");
	ok(apply_err_is("max-size = 12q\n", 0,
	    "t.conf:1: bad value for 'max-size': expected a size like 4096, "
	    "64k, 8m"), "bad size");
	ok(apply_err_is("timeout = 5 s\n", 0,
	    "t.conf:1: bad value for 'timeout': expected a duration like 30s, "
	    "500ms, 5m"), "bad duration");
	ok(apply_err_is("enabled = maybe\n", 0,
	    "t.conf:1: bad value for 'enabled': expected on or off"), "bad bool");
	ok(apply_err_is("count = 101\n", 0,
	    "t.conf:1: bad value for 'count': expected a number from 1 to 100"),
	    "int over range");
	ok(apply_err_is("count = 0\n", 0,
	    "t.conf:1: bad value for 'count': expected a number from 1 to 100"),
	    "int under range");
	ok(apply_err_is("count = 5x\n", 0,
	    "t.conf:1: bad value for 'count': expected a number from 1 to 100"),
	    "int with junk");
	ok(apply_err_is("count = \n", 0,
	    "t.conf:1: bad value for 'count': expected a number from 1 to 100"),
	    "empty int");
	ok(apply_err_is("count = 99999999999999999999\n", 0,
	    "t.conf:1: bad value for 'count': expected a number from 1 to 100"),
	    "int overflow");
	ok(apply_err_is("workers = 0\n", 0,
	    "t.conf:1: bad value for 'workers': expected auto or 1 to 64"),
	    "workers 0");
	ok(apply_err_is("[x]\ncount = 1\nname = a\ncount = 2\n", 1,
	    "t.conf:4: duplicate key 'count'"), "duplicate single-valued key");
	ok(apply_err_is("name = a\nname = b\n", 0,
	    "t.conf:2: duplicate key 'name'"), "duplicate str key");
	char many[2048] = "";
	size_t o = 0;
	for (int i = 0; i <= CONF_ADDRS_MAX; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o,
		    "listen = 127.0.0.1:%d\n", i + 1);
	char want[128];
	snprintf(want, sizeof(want), "t.conf:%d: bad value for 'listen': at "
	    "most %d addresses", CONF_ADDRS_MAX + 1, CONF_ADDRS_MAX);
	ok(apply_err_is(many, 0, want), "too many addresses");

	/* a command-line value names the flag */
	struct conf c;
	struct tconf t;
	char err[CONF_ERR_LEN];
	conf_init(&c, "-");
	conf_add_section(&c, "", 0);
	conf_add_kv(&c.sec[0], "count", "1000", 0);
	memset(&t, 0, sizeof(t));
	ok(conf_apply(tkeys, &c.sec[0], &t, c.file, err) == -1 &&
	    strcmp(err, "--count: bad value for 'count': expected a number "
	    "from 1 to 100") == 0, "flag error: %s", err);
	conf_release(tkeys, &t);
	conf_free(&c);
}

TEST(core_conf_parse_size)
{
	static const struct {
		const char *s;
		size_t v;
	} good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "64k", 65536 }, { "64K", 65536 },
		{ "1kb", 1024 }, { "1KiB", 1024 }, { "8m", 8u << 20 },
		{ "8MB", 8u << 20 }, { "1g", 1u << 30 }, { "2GiB", 2ull << 30 },
		{ "10b", 10 },
	};
	static const char *bad[] = { "", "k", "-1", "+1", " 1", "1 k", "1.5k",
		"1x", "1kk", "1t", "99999999999999999999",
		"18446744073709551615g", "0x10" };
	size_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(conf_parse_size(good[i].s, &v) == 0 && v == good[i].v,
		    "size '%s'", good[i].s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(conf_parse_size(bad[i], &v) == -1, "bad size '%s'", bad[i]);
}

TEST(core_conf_parse_ms)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 }, { "30", 30000 }, { "30s", 30000 }, { "500ms", 500 },
		{ "5m", 300000 }, { "5min", 300000 }, { "1h", 3600000 },
		{ "1d", 86400000 },
	};
	static const char *bad[] = { "", "s", "ms", "-1", "1.5s", "1x", "1 s",
		"1S", "1sec", "99999999999999999999", "9223372036854775807d" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(conf_parse_ms(good[i].s, &v) == 0 && v == good[i].v,
		    "duration '%s'", good[i].s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(conf_parse_ms(bad[i], &v) == -1, "bad duration '%s'", bad[i]);
}

TEST(core_conf_parse_bool)
{
	static const char *yes[] = { "on", "yes", "true", "1", "ON", "Yes" };
	static const char *no[] = { "off", "no", "false", "0", "OFF", "False" };
	static const char *bad[] = { "", "2", "onn", "y", "n", " on" };
	int v;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(conf_parse_bool(yes[i], &v) == 0 && v == 1, "'%s'", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(conf_parse_bool(no[i], &v) == 0 && v == 0, "'%s'", no[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(conf_parse_bool(bad[i], &v) == -1, "bad bool '%s'", bad[i]);
}

TEST(core_conf_load)
{
	char path[] = "/tmp/camada-conf-XXXXXX";
	struct conf c;
	char err[CONF_ERR_LEN];
	int fd = mkstemp(path);
	const char *text = "workers = 1\n[echo]\nlisten = 127.0.0.1:7\n";

	ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	    "temp file");
	close(fd);
	ok(conf_load(path, &c, err) == 0, "conf_load");
	ok(c.n == 2 && strcmp(c.file, path) == 0, "sections and file name");
	conf_free(&c);

	fd = open(path, O_WRONLY | O_APPEND);
	ok(write(fd, "oops\n", 5) == 5, "append a bad line");
	close(fd);
	char want[128];
	snprintf(want, sizeof(want), "%s:4: expected 'key = value'", path);
	ok(conf_load(path, &c, err) == -1 && strcmp(err, want) == 0,
	    "error names the file: %s", err);
	conf_free(&c);
	unlink(path);

	ok(conf_load(path, &c, err) == -1 && strstr(err, path) &&
	    strstr(err, "No such file"), "missing file: %s", err);
	conf_free(&c);
	ok(conf_load("/tmp", &c, err) == -1 && strstr(err, "regular file"),
	    "a directory: %s", err);
	conf_free(&c);
}

TEST(core_conf_guard_page)
{
	static const char *cases[] = { "a = 1", "[x]", "[x", "a = \"", "#",
		"a =", "k=\"v\"", "a = 1 #", "\r", "[", "=" };
	struct conf c;
	char err[CONF_ERR_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		const uint8_t *g = test_guard(cases[i], n);
		conf_parse("g", g, n, &c, err);
		conf_free(&c);
		ok(1, "no read past '%s'", cases[i]);
	}
}

/* Paths: relative ones from a file are joined onto its folder, once, by
 * conf_apply; the command line's and the defaults stay as given. */
struct pconf {
	char *root;
	char *log;
	struct conf_strs zone;
};

static const struct conf_key pkeys[] = {
	{ "root", CONF_PATH, offsetof(struct pconf, root), "www", 0, 0,
	    "a folder", 'r' },
	{ "log", CONF_PATH, offsetof(struct pconf, log), "stderr", 0, 0,
	    "a log", 0 },
	{ "zone", CONF_PATHS, offsetof(struct pconf, zone), NULL, 0, 0,
	    "zones", 'z' },
	{ NULL, CONF_STR, 0, NULL, 0, 0, NULL, 0 },
};

TEST(core_conf_path_join)
{
	static const char *cases[][3] = {
		{ "etc/camada.conf", "zones/a.zone", "etc/zones/a.zone" },
		{ "etc/camada.conf", "../www", "etc/../www" },
		{ "/usr/etc/camada/c.conf", "x", "/usr/etc/camada/x" },
		{ "/c.conf", "x", "/x" },
		{ "etc/camada.conf", "/abs/www", "/abs/www" },
		{ "etc/camada.conf", "", "" },
		{ "camada.conf", "zones/a.zone", "zones/a.zone" },
		{ "./camada.conf", "a", "./a" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = conf_path_join(cases[i][0], cases[i][1]);
		ok(p && strcmp(p, cases[i][2]) == 0, "join '%s' '%s': '%s'",
		    cases[i][0], cases[i][1], p ? p : "(null)");
		free(p);
	}
	char *p = conf_path_join(NULL, "a");
	ok(p && strcmp(p, "a") == 0, "no file: as given");
	free(p);
}

TEST(core_conf_paths_from_a_file)
{
	const char *text = "root = site\nlog = logs/c.log\n"
	    "zone = zones/a.zone\nzone = example.test=b.zone\n"
	    "zone = /abs/c.zone\nzone = dir/x=y.zone\nzone = v.test  sub/r\n";
	struct conf c;
	struct pconf t;
	char err[CONF_ERR_LEN];

	memset(&t, 0, sizeof(t));
	ok(conf_parse("/srv/conf/camada.conf", (const uint8_t *)text,
	    strlen(text), &c, err) == 0, "parse: %s", err);
	ok(conf_apply(pkeys, &c.sec[0], &t, c.file, err) == 0, "apply: %s",
	    err);
	ok(t.root && strcmp(t.root, "/srv/conf/site") == 0, "root: %s",
	    t.root);
	ok(t.log && strcmp(t.log, "/srv/conf/logs/c.log") == 0, "log: %s",
	    t.log);
	ok(t.zone.n == 5, "five zones");
	if (t.zone.n == 5) {
		ok(strcmp(t.zone.v[0], "/srv/conf/zones/a.zone") == 0, "%s",
		    t.zone.v[0]);
		ok(strcmp(t.zone.v[1], "example.test=/srv/conf/b.zone") == 0,
		    "NAME=FILE keeps its name: %s", t.zone.v[1]);
		ok(strcmp(t.zone.v[2], "/abs/c.zone") == 0, "absolute: %s",
		    t.zone.v[2]);
		ok(strcmp(t.zone.v[3], "/srv/conf/dir/x=y.zone") == 0,
		    "'=' after a '/' is the file's: %s", t.zone.v[3]);
		ok(strcmp(t.zone.v[4], "v.test  /srv/conf/sub/r") == 0,
		    "NAME PATH (vhost): %s", t.zone.v[4]);
	}
	conf_release(pkeys, &t);
	conf_free(&c);

	/* the words that name no file, and the defaults, stay as they are */
	memset(&t, 0, sizeof(t));
	text = "log = stderr\n";
	ok(conf_parse("etc/c.conf", (const uint8_t *)text, strlen(text), &c,
	    err) == 0, "parse");
	ok(conf_apply(pkeys, &c.sec[0], &t, c.file, err) == 0, "apply");
	ok(strcmp(t.log, "stderr") == 0, "stderr is a word: %s", t.log);
	ok(strcmp(t.root, "www") == 0, "a default is as given: %s", t.root);
	conf_release(pkeys, &t);
	conf_free(&c);
	const char *words[] = { "off", "-", "stdout" };
	for (size_t i = 0; i < 3; i++) {
		char line[32];
		memset(&t, 0, sizeof(t));
		snprintf(line, sizeof(line), "log = %s\n", words[i]);
		ok(conf_parse("etc/c.conf", (const uint8_t *)line, strlen(line),
		    &c, err) == 0 && conf_apply(pkeys, &c.sec[0], &t, c.file,
		    err) == 0 && strcmp(t.log, words[i]) == 0, "word %s: %s",
		    words[i], t.log ? t.log : "(null)");
		conf_release(pkeys, &t);
		conf_free(&c);
	}

	/* a value from the command line (line 0) is the cwd's */
	conf_init(&c, "command line");
	struct conf_section *s = conf_add_section(&c, "", 0);
	ok(s && conf_add_kv(s, "root", "site", 0) == 0 &&
	    conf_add_kv(s, "zone", "zones/a.zone", 0) == 0, "cli values");
	memset(&t, 0, sizeof(t));
	ok(conf_apply(pkeys, s, &t, "/srv/conf/camada.conf", err) == 0,
	    "apply: %s", err);
	ok(strcmp(t.root, "site") == 0 && t.zone.n == 1 &&
	    strcmp(t.zone.v[0], "zones/a.zone") == 0,
	    "command line as given: %s", t.root);
	conf_release(pkeys, &t);
	conf_free(&c);
}

/* "NAME ROOT CERT KEY" (a vhost with its certificate): every word after a
 * "NAME " label is a path of its own; after "NAME=" the rest is one. */
TEST(core_conf_paths_every_word_after_a_name)
{
	const char *text = "zone = a.test www/a tls/a.pem /abs/a.key\n"
	    "zone = b.test\tsite  \tb.pem\n"
	    "zone = c.test=my zones/c.zone\n";
	struct conf c;
	struct pconf t;
	char err[CONF_ERR_LEN];

	memset(&t, 0, sizeof(t));
	ok(conf_parse("etc/camada.conf", (const uint8_t *)text, strlen(text),
	    &c, err) == 0, "parse: %s", err);
	ok(conf_apply(pkeys, &c.sec[0], &t, c.file, err) == 0, "apply: %s",
	    err);
	ok(t.zone.n == 3, "three values");
	if (t.zone.n == 3) {
		ok(strcmp(t.zone.v[0],
		    "a.test etc/www/a etc/tls/a.pem /abs/a.key") == 0,
		    "each word joined: %s", t.zone.v[0]);
		ok(strcmp(t.zone.v[1], "b.test\tetc/site  \tetc/b.pem") == 0,
		    "blanks kept: %s", t.zone.v[1]);
		ok(strcmp(t.zone.v[2], "c.test=etc/my zones/c.zone") == 0,
		    "NAME=PATH is one path: %s", t.zone.v[2]);
	}
	conf_release(pkeys, &t);
	conf_free(&c);
}
