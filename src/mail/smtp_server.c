/* smtp_server.c - the SMTP server (RFC 5321): mail from other servers on
 * `listen`, from users on `submission` (RFC 6409, AUTH), delivered into
 * local Maildirs or written to the queue before the 250. Not here: the
 * relay client and the queue's runner (mail_queue, mail_relay).
 *
 * Pipelining (RFC 2920): commands are read and answered in order, one at
 * a time; a command whose answer needs slow work (a delivery, a password
 * check) pauses reading until the answer is queued, so nothing is read
 * past what the state allows (the bytes after STARTTLS are dropped by the
 * core, never read as commands).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/cli.h"
#include "core/conn.h"
#include "core/dot.h"
#include "core/line.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/session.h"
#include "core/tls.h"
#include "mail/mail_addr.h"
#include "mail/mail_alias.h"
#include "mail/mail_conf.h"
#include "mail/mail_maildir.h"
#include "mail/mail_queue.h"
#include "mail/mail_relay.h"
#include "mail/mail_users.h"
#include "mail/smtp_parse.h"
#include "mail/smtp_server.h"

struct smtp_conf {
	struct conf_addrs listen;
	struct conf_addrs submission;
	char *hostname;
	char *tls_cert;
	char *tls_key;
	struct conf_strs relay_allow;
	size_t max_message_size;
	long max_recipients;
	uint64_t greet_pause;
	long max_sessions_per_address;
	long max_errors;
	uint64_t idle_timeout;
	int auth_loopback;
	int bare_newline_fix;
	long max_connections;
	/* the relay runner's (mail_relay.h), on worker 0 */
	int relay;
	long smtp_port;
	char *smarthost;
	int relay_no_starttls;
	uint64_t queue_scan, retry_min, retry_max, max_queue_time;
	uint64_t relay_timeout;
	struct mail_conf mail;
};

#define K(f) offsetof(struct smtp_conf, f)
static const struct conf_key smtp_keys[] = {
	{ "listen", CONF_ADDRS, K(listen), "127.0.0.1:2525", 0, 0,
	    "address for mail from other servers (repeat for more)", 'l' },
	{ "submission", CONF_ADDRS, K(submission), "127.0.0.1:5870", 0, 0,
	    "address where users submit mail (AUTH)", 0 },
	{ "hostname", CONF_STR, K(hostname), NULL, 0, 0,
	    "the name in the greeting and Received: (default: the host's)",
	    0 },
	{ "tls-cert", CONF_PATH, K(tls_cert), NULL, 0, 0,
	    "certificate chain (PEM) for STARTTLS", 0 },
	{ "tls-key", CONF_PATH, K(tls_key), NULL, 0, 0,
	    "its private key (PEM)", 0 },
	{ "relay-allow", CONF_STRS, K(relay_allow), NULL, 0, 0,
	    "client prefixes that may relay without AUTH (repeat)", 0 },
	{ "max-message-size", CONF_SIZE, K(max_message_size), "10m", 0, 0,
	    "largest message accepted (SIZE; 552 past it)", 0 },
	{ "max-recipients", CONF_INT, K(max_recipients), "100", 1, 100000,
	    "recipients per message (452 past it)", 0 },
	{ "greet-pause", CONF_MS, K(greet_pause), "0", 0, 0,
	    "wait this long before the greeting; who talks first gets 554",
	    0 },
	{ "max-sessions-per-address", CONF_INT, K(max_sessions_per_address),
	    "20", 1, 1000000, "sessions at once from one client address", 0 },
	{ "max-errors", CONF_INT, K(max_errors), "10", 1, 1000,
	    "error replies before the session ends with 421", 0 },
	{ "idle-timeout", CONF_MS, K(idle_timeout), "300s", 0, 0,
	    "close a client silent for this long (421)", 0 },
	{ "auth-without-tls-on-loopback", CONF_BOOL, K(auth_loopback), "off",
	    0, 0, "offer AUTH without TLS to loopback clients", 0 },
	{ "bare-newline-fix", CONF_BOOL, K(bare_newline_fix), "off", 0, 0,
	    "accept bare CR/LF in DATA as CRLF instead of refusing (550)", 0 },
	{ "max-connections", CONF_INT, K(max_connections), "1000", 1,
	    1000000, "sessions at once per worker", 0 },
	{ "relay", CONF_BOOL, K(relay), "on", 0, 0,
	    "deliver the queue to other domains (worker 0 runs the relay)",
	    0 },
	{ "smtp-port", CONF_INT, K(smtp_port), "25", 1, 65535,
	    "the port the relay connects to", 0 },
	{ "smarthost", CONF_STR, K(smarthost), NULL, 0, 0,
	    "relay everything through host[:port] instead of by MX", 0 },
	{ "relay-no-starttls", CONF_BOOL, K(relay_no_starttls), "off", 0, 0,
	    "the relay never uses STARTTLS", 0 },
	{ "queue-scan", CONF_MS, K(queue_scan), "1s", 0, 0,
	    "how often the relay reads the queue", 0 },
	{ "retry-min", CONF_MS, K(retry_min), "5m", 0, 0,
	    "first retry after a temporary failure (then doubling)", 0 },
	{ "retry-max", CONF_MS, K(retry_max), "4h", 0, 0,
	    "longest wait between retries", 0 },
	{ "max-queue-time", CONF_MS, K(max_queue_time), "5d", 0, 0,
	    "give up (and bounce) after this long", 0 },
	{ "relay-timeout", CONF_MS, K(relay_timeout), "300s", 0, 0,
	    "the relay's connect and reply timeout", 0 },
	MAIL_CONF_KEYS(struct smtp_conf, mail),
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};

/* The RFC 4954 bound on an AUTH line; commands get SMTP_CMD_LINE_MAX. */
#define SMTP_AUTH_LINE_MAX 12288
/* Users one message may reach after alias expansion. */
#define SMTP_USERS_MAX 1000
/* RFC 5321 §4.5.3.1.6: a text line is 1000 octets with its CRLF. */
#define SMTP_TEXT_LINE_MAX 998
#define SMTP_ID_LEN 32
#define SMTP_AUTH_SLOW_AFTER 3
#define SMTP_AUTH_MAX_FAILS 10

/* The users and aliases, shared by reference: a reload swaps in a new one
 * while transactions and AUTH checks in flight finish on theirs (they hold
 * pointers into it). Taken and dropped on the loop's thread only. */
struct smtp_store {
	int refs;
	struct mail_store ms;
};

struct smtp_state {
	struct instance *in;
	struct smtp_conf *cf;
	struct session_set set;
	struct smtp_store *store;
	struct acl relay;
	struct tls_server *tls;
	struct mail_relay *runner;	/* worker 0's, or NULL */
	char hostname[256];
	int is_sub[SERVER_MAX_LISTEN];
	int started;
};

enum smtp_st {
	SMTP_ST_GREET,     /* greet-pause: nothing may come yet */
	SMTP_ST_HELO,      /* greeted, waiting for HELO/EHLO */
	SMTP_ST_READY,     /* HELO done, no transaction */
	SMTP_ST_MAIL,      /* MAIL done */
	SMTP_ST_RCPT,      /* a recipient accepted (BDAT chunks here too) */
	SMTP_ST_DATA,      /* reading a dot-stuffed body */
	SMTP_ST_BDAT,      /* reading a chunk's bytes */
	SMTP_ST_AUTH,      /* waiting for a SASL response line */
	SMTP_ST_BUSY,      /* a pool job or a delayed reply: not reading */
	SMTP_ST_TLS,       /* STARTTLS handshake */
};

enum smtp_auth_step { AUTH_PLAIN, AUTH_LOGIN_USER, AUTH_LOGIN_PASS };

struct smtp_rcpt {
	char *addr;
	char *orcpt;
	unsigned notify;
};

struct smtp_session {
	struct session base;
	struct smtp_state *st;
	enum smtp_st state;
	int submission, esmtp, authed, skipping;
	int errors, auth_fails;
	char helo[256];
	char peer[SOCK_ADDR_STRLEN];
	char user[MAIL_ADDR_STRLEN];
	struct timer timer;        /* greet-pause, a delayed AUTH reply */
	char delayed[160];         /* the reply the timer sends */
	int delayed_close;
	/* SASL */
	enum smtp_auth_step auth_step;
	char auth_user[MAIL_ADDR_STRLEN];
	/* the transaction */
	struct smtp_store *txn_store; /* the store its recipients are in */
	char id[SMTP_ID_LEN];
	char from[MAIL_ADDR_STRLEN];
	int from_null, body_8bit, smtputf8, ret_hdrs;
	char envid[MAIL_ADDR_ENVID_MAX + 1];
	const struct mail_user **users;
	size_t nusers;
	struct smtp_rcpt *remote;
	size_t nremote;
	long nrcpt;
	char first_rcpt[MAIL_ADDR_STRLEN];
	struct buf msg;
	struct dot_dec dd;
	uint64_t bdat_left, bdat_size;
	int bdat_last, bdat_discard, bdat_used, too_large, long_line;
	enum smtp_st bdat_prev;    /* where a dropped chunk returns */
	size_t line_len;
	struct pool_job *job;
};

static struct {
	int accepted, delivered, queued, rej_relay, rej_user, rej_size,
	    rej_bare, rej_line, rej_early, rej_auth, rej_other, auth_ok;
} m;
static struct session_metrics sm;
static const struct session_names names = {
	"smtp_connections_total", "SMTP sessions accepted",
	"smtp_connections_refused_total",
	"SMTP sessions refused over max-connections",
	"smtp_connections_open", "SMTP sessions open now",
};

static void on_data(struct smtp_session *s);

static struct smtp_store *
store_new(const struct smtp_conf *cf, char *err)
{
	struct smtp_store *ss = calloc(1, sizeof(*ss));

	if (ss == NULL) {
		snprintf(err, CONF_ERR_LEN, "smtp: out of memory");
		return NULL;
	}
	if (mail_store_load(&ss->ms, &cf->mail, "smtp", err) < 0) {
		free(ss);
		return NULL;
	}
	ss->refs = 1;
	return ss;
}

static struct smtp_store *
store_ref(struct smtp_store *ss)
{
	ss->refs++;
	return ss;
}

static void
store_unref(struct smtp_store *ss)
{
	if (ss && --ss->refs == 0) {
		mail_store_free(&ss->ms);
		free(ss);
	}
}

/* ---- replies ---- */

static void
reply(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct smtp_session *s, const char *fmt, ...)
{
	struct conn *c = s->base.c;
	char line[1024];
	va_list ap;
	int n;

	if (c == NULL || conn_closing(c))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (conn_write(c, line, (size_t)n) < 0)
		conn_abort(c);
}

/* An error reply; past max-errors the session ends (421 4.7.0). */
static void
fail(struct smtp_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct smtp_session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reply(s, "%s", line);
	if (++s->errors >= s->st->cf->max_errors && s->base.c &&
	    !conn_closing(s->base.c)) {
		log_info("smtp: %s: %d errors, closing", s->peer, s->errors);
		reply(s, "421 4.7.0 %s Too many errors, closing",
		    s->st->hostname);
		conn_close(s->base.c);
	}
}

/* ---- the transaction ---- */

static void
txn_reset(struct smtp_session *s)
{
	for (size_t i = 0; i < s->nremote; i++) {
		free(s->remote[i].addr);
		free(s->remote[i].orcpt);
	}
	free(s->remote);
	free(s->users);
	store_unref(s->txn_store);
	s->txn_store = NULL;
	s->remote = NULL;
	s->users = NULL;
	s->nremote = s->nusers = 0;
	s->nrcpt = 0;
	s->from[0] = s->envid[0] = s->first_rcpt[0] = '\0';
	s->from_null = s->body_8bit = s->smtputf8 = s->ret_hdrs = 0;
	s->bdat_used = s->bdat_last = s->bdat_discard = 0;
	s->bdat_left = s->bdat_size = 0;
	s->too_large = s->long_line = 0;
	s->line_len = 0;
	buf_free(&s->msg);
	buf_init(&s->msg, s->st->cf->max_message_size);
	if (s->state == SMTP_ST_MAIL || s->state == SMTP_ST_RCPT ||
	    s->state == SMTP_ST_DATA || s->state == SMTP_ST_BDAT)
		s->state = SMTP_ST_READY;
}

static void
make_id(char *out)
{
	static unsigned counter;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	snprintf(out, SMTP_ID_LEN, "%llX%05lX%X%X",
	    (unsigned long long)tv.tv_sec, (long)tv.tv_usec,
	    (unsigned)getpid(), ++counter);
}

/* ---- commands ---- */

static void
cmd_helo(struct smtp_session *s, struct slice arg, int esmtp)
{
	struct smtp_state *st = s->st;

	if (arg.n == 0 || arg.n >= sizeof(s->helo)) {
		fail(s, "501 5.5.4 Syntax: %s hostname", esmtp ? "EHLO" :
		    "HELO");
		return;
	}
	memcpy(s->helo, arg.p, arg.n);
	s->helo[arg.n] = '\0';
	for (size_t i = 0; i < arg.n; i++)
		if ((unsigned char)s->helo[i] < 0x21 ||
		    (unsigned char)s->helo[i] > 0x7e)
			s->helo[i] = '?';
	s->esmtp = esmtp;
	s->state = SMTP_ST_READY;
	txn_reset(s);
	if (!esmtp) {
		reply(s, "250 %s Hello %s", st->hostname, s->helo);
		return;
	}
	reply(s, "250-%s Hello %s", st->hostname, s->helo);
	reply(s, "250-SIZE %zu", st->cf->max_message_size);
	reply(s, "250-8BITMIME");
	reply(s, "250-PIPELINING");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-SMTPUTF8");
	reply(s, "250-CHUNKING");
	reply(s, "250-DSN");
	if (st->tls && !conn_is_tls(s->base.c))
		reply(s, "250-STARTTLS");
	if (s->submission && !s->authed && (conn_is_tls(s->base.c) ||
	    (st->cf->auth_loopback &&
	    sock_addr_is_loopback(&s->base.c->peer))))
		reply(s, "250-AUTH PLAIN LOGIN");
	reply(s, "250 HELP");
}

static int
may_relay(struct smtp_session *s)
{
	return (s->submission && s->authed) ||
	    acl_match(&s->st->relay, &s->base.c->peer);
}

static void
cmd_mail(struct smtp_session *s, struct slice line)
{
	struct mail_addr a;
	struct mail_params pa;
	struct mail_addr_err e;

	if (s->state == SMTP_ST_HELO) {
		fail(s, "503 5.5.1 Send HELO or EHLO first");
		return;
	}
	if (s->state != SMTP_ST_READY) {
		fail(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	if (s->submission && !s->authed) {
		fail(s, "530 5.7.0 Authentication required");
		return;
	}
	if (mail_addr_parse_cmd(line.p, line.n, MAIL_ADDR_FROM,
	    s->esmtp ? MAIL_ADDR_UTF8 : 0, &a, &pa, &e) < 0) {
		fail(s, "%d %s %s", e.code, e.status, e.text);
		return;
	}
	if (!s->esmtp && (pa.has_size || pa.body || pa.smtputf8)) {
		fail(s, "555 5.5.4 Parameters need EHLO");
		return;
	}
	if (pa.has_size && pa.size > s->st->cf->max_message_size) {
		metric_inc(m.rej_size);
		fail(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if (pa.body == MAIL_BODY_BINARYMIME) {
		fail(s, "504 5.5.4 BINARYMIME not supported");
		return;
	}
	txn_reset(s);
	mail_addr_format(&a, s->from, sizeof(s->from));
	s->from_null = a.null;
	s->body_8bit = pa.body == MAIL_BODY_8BITMIME;
	s->smtputf8 = pa.smtputf8;
	s->ret_hdrs = pa.ret == MAIL_RET_HDRS;
	if (pa.envid.n && pa.envid.n < sizeof(s->envid)) {
		memcpy(s->envid, pa.envid.p, pa.envid.n);
		s->envid[pa.envid.n] = '\0';
	}
	make_id(s->id);
	s->txn_store = store_ref(s->st->store);
	s->state = SMTP_ST_MAIL;
	reply(s, "250 2.1.0 Ok");
}

static int
add_user(struct smtp_session *s, const struct mail_user *u)
{
	for (size_t i = 0; i < s->nusers; i++)
		if (s->users[i] == u)
			return 0;
	if (s->nusers == SMTP_USERS_MAX)
		return -1;
	if (s->users == NULL &&
	    (s->users = calloc(SMTP_USERS_MAX, sizeof(*s->users))) == NULL)
		return -1;
	s->users[s->nusers++] = u;
	return 0;
}

static void
cmd_rcpt(struct smtp_session *s, struct slice line)
{
	struct smtp_state *st = s->st;
	struct mail_store *ms;
	struct mail_addr a;
	struct mail_params pa;
	struct mail_addr_err e;
	char addr[MAIL_ADDR_STRLEN];

	if (s->state != SMTP_ST_MAIL && s->state != SMTP_ST_RCPT) {
		fail(s, "503 5.5.1 Need MAIL command");
		return;
	}
	if (s->bdat_used) {
		fail(s, "503 5.5.1 RCPT after BDAT");
		return;
	}
	if (mail_addr_parse_cmd(line.p, line.n, MAIL_ADDR_TO,
	    s->smtputf8 ? MAIL_ADDR_UTF8 : 0, &a, &pa, &e) < 0) {
		fail(s, "%d %s %s", e.code, e.status, e.text);
		return;
	}
	if (s->nrcpt >= st->cf->max_recipients) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	ms = &s->txn_store->ms;
	mail_addr_format(&a, addr, sizeof(addr));
	if (a.route || mail_addr_is_routed(&a)) {
		metric_inc(m.rej_relay);
		log_info("smtp: %s: id=%s routed address <%s> refused",
		    s->peer, s->id, addr);
		fail(s, "554 5.7.1 <%s>: Routed addresses are not accepted",
		    addr);
		return;
	}
	if (mail_addr_is_local(&a, ms->domains, ms->ndomains)) {
		const struct mail_user **out = calloc(SMTP_USERS_MAX,
		    sizeof(*out));
		char why[256];
		size_t n = 0;
		enum mail_alias_result r;

		if (out == NULL) {
			reply(s, "451 4.3.0 Out of memory");
			return;
		}
		r = mail_alias_expand(ms->have_aliases ? &ms->aliases : NULL,
		    &ms->users, ms->domains, ms->ndomains, &a, out,
		    SMTP_USERS_MAX, &n, why, sizeof(why));
		if (r != MAIL_ALIAS_OK) {
			struct mail_alias_reply ar = mail_alias_reply(r);
			free(out);
			metric_inc(m.rej_user);
			log_info("smtp: %s: id=%s rcpt <%s>: %s", s->peer,
			    s->id, addr, why[0] ? why : ar.text);
			fail(s, "%d %s <%s>: %s", ar.code, ar.status, addr,
			    ar.text);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (add_user(s, out[i]) < 0) {
				free(out);
				reply(s, "452 4.5.3 Too many recipients");
				return;
			}
		free(out);
	} else {
		struct smtp_rcpt *r;

		if (!may_relay(s)) {
			metric_inc(m.rej_relay);
			log_info("smtp: %s: id=%s relay to <%s> refused",
			    s->peer, s->id, addr);
			fail(s, "554 5.7.1 <%s>: Relay access denied", addr);
			return;
		}
		r = realloc(s->remote, (s->nremote + 1) * sizeof(*r));
		if (r == NULL) {
			reply(s, "451 4.3.0 Out of memory");
			return;
		}
		s->remote = r;
		r = &s->remote[s->nremote];
		memset(r, 0, sizeof(*r));
		r->notify = pa.notify;
		if ((r->addr = strdup(addr)) == NULL) {
			reply(s, "451 4.3.0 Out of memory");
			return;
		}
		if (pa.orcpt.n) {
			r->orcpt = malloc(pa.orcpt_type.n + pa.orcpt.n + 2);
			if (r->orcpt)
				snprintf(r->orcpt, pa.orcpt_type.n +
				    pa.orcpt.n + 2, "%.*s;%.*s",
				    (int)pa.orcpt_type.n,
				    (const char *)pa.orcpt_type.p,
				    (int)pa.orcpt.n, (const char *)pa.orcpt.p);
		}
		s->nremote++;
	}
	if (s->nrcpt++ == 0)
		snprintf(s->first_rcpt, sizeof(s->first_rcpt), "%s", addr);
	s->state = SMTP_ST_RCPT;
	reply(s, "250 2.1.5 Ok");
}

static void
cmd_data(struct smtp_session *s)
{
	if (s->state == SMTP_ST_MAIL) {
		fail(s, "503 5.5.1 Need RCPT command");
		return;
	}
	if (s->state != SMTP_ST_RCPT) {
		fail(s, "503 5.5.1 Need MAIL command");
		return;
	}
	if (s->bdat_used) {
		fail(s, "503 5.5.1 DATA after BDAT");
		return;
	}
	dot_dec_init(&s->dd, s->st->cf->max_message_size,
	    s->st->cf->bare_newline_fix ? DOT_DEC_NORMALISE : 0);
	s->state = SMTP_ST_DATA;
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

static void
cmd_bdat(struct smtp_session *s, struct slice arg)
{
	uint64_t size;
	int last;

	if (smtp_parse_bdat(arg, &size, &last) < 0) {
		/* the chunk's length is unknown: nothing can be skipped, and
		 * reading its bytes as commands would be worse */
		fail(s, "501 5.5.4 Syntax: BDAT size [LAST]");
		if (s->base.c && !conn_closing(s->base.c))
			conn_close(s->base.c);
		return;
	}
	s->bdat_left = size;
	s->bdat_last = last;
	/* a chunk out of place is read and dropped (RFC 3030 §3): its bytes
	 * must not be taken for commands */
	s->bdat_discard = s->state != SMTP_ST_RCPT;
	s->bdat_prev = s->state;
	s->state = SMTP_ST_BDAT;
}

static void
cmd_starttls(struct smtp_session *s, struct slice arg)
{
	struct conn *c = s->base.c;

	if (s->st->tls == NULL) {
		fail(s, "502 5.5.1 STARTTLS not available");
		return;
	}
	if (conn_is_tls(c)) {
		fail(s, "503 5.5.1 TLS already active");
		return;
	}
	if (arg.n) {
		fail(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	if (conn_tls_accept(c, s->st->tls, 0) < 0) {
		conn_abort(c);
		return;
	}
	s->state = SMTP_ST_TLS;
}

/* ---- AUTH ---- */

struct smtp_auth_job {
	struct smtp_session *s;
	struct smtp_store *store;	/* u points into it */
	const struct mail_user *u;
	char pass[MAIL_USERS_PASSWORD_MAX + 1];
	size_t passlen;
	int ok;
};

static void
auth_work(void *arg)
{
	struct smtp_auth_job *j = arg;

	j->ok = mail_users_verify(j->u, j->pass, j->passlen) == 1;
	explicit_bzero(j->pass, sizeof(j->pass));
}

static void
delayed_reply(struct loop *loop, struct timer *t, void *arg)
{
	struct smtp_session *s = arg;

	(void)loop;
	(void)t;
	if (session_closed(&s->base))
		return;
	reply(s, "%s", s->delayed);
	if (s->delayed_close) {
		conn_close(s->base.c);
		return;
	}
	s->state = SMTP_ST_READY;
	conn_resume(s->base.c);
	on_data(s);
}

static void
auth_done(struct loop *loop, void *arg, enum pool_status status)
{
	struct smtp_auth_job *j = arg;
	struct smtp_session *s = j->s;

	(void)loop;
	s->job = NULL;
	store_unref(j->store);
	if (status != POOL_OK || session_closed(&s->base)) {
		free(j);
		session_release(&s->base);
		return;
	}
	if (j->ok && j->u) {
		s->authed = 1;
		snprintf(s->user, sizeof(s->user), "%s", j->u->addr);
		metric_inc(m.auth_ok);
		log_info("smtp: %s: authenticated as %s", s->peer, s->user);
		reply(s, "235 2.7.0 Authentication successful");
		s->state = SMTP_ST_READY;
		conn_resume(s->base.c);
		on_data(s);
	} else {
		/* AUTH has its own limits, not max-errors' */
		s->auth_fails++;
		metric_inc(m.rej_auth);
		log_info("smtp: %s: authentication failed for %s (%d)",
		    s->peer, s->auth_user, s->auth_fails);
		s->delayed_close = s->auth_fails >= SMTP_AUTH_MAX_FAILS;
		snprintf(s->delayed, sizeof(s->delayed), s->delayed_close ?
		    "421 4.7.0 Too many failed authentications, closing" :
		    "535 5.7.8 Authentication credentials invalid");
		if (s->auth_fails >= SMTP_AUTH_SLOW_AFTER)
			loop_timer_start(s->base.c->loop, &s->timer, 1000, 0);
		else
			delayed_reply(loop, &s->timer, s);
	}
	free(j);
	session_release(&s->base);
}

/* The user and password are known: check them on a pool thread. */
static void
auth_check(struct smtp_session *s, const char *user, size_t ulen,
    const char *pass, size_t plen)
{
	struct smtp_auth_job *j;
	struct pool *p = server_pool(s->st->set.w);
	struct mail_addr a;
	struct mail_addr_err e;

	if (plen > MAIL_USERS_PASSWORD_MAX || p == NULL ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		fail(s, "454 4.7.0 Temporary authentication failure");
		s->state = SMTP_ST_READY;
		return;
	}
	j->s = s;
	j->store = store_ref(s->st->store);
	if (user != s->auth_user) /* LOGIN passes it back: no overlap */
		snprintf(s->auth_user, sizeof(s->auth_user), "%.*s",
		    (int)ulen, user);
	if (mail_addr_parse_mailbox((const uint8_t *)user, ulen,
	    MAIL_ADDR_UTF8, &a, &e) == (int)ulen)
		j->u = mail_users_find_addr(&j->store->ms.users, &a);
	memcpy(j->pass, pass, plen);
	j->passlen = plen;
	session_hold(&s->base);
	s->state = SMTP_ST_BUSY;
	conn_pause(s->base.c);
	if ((s->job = pool_submit(p, auth_work, auth_done, j)) == NULL) {
		explicit_bzero(j->pass, sizeof(j->pass));
		store_unref(j->store);
		free(j);
		session_release(&s->base);
		s->state = SMTP_ST_READY;
		conn_resume(s->base.c);
		fail(s, "454 4.7.0 Temporary authentication failure");
	}
}

/* A SASL response (the initial one or a line in SMTP_ST_AUTH). */
static void
auth_step(struct smtp_session *s, struct slice line)
{
	uint8_t buf[SMTP_AUTH_LINE_MAX];
	size_t n;

	if (line.n == 1 && line.p[0] == '*') {
		s->state = SMTP_ST_READY;
		fail(s, "501 5.0.0 Authentication cancelled");
		return;
	}
	if (smtp_base64_decode(line, buf, sizeof(buf) - 1, &n) < 0) {
		s->state = SMTP_ST_READY;
		fail(s, "501 5.5.2 Cannot decode response");
		return;
	}
	buf[n] = '\0';
	switch (s->auth_step) {
	case AUTH_PLAIN: {
		/* authzid NUL authcid NUL passwd (RFC 4616) */
		uint8_t *z1 = memchr(buf, 0, n), *z2;
		if (z1 == NULL || (z2 = memchr(z1 + 1, 0,
		    n - (size_t)(z1 + 1 - buf))) == NULL) {
			s->state = SMTP_ST_READY;
			fail(s, "501 5.5.2 Malformed PLAIN response");
			return;
		}
		if (z1 != buf && ((size_t)(z1 - buf) != (size_t)(z2 - z1 - 1) ||
		    memcmp(buf, z1 + 1, (size_t)(z1 - buf)) != 0)) {
			s->state = SMTP_ST_READY;
			fail(s, "535 5.7.8 Authorization identity refused");
			return;
		}
		auth_check(s, (const char *)z1 + 1, (size_t)(z2 - z1 - 1),
		    (const char *)z2 + 1, n - (size_t)(z2 + 1 - buf));
		break;
	}
	case AUTH_LOGIN_USER:
		if (n >= sizeof(s->auth_user) || memchr(buf, 0, n)) {
			s->state = SMTP_ST_READY;
			fail(s, "501 5.5.2 Malformed user name");
			return;
		}
		memcpy(s->auth_user, buf, n + 1);
		s->auth_step = AUTH_LOGIN_PASS;
		reply(s, "334 UGFzc3dvcmQ6");
		break;
	case AUTH_LOGIN_PASS:
		auth_check(s, s->auth_user, strlen(s->auth_user),
		    (const char *)buf, n);
		break;
	}
	explicit_bzero(buf, sizeof(buf));
}

static void
cmd_auth(struct smtp_session *s, struct slice arg)
{
	struct conn *c = s->base.c;
	struct slice mech = arg, ir = { NULL, 0 };
	const uint8_t *sp = memchr(arg.p, ' ', arg.n);

	if (!s->submission) {
		fail(s, "503 5.5.1 AUTH only on the submission port");
		return;
	}
	if (!conn_is_tls(c) && !(s->st->cf->auth_loopback &&
	    sock_addr_is_loopback(&c->peer))) {
		fail(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (s->state == SMTP_ST_HELO) {
		fail(s, "503 5.5.1 Send EHLO first");
		return;
	}
	if (s->authed || s->state != SMTP_ST_READY) {
		fail(s, "503 5.5.1 Already authenticated or in a transaction");
		return;
	}
	if (sp) {
		mech.n = (size_t)(sp - arg.p);
		ir = slice_make(sp + 1, arg.n - mech.n - 1);
	}
	if (slice_caseeq(mech, "PLAIN")) {
		s->auth_step = AUTH_PLAIN;
		if (ir.n == 1 && ir.p[0] == '=')
			ir.n = 0;
		if (ir.n) {
			auth_step(s, ir);
			return;
		}
		s->state = SMTP_ST_AUTH;
		reply(s, "334 ");
	} else if (slice_caseeq(mech, "LOGIN")) {
		s->auth_step = AUTH_LOGIN_USER;
		s->state = SMTP_ST_AUTH;
		if (ir.n) {
			auth_step(s, ir);
			return;
		}
		reply(s, "334 VXNlcm5hbWU6");
	} else {
		fail(s, "504 5.5.4 Unrecognized authentication type");
	}
}

/* ---- the end of a message: checks, headers, delivery ---- */

struct smtp_deliver_job {
	struct smtp_session *s;
	struct smtp_store *store;	/* d[].rcpt point into it */
	uint8_t *data;
	size_t len;
	struct mail_maildir_dest *d;
	size_t nd, delivered;
	struct mail_queue_env env;
	char *queue;	/* a copy: a reload may free the config's */
	char return_path[MAIL_ADDR_STRLEN];
	char qid[MAIL_QUEUE_ID_LEN];
	char qerr[MAIL_QUEUE_ERR_LEN];
	int qrc;
	char id[SMTP_ID_LEN];
};

static void
deliver_job_free(struct smtp_deliver_job *j)
{
	for (size_t i = 0; i < j->nd; i++)
		free((char *)j->d[i].maildir);
	free(j->d);
	for (int i = 0; i < j->env.nrcpt; i++) {
		free(j->env.rcpt[i].addr);
		free(j->env.rcpt[i].orcpt);
	}
	free(j->env.rcpt);
	free(j->env.from);
	free(j->env.envid);
	free(j->env.client);
	free(j->data);
	free(j->queue);
	store_unref(j->store);
	free(j);
}

static void
deliver_work(void *arg)
{
	struct smtp_deliver_job *j = arg;
	struct mail_maildir_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.data = j->data;
	msg.len = j->len;
	msg.fd = -1;
	msg.return_path = j->return_path;
	/* the queue first: when it fails the client gets 451 and retries,
	 * and no local mailbox has a copy yet (no duplicate there) */
	if (j->env.nrcpt)
		j->qrc = mail_queue_put(j->queue, &j->env, j->data, j->len,
		    j->qid, j->qerr);
	if (j->nd && j->qrc == 0)
		j->delivered = mail_maildir_deliver(&msg, j->d, j->nd);
}

/* The message's one line: its id, the queue's id when it was queued, the
 * envelope; with log-format = json the same as members. */
static void
log_accepted(struct smtp_session *s, const struct smtp_deliver_job *j)
{
	const char *qid = j->env.nrcpt ? j->qid : "";
	struct buf b;

	buf_init(&b, 16384);
	if (buf_printf(&b, "\"id\":\"%s\",\"qid\":\"%s\",\"from\":\"",
	    j->id, qid) < 0 ||
	    log_json_escape(&b, j->env.from, strlen(j->env.from)) < 0 ||
	    buf_printf(&b, "\",\"client\":\"%s\",\"size\":%zu,"
	    "\"rcpts\":%ld,\"local\":%zu,\"queued\":%d", s->peer, j->len,
	    s->nrcpt, j->nd, j->env.nrcpt) < 0)
		buf_reset(&b);
	log_msg_json(LOG_INFO, (const char *)buf_data(&b), b.len,
	    "smtp: %s: id=%s%s%s from=<%s> size=%zu rcpts=%ld accepted",
	    s->peer, j->id, qid[0] ? " qid=" : "", qid, j->env.from, j->len,
	    s->nrcpt);
	buf_free(&b);
}

static void
deliver_done(struct loop *loop, void *arg, enum pool_status status)
{
	struct smtp_deliver_job *j = arg;
	struct smtp_session *s = j->s;
	int ok = status == POOL_OK && j->delivered == j->nd &&
	    (j->env.nrcpt == 0 || j->qrc == 0);

	(void)loop;
	s->job = NULL;
	if (status == POOL_OK) {
		for (size_t i = 0; i < j->nd; i++) {
			if (j->d[i].ok) {
				metric_inc(m.delivered);
				log_info("smtp: id=%s to=<%s> delivered %s",
				    j->id, j->d[i].rcpt, j->d[i].name);
			} else {
				log_error("smtp: id=%s to=<%s> not delivered: "
				    "%s", j->id, j->d[i].rcpt, j->d[i].err);
			}
		}
		if (j->env.nrcpt && j->qrc == 0) {
			metric_inc(m.queued);
			log_info("smtp: id=%s queued as %s for %d "
			    "recipient(s)", j->id, j->qid, j->env.nrcpt);
		} else if (j->env.nrcpt) {
			log_error("smtp: id=%s not queued: %s", j->id,
			    j->qerr);
		}
	}
	if (!session_closed(&s->base)) {
		if (ok) {
			metric_inc(m.accepted);
			log_accepted(s, j);
			if (j->env.nrcpt)
				reply(s, "250 2.0.0 Ok: queued as %s", j->qid);
			else
				reply(s, "250 2.0.0 Ok: delivered as %s",
				    j->id);
		} else {
			metric_inc(m.rej_other);
			reply(s, "451 4.3.0 Local error in processing");
		}
		s->state = SMTP_ST_READY;
		txn_reset(s);
		conn_resume(s->base.c);
		on_data(s);
	}
	deliver_job_free(j);
	session_release(&s->base);
}

/* Whether the header block of p[0..n) has a field called name (with its
 * colon, lower case). */
static int
has_header(const uint8_t *p, size_t n, const char *name)
{
	size_t k = strlen(name), i = 0;

	while (i < n) {
		size_t e = i;
		if (p[i] == '\r' || p[i] == '\n')
			return 0; /* the blank line: the body begins */
		if (n - i >= k) {
			size_t j = 0;
			while (j < k && (p[i + j] | 0x20) == name[j])
				j++;
			if (j == k)
				return 1;
		}
		while (e < n && p[e] != '\n')
			e++;
		i = e + 1;
	}
	return 0;
}

static void
rfc5322_date(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static int
build_message(struct smtp_session *s, struct smtp_deliver_job *j)
{
	struct smtp_state *st = s->st;
	const uint8_t *body = buf_data(&s->msg);
	size_t blen = s->msg.len;
	char date[64], host[SOCK_ADDR_STRLEN], hdr[2048];
	int k;

	rfc5322_date(date, sizeof(date));
	sock_addr_host(&s->base.c->peer, host, sizeof(host));
	k = snprintf(hdr, sizeof(hdr),
	    "Received: from %s ([%s])\r\n\tby %s (camada) with %s%s%s%s id "
	    "%s%s%s%s;\r\n\t%s\r\n",
	    s->helo[0] ? s->helo : "unknown", host, st->hostname,
	    /* RFC 3848 and RFC 6531 §3.7.3: ESMTP[S][A], UTF8SMTP[S][A] */
	    s->smtputf8 ? "UTF8" : "", s->smtputf8 ? "SMTP" : s->esmtp ?
	    "ESMTP" : "SMTP",
	    conn_is_tls(s->base.c) ? "S" : "", s->authed ? "A" : "", s->id,
	    s->nrcpt == 1 ? "\r\n\tfor <" : "",
	    s->nrcpt == 1 ? s->first_rcpt : "", s->nrcpt == 1 ? ">" : "",
	    date);
	if (k < 0 || (size_t)k >= sizeof(hdr))
		return -1;
	if (s->submission) {
		if (!has_header(body, blen, "date:"))
			k += snprintf(hdr + k, sizeof(hdr) - (size_t)k,
			    "Date: %s\r\n", date);
		if ((size_t)k < sizeof(hdr) &&
		    !has_header(body, blen, "message-id:"))
			k += snprintf(hdr + k, sizeof(hdr) - (size_t)k,
			    "Message-ID: <%s@%s>\r\n", s->id, st->hostname);
		if ((size_t)k >= sizeof(hdr))
			return -1;
	}
	if ((j->data = malloc((size_t)k + blen + 1)) == NULL)
		return -1;
	memcpy(j->data, hdr, (size_t)k);
	if (blen)
		memcpy(j->data + k, body, blen);
	j->len = (size_t)k + blen;
	return 0;
}

static int
fill_job(struct smtp_session *s, struct smtp_deliver_job *j)
{
	struct smtp_state *st = s->st;
	char client[512], host[SOCK_ADDR_STRLEN];

	j->s = s;
	j->store = store_ref(s->txn_store);
	if ((j->queue = strdup(st->cf->mail.queue ? st->cf->mail.queue :
	    "")) == NULL)
		return -1;
	snprintf(j->id, sizeof(j->id), "%s", s->id);
	snprintf(j->return_path, sizeof(j->return_path), "%s", s->from);
	if (build_message(s, j) < 0)
		return -1;
	if (s->nusers &&
	    (j->d = calloc(s->nusers, sizeof(*j->d))) == NULL)
		return -1;
	for (size_t i = 0; i < s->nusers; i++) {
		char path[MAIL_MAILDIR_PATH_LEN], e[MAIL_MAILDIR_ERR_LEN];
		if (mail_maildir_path(st->cf->mail.maildir, s->users[i], path,
		    sizeof(path), e, sizeof(e)) < 0) {
			log_error("smtp: id=%s: %s", s->id, e);
			return -1;
		}
		if ((j->d[j->nd].maildir = strdup(path)) == NULL)
			return -1;
		j->d[j->nd++].rcpt = s->users[i]->addr;
	}
	sock_addr_host(&s->base.c->peer, host, sizeof(host));
	snprintf(client, sizeof(client), "[%s] %s", host, s->helo);
	if ((j->env.from = strdup(s->from)) == NULL ||
	    (j->env.client = strdup(client)) == NULL ||
	    (s->envid[0] && (j->env.envid = strdup(s->envid)) == NULL))
		return -1;
	j->env.body_8bit = s->body_8bit;
	j->env.smtputf8 = s->smtputf8;
	j->env.ret_hdrs = s->ret_hdrs;
	if (s->nremote) {
		j->env.rcpt = calloc(s->nremote, sizeof(*j->env.rcpt));
		if (j->env.rcpt == NULL)
			return -1;
		for (size_t i = 0; i < s->nremote; i++) {
			struct mail_queue_rcpt *r = &j->env.rcpt[i];
			r->notify = s->remote[i].notify;
			if ((r->addr = strdup(s->remote[i].addr)) == NULL)
				return -1;
			j->env.nrcpt++;
			if (s->remote[i].orcpt &&
			    (r->orcpt = strdup(s->remote[i].orcpt)) == NULL)
				return -1;
		}
	}
	return 0;
}

static void
finish_message(struct smtp_session *s, int dotted)
{
	struct smtp_deliver_job *j;
	struct pool *p;

	if (dotted && !s->st->cf->bare_newline_fix &&
	    (s->dd.bare_lf || s->dd.bare_cr)) {
		metric_inc(m.rej_bare);
		log_info("smtp: %s: id=%s refused: bare CR or LF in data",
		    s->peer, s->id);
		txn_reset(s);
		fail(s, "550 5.6.11 Bare CR or LF in message data");
		return;
	}
	if (s->too_large || (dotted && s->dd.too_large)) {
		metric_inc(m.rej_size);
		log_info("smtp: %s: id=%s refused: over max-message-size",
		    s->peer, s->id);
		txn_reset(s);
		fail(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if (s->long_line) {
		metric_inc(m.rej_line);
		log_info("smtp: %s: id=%s refused: a line over 1000 octets",
		    s->peer, s->id);
		txn_reset(s);
		fail(s, "550 5.6.0 Message has a line longer than 1000 "
		    "octets");
		return;
	}
	p = server_pool(s->st->set.w);
	if (p == NULL || (j = calloc(1, sizeof(*j))) == NULL) {
		txn_reset(s);
		reply(s, "451 4.3.0 Out of memory");
		return;
	}
	if (fill_job(s, j) < 0) {
		deliver_job_free(j);
		txn_reset(s);
		reply(s, "451 4.3.0 Local error in processing");
		return;
	}
	session_hold(&s->base);
	s->state = SMTP_ST_BUSY;
	conn_pause(s->base.c);
	if ((s->job = pool_submit(p, deliver_work, deliver_done, j)) == NULL) {
		deliver_job_free(j);
		session_release(&s->base);
		s->state = SMTP_ST_READY;
		txn_reset(s);
		conn_resume(s->base.c);
		reply(s, "451 4.3.0 Local error in processing");
	}
}

/* Appends decoded body bytes, watching text lines' lengths. */
static void
body_add(struct smtp_session *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			s->line_len = 0;
		else if (p[i] != '\r' && ++s->line_len > SMTP_TEXT_LINE_MAX)
			s->long_line = 1;
	}
	if (!s->too_large && buf_append(&s->msg, p, n) < 0)
		s->too_large = 1;
}

/* DATA: decodes what c->in holds. 1 when the body ended. */
static int
data_feed(struct smtp_session *s)
{
	struct conn *c = s->base.c;
	uint8_t out[16384];

	while (c->in.len && !dot_dec_done(&s->dd)) {
		size_t outn = 0;
		size_t k = dot_decode(&s->dd, buf_data(&c->in), c->in.len, out,
		    sizeof(out), &outn);
		body_add(s, out, outn);
		buf_consume(&c->in, k);
	}
	return dot_dec_done(&s->dd);
}

/* BDAT: takes the chunk's bytes. 1 when the chunk is whole. */
static int
bdat_feed(struct smtp_session *s)
{
	struct conn *c = s->base.c;
	size_t k = c->in.len;

	if (k > s->bdat_left)
		k = (size_t)s->bdat_left;
	if (!s->bdat_discard) {
		if (s->msg.len + k > s->st->cf->max_message_size)
			s->too_large = 1;
		else if (!s->too_large &&
		    buf_append(&s->msg, buf_data(&c->in), k) < 0)
			s->too_large = 1;
	}
	buf_consume(&c->in, k);
	s->bdat_left -= k;
	s->bdat_size += k;
	return s->bdat_left == 0;
}

static void
bdat_chunk_done(struct smtp_session *s)
{
	if (s->bdat_discard) {
		s->state = s->bdat_prev;
		fail(s, "503 5.5.1 BDAT without a transaction");
		s->bdat_discard = 0;
		return;
	}
	s->bdat_used = 1;
	s->state = SMTP_ST_RCPT;
	if (s->bdat_last) {
		finish_message(s, 0);
		return;
	}
	reply(s, "250 2.0.0 %llu octets received",
	    (unsigned long long)s->bdat_size);
	s->bdat_size = 0;
}

static void
command(struct smtp_session *s, struct slice line)
{
	struct smtp_cmd cmd;

	if (smtp_parse_cmd(line.p, line.n, &cmd) < 0) {
		fail(s, "500 5.5.2 Syntax error in command");
		return;
	}
	switch (cmd.verb) {
	case SMTP_HELO:
		cmd_helo(s, cmd.arg, 0);
		break;
	case SMTP_EHLO:
		cmd_helo(s, cmd.arg, 1);
		break;
	case SMTP_MAIL:
		cmd_mail(s, cmd.arg);
		break;
	case SMTP_RCPT:
		cmd_rcpt(s, cmd.arg);
		break;
	case SMTP_DATA:
		if (cmd.arg.n)
			fail(s, "501 5.5.4 Syntax: DATA");
		else
			cmd_data(s);
		break;
	case SMTP_BDAT:
		cmd_bdat(s, cmd.arg);
		break;
	case SMTP_RSET:
		txn_reset(s);
		reply(s, "250 2.0.0 Ok");
		break;
	case SMTP_NOOP:
		reply(s, "250 2.0.0 Ok");
		break;
	case SMTP_VRFY:
		if (cmd.arg.n == 0)
			fail(s, "501 5.5.4 Syntax: VRFY address");
		else
			reply(s, "252 2.5.2 Cannot VRFY user, but will "
			    "accept message and attempt delivery");
		break;
	case SMTP_EXPN:
		fail(s, "502 5.5.1 EXPN not available");
		break;
	case SMTP_HELP:
		reply(s, "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT "
		    "RSET NOOP");
		reply(s, "214 2.0.0 VRFY HELP QUIT STARTTLS AUTH");
		break;
	case SMTP_QUIT:
		reply(s, "221 2.0.0 %s closing connection", s->st->hostname);
		conn_close(s->base.c);
		break;
	case SMTP_STARTTLS:
		cmd_starttls(s, cmd.arg);
		break;
	case SMTP_AUTH:
		cmd_auth(s, cmd.arg);
		break;
	case SMTP_UNKNOWN:
		fail(s, "500 5.5.1 Command unrecognized");
		break;
	}
}

static void
on_data(struct smtp_session *s)
{
	struct conn *c = s->base.c;
	struct slice line;
	int r;

	while (c && !conn_closing(c)) {
		switch (s->state) {
		case SMTP_ST_GREET:
			if (c->in.len == 0)
				return;
			metric_inc(m.rej_early);
			log_info("smtp: %s: talked before the greeting",
			    s->peer);
			reply(s, "554 5.7.1 %s You talk too soon",
			    s->st->hostname);
			conn_close(c);
			return;
		case SMTP_ST_BUSY:
		case SMTP_ST_TLS:
			return;
		case SMTP_ST_DATA:
			if (!data_feed(s))
				return;
			finish_message(s, 1);
			continue;
		case SMTP_ST_BDAT:
			if (s->bdat_left && c->in.len == 0)
				return;
			if (!bdat_feed(s))
				return;
			bdat_chunk_done(s);
			continue;
		default:
			break;
		}
		if (s->skipping) {
			if (!line_skip(&c->in))
				return;
			s->skipping = 0;
		}
		r = line_next_crlf(&c->in, s->state == SMTP_ST_AUTH ?
		    SMTP_AUTH_LINE_MAX : SMTP_CMD_LINE_MAX, &line);
		if (r == 0)
			return;
		if (r == LINE_TOO_LONG) {
			metric_inc(m.rej_line);
			if (s->state == SMTP_ST_AUTH)
				s->state = SMTP_ST_READY;
			/* the line's LF may not have arrived yet */
			if (c->in.len && !line_skip(&c->in))
				s->skipping = 1;
			fail(s, "500 5.5.2 Line too long");
			continue;
		}
		if (r == LINE_BARE_LF) {
			if (s->state == SMTP_ST_AUTH)
				s->state = SMTP_ST_READY;
			fail(s, "500 5.5.2 Bare LF in command");
			continue;
		}
		if (s->state == SMTP_ST_AUTH)
			auth_step(s, line);
		else
			command(s, line);
	}
}

static void
smtp_event(struct session *base, enum conn_ev ev)
{
	struct smtp_session *s = (struct smtp_session *)base;
	struct conn *c = base->c;

	switch (ev) {
	case CONN_EV_DATA:
		on_data(s);
		break;
	case CONN_EV_TLS:
		/* RFC 3207 §4.2: everything known before is forgotten */
		s->helo[0] = '\0';
		s->esmtp = 0;
		s->state = SMTP_ST_HELO;
		txn_reset(s);
		s->state = SMTP_ST_HELO;
		on_data(s);
		break;
	case CONN_EV_TIMEOUT:
		if (s->state == SMTP_ST_BUSY) {
			/* our own work (a slow disk): the client is waiting
			 * for us, not idle; closing now would lose the 250 of
			 * a message delivered and have it sent again */
			conn_set_timeout(c, conn_timeout(c));
			break;
		}
		log_info("smtp: %s: idle timeout", s->peer);
		reply(s, "421 4.4.2 %s Idle timeout, closing",
		    s->st->hostname);
		conn_close(c);
		break;
	case CONN_EV_EOF:
		conn_close(c);
		break;
	default:
		break;
	}
}

static void
send_greeting(struct smtp_session *s)
{
	s->state = SMTP_ST_HELO;
	reply(s, "220 %s ESMTP camada", s->st->hostname);
}

static void
greet_timer(struct loop *loop, struct timer *t, void *arg)
{
	struct smtp_session *s = arg;

	(void)loop;
	(void)t;
	if (session_closed(&s->base))
		return;
	if (s->state == SMTP_ST_GREET) {
		send_greeting(s);
		on_data(s);
	} else {
		delayed_reply(loop, t, s);
	}
}

static void
smtp_sess_init(struct session *base, void *owner)
{
	struct smtp_session *s = (struct smtp_session *)base;
	struct smtp_state *st = owner;
	struct conn *c = base->c;
	const struct sock_addr *local = conn_local(c);
	long same = 0;

	s->st = st;
	timer_init(&s->timer, greet_timer, s);
	buf_init(&s->msg, st->cf->max_message_size);
	sock_addr_host(&c->peer, s->peer, sizeof(s->peer));
	for (int i = 0; i < st->in->nls; i++)
		if (st->is_sub[i] && local &&
		    sock_addr_equal(local, &st->in->ls[i].addr))
			s->submission = 1;
	for (struct list_node *n = st->set.list.first; n; n = n->next) {
		struct smtp_session *o = LIST_ENTRY(n, struct smtp_session,
		    base.node);
		char h[SOCK_ADDR_STRLEN];
		if (o == s || o->base.c == NULL)
			continue;
		if (strcmp(sock_addr_host(&o->base.c->peer, h, sizeof(h)),
		    s->peer) == 0)
			same++;
	}
	if (same >= st->cf->max_sessions_per_address) {
		metric_inc(m.rej_other);
		log_info("smtp: %s: over max-sessions-per-address", s->peer);
		reply(s, "421 4.7.0 %s Too many sessions from your address",
		    st->hostname);
		conn_close(c);
		return;
	}
	if (st->cf->greet_pause) {
		s->state = SMTP_ST_GREET;
		loop_timer_start(c->loop, &s->timer, st->cf->greet_pause, 0);
	} else {
		send_greeting(s);
	}
}

static void
smtp_sess_free(struct session *base)
{
	struct smtp_session *s = (struct smtp_session *)base;

	loop_timer_stop(base->set->w->loop, &s->timer);
	txn_reset(s);
	buf_free(&s->msg);
}

static void
smtp_sess_stop(struct session *base)
{
	struct smtp_session *s = (struct smtp_session *)base;

	reply(s, "421 4.3.2 %s Service shutting down", s->st->hostname);
	conn_close(base->c);
}

static const struct session_ops ops = {
	sizeof(struct smtp_session), smtp_event, smtp_sess_stop,
	smtp_sess_free, smtp_sess_init,
};

/* ---- the service ---- */

static int
tls_build(const struct smtp_conf *cf, struct tls_server **out, char *err)
{
	struct tls_server_conf tc;
	char why[TLS_ERR_LEN];

	*out = NULL;
	if (cf->tls_cert == NULL && cf->tls_key == NULL)
		return 0;
	if (cf->tls_cert == NULL || cf->tls_key == NULL) {
		snprintf(err, CONF_ERR_LEN, "smtp: tls-cert and tls-key go "
		    "together");
		return -1;
	}
	memset(&tc, 0, sizeof(tc));
	tc.def.cert = cf->tls_cert;
	tc.def.key = cf->tls_key;
	why[0] = '\0';
	if ((*out = tls_server_new(&tc, why)) == NULL) {
		snprintf(err, CONF_ERR_LEN, "smtp: %s", why[0] ? why :
		    "tls: cannot make the context");
		return -1;
	}
	return 0;
}

static int
smtp_check(struct instance *in, char *err)
{
	const struct smtp_conf *cf = in->conf;
	struct mail_store ms;
	struct acl acl;
	char why[CONF_ERR_LEN];

	memset(&acl, 0, sizeof(acl));
	if (acl_from_strs(&acl, &cf->relay_allow, why, sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "smtp: relay-allow: %s", why);
		return -1;
	}
	if (mail_store_load(&ms, &cf->mail, "smtp", err) < 0)
		return -1;
	mail_store_free(&ms);
	if (cf->tls_cert || cf->tls_key) {
		struct tls_server_conf tc;
		if (cf->tls_cert == NULL || cf->tls_key == NULL) {
			snprintf(err, CONF_ERR_LEN, "smtp: tls-cert and "
			    "tls-key go together");
			return -1;
		}
		memset(&tc, 0, sizeof(tc));
		tc.def.cert = cf->tls_cert;
		tc.def.key = cf->tls_key;
		why[0] = '\0';
		if (tls_server_check(&tc, why) < 0) {
			snprintf(err, CONF_ERR_LEN, "smtp: %s", why);
			return -1;
		}
	}
	return 0;
}

static int
smtp_setup(struct instance *in, char *err)
{
	struct smtp_conf *cf = in->conf;
	struct smtp_state *st;

	m.accepted = metric_counter("smtp_messages_accepted_total", "",
	    "messages answered 250");
	m.delivered = metric_counter("smtp_messages_delivered_total", "",
	    "copies delivered into a local Maildir");
	m.queued = metric_counter("smtp_messages_queued_total", "",
	    "messages written to the outgoing queue");
	m.rej_relay = metric_counter("smtp_rejected_total",
	    "reason=\"relay\"", "commands or messages refused, by reason");
	m.rej_user = metric_counter("smtp_rejected_total",
	    "reason=\"unknown_user\"", "");
	m.rej_size = metric_counter("smtp_rejected_total", "reason=\"size\"",
	    "");
	m.rej_bare = metric_counter("smtp_rejected_total",
	    "reason=\"bare_newline\"", "");
	m.rej_line = metric_counter("smtp_rejected_total",
	    "reason=\"line_too_long\"", "");
	m.rej_early = metric_counter("smtp_rejected_total",
	    "reason=\"early_talker\"", "");
	m.rej_auth = metric_counter("smtp_rejected_total", "reason=\"auth\"",
	    "");
	m.rej_other = metric_counter("smtp_rejected_total",
	    "reason=\"other\"", "");
	m.auth_ok = metric_counter("smtp_auth_total", "",
	    "successful authentications");
	session_metrics_register(&sm, &names);
	mail_relay_metrics_register();
	if (smtp_check(in, err) < 0)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	in->state = st;
	if (tls_build(cf, &st->tls, err) < 0)
		return -1;
	if (cf->relay && mail_conf_queue_prepare(&cf->mail, "smtp", err) < 0)
		return -1;
	for (int i = 0; i < cf->listen.n; i++)
		if (server_listen(in, &cf->listen.a[i], 0, err) < 0)
			return -1;
	for (int i = 0; i < cf->submission.n; i++) {
		int k = server_listen(in, &cf->submission.a[i], 0, err);
		if (k < 0)
			return -1;
		st->is_sub[k] = 1;
	}
	return 0;
}

static int
relay_start(struct smtp_state *st, struct worker *w, char *err)
{
	const struct smtp_conf *cf = st->cf;
	struct mail_relay_conf rc;
	char why[MAIL_RELAY_ERR_LEN];

	memset(&rc, 0, sizeof(rc));
	rc.queue = cf->mail.queue;
	rc.hostname = st->hostname;
	if (cf->mail.resolver && cf->mail.resolver[0] &&
	    sock_parse_host(cf->mail.resolver, 53, &rc.resolver, why) < 0) {
		snprintf(err, CONF_ERR_LEN, "smtp: resolver: %s", why);
		return -1;
	}
	rc.smtp_port = (int)cf->smtp_port;
	rc.smarthost = cf->smarthost;
	rc.no_starttls = cf->relay_no_starttls;
	rc.scan_ms = cf->queue_scan;
	rc.retry_min_s = cf->retry_min / 1000;
	rc.retry_max_s = cf->retry_max / 1000;
	rc.max_queue_time_s = cf->max_queue_time / 1000;
	rc.timeout_ms = cf->relay_timeout;
	why[0] = '\0';
	if ((st->runner = mail_relay_new(w->loop, &rc, why)) == NULL) {
		snprintf(err, CONF_ERR_LEN, "smtp: relay: %s", why);
		return -1;
	}
	return 0;
}

static void
set_hostname(struct smtp_state *st)
{
	const struct smtp_conf *cf = st->cf;

	if (cf->hostname && cf->hostname[0])
		snprintf(st->hostname, sizeof(st->hostname), "%s",
		    cf->hostname);
	else if (gethostname(st->hostname, sizeof(st->hostname) - 1) < 0 ||
	    st->hostname[0] == '\0')
		snprintf(st->hostname, sizeof(st->hostname), "localhost");
}

static int
smtp_start(struct instance *in, struct worker *w, char *err)
{
	struct smtp_state *st = in->state;
	struct smtp_conf *cf = in->conf;
	struct conn_limits lim;
	char why[CONF_ERR_LEN];

	if (st == NULL) {
		snprintf(err, CONF_ERR_LEN, "smtp: not set up");
		return -1;
	}
	st->in = in;
	st->cf = cf;
	set_hostname(st);
	if (acl_from_strs(&st->relay, &cf->relay_allow, why,
	    sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "smtp: relay-allow: %s", why);
		return -1;
	}
	if ((st->store = store_new(cf, err)) == NULL)
		return -1;
	st->started = 1;
	if (cf->relay && w->idx == 0 && relay_start(st, w, err) < 0)
		return -1;
	conn_limits_default(&lim);
	/* a whole AUTH line, or plenty of pipelined commands; DATA and BDAT
	 * are consumed as they come */
	lim.in_max = 64 * 1024;
	lim.timeout_ms = cf->idle_timeout;
	session_set_init(&st->set, w, &ops, &sm, cf->max_connections, &lim,
	    "421 4.7.0 Too many connections\r\n");
	return session_set_listen(&st->set, in, NULL, 0, st, err);
}

/* SIGTERM: the relay's connections are aborted now (their recipients stay
 * as saved), so the worker need not wait for them; the core then closes
 * the sessions. */
static void
smtp_stop(struct instance *in, struct worker *w)
{
	struct smtp_state *st = in->state;

	(void)w;
	if (st) {
		mail_relay_free(st->runner);
		st->runner = NULL;
	}
}

static void
smtp_release(struct instance *in)
{
	struct smtp_state *st = in->state;

	if (st == NULL)
		return;
	if (st->started) {
		mail_relay_free(st->runner);
		session_set_free(&st->set);
		store_unref(st->store);
	}
	tls_server_unref(st->tls);
	free(st);
	in->state = NULL;
}

/* SIGHUP: the users, aliases and domains read again, relay-allow, the
 * certificate, the hostname and the limits of sessions to come. What is in
 * flight keeps its store (and its TLS context) until it ends. */
static int
smtp_reload(struct instance *in, char *err)
{
	struct smtp_state *st = in->state;
	struct smtp_conf *cf = in->conf;
	struct smtp_store *ns;
	struct tls_server *nt;
	struct acl acl;
	char why[CONF_ERR_LEN];

	if (st == NULL || !st->started)
		return 0;
	memset(&acl, 0, sizeof(acl));
	if (acl_from_strs(&acl, &cf->relay_allow, why, sizeof(why)) < 0) {
		snprintf(err, CONF_ERR_LEN, "smtp: relay-allow: %s", why);
		return -1;
	}
	if ((ns = store_new(cf, err)) == NULL)
		return -1;
	if (tls_build(cf, &nt, err) < 0) {
		store_unref(ns);
		return -1;
	}
	store_unref(st->store);
	st->store = ns;
	tls_server_unref(st->tls);
	st->tls = nt;
	st->relay = acl;
	set_hostname(st);
	st->set.limit = cf->max_connections;
	st->set.lim.timeout_ms = cf->idle_timeout;
	return 0;
}

static const char *const smtp_restart_keys[] = {
	"listen", "submission", NULL,
};

const struct service smtp_service = {
	"smtp", smtp_keys, sizeof(struct smtp_conf), smtp_setup, smtp_start,
	smtp_stop, smtp_release, NULL, smtp_check, smtp_reload,
	smtp_restart_keys, "mail", mail_conf_keys,
};

int
smtp_server_main(int argc, char **argv)
{
	return cli_run_server(&smtp_service, argc, argv,
	    "The SMTP server: mail for the local domains into Maildir, "
	    "submission with AUTH, the rest into the queue.", NULL);
}
