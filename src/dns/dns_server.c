/* dns_server.c - the authoritative DNS server as a camada service.
 *
 * The parent loads every zone in setup (an error is "FILE:LINE: message" and
 * exit status 2); the workers inherit the data by fork and answer from it:
 * UDP datagrams and TCP frames (RFC 1035 §4.2.2, several per connection, RFC
 * 7766) go through dns_auth_packet into one per-process output buffer, so a
 * query costs no allocation. A zone transfer is streamed from a reference to
 * the zone a few messages at a time as the connection drains. SIGHUP reloads
 * every zone in each worker; a zone whose new file has an error keeps its
 * old data and the error is logged. The files are read and parsed on the
 * worker's thread pool, so a large zone does not stall the answers; the loop
 * swaps the new data in when it is ready.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/cli.h"
#include "core/conn.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/session.h"
#include "core/udp.h"
#include "dns/dns_auth.h"
#include "dns/dns_db.h"
#include "dns/dns_server.h"
#include "dns/dns_text.h"

/* Longest query taken over UDP: a real one is a few hundred bytes. */
#define DNS_UDP_QUERY_MAX 4096
#define AXFR_AHEAD (64 * 1024)	/* queued transfer bytes before waiting */
#define BADLOG_PER_SEC 10

struct dns_conf {
	struct conf_addrs listen;
	struct conf_strs zone;
	struct conf_strs allow_transfer;
	uint64_t tcp_idle_timeout;
	long max_tcp_connections;
	long udp_size_max;
	int rotate;
	struct conf_strs notify;
};

#define D(f) offsetof(struct dns_conf, f)
static const struct conf_key dns_keys[] = {
	{ "listen", CONF_ADDRS, D(listen), "0.0.0.0:5300", 0, 0,
	    "address to listen on, UDP and TCP (repeat for more)", 'l' },
	{ "zone", CONF_PATHS, D(zone), NULL, 0, 0,
	    "zone file to serve, FILE or NAME=FILE (repeat for more)", 'z' },
	{ "allow-transfer", CONF_STRS, D(allow_transfer), "127.0.0.0/8 ::1",
	    0, 0, "prefixes that may AXFR (none: nobody)", 0 },
	{ "tcp-idle-timeout", CONF_MS, D(tcp_idle_timeout), "10s", 0, 0,
	    "close a TCP client silent for this long", 0 },
	{ "max-tcp-connections", CONF_INT, D(max_tcp_connections), "1000", 1,
	    1000000, "TCP clients at once per worker", 0 },
	{ "udp-size-max", CONF_INT, D(udp_size_max), "1232", 512, 65535,
	    "largest UDP response, whatever the client's EDNS size", 0 },
	{ "rotate", CONF_BOOL, D(rotate), "on", 0, 0,
	    "rotate the order of records in answers (round robin)", 0 },
	{ "notify", CONF_STRS, D(notify), NULL, 0, 0,
	    "secondaries (ADDR or ADDR:PORT) told by NOTIFY when a reload "
	    "changes a zone's serial (repeat for more)", 0 },
	{ NULL, 0, 0, NULL, 0, 0, NULL, 0 },
};


struct zone_src {
	char *file;
	uint8_t origin[DNS_NAME_MAX];
	int has_origin;
};

struct dns_sess;
struct reload_job;

/* per process (made in the parent's setup, inherited by the workers) */
struct dns_state {
	struct instance *in;
	struct dns_conf *cf;
	struct dns_db db;
	struct zone_src src[DNS_DB_MAX_ZONES];
	int nsrc;
	struct acl xfr_acl;	/* allow-transfer */
	struct sock_addr notify[CONF_STRS_MAX];
	int nnotify;
	int widx;
	struct dns_auth_opts opts;
	struct loop *loop;
	struct worker *w;
	struct reload_job *reloading[DNS_DB_MAX_ZONES];	/* on the pool */
	struct session_set set;	/* TCP clients */
	uint64_t badlog_sec;
	int badlog_n;
	unsigned long badlog_dropped;
	struct dns_arena arena;
	struct dns_msg msg;
	uint8_t *arena_mem;
	uint8_t *out;		/* 2 + DNS_MSG_MAX */
};

struct dns_sess {
	struct session base;	/* first; base.c is its conn */
	struct dns_state *st;
	int xfr;		/* a transfer in flight */
	int close_after;	/* the peer finished: close after it */
	struct dns_axfr x;
};

#define RC_SLOTS 9
static const char *const rc_names[RC_SLOTS] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"NOTAUTH", "BADVERS", "other",
};

static struct {
	int queries[2][RC_SLOTS]; /* [udp, tcp][rcode] */
	int truncated, axfr, bad, reloads, reload_errors, notifies;
} m;
static struct session_metrics sm;
static const struct session_names names = {
	"dns_tcp_connections_total",
	"TCP connections accepted by the DNS server",
	"dns_tcp_connections_refused_total",
	"TCP connections refused over max-tcp-connections",
	NULL, NULL,
};

static int
rc_slot(uint16_t rc)
{
	switch (rc) {
	case DNS_RCODE_NOERROR: return 0;
	case DNS_RCODE_FORMERR: return 1;
	case DNS_RCODE_SERVFAIL: return 2;
	case DNS_RCODE_NXDOMAIN: return 3;
	case DNS_RCODE_NOTIMP: return 4;
	case DNS_RCODE_REFUSED: return 5;
	case DNS_RCODE_NOTAUTH: return 6;
	case DNS_RCODE_BADVERS: return 7;
	default: return 8;
	}
}

/* ---- setup ---- */

static int
zone_src_parse(struct zone_src *z, const char *v, char *err)
{
	const char *eq = strchr(v, '=');

	memset(z, 0, sizeof(*z));
	if (eq && memchr(v, '/', (size_t)(eq - v)) == NULL) {
		const char *why = NULL;
		if (dns_name_from_text(v, (size_t)(eq - v), (const uint8_t *)"",
		    z->origin, &why) < 0) {
			snprintf(err, CONF_ERR_LEN, "zone %s: bad zone name (%s)",
			    v, why ? why : "syntax");
			return -1;
		}
		z->has_origin = 1;
		v = eq + 1;
	}
	if ((z->file = strdup(v)) == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	return 0;
}

static void
dns_release(struct instance *in)
{
	struct dns_state *st = in->state;

	if (st == NULL)
		return;
	session_set_free(&st->set);
	dns_db_clear(&st->db);
	for (int i = 0; i < st->nsrc; i++)
		free(st->src[i].file);
	free(st->arena_mem);
	free(st->out);
	free(st);
	in->state = NULL;
}

static int
dns_setup(struct instance *in, char *err)
{
	struct dns_conf *cf = in->conf;
	struct dns_state *st;
	char zerr[CONF_ERR_LEN]; /* zone_src_parse writes CONF_ERR_LEN */

	for (int t = 0; t < 2; t++)
		for (int r = 0; r < RC_SLOTS; r++) {
			char labels[64];
			snprintf(labels, sizeof(labels),
			    "transport=\"%s\",rcode=\"%s\"", t ? "tcp" : "udp",
			    rc_names[r]);
			m.queries[t][r] = metric_counter("dns_queries_total",
			    labels, "DNS queries answered, by transport and rcode");
		}
	m.truncated = metric_counter("dns_truncated_total", "",
	    "UDP answers sent with TC (the client retries over TCP)");
	m.axfr = metric_counter("dns_axfr_total", "", "zone transfers served");
	m.bad = metric_counter("dns_bad_queries_total", "",
	    "malformed, refused or unsupported queries");
	session_metrics_register(&sm, &names);
	m.reloads = metric_counter("dns_zone_reloads_total", "",
	    "zones reloaded on SIGHUP");
	m.reload_errors = metric_counter("dns_zone_reload_errors_total", "",
	    "zone reloads that failed (the old data stays)");
	m.notifies = metric_counter("dns_notify_sent_total", "",
	    "NOTIFY messages sent to secondaries");

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	in->state = st;
	st->in = in;
	st->cf = cf;
	st->opts.udp_max = (uint16_t)cf->udp_size_max;
	st->opts.rotate = cf->rotate;
	if (cf->zone.n == 0) {
		snprintf(err, CONF_ERR_LEN, "dns: no zone to serve (-z FILE or "
		    "zone = FILE)");
		return -1;
	}
	if (!(cf->allow_transfer.n == 1 &&
	    strcmp(cf->allow_transfer.v[0], "none") == 0) &&
	    acl_from_strs(&st->xfr_acl, &cf->allow_transfer, zerr,
	    sizeof(zerr)) < 0) {
		snprintf(err, CONF_ERR_LEN, "dns: allow-transfer: %s", zerr);
		return -1;
	}
	for (int i = 0; i < cf->notify.n; i++) {
		char why[SOCK_ERR_LEN];
		if (sock_parse_host(cf->notify.v[i], 53,
		    &st->notify[st->nnotify], why) < 0) {
			snprintf(err, CONF_ERR_LEN, "dns: notify %s: %s",
			    cf->notify.v[i], why);
			return -1;
		}
		st->nnotify++;
	}
	for (int i = 0; i < cf->zone.n; i++) {
		struct dns_dbzone *z;
		struct zone_src *s = &st->src[st->nsrc];
		if (st->nsrc == DNS_DB_MAX_ZONES) {
			snprintf(err, CONF_ERR_LEN, "dns: at most %d zones",
			    DNS_DB_MAX_ZONES);
			return -1;
		}
		if (zone_src_parse(s, cf->zone.v[i], zerr) < 0) {
			snprintf(err, CONF_ERR_LEN, "dns: %s", zerr);
			return -1;
		}
		st->nsrc++;
		if (dns_dbzone_load(s->file, s->has_origin ? s->origin : NULL,
		    &z, zerr, sizeof(zerr)) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s", zerr);
			return -1;
		}
		if (dns_db_add(&st->db, z) < 0) {
			char name[DNS_NAME_TEXT_MAX];
			dns_name_to_text(z->origin, name, sizeof(name));
			snprintf(err, CONF_ERR_LEN, "%s: zone %s is served twice",
			    s->file, name);
			dns_dbzone_unref(z);
			return -1;
		}
		if (!s->has_origin) { /* reloads keep the apex */
			memcpy(s->origin, z->origin, (size_t)z->origin_len);
			s->has_origin = 1;
		}
	}
	for (int i = 0; i < cf->listen.n; i++) {
		if (server_listen_both(in, &cf->listen.a[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- logging bad queries, at most BADLOG_PER_SEC a second ---- */

static void
log_bad(struct dns_state *st, const struct sock_addr *peer, const char *proto,
    const struct dns_auth_result *res)
{
	char addr[SOCK_ADDR_STRLEN];
	uint64_t sec = loop_now(st->loop) / 1000;

	metric_inc(m.bad);
	if (sec != st->badlog_sec) {
		if (st->badlog_dropped)
			log_info("dns: %lu more refused or malformed queries "
			    "not logged", st->badlog_dropped);
		st->badlog_sec = sec;
		st->badlog_n = 0;
		st->badlog_dropped = 0;
	}
	if (st->badlog_n >= BADLOG_PER_SEC) {
		st->badlog_dropped++;
		return;
	}
	st->badlog_n++;
	log_info("dns: %s %s: %s", proto, sock_addr_str(peer, addr,
	    sizeof(addr)), res->why ? res->why : "bad query");
}

static void
log_query(const struct dns_msg *q, const struct sock_addr *peer,
    const char *proto, const struct dns_auth_result *res)
{
	char name[DNS_NAME_TEXT_MAX], type[16], rc[16], addr[SOCK_ADDR_STRLEN];

	if (q->qdcount != 1 || q->qd == NULL ||
	    dns_name_to_text(q->qd[0].name, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "-");
	if (q->qdcount != 1 || q->qd == NULL ||
	    dns_type_to_text(q->qd[0].qtype, type, sizeof(type)) < 0)
		snprintf(type, sizeof(type), "-");
	dns_rcode_to_text(res->rcode, rc, sizeof(rc));
	log_msg(LOG_DEBUG, "dns: %s %s %s %s -> %s%s", proto,
	    sock_addr_str(peer, addr, sizeof(addr)), name, type, rc,
	    res->tc ? " TC" : "");
}

/* ---- UDP ---- */

static void
on_datagram(struct udp_sock *u, const uint8_t *p, size_t n,
    const struct sock_addr *from, void *arg)
{
	struct dns_state *st = arg;
	struct dns_auth_result res;
	int len;

	st->opts.tcp = 0;
	if (n > DNS_UDP_QUERY_MAX) {
		res.why = "datagram too long";
		log_bad(st, from, "udp", &res);
		return;
	}
	len = dns_auth_packet(&st->db, p, n, &st->arena, &st->msg, &st->opts,
	    st->out, DNS_MSG_MAX, &res);
	if (res.bad)
		log_bad(st, from, "udp", &res);
	if (log_get_level() >= LOG_DEBUG)
		log_query(&st->msg, from, "udp", &res);
	if (len <= 0)
		return;
	if (udp_send(u, st->out, (size_t)len, from) == 0) {
		metric_inc(m.queries[0][rc_slot(res.rcode)]);
		if (res.tc)
			metric_inc(m.truncated);
	}
}

/* ---- TCP ---- */

static void
sess_free(struct session *base)
{
	struct dns_sess *s = (struct dns_sess *)base;

	if (s->xfr)
		dns_axfr_end(&s->x);
}

/* Queues one framed message; -1 when the connection cannot take it. */
static int
send_frame(struct conn *c, uint8_t *buf, int len)
{
	dns_put16(buf, (uint16_t)len);
	return conn_write(c, buf, (size_t)len + 2);
}

/* Queues transfer messages until AXFR_AHEAD bytes wait or it is done. */
static void
xfr_pump(struct dns_sess *s)
{
	struct dns_state *st = s->st;

	while (s->xfr && conn_pending(s->base.c) < AXFR_AHEAD) {
		/* messages up to the protocol's 64 KiB: a record that would
		 * not fit a smaller one must not be left out of the
		 * secondary's copy */
		int len = dns_axfr_next(&s->x, st->out + 2, DNS_MSG_MAX - 2);
		if (len <= 0) {
			dns_axfr_end(&s->x);
			s->xfr = 0;
			break;
		}
		if (send_frame(s->base.c, st->out, len) < 0) {
			conn_abort(s->base.c);
			return;
		}
	}
	if (s->xfr)
		conn_want_drained(s->base.c);
}

static void
on_tcp_data(struct dns_sess *s)
{
	struct dns_state *st = s->st;
	struct conn *c = s->base.c;
	struct dns_auth_result res;
	struct slice msg;
	int r, len;

	while (!s->xfr &&
	    (r = dns_tcp_frame(buf_data(&c->in), c->in.len, &msg)) != 0) {
		if (r == PARSE_AGAIN)
			break;
		if (r < 0) { /* a zero-length frame */
			res.why = "zero-length TCP frame";
			log_bad(st, &c->peer, "tcp", &res);
			conn_close(c);
			return;
		}
		st->opts.tcp = 1;
		len = dns_auth_packet(&st->db, msg.p, msg.n, &st->arena,
		    &st->msg, &st->opts, st->out + 2, DNS_MSG_MAX, &res);
		buf_consume(&c->in, (size_t)r);
		if (res.xfr) {
			if (!acl_match(&st->xfr_acl, &c->peer)) {
				res.why = "zone transfer not allowed";
				res.bad = 1;
				res.rcode = DNS_RCODE_REFUSED;
				len = dns_auth_error(&st->msg,
				    DNS_RCODE_REFUSED, st->out + 2, DNS_MSG_MAX);
			} else {
				char addr[SOCK_ADDR_STRLEN], zn[DNS_NAME_TEXT_MAX];
				dns_name_to_text(res.zone->origin, zn,
				    sizeof(zn));
				log_info("dns: AXFR of %s (serial %u) to %s", zn,
				    res.zone->serial,
				    sock_addr_str(&c->peer, addr, sizeof(addr)));
				metric_inc(m.axfr);
				metric_inc(m.queries[1][0]);
				dns_axfr_begin(&s->x, res.zone, &st->msg);
				s->xfr = 1;
				xfr_pump(s); /* a small zone may be done at once */
				continue;
			}
		}
		if (res.bad)
			log_bad(st, &c->peer, "tcp", &res);
		if (log_get_level() >= LOG_DEBUG)
			log_query(&st->msg, &c->peer, "tcp", &res);
		if (len <= 0) { /* unreadable: nothing sensible to say */
			conn_close(c);
			return;
		}
		if (send_frame(c, st->out, len) < 0) {
			conn_abort(c);
			return;
		}
		metric_inc(m.queries[1][rc_slot(res.rcode)]);
	}
}

static void
on_conn(struct session *base, enum conn_ev ev)
{
	struct dns_sess *s = (struct dns_sess *)base;
	struct conn *c = base->c;

	switch (ev) {
	case CONN_EV_DATA:
		on_tcp_data(s);
		break;
	case CONN_EV_DRAINED:
		if (s->xfr) {
			xfr_pump(s);
			if (!s->xfr) {
				if (s->close_after)
					conn_close(c);
				else
					on_tcp_data(s); /* queries that waited */
			}
		}
		break;
	case CONN_EV_EOF:
		if (s->xfr)
			s->close_after = 1;
		else
			conn_close(c);
		break;
	case CONN_EV_TIMEOUT:
		if (!s->xfr)
			conn_close(c);
		else /* a transfer in flight is not idle */
			conn_set_timeout(c, s->st->cf->tcp_idle_timeout);
		break;
	default:
		break; /* CLOSED: the set frees the session */
	}
}

static void
sess_init(struct session *base, void *owner)
{
	((struct dns_sess *)base)->st = owner;
}

/* a refused client is closed without an answer (no refusal bytes) */
static const struct session_ops ops = {
	sizeof(struct dns_sess), on_conn, NULL, sess_free, sess_init,
};

/* ---- reload ---- */

/* NOTIFY (RFC 1996) to every configured secondary: one datagram each from
 * a throwaway socket; a secondary that misses it still has its refresh
 * timer. Only worker 0 sends, so that each secondary hears it once. */
static void
send_notify(struct dns_state *st, const struct dns_dbzone *z)
{
	struct dns_msg_builder b;
	uint8_t buf[DNS_UDP_MAX];
	char err[SOCK_ERR_LEN], addr[SOCK_ADDR_STRLEN];
	int len;

	if (st->widx != 0 || st->nnotify == 0)
		return;
	dns_build_init(&b, buf, sizeof(buf));
	b.id = (uint16_t)(z->serial ^ (uint32_t)loop_now(st->loop));
	b.opcode = DNS_OP_NOTIFY;
	b.flags = DNS_FLAG_AA;
	if (dns_build_question(&b, z->origin, DNS_T_SOA, DNS_C_IN) != DNS_OK ||
	    dns_build_rr(&b, DNS_SEC_ANSWER, &z->soa->rr[0]) != DNS_OK ||
	    (len = dns_build_finish(&b)) < 0)
		return;
	for (int i = 0; i < st->nnotify; i++) {
		struct sock_addr any;
		memset(&any, 0, sizeof(any));
		any.ss.ss_family = st->notify[i].ss.ss_family;
		any.len = st->notify[i].len;
		int fd = sock_bind_udp(&any, 0, err);
		if (fd < 0)
			continue;
		if (sendto(fd, buf, (size_t)len, 0,
		    (const struct sockaddr *)&st->notify[i].ss,
		    st->notify[i].len) == len) {
			metric_inc(m.notifies);
			log_info("dns: NOTIFY serial %u sent to %s", z->serial,
			    sock_addr_str(&st->notify[i], addr, sizeof(addr)));
		}
		close(fd);
	}
}

/* Puts a zone just read in place of zone i (rc 0), or logs why it could
 * not be read (the old data stays). */
static void
zone_loaded(struct dns_state *st, int i, int rc, struct dns_dbzone *z,
    const char *err, int force)
{
	struct zone_src *src = &st->src[i];
	struct dns_dbzone *old = st->db.zones[i];
	char name[DNS_NAME_TEXT_MAX];
	/* on SIGHUP (force) every worker reads the zone and would say the
	 * same: worker 0 says it; a restarted worker catching up speaks for
	 * itself */
	enum log_level info = force ? log_once_level(LOG_INFO) : LOG_INFO;
	enum log_level error = force ? log_once_level(LOG_ERROR) : LOG_ERROR;

	dns_name_to_text(old->origin, name, sizeof(name));
	if (rc < 0) {
		metric_inc(m.reload_errors);
		log_msg(error, "dns: reloading %s: %s (keeping serial %u)",
		    name, err, old->serial);
		return;
	}
	st->db.zones[i] = z;
	metric_inc(m.reloads);
	if (z->serial != old->serial)
		send_notify(st, z);
	if (z->serial != old->serial || force)
		log_msg(info, "dns: zone %s reloaded from %s: serial %u, %zu "
		    "records", name, src->file, z->serial, z->nrecords);
	dns_dbzone_unref(old); /* a transfer in flight keeps its copy */
}

/* Reloads zone i, on the loop, when force or when its file changed since it
 * was read (a restarted worker, before it serves). */
static void
reload_zone(struct dns_state *st, int i, int force)
{
	struct zone_src *src = &st->src[i];
	struct dns_dbzone *old = st->db.zones[i], *z = NULL;
	char err[DNS_DB_ERR_MAX];
	struct stat sb;
	int rc;

	if (!force && stat(src->file, &sb) == 0 &&
	    sb.st_mtim.tv_sec == old->mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == old->mtime.tv_nsec && sb.st_size == old->size)
		return;
	rc = dns_dbzone_load(src->file, src->origin, &z, err, sizeof(err));
	zone_loaded(st, i, rc, z, err, force);
}

/* A SIGHUP reload of one zone on the pool. The pool thread reads only the
 * job and the zone source (fixed since setup) and builds a zone nobody else
 * sees; everything else happens in reload_done, on the loop. */
struct reload_job {
	struct dns_state *st;
	int i;
	struct pool_job *h;
	int again;		/* a SIGHUP came meanwhile: read once more */
	int rc;
	struct dns_dbzone *z;
	char err[DNS_DB_ERR_MAX];
};

static void reload_async(struct dns_state *st, int i);

static void
reload_work(void *arg)
{
	struct reload_job *j = arg;
	struct zone_src *src = &j->st->src[j->i];

	j->rc = dns_dbzone_load(src->file, src->origin, &j->z, j->err,
	    sizeof(j->err));
}

static void
reload_done(struct loop *loop, void *arg, enum pool_status status)
{
	struct reload_job *j = arg;
	struct dns_state *st = j->st;
	int i = j->i, again = j->again;

	st->reloading[i] = NULL;
	if (status == POOL_CANCELLED) { /* stopping: not wanted */
		if (j->rc == 0)
			dns_dbzone_unref(j->z);
		free(j);
		return;
	}
	zone_loaded(st, i, j->rc, j->z, j->err, 1);
	free(j);
	if (again)
		reload_async(st, i);
}

static void
reload_async(struct dns_state *st, int i)
{
	struct reload_job *j;
	struct pool *p;

	if (st->reloading[i]) {
		/* one read per zone at a time, so an older read can never
		 * land after a newer one */
		st->reloading[i]->again = 1;
		return;
	}
	if (st->w->stopping)
		return;
	p = server_pool(st->w);
	if (p == NULL || (j = calloc(1, sizeof(*j))) == NULL) {
		log_error("dns: no thread pool; reloading on the loop");
		reload_zone(st, i, 1);
		return;
	}
	j->st = st;
	j->i = i;
	j->h = pool_submit(p, reload_work, reload_done, j);
	if (j->h == NULL) {
		free(j);
		reload_zone(st, i, 1);
		return;
	}
	st->reloading[i] = j;
}

static void
dns_reopen(struct instance *in)
{
	struct dns_state *st = in->state;

	if (st == NULL || st->w == NULL)
		return;
	for (int i = 0; i < st->db.n; i++)
		reload_async(st, i);
}

/* ---- start / stop ---- */

static int
dns_start(struct instance *in, struct worker *w, char *err)
{
	struct dns_state *st = in->state;
	struct conn_limits lim;

	st->loop = w->loop;
	st->w = w;
	st->widx = w->idx;
	st->arena_mem = malloc(DNS_ARENA_SIZE);
	st->out = malloc(2 + DNS_MSG_MAX);
	if (st->arena_mem == NULL || st->out == NULL) {
		snprintf(err, CONF_ERR_LEN, "out of memory");
		return -1;
	}
	dns_arena_init(&st->arena, st->arena_mem, DNS_ARENA_SIZE);
	conn_limits_default(&lim);
	lim.in_max = 2 + DNS_MSG_MAX + 1024;
	lim.out_max = 1024 * 1024;
	lim.timeout_ms = st->cf->tcp_idle_timeout;
	lim.linger_ms = 500;
	session_set_init(&st->set, w, &ops, &sm, st->cf->max_tcp_connections,
	    &lim, NULL);
	/* a restarted worker: zones reloaded since the parent read them */
	for (int i = 0; i < st->db.n; i++)
		reload_zone(st, i, 0);
	/* a query over UDP longer than DNS_UDP_QUERY_MAX is refused; the
	 * bound keeps the receive batch large (core/udp.c) */
	return session_set_listen(&st->set, in, on_datagram, DNS_UDP_QUERY_MAX,
	    st, err);
}

static void
dns_stop(struct instance *in, struct worker *w)
{
	struct dns_state *st = in->state;

	if (st == NULL)
		return;
	/* a reload still being read is dropped; its done frees it */
	for (int i = 0; i < st->db.n; i++)
		if (st->reloading[i])
			pool_cancel(server_pool(w), st->reloading[i]->h);
}

/* ---- check and reload ---- */

/* allow-transfer ("none": nobody) and notify into acl and to[]. 0, or -1
 * with err. */
static int
acl_notify_parse(const struct dns_conf *cf, struct acl *acl,
    struct sock_addr *to, int *nto, char *err)
{
	char why[SOCK_ERR_LEN];

	memset(acl, 0, sizeof(*acl));
	*nto = 0;
	if (!(cf->allow_transfer.n == 1 &&
	    strcmp(cf->allow_transfer.v[0], "none") == 0)) {
		char aerr[CONF_ERR_LEN - 32];
		if (acl_from_strs(acl, &cf->allow_transfer, aerr,
		    sizeof(aerr)) < 0) {
			snprintf(err, CONF_ERR_LEN, "dns: allow-transfer: %s", aerr);
			return -1;
		}
	}
	for (int i = 0; i < cf->notify.n; i++) {
		if (sock_parse_host(cf->notify.v[i], 53, &to[*nto], why) < 0) {
			snprintf(err, CONF_ERR_LEN, "dns: notify %s: %s",
			    cf->notify.v[i], why);
			return -1;
		}
		(*nto)++;
	}
	return 0;
}

/* Parses every zone file (and the keys setup checks) without keeping
 * anything: "camada check", and the parent before a reload. */
static int
dns_check(struct instance *in, char *err)
{
	const struct dns_conf *cf = in->conf;
	struct sock_addr to[CONF_STRS_MAX];
	struct acl acl;
	int nto;

	if (cf->zone.n == 0) {
		snprintf(err, CONF_ERR_LEN, "dns: no zone to serve (-z FILE or "
		    "zone = FILE)");
		return -1;
	}
	if (cf->zone.n > DNS_DB_MAX_ZONES) {
		snprintf(err, CONF_ERR_LEN, "dns: at most %d zones",
		    DNS_DB_MAX_ZONES);
		return -1;
	}
	if (acl_notify_parse(cf, &acl, to, &nto, err) < 0)
		return -1;
	for (int i = 0; i < cf->zone.n; i++) {
		char zerr[DNS_DB_ERR_MAX];
		struct zone_src src;
		struct dns_dbzone *z;
		char why[CONF_ERR_LEN - 16];
		if (zone_src_parse(&src, cf->zone.v[i], why) < 0) {
			snprintf(err, CONF_ERR_LEN, "dns: %s", why);
			return -1;
		}
		if (dns_dbzone_load(src.file, src.has_origin ? src.origin : NULL,
		    &z, zerr, sizeof(zerr)) < 0) {
			snprintf(err, CONF_ERR_LEN, "%s", zerr);
			free(src.file);
			return -1;
		}
		dns_dbzone_unref(z);
		free(src.file);
	}
	return 0;
}

/* SIGHUP with new values in st->cf (the zone files themselves are read
 * again by dns_reopen, right after): who may transfer, whom to notify,
 * the answers' options and the limits of TCP clients to come. */
static int
dns_reload(struct instance *in, char *err)
{
	struct dns_state *st = in->state;
	struct sock_addr to[CONF_STRS_MAX];
	struct acl acl;
	int nto;

	if (st == NULL)
		return 0;
	if (acl_notify_parse(st->cf, &acl, to, &nto, err) < 0)
		return -1;
	st->xfr_acl = acl;
	memcpy(st->notify, to, sizeof(to[0]) * (size_t)nto);
	st->nnotify = nto;
	st->opts.udp_max = (uint16_t)st->cf->udp_size_max;
	st->opts.rotate = st->cf->rotate;
	st->set.limit = st->cf->max_tcp_connections;
	st->set.lim.timeout_ms = st->cf->tcp_idle_timeout;
	return 0;
}

/* The listeners, and the zone list: zones are loaded in setup and reloaded
 * by position (their files are read again on every SIGHUP). */
static const char *const dns_restart_keys[] = { "listen", "zone", NULL };

const struct service dns_service = {
	"dns", dns_keys, sizeof(struct dns_conf), dns_setup, dns_start,
	dns_stop, dns_release, dns_reopen, dns_check, dns_reload,
	dns_restart_keys, NULL, NULL,
};

int
dns_server_main(int argc, char **argv)
{
	return cli_run_server(&dns_service, argc, argv,
	    "The authoritative DNS server: answers from zone files over UDP "
	    "and TCP, zone transfers (AXFR), SIGHUP reloads the zones.",
	    "zone");
}
