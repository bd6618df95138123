/* http_client_int.h - what the client's I/O files (http_client.c, the
 * single fetch; http_client_page.c, --page) share: options, connections, one
 * request/response exchange. Not for other systems: they use
 * http_client.h. */
#ifndef CAMADA_HTTP_CLIENT_INT_H
#define CAMADA_HTTP_CLIENT_INT_H

#include <pthread.h>

#include "core/buf.h"
#include "core/sock.h"
#include "http/http_client.h"
#include "http/http_parse.h"

/* Exit codes, curl's numbers (listed by --help). */
enum {
	HC_OK = 0,
	HC_UNSUPPORTED = 1,	/* a scheme we do not speak (https) */
	HC_USAGE = 2,		/* bad options */
	HC_URL = 3,		/* malformed URL */
	HC_RESOLVE = 6,		/* cannot resolve host */
	HC_CONNECT = 7,		/* connection refused or failed */
	HC_WEIRD = 8,		/* a response we cannot parse */
	HC_PARTIAL = 18,	/* the body ended early */
	HC_HTTP = 22,		/* -f and status >= 400 */
	HC_WRITE = 23,		/* cannot write the output */
	HC_READ = 26,		/* cannot read -d @FILE */
	HC_TIMEOUT = 28,	/* --max-time or --connect-timeout */
	HC_REDIRS = 47,		/* more than --max-redirs redirects */
	HC_EMPTY = 52,		/* the server closed without answering */
	HC_SEND = 55,		/* sending failed */
	HC_RECV = 56,		/* receiving failed (reset) */
	/* internal: a reused connection closed before any byte came back;
	 * the request may be sent again on a new one */
	HC_STALE = -1
};

#define HC_USER_AGENT "camada/0.1.0"
#define HC_MAX_HEAD 65536		/* largest response head */
#define HC_READ_CHUNK 65536
#define HC_IDLE_MAX 32			/* parked connections kept */

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
};

struct hc_conn {
	int fd;
	char host[256];
	int port;
	int id;				/* "Connection #N", counted from 0 */
	struct buf in;
	bool reusable;			/* the last response allows another */
	unsigned served;		/* responses read on it */
	struct hc_conn **home;		/* the idle list it goes back to */
	struct hc_conn *next;		/* in the idle list */
};

struct hc_ctx {
	const struct hc_opts *o;
	pthread_mutex_t mu;		/* guards what follows */
	struct hc_conn *idle;		/* parked connections, newest first */
	unsigned conns_opened;
	struct http_client_cookie_jar jar;
	double t0;			/* start, monotonic ms */
	double deadline;		/* monotonic ms; 0: none */
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
	/* The idle list to take connections from and park them in: a
	 * worker's own (--parallel), or NULL for the shared ctx->idle. */
	struct hc_conn **idle;

	/* prepared: the request head, the cache entry we validate */
	struct buf req;
	struct http_client_cache_hit hit;
	bool conditional;

	/* out */
	char *head;			/* the final response head, owned */
	size_t head_len;
	struct http_response r;		/* slices into head */
	int status;			/* 0: no response */
	uint64_t bytes;			/* body bytes delivered */
	double connect_ms;		/* 0 when the connection was reused */
	bool reused;
	double t_sent, t_first, t_done;	/* monotonic ms */
	bool from_cache;
	bool has_location;		/* a redirect status with Location */
	char location[HTTP_CLIENT_URL_MAX + 300];	/* resolved */
	int code;			/* HC_* */
	char err[512];
};

double hc_now_ms(void);

void hc_xfer_init(struct hc_xfer *x, const char *method);
/* Frees what the exchange holds (not x itself). */
void hc_xfer_reset(struct hc_xfer *x);
/* Prepares x for another exchange (a redirect or a retry). */
void hc_xfer_clear_response(struct hc_xfer *x);

/* A connection to x->url's host: a parked one from x's idle list
 * (x->reused, connect_ms 0) unless fresh, else a new one (x->connect_ms).
 * Returns HC_OK or an error in x->code / x->err. */
int hc_conn_get(struct hc_ctx *ctx, struct hc_xfer *x, bool fresh,
    struct hc_conn **out);
/* Parks c in the list it came from if it can carry another request,
 * else closes it. ctx->mu guards every idle list. */
void hc_conn_put(struct hc_ctx *ctx, struct hc_conn *c);
void hc_conn_close(struct hc_conn *c);
/* Closes every parked connection. */
void hc_conn_drain(struct hc_ctx *ctx);

/* Builds the request (cookies, validators from the cache). */
int hc_xfer_prepare(struct hc_ctx *ctx, struct hc_xfer *x);
/* Writes the prepared request and body; sets t_sent. */
int hc_xfer_send(struct hc_ctx *ctx, struct hc_conn *c, struct hc_xfer *x);
/* Reads the response to x from c (skipping 1xx), stores cookies, serves a
 * 304 from the cache, fills the cache, hands the body to the sink. Returns
 * HC_OK, HC_STALE, or an error (also in x->code). */
int hc_xfer_read(struct hc_ctx *ctx, struct hc_conn *c, struct hc_xfer *x);

/* The whole thing for one URL: connection, request, response, one retry on
 * a stale connection, redirects when x->follow. x->url is the URL of the
 * last hop afterwards. Times add up over the hops. */
int hc_fetch(struct hc_ctx *ctx, struct hc_xfer *x);

/* Sets x->url from a URL string, with the errors of the user's URL. */
int hc_xfer_set_url(struct hc_xfer *x, const char *url);

/* --page (http_client_page.c). Returns the exit code. */
int http_client_page_run(struct hc_ctx *ctx);

/* "-v" output: one block of lines with a prefix ("> ", "< "). */
void hc_verbose_block(const char *prefix, const uint8_t *p, size_t n);
void hc_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
