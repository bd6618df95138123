/* mail_relay.c - the relay runner (see mail_relay.h): the queue scan, one
 * job per destination domain (MX walk, then an SMTP client session per
 * host), and the bookkeeping after a job (state, backoff, DSN, removal).
 * The SMTP client is a state machine over core/conn with one command in
 * flight at a time, curl's pingpong shape: send, read the reply's lines
 * ("250-" goes on, "250 " ends), act on the code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ascii.h"
#include "core/conn.h"
#include "core/dot.h"
#include "core/line.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/tls.h"
#include "core/upstream.h"
#include "dns/dns_mx.h"
#include "dns/dns_stub.h"
#include "mail/mail_dsn.h"
#include "mail/mail_queue.h"
#include "mail/mail_relay.h"

#define REPLY_LINE_MAX 2048
#define HOST_LEN 256
#define BODY_CHUNK (64 * 1024)

static struct {
	int delivered, deferred, bounced, depth;
	int registered;
} relay_metrics = {-1, -1, -1, -1, 0};

void
mail_relay_metrics_register(void)
{
	if (relay_metrics.registered)
		return;
	relay_metrics.registered = 1;
	relay_metrics.delivered = metric_counter("smtp_delivered_total", "",
	    "Recipients the relay delivered to the next hop.");
	relay_metrics.deferred = metric_counter("smtp_deferred_total", "",
	    "Recipient deliveries that failed for now and wait for a retry.");
	relay_metrics.bounced = metric_counter("smtp_bounced_total", "",
	    "Recipients that failed for good (a DSN was queued).");
	relay_metrics.depth = metric_gauge("smtp_queue_depth", "",
	    "Messages in the outgoing queue at the last scan.");
}

static int
isdig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static void
count(int id, uint64_t n)
{
	if (id >= 0 && n)
		metric_add(id, n);
}

/* A queued message some job works on. */
struct relay_msg {
	struct mail_queue_msg m;
	int refs;		/* jobs holding it */
	unsigned char *fresh;	/* per recipient: failed for good this round */
	struct relay_msg *next;	/* the runner's list of them */
};

enum item_res { IT_NONE, IT_OK, IT_PERM, IT_TEMP };

/* One recipient of one message in a job. */
struct item {
	struct relay_msg *rm;
	int rcpt;
	enum item_res res;
	int accepted;		/* RCPT got 2xx on this session */
	char host[HOST_LEN];	/* who answered, "" for our own reasons */
	char reply[MAIL_QUEUE_ERR_LEN];
};

enum sess_st {
	ST_CONNECTING, ST_GREETING, ST_EHLO, ST_HELO, ST_STARTTLS, ST_TLS,
	ST_MAIL, ST_RCPT, ST_DATA, ST_BODY, ST_RSET, ST_QUIT, ST_DONE,
};

#define EXT_STARTTLS 0x1
#define EXT_8BITMIME 0x2
#define EXT_SMTPUTF8 0x4
#define EXT_DSN 0x8

struct job {
	struct mail_relay *r;
	char domain[HOST_LEN];
	struct item *it;
	int nit;
	struct dns_mx *mx;
	struct dns_mx_host hosts[DNS_MX_MAX];
	int nhosts, hi, port;
	struct upstream_req *req;
	struct conn *c;
	enum sess_st st;
	unsigned ext;
	int tls;
	int cur;		/* the first item of the message in work */
	int end;		/* one past its last item */
	int rc;			/* the item RCPT was sent for */
	int naccepted;
	struct dot_enc enc;
	size_t body_off;
	int body_end;		/* the final "." is queued */
	char reply[MAIL_QUEUE_ERR_LEN];	/* the reply so far, lines joined */
	int reply_code;
	char err[MAIL_QUEUE_ERR_LEN];	/* why the last host failed */
	int finishing;		/* job_end called: the task does the rest */
	struct loop_task task;
	struct job *next;
};

struct mail_relay {
	struct loop *loop;
	struct mail_relay_conf conf;
	char *queue, *hostname, *smarthost;
	char sm_host[HOST_LEN];
	int sm_port;
	struct dns_stub_conf stub;
	struct upstream *up;
	struct tls_client *tls;
	struct timer scan;
	struct relay_msg *msgs;
	struct job *jobs;
};

static void job_next_host(struct job *j);
static void job_end(struct job *j);
static void sess_send_mail(struct job *j);

/* ---- messages ---- */

static struct relay_msg *
msg_find(struct mail_relay *r, const char *id)
{
	for (struct relay_msg *m = r->msgs; m; m = m->next)
		if (strcmp(m->m.id, id) == 0)
			return m;
	return NULL;
}

static void
msg_unlink_free(struct mail_relay *r, struct relay_msg *rm)
{
	for (struct relay_msg **p = &r->msgs; *p; p = &(*p)->next)
		if (*p == rm) {
			*p = rm->next;
			break;
		}
	mail_queue_msg_free(&rm->m);
	free(rm->fresh);
	free(rm);
}

/* The DSN for the recipients that failed for good this round. */
static void
msg_bounce(struct mail_relay *r, struct relay_msg *rm, int64_t now)
{
	struct mail_queue_msg *m = &rm->m;
	struct mail_dsn_rcpt *dr = calloc((size_t)m->env.nrcpt, sizeof(*dr));
	char (*txt)[MAIL_QUEUE_ERR_LEN] = calloc((size_t)m->env.nrcpt,
	    MAIL_QUEUE_ERR_LEN);
	char err[MAIL_QUEUE_ERR_LEN], id[MAIL_QUEUE_ID_LEN], *out;
	struct mail_dsn d;
	size_t len;
	int n = 0;

	if (dr == NULL || txt == NULL) {
		free(dr);
		free(txt);
		return;
	}
	for (int i = 0; i < m->env.nrcpt; i++) {
		unsigned nt = m->env.rcpt[i].notify;

		if (!rm->fresh[i] || (nt && !(nt & MAIL_NOTIFY_FAILURE)))
			continue;
		dr[n].addr = m->env.rcpt[i].addr;
		dr[n].orcpt = m->env.rcpt[i].orcpt;
		/* The host that answered is kept in the text ("host said:
		 * ..."): the state file has room for one string. */
		char *said;

		snprintf(txt[i], sizeof(txt[i]), "%s", m->st[i].err);
		dr[n].reply = txt[i];
		if ((said = strstr(txt[i], " said: ")) != NULL) {
			*said = '\0';
			dr[n].remote_mta = txt[i];
			dr[n].reply = said + 7;
		}
		n++;
	}
	if (n == 0 || m->env.from[0] == '\0') {
		if (n)
			log_msg(LOG_INFO, "relay %s: a bounce failed; no DSN "
			    "for the null sender", m->id);
		free(dr);
		free(txt);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.reporting_mta = r->hostname;
	d.sender = m->env.from;
	d.envid = m->env.envid;
	d.queue_id = m->id;
	d.arrival = m->created;
	d.now = now;
	d.msg = m->data;
	d.len = m->len;
	d.ret_hdrs = m->env.ret_hdrs;
	d.rcpt = dr;
	d.nrcpt = n;
	if (mail_dsn_build(&d, &out, &len, err) < 0) {
		log_msg(LOG_ERROR, "relay %s: DSN: %s", m->id, err);
		free(dr);
		free(txt);
		return;
	}
	struct mail_queue_rcpt to = {.addr = m->env.from};
	struct mail_queue_env env = {
		.from = "",
		.rcpt = &to,
		.nrcpt = 1,
		.body_8bit = m->env.body_8bit,
		.smtputf8 = m->env.smtputf8,
		.client = "camada relay (DSN)",
	};

	if (mail_queue_put(r->queue, &env, out, len, id, err) < 0)
		log_msg(LOG_ERROR, "relay %s: DSN not queued: %s", m->id, err);
	else
		log_msg(LOG_INFO, "relay %s: sender non-delivery notification: "
		    "%s to=<%s>", m->id, id, m->env.from);
	free(out);
	free(dr);
	free(txt);
}

/* The last job holding rm finished: bounce, then remove or save. */
static void
msg_release(struct mail_relay *r, struct relay_msg *rm)
{
	char err[MAIL_QUEUE_ERR_LEN];
	int64_t now = (int64_t)time(NULL);

	if (--rm->refs > 0)
		return;
	msg_bounce(r, rm, now);
	if (mail_queue_finished(&rm->m, NULL)) {
		if (mail_queue_remove(r->queue, rm->m.id, err) < 0)
			log_msg(LOG_ERROR, "relay %s: %s", rm->m.id, err);
		else
			log_msg(LOG_INFO, "relay %s: removed", rm->m.id);
	} else if (mail_queue_save_state(r->queue, &rm->m, err) < 0) {
		log_msg(LOG_ERROR, "relay %s: state: %s", rm->m.id, err);
	}
	msg_unlink_free(r, rm);
}

/* ---- jobs ---- */

static void
job_free(struct job *j)
{
	struct mail_relay *r = j->r;

	for (struct job **p = &r->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	free(j->it);
	free(j);
}

static uint64_t
backoff(const struct mail_relay_conf *c, int tries)
{
	uint64_t d = c->retry_min_s;

	for (int i = 1; i < tries && d < c->retry_max_s; i++)
		d *= 2;
	return d < c->retry_max_s ? d : c->retry_max_s;
}

/* A conn we are done with still gets its CLOSED. */
static void
orphan(struct conn *c, enum conn_ev ev, void *arg)
{
	if (ev != CONN_EV_CLOSED)
		conn_abort(c);
}

static void
detach(struct job *j, int graceful)
{
	if (j->c == NULL)
		return;
	conn_set_handler(j->c, orphan, NULL);
	if (graceful)
		conn_close(j->c);
	else
		conn_abort(j->c);
	j->c = NULL;
}

/* Each item's result into its message's state, from a task: the job is
 * freed here, never under one of its own callbacks. */
static void
job_end_task(struct loop *loop, void *arg)
{
	struct job *j = arg;
	struct mail_relay *r = j->r;
	int64_t now = (int64_t)time(NULL);

	for (int i = 0; i < j->nit; i++) {
		struct item *it = &j->it[i];
		struct mail_queue_msg *m = &it->rm->m;
		struct mail_queue_rstat *s = &m->st[it->rcpt];
		const char *addr = m->env.rcpt[it->rcpt].addr;

		s->tries++;
		s->last_try = now;
		if (it->res == IT_NONE) {
			it->res = IT_TEMP;
			snprintf(it->reply, sizeof(it->reply), "%s",
			    j->err[0] ? j->err : "not tried");
		}
		if (it->host[0])
			snprintf(s->err, sizeof(s->err), "%s said: %s",
			    it->host, it->reply);
		else
			snprintf(s->err, sizeof(s->err), "%s", it->reply);
		if (it->res == IT_OK) {
			s->state = MAIL_QUEUE_DONE;
			s->err[0] = '\0';
			count(relay_metrics.delivered, 1);
			log_msg(LOG_INFO, "relay %s: to=<%s> relay=%s "
			    "status=sent (%s)", m->id, addr, it->host,
			    it->reply);
			continue;
		}
		if (it->res == IT_TEMP &&
		    now - m->created < (int64_t)r->conf.max_queue_time_s) {
			s->next_try = now + (int64_t)backoff(&r->conf,
			    s->tries);
			count(relay_metrics.deferred, 1);
			log_msg(LOG_INFO, "relay %s: to=<%s> status=deferred "
			    "(%s), try %d, next in %llds", m->id, addr, s->err,
			    s->tries, (long long)(s->next_try - now));
			continue;
		}
		if (it->res == IT_TEMP) {
			char e[MAIL_QUEUE_ERR_LEN];

			snprintf(e, sizeof(e), "gave up after %d tries: %s",
			    s->tries, s->err);
			snprintf(s->err, sizeof(s->err), "%s", e);
		}
		s->state = MAIL_QUEUE_FAILED;
		it->rm->fresh[it->rcpt] = 1;
		count(relay_metrics.bounced, 1);
		log_msg(LOG_INFO, "relay %s: to=<%s> status=bounced (%s)",
		    m->id, addr, s->err);
	}
	for (int i = 0; i < j->nit; i++)
		msg_release(r, j->it[i].rm);
	job_free(j);
}

static void
job_end(struct job *j)
{
	if (j->finishing)
		return;
	j->finishing = 1;
	j->st = ST_DONE;
	if (j->mx)
		dns_mx_cancel(j->mx);
	j->mx = NULL;
	if (j->req)
		upstream_cancel(j->req);
	j->req = NULL;
	detach(j, 0);
	loop_defer(j->r->loop, &j->task, job_end_task, j);
}

/* ---- the SMTP client session ---- */

static void
sess_fail(struct job *j, const char *why)
{
	if (j->finishing)
		return;
	snprintf(j->err, sizeof(j->err), "%s", why);
	log_msg(LOG_INFO, "relay %s: %s: %s", j->domain,
	    j->hosts[j->hi].name, why);
	detach(j, 0);
	j->hi++;
	job_next_host(j);
}

/* Sends one command: a, then b (may be NULL), then CRLF. */
static int
sess_cmd(struct job *j, enum sess_st st, const char *a, const char *b)
{
	j->st = st;
	j->reply[0] = '\0';
	if (conn_printf(j->c, "%s%s\r\n", a, b ? b : "") < 0) {
		sess_fail(j, "output full");
		return -1;
	}
	return 0;
}

/* Items [cur, end) carry the same message; a later one starts anew. */
static void
sess_next_msg(struct job *j)
{
	j->cur = j->end;
	while (j->cur < j->nit && j->it[j->cur].res != IT_NONE)
		j->cur++;
	if (j->cur >= j->nit) {
		(void)sess_cmd(j, ST_QUIT, "QUIT", NULL);
		return;
	}
	j->end = j->cur + 1;
	while (j->end < j->nit && j->it[j->end].rm == j->it[j->cur].rm)
		j->end++;
	sess_send_mail(j);
}

static void
sess_send_mail(struct job *j)
{
	const struct mail_queue_env *e = &j->it[j->cur].rm->m.env;
	char params[600];
	size_t k = 0;

	params[0] = '\0';
	if (e->body_8bit && (j->ext & EXT_8BITMIME))
		k += (size_t)snprintf(params + k, sizeof(params) - k,
		    " BODY=8BITMIME");
	if (e->smtputf8 && (j->ext & EXT_SMTPUTF8))
		k += (size_t)snprintf(params + k, sizeof(params) - k,
		    " SMTPUTF8");
	if (j->ext & EXT_DSN) {
		k += (size_t)snprintf(params + k, sizeof(params) - k,
		    " RET=%s", e->ret_hdrs ? "HDRS" : "FULL");
		if (e->envid && k < sizeof(params))
			k += (size_t)snprintf(params + k, sizeof(params) - k,
			    " ENVID=%s", e->envid);
	}
	j->naccepted = 0;
	for (int i = j->cur; i < j->end; i++)
		j->it[i].accepted = 0;
	j->rc = j->cur;
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>%s", e->from, params);
		(void)sess_cmd(j, ST_MAIL, cmd, NULL);
	}
}

static void
sess_send_rcpt(struct job *j)
{
	struct item *it = &j->it[j->rc];
	const struct mail_queue_rcpt *rc = &it->rm->m.env.rcpt[it->rcpt];
	char params[512];
	size_t k = 0;

	params[0] = '\0';
	if ((j->ext & EXT_DSN) && rc->notify) {
		static const struct {
			unsigned bit;
			const char *s;
		} nt[] = {{MAIL_NOTIFY_SUCCESS, "SUCCESS"},
		    {MAIL_NOTIFY_FAILURE, "FAILURE"},
		    {MAIL_NOTIFY_DELAY, "DELAY"}};
		int first = 1;

		k += (size_t)snprintf(params, sizeof(params), " NOTIFY=");
		if (rc->notify & MAIL_NOTIFY_NEVER)
			k += (size_t)snprintf(params + k, sizeof(params) - k,
			    "NEVER");
		else
			for (size_t i = 0; i < 3; i++)
				if (rc->notify & nt[i].bit) {
					k += (size_t)snprintf(params + k,
					    sizeof(params) - k, "%s%s",
					    first ? "" : ",", nt[i].s);
					first = 0;
				}
	}
	if ((j->ext & EXT_DSN) && rc->orcpt && k < sizeof(params))
		k += (size_t)snprintf(params + k, sizeof(params) - k,
		    " ORCPT=%s", rc->orcpt);
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>%s", rc->addr, params);
		(void)sess_cmd(j, ST_RCPT, cmd, NULL);
	}
}

/* The body, dot-stuffed, as far as the output allows; DRAINED resumes. */
static void
sess_send_body(struct job *j)
{
	const struct mail_queue_msg *m = &j->it[j->cur].rm->m;

	while (!j->body_end) {
		uint8_t *out;
		size_t outn = 0, used;

		if (conn_backlogged(j->c)) {
			conn_want_drained(j->c);
			return;
		}
		if ((out = conn_reserve(j->c, BODY_CHUNK)) == NULL) {
			sess_fail(j, "output full");
			return;
		}
		used = dot_encode(&j->enc, m->data + j->body_off,
		    m->len - j->body_off, out, BODY_CHUNK - DOT_END_MAX,
		    &outn);
		j->body_off += used;
		if (j->body_off == m->len) {
			if (dot_encode_end(&j->enc, out, BODY_CHUNK,
			    &outn) < 0) {
				conn_commit(j->c, outn);
				sess_fail(j, "cannot end the body");
				return;
			}
			j->body_end = 1;
		}
		conn_commit(j->c, outn);
	}
	j->st = ST_BODY;
	j->reply[0] = '\0';
}

static void
item_set(struct job *j, struct item *it, enum item_res res)
{
	it->res = res;
	snprintf(it->host, sizeof(it->host), "%s", j->hosts[j->hi].name);
	snprintf(it->reply, sizeof(it->reply), "%s", j->reply);
}

static void
ehlo_keyword(struct job *j, const char *kw)
{
	static const struct {
		const char *name;
		unsigned bit;
	} ext[] = {{"STARTTLS", EXT_STARTTLS}, {"8BITMIME", EXT_8BITMIME},
	    {"SMTPUTF8", EXT_SMTPUTF8}, {"DSN", EXT_DSN}};
	size_t n = strcspn(kw, " ");

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strlen(ext[i].name) == n &&
		    ascii_casecmp(kw, n, ext[i].name, n) == 0)
			j->ext |= ext[i].bit;
}

/* One whole reply came (code, j->reply): the next step. */
static void
sess_reply(struct job *j)
{
	int code = j->reply_code, cls = code / 100;

	switch (j->st) {
	case ST_GREETING:
		if (cls != 2) {
			sess_fail(j, j->reply);
			return;
		}
		j->ext = 0;
		(void)sess_cmd(j, ST_EHLO, "EHLO ", j->r->hostname);
		return;
	case ST_EHLO:
		if (cls == 5) {
			(void)sess_cmd(j, ST_HELO, "HELO ", j->r->hostname);
			return;
		}
		if (cls != 2) {
			sess_fail(j, j->reply);
			return;
		}
		if ((j->ext & EXT_STARTTLS) && !j->tls &&
		    !j->r->conf.no_starttls && j->r->tls) {
			(void)sess_cmd(j, ST_STARTTLS, "STARTTLS", NULL);
			return;
		}
		j->end = j->cur;
		sess_next_msg(j);
		return;
	case ST_HELO:
		if (cls != 2) {
			sess_fail(j, j->reply);
			return;
		}
		j->ext = 0;
		j->end = j->cur;
		sess_next_msg(j);
		return;
	case ST_STARTTLS:
		if (cls != 2) {
			/* Opportunistic: go on in plaintext. */
			j->tls = -1;
			j->end = j->cur;
			sess_next_msg(j);
			return;
		}
		j->st = ST_TLS;
		if (conn_tls_connect(j->c, j->r->tls, j->hosts[j->hi].name,
		    j->r->conf.timeout_ms) < 0)
			sess_fail(j, "STARTTLS failed");
		return;
	case ST_MAIL:
		if (cls == 2) {
			sess_send_rcpt(j);
			return;
		}
		for (int i = j->cur; i < j->end; i++)
			item_set(j, &j->it[i], cls == 5 ? IT_PERM : IT_TEMP);
		(void)sess_cmd(j, ST_RSET, "RSET", NULL);
		return;
	case ST_RCPT:
		if (cls == 2) {
			j->it[j->rc].accepted = 1;
			j->naccepted++;
		} else {
			item_set(j, &j->it[j->rc], cls == 5 ? IT_PERM :
			    IT_TEMP);
		}
		if (++j->rc < j->end) {
			sess_send_rcpt(j);
			return;
		}
		if (j->naccepted == 0) {
			(void)sess_cmd(j, ST_RSET, "RSET", NULL);
			return;
		}
		(void)sess_cmd(j, ST_DATA, "DATA", NULL);
		return;
	case ST_DATA:
		if (code != 354) {
			for (int i = j->cur; i < j->end; i++)
				if (j->it[i].accepted)
					item_set(j, &j->it[i], cls == 5 ?
					    IT_PERM : IT_TEMP);
			(void)sess_cmd(j, ST_RSET, "RSET", NULL);
			return;
		}
		dot_enc_init(&j->enc, 0);
		j->body_off = 0;
		j->body_end = 0;
		j->st = ST_BODY;
		sess_send_body(j);
		return;
	case ST_BODY:
		for (int i = j->cur; i < j->end; i++)
			if (j->it[i].accepted)
				item_set(j, &j->it[i], cls == 2 ? IT_OK :
				    cls == 5 ? IT_PERM : IT_TEMP);
		sess_next_msg(j);
		return;
	case ST_RSET:
		sess_next_msg(j);
		return;
	case ST_QUIT:
		detach(j, 1);
		job_end(j);
		return;
	default:
		sess_fail(j, "unexpected reply");
		return;
	}
}

/* Reply lines: "NNN-text" goes on, "NNN text" (or "NNN") ends. */
static void
sess_data(struct job *j)
{
	struct slice line;
	int k;

	while (!j->finishing && j->c && (k = line_next(&j->c->in,
	    REPLY_LINE_MAX,
	    &line)) != 0) {
		char txt[REPLY_LINE_MAX + 1];
		size_t n, have;

		if (k < 0 || line.n < 3 || !isdig(line.p[0]) ||
		    !isdig(line.p[1]) || !isdig(line.p[2]) ||
		    (line.n > 3 && line.p[3] != ' ' && line.p[3] != '-')) {
			sess_fail(j, "bad reply line");
			return;
		}
		n = line.n < REPLY_LINE_MAX ? line.n : REPLY_LINE_MAX;
		memcpy(txt, line.p, n);
		txt[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)txt[i] < 0x20)
				txt[i] = ' ';
		if (j->st == ST_EHLO && n > 4 && j->reply[0])
			ehlo_keyword(j, txt + 4);
		/* The reply's text: its lines joined (EHLO keeps only its
		 * first, the keywords are not worth keeping). */
		have = strlen(j->reply);
		if (have == 0)
			snprintf(j->reply, sizeof(j->reply), "%.*s", (int)n,
			    txt);
		else if (j->st != ST_EHLO && n > 4)
			snprintf(j->reply + have, sizeof(j->reply) - have,
			    " %s", txt + 4);
		if (n > 3 && txt[3] == '-')
			continue;
		j->reply_code = (txt[0] - '0') * 100 + (txt[1] - '0') * 10 +
		    (txt[2] - '0');
		sess_reply(j);
		if (j->c == NULL || j->st == ST_TLS)
			return;
	}
}

static void
sess_event(struct conn *c, enum conn_ev ev, void *arg)
{
	struct job *j = arg;

	switch (ev) {
	case CONN_EV_DATA:
		sess_data(j);
		break;
	case CONN_EV_TLS:
		j->tls = 1;
		j->ext = 0;
		(void)sess_cmd(j, ST_EHLO, "EHLO ", j->r->hostname);
		break;
	case CONN_EV_DRAINED:
		if (j->st == ST_BODY && !j->body_end)
			sess_send_body(j);
		break;
	case CONN_EV_TIMEOUT:
		sess_fail(j, "timed out waiting for a reply");
		break;
	case CONN_EV_EOF:
		sess_fail(j, "connection closed by the server");
		break;
	case CONN_EV_ERROR: {
		const char *t = conn_tls_error(c);

		sess_fail(j, t ? t : "connection lost");
		break;
	}
	case CONN_EV_CLOSED:
		if (j->c == c) {
			j->c = NULL;
			sess_fail(j, "connection closed");
		}
		break;
	default:
		break;
	}
}

static void
on_upstream(void *arg, enum upstream_ev ev, const struct upstream_result *u)
{
	struct job *j = arg;
	char why[UPSTREAM_ERR_LEN + 64];

	if (ev == UPSTREAM_EV_TRYING)
		return;
	j->req = NULL;
	if (ev == UPSTREAM_EV_ERROR) {
		snprintf(why, sizeof(why), "connect to %s port %d: %s",
		    j->hosts[j->hi].name, j->port, u->errstr ? u->errstr :
		    "failed");
		sess_fail(j, why);
		return;
	}
	j->c = u->c;
	conn_set_handler(j->c, sess_event, j);
	conn_set_timeout(j->c, j->r->conf.timeout_ms);
	j->st = ST_GREETING;
	j->tls = 0;
	j->reply[0] = '\0';
	j->end = j->cur = 0;
	for (int i = 0; i < j->nit; i++)
		j->it[i].accepted = 0;
	log_msg(LOG_DEBUG, "relay %s: connected to %s port %d", j->domain,
	    j->hosts[j->hi].name, j->port);
}

/* The next host, or the end of the job. Items already answered keep
 * their result; the others go to the next host. */
static void
job_next_host(struct job *j)
{
	int left = 0;

	for (int i = 0; i < j->nit; i++)
		left += j->it[i].res == IT_NONE;
	if (left == 0 || j->hi >= j->nhosts) {
		job_end(j);
		return;
	}
	j->req = upstream_connect(j->r->up, j->hosts[j->hi].name, j->port,
	    UPSTREAM_FRESH, on_upstream, j);
	if (j->req == NULL) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		job_end(j);
	}
}

static void
job_perm_all(struct job *j, const char *why)
{
	for (int i = 0; i < j->nit; i++) {
		j->it[i].res = IT_PERM;
		snprintf(j->it[i].reply, sizeof(j->it[i].reply), "%s", why);
	}
}

static void
on_mx(void *arg, enum dns_mx_status st, const struct dns_mx_host *h, int n,
    const char *err)
{
	struct job *j = arg;
	char why[MAIL_QUEUE_ERR_LEN];

	j->mx = NULL;
	switch (st) {
	case DNS_MX_OK:
		memcpy(j->hosts, h, (size_t)n * sizeof(*h));
		j->nhosts = n;
		break;
	case DNS_MX_IMPLICIT:
		snprintf(j->hosts[0].name, sizeof(j->hosts[0].name), "%s",
		    j->domain);
		j->nhosts = 1;
		break;
	case DNS_MX_NXDOMAIN:
	case DNS_MX_NULL:
		snprintf(why, sizeof(why), "550 5.1.2 %s: %s", j->domain, err);
		job_perm_all(j, why);
		job_end(j);
		return;
	default:
		snprintf(j->err, sizeof(j->err), "MX lookup for %s: %s",
		    j->domain, err);
		job_end(j);
		return;
	}
	j->hi = 0;
	job_next_host(j);
}

static void
job_start(struct job *j)
{
	struct mail_relay *r = j->r;

	if (r->smarthost) {
		snprintf(j->hosts[0].name, sizeof(j->hosts[0].name), "%s",
		    r->sm_host);
		j->nhosts = 1;
		j->port = r->sm_port;
		j->hi = 0;
		job_next_host(j);
		return;
	}
	j->port = r->conf.smtp_port;
	j->mx = dns_mx_start(r->loop, &r->conf.resolver, j->domain, on_mx, j);
	if (j->mx == NULL) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		job_end(j);
	}
}

/* ---- the scan ---- */

static struct job *
job_for(struct mail_relay *r, struct job **fresh, const char *domain)
{
	struct job *j;

	for (j = r->jobs; j; j = j->next)
		if (ascii_casecmp(j->domain, strlen(j->domain), domain,
		    strlen(domain)) == 0)
			return NULL;	/* busy: its turn comes next scan */
	for (j = *fresh; j; j = j->next)
		if (ascii_casecmp(j->domain, strlen(j->domain), domain,
		    strlen(domain)) == 0)
			return j;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->r = r;
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	j->next = *fresh;
	*fresh = j;
	return j;
}

static int
job_add(struct job *j, struct relay_msg *rm, int rcpt)
{
	struct item *it = realloc(j->it, (size_t)(j->nit + 1) * sizeof(*it));

	if (it == NULL)
		return -1;
	j->it = it;
	memset(&it[j->nit], 0, sizeof(*it));
	it[j->nit].rm = rm;
	it[j->nit].rcpt = rcpt;
	j->nit++;
	rm->refs++;
	return 0;
}

struct flushes {
	char (*ids)[MAIL_QUEUE_ID_LEN];
	int n;
};

static void
on_flush(const char *id, void *arg)
{
	struct flushes *f = arg;
	void *p = realloc(f->ids, (size_t)(f->n + 1) * MAIL_QUEUE_ID_LEN);

	if (p == NULL)
		return;
	f->ids = p;
	snprintf(f->ids[f->n++], MAIL_QUEUE_ID_LEN, "%s", id);
}

static int
flushed(const struct flushes *f, const char *id)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->ids[i], id) == 0)
			return 1;
	return 0;
}

static void
scan(struct loop *loop, struct timer *t, void *arg)
{
	struct mail_relay *r = arg;
	char (*ids)[MAIL_QUEUE_ID_LEN], err[MAIL_QUEUE_ERR_LEN];
	struct flushes fl = {NULL, 0};
	struct job *fresh = NULL;
	int64_t now = (int64_t)time(NULL);
	int n, all;

	all = mail_queue_flush_take(r->queue, on_flush, &fl, err);
	if (all < 0) {
		log_msg(LOG_ERROR, "relay: %s", err);
		all = 0;
	}
	if (mail_queue_list(r->queue, &ids, &n, err) < 0) {
		log_msg(LOG_ERROR, "relay: %s", err);
		free(fl.ids);
		return;
	}
	if (relay_metrics.depth >= 0)
		metric_gauge_set(relay_metrics.depth, n);
	for (int i = 0; i < n; i++) {
		struct relay_msg *rm;
		int force = all || flushed(&fl, ids[i]), due = 0;

		if (msg_find(r, ids[i]))
			continue;
		if ((rm = calloc(1, sizeof(*rm))) == NULL)
			break;
		int k = mail_queue_read(r->queue, ids[i], &rm->m, err);

		if (k != 0) {
			if (k < 0)
				log_once(LOG_ERROR, "relay: %s", err);
			free(rm);
			continue;
		}
		rm->fresh = calloc((size_t)rm->m.env.nrcpt, 1);
		rm->next = r->msgs;
		r->msgs = rm;
		rm->refs = 1;	/* held by this loop until the end */
		for (int q = 0; rm->fresh && q < rm->m.env.nrcpt; q++) {
			const struct mail_queue_rstat *s = &rm->m.st[q];
			const char *addr = rm->m.env.rcpt[q].addr;
			const char *at = strrchr(addr, '@');
			struct job *j;

			if (s->state != MAIL_QUEUE_PENDING ||
			    (!force && s->next_try > now) || at == NULL ||
			    at[1] == '\0')
				continue;
			if ((j = job_for(r, &fresh, at + 1)) == NULL)
				continue;
			if (job_add(j, rm, q) == 0)
				due++;
		}
		if (due && rm->m.st[0].tries == 0)
			log_msg(LOG_INFO, "relay %s: from=<%s> size=%zu "
			    "nrcpt=%d (queue active)", rm->m.id,
			    rm->m.env.from, rm->m.len, rm->m.env.nrcpt);
		if (--rm->refs == 0)
			msg_unlink_free(r, rm);
	}
	free(ids);
	free(fl.ids);
	while (fresh) {
		struct job *j = fresh;

		fresh = j->next;
		j->next = r->jobs;
		r->jobs = j;
		job_start(j);
	}
}

/* ---- the runner ---- */

static int
parse_smarthost(struct mail_relay *r, const char *s, char *err)
{
	const char *colon;
	size_t hl;

	r->sm_port = r->conf.smtp_port;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			goto bad;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(s, ':');
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(r->sm_host))
		goto bad;
	memcpy(r->sm_host, s, hl);
	r->sm_host[hl] = '\0';
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);

		if (*end != '\0' || p <= 0 || p > 65535)
			goto bad;
		r->sm_port = (int)p;
	}
	return 0;
bad:
	snprintf(err, MAIL_RELAY_ERR_LEN, "bad smarthost '%s' (host[:port] "
	    "or [address]:port)", s);
	return -1;
}

struct mail_relay *
mail_relay_new(struct loop *loop, const struct mail_relay_conf *conf,
    char *err)
{
	struct mail_relay *r = calloc(1, sizeof(*r));
	struct upstream_conf uc;
	struct tls_client_conf tc;
	char qerr[MAIL_QUEUE_ERR_LEN], host[256], terr[256];

	if (r == NULL) {
		snprintf(err, MAIL_RELAY_ERR_LEN, "out of memory");
		return NULL;
	}
	r->loop = loop;
	r->conf = *conf;
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	r->queue = strdup(conf->queue ? conf->queue : "");
	r->hostname = strdup(conf->hostname ? conf->hostname : host);
	r->conf.queue = r->queue;
	r->conf.hostname = r->hostname;
	r->conf.smarthost = NULL;
	if (!r->conf.smtp_port)
		r->conf.smtp_port = 25;
	if (!r->conf.scan_ms)
		r->conf.scan_ms = 1000;
	if (!r->conf.retry_min_s)
		r->conf.retry_min_s = 300;
	if (!r->conf.retry_max_s)
		r->conf.retry_max_s = 4 * 3600;
	if (r->conf.retry_max_s < r->conf.retry_min_s)
		r->conf.retry_max_s = r->conf.retry_min_s;
	if (!r->conf.max_queue_time_s)
		r->conf.max_queue_time_s = 5 * 86400;
	if (!r->conf.timeout_ms)
		r->conf.timeout_ms = 300000;
	if (r->queue == NULL || r->hostname == NULL) {
		snprintf(err, MAIL_RELAY_ERR_LEN, "out of memory");
		goto fail;
	}
	if (conf->smarthost) {
		r->smarthost = strdup(conf->smarthost);
		if (r->smarthost == NULL ||
		    parse_smarthost(r, conf->smarthost, err) < 0)
			goto fail;
	}
	if (mail_queue_open(r->queue, qerr) < 0) {
		snprintf(err, MAIL_RELAY_ERR_LEN, "%s", qerr);
		goto fail;
	}
	memset(&tc, 0, sizeof(tc));
	tc.insecure = 1;	/* opportunistic, RFC 7435 */
	if (!conf->no_starttls && (r->tls = tls_client_new(&tc, terr)) ==
	    NULL)
		log_msg(LOG_WARN, "relay: no TLS client (%s): STARTTLS off",
		    terr);
	memset(&r->stub, 0, sizeof(r->stub));
	r->stub.server = conf->resolver;
	memset(&uc, 0, sizeof(uc));
	uc.connect_timeout_ms = r->conf.timeout_ms < 30000 ?
	    r->conf.timeout_ms : 30000;
	conn_limits_default(&uc.lim);
	uc.lim.timeout_ms = r->conf.timeout_ms;
	dns_stub_as_lookup(&uc.lookup, &r->stub);
	if ((r->up = upstream_new(loop, &uc)) == NULL) {
		snprintf(err, MAIL_RELAY_ERR_LEN, "out of memory");
		goto fail;
	}
	timer_init(&r->scan, scan, r);
	loop_timer_start(loop, &r->scan, 0, r->conf.scan_ms);
	return r;
fail:
	if (r->tls)
		tls_client_unref(r->tls);
	free(r->queue);
	free(r->hostname);
	free(r->smarthost);
	free(r);
	return NULL;
}

void
mail_relay_free(struct mail_relay *r)
{
	if (r == NULL)
		return;
	loop_timer_stop(r->loop, &r->scan);
	while (r->jobs) {
		struct job *j = r->jobs;

		/* Nothing is saved: every recipient in flight is tried
		 * again at the next start. */
		if (j->mx)
			dns_mx_cancel(j->mx);
		if (j->req)
			upstream_cancel(j->req);
		detach(j, 0);
		loop_defer_cancel(r->loop, &j->task);
		r->jobs = j->next;
		free(j->it);
		free(j);
	}
	while (r->msgs)
		msg_unlink_free(r, r->msgs);
	upstream_free(r->up);
	if (r->tls)
		tls_client_unref(r->tls);
	free(r->queue);
	free(r->hostname);
	free(r->smarthost);
	free(r);
}
