/* http_server_alog.h - the access log (Combined Log Format or JSON). */
#ifndef CAMADA_HTTP_SERVER_ALOG_H
#define CAMADA_HTTP_SERVER_ALOG_H

#include "http/http_server.h"

/* One access-log line per response. */
void http_server_alog_write(struct http_state *st, const struct http_txn *t);
int http_server_alog_open(struct http_state *st);

#endif
