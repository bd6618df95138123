/* tls_int.h - what conn_tls.c (a connection's bytes) needs of tls.c (the
 * contexts): new SSL objects, the counts, the words for a failure. Not for
 * protocol code: that uses tls.h and conn.h. */
#ifndef CAMADA_TLS_INT_H
#define CAMADA_TLS_INT_H

#include <stddef.h>

struct ssl_st;
struct tls_server;
struct tls_client;

enum tls_fail {
	TLS_FAIL_TIMEOUT, TLS_FAIL_CLOSED, TLS_FAIL_VERSION, TLS_FAIL_CIPHER,
	TLS_FAIL_ALPN, TLS_FAIL_VERIFY, TLS_FAIL_PLAINTEXT, TLS_FAIL_OTHER,
	TLS_FAIL_N
};

/* A new server-side SSL on ts's default context (SNI may switch it), or
 * NULL. */
struct ssl_st *tls_server_ssl(struct tls_server *ts);
/* A new client-side SSL for host: SNI and, unless insecure, the name or
 * address to verify. NULL with err. */
struct ssl_st *tls_client_ssl(struct tls_client *tc, const char *host,
    char *err);
/* A handshake that finished / failed, for the metrics. */
void tls_count_done(struct ssl_st *ssl, int ktls);
void tls_count_failure(enum tls_fail why);
/* Why the handshake on ssl failed (SSL_get_error's ssl_err; errno as the
 * call left it), in words into out, and its kind. Reads the error queue
 * without emptying it. */
enum tls_fail tls_describe(struct ssl_st *ssl, int ssl_err, int client,
    char *out, size_t n);

#endif
