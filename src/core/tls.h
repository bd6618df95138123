/* tls.h - TLS under conn, with OpenSSL 3: the server's certificates (one
 * default chain, more picked by SNI), protocol and cipher policy, ALPN,
 * session tickets whose keys every worker shares, and the client's trust
 * store and verification. How a conn runs a handshake is conn.h's
 * (conn_tls_accept, conn_tls_connect); this file holds the contexts.
 *
 * Contexts are made in the parent at setup (a bad file stops the start) or
 * in a worker at reload (a bad file keeps the old context); they are
 * reference counted, so a reload may drop its old one while connections
 * made with it finish on it.
 *
 * Session tickets: the parent draws one random master secret at the first
 * tls_server_new; every ticket key is derived from it and the current hour
 * (HMAC), so every worker (forked after it) encrypts with the same key and
 * decrypts what any other worker issued, with no shared memory and no lock.
 * Each context (its certificate and ALPN list) has keys of its own, so a
 * ticket one vhost or service issued never resumes on another. A key
 * decrypts for TLS_TICKET_PERIODS periods after it became current (a
 * session itself lives two hours at most); a restart of the whole server
 * draws a new master (tickets from before it do a full handshake).
 */
#ifndef CAMADA_TLS_H
#define CAMADA_TLS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_ERR_LEN 256
#define TLS_ALPN_MAX 8
#define TLS_SNI_MAX 64
#define TLS_TICKET_PERIOD_S 3600  /* a ticket key is the current one this long */
#define TLS_TICKET_PERIODS 3      /* ... and decrypts this many periods */

/* Mozilla's "intermediate" TLS 1.2 list (TLS 1.3 suites are OpenSSL's
 * defaults, which are the same three). */
#define TLS_CIPHERS_INTERMEDIATE \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
	"DHE-RSA-CHACHA20-POLY1305"
#define TLS_PROTOCOLS_DEFAULT "TLSv1.2 TLSv1.3"

/* One certificate: a PEM chain (leaf first) and its key. name is the host
 * name that picks it by SNI (lower case; NULL for the default one). */
struct tls_cert_conf {
	const char *name;
	const char *cert;
	const char *key;
};

struct tls_server_conf {
	struct tls_cert_conf def;     /* required */
	const struct tls_cert_conf *sni; /* more, by name; may be NULL */
	int nsni;
	const char *protocols;  /* "TLSv1.2 TLSv1.3" (NULL: that); only 1.2
	                         * and 1.3 are accepted words */
	const char *ciphers;    /* TLS 1.2 list (NULL: intermediate) */
	/* ALPN protocols we speak, in our order of preference, NULL-ended;
	 * NULL or empty: no ALPN. A client that offers ALPN and none of these
	 * gets the no_application_protocol alert (RFC 7301). */
	const char *const *alpn;
	long session_cache;     /* server-side cache entries per worker
	                         * (TLS 1.2 session ids); 0: 20480 */
};

struct tls_server;
struct tls_client;

/* Builds the contexts: reads and checks every certificate and key (the key
 * must match its certificate), the protocol and cipher words. The first
 * call in a process draws the ticket master secret (call it in the parent,
 * before fork). Returns a context with one reference, or NULL with err
 * ("tls: /etc/x.crt: no certificate in it"). */
struct tls_server *tls_server_new(const struct tls_server_conf *cf, char *err);
void tls_server_ref(struct tls_server *ts);
/* Drops a reference; the last frees it. NULL is allowed. */
void tls_server_unref(struct tls_server *ts);
/* For "camada check" and the parent's check before a reload: builds and
 * frees. 0, or -1 with err. */
int tls_server_check(const struct tls_server_conf *cf, char *err);

struct tls_client_conf {
	const char *cafile;     /* PEM bundle to trust; NULL: the system's
	                         * (/etc/ssl/certs) */
	int insecure;           /* skip chain and name verification (-k) */
	const char *const *alpn; /* offered, NULL-ended; NULL: none */
};

/* NULL with err when the trust store or cafile cannot be read. */
struct tls_client *tls_client_new(const struct tls_client_conf *cf, char *err);
void tls_client_ref(struct tls_client *tc);
void tls_client_unref(struct tls_client *tc);

/* In setup (the parent), once per process whatever the number of
 * services: the tls_* metrics. Later calls do nothing. */
void tls_metrics_register(void);

/* Whether this kernel and this OpenSSL can do kTLS (the "tls" ULP loads):
 * 1 or 0, found once and remembered. Logged by the first server. */
int tls_ktls_available(void);

#endif
