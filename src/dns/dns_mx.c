/* dns_mx.c - the MX lookup (see dns_mx.h): one dns_query for type MX, its
 * answer read by the pure dns_mx_parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_mx.h"
#include "dns/dns_query.h"
#include "dns/dns_rr.h"
#include "dns/dns_stub.h"
#include "dns/dns_text.h"
#include "dns/dns_wire.h"

#define MX_TIMEOUT_MS 2000
#define MX_TRIES 3
#define MX_ARENA (64 * 1024)

struct dns_mx {
	struct loop *loop;
	dns_mx_cb *cb;
	void *arg;
	uint8_t qname[DNS_NAME_MAX];
	struct dns_query *q;
	struct loop_task task;		/* a failure found before any query */
	char err[DNS_MX_ERR_LEN];
};

enum dns_mx_status
dns_mx_parse(const uint8_t *msg, size_t len, const uint8_t *qname,
    struct dns_mx_host *h, int max, int *n, char *err)
{
	uint8_t *mem = malloc(MX_ARENA), target[DNS_NAME_MAX];
	enum dns_mx_status st = DNS_MX_FAIL;
	struct dns_arena arena;
	struct dns_msg m;
	int k = 0, nul = 0;

	*n = 0;
	if (mem == NULL) {
		snprintf(err, DNS_MX_ERR_LEN, "out of memory");
		return DNS_MX_FAIL;
	}
	dns_arena_init(&arena, mem, MX_ARENA);
	if (dns_msg_parse(msg, len, &m, &arena) < 0) {
		snprintf(err, DNS_MX_ERR_LEN, "bad answer from the resolver");
		goto out;
	}
	if (m.rcode == DNS_RCODE_NXDOMAIN) {
		snprintf(err, DNS_MX_ERR_LEN, "no such domain");
		st = DNS_MX_NXDOMAIN;
		goto out;
	}
	if (m.rcode != DNS_RCODE_NOERROR) {
		char rc[32];

		dns_rcode_to_text(m.rcode, rc, sizeof(rc));
		snprintf(err, DNS_MX_ERR_LEN, "the resolver answered %s", rc);
		goto out;
	}
	memcpy(target, qname, (size_t)dns_name_len(qname, DNS_NAME_MAX));
	for (int hop = 0; hop < 8; hop++) {
		int moved = 0;

		for (int i = 0; i < m.count[DNS_SEC_ANSWER]; i++) {
			const struct dns_rr *rr = &m.rr[DNS_SEC_ANSWER][i];

			if (!dns_name_equal(rr->owner, target))
				continue;
			if (rr->type == DNS_T_CNAME && k == 0) {
				int l = dns_name_len(rr->rdata, rr->rdlen);

				if (l > 0) {
					memcpy(target, rr->rdata, (size_t)l);
					moved = 1;
					break;
				}
			}
			if (rr->type != DNS_T_MX || rr->rdlen < 3 || k >= max)
				continue;
			struct dns_mx_host *x = &h[k];
			char txt[DNS_MX_NAME_LEN + 8];
			size_t tl;

			x->pref = dns_get16(rr->rdata);
			if (rr->rdata[2] == 0) {	/* the root: null MX */
				nul = 1;
				continue;
			}
			if (dns_name_to_text(rr->rdata + 2, txt,
			    sizeof(txt)) < 0)
				continue;
			tl = strlen(txt);
			if (tl > 1 && txt[tl - 1] == '.')
				txt[--tl] = '\0';
			if (tl >= DNS_MX_NAME_LEN)
				continue;
			memcpy(x->name, txt, tl + 1);
			k++;
		}
		if (!moved)
			break;
	}
	if (k == 0) {
		st = nul ? DNS_MX_NULL : DNS_MX_IMPLICIT;
		if (nul)
			snprintf(err, DNS_MX_ERR_LEN, "the domain accepts no "
			    "mail (null MX)");
		goto out;
	}
	/* Insertion sort: stable, so equal preferences keep their order. */
	for (int i = 1; i < k; i++) {
		struct dns_mx_host t = h[i];
		int j = i;

		for (; j > 0 && h[j - 1].pref > t.pref; j--)
			h[j] = h[j - 1];
		h[j] = t;
	}
	*n = k;
	st = DNS_MX_OK;
out:
	free(mem);
	return st;
}

static void
mx_fail_task(struct loop *loop, void *arg)
{
	struct dns_mx *m = arg;

	m->cb(m->arg, DNS_MX_FAIL, NULL, 0, m->err);
	free(m);
}

static void
on_answer(void *arg, enum dns_query_status qs, const uint8_t *msg, size_t n,
    int tcp)
{
	struct dns_mx *m = arg;
	struct dns_mx_host h[DNS_MX_MAX];
	char err[DNS_MX_ERR_LEN] = "";
	enum dns_mx_status st;
	int k = 0;

	m->q = NULL;
	if (qs == DNS_QUERY_OK) {
		st = dns_mx_parse(msg, n, m->qname, h, DNS_MX_MAX, &k, err);
	} else {
		st = DNS_MX_FAIL;
		snprintf(err, sizeof(err), "no answer from the resolver");
	}
	m->cb(m->arg, st, h, k, err);
	free(m);
}

struct dns_mx *
dns_mx_start(struct loop *loop, const struct sock_addr *server,
    const char *domain, dns_mx_cb *cb, void *arg)
{
	struct dns_mx *m = calloc(1, sizeof(*m));
	struct dns_query_opts o;
	struct sock_addr to;
	const char *why = NULL;

	if (m == NULL)
		return NULL;
	m->loop = loop;
	m->cb = cb;
	m->arg = arg;
	if (dns_name_from_text(domain, strlen(domain), (const uint8_t *)"",
	    m->qname, &why) < 0) {
		snprintf(m->err, sizeof(m->err), "bad domain '%s'%s%s", domain,
		    why ? ": " : "", why ? why : "");
		loop_defer(loop, &m->task, mx_fail_task, m);
		return m;
	}
	to = *server;
	if (to.len == 0 && dns_stub_system_server(NULL, &to, m->err,
	    sizeof(m->err)) < 0) {
		loop_defer(loop, &m->task, mx_fail_task, m);
		return m;
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = MX_TIMEOUT_MS;
	o.tries = MX_TRIES;
	o.edns_size = 1232;
	o.rd = 1;
	m->q = dns_query_start(loop, &to, m->qname, DNS_T_MX, DNS_C_IN, &o,
	    on_answer, m);
	if (m->q == NULL) {
		snprintf(m->err, sizeof(m->err), "no answer from the resolver");
		loop_defer(loop, &m->task, mx_fail_task, m);
	}
	return m;
}

void
dns_mx_cancel(struct dns_mx *m)
{
	if (m == NULL)
		return;
	loop_defer_cancel(m->loop, &m->task);
	if (m->q)
		dns_query_cancel(m->q);
	free(m);
}
