/* conn_tls.c - the TLS transport of conn: SSL_read/SSL_write/SSL_sendfile on
 * the connection's socket, the handshake step, close_notify, and the
 * conn_tls_* calls of conn.h. The contexts are tls.c's; when the kernel
 * encrypts (kTLS), the file path of conn stays sendfile.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/conn.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/tls_int.h"

struct tls_conn {
	SSL *ssl;
	struct tls_server *ts;   /* one of the two, a reference */
	struct tls_client *tc;
	int ktls;
	int broken;              /* a fatal error: no close_notify then */
	char alpn[64];           /* the protocol agreed, NUL-terminated */
	char err[TLS_ERR_LEN];   /* why the handshake failed */
};

static struct tls_conn *
ctx_of(const struct conn *c)
{
	return c->tr_ctx;
}

/* SSL_get_error's answer for a read or write, as errno (and c->want). */
static ssize_t
io_error(struct conn *c, struct tls_conn *t, int r)
{
	int e = SSL_get_error(t->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want = CONN_WANT_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = CONN_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0; /* close_notify */
	case SSL_ERROR_SYSCALL:
		t->broken = 1;
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN)
			return 0; /* EOF without close_notify */
		return -1;
	default:
		t->broken = 1;
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

static ssize_t
tls_recv(struct conn *c, void *p, size_t n)
{
	struct tls_conn *t = ctx_of(c);
	int r;

	ERR_clear_error(); /* SSL_get_error reads the queue */
	errno = 0;
	r = SSL_read(t->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
	return r > 0 ? r : io_error(c, t, r);
}

static ssize_t
tls_send(struct conn *c, const void *p, size_t n)
{
	struct tls_conn *t = ctx_of(c);
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(t->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
	if (r > 0)
		return r;
	r = (int)io_error(c, t, r);
	if (r == 0) {
		errno = EPIPE; /* a write cannot see an EOF */
		return -1;
	}
	return r;
}

/* kTLS: the kernel encrypts the file's pages as it sends them. */
static ssize_t
tls_sendfile(struct conn *c, int fd, off_t *off, size_t n)
{
	struct tls_conn *t = ctx_of(c);
	ossl_ssize_t r;

	ERR_clear_error();
	errno = 0;
	r = SSL_sendfile(t->ssl, fd, *off, n, 0);
	if (r > 0) {
		*off += r;
		return r;
	}
	if (errno == EINTR || errno == EBUSY) {
		/* OpenSSL marks these "retry" too, but no edge will come:
		 * conn's flush loop tries again at once */
		errno = EINTR;
		return -1;
	}
	if (SSL_get_error(t->ssl, (int)r) == SSL_ERROR_WANT_WRITE) {
		c->want = CONN_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	t->broken = 1;
	ERR_clear_error();
	if (errno == 0)
		errno = EIO;
	return -1;
}

/* close_notify, then the TCP FIN. */
static int
tls_shutdown_write(struct conn *c)
{
	struct tls_conn *t = ctx_of(c);

	if (!t->broken && SSL_is_init_finished(t->ssl)) {
		/* sends ours; theirs is not waited for */
		ERR_clear_error();
		int r = SSL_shutdown(t->ssl);
		if (r < 0 && SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			errno = EAGAIN; /* the alert waits for room: again */
			return -1;
		}
	}
	ERR_clear_error();
	return shutdown(c->fd, SHUT_WR);
}

static void
tls_free(struct conn *c)
{
	struct tls_conn *t = ctx_of(c);

	if (t == NULL)
		return;
	/* A connection that ended without an error keeps its session
	 * resumable: OpenSSL would drop it unless our close_notify went out,
	 * and a peer's EOF without one (allowed, see
	 * SSL_OP_IGNORE_UNEXPECTED_EOF) clears that flag. */
	if (!t->broken && SSL_is_init_finished(t->ssl))
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(t->ssl);
	tls_server_unref(t->ts);
	tls_client_unref(t->tc);
	free(t);
	c->tr_ctx = NULL;
}

static size_t
tls_pending(const struct conn *c)
{
	struct tls_conn *t = ctx_of(c);
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

static int tls_handshake(struct conn *c, int expired);

/* A failed handshake is worth a line, but a scanner makes thousands: at
 * most LOG_PER_SECOND lines a second, then one that says how many were
 * left out (the metrics count them all). */
#define LOG_PER_SECOND 10

static void
log_failure(struct conn *c, const char *why)
{
	static uint64_t second;
	static unsigned said, dropped;
	uint64_t now = loop_now(c->loop) / 1000;
	char peer[SOCK_ADDR_STRLEN];

	if (now != second) {
		if (dropped)
			log_info("tls: %u more failed handshakes not logged",
			    dropped);
		second = now;
		said = dropped = 0;
	}
	if (said++ < LOG_PER_SECOND)
		log_info("tls: handshake with %s failed: %s",
		    conn_peer_str(c, peer, sizeof(peer)), why);
	else
		dropped++;
}

static const struct conn_transport conn_tls = {
	"tls", tls_recv, tls_send, NULL, tls_shutdown_write, tls_free,
	tls_handshake, tls_pending, 0,
};

static const struct conn_transport conn_ktls = {
	"ktls", tls_recv, tls_send, tls_sendfile, tls_shutdown_write, tls_free,
	tls_handshake, tls_pending, 0,
};

static int
tls_handshake(struct conn *c, int expired)
{
	struct tls_conn *t = ctx_of(c);
	enum tls_fail why;
	int r, e;
	char peer[SOCK_ADDR_STRLEN];

	if (expired) {
		snprintf(t->err, sizeof(t->err), "handshake timed out");
		tls_count_failure(TLS_FAIL_TIMEOUT);
		if (t->ts)
			log_debug("tls: handshake with %s timed out",
			    conn_peer_str(c, peer, sizeof(peer)));
		return -1;
	}
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		const unsigned char *a = NULL;
		unsigned int al = 0;
		SSL_get0_alpn_selected(t->ssl, &a, &al);
		if (al && al < sizeof(t->alpn)) {
			memcpy(t->alpn, a, al);
			t->alpn[al] = '\0';
		}
		t->ktls = BIO_get_ktls_send(SSL_get_wbio(t->ssl)) ? 1 : 0;
		if (t->ktls)
			c->tr = &conn_ktls;
		tls_count_done(t->ssl, t->ktls);
		return 1;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		c->want = CONN_WANT_READ;
		return 0;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		c->want = CONN_WANT_WRITE;
		return 0;
	}
	t->broken = 1;
	why = tls_describe(t->ssl, e, t->tc != NULL, t->err, sizeof(t->err));
	ERR_clear_error();
	tls_count_failure(why);
	if (t->ts)
		log_failure(c, t->err);
	return -1;
}

static int
start(struct conn *c, struct tls_conn *t, uint64_t timeout_ms, int client)
{
	if (SSL_set_fd(t->ssl, c->fd) != 1) {
		ERR_clear_error();
		return -1;
	}
	c->tr_ctx = t;
	if (conn_start_transport(c, &conn_tls,
	    timeout_ms, client) < 0) {
		c->tr_ctx = NULL;
		return -1;
	}
	return 0;
}

int
conn_tls_accept(struct conn *c, struct tls_server *ts, uint64_t timeout_ms)
{
	struct tls_conn *t;

	if (c->tr_ctx || c->tr != &conn_tcp || (t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	if ((t->ssl = tls_server_ssl(ts)) == NULL) {
		ERR_clear_error();
		free(t);
		return -1;
	}
	SSL_set_accept_state(t->ssl);
	t->ts = ts;
	if (start(c, t, timeout_ms, 0) < 0) {
		SSL_free(t->ssl);
		free(t);
		return -1;
	}
	tls_server_ref(ts);
	return 0;
}

int
conn_tls_connect(struct conn *c, struct tls_client *tc, const char *host,
    uint64_t timeout_ms)
{
	struct tls_conn *t;

	if (c->tr_ctx || c->tr != &conn_tcp || (t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	/* OpenSSL writes to the socket with write(2): a peer gone away must
	 * be EPIPE, not a signal that kills a client (servers ignore it) */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		free(t);
		return -1;
	}
	if ((t->ssl = tls_client_ssl(tc, host, t->err)) == NULL) {
		free(t);
		return -1;
	}
	SSL_set_connect_state(t->ssl);
	t->tc = tc;
	if (start(c, t, timeout_ms, 1) < 0) {
		SSL_free(t->ssl);
		free(t);
		return -1;
	}
	tls_client_ref(tc);
	return 0;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tr == &conn_tls || c->tr == &conn_ktls;
}

int
conn_tls_info(const struct conn *c, struct conn_tls_info *out)
{
	struct tls_conn *t;

	memset(out, 0, sizeof(*out));
	if (!conn_is_tls(c) || (t = ctx_of(c)) == NULL)
		return -1;
	if (c->handshaking)
		return 0;
	out->version = SSL_get_version(t->ssl);
	out->cipher = SSL_get_cipher_name(t->ssl);
	out->alpn = t->alpn[0] ? t->alpn : NULL;
	out->sni = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
	out->resumed = SSL_session_reused(t->ssl);
	out->ktls_send = t->ktls;
	return 0;
}

const char *
conn_tls_error(const struct conn *c)
{
	struct tls_conn *t;

	if (!conn_is_tls(c) || (t = ctx_of(c)) == NULL || t->err[0] == '\0')
		return NULL;
	return t->err;
}
