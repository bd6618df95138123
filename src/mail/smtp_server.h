/* smtp_server.h - the SMTP server, as a service for "camada serve" and as
 * "camada smtp". */
#ifndef CAMADA_SMTP_SERVER_H
#define CAMADA_SMTP_SERVER_H

#include "core/server.h"

extern const struct service smtp_service;

/* "camada smtp [-l ADDR:PORT] [--submission ADDR:PORT] ...": exit code. */
int smtp_server_main(int argc, char **argv);

#endif
