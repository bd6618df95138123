/* echo_client.c - "camada echo [--udp] HOST PORT": each line of standard
 * input goes to the server; each reply goes to standard output, one line at
 * a time (the next line goes out when the reply to the last is in). On the
 * loop: TCP through core/upstream and conn, UDP on a udp_sock with a timer
 * per try (three tries, one second apart); names through dns_stub. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "core/loop.h"
#include "core/sock.h"
#include "core/udp.h"
#include "core/upstream.h"
#include "dns/dns_stub.h"
#include "echo/echo.h"

#define ECHO_TIMEOUT_MS 10000
#define ECHO_UDP_TRIES 3
#define ECHO_UDP_WAIT_MS 1000
#define ECHO_MAX_LINE 65536

struct echo_client {
	struct loop *loop;
	const char *host;
	int port;
	char name[300];		/* "HOST port PORT", for messages */
	uint64_t timeout_ms;	/* TCP: the connect's and each reply's */
	int code;		/* the exit code */
	int done;		/* the run is over */
	int waiting;		/* a line is out, its reply not yet in */
	char *line;		/* the line out (getline's buffer) */
	size_t cap;
	size_t len;
	struct timer timer;	/* the reply's deadline (UDP: this try's) */
	struct loop_task next;	/* the next line, after the batch */
	/* TCP */
	struct upstream *up;
	struct upstream_req *req;
	struct conn *c;
	int peer_done;		/* the server finished sending */
	/* UDP */
	struct dns_stub *stub;
	struct sock_addr to;
	int fd;
	int udp_on;
	struct udp_sock u;
	int tries;
};

static void
client_usage(FILE *f)
{
	fprintf(f, "usage: camada echo [--udp] [--timeout SECONDS] HOST PORT\n"
	    "Sends each line of standard input to the echo server at HOST "
	    "PORT\nand prints each reply (the line in upper case).\n");
}

static void
finish(struct echo_client *ec, int code)
{
	if (ec->done)
		return;
	ec->done = 1;
	ec->code = code;
	ec->waiting = 0;
	loop_timer_stop(ec->loop, &ec->timer);
	loop_defer_cancel(ec->loop, &ec->next);
}

/* The next line of standard input into ec->line (without its LF when
 * strip). A terminal or a file is read directly: there is nothing for the
 * loop to do meanwhile (one line is out at a time, and epoll cannot watch
 * a regular file). 0, or -1 at the end of input. */
static int
read_line(struct echo_client *ec, int strip)
{
	ssize_t n = getline(&ec->line, &ec->cap, stdin);

	if (n <= 0)
		return -1;
	ec->len = (size_t)n;
	if (strip) {
		if (ec->len > 0 && ec->line[ec->len - 1] == '\n')
			ec->len--;
		if (ec->len > 0 && ec->line[ec->len - 1] == '\r')
			ec->len--;
	} else if (ec->line[ec->len - 1] != '\n') {
		/* the last line had no newline: send one all the same */
		char *nl = realloc(ec->line, ec->len + 2);
		if (nl == NULL)
			return -1;
		ec->line = nl;
		ec->cap = ec->len + 2;
		ec->line[ec->len++] = '\n';
		ec->line[ec->len] = '\0';
	}
	return 0;
}

static void
print_reply(const uint8_t *p, size_t n, int add_lf)
{
	fwrite(p, 1, n, stdout);
	if (add_lf)
		fputc('\n', stdout);
	fflush(stdout);
}

/* ---- TCP: upstream, then one conn ---- */

static void
tcp_next(struct loop *loop, void *arg)
{
	struct echo_client *ec = arg;

	if (ec->done || ec->c == NULL)
		return;
	/* the server closed after the last reply (after "bye"): the rest of
	 * the input is not sent */
	if (ec->peer_done || !conn_is_open(ec->c) || read_line(ec, 0) < 0) {
		conn_close(ec->c);
		return;
	}
	if (conn_write(ec->c, ec->line, ec->len) < 0) {
		fprintf(stderr, "camada echo: send: %s\n", strerror(ENOBUFS));
		finish(ec, 1);
		conn_abort(ec->c);
		return;
	}
	ec->waiting = 1;
	if (loop_timer_start(loop, &ec->timer, ec->timeout_ms, 0) < 0) {
		fprintf(stderr, "camada echo: out of memory\n");
		finish(ec, 1);
		conn_abort(ec->c);
	}
}

/* A reply in c->in: up to its LF, or ECHO_MAX_LINE bytes without one, or
 * (at the server's EOF) whatever is left. */
static void
tcp_reply(struct echo_client *ec, int eof)
{
	struct conn *c = ec->c;
	const uint8_t *p = buf_data(&c->in);
	const uint8_t *lf = memchr(p, '\n', c->in.len);
	size_t n;

	if (lf)
		n = (size_t)(lf - p) + 1;
	else if (c->in.len >= ECHO_MAX_LINE || (eof && c->in.len > 0))
		n = c->in.len;
	else
		return;
	print_reply(p, n, 0);
	buf_consume(&c->in, n);
	ec->waiting = 0;
	loop_timer_stop(ec->loop, &ec->timer);
	if (!eof)
		loop_defer(ec->loop, &ec->next, tcp_next, ec);
}

static void
on_conn(struct conn *c, enum conn_ev ev, void *arg)
{
	struct echo_client *ec = arg;

	switch (ev) {
	case CONN_EV_DATA:
		/* bytes that come before a line is out wait for it */
		if (ec->waiting)
			tcp_reply(ec, 0);
		break;
	case CONN_EV_EOF:
		/* the server closed: what is left is the last reply */
		ec->peer_done = 1;
		if (ec->waiting)
			tcp_reply(ec, 1);
		finish(ec, 0);
		conn_close(c);
		break;
	case CONN_EV_ERROR:
		if (ec->waiting && !ec->peer_done) {
			fprintf(stderr, "camada echo: no reply from %s\n",
			    ec->name);
			finish(ec, 1);
		}
		break;
	case CONN_EV_CLOSED:
		ec->c = NULL;
		finish(ec, ec->code);
		break;
	default:
		break;
	}
}

static void
on_upstream(void *arg, enum upstream_ev ev, const struct upstream_result *r)
{
	struct echo_client *ec = arg;

	if (ev == UPSTREAM_EV_TRYING)
		return;
	ec->req = NULL;
	if (ev == UPSTREAM_EV_CONNECTED) {
		ec->c = r->c;
		conn_set_handler(r->c, on_conn, ec);
		tcp_next(ec->loop, ec);
		return;
	}
	if (r->err == UPSTREAM_ERR_RESOLVE) {
		fprintf(stderr, "camada echo: %s: %s\n", ec->host, r->errstr);
		fprintf(stderr, "camada echo: cannot resolve %s port %d\n",
		    ec->host, ec->port);
	} else {
		fprintf(stderr, "camada echo: connect %s: %s\n", ec->name,
		    r->err == UPSTREAM_ERR_TIMEOUT ? "timed out" : r->errstr);
	}
	finish(ec, 1);
}

static int
tcp_start(struct echo_client *ec)
{
	struct upstream_conf uc;

	memset(&uc, 0, sizeof(uc));
	uc.connect_timeout_ms = ec->timeout_ms;
	conn_limits_default(&uc.lim);
	uc.lim.in_max = ECHO_MAX_LINE;
	uc.lim.timeout_ms = 0;		/* the reply's timer is ours */
	uc.lim.linger_ms = 0;
	dns_stub_as_lookup(&uc.lookup, NULL);
	ec->up = upstream_new(ec->loop, &uc);
	if (ec->up == NULL)
		return -1;
	ec->req = upstream_connect(ec->up, ec->host, ec->port, UPSTREAM_FRESH,
	    on_upstream, ec);
	return ec->req ? 0 : -1;
}

/* ---- UDP: dns_stub, then a connected udp_sock ---- */

static void
udp_send_try(struct echo_client *ec)
{
	ec->tries++;
	/* refused by the kernel (an earlier ICMP error): this try is lost,
	 * the timer sends the next */
	(void)udp_send(&ec->u, ec->line, ec->len, &ec->to);
	if (loop_timer_start(ec->loop, &ec->timer, ECHO_UDP_WAIT_MS, 0) < 0) {
		fprintf(stderr, "camada echo: out of memory\n");
		finish(ec, 1);
	}
}

static void
udp_next(struct loop *loop, void *arg)
{
	struct echo_client *ec = arg;

	if (ec->done)
		return;
	if (read_line(ec, 1) < 0) {
		finish(ec, 0);
		return;
	}
	ec->waiting = 1;
	ec->tries = 0;
	udp_send_try(ec);
}

static void
on_dgram(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	struct echo_client *ec = arg;

	/* connect() already makes the kernel drop datagrams from others */
	if (!ec->waiting || !sock_addr_equal(from, &ec->to))
		return;
	print_reply(p, n > ECHO_MAX_LINE ? ECHO_MAX_LINE : n, 1);
	ec->waiting = 0;
	loop_timer_stop(ec->loop, &ec->timer);
	loop_defer(ec->loop, &ec->next, udp_next, ec);
}

static void
on_resolved(void *arg, int n, const struct sock_addr *a, const char *err)
{
	struct echo_client *ec = arg;

	ec->stub = NULL;
	if (n <= 0) {
		fprintf(stderr, "camada echo: %s: %s\n", ec->host, err);
		fprintf(stderr, "camada echo: cannot resolve %s port %d\n",
		    ec->host, ec->port);
		finish(ec, 1);
		return;
	}
	ec->to = a[0];
	ec->fd = socket(ec->to.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (ec->fd < 0) {
		fprintf(stderr, "camada echo: socket: %s\n", strerror(errno));
		finish(ec, 1);
		return;
	}
	/* connect() makes the kernel drop datagrams from anyone else */
	if (connect(ec->fd, (const struct sockaddr *)&ec->to.ss,
	    ec->to.len) < 0) {
		fprintf(stderr, "camada echo: %s: %s\n", ec->name,
		    strerror(errno));
		finish(ec, 1);
		return;
	}
	if (udp_start(&ec->u, ec->loop, ec->fd, ECHO_MAX_LINE, on_dgram,
	    ec) < 0) {
		fprintf(stderr, "camada echo: socket: out of memory\n");
		finish(ec, 1);
		return;
	}
	ec->udp_on = 1;
	udp_next(ec->loop, ec);
}

/* ---- the command ---- */

static void
on_timer(struct loop *loop, struct timer *t, void *arg)
{
	struct echo_client *ec = arg;

	if (ec->done || !ec->waiting)
		return;
	if (ec->udp_on && ec->tries < ECHO_UDP_TRIES) {
		udp_send_try(ec);
		return;
	}
	fprintf(stderr, "camada echo: no reply from %s\n", ec->name);
	finish(ec, 1);
	if (ec->c)
		conn_abort(ec->c);
}

int
echo_client_main(int argc, char **argv)
{
	const char *host = NULL, *port = NULL;
	struct echo_client ec;
	int udp = 0, timeout_ms = ECHO_TIMEOUT_MS;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--udp") == 0 ||
		    strcmp(argv[i], "-u") == 0) {
			udp = 1;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			client_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout_ms = atoi(argv[++i]) * 1000;
			if (timeout_ms <= 0) {
				client_usage(stderr);
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "camada echo: unknown flag '%s'\n",
			    argv[i]);
			client_usage(stderr);
			return 2;
		} else if (host == NULL) {
			host = argv[i];
		} else if (port == NULL) {
			port = argv[i];
		} else {
			client_usage(stderr);
			return 2;
		}
	}
	/* both are needed, as the help says (nc without a port is a usage
	 * error too) */
	if (host == NULL || port == NULL) {
		fprintf(stderr, "camada echo: %s\n", host == NULL ?
		    "HOST and PORT are needed" : "PORT is needed");
		client_usage(stderr);
		return 2;
	}
	memset(&ec, 0, sizeof(ec));
	ec.host = host;
	ec.port = atoi(port);
	ec.fd = -1;
	ec.timeout_ms = (uint64_t)timeout_ms;
	if (ec.port <= 0 || ec.port > 65535) {
		fprintf(stderr, "camada echo: cannot resolve %s port %s\n",
		    host, port);
		return 1;
	}
	snprintf(ec.name, sizeof(ec.name), "%s port %s", host, port);
	ec.loop = loop_new();
	if (ec.loop == NULL) {
		fprintf(stderr, "camada echo: cannot make the event loop\n");
		return 1;
	}
	timer_init(&ec.timer, on_timer, &ec);
	if (udp) {
		struct dns_stub_conf conf;
		memset(&conf, 0, sizeof(conf));
		ec.stub = dns_stub_start(ec.loop, &conf, host, ec.port,
		    on_resolved, &ec);
		if (ec.stub == NULL)
			finish(&ec, 1);
	} else if (tcp_start(&ec) < 0) {
		fprintf(stderr, "camada echo: out of memory\n");
		finish(&ec, 1);
	}
	/* TCP: the run ends at the conn's CLOSED (or an upstream error) */
	while (!ec.done || ec.c)
		if (loop_once(ec.loop, -1) < 0) {
			ec.code = 1;
			break;
		}
	loop_timer_stop(ec.loop, &ec.timer);
	dns_stub_cancel(ec.stub);
	if (ec.udp_on)
		udp_stop(&ec.u);
	if (ec.fd >= 0)
		close(ec.fd);
	if (ec.up)
		upstream_free(ec.up);	/* cancels a request under way */
	conn_abort_all();
	/* what was aborted, and the lookups' queries, end from the loop */
	for (int i = 0; i < 100 && conn_count() > 0; i++)
		loop_once(ec.loop, 10);
	loop_once(ec.loop, 0);
	loop_free(ec.loop);
	free(ec.line);
	return ec.code;
}
