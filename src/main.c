/* main.c - the command line: which system runs, nothing else. */
#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "core/server.h"
#include "dns/dns_dig.h"
#include "dns/dns_resolver.h"
#include "dns/dns_server.h"
#include "echo/echo.h"
#include "http/http_client.h"
#include "http/http_server.h"

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
	NULL,
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: camada COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n"
	    "  serve [-c FILE]                  every service FILE enables "
	    "(default " DEFAULT_CONF ")\n"
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
	    "  help                             this text\n"
	    "  version                          the version\n"
	    "\n"
	    "Each command takes --help. Exit codes: 0 ok, 1 failure, 2 usage or "
	    "configuration error.\n");
}

static int
serve_main(int argc, char **argv)
{
	const char *file = DEFAULT_CONF;
	struct instance in[SERVER_MAX_INSTANCES];
	struct global_conf g;
	struct conf cf;
	char err[CONF_ERR_LEN];
	int n, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "camada serve: %s needs a file\n",
				    argv[i]);
				return 2;
			}
			file = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			printf("usage: camada serve [-c FILE]\n"
			    "Runs every service that FILE enables, one [section] "
			    "each (default " DEFAULT_CONF ").\n");
			return 0;
		} else {
			fprintf(stderr, "camada serve: unknown argument '%s'\n"
			    "usage: camada serve [-c FILE]\n", argv[i]);
			return 2;
		}
	}
	if (conf_load(file, &cf, err) < 0) {
		fprintf(stderr, "camada: %s\n", err);
		conf_free(&cf);
		return 2;
	}
	memset(&g, 0, sizeof(g));
	n = server_instances_from_conf(&cf, services, &g, in,
	    SERVER_MAX_INSTANCES, err);
	if (n < 0) {
		fprintf(stderr, "camada: %s\n", err);
		conf_release(global_keys, &g);
		conf_free(&cf);
		return 2;
	}
	if (n == 0) {
		fprintf(stderr, "camada: %s: no service enabled (add a section "
		    "such as [echo])\n", file);
		conf_release(global_keys, &g);
		conf_free(&cf);
		return 2;
	}
	if (server_open_log(&g, err) < 0) {
		fprintf(stderr, "camada: %s: %s\n", file, err);
		server_instances_free(in, n);
		conf_release(global_keys, &g);
		conf_free(&cf);
		return 2;
	}
	rc = server_run(&g, in, n);
	conf_release(global_keys, &g);
	conf_free(&cf);
	return rc;
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
	fprintf(stderr, "camada: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
