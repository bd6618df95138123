/* http_server_static.h - files and directories under a vhost's root. */
#ifndef CAMADA_HTTP_SERVER_STATIC_H
#define CAMADA_HTTP_SERVER_STATIC_H

#include "http/http_server.h"

/* GET/HEAD of a file or directory under the root. */
void http_server_static_serve(struct http_txn *t);
/* Empties the small-file cache (a reload: its keys are root descriptors,
 * whose numbers may come back for other directories). */
void http_server_static_forget(void);

#endif
