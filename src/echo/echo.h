/* echo.h - the classic uppercase echo pair: a TCP and UDP server that answers
 * each line (or datagram) in upper case, and its client. */
#ifndef CAMADA_ECHO_H
#define CAMADA_ECHO_H

#include "core/server.h"

extern const struct service echo_service;

/* "camada echo-server ...": exit code. */
int echo_server_main(int argc, char **argv);
/* "camada echo [--udp] HOST PORT": exit code. */
int echo_client_main(int argc, char **argv);

/* Upper-cases n ASCII bytes from src into dst (which may equal src). */
void echo_upper(uint8_t *dst, const uint8_t *src, size_t n);

#endif
