/* cli.h - the command line of the server commands ("camada echo-server",
 * "camada http", ...). Every config key of the system, and every global key,
 * is also a flag of the same name (--max-line 4k, --udp, --no-udp); short
 * flags come from the key table; -c FILE reads a config file first, and the
 * flags override its keys. */
#ifndef CAMADA_CLI_H
#define CAMADA_CLI_H

#include <stdio.h>

#include "core/server.h"

/* Runs svc as a one-system server from argv (argv[0] is the command name).
 * positional_key names the key that bare arguments fill (NULL: none allowed).
 * Returns the process exit code (2 for usage and configuration errors). */
int cli_run_server(const struct service *svc, int argc, char **argv,
    const char *summary, const char *positional_key);

/* The arguments of "camada serve" and "camada check": -c FILE (--config)
 * and every global key as a flag (--workers 1, --log-level debug,
 * --log-format=json). Sets *file when -c is given; each flag's key and
 * value go into flags (a section the caller made; line 0) for
 * server_conf_override. Returns 0, 1 after printing usage to stdout for
 * -h/--help, or -1 after printing the error and the usage to stderr
 * (exit 2). usage_line: "usage: camada serve [-c FILE] [OPTIONS]". */
int cli_parse_globals(int argc, char **argv, const char *usage_line,
    const char *summary, const char **file, struct conf_section *flags);

/* Prints "  -l, --listen VALUE   help (default: x)" for each key. */
void cli_print_keys(FILE *f, const struct conf_key *keys);

#endif
