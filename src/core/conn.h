/* conn.h - a TCP connection driven by the loop: it owns an input and an output
 * buffer, reads into `in`, tells its handler what happened, and writes what
 * the handler queued, with backpressure, timeouts, half-close, graceful close
 * and file regions sent with sendfile. Protocol code sees only this API; the
 * bytes go through a transport (plain TCP now, TLS later) it never touches.
 *
 * Life cycle:
 *   conn_accept / conn_connect ... CONNECTED? TLS? DATA* DRAINED* TIMEOUT*
 *   EOF? ... conn_close or conn_abort (or an error) ... CLOSED, once, last.
 * With TLS (conn_tls_accept, conn_tls_connect), TLS comes when the
 * handshake is done, and no DATA comes before it: the handler only ever
 * sees plaintext that came over TLS.
 * After CLOSED the handler frees its session and never touches the conn;
 * the core finishes the flush and the lingering close on its own.
 * Events are never delivered from inside a conn_* call the handler made.
 */
#ifndef CAMADA_CONN_H
#define CAMADA_CONN_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/loop.h"
#include "core/sock.h"

enum conn_ev {
	CONN_EV_CONNECTED, /* an outgoing connect finished */
	CONN_EV_TLS,       /* the TLS handshake finished: what follows is
	                    * encrypted (conn_tls_accept, conn_tls_connect) */
	CONN_EV_DATA,      /* new bytes in c->in */
	CONN_EV_DRAINED,   /* everything queued has been written */
	CONN_EV_TIMEOUT,   /* no input within the timeout; close or re-arm */
	CONN_EV_EOF,       /* the peer finished sending (half-close) */
	CONN_EV_ERROR,     /* connect failed or the connection broke */
	CONN_EV_CLOSED,    /* the end: free the session */
};

struct conn;
typedef void conn_cb(struct conn *c, enum conn_ev ev, void *arg);

struct conn_limits {
	size_t in_max;       /* input buffer bound */
	size_t out_max;      /* output buffer bound (conn_write fails past it) */
	size_t out_high;     /* stop reading while more than this is queued */
	uint64_t timeout_ms; /* input inactivity, 0: none (conn_set_timeout) */
	uint64_t write_timeout_ms; /* no write progress for this long: abort */
	uint64_t linger_ms;  /* after our last byte, read and drop this long */
	int lazy_nodelay;    /* TCP_NODELAY only when conn_nodelay asks */
};

void conn_limits_default(struct conn_limits *l);

/* How bytes reach the socket. recv and send return what recv(2)/send(2)
 * would; on -1 with EAGAIN the transport sets c->want to the direction it
 * waits for (TLS: a read may need the socket writable, a write readable).
 * A short recv means the socket is drained only when short_read_drains
 * (plain TCP): TLS returns a record at a time, so conn reads on until
 * EAGAIN. */
enum conn_want { CONN_WANT_READ = 1, CONN_WANT_WRITE = 2 };
struct conn_transport {
	const char *name;
	ssize_t (*recv)(struct conn *c, void *p, size_t n);
	ssize_t (*send)(struct conn *c, const void *p, size_t n);
	/* NULL when the transport cannot send from a file descriptor (TLS
	 * without kTLS): the core then reads the file through memory. */
	ssize_t (*sendfile)(struct conn *c, int fd, off_t *off, size_t n);
	/* 0, or -1 with EAGAIN when it must be called again once the socket
	 * is writable (TLS: the close_notify did not fit). */
	int (*shutdown_write)(struct conn *c);
	void (*free)(struct conn *c);
	/* The handshake's next step: 1 done, 0 blocked (c->want says on
	 * what), -1 failed. expired: the deadline passed; record why and
	 * return -1. NULL: nothing to do (plain TCP). */
	int (*handshake)(struct conn *c, int expired);
	/* Bytes already decrypted and waiting inside the transport. */
	size_t (*pending)(const struct conn *c);
	int short_read_drains;
};

extern const struct conn_transport conn_tcp;

#define CONN_FILES 16

struct conn_file {
	int fd;
	int owned;       /* close fd when done */
	off_t off;
	uint64_t left;
	size_t mem_before; /* bytes of `out` that go out before this region */
};

struct conn {
	struct buf in;
	struct buf out;
	struct loop *loop;
	int fd;
	struct sock_addr peer;
	struct sock_addr local;  /* read with conn_local (looked up lazily) */
	uint64_t id;           /* unique per process, for logs */
	void *user;            /* the handler's session */

	/* private to conn.c below this line */
	conn_cb *cb;
	struct loop_io io;
	struct timer timer;
	struct loop_task task;  /* flush, resume reading, deliver CLOSED */
	const struct conn_transport *tr;
	void *tr_ctx;
	const struct conn_transport *next_tr; /* TLS once the plaintext
	                          * queued before it has gone out */
	enum conn_want want;    /* set by the transport with EAGAIN */
	uint64_t tls_timeout_ms; /* the handshake's bound */
	struct conn_limits lim;
	uint64_t last_read, last_write;
	uint64_t bytes_in, bytes_out;
	struct conn_file *files; /* CONN_FILES of them while any is queued:
	                          * idle connections do not carry the array */
	int nfiles;
	size_t tail_bytes;     /* bytes of `out` after the last file region */
	int *live_counter;
	struct conn *all_prev, *all_next; /* every conn of this process */
	unsigned readable : 1, writable : 1, connecting : 1, rd_eof : 1,
	    wr_shut : 1, closing : 1, lingering : 1, dead : 1, detached : 1,
	    paused : 1, want_drained : 1, in_cb : 1, pending_data : 1,
	    eof_told : 1, shut_after_flush : 1, hup_seen : 1, nodelay : 1,
	    handshaking : 1, tls_client : 1, rd_needs_wr : 1,
	    wr_needs_rd : 1, shut_retry : 1;
};

/* Wraps an accepted fd. live (may be NULL) is incremented now and
 * decremented when the conn is freed. Returns NULL when out of memory
 * (the fd is then closed). */
struct conn *conn_accept(struct loop *loop, int fd, const struct sock_addr *peer,
    const struct conn_limits *lim, conn_cb *cb, void *user, int *live);

/* Starts an outgoing connection; CONN_EV_CONNECTED or CONN_EV_ERROR follows.
 * timeout_ms bounds the connect. NULL with err filled when it fails at once. */
struct conn *conn_connect(struct loop *loop, const struct sock_addr *to,
    uint64_t timeout_ms, const struct conn_limits *lim, conn_cb *cb,
    void *user, char *err);

/* Queue output. Return 0, or -1 when out_max would be passed (the caller
 * usually answers with an error and closes). */
int conn_write(struct conn *c, const void *p, size_t n) BUF_WUR;
int conn_printf(struct conn *c, const char *fmt, ...) BUF_WUR
	__attribute__((format(printf, 2, 3)));
/* Room for n bytes at the end of the output queue, to format into in place;
 * conn_commit(c, k) then queues the first k of them. NULL past out_max. */
uint8_t *conn_reserve(struct conn *c, size_t n) BUF_WUR;
void conn_commit(struct conn *c, size_t n);
/* Queues n bytes of fd from off, sent after what is queued now. When owned,
 * the conn closes fd when done (or at close). -1 when too many are queued. */
int conn_sendfile(struct conn *c, int fd, off_t off, uint64_t n, int owned)
    BUF_WUR;
/* Bytes still to send (memory and files). */
uint64_t conn_pending(const struct conn *c);
/* Ask for CONN_EV_DRAINED when the queue is empty. */
void conn_want_drained(struct conn *c);
/* Whether a producer should wait for CONN_EV_DRAINED before queueing more:
 * more than out_high bytes are queued, or at most one file region is free
 * (so that one more response with a file always fits). */
int conn_backlogged(const struct conn *c);

/* Whether conn_close or conn_abort was called (or the core is closing it):
 * nothing more should be queued or parsed. */
int conn_closing(const struct conn *c);
/* The input inactivity timeout in force (conn_set_timeout), 0: none. */
uint64_t conn_timeout(const struct conn *c);

/* The input inactivity timeout from now on (0: none). */
void conn_set_timeout(struct conn *c, uint64_t ms);
/* Stop and resume reading (for work done elsewhere). */
void conn_pause(struct conn *c);
void conn_resume(struct conn *c);

/* Flush what is queued, shut our side down, linger, close. */
void conn_close(struct conn *c);
/* Drop what is queued and close now. */
void conn_abort(struct conn *c);
/* Send what is queued, then shut our sending side (the peer sees EOF); keep
 * reading. */
void conn_shutdown_write(struct conn *c);

/* Connections alive in this process, and a way to end them all (shutdown). */
size_t conn_count(void);
void conn_abort_all(void);
/* Graceful: conn_close on every connection. */
void conn_close_all(void);

/* Turns Nagle's algorithm off (once). Connections get it at accept unless
 * lazy_nodelay: a server that answers once and closes saves the call, since
 * close pushes what is queued anyway. */
void conn_nodelay(struct conn *c);

/* The local address the peer connected to (one getsockname, when asked). */
const struct sock_addr *conn_local(struct conn *c);
/* How long conn_close reads and drops input after our last byte, so that a
 * peer still sending does not turn our close into a reset that destroys the
 * response in flight. 0 when nothing more can come (the request was read
 * whole): close at once. */
void conn_set_linger(struct conn *c, uint64_t ms);

/* The peer's address as text, for logs ("1.2.3.4:5678"). */
const char *conn_peer_str(const struct conn *c, char *out, size_t n);

/* ---- TLS (core/tls.h makes the contexts) ---- */
struct tls_server;
struct tls_client;

/* Runs the server side of a TLS handshake on c, then delivers CONN_EV_TLS.
 * Two uses:
 * - at once after accept (HTTPS, SMTPS): nothing has been read yet;
 * - STARTTLS: from the handler's DATA callback, after it queued its
 *   "go ahead" reply and consumed the command. The reply goes out in
 *   plaintext first; every byte already read after the command (still in
 *   c->in) is discarded, never read as if it came over TLS (CVE-2011-0411),
 *   and no more plaintext is read. The handler stops parsing, queues
 *   nothing until CONN_EV_TLS, and then starts the protocol afresh.
 * The handshake must finish within timeout_ms (0: 10 s), else the conn is
 * closed. c takes a reference on ts. A failed handshake is logged, counted
 * and closes c (the handler sees CLOSED). -1 when TLS is already on or out
 * of memory (c is untouched). */
int conn_tls_accept(struct conn *c, struct tls_server *ts,
    uint64_t timeout_ms) BUF_WUR;
/* The client side, on a connected conn (after CONN_EV_CONNECTED, or a
 * STARTTLS reply): sends what is queued in plaintext, then the handshake
 * with SNI for host (none for an IP literal) and verification of host
 * against the peer's certificate, unless the context is insecure. Then
 * CONN_EV_TLS, or CONN_EV_ERROR with conn_tls_error saying what failed
 * (errno ETIMEDOUT past timeout_ms, EPROTO otherwise). c takes a reference
 * on tc. -1 as conn_tls_accept. */
int conn_tls_connect(struct conn *c, struct tls_client *tc, const char *host,
    uint64_t timeout_ms) BUF_WUR;

/* What the handshake agreed, once CONN_EV_TLS came (NULL strings before,
 * or when not negotiated). Valid while c is. */
struct conn_tls_info {
	const char *version;   /* "TLSv1.3" */
	const char *cipher;    /* "TLS_AES_128_GCM_SHA256" */
	const char *alpn;      /* "http/1.1", or NULL */
	const char *sni;       /* the name the client asked for, or NULL */
	int resumed;           /* a resumed session */
	int ktls_send;         /* the kernel encrypts what is sent (sendfile
	                        * stays zero-copy) */
};
/* 0 and out filled when c runs TLS, -1 when it is plain TCP. */
int conn_tls_info(const struct conn *c, struct conn_tls_info *out);
int conn_is_tls(const struct conn *c);
/* After a failed conn_tls_connect (CONN_EV_ERROR): what failed, in words
 * ("certificate verify failed: certificate has expired", "certificate
 * verify failed: unknown CA (unable to get local issuer certificate)",
 * "certificate verify failed: name mismatch (...)", "handshake timed out").
 * NULL when the error was not TLS's. */
const char *conn_tls_error(const struct conn *c);

/* For conn_tls.c: c->tr_ctx is set; switch to tr once what is queued has
 * gone out in plaintext, dropping what was read and not consumed, then run
 * tr->handshake within timeout_ms, and deliver CONN_EV_TLS (client: or
 * CONN_EV_ERROR). -1 when c is closing or already switching. */
int conn_start_transport(struct conn *c, const struct conn_transport *tr,
    uint64_t timeout_ms, int client);

/* ---- for core/upstream.h: connections that change hands (a pool parks an
 * idle one, a client takes it back) ---- */
/* c's events go to cb with user from now on. */
void conn_set_handler(struct conn *c, conn_cb *cb, void *user);
/* 1 while c can carry another exchange: not closing or closed, and the
 * peer has not finished sending; else 0. */
int conn_is_open(const struct conn *c);

#endif
