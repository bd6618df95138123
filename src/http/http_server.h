/* http_server.h - what the pieces of the HTTP origin server share: its
 * configuration, the per-worker state, the per-connection session, and the
 * response helpers that http_server_static.c and http_server_demo.c write
 * through. */
#ifndef CAMADA_HTTP_SERVER_H
#define CAMADA_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/acl.h"
#include "core/conn.h"
#include "core/session.h"
#include "core/listener.h"
#include "core/server.h"
#include "http/http_chunked.h"
#include "http/http_parse.h"

extern const struct service http_service;
int http_server_main(int argc, char **argv);

struct http_conf {
	struct conf_addrs listen;
	struct conf_addrs tls_listen;
	char *tls_cert;
	char *tls_key;
	uint64_t tls_handshake_timeout;
	char *tls_ciphers;
	char *tls_protocols;
	long tls_session_cache;
	int redirect_to_https;
	char *hsts;                  /* "off" or the header's value */
	char *root;
	char *index;
	int autoindex;
	int dotfiles;
	int symlinks_outside;
	struct conf_strs vhost;      /* "name root [cert key]" */
	struct conf_strs redirect;   /* "from to [301|302|307|308]" */
	size_t max_request_line;
	size_t max_header_size;
	long max_headers;
	size_t max_body;
	uint64_t header_timeout;
	uint64_t body_timeout;
	uint64_t keepalive_timeout;
	uint64_t send_timeout;
	long max_requests;
	long max_connections;
	char *access_log;
	char *access_log_format;
	int metrics;
	struct conf_strs metrics_allow;
	int demo;
	long sessions_max;
	uint64_t session_ttl;
	char *server_name;
	int file_cache;
	uint64_t file_cache_valid;
};

struct http_vhost {
	char *name;  /* lower case, no port */
	char *root;
	int rootfd;
};

struct http_redirect {
	char *from;
	char *to;
	int status;
};

struct http_state {
	struct instance *in;
	struct http_conf *cf;
	/* Made in setup (the parent), inherited by the workers: */
	struct tls_server *tls;  /* a reference; NULL without tls-listen */
	bool is_tls[SERVER_MAX_LISTEN]; /* by in->ls index */
	int tls_port;            /* the first TLS listener's, for redirects */
	bool started;            /* start ran: the rest below is this
	                          * worker's */
	struct http_limits lim;
	struct session_set set;  /* the connections */
	int rootfd;
	struct http_vhost *vhosts;
	int nvhosts;
	struct http_redirect *redirects;
	int nredirects;
	struct acl allow;        /* metrics-allow */
	int alog_fd;     /* -1: off; 2: stderr */
	int alog_json;
};

enum http_phase {
	HTTP_IDLE,   /* between requests */
	HTTP_HEAD,   /* part of a head has arrived */
	HTTP_BODY,   /* the head is in; waiting for the body */
	HTTP_DRAIN,  /* a response is queued; waiting for it to go out */
	HTTP_DISCARD, /* answered; dropping a body nobody reads */
};

/* One connection. base.c is its conn (NULL once CLOSED). */
struct http_session {
	struct session base;     /* first: the core's part */
	struct http_state *st;
	enum http_phase phase;
	int nreq;
	struct timer head_timer;
	struct http_chunked_body cb; /* chunked: decoded after the head */
	bool sent_continue;
	uint64_t discard;    /* body bytes still to drop (HTTP_DISCARD) */
	uint64_t t_start;    /* µs, for the latency histogram */
	bool tls;            /* came over TLS (hsts; no redirect-to-https) */
};

/* One request being answered. */
struct http_txn {
	struct http_session *s;
	const struct http_request *req;
	struct slice body;
	bool keep_alive;     /* decided before the head is written */
	int status;          /* what was sent, for the log */
	uint64_t bytes;      /* body bytes sent, for the log */
	const char *root;    /* the vhost's */
	int rootfd;
};

#define HTTP_LEN_CHUNKED (-1)  /* chunked for 1.1, close-delimited for 1.0 */
#define HTTP_LEN_NONE (-2)     /* no body and no framing (204, 304) */

/* Writes the status line and the common headers (Date, Server, Connection,
 * and Content-Length when len >= 0, else see HTTP_LEN_*). extra: more header lines, each ending in CRLF,
 * or NULL. The blank line ends the head. Returns 0 or -1. */
int http_send_head(struct http_txn *t, int status, const char *ctype,
    int64_t len, const char *extra);
/* A complete response with a small body in memory. */
int http_send_body(struct http_txn *t, int status, const char *ctype,
    const void *body, size_t n, const char *extra);
/* An error page ("404 Not Found") as HTML. */
int http_send_error(struct http_txn *t, int status, const char *extra);

/* HTML-escapes s[0..n) into b. */
int http_html_escape(struct buf *b, const uint8_t *s, size_t n);

#endif
