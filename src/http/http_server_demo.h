/* http_server_demo.h - the demo site's handlers (/visits, /post). */
#ifndef CAMADA_HTTP_SERVER_DEMO_H
#define CAMADA_HTTP_SERVER_DEMO_H

#include "http/http_server.h"

/* The cookie and form demos; 1 when it answered. */
int http_server_demo_handle(struct http_txn *t);
int http_server_demo_setup(const struct http_conf *cf, char *err);

#endif
