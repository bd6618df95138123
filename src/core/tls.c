/* tls.c - the OpenSSL contexts behind TLS connections (see tls.h): server
 * certificates picked by SNI, the protocol and cipher policy, ALPN, ticket
 * keys derived from one master secret, the client's verification, the
 * tls_* metrics and the words that say why a handshake failed. The bytes of
 * a connection are conn_tls.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/tls.h"
#include "core/tls_int.h"

#define TLS_GROUPS "X25519:prime256v1:secp384r1"
#define TLS_CTX_ID_LEN 16
#define TLS_SESSION_CACHE_DEFAULT 20480

struct tls_sni {
	char *name;          /* the vhost's name, or NULL: match by the
	                      * certificate's own names only */
	SSL_CTX *ctx;
	X509 *leaf;          /* for X509_check_host */
};

struct tls_server {
	int refs;
	SSL_CTX *def;
	struct tls_sni *sni;
	int nsni;
	uint8_t alpn[256];   /* wire form: length-prefixed names */
	size_t alpn_len;
};

/* Sessions the client may resume, one per host name, newest kept: a
 * second connection to a server (a page's other objects, the next
 * message of a relay) costs one round trip less and no signature. */
#define TLS_CLIENT_SESSIONS 32

struct tls_client_session {
	char host[256];
	SSL_SESSION *sess;
	uint64_t used;
};

struct tls_client {
	int refs;
	SSL_CTX *ctx;
	int insecure;
	struct tls_client_session sessions[TLS_CLIENT_SESSIONS];
	uint64_t clock;
};

static int client_host_idx = -1; /* SSL ex_data: the host name asked for */

/* --- metrics --- */

static const char *const fail_labels[TLS_FAIL_N] = {
	"timeout", "closed", "version", "cipher", "alpn", "verify", "plaintext",
	"other",
};

static struct {
	int registered;
	int full, resumed;
	int v12, v13;
	int ktls_on, ktls_off;
	int fail[TLS_FAIL_N];
} m = { .full = -1, .resumed = -1, .v12 = -1, .v13 = -1, .ktls_on = -1,
	.ktls_off = -1, .fail = { -1, -1, -1, -1, -1, -1, -1, -1 } };

static void
count(int id)
{
	if (id >= 0)
		metric_add(id, 1);
}

void
tls_metrics_register(void)
{
	if (m.registered)
		return;
	m.registered = 1;
	m.full = metric_counter("tls_handshakes_total", "kind=\"full\"",
	    "TLS handshakes completed, full or resumed");
	m.resumed = metric_counter("tls_handshakes_total", "kind=\"resumed\"",
	    "TLS handshakes completed, full or resumed");
	m.v12 = metric_counter("tls_sessions_total", "version=\"TLSv1.2\"",
	    "TLS connections established, by protocol version");
	m.v13 = metric_counter("tls_sessions_total", "version=\"TLSv1.3\"",
	    "TLS connections established, by protocol version");
	m.ktls_on = metric_counter("tls_ktls_total", "state=\"on\"",
	    "TLS connections whose sending the kernel encrypts (kTLS) or not");
	m.ktls_off = metric_counter("tls_ktls_total", "state=\"off\"",
	    "TLS connections whose sending the kernel encrypts (kTLS) or not");
	for (int i = 0; i < TLS_FAIL_N; i++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "reason=\"%s\"", fail_labels[i]);
		m.fail[i] = metric_counter("tls_handshake_failures_total", labels,
		    "TLS handshakes that failed, by reason");
	}
}

void
tls_count_done(struct ssl_st *ssl, int ktls)
{
	count(SSL_session_reused(ssl) ? m.resumed : m.full);
	count(SSL_version(ssl) == TLS1_3_VERSION ? m.v13 : m.v12);
	count(ktls ? m.ktls_on : m.ktls_off);
}

void
tls_count_failure(enum tls_fail why)
{
	if (why >= 0 && why < TLS_FAIL_N)
		count(m.fail[why]);
}

/* --- errors --- */

/* The OpenSSL error queue's first entry as words ("wrong version number"),
 * and what kind of failure it is. */
static enum tls_fail
queue_reason(char *out, size_t n)
{
	unsigned long e = ERR_peek_error();
	const char *r;

	if (e == 0) {
		snprintf(out, n, "handshake failed");
		return TLS_FAIL_OTHER;
	}
	r = ERR_reason_error_string(e);
	if (ERR_GET_LIB(e) == ERR_LIB_SYS)
		snprintf(out, n, "%s", strerror(ERR_GET_REASON(e)));
	else if (r)
		snprintf(out, n, "%s", r);
	else
		snprintf(out, n, "OpenSSL error %08lx", e);
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return TLS_FAIL_OTHER;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		return TLS_FAIL_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
		return TLS_FAIL_CIPHER;
	case SSL_R_NO_APPLICATION_PROTOCOL:
	case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
		return TLS_FAIL_ALPN;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return TLS_FAIL_VERIFY;
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		return TLS_FAIL_PLAINTEXT;
	default:
		return TLS_FAIL_OTHER;
	}
}

/* A verification result in the words a user acts on. */
static const char *
verify_kind(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "not yet valid";
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "name mismatch";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return "unknown CA";
	case X509_V_ERR_CERT_REVOKED:
		return "revoked";
	default:
		return NULL;
	}
}

enum tls_fail
tls_describe(struct ssl_st *ssl, int ssl_err, int client, char *out, size_t n)
{
	/* with -k OpenSSL still records the chain's result: a later failure
	 * is not the certificate's */
	long v = client && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) ?
	    SSL_get_verify_result(ssl) : X509_V_OK;

	if (v != X509_V_OK) {
		const char *kind = verify_kind(v);
		const char *text = X509_verify_cert_error_string(v);
		if (kind)
			snprintf(out, n, "certificate verify failed: %s (%s)",
			    kind, text);
		else
			snprintf(out, n, "certificate verify failed: %s", text);
		return TLS_FAIL_VERIFY;
	}
	if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) {
		if (errno != 0 && ssl_err == SSL_ERROR_SYSCALL)
			snprintf(out, n, "connection broke during the handshake: "
			    "%s", strerror(errno));
		else
			snprintf(out, n, "connection closed during the handshake");
		return TLS_FAIL_CLOSED;
	}
	return queue_reason(out, n);
}

/* err gets "tls: WHAT: REASON" from the error queue, which is emptied. */
static void
ssl_err(char *err, const char *what)
{
	char why[160];

	queue_reason(why, sizeof(why));
	snprintf(err, TLS_ERR_LEN, "tls: %s: %s", what, why);
	ERR_clear_error();
}

/* --- ticket keys --- */

static uint8_t master[32];
static int have_master;
static int said_ktls;

struct ticket_key {
	uint64_t period;
	int valid;
	uint8_t name[16];
	uint8_t aes[32];
	uint8_t mac[32];
};

/* The last TLS_TICKET_PERIODS periods' keys, newest first. */
static struct ticket_key keys[TLS_TICKET_PERIODS];

/* HMAC(master, period | what | context id): the context id (its
 * certificate and ALPN) keeps a ticket of one server or vhost from
 * resuming on another that shares the process and the master. */
static void
derive(uint64_t period, const char *what, const uint8_t id[TLS_CTX_ID_LEN],
    uint8_t out[32])
{
	uint8_t msg[8 + 16 + TLS_CTX_ID_LEN];
	unsigned int len = 32;
	size_t wl = strlen(what) < 16 ? strlen(what) : 16;

	for (int i = 0; i < 8; i++)
		msg[i] = (uint8_t)(period >> (56 - 8 * i));
	memcpy(msg + 8, what, wl);
	memcpy(msg + 8 + wl, id, TLS_CTX_ID_LEN);
	HMAC(EVP_sha256(), master, sizeof(master), msg, 8 + wl + TLS_CTX_ID_LEN,
	    out, &len);
}

/* The last TLS_TICKET_PERIODS periods' keys for context id, newest
 * first, into keys (recomputed when the hour or the context changes). */
static void
refresh_keys(uint64_t now_period, const uint8_t id[TLS_CTX_ID_LEN])
{
	static uint8_t keys_id[TLS_CTX_ID_LEN];

	if (keys[0].valid && keys[0].period == now_period &&
	    memcmp(keys_id, id, TLS_CTX_ID_LEN) == 0)
		return;
	memcpy(keys_id, id, TLS_CTX_ID_LEN);
	for (int i = 0; i < TLS_TICKET_PERIODS; i++) {
		struct ticket_key *k = &keys[i];
		uint8_t nm[32];
		if (now_period < (uint64_t)i) {
			k->valid = 0;
			continue;
		}
		k->period = now_period - (uint64_t)i;
		derive(k->period, "name", id, nm);
		memcpy(k->name, nm, sizeof(k->name));
		derive(k->period, "aes", id, k->aes);
		derive(k->period, "hmac", id, k->mac);
		k->valid = 1;
	}
}

/* --- context ids --- */

static int ctx_id_idx = -1; /* SSL_CTX ex_data: its TLS_CTX_ID_LEN bytes */
static const uint8_t no_id[TLS_CTX_ID_LEN];

static void
free_ctx_id(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	free(ptr);
}

static const uint8_t *
ctx_id(SSL_CTX *ctx)
{
	const uint8_t *id = ctx_id_idx >= 0 ? SSL_CTX_get_ex_data(ctx,
	    ctx_id_idx) : NULL;

	return id ? id : no_id;
}

/* SHA-256 of the leaf certificate and the ALPN list: the same for the same
 * files in every worker and after a reload (tickets keep working), and
 * different for another certificate. Also the TLS 1.2 session id
 * context. */
static int
set_ctx_id(SSL_CTX *ctx, const uint8_t *alpn, size_t alpn_len, char *err)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	unsigned char *der = NULL, md[32];
	unsigned int mdl = sizeof(md);
	int dl = leaf ? i2d_X509(leaf, &der) : -1;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	uint8_t *id;

	if (ctx_id_idx < 0)
		ctx_id_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    free_ctx_id);
	if (dl <= 0 || h == NULL || ctx_id_idx < 0 ||
	    EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(h, der, (size_t)dl) != 1 ||
	    EVP_DigestUpdate(h, alpn, alpn_len) != 1 ||
	    EVP_DigestFinal_ex(h, md, &mdl) != 1 ||
	    (id = malloc(TLS_CTX_ID_LEN)) == NULL) {
		OPENSSL_free(der);
		EVP_MD_CTX_free(h);
		ssl_err(err, "context id");
		return -1;
	}
	OPENSSL_free(der);
	EVP_MD_CTX_free(h);
	memcpy(id, md, TLS_CTX_ID_LEN);
	if (SSL_CTX_set_ex_data(ctx, ctx_id_idx, id) != 1) {
		free(id);
		ssl_err(err, "context id");
		return -1;
	}
	SSL_CTX_set_session_id_context(ctx, id, TLS_CTX_ID_LEN);
	return 0;
}

static int
set_mac_key(EVP_MAC_CTX *hctx, uint8_t *key)
{
	OSSL_PARAM p[3];

	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, 32);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, p);
}

/* OpenSSL's ticket key callback: 1 encrypt or decrypt with this key, 2
 * decrypted with an older key (OpenSSL then issues a fresh ticket), 0 no
 * such key (a full handshake), -1 error. */
static int
ticket_cb(SSL *s, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	/* the context in force: SNI has picked it (client_hello_cb) before
	 * any ticket is read or made */
	refresh_keys((uint64_t)time(NULL) / TLS_TICKET_PERIOD_S,
	    ctx_id(SSL_get_SSL_CTX(s)));
	if (enc) {
		struct ticket_key *k = &keys[0];
		if (RAND_bytes(iv, 16) != 1)
			return -1;
		memcpy(name, k->name, 16);
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1 || set_mac_key(hctx, k->mac) != 1)
			return -1;
		return 1;
	}
	for (int i = 0; i < TLS_TICKET_PERIODS; i++) {
		struct ticket_key *k = &keys[i];
		if (!k->valid || memcmp(name, k->name, 16) != 0)
			continue;
		if (set_mac_key(hctx, k->mac) != 1 ||
		    EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1)
			return -1;
		return i == 0 ? 1 : 2;
	}
	return 0;
}

/* --- server contexts --- */

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_server *ts = arg;
	unsigned char *sel;

	if (ts->alpn_len == 0)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto(&sel, outlen, ts->alpn,
	    (unsigned int)ts->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* The host name of a server_name extension (RFC 6066: a list of one
 * host_name entry) into name, or 0 when it is not one we would match;
 * OpenSSL's own parser then judges it. */
static int
sni_name(const unsigned char *p, size_t len, char name[256])
{
	size_t list, nl;

	if (len < 5)
		return 0;
	list = (size_t)p[0] << 8 | p[1];
	nl = (size_t)p[3] << 8 | p[4];
	if (list + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name || nl == 0 ||
	    nl > 255 || nl + 5 > len || memchr(p + 5, '\0', nl) != NULL)
		return 0;
	memcpy(name, p + 5, nl);
	name[nl] = '\0';
	return 1;
}

/* SNI, read from the ClientHello before anything else (a ticket is
 * decrypted with the keys of the context picked here): the vhost's name
 * first, then any certificate that covers the name, else the default
 * stays. */
static int
hello_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_server *ts = arg;
	const unsigned char *p;
	size_t len;
	char name[256];

	if (ts->nsni == 0 || !SSL_client_hello_get0_ext(ssl,
	    TLSEXT_TYPE_server_name, &p, &len) || !sni_name(p, len, name))
		return SSL_CLIENT_HELLO_SUCCESS;
	for (int i = 0; i < ts->nsni; i++) {
		if (ts->sni[i].name && strcasecmp(ts->sni[i].name, name) == 0) {
			SSL_set_SSL_CTX(ssl, ts->sni[i].ctx);
			return SSL_CLIENT_HELLO_SUCCESS;
		}
	}
	for (int i = 0; i < ts->nsni; i++) {
		if (X509_check_host(ts->sni[i].leaf, name, 0,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1) {
			SSL_set_SSL_CTX(ssl, ts->sni[i].ctx);
			return SSL_CLIENT_HELLO_SUCCESS;
		}
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* "TLSv1.2 TLSv1.3" (or one of them) to a version range. */
static int
parse_protocols(const char *words, int *lo, int *hi, char *err)
{
	char copy[128], *save = NULL;

	*lo = *hi = 0;
	snprintf(copy, sizeof(copy), "%s", words ? words : TLS_PROTOCOLS_DEFAULT);
	for (char *w = strtok_r(copy, " ,\t", &save); w;
	    w = strtok_r(NULL, " ,\t", &save)) {
		int v;
		if (strcasecmp(w, "TLSv1.2") == 0)
			v = TLS1_2_VERSION;
		else if (strcasecmp(w, "TLSv1.3") == 0)
			v = TLS1_3_VERSION;
		else {
			snprintf(err, TLS_ERR_LEN, "tls: protocols: '%s': "
			    "TLSv1.2 and TLSv1.3 only", w);
			return -1;
		}
		if (*lo == 0 || v < *lo)
			*lo = v;
		if (v > *hi)
			*hi = v;
	}
	if (*lo == 0) {
		snprintf(err, TLS_ERR_LEN, "tls: protocols: none named");
		return -1;
	}
	return 0;
}

static SSL_CTX *
server_ctx(struct tls_server *ts, const struct tls_server_conf *cf,
    const struct tls_cert_conf *cc, char *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	int lo, hi;
	long cache = cf->session_cache > 0 ? cf->session_cache :
	    TLS_SESSION_CACHE_DEFAULT;

	if (ctx == NULL) {
		ssl_err(err, "context");
		return NULL;
	}
	if (parse_protocols(cf->protocols, &lo, &hi, err) < 0)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, lo);
	SSL_CTX_set_max_proto_version(ctx, hi);
	if (SSL_CTX_set_cipher_list(ctx, cf->ciphers ? cf->ciphers :
	    TLS_CIPHERS_INTERMEDIATE) != 1) {
		ssl_err(err, "ciphers");
		goto fail;
	}
	if (SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		ssl_err(err, "groups");
		goto fail;
	}
	SSL_CTX_set_dh_auto(ctx, 1);
	/* Mozilla intermediate: the client's cipher order (they know their
	 * hardware), no renegotiation, no compression. A peer that closes
	 * without close_notify is an EOF, not an error: many do. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
	    SSL_OP_NO_TLSv1_1);
	if (tls_ktls_available())
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	/* conn retries a write with the buffer where it is then (it moves),
	 * partial writes free buffer space early, and idle connections give
	 * their buffers back (tens of KiB each) */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, cache);
	SSL_CTX_set_timeout(ctx, (long)TLS_TICKET_PERIOD_S *
	    (TLS_TICKET_PERIODS - 1));
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, ts);
	if (SSL_CTX_use_certificate_chain_file(ctx, cc->cert) != 1) {
		char what[300];
		snprintf(what, sizeof(what), "%s", cc->cert);
		ssl_err(err, what);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cc->key, SSL_FILETYPE_PEM) != 1) {
		char what[300];
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH) {
			snprintf(err, TLS_ERR_LEN, "tls: %s does not match the "
			    "certificate in %s", cc->key, cc->cert);
			ERR_clear_error();
			goto fail;
		}
		snprintf(what, sizeof(what), "%s", cc->key);
		ssl_err(err, what);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, TLS_ERR_LEN, "tls: %s does not match the "
		    "certificate in %s", cc->key, cc->cert);
		ERR_clear_error();
		goto fail;
	}
	if (set_ctx_id(ctx, ts->alpn, ts->alpn_len, err) < 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int
alpn_wire(struct tls_server *ts, const char *const *alpn, char *err)
{
	ts->alpn_len = 0;
	for (int i = 0; alpn && alpn[i] && i < TLS_ALPN_MAX; i++) {
		size_t l = strlen(alpn[i]);
		if (l == 0 || l > 255 || ts->alpn_len + 1 + l > sizeof(ts->alpn)) {
			snprintf(err, TLS_ERR_LEN, "tls: alpn '%s' too long",
			    alpn[i]);
			return -1;
		}
		ts->alpn[ts->alpn_len++] = (uint8_t)l;
		memcpy(ts->alpn + ts->alpn_len, alpn[i], l);
		ts->alpn_len += l;
	}
	return 0;
}

static void
server_free(struct tls_server *ts)
{
	for (int i = 0; i < ts->nsni; i++) {
		free(ts->sni[i].name);
		SSL_CTX_free(ts->sni[i].ctx);
	}
	free(ts->sni);
	SSL_CTX_free(ts->def);
	free(ts);
}

static struct tls_server *
server_new(const struct tls_server_conf *cf, int quiet, char *err)
{
	struct tls_server *ts;

	if (cf->def.cert == NULL || cf->def.key == NULL) {
		snprintf(err, TLS_ERR_LEN, "tls: a certificate and a key are "
		    "needed (tls-cert, tls-key)");
		return NULL;
	}
	if (cf->nsni > TLS_SNI_MAX) {
		snprintf(err, TLS_ERR_LEN, "tls: at most %d certificates by name",
		    TLS_SNI_MAX);
		return NULL;
	}
	if (!have_master) {
		if (RAND_bytes(master, sizeof(master)) != 1) {
			ssl_err(err, "random ticket master");
			return NULL;
		}
		have_master = 1;
	}
	if (!quiet && !said_ktls) {
		/* which file path a TLS sendfile takes, said once */
		said_ktls = 1;
		if (tls_ktls_available())
			log_info("tls: kTLS on: files are sent with sendfile, "
			    "encrypted by the kernel");
		else
			log_info("tls: kTLS off (the kernel has no tls module): "
			    "files are sent through memory");
	}
	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		snprintf(err, TLS_ERR_LEN, "tls: out of memory");
		return NULL;
	}
	ts->refs = 1;
	if (alpn_wire(ts, cf->alpn, err) < 0)
		goto fail;
	if ((ts->def = server_ctx(ts, cf, &cf->def, err)) == NULL)
		goto fail;
	if (cf->nsni > 0) {
		ts->sni = calloc((size_t)cf->nsni, sizeof(*ts->sni));
		if (ts->sni == NULL) {
			snprintf(err, TLS_ERR_LEN, "tls: out of memory");
			goto fail;
		}
	}
	for (int i = 0; i < cf->nsni; i++) {
		struct tls_sni *e = &ts->sni[ts->nsni];
		if ((e->ctx = server_ctx(ts, cf, &cf->sni[i], err)) == NULL)
			goto fail;
		ts->nsni++;
		if (cf->sni[i].name && (e->name = strdup(cf->sni[i].name)) == NULL) {
			snprintf(err, TLS_ERR_LEN, "tls: out of memory");
			goto fail;
		}
		e->leaf = SSL_CTX_get0_certificate(e->ctx);
	}
	SSL_CTX_set_client_hello_cb(ts->def, hello_cb, ts);
	return ts;
fail:
	server_free(ts);
	return NULL;
}

struct tls_server *
tls_server_new(const struct tls_server_conf *cf, char *err)
{
	return server_new(cf, 0, err);
}

void
tls_server_ref(struct tls_server *ts)
{
	ts->refs++;
}

void
tls_server_unref(struct tls_server *ts)
{
	if (ts && --ts->refs == 0)
		server_free(ts);
}

int
tls_server_check(const struct tls_server_conf *cf, char *err)
{
	struct tls_server *ts = server_new(cf, 1, err);

	if (ts == NULL)
		return -1;
	tls_server_unref(ts);
	return 0;
}

struct ssl_st *
tls_server_ssl(struct tls_server *ts)
{
	return SSL_new(ts->def);
}

/* --- client contexts --- */

static struct tls_client_session *
client_session(struct tls_client *tc, const char *host, int make)
{
	struct tls_client_session *old = &tc->sessions[0];

	for (int i = 0; i < TLS_CLIENT_SESSIONS; i++) {
		struct tls_client_session *e = &tc->sessions[i];
		if (e->sess && strcasecmp(e->host, host) == 0)
			return e;
		if (e->used < old->used)
			old = e;
	}
	if (!make)
		return NULL;
	SSL_SESSION_free(old->sess);
	old->sess = NULL;
	snprintf(old->host, sizeof(old->host), "%s", host);
	return old;
}

static void
free_host(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	free(ptr);
}

/* OpenSSL hands us each session it may resume (TLS 1.3: each ticket, after
 * the handshake). Returns 1: we keep the reference. */
static int
client_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_client *tc = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	const char *host = client_host_idx >= 0 ?
	    SSL_get_ex_data(ssl, client_host_idx) : NULL;
	struct tls_client_session *e;

	if (tc == NULL || host == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	e = client_session(tc, host, 1);
	SSL_SESSION_free(e->sess);
	e->sess = sess;
	e->used = ++tc->clock;
	return 1;
}

struct tls_client *
tls_client_new(const struct tls_client_conf *cf, char *err)
{
	struct tls_client *tc = calloc(1, sizeof(*tc));
	uint8_t wire[256];
	size_t wl = 0;

	if (tc == NULL) {
		snprintf(err, TLS_ERR_LEN, "tls: out of memory");
		return NULL;
	}
	tc->refs = 1;
	tc->insecure = cf->insecure;
	if ((tc->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ssl_err(err, "context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(tc->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(tc->ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(tc->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (cf->cafile) {
		if (SSL_CTX_load_verify_locations(tc->ctx, cf->cafile, NULL) != 1) {
			char what[300];
			snprintf(what, sizeof(what), "%s", cf->cafile);
			ssl_err(err, what);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(tc->ctx) != 1) {
		ssl_err(err, "the system's trust store");
		goto fail;
	}
	SSL_CTX_set_verify(tc->ctx, cf->insecure ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	for (int i = 0; cf->alpn && cf->alpn[i] && i < TLS_ALPN_MAX; i++) {
		size_t l = strlen(cf->alpn[i]);
		if (l == 0 || l > 255 || wl + 1 + l > sizeof(wire))
			break;
		wire[wl++] = (uint8_t)l;
		memcpy(wire + wl, cf->alpn[i], l);
		wl += l;
	}
	if (wl && SSL_CTX_set_alpn_protos(tc->ctx, wire, (unsigned)wl) != 0) {
		ssl_err(err, "alpn");
		goto fail;
	}
	if (client_host_idx < 0)
		client_host_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    free_host);
	SSL_CTX_set_app_data(tc->ctx, tc);
	SSL_CTX_set_session_cache_mode(tc->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(tc->ctx, client_new_session);
	return tc;
fail:
	SSL_CTX_free(tc->ctx);
	free(tc);
	return NULL;
}

void
tls_client_ref(struct tls_client *tc)
{
	tc->refs++;
}

void
tls_client_unref(struct tls_client *tc)
{
	if (tc && --tc->refs == 0) {
		for (int i = 0; i < TLS_CLIENT_SESSIONS; i++)
			SSL_SESSION_free(tc->sessions[i].sess);
		SSL_CTX_free(tc->ctx);
		free(tc);
	}
}

static int
is_ip_literal(const char *host)
{
	uint8_t a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

struct ssl_st *
tls_client_ssl(struct tls_client *tc, const char *host, char *err)
{
	SSL *ssl = SSL_new(tc->ctx);
	char bare[256];
	size_t l;

	if (ssl == NULL) {
		ssl_err(err, "new connection");
		return NULL;
	}
	/* "[::1]" as the URL writes it: the address inside */
	l = strlen(host);
	if (l >= 2 && host[0] == '[' && host[l - 1] == ']' && l - 2 < sizeof(bare))
		snprintf(bare, sizeof(bare), "%.*s", (int)(l - 2), host + 1);
	else
		snprintf(bare, sizeof(bare), "%s", host);
	if (is_ip_literal(bare)) {
		if (!tc->insecure && X509_VERIFY_PARAM_set1_ip_asc(
		    SSL_get0_param(ssl), bare) != 1)
			goto bad;
	} else {
		/* SNI for a name only (RFC 6066 forbids literals) */
		if (SSL_set_tlsext_host_name(ssl, bare) != 1)
			goto bad;
		if (!tc->insecure) {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (SSL_set1_host(ssl, bare) != 1)
				goto bad;
		}
	}
	{
		/* the session is looked up by the name we verify against, so a
		 * session made for one host is never offered to another */
		struct tls_client_session *e = client_session(tc, bare, 0);
		char *copy = strdup(bare);
		if (copy == NULL || SSL_set_ex_data(ssl, client_host_idx,
		    copy) != 1) {
			free(copy);
			goto bad;
		}
		if (e) {
			SSL_set_session(ssl, e->sess);
			e->used = ++tc->clock;
		}
	}
	return ssl;
bad:
	ssl_err(err, bare);
	SSL_free(ssl);
	return NULL;
}

/* --- kTLS --- */

int
tls_ktls_available(void)
{
	static int known = -1;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int l = -1, c = -1, s = -1;

	if (known >= 0)
		return known;
	known = 0;
#ifdef OPENSSL_NO_KTLS
	return known;
#endif
	/* the ULP attaches only to an established connection: make one on
	 * loopback and try */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) < 0 ||
	    (c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		goto done;
	if (setsockopt(c, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == 0)
		known = 1;
done:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return known;
}
