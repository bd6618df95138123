/* http_server_tls.h - HTTPS for the origin server: the vhost line's words,
 * the TLS context made from [http]'s tls-* keys and the vhosts'
 * certificates, and redirect-to-https. The handshake itself is the core's
 * (conn_tls_accept through session_set_tls). */
#ifndef CAMADA_HTTP_SERVER_TLS_H
#define CAMADA_HTTP_SERVER_TLS_H

#include <limits.h>

#include "http/http_server.h"

struct tls_server;

/* One "vhost = NAME ROOT [CERT KEY]" value, split at blanks. */
struct http_vhost_words {
	char name[256];     /* lower case */
	char root[PATH_MAX];
	char cert[PATH_MAX]; /* "" when the line has no certificate */
	char key[PATH_MAX];
};

/* Splits v: 0, or -1 with err ("http: vhost 'x': expected 'NAME ROOT
 * [CERT KEY]'") for one word, three, more than four, or one too long. */
int http_vhost_parse(const char *v, struct http_vhost_words *w, char *err);

/* The tls-* keys without reading a file: tls-listen needs tls-cert and
 * tls-key. 0, or -1 with err. */
int http_server_tls_conf_check(const struct http_conf *cf, char *err);

/* The context for cf's tls-listen addresses: the default certificate, one
 * more per vhost that names one (picked by SNI), ALPN http/1.1. Reads
 * every file; NULL with err ("http: tls: /x.pem: ...") when one is bad.
 * The first call in a process draws the ticket keys' secret: call it in
 * the parent before the workers are forked. */
struct tls_server *http_server_tls_new(const struct http_conf *cf,
    char *err);
/* The same reads and checks, keeping nothing ("camada check", and the
 * parent's check before a reload). 0, or -1 with err. */
int http_server_tls_check(const struct http_conf *cf, char *err);

/* redirect-to-https: for a request that came in plain, queues "301 Moved
 * Permanently" to https://HOST[:PORT]/path?query and returns 1; 0 when the
 * request is to be answered as usual (over TLS already, /metrics, or no
 * usable Host). */
int http_server_tls_redirect(struct http_txn *t);

#endif
