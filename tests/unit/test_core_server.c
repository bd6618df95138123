/* Tests of the config plumbing in core/server.c: the command line's global
 * flags over a file, the check of every instance, and a listen address in
 * use named by its config line. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/server.h"
#include "core/server_conf.h"
#include "test.h"

struct t_conf {
	struct conf_addrs listen;
	long n;
};

static const struct conf_key t_keys[] = {
	{ "listen", CONF_ADDRS, offsetof(struct t_conf, listen), "0.0.0.0:1",
	    0, 0, "", 'l' },
	{ "n", CONF_INT, offsetof(struct t_conf, n), "1", 0, 100, "", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

/* refuses n = 13, as a service refuses a root that does not exist */
static int
t_check(struct instance *in, char *err)
{
	const struct t_conf *cf = in->conf;

	if (cf->n == 13) {
		snprintf(err, CONF_ERR_LEN, "t: unlucky");
		return -1;
	}
	return 0;
}

static const struct service t_service = {
	"t", t_keys, sizeof(struct t_conf), NULL, NULL, NULL, NULL, NULL,
	t_check, NULL, NULL, NULL, NULL,
};
/* a service whose sections take the keys of [shared] they do not set */
static const struct conf_key shared_keys[] = {
	{ "n", CONF_INT, 0, "1", 0, 100, "", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};
static const struct service s_service = {
	"s", t_keys, sizeof(struct t_conf), NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, "shared", shared_keys,
};
static const struct service *const t_list[] = { &t_service, NULL };
static const struct service *const s_list[] = { &t_service, &s_service,
	NULL };

static int
parse(const char *text, struct conf *cf)
{
	char err[CONF_ERR_LEN];

	return conf_parse("t.conf", (const uint8_t *)text, strlen(text), cf, err);
}

TEST(core_conf_addrs_keep_their_lines)
{
	struct conf cf;
	struct t_conf c;
	char err[CONF_ERR_LEN];

	memset(&c, 0, sizeof(c));
	ok(parse("[t]\n\nlisten = 127.0.0.1:5\nlisten = [::1]:6\n", &cf) == 0,
	    "parses");
	ok(conf_apply(t_keys, &cf.sec[1], &c, cf.file, err) == 0, "%s", err);
	ok(c.listen.n == 2 && c.listen.line[0] == 3 && c.listen.line[1] == 4,
	    "lines %d %d", c.listen.line[0], c.listen.line[1]);
	conf_free(&cf);
	memset(&c, 0, sizeof(c));
	ok(parse("[t]\n", &cf) == 0, "parses");
	ok(conf_apply(t_keys, &cf.sec[1], &c, cf.file, err) == 0, "%s", err);
	ok(c.listen.n == 1 && c.listen.line[0] == 0, "a default has no line");
	conf_free(&cf);
}

TEST(core_server_conf_override)
{
	struct conf cf, flags;
	struct global_conf g;
	char err[CONF_ERR_LEN];

	ok(parse("workers = 4\nlog-level = warn\n[t]\n", &cf) == 0, "parses");
	conf_init(&flags, "command line");
	conf_add_section(&flags, "", 0);
	ok(conf_add_kv(&flags.sec[0], "workers", "1", 0) == 0, "flag");
	ok(server_conf_override(&cf, &flags.sec[0]) == 0, "override");
	memset(&g, 0, sizeof(g));
	ok(conf_apply(global_keys, &cf.sec[0], &g, cf.file, err) == 0, "%s", err);
	ok(g.workers == 1, "the flag wins: %d", g.workers);
	ok(g.log_level && strcmp(g.log_level, "warn") == 0,
	    "the file's other keys stay");
	conf_release(global_keys, &g);
	/* twice (a reload): still one value, no duplicate */
	ok(server_conf_override(&cf, &flags.sec[0]) == 0, "again");
	memset(&g, 0, sizeof(g));
	ok(conf_apply(global_keys, &cf.sec[0], &g, cf.file, err) == 0, "%s", err);
	ok(g.workers == 1, "still the flag");
	conf_release(global_keys, &g);
	ok(server_conf_override(&cf, NULL) == 0, "no flags");
	conf_free(&flags);
	conf_free(&cf);
}

TEST(core_server_check_conf)
{
	struct instance in[4];
	struct global_conf g;
	struct conf cf;
	char err[CONF_ERR_LEN];
	int n;

	ok(parse("[t]\nn = 2\n[t]\nn = 3\n", &cf) == 0, "parses");
	memset(&g, 0, sizeof(g));
	n = server_conf_check(&cf, t_list, &g, in, 4, err);
	ok(n == 2, "two instances: %d %s", n, n < 0 ? err : "");
	if (n == 2) {
		ok(in[0].line == 1 && in[1].line == 3 && in[1].index == 1,
		    "sections' lines and indexes");
		ok(strcmp(in[1].file, "t.conf") == 0, "the file");
		server_instances_free(in, n);
	}
	conf_release(global_keys, &g);
	conf_free(&cf);

	ok(parse("[t]\nn = 2\n\n[t]\nn = 13\n", &cf) == 0, "parses");
	memset(&g, 0, sizeof(g));
	n = server_conf_check(&cf, t_list, &g, in, 4, err);
	ok(n == -1 && strcmp(err, "t.conf:4: t: unlucky") == 0,
	    "the check's error after the section's line: %s", err);
	conf_release(global_keys, &g);
	conf_free(&cf);

	ok(parse("[t]\nn = 200\n", &cf) == 0, "parses");
	memset(&g, 0, sizeof(g));
	n = server_conf_check(&cf, t_list, &g, in, 4, err);
	ok(n == -1 && strncmp(err, "t.conf:2: ", 10) == 0, "a key's error: %s",
	    err);
	conf_release(global_keys, &g);
	conf_free(&cf);
}

TEST(core_server_listen_in_use_names_the_line)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct instance in;
	struct conf cf;
	char text[128], err[CONF_ERR_LEN], want[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(fd, 1) == 0 && getsockname(fd, (struct sockaddr *)&sa,
	    &len) == 0, "a port taken");
	snprintf(text, sizeof(text), "[t]\n# the port\nlisten = 127.0.0.1:%d\n",
	    ntohs(sa.sin_port));
	ok(parse(text, &cf) == 0, "parses");
	ok(server_instance_init(&in, &t_service, &cf.sec[1], cf.file, 0,
	    err) == 0, "%s", err);
	ok(server_listen(&in, &((struct t_conf *)in.conf)->listen.a[0], 0,
	    err) == -1, "in use");
	snprintf(want, sizeof(want), "t.conf:3: tcp bind 127.0.0.1:%d: Address "
	    "already in use", ntohs(sa.sin_port));
	ok(strcmp(err, want) == 0, "%s", err);
	server_instances_free(&in, 1);
	conf_free(&cf);
	close(fd);
}

TEST(core_server_shared_section)
{
	struct conf cf;
	struct global_conf g;
	struct instance in[4];
	char err[CONF_ERR_LEN];
	int n;

	memset(&g, 0, sizeof(g));
	ok(parse("[s]\nlisten = 127.0.0.1:1\n[shared]\nn = 7\n"
	    "[s]\nlisten = 127.0.0.1:2\nn = 9\n[t]\n", &cf) == 0, "parses");
	n = server_instances_from_conf(&cf, s_list, &g, in, 4, err);
	ok(n == 3, "three instances, [shared] none (%d: %s)", n, n < 0 ? err : "");
	if (n == 3) {
		ok(((struct t_conf *)in[0].conf)->n == 7, "the first takes n = 7");
		ok(((struct t_conf *)in[1].conf)->n == 9, "the second keeps its own");
		ok(((struct t_conf *)in[2].conf)->n == 1, "[t] does not share");
		server_instances_free(in, n);
	}
	conf_free(&cf);
	ok(parse("[shared]\nlisten = 127.0.0.1:3\n[s]\n", &cf) == 0, "parses");
	ok(server_instances_from_conf(&cf, s_list, &g, in, 4, err) < 0 &&
	    strstr(err, "unknown key 'listen' in [shared]"), "%s", err);
	conf_free(&cf);
	ok(parse("[shared]\nn = 2\n[shared]\nn = 3\n", &cf) == 0, "parses");
	ok(server_instances_from_conf(&cf, s_list, &g, in, 4, err) < 0 &&
	    strstr(err, "a second [shared]"), "%s", err);
	conf_free(&cf);
	ok(parse("[shared]\nn = 2\n", &cf) == 0, "parses");
	ok(server_instances_from_conf(&cf, t_list, &g, in, 4, err) < 0 &&
	    strstr(err, "unknown section [shared]"),
	    "no service shares it: unknown (%s)", err);
	conf_free(&cf);
	conf_release(global_keys, &g);
}
