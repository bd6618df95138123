/* dns_stub.c - the stub lookup on the loop (see dns_stub.h): literals, the
 * hosts file and RFC 6761 names answered here, the rest as two dns_query
 * exchanges (A and AAAA at once) whose answers are read for the chain. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/file.h"
#include "dns/dns_query.h"
#include "dns/dns_rr.h"
#include "dns/dns_stub.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define STUB_TIMEOUT_MS 2000
#define STUB_TRIES 3
#define STUB_FILE_MAX (1u << 20)	/* hosts and resolv.conf, at most */
#define STUB_ARENA (64 * 1024)

/* One of the two questions. */
struct stub_ask {
	struct dns_stub *s;
	uint16_t qtype;
	struct dns_query *q;	/* NULL when answered */
	int failed;
	char err[DNS_STUB_ERR_LEN];
	struct sock_addr a[DNS_STUB_MAX];
	int n;
};

struct dns_stub {
	struct loop *loop;
	dns_stub_cb *cb;
	void *arg;
	int port;
	uint8_t qname[DNS_NAME_MAX];
	struct stub_ask ask[2];		/* A, AAAA */
	int waiting;			/* questions not answered yet */
	struct loop_task task;		/* answers found without a query */
	struct sock_addr a[DNS_STUB_MAX];
	int n;				/* -1: failed */
	char err[DNS_STUB_ERR_LEN];
};

static void
stub_finish(struct dns_stub *s)
{
	s->cb(s->arg, s->n, s->a, s->err);
	free(s);
}

static void
stub_task(struct loop *loop, void *arg)
{
	stub_finish(arg);
}

static void
set_addr(struct sock_addr *a, int family, const void *bytes, int port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, bytes, 4);
		a->len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->ss;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, bytes, 16);
		a->len = sizeof(*s);
	}
	sock_addr_set_port(a, port);
}

/* An IP literal, bracketed or not: 1 and *a, else 0. */
static int
literal(const char *name, int port, struct sock_addr *a)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	uint8_t b[16];
	size_t l = strlen(name);

	if (inet_pton(AF_INET, name, b) == 1) {
		set_addr(a, AF_INET, b, port);
		return 1;
	}
	if (l >= 2 && name[0] == '[' && name[l - 1] == ']' &&
	    l - 2 < sizeof(tmp)) {
		memcpy(tmp, name + 1, l - 2);
		tmp[l - 2] = '\0';
		name = tmp;
	}
	if (inet_pton(AF_INET6, name, b) == 1) {
		set_addr(a, AF_INET6, b, port);
		return 1;
	}
	return 0;
}

/* Whether name (no trailing dot) is label or ends in ".label". */
static int
under(const char *name, size_t l, const char *label)
{
	size_t k = strlen(label);

	if (l == k)
		return strncasecmp(name, label, k) == 0;
	return l > k && name[l - k - 1] == '.' &&
	    strncasecmp(name + l - k, label, k) == 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int
dns_stub_hosts_find(const char *data, size_t len, const char *name,
    size_t nl, int port, struct sock_addr *out, int max)
{
	int n = 0;

	for (int pass = 0; pass < 2; pass++) {
		int want = pass == 0 ? AF_INET6 : AF_INET;
		const char *p = data, *end = data + len;

		while (p < end && n < max) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			const char *le = eol ? eol : end, *f[32];
			size_t nf = 0, fl[32];

			for (const char *q = p; q < le && nf < 32;) {
				if (*q == '#')
					break;
				if (is_blank(*q)) {
					q++;
					continue;
				}
				f[nf] = q;
				while (q < le && !is_blank(*q) && *q != '#')
					q++;
				fl[nf] = (size_t)(q - f[nf]);
				nf++;
			}
			p = eol ? eol + 1 : end;
			if (nf < 2 || fl[0] >= INET6_ADDRSTRLEN)
				continue;
			int match = 0;
			for (size_t i = 1; i < nf && !match; i++) {
				size_t k = fl[i];
				if (k > 1 && f[i][k - 1] == '.')
					k--;
				match = k == nl && strncasecmp(f[i], name,
				    nl) == 0;
			}
			if (!match)
				continue;
			char as[INET6_ADDRSTRLEN];
			uint8_t b[16];
			memcpy(as, f[0], fl[0]);
			as[fl[0]] = '\0';
			if (inet_pton(want, as, b) == 1)
				set_addr(&out[n++], want, b, port);
		}
	}
	return n;
}

/* The hosts file's addresses for name (see dns_stub_hosts_find); 0 when
 * it is not listed or there is no file. */
static int
hosts_lookup(const char *file, const char *name, size_t nl, int port,
    struct sock_addr *out)
{
	char *data, err[128];
	size_t len;
	int n;

	if (file_read_all(file ? file : "/etc/hosts", STUB_FILE_MAX, &data,
	    &len, NULL, err, sizeof(err)) < 0)
		return 0;
	n = dns_stub_hosts_find(data, len, name, nl, port, out, DNS_STUB_MAX);
	free(data);
	return n;
}

int
dns_stub_resolv_first(const char *data, size_t len, struct sock_addr *out)
{
	for (const char *p = data, *end = data + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *v;
		size_t vl = 0;

		while (p < le && is_blank(*p))
			p++;
		if ((size_t)(le - p) > 11 &&
		    strncmp(p, "nameserver", 10) == 0 && is_blank(p[10])) {
			v = p + 11;
			while (v < le && is_blank(*v))
				v++;
			while (v + vl < le && !is_blank(v[vl]) &&
			    v[vl] != '#' && v[vl] != ';')
				vl++;
			char as[INET6_ADDRSTRLEN];
			if (vl > 0 && vl < sizeof(as)) {
				memcpy(as, v, vl);
				as[vl] = '\0';
				if (literal(as, 53, out))
					return 0;
			}
		}
		p = eol ? eol + 1 : end;
	}
	return -1;
}

int
dns_stub_system_server(const char *resolv_conf, struct sock_addr *out,
    char *err, size_t errlen)
{
	const char *file = resolv_conf ? resolv_conf : "/etc/resolv.conf";
	char *data, ferr[128];
	size_t len;
	int r;

	if (file_read_all(file, STUB_FILE_MAX, &data, &len, NULL, ferr,
	    sizeof(ferr)) < 0) {
		snprintf(err, errlen, "%s: %s", file, ferr);
		return -1;
	}
	r = dns_stub_resolv_first(data, len, out);
	free(data);
	if (r < 0)
		snprintf(err, errlen, "%s: no nameserver", file);
	return r;
}

/* Reads one answer into k->a (the chain from the name asked). */
static void
read_answer(struct stub_ask *k, const uint8_t *msg, size_t len)
{
	struct dns_stub *s = k->s;
	uint8_t *mem = malloc(STUB_ARENA);
	uint8_t target[DNS_NAME_MAX];
	struct dns_arena arena;
	struct dns_msg m;

	if (mem == NULL) {
		k->failed = 1;
		snprintf(k->err, sizeof(k->err), "out of memory");
		return;
	}
	dns_arena_init(&arena, mem, STUB_ARENA);
	if (dns_msg_parse(msg, len, &m, &arena) < 0) {
		k->failed = 1;
		snprintf(k->err, sizeof(k->err), "bad answer from the "
		    "resolver");
		goto out;
	}
	if (m.rcode == DNS_RCODE_NXDOMAIN)
		goto out;
	if (m.rcode != DNS_RCODE_NOERROR) {
		char rc[32];
		dns_rcode_to_text(m.rcode, rc, sizeof(rc));
		k->failed = 1;
		snprintf(k->err, sizeof(k->err), "the resolver answered %s",
		    rc);
		goto out;
	}
	/* follow the chain: the name asked, then each CNAME target */
	memcpy(target, s->qname, (size_t)dns_name_len(s->qname, DNS_NAME_MAX));
	for (int hop = 0; hop < 16; hop++) {
		int moved = 0;
		for (int i = 0; i < m.count[DNS_SEC_ANSWER]; i++) {
			const struct dns_rr *rr = &m.rr[DNS_SEC_ANSWER][i];
			if (!dns_name_equal(rr->owner, target))
				continue;
			if (rr->type == DNS_T_CNAME && !moved) {
				int l = dns_name_len(rr->rdata, rr->rdlen);
				if (l > 0) {
					/* scan again for the new name (an
					 * RR after this one would be seen
					 * twice otherwise) */
					memcpy(target, rr->rdata, (size_t)l);
					moved = 1;
					break;
				}
			} else if (rr->type == k->qtype &&
			    k->n < DNS_STUB_MAX) {
				if (k->qtype == DNS_T_A && rr->rdlen == 4)
					set_addr(&k->a[k->n++], AF_INET,
					    rr->rdata, s->port);
				else if (k->qtype == DNS_T_AAAA &&
				    rr->rdlen == 16)
					set_addr(&k->a[k->n++], AF_INET6,
					    rr->rdata, s->port);
			}
		}
		if (!moved)
			break;
	}
out:
	free(mem);
}

/* Both answered: A's addresses, then AAAA's. A failure of A fails the
 * lookup; one of AAAA only when A found nothing (as a host library does). */
static void
combine(struct dns_stub *s)
{
	struct stub_ask *a = &s->ask[0], *aaaa = &s->ask[1];

	s->n = 0;
	if (a->failed || (aaaa->failed && a->n == 0)) {
		snprintf(s->err, sizeof(s->err), "%s",
		    a->failed ? a->err : aaaa->err);
		s->n = -1;
		return;
	}
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < s->ask[j].n && s->n < DNS_STUB_MAX; i++)
			s->a[s->n++] = s->ask[j].a[i];
	if (s->n == 0)
		snprintf(s->err, sizeof(s->err), "no address");
}

static void
on_answer(void *arg, enum dns_query_status st, const uint8_t *msg, size_t n,
    int tcp)
{
	struct stub_ask *k = arg;
	struct dns_stub *s = k->s;

	k->q = NULL;	/* dns_query frees it after this call */
	if (st == DNS_QUERY_OK) {
		read_answer(k, msg, n);
	} else {
		k->failed = 1;
		snprintf(k->err, sizeof(k->err), "no answer from the resolver");
	}
	if (--s->waiting > 0)
		return;
	combine(s);
	stub_finish(s);
}

struct dns_stub *
dns_stub_start(struct loop *loop, const struct dns_stub_conf *conf,
    const char *name, int port, dns_stub_cb *cb, void *arg)
{
	struct dns_stub *s = calloc(1, sizeof(*s));
	struct dns_query_opts o;
	struct sock_addr server;
	const char *why = NULL;
	size_t nl = strlen(name);

	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->cb = cb;
	s->arg = arg;
	s->port = port;
	/* every answer found here still comes from the loop */
	loop_defer(loop, &s->task, stub_task, s);
	if (literal(name, port, &s->a[0])) {
		s->n = 1;
		return s;
	}
	if (nl > 1 && name[nl - 1] == '.')
		nl--;
	if ((s->n = hosts_lookup(conf->hosts_file, name, nl, port,
	    s->a)) > 0)
		return s;
	if (under(name, nl, "localhost")) {
		static const uint8_t lo4[4] = { 127, 0, 0, 1 };
		set_addr(&s->a[0], AF_INET6, &in6addr_loopback, port);
		set_addr(&s->a[1], AF_INET, lo4, port);
		s->n = 2;
		return s;
	}
	if (under(name, nl, "invalid")) {
		snprintf(s->err, sizeof(s->err), "no address");
		return s;
	}
	s->n = -1;
	if (dns_name_from_text(name, strlen(name), (const uint8_t *)"",
	    s->qname, &why) < 0) {
		snprintf(s->err, sizeof(s->err), "bad host name '%s'%s%s",
		    name, why ? ": " : "", why ? why : "");
		return s;
	}
	server = conf->server;
	if (server.len == 0 && dns_stub_system_server(conf->resolv_conf,
	    &server, s->err, sizeof(s->err)) < 0)
		return s;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = conf->timeout_ms ? conf->timeout_ms : STUB_TIMEOUT_MS;
	o.tries = conf->tries > 0 ? conf->tries : STUB_TRIES;
	o.edns_size = 1232;
	o.rd = 1;
	s->ask[0].qtype = DNS_T_A;
	s->ask[1].qtype = DNS_T_AAAA;
	for (int i = 0; i < 2; i++) {
		struct stub_ask *k = &s->ask[i];
		k->s = s;
		k->q = dns_query_start(loop, &server, s->qname, k->qtype,
		    DNS_C_IN, &o, on_answer, k);
		if (k->q == NULL) {
			snprintf(s->err, sizeof(s->err), "no answer from the "
			    "resolver");
			for (int j = 0; j < i; j++)
				dns_query_cancel(s->ask[j].q);
			return s;
		}
	}
	loop_defer_cancel(loop, &s->task);
	s->waiting = 2;
	return s;
}

void
dns_stub_cancel(struct dns_stub *s)
{
	if (s == NULL)
		return;
	loop_defer_cancel(s->loop, &s->task);
	for (int i = 0; i < 2; i++)
		if (s->ask[i].q)
			dns_query_cancel(s->ask[i].q);
	free(s);
}

static void *
as_lookup_start(void *ctx, struct loop *loop, const char *host, int port,
    upstream_resolved_cb *cb, void *arg)
{
	static const struct dns_stub_conf defaults;

	return dns_stub_start(loop, ctx ? ctx : &defaults, host, port, cb,
	    arg);
}

static void
as_lookup_cancel(void *h)
{
	dns_stub_cancel(h);
}

void
dns_stub_as_lookup(struct upstream_lookup *l, const struct dns_stub_conf *conf)
{
	l->start = as_lookup_start;
	l->cancel = as_lookup_cancel;
	/* upstream hands ctx back as it is; the stub only reads it */
	l->ctx = (void *)(uintptr_t)conf;
}
