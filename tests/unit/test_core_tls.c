/* test_core_tls.c - the TLS transport of conn on a real loop and loopback
 * sockets: a handshake and data both ways, records split at every byte (a
 * peer that writes one byte at a time), close_notify, a reset mid-record,
 * STARTTLS with bytes pipelined after the command (never taken as TLS), a
 * stalled handshake, garbage for a ClientHello, large transfers with
 * backpressure, files through memory, and the client's verification errors.
 * The peer is OpenSSL on memory BIOs, driven by the test byte by byte. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/conn.h"
#include "core/log.h"
#include "core/tls.h"
#include "core/tls_int.h"
#include "test.h"

/* --- certificates made here: a self-signed leaf is its own CA --- */

struct cert {
	char crt[64], key[64];
};

static int
make_cert(struct cert *out, const char *tag, const char *san, long from_s,
    long to_s)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *f;
	int rc = -1;

	snprintf(out->crt, sizeof(out->crt), "/tmp/camada-unit-%d-%s.crt",
	    (int)getpid(), tag);
	snprintf(out->key, sizeof(out->key), "/tmp/camada-unit-%d-%s.key",
	    (int)getpid(), tag);
	if (k == NULL || x == NULL)
		goto done;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid() + from_s);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)tag, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (ext == NULL)
		goto done;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, k, EVP_sha256()) == 0)
		goto done;
	if ((f = fopen(out->crt, "w")) == NULL)
		goto done;
	PEM_write_X509(f, x);
	fclose(f);
	if ((f = fopen(out->key, "w")) == NULL)
		goto done;
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	rc = 0;
done:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

static void
drop_cert(struct cert *c)
{
	unlink(c->crt);
	unlink(c->key);
}

static struct tls_server *
server_ctx(const struct cert *c, const char *const *alpn)
{
	struct tls_server_conf cf;
	char err[TLS_ERR_LEN];
	struct tls_server *ts;

	memset(&cf, 0, sizeof(cf));
	cf.def.cert = c->crt;
	cf.def.key = c->key;
	cf.alpn = alpn;
	ts = tls_server_new(&cf, err);
	ok(ts != NULL, "tls_server_new: %s", ts ? "" : err);
	return ts;
}

/* --- a conn handler that records --- */

struct rec {
	struct conn *c;
	int tls, data, eof, error, closed;
	int starttls;             /* plaintext: on "STARTTLS\r\n" upgrade */
	struct tls_server *ts;
	struct buf got;
	char tls_err[TLS_ERR_LEN];
	int echo;                 /* write back what comes */
};

static void
on_rec(struct conn *c, enum conn_ev ev, void *arg)
{
	struct rec *r = arg;

	switch (ev) {
	case CONN_EV_TLS:
		r->tls++;
		break;
	case CONN_EV_DATA:
		r->data++;
		if (r->starttls && r->tls == 0) {
			const char *nl = memchr(buf_data(&c->in), '\n', c->in.len);
			if (nl == NULL)
				break;
			size_t l = (size_t)(nl - (const char *)buf_data(&c->in)) + 1;
			if (buf_append(&r->got, buf_data(&c->in), l) != 0)
				abort();
			buf_consume(&c->in, l);
			if (conn_write(c, "220 go ahead\r\n", 14) != 0 ||
			    conn_tls_accept(c, r->ts, 2000) != 0)
				r->error += 100;
			break;
		}
		if (buf_append(&r->got, buf_data(&c->in), c->in.len) != 0)
			abort();
		if (r->echo && conn_write(c, buf_data(&c->in), c->in.len) != 0)
			r->error += 1000;
		buf_consume(&c->in, c->in.len);
		break;
	case CONN_EV_EOF:
		r->eof++;
		break;
	case CONN_EV_ERROR:
		r->error++;
		if (conn_tls_error(c))
			snprintf(r->tls_err, sizeof(r->tls_err), "%s",
			    conn_tls_error(c));
		break;
	case CONN_EV_CLOSED:
		r->closed++;
		r->c = NULL;
		break;
	default:
		break;
	}
}

/* --- the raw peer: OpenSSL on memory BIOs, bytes moved by the test --- */

struct peer {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;
	size_t chunk;             /* bytes per write(2) to the socket */
	int net_eof;
};

static void
peer_init(struct peer *p, int fd, size_t chunk, const char *alpn_wire,
    size_t alpn_len)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->chunk = chunk;
	p->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL);
	if (alpn_len)
		SSL_CTX_set_alpn_protos(p->ctx, (const unsigned char *)alpn_wire,
		    (unsigned)alpn_len);
	p->ssl = SSL_new(p->ctx);
	p->rb = BIO_new(BIO_s_mem());
	p->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(p->ssl, p->rb, p->wb);
	SSL_set_connect_state(p->ssl);
	SSL_set_tlsext_host_name(p->ssl, "localhost");
}

static void
peer_free(struct peer *p)
{
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
	if (p->fd >= 0)
		close(p->fd);
}

/* One round: what the peer's SSL wants sent goes to the socket, chunk bytes
 * per write with the loop run between writes; what the socket has goes
 * into the SSL. */
static void
peer_pump(struct peer *p, struct loop *loop)
{
	uint8_t tmp[65536];
	int n;

	while ((n = BIO_read(p->wb, tmp, (int)(p->chunk < sizeof(tmp) ?
	    p->chunk : sizeof(tmp)))) > 0) {
		ssize_t off = 0;
		while (off < n) {
			ssize_t w = write(p->fd, tmp + off, (size_t)(n - off));
			if (w < 0 && errno == EAGAIN) {
				loop_once(loop, 10);
				continue;
			}
			if (w <= 0)
				return;
			off += w;
		}
		loop_once(loop, 0);
	}
	for (;;) {
		ssize_t r = read(p->fd, tmp, sizeof(tmp));
		if (r > 0) {
			BIO_write(p->rb, tmp, (int)r);
			continue;
		}
		if (r == 0)
			p->net_eof = 1;
		break;
	}
	loop_once(loop, 5);
}

/* Handshake the peer; 1 when done within the rounds. */
static int
peer_handshake(struct peer *p, struct loop *loop, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		int r = SSL_do_handshake(p->ssl);
		if (r == 1) {
			peer_pump(p, loop); /* our Finished */
			return 1;
		}
		if (SSL_get_error(p->ssl, r) != SSL_ERROR_WANT_READ)
			return 0;
		peer_pump(p, loop);
	}
	return 0;
}

static void
peer_send(struct peer *p, struct loop *loop, const void *b, size_t n)
{
	ok(SSL_write(p->ssl, b, (int)n) == (int)n, "peer SSL_write");
	peer_pump(p, loop);
}

/* Reads what the peer decrypts into out, until want bytes or rounds. */
static size_t
peer_recv(struct peer *p, struct loop *loop, struct buf *out, size_t want,
    int rounds)
{
	uint8_t tmp[16384];

	for (int i = 0; i < rounds && out->len < want; i++) {
		int r;
		while ((r = SSL_read(p->ssl, tmp, sizeof(tmp))) > 0)
			if (buf_append(out, tmp, (size_t)r) != 0)
				abort();
		if (SSL_get_error(p->ssl, r) == SSL_ERROR_ZERO_RETURN)
			break;
		peer_pump(p, loop);
	}
	return out->len;
}

/* --- fixture: a socket pair, the server side in a conn --- */

struct fx {
	struct loop *loop;
	struct rec srv;
	struct peer peer;
	struct cert cert;
	struct tls_server *ts;
};

static int
fx_open(struct fx *f, size_t chunk, int start_tls_now, const char *alpn_wire,
    size_t alpn_len)
{
	static const char *const alpn[] = { "http/1.1", NULL };
	struct sock_addr peer;
	int sv[2];

	memset(f, 0, sizeof(*f));
	f->loop = loop_new();
	if (make_cert(&f->cert, "localhost", "DNS:localhost,IP:127.0.0.1", 0,
	    86400) < 0)
		return -1;
	f->ts = server_ctx(&f->cert, alpn);
	if (f->ts == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) < 0)
		return -1;
	memset(&peer, 0, sizeof(peer));
	buf_init(&f->srv.got, 64 * 1024 * 1024);
	f->srv.ts = f->ts;
	f->srv.c = conn_accept(f->loop, sv[0], &peer, NULL, on_rec, &f->srv,
	    NULL);
	if (f->srv.c == NULL)
		return -1;
	if (start_tls_now && conn_tls_accept(f->srv.c, f->ts, 2000) != 0)
		return -1;
	peer_init(&f->peer, sv[1], chunk, alpn_wire, alpn_len);
	return 0;
}

static void
fx_close(struct fx *f)
{
	peer_free(&f->peer);
	f->peer.fd = -1;
	for (int i = 0; i < 200 && f->srv.closed == 0; i++)
		loop_once(f->loop, 10);
	ok(f->srv.closed == 1, "server CLOSED once (%d)", f->srv.closed);
	for (int i = 0; i < 5; i++)
		loop_once(f->loop, 0);
	ok(conn_count() == 0, "no conn left (%zu)", conn_count());
	tls_server_unref(f->ts);
	drop_cert(&f->cert);
	buf_free(&f->srv.got);
	loop_free(f->loop);
}

/* --- tests --- */

static void
exchange(size_t chunk)
{
	struct fx f;
	struct buf back;
	struct conn_tls_info info;

	ok(fx_open(&f, chunk, 1, "\x08http/1.1", 9) == 0, "fixture");
	f.srv.echo = 1;
	ok(peer_handshake(&f.peer, f.loop, 4000), "handshake (chunk %zu)", chunk);
	for (int i = 0; i < 50 && f.srv.tls == 0; i++)
		loop_once(f.loop, 5);
	ok(f.srv.tls == 1, "CONN_EV_TLS once");
	ok(conn_tls_info(f.srv.c, &info) == 0 && info.version &&
	    strcmp(info.version, "TLSv1.3") == 0, "TLS 1.3");
	ok(info.alpn && strcmp(info.alpn, "http/1.1") == 0, "ALPN http/1.1");
	ok(info.sni && strcmp(info.sni, "localhost") == 0, "SNI seen");
	ok(!info.resumed, "a full handshake");
	peer_send(&f.peer, f.loop, "hello over tls\n", 15);
	buf_init(&back, 1 << 20);
	peer_recv(&f.peer, f.loop, &back, 15, 2000);
	ok(back.len == 15 && memcmp(buf_data(&back), "hello over tls\n", 15) == 0,
	    "echoed back (%zu)", back.len);
	ok(f.srv.got.len == 15, "server read 15 (%zu)", f.srv.got.len);
	/* close_notify from us: the peer reads a clean end */
	conn_close(f.srv.c);
	buf_reset(&back);
	peer_recv(&f.peer, f.loop, &back, 1, 200);
	ok((SSL_get_shutdown(f.peer.ssl) & SSL_RECEIVED_SHUTDOWN) != 0,
	    "close_notify received");
	buf_free(&back);
	fx_close(&f);
}

TEST(tls_exchange)
{
	exchange(65536);
}

TEST(tls_one_byte_at_a_time)
{
	exchange(1);
}

TEST(tls_records_split_everywhere)
{
	exchange(7);
	exchange(1000);
}

/* Many records in one go: the server must read them all though each read
 * is short (the old "a short read drains the socket" rule would stall). */
TEST(tls_many_records_one_write)
{
	struct fx f;
	char msg[64];

	ok(fx_open(&f, 1 << 20, 1, NULL, 0) == 0, "fixture");
	ok(peer_handshake(&f.peer, f.loop, 4000), "handshake");
	for (int i = 0; i < 100; i++) {
		int n = snprintf(msg, sizeof(msg), "record %03d\n", i);
		ok(SSL_write(f.peer.ssl, msg, n) == n, "queue a record");
	}
	peer_pump(&f.peer, f.loop);
	for (int i = 0; i < 100 && f.srv.got.len < 1100; i++)
		loop_once(f.loop, 5);
	ok(f.srv.got.len == 1100, "all 100 records read (%zu)", f.srv.got.len);
	fx_close(&f);
}

TEST(tls_large_both_ways)
{
	struct fx f;
	struct buf back;
	size_t total = 3 * 1024 * 1024;
	uint8_t *blob = malloc(total);

	for (size_t i = 0; i < total; i++)
		blob[i] = (uint8_t)(i * 7 + (i >> 10));
	ok(fx_open(&f, 1 << 16, 1, NULL, 0) == 0, "fixture");
	f.srv.echo = 1;
	ok(peer_handshake(&f.peer, f.loop, 4000), "handshake");
	buf_init(&back, 8 * 1024 * 1024);
	for (size_t off = 0; off < total; off += 65536) {
		ok(SSL_write(f.peer.ssl, blob + off, 65536) == 65536, "write");
		peer_pump(&f.peer, f.loop);
		peer_recv(&f.peer, f.loop, &back, 0, 1);
	}
	peer_recv(&f.peer, f.loop, &back, total, 20000);
	ok(back.len == total && memcmp(buf_data(&back), blob, total) == 0,
	    "3 MiB echoed byte-exact (%zu)", back.len);
	buf_free(&back);
	free(blob);
	fx_close(&f);
}

TEST(tls_file_through_memory)
{
	struct fx f;
	struct buf back;
	char path[64];
	size_t total = 1000003;
	uint8_t *blob = malloc(total);
	int fd;

	for (size_t i = 0; i < total; i++)
		blob[i] = (uint8_t)(i * 13 + (i >> 9));
	snprintf(path, sizeof(path), "/tmp/camada-unit-%d.bin", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, blob, total) == (ssize_t)total, "file");
	ok(fx_open(&f, 1 << 16, 1, NULL, 0) == 0, "fixture");
	ok(peer_handshake(&f.peer, f.loop, 4000), "handshake");
	ok(conn_write(f.srv.c, "head:", 5) == 0, "head");
	ok(conn_sendfile(f.srv.c, fd, 0, total, 1) == 0, "queue the file");
	ok(conn_write(f.srv.c, ":tail", 5) == 0, "tail");
	buf_init(&back, 4 * 1024 * 1024);
	peer_recv(&f.peer, f.loop, &back, total + 10, 20000);
	ok(back.len == total + 10, "all of it (%zu)", back.len);
	ok(back.len == total + 10 && memcmp(buf_data(&back), "head:", 5) == 0 &&
	    memcmp((uint8_t *)buf_data(&back) + 5, blob, total) == 0 &&
	    memcmp((uint8_t *)buf_data(&back) + 5 + total, ":tail", 5) == 0,
	    "in order, byte-exact");
	buf_free(&back);
	free(blob);
	unlink(path);
	fx_close(&f);
}

TEST(tls_reset_mid_record)
{
	struct fx f;
	uint8_t tmp[4096];
	int n;

	ok(fx_open(&f, 1 << 16, 1, NULL, 0) == 0, "fixture");
	ok(peer_handshake(&f.peer, f.loop, 4000), "handshake");
	ok(SSL_write(f.peer.ssl, "a record cut in two", 19) == 19, "write");
	n = BIO_read(f.peer.wb, tmp, sizeof(tmp));
	ok(n > 10 && write(f.peer.fd, tmp, (size_t)n / 2) == n / 2, "half sent");
	for (int i = 0; i < 5; i++)
		loop_once(f.loop, 5);
	ok(f.srv.got.len == 0, "nothing delivered from half a record");
	fx_close(&f); /* the peer goes away mid-record */
	ok(f.srv.data == 0, "no DATA at all");
}

/* STARTTLS: "STARTTLS\r\nNOOP\r\n" in one write. NOOP was sent in
 * plaintext and must never be read as if it came over TLS. */
TEST(tls_starttls_discards_pipelined)
{
	struct fx f;
	char line[64];
	ssize_t n = 0;

	ok(fx_open(&f, 1 << 16, 0, NULL, 0) == 0, "fixture");
	f.srv.starttls = 1;
	ok(write(f.peer.fd, "STARTTLS\r\nNOOP\r\n", 16) == 16, "both in one write");
	for (int i = 0; i < 100 && n <= 0; i++) {
		loop_once(f.loop, 5);
		n = read(f.peer.fd, line, sizeof(line) - 1);
	}
	ok(n == 14 && memcmp(line, "220 go ahead\r\n", 14) == 0,
	    "plaintext reply first (%zd)", n);
	ok(peer_handshake(&f.peer, f.loop, 4000), "handshake after STARTTLS");
	ok(f.srv.tls == 1, "CONN_EV_TLS");
	peer_send(&f.peer, f.loop, "EHLO again\r\n", 12);
	for (int i = 0; i < 50 && f.srv.got.len < 22; i++)
		loop_once(f.loop, 5);
	ok(f.srv.got.len == 22 && memcmp(buf_data(&f.srv.got),
	    "STARTTLS\r\nEHLO again\r\n", 22) == 0,
	    "NOOP never seen: %.*s", (int)f.srv.got.len,
	    (const char *)buf_data(&f.srv.got));
	ok(f.srv.error == 0, "no error");
	fx_close(&f);
}

TEST(tls_handshake_timeout)
{
	struct fx f;

	ok(fx_open(&f, 1 << 16, 0, NULL, 0) == 0, "fixture");
	ok(conn_tls_accept(f.srv.c, f.ts, 100) == 0, "accept with 100 ms");
	ok(conn_tls_accept(f.srv.c, f.ts, 100) != 0, "a second one refused");
	for (int i = 0; i < 100 && f.srv.closed == 0; i++)
		loop_once(f.loop, 10);
	ok(f.srv.closed == 1 && f.srv.tls == 0, "closed by the deadline");
	fx_close(&f);
}

TEST(tls_garbage_hello)
{
	struct fx f;

	ok(fx_open(&f, 1 << 16, 1, NULL, 0) == 0, "fixture");
	ok(write(f.peer.fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27) == 27,
	    "plain HTTP to a TLS port");
	for (int i = 0; i < 100 && f.srv.closed == 0; i++)
		loop_once(f.loop, 10);
	ok(f.srv.closed == 1 && f.srv.data == 0, "closed, nothing delivered");
	fx_close(&f);
}

TEST(tls_alpn_refused)
{
	struct fx f;

	ok(fx_open(&f, 1 << 16, 1, "\x02h2", 3) == 0, "fixture");
	ok(!peer_handshake(&f.peer, f.loop, 400), "h2 only: refused");
	ok(SSL_get_verify_result(f.peer.ssl) == X509_V_OK, "not a cert matter");
	fx_close(&f);
}

/* --- the client side: conn_tls_connect against our own server --- */

struct pair {
	struct loop *loop;
	struct rec srv, cli;
	struct tls_server *ts;
	struct tls_client *tc;
};

static void
pair_run_with(struct pair *p, const struct cert *server_cert,
    const char *cafile, const char *host, int insecure,
    struct tls_server *ts, struct tls_client *tc);

static void
pair_run(struct pair *p, const struct cert *server_cert, const char *cafile,
    const char *host, int insecure)
{
	pair_run_with(p, server_cert, cafile, host, insecure, NULL, NULL);
}

static void
pair_run_with(struct pair *p, const struct cert *server_cert,
    const char *cafile, const char *host, int insecure,
    struct tls_server *ts, struct tls_client *tc)
{
	struct tls_client_conf cc;
	char err[TLS_ERR_LEN];
	struct sock_addr peer;
	int sv[2];

	memset(p, 0, sizeof(*p));
	p->loop = loop_new();
	if (ts) {
		tls_server_ref(ts);
		p->ts = ts;
	} else {
		p->ts = server_ctx(server_cert, NULL);
	}
	memset(&cc, 0, sizeof(cc));
	cc.cafile = cafile;
	cc.insecure = insecure;
	if (tc) {
		tls_client_ref(tc);
		p->tc = tc;
	} else {
		p->tc = tls_client_new(&cc, err);
		ok(p->tc != NULL, "tls_client_new: %s", p->tc ? "" : err);
	}
	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == 0, "socketpair");
	memset(&peer, 0, sizeof(peer));
	buf_init(&p->srv.got, 1 << 20);
	buf_init(&p->cli.got, 1 << 20);
	p->srv.echo = 1;
	p->srv.c = conn_accept(p->loop, sv[0], &peer, NULL, on_rec, &p->srv, NULL);
	p->cli.c = conn_accept(p->loop, sv[1], &peer, NULL, on_rec, &p->cli, NULL);
	ok(conn_tls_accept(p->srv.c, p->ts, 2000) == 0, "server side");
	ok(conn_tls_connect(p->cli.c, p->tc, host, 2000) == 0, "client side");
	ok(conn_write(p->cli.c, "ping", 4) == 0, "queued before the handshake");
	for (int i = 0; i < 200 && !p->cli.tls && !p->cli.error; i++)
		loop_once(p->loop, 5);
	for (int i = 0; i < 50 && p->cli.tls && p->cli.got.len < 4; i++)
		loop_once(p->loop, 5);
}

static void
pair_close(struct pair *p)
{
	if (p->cli.c)
		conn_close(p->cli.c);
	for (int i = 0; i < 200 && (!p->cli.closed || !p->srv.closed); i++)
		loop_once(p->loop, 10);
	ok(p->cli.closed == 1 && p->srv.closed == 1, "both CLOSED");
	for (int i = 0; i < 5; i++)
		loop_once(p->loop, 0);
	ok(conn_count() == 0, "no conn left (%zu)", conn_count());
	tls_server_unref(p->ts);
	tls_client_unref(p->tc);
	buf_free(&p->srv.got);
	buf_free(&p->cli.got);
	loop_free(p->loop);
}

TEST(tls_client_verifies)
{
	struct cert good, other, old;
	struct pair p;

	ok(make_cert(&good, "good", "DNS:localhost,IP:127.0.0.1", 0, 86400) == 0,
	    "cert");
	ok(make_cert(&other, "other", "DNS:localhost", 0, 86400) == 0, "cert");
	ok(make_cert(&old, "old", "DNS:localhost", -7200, -3600) == 0, "cert");

	pair_run(&p, &good, good.crt, "localhost", 0);
	ok(p.cli.tls == 1 && p.cli.error == 0, "verified: %s", p.cli.tls_err);
	ok(p.cli.got.len == 4 && memcmp(buf_data(&p.cli.got), "ping", 4) == 0,
	    "what was queued before went over TLS and came back");
	pair_close(&p);

	pair_run(&p, &good, good.crt, "127.0.0.1", 0);
	ok(p.cli.tls == 1, "an IP literal in the certificate: %s", p.cli.tls_err);
	pair_close(&p);

	pair_run(&p, &good, other.crt, "localhost", 0);
	ok(p.cli.error == 1 && strstr(p.cli.tls_err, "unknown CA"),
	    "unknown CA: %s", p.cli.tls_err);
	pair_close(&p);

	pair_run(&p, &good, good.crt, "wrong.example", 0);
	ok(p.cli.error == 1 && strstr(p.cli.tls_err, "name mismatch"),
	    "name mismatch: %s", p.cli.tls_err);
	pair_close(&p);

	pair_run(&p, &old, old.crt, "localhost", 0);
	ok(p.cli.error == 1 && strstr(p.cli.tls_err, "expired"),
	    "expired: %s", p.cli.tls_err);
	pair_close(&p);

	pair_run(&p, &old, other.crt, "wrong.example", 1);
	ok(p.cli.tls == 1 && p.cli.error == 0, "insecure accepts all of it");
	pair_close(&p);

	drop_cert(&good);
	drop_cert(&other);
	drop_cert(&old);
}

TEST(tls_server_rejects_bad_files)
{
	struct cert a, b;
	struct tls_server_conf cf;
	char err[TLS_ERR_LEN];

	ok(make_cert(&a, "a", "DNS:a.test", 0, 86400) == 0, "cert");
	ok(make_cert(&b, "b", "DNS:b.test", 0, 86400) == 0, "cert");
	memset(&cf, 0, sizeof(cf));
	cf.def.cert = a.crt;
	cf.def.key = b.key;
	ok(tls_server_check(&cf, err) < 0 && strstr(err, "does not match"),
	    "key of another cert: %s", err);
	cf.def.key = "/nonexistent.key";
	ok(tls_server_check(&cf, err) < 0, "missing key: %s", err);
	cf.def.key = a.key;
	cf.protocols = "TLSv1.1 TLSv1.2";
	ok(tls_server_check(&cf, err) < 0 && strstr(err, "TLSv1.1"),
	    "TLS 1.1 refused as a word: %s", err);
	cf.protocols = NULL;
	cf.ciphers = "NOTACIPHER";
	ok(tls_server_check(&cf, err) < 0, "bad cipher list: %s", err);
	cf.ciphers = NULL;
	ok(tls_server_check(&cf, err) == 0, "the good pair");
	drop_cert(&a);
	drop_cert(&b);
	ERR_clear_error();
}

/* The client keeps a session per host name: the second connection to the
 * same server resumes; one to another name does not get it. */
TEST(tls_client_resumes)
{
	struct cert good;
	struct pair p;
	struct tls_server *ts;
	struct tls_client *tc;
	struct conn_tls_info info;
	int resumed;

	ok(make_cert(&good, "resume", "DNS:localhost,DNS:other.test,"
	    "IP:127.0.0.1", 0, 86400) == 0, "cert");
	pair_run(&p, &good, good.crt, "localhost", 0);
	ok(p.cli.tls == 1, "first: %s", p.cli.tls_err);
	ok(conn_tls_info(p.cli.c, &info) == 0 && !info.resumed, "full");
	ts = p.ts;
	tc = p.tc;
	tls_server_ref(ts);
	tls_client_ref(tc);
	pair_close(&p);

	pair_run_with(&p, &good, NULL, "localhost", 0, ts, tc);
	resumed = p.cli.c && conn_tls_info(p.cli.c, &info) == 0 && info.resumed;
	ok(p.cli.tls == 1 && resumed, "second resumed");
	pair_close(&p);

	pair_run_with(&p, &good, NULL, "other.test", 0, ts, tc);
	resumed = p.cli.c && conn_tls_info(p.cli.c, &info) == 0 && info.resumed;
	ok(p.cli.tls == 1 && !resumed, "another name: a full handshake");
	pair_close(&p);

	tls_server_unref(ts);
	tls_client_unref(tc);
	drop_cert(&good);
}

/* a handler that sets its timeout while the handshake runs (a line
 * protocol resetting its idle timer after the STARTTLS command, or any
 * handler after conn_tls_accept) moves the handshake deadline to "now":
 * conn_set_timeout writes last_read, which holds the deadline. */
TEST(tls_set_timeout_during_handshake)
{
	struct fx f;

	ok(fx_open(&f, 1 << 16, 1, NULL, 0) == 0, "fixture");
	conn_set_timeout(f.srv.c, 30000); /* 30 s idle for after the upgrade */
	for (int i = 0; i < 5; i++)
		loop_once(f.loop, 5);
	ok(f.srv.closed == 0, "the handshake still runs (closed=%d)",
	    f.srv.closed);
	ok(f.srv.closed == 0 && peer_handshake(&f.peer, f.loop, 4000),
	    "and finishes");
	fx_close(&f);
}

/* every tls_server of the process shares the ticket keys and the
 * session id context "camada": a session made with server A (one service
 * or vhost) resumes on server B, whose certificate the client never saw
 * and would reject. */
TEST(tls_ticket_crosses_contexts)
{
	struct cert a, b;
	struct pair p;
	struct tls_server *ta, *tb;
	struct tls_client *tc;
	struct conn_tls_info info;
	int resumed;

	ok(make_cert(&a, "ctxa", "DNS:localhost", 0, 86400) == 0, "cert a");
	ok(make_cert(&b, "ctxb", "DNS:localhost", 0, 86400) == 0, "cert b");
	pair_run(&p, &a, a.crt, "localhost", 0); /* trusts a only */
	ok(p.cli.tls == 1, "first, with A: %s", p.cli.tls_err);
	ta = p.ts;
	tc = p.tc;
	tls_server_ref(ta);
	tls_client_ref(tc);
	pair_close(&p);

	/* B's certificate is not trusted by tc: a full handshake fails */
	tb = server_ctx(&b, NULL);
	pair_run_with(&p, &b, NULL, "localhost", 0, tb, tc);
	resumed = p.cli.c && conn_tls_info(p.cli.c, &info) == 0 && info.resumed;
	ok(!(p.cli.tls == 1 && resumed),
	    "server B must not resume A's session (tls=%d resumed=%d)",
	    p.cli.tls, resumed);
	pair_close(&p);

	tls_server_unref(ta);
	tls_server_unref(tb);
	tls_client_unref(tc);
	drop_cert(&a);
	drop_cert(&b);
}

/* a client that connects and closes before finishing the handshake
 * (the "closed" reason): OpenSSL 3 reports the EOF as SSL_ERROR_SSL
 * "unexpected eof while reading" (SSL_OP_IGNORE_UNEXPECTED_EOF only covers
 * a finished handshake), so tls_describe files it under "other". */
TEST(tls_eof_mid_handshake_reason)
{
	struct fx f;
	char why[TLS_ERR_LEN];
	SSL *s;

	ok(fx_open(&f, 1 << 16, 1, NULL, 0) == 0, "fixture");
	shutdown(f.peer.fd, SHUT_WR);
	for (int i = 0; i < 100 && f.srv.closed == 0; i++)
		loop_once(f.loop, 10);
	fx_close(&f);
	/* the same on a bare SSL: EOF for a ClientHello */
	{
		struct fx g;
		ok(fx_open(&g, 1 << 16, 0, NULL, 0) == 0, "fixture 2");
		s = tls_server_ssl(g.ts);
		int sv[2];
		ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "pair");
		close(sv[1]);
		SSL_set_fd(s, sv[0]);
		SSL_set_accept_state(s);
		ERR_clear_error();
		errno = 0;
		int r = SSL_do_handshake(s);
		int e = SSL_get_error(s, r);
		enum tls_fail k = tls_describe(s, e, 0, why, sizeof(why));
		ok(k == TLS_FAIL_CLOSED, "EOF is 'closed' (got %d, ssl_err %d: %s)",
		    (int)k, e, why);
		ERR_clear_error();
		SSL_free(s);
		close(sv[0]);
		conn_abort(g.srv.c);
		fx_close(&g);
	}
}

/* with -k (insecure) the chain is not checked, but OpenSSL still
 * records its verify result; when the handshake then fails for another
 * reason (here the server goes away before its Finished), tls_describe
 * reports "certificate verify failed: unknown CA" for a certificate the
 * user told us not to check. */
TEST(tls_insecure_failure_words)
{
	struct cert c;
	struct tls_client_conf cc;
	struct tls_client *tc;
	struct rec cli;
	struct sock_addr peer;
	struct loop *loop = loop_new();
	char err[TLS_ERR_LEN];
	uint8_t tmp[65536];
	SSL_CTX *sctx;
	SSL *s;
	BIO *rb, *wb;
	int sv[2], n = 0;

	ok(make_cert(&c, "insec", "DNS:localhost", 0, 86400) == 0, "cert");
	memset(&cc, 0, sizeof(cc));
	cc.insecure = 1;
	tc = tls_client_new(&cc, err);
	ok(tc != NULL, "client ctx");
	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "pair");
	memset(&cli, 0, sizeof(cli));
	memset(&peer, 0, sizeof(peer));
	buf_init(&cli.got, 1 << 16);
	cli.c = conn_accept(loop, sv[1], &peer, NULL, on_rec, &cli, NULL);
	ok(conn_tls_connect(cli.c, tc, "localhost", 2000) == 0, "connect");
	sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate_chain_file(sctx, c.crt);
	SSL_CTX_use_PrivateKey_file(sctx, c.key, SSL_FILETYPE_PEM);
	s = SSL_new(sctx);
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new(BIO_s_mem());
	SSL_set_bio(s, rb, wb);
	SSL_set_accept_state(s);
	for (int i = 0; i < 100 && n <= 0; i++) {
		loop_once(loop, 5);
		n = (int)read(sv[0], tmp, sizeof(tmp));
	}
	ok(n > 0, "ClientHello (%d)", n);
	BIO_write(rb, tmp, n);
	ok(SSL_do_handshake(s) != 1, "server flight made");
	n = BIO_read(wb, tmp, sizeof(tmp));
	ok(n > 100, "flight %d bytes", n);
	/* everything but the Finished record (5 + 32 + 1 + 16 bytes) */
	ok(write(sv[0], tmp, (size_t)n - 54) == n - 54, "flight minus Finished");
	for (int i = 0; i < 20; i++)
		loop_once(loop, 5);
	close(sv[0]);
	for (int i = 0; i < 100 && !cli.error; i++)
		loop_once(loop, 5);
	ok(cli.error == 1, "client failed");
	ok(strstr(cli.tls_err, "certificate") == NULL,
	    "insecure: not blamed on the certificate: %s", cli.tls_err);
	for (int i = 0; i < 100 && !cli.closed; i++)
		loop_once(loop, 5);
	SSL_free(s);
	SSL_CTX_free(sctx);
	tls_client_unref(tc);
	buf_free(&cli.got);
	drop_cert(&c);
	loop_free(loop);
}
