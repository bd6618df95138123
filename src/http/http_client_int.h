/* http_client_int.h - what the client's files (http_client.c, the single
 * fetch; http_client_xfer.c, the engine; http_client_page.c, --page) share:
 * options, the run's context on the loop, one request/response exchange and
 * the lanes that carry them. Not for other systems: they use
 * http_client.h. */
#ifndef CAMADA_HTTP_CLIENT_INT_H
#define CAMADA_HTTP_CLIENT_INT_H

#include "core/buf.h"
#include "core/loop.h"
#include "core/sock.h"
#include "core/upstream.h"
#include "dns/dns_stub.h"
#include "http/http_client.h"
#include "http/http_parse.h"

/* Exit codes, curl's numbers (listed by --help). */
enum {
	HC_OK = 0,
	HC_UNSUPPORTED = 1,	/* a scheme we do not speak (ftp) */
	HC_USAGE = 2,		/* bad options */
	HC_URL = 3,		/* malformed URL */
	HC_RESOLVE = 6,		/* cannot resolve host */
	HC_CONNECT = 7,		/* connection refused or failed */
	HC_WEIRD = 8,		/* a response we cannot parse */
	HC_PARTIAL = 18,	/* the body ended early */
	HC_HTTP = 22,		/* -f and status >= 400 */
	HC_WRITE = 23,		/* cannot write the output */
	HC_READ = 26,		/* cannot read -d @FILE */
	HC_NOMEM = 27,		/* out of memory (the request head over
				 * HC_MAX_REQUEST, as curl) */
	HC_TIMEOUT = 28,	/* --max-time or --connect-timeout */
	HC_RANGE = 33,		/* -C: the server ignored the Range */
	HC_TLS = 35,		/* the TLS handshake failed (not the
				 * certificate: a protocol or ALPN alert,
				 * a plain server, a reset) */
	HC_REDIRS = 47,		/* more than --max-redirs redirects */
	HC_EMPTY = 52,		/* the server closed without answering */
	HC_SEND = 55,		/* sending failed */
	HC_RECV = 56,		/* receiving failed (reset) */
	HC_VERIFY = 60,		/* the server's certificate failed
				 * verification (chain, expiry, name) */
	HC_CACERT = 77,		/* --cacert (or the system store) cannot
				 * be read */
	/* internal: a reused connection closed before any byte came back;
	 * the request may be sent again on a new one */
	HC_STALE = -1
};

#define HC_USER_AGENT "camada/0.1.0"
#define HC_MAX_HEAD 65536		/* largest response head */
#define HC_MAX_REQUEST (1024 * 1024)	/* largest request head: curl's
					 * bound (DYN_HTTP_REQUEST) */
#define HC_MAX_INTERIM 16		/* 1xx responses per exchange */
#define HC_READ_CHUNK 65536
#define HC_IDLE_MAX 32			/* parked connections kept per host */
#define HC_PIPE_DEPTH 32		/* requests in flight per connection */

struct hc_opts {
	const char *url;
	const char *out_file;		/* -o; NULL: stdout */
	bool head;			/* -I */
	bool verbose, silent, fail, follow;
	bool page, pipeline, no_keepalive;
	const char *method;		/* -X; NULL: by the other options */
	char *data;			/* -d, joined with '&'; owned */
	size_t data_len;
	bool has_data;
	const char *headers[64];	/* -H, as given */
	size_t nheaders;
	int max_redirs;
	double max_time;		/* seconds; 0: none */
	double connect_timeout;		/* seconds; 0: the default */
	int parallel;			/* --parallel N, >= 1 */
	const char *cookie_jar;
	const char *cache_dir;
	bool use_resolver;		/* --resolver: names through DNS */
	struct sock_addr resolver;
	bool include;			/* -i: the head before the body */
	bool remote_name;		/* -O: -o the URL's last segment */
	const char *range;		/* -r RANGE, as given */
	bool resume_auto;		/* -C -: from -o FILE's size */
	int64_t resume_from;		/* -C N, or what -C - found; 0: none */
	const char *write_out;		/* -w FORMAT (@FILE read already) */
	const char *cacert;		/* --cacert FILE; NULL: the system's
					 * trust store */
	bool insecure;			/* -k: no certificate verification */
	char *owned[3];			/* the URL with http:// added, -O's
					 * name, -w @FILE's text */
	char range_hdr[160];		/* "Range: bytes=...", in headers[] */
};

struct hc_lane;

/* The run: one loop, one deadline, two pools of connections (upstream):
 * plain ones and TLS ones, so that the pool never hands an https request
 * a plain connection or the other way round (a TLS connection is parked
 * under the host name it was verified for). */
struct hc_ctx {
	const struct hc_opts *o;
	struct loop *loop;
	struct upstream *up;		/* http */
	struct upstream *up_tls;	/* https */
	/* the run's TLS context, made at the first https connection (a plain
	 * run never reads the trust store); tls_err when that failed */
	struct tls_client *tls;
	char tls_err[320];
	uint64_t connect_timeout_ms;	/* TCP connect, and TLS handshake */
	struct dns_stub_conf stub;
	unsigned conns_opened;
	struct http_client_cookie_jar jar;
	double t0;			/* start, monotonic ms */
	double deadline;		/* monotonic ms; 0: none */
	struct timer deadline_timer;
	bool timed_out;			/* --max-time passed: all stops */
	struct hc_lane *lanes;		/* running, for the deadline */
	int busy;			/* lanes running; the loop stops at 0 */
};

/* Body bytes as they arrive: 0, or -1 to stop with HC_WRITE. */
typedef int hc_sink(void *arg, const uint8_t *p, size_t n);

/* One request and its response. */
struct hc_xfer {
	/* in */
	char method[32];
	struct http_client_url url;
	const uint8_t *body;		/* borrowed */
	size_t body_len;
	bool has_body;			/* send Content-Length even if 0 */
	bool follow;			/* discard redirect bodies */
	bool fail;			/* -f: >= 400 is HC_HTTP, no body */
	bool print_head;		/* -I: the head goes to the sink */
	bool cross_host;		/* a redirect left the first host: the
					 * user's Authorization and Cookie stay
					 * behind */
	hc_sink *sink;			/* NULL: count and drop */
	void *sink_arg;

	/* prepared: the request head, the cache entry we validate */
	struct buf req;
	struct http_client_cache_hit hit;
	bool conditional;

	/* the lane's bookkeeping */
	int hops;			/* redirects followed */
	int stale;			/* sent again: the connection was
					 * stale */

	/* out */
	char *head;			/* the final response head, owned */
	size_t head_len;
	struct http_response r;		/* slices into head */
	int status;			/* 0: no response */
	uint64_t bytes;			/* body bytes delivered */
	double connect_ms;		/* 0 when the connection was reused */
	double tls_ms;			/* TCP connected to TLS handshake done;
					 * 0 when reused or plain */
	double t_connected;		/* monotonic ms: the connection was
					 * ready (made or taken) */
	double t_tls;			/* monotonic ms: TLS ready (handshake
					 * done, or a TLS one taken); 0:
					 * plain */
	struct sock_addr remote;	/* the peer it went to (has_remote) */
	bool has_remote;
	bool reused;
	double t_sent, t_first, t_done;	/* monotonic ms */
	bool from_cache;
	bool has_location;		/* a redirect status with Location */
	char location[HTTP_CLIENT_URL_MAX + 300];	/* resolved */
	int code;			/* HC_* */
	char err[512];
};

/* A lane carries a list of exchanges over one connection at a time, in
 * order: one by one (depth 1: the connection goes back to the pool after
 * each and is taken again, as a browser does), or pipelined (depth > 1:
 * the connection is kept, and what a closing server left unanswered goes
 * again on a new one). Redirects are followed in place at depth 1; a
 * pipelined lane follows them one by one at its end. done(l) runs from the
 * loop when every exchange has its code. */
struct hc_lane {
	struct hc_ctx *ctx;
	struct hc_xfer **xs;		/* the exchanges are borrowed; a
					 * pipelined lane reorders this array */
	size_t n;
	size_t depth;
	bool pool_first;		/* the first connection may be a parked
					 * one (else a new one) */
	void (*done)(struct hc_lane *l);
	void *arg;

	/* private to http_client_xfer.c */
	size_t next;			/* first exchange without its code */
	size_t sent;			/* exchanges sent on the connection */
	bool follow_phase;		/* the pipelined lane's redirects */
	bool acquired;			/* a connection was asked for once */
	bool fresh;			/* the next one must be new */
	bool running;
	struct hc_conn *hc;
	struct upstream_req *req;
	double t_connect;
	struct loop_task task;
	struct hc_lane *lnext, *lprev;	/* ctx->lanes */
};

double hc_now_ms(void);

/* Sets up ctx for o (the loop, the pool, the lookup, the deadline), and
 * frees it; 0 or -1 with a message on stderr. */
int hc_ctx_init(struct hc_ctx *ctx, const struct hc_opts *o);
void hc_ctx_free(struct hc_ctx *ctx);
/* Runs the loop until no lane is busy. */
void hc_ctx_run(struct hc_ctx *ctx);

void hc_xfer_init(struct hc_xfer *x, const char *method);
/* Frees what the exchange holds (not x itself). */
void hc_xfer_reset(struct hc_xfer *x);
/* Prepares x for another exchange (a redirect or a retry). */
void hc_xfer_clear_response(struct hc_xfer *x);
/* Sets x->url from a URL string, with the errors of the user's URL. */
int hc_xfer_set_url(struct hc_xfer *x, const char *url);

/* Starts l (fields above the private line set by the caller); l must stay
 * until its done callback. Every exchange ends with x->code (HC_*) and
 * x->err; x->url is the URL of the last hop. */
void hc_lane_start(struct hc_lane *l);
/* Runs the one exchange x on a lane of its own (a parked connection first)
 * until it is done. Returns x->code. */
int hc_run_one(struct hc_ctx *ctx, struct hc_xfer *x);

/* --page (http_client_page.c). Returns the exit code. */
int http_client_page_run(struct hc_ctx *ctx);

/* "-v" output: one block of lines with a prefix ("> ", "< "). */
void hc_verbose_block(const char *prefix, const uint8_t *p, size_t n);
void hc_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
