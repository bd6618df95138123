/* main.c - the command line: which system runs, nothing else. */
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/conf.h"
#include "core/server.h"
#include "core/server_conf.h"
#include "dns/dns_dig.h"
#include "dns/dns_resolver.h"
#include "dns/dns_server.h"
#include "echo/echo.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "mail/mail_passwd.h"
#include "mail/mailq.h"
#include "mail/smtp_server.h"

#define CAMADA_VERSION "0.1.0"
/* Where `camada serve` looks without -c: an installed camada (make install
 * defines CAMADA_SYSCONFDIR, PREFIX/etc) its installed config, a build in a
 * clone the repository's. */
#ifdef CAMADA_SYSCONFDIR
#define DEFAULT_CONF CAMADA_SYSCONFDIR "/camada/camada.conf"
#else
#define DEFAULT_CONF "etc/camada.conf"
#endif

/* Every system "camada serve" can run, by section name. */
static const struct service *const services[] = {
	&echo_service,
	&http_service,
	&dns_service,
	&resolver_service,
	&smtp_service,
	NULL,
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: camada COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n"
	    "  serve [-c FILE] [--workers N]    every service FILE enables "
	    "(default " DEFAULT_CONF ")\n"
	    "  check [-c FILE]                  check FILE and the files it "
	    "names; print what would run\n"
	    "  echo-server [--udp] [-l ADDR:PORT]  the uppercase echo server "
	    "(port 12000)\n"
	    "  echo [--udp] HOST PORT           echo client: stdin lines to the "
	    "server, replies to stdout\n"
	    "  http [DIR] [-l ADDR:PORT]        the HTTP server on DIR or the "
	    "current directory (port 8080)\n"
	    "  get [OPTIONS] URL                HTTP client (--page, --cookie-jar, "
	    "--cache, ...)\n"
	    "  dns [-l ADDR:PORT] -z ZONEFILE...  the authoritative DNS server "
	    "(port 5300)\n"
	    "  resolver [-l ADDR:PORT] [--root-hints FILE] [--upstream-port N]\n"
	    "                                   the recursive caching resolver "
	    "(port 5301)\n"
	    "  dig [@SERVER] [-p PORT] NAME [TYPE] [+trace] [+tcp] [+norec] "
	    "[+short] [-x ADDR]\n"
	    "                                   DNS lookup client\n"
	    "  smtp [-l ADDR:PORT] [--submission ADDR:PORT] [--domains D]\n"
	    "                                   the SMTP server (ports 2525 "
	    "and 5870)\n"
	    "  passwd [--scheme sha512|yescrypt|bcrypt] [USER@DOMAIN]\n"
	    "                                   a hashed line for the mail "
	    "users file\n"
	    "  mailq [-c FILE] [flush [ID] | delete ID]\n"
	    "                                   the outgoing mail queue: list, "
	    "retry now, remove\n"
	    "  help                             this text\n"
	    "  version                          the version\n"
	    "\n"
	    "Each command takes --help. Exit codes: 0 ok, 1 failure, 2 usage or "
	    "configuration error.\n");
}

/* "camada serve" and "camada check" read the same file the same way: -c
 * FILE or the default, the global keys' flags on top. n instances (with
 * the instances checked for "check"), or -1 with the exit code in *rc. */
static int
load_conf(int argc, char **argv, const char *usage_line, const char *summary,
    int check, const char **file, struct conf *cf, struct conf *flags,
    struct global_conf *g, struct instance *in, int *rc)
{
	char err[CONF_ERR_LEN];
	int k, n;

	memset(g, 0, sizeof(*g));
	memset(cf, 0, sizeof(*cf));
	conf_init(flags, "command line");
	if (conf_add_section(flags, "", 0) == NULL) {
		fprintf(stderr, "camada: out of memory\n");
		*rc = 1;
		return -1;
	}
	k = cli_parse_globals(argc, argv, usage_line, summary, file,
	    &flags->sec[0]);
	if (k != 0) {
		*rc = k > 0 ? 0 : 2;
		return -1;
	}
	*rc = 2;
	if (conf_load(*file, cf, err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		return -1;
	}
	if (server_conf_override(cf, &flags->sec[0]) < 0) {
		fprintf(stderr, "camada: out of memory\n");
		return -1;
	}
	n = check ? server_conf_check(cf, services, g, in,
	    SERVER_MAX_INSTANCES, err) : server_instances_from_conf(cf,
	    services, g, in, SERVER_MAX_INSTANCES, err);
	if (n < 0) {
		fprintf(stderr, "camada: %s\n", err);
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "camada: %s: no service enabled (add a section "
		    "such as [echo])\n", *file);
		return -1;
	}
	return n;
}

static void
free_conf(struct conf *cf, struct conf *flags, struct global_conf *g)
{
	conf_release(global_keys, g);
	conf_free(cf);
	conf_free(flags);
}

static int
serve_main(int argc, char **argv)
{
	const char *file = DEFAULT_CONF;
	struct instance in[SERVER_MAX_INSTANCES];
	struct global_conf g;
	struct conf cf, flags;
	char err[CONF_ERR_LEN];
	int n, rc;

	n = load_conf(argc, argv, "usage: camada serve [-c FILE] [OPTIONS]",
	    "Runs every service that FILE enables, one [section] each (default "
	    DEFAULT_CONF "). SIGHUP re-reads FILE.", 0, &file, &cf, &flags, &g,
	    in, &rc);
	if (n < 0) {
		free_conf(&cf, &flags, &g);
		return rc;
	}
	if (server_open_log(&g, err) < 0) {
		fprintf(stderr, "camada: %s: %s\n", file, err);
		server_instances_free(in, n);
		free_conf(&cf, &flags, &g);
		return 2;
	}
	server_conf_set(file, &flags.sec[0], services);
	rc = server_run(&g, in, n);
	free_conf(&cf, &flags, &g);
	return rc;
}

/* "camada check": what serve would run, or the first error (exit 2). */
static int
check_main(int argc, char **argv)
{
	const char *file = DEFAULT_CONF;
	struct instance in[SERVER_MAX_INSTANCES];
	struct global_conf g;
	struct conf cf, flags;
	int n, rc;

	n = load_conf(argc, argv, "usage: camada check [-c FILE] [OPTIONS]",
	    "Checks FILE (default " DEFAULT_CONF ") and every file it names "
	    "(zones, root hints), then prints what \"camada serve\" would run.",
	    1, &file, &cf, &flags, &g, in, &rc);
	if (n < 0) {
		free_conf(&cf, &flags, &g);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		char line[1024], as[SOCK_ADDR_STRLEN];
		size_t k = 0;
		k += (size_t)snprintf(line, sizeof(line), "%s:%d: %s", in[i].file,
		    in[i].line, in[i].svc->name);
		for (const struct conf_key *key = in[i].svc->keys; key->name;
		    key++) {
			const struct conf_addrs *a;
			int tls = strcmp(key->name, "tls-listen") == 0;
			int sub = strcmp(key->name, "submission") == 0;
			const char *tag = tls ? "tls:" :
			    sub ? "submission:" : "";
			if (key->type != CONF_ADDRS || (!tls && !sub &&
			    strcmp(key->name, "listen") != 0))
				continue;
			a = (const struct conf_addrs *)((const char *)in[i].conf +
			    key->offset);
			for (int j = 0; j < a->n && k < sizeof(line); j++)
				k += (size_t)snprintf(line + k, sizeof(line) - k,
				    " %s%s", tag,
				    sock_addr_str(&a->a[j], as, sizeof(as)));
		}
		printf("%s\n", line);
	}
	if (g.workers > 0)
		printf("%s: ok, %d instance%s, %d worker%s\n", file, n,
		    n == 1 ? "" : "s", g.workers, g.workers == 1 ? "" : "s");
	else
		printf("%s: ok, %d instance%s, workers auto\n", file, n,
		    n == 1 ? "" : "s");
	server_instances_free(in, n);
	free_conf(&cf, &flags, &g);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("camada %s\n", CAMADA_VERSION);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (strcmp(cmd, "echo-server") == 0)
		return echo_server_main(argc - 1, argv + 1);
	if (strcmp(cmd, "echo") == 0)
		return echo_client_main(argc - 1, argv + 1);
	if (strcmp(cmd, "get") == 0)
		return http_client_main(argc - 1, argv + 1);
	if (strcmp(cmd, "resolver") == 0)
		return resolver_main(argc - 1, argv + 1);
	if (strcmp(cmd, "dig") == 0)
		return dig_main(argc - 1, argv + 1);
	if (strcmp(cmd, "dns") == 0)
		return dns_server_main(argc - 1, argv + 1);
	if (strcmp(cmd, "http") == 0)
		return http_server_main(argc - 1, argv + 1);
	if (strcmp(cmd, "smtp") == 0)
		return smtp_server_main(argc - 1, argv + 1);
	if (strcmp(cmd, "passwd") == 0)
		return mail_passwd_main(argc - 1, argv + 1);
	if (strcmp(cmd, "mailq") == 0)
		return mailq_main(argc - 1, argv + 1, DEFAULT_CONF);
	fprintf(stderr, "camada: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
