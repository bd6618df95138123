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

/* Prints "  -l, --listen VALUE   help (default: x)" for each key. */
void cli_print_keys(FILE *f, const struct conf_key *keys);

#endif
